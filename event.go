package ritorno

import "time"

// EventKind names what a platform event does to a shop's histories.
type EventKind string

// Event kinds. Platform adapters decode deliveries into events; history applies them.
const (
	EventOrderUpserted    EventKind = "order_upserted"
	EventOrderDeleted     EventKind = "order_deleted"
	EventRefundAdded      EventKind = "refund_added"
	EventCustomerUpserted EventKind = "customer_upserted"
	EventCustomerDeleted  EventKind = "customer_deleted"
	EventProductUpserted  EventKind = "product_upserted"
	EventProductDeleted   EventKind = "product_deleted"
	EventShopUninstalled  EventKind = "shop_uninstalled"
	EventCustomerRedact   EventKind = "customer_redact"
	EventDataRequest      EventKind = "data_request"
	EventShopRedact       EventKind = "shop_redact"
	// EventExportFinished: a platform export that a backfill waits for has finished
	// (Shopify's bulk_operations/finish). It changes no history; it wakes the backfill.
	EventExportFinished EventKind = "export_finished"
	// EventNone: a known topic that changes nothing Ritorno keeps (e.g. a variation save
	// without its product).
	EventNone EventKind = "none"
)

// Event is one decoded platform event. Exactly the fields its Kind needs are set.
type Event struct {
	Kind     EventKind
	Order    Order    // EventOrderUpserted
	Customer Customer // EventCustomerUpserted
	Product  Product  // EventProductUpserted
	// OrderID is the refunded order (EventRefundAdded); Refund the refund.
	OrderID int64
	Refund  Refund
	// DeletedID is the platform id of what was deleted (Event*Deleted).
	DeletedID int64
	// At is when the platform says the event happened (deletions, uninstall); zero if unknown.
	At time.Time
	// ExportID names the finished export (EventExportFinished).
	ExportID string
	// Redact and DataRequest carry the compliance requests.
	Redact      CustomerRedact
	DataRequest DataRequest
}

// CustomerRedact asks to erase a customer's personal data and the listed orders'.
type CustomerRedact struct {
	CustomerPlatformID int64
	Email              string
	OrderIDs           []int64
}

// DataRequest is a customer's request for the data a shop's apps hold about them.
type DataRequest struct {
	RequestID          int64
	CustomerPlatformID int64
	OrdersRequested    []int64
	ReceivedAt         time.Time
	ExportedAt         time.Time // zero until the merchant exported it
}
