package ritorno

import "time"

// DeliveryStatus is where a webhook delivery is in the inbox.
type DeliveryStatus string

// Delivery statuses. Pending deliveries are due for processing; processing ones are held by
// a worker until their lease ends (a crashed worker's lease runs out and another takes
// them); the rest are final until an operator replays them.
const (
	DeliveryPending    DeliveryStatus = "pending"
	DeliveryProcessing DeliveryStatus = "processing"
	DeliveryDone       DeliveryStatus = "done"
	// DeliveryIgnored: a verified delivery of a topic Ritorno does not use.
	DeliveryIgnored DeliveryStatus = "ignored"
	// DeliveryParked: verified, but for a shop not (yet) connected; released when it appears.
	DeliveryParked DeliveryStatus = "parked"
	// DeliveryFailed: cannot succeed by retrying (e.g. the body is not JSON); kept with the reason.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliveryDead: retried until the attempt limit and still failing; replayable.
	DeliveryDead DeliveryStatus = "dead"
)

// ParseDeliveryStatus validates a status name.
func ParseDeliveryStatus(s string) (DeliveryStatus, error) {
	switch st := DeliveryStatus(s); st {
	case DeliveryPending, DeliveryProcessing, DeliveryDone, DeliveryIgnored, DeliveryParked, DeliveryFailed, DeliveryDead:
		return st, nil
	}
	return "", Errorf(EINVALID, "delivery status %q is not one of pending, processing, done, ignored, parked, failed, dead", s)
}

// Delivery is one webhook request as received: the raw body and the headers that matter,
// stored before it is acknowledged so that nothing acknowledged can be lost.
type Delivery struct {
	ID       int64
	Platform PlatformName
	// ShopDomain is the shop as the delivery named it (Shopify's shop-domain header, or the
	// WooCommerce shop's URL); ShopID is 0 while the shop is unknown.
	ShopDomain string
	ShopID     int64
	Topic      string
	// WebhookID is Shopify's X-Shopify-Webhook-Id, the receipt idempotency key; empty for
	// WooCommerce, whose delivery ids change on every attempt.
	WebhookID   string
	EventID     string
	APIVersion  string
	TriggeredAt time.Time
	Body        []byte
	ReceivedAt  time.Time

	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ProcessedAt   time.Time
}
