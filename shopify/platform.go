package shopify

import (
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// decoder turns a verified delivery body of one topic into its event for shop.
type decoder func(topic string, body []byte, shop ritorno.Shop) (ritorno.Event, error)

// topics maps every webhook topic Ritorno subscribes to onto its decoder; KnownTopic and
// DecodeEvent both read it, so a topic is known exactly when it decodes.
var topics = map[string]decoder{
	"orders/create":          decodeOrderEvent,
	"orders/updated":         decodeOrderEvent,
	"orders/paid":            decodeOrderEvent,
	"orders/cancelled":       decodeOrderEvent,
	"orders/fulfilled":       decodeOrderEvent,
	"orders/delete":          deletion(ritorno.EventOrderDeleted),
	"refunds/create":         decodeRefundEvent,
	"customers/create":       decodeCustomerEvent,
	"customers/update":       decodeCustomerEvent,
	"customers/delete":       deletion(ritorno.EventCustomerDeleted),
	"products/create":        decodeProductEvent,
	"products/update":        decodeProductEvent,
	"products/delete":        deletion(ritorno.EventProductDeleted),
	"app/uninstalled":        decodeUninstall,
	"customers/redact":       compliance(ritorno.EventCustomerRedact),
	"customers/data_request": compliance(ritorno.EventDataRequest),
	"shop/redact":            compliance(ritorno.EventShopRedact),
	// A backfill's bulk export finished: wakes the backfill waiting for it.
	"bulk_operations/finish": decodeExportFinished,
}

// Topics lists the webhook topics the adapter decodes.
func Topics() []string {
	out := make([]string, 0, len(topics))
	for t := range topics {
		out = append(out, t)
	}
	return out
}

// Platform is the Shopify implementation of ritorno.Platform.
type Platform struct{}

var _ ritorno.Platform = Platform{}

// NewPlatform returns the Shopify adapter.
func NewPlatform() Platform { return Platform{} }

// Name is "shopify".
func (Platform) Name() ritorno.PlatformName { return ritorno.Shopify }

// KnownTopic reports whether Ritorno subscribes to topic.
func (Platform) KnownTopic(topic string) bool {
	_, ok := topics[topic]
	return ok
}

// checkNamesShop refuses a body that does not name shop. Shopify signs only the body: the
// topic and shop-domain headers are not signed, so a genuine body of one shop, replayed
// under a destructive topic with another shop's header, must act on nothing.
func checkNamesShop(named string, shop ritorno.Shop) error {
	named = strings.ToLower(strings.TrimSpace(named))
	switch {
	case named == "":
		return ritorno.Errorf(ritorno.EINVALID, "body names no shop")
	case named != strings.ToLower(shop.Domain):
		return ritorno.Errorf(ritorno.EINVALID, "body names another shop")
	}
	return nil
}

// DecodeEvent decodes a verified delivery body of topic for shop.
func (Platform) DecodeEvent(topic string, body []byte, shop ritorno.Shop) (ritorno.Event, error) {
	decode, ok := topics[topic]
	if !ok {
		return ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "topic is not handled")
	}
	ev, err := decode(topic, body, shop)
	if err != nil {
		return ritorno.Event{}, err
	}
	ev.Sanitize(time.Now())
	return ev, nil
}

func decodeOrderEvent(_ string, body []byte, _ ritorno.Shop) (ritorno.Event, error) {
	o, err := DecodeOrder(body)
	return ritorno.Event{Kind: ritorno.EventOrderUpserted, Order: o}, err
}

func decodeRefundEvent(_ string, body []byte, shop ritorno.Shop) (ritorno.Event, error) {
	orderID, refund, err := DecodeRefund(body, shop.Currency)
	return ritorno.Event{Kind: ritorno.EventRefundAdded, OrderID: orderID, Refund: refund}, err
}

func decodeCustomerEvent(_ string, body []byte, _ ritorno.Shop) (ritorno.Event, error) {
	c, err := DecodeCustomer(body)
	return ritorno.Event{Kind: ritorno.EventCustomerUpserted, Customer: c}, err
}

func decodeProductEvent(_ string, body []byte, shop ritorno.Shop) (ritorno.Event, error) {
	p, err := DecodeProduct(body, shop.Currency)
	return ritorno.Event{Kind: ritorno.EventProductUpserted, Product: p}, err
}

// deletion decodes the deleted resource's id into an event of kind.
func deletion(kind ritorno.EventKind) decoder {
	return func(_ string, body []byte, _ ritorno.Shop) (ritorno.Event, error) {
		id, err := DecodeDeletion(body)
		return ritorno.Event{Kind: kind, DeletedID: id}, err
	}
}

func decodeUninstall(topic string, body []byte, shop ritorno.Shop) (ritorno.Event, error) {
	var p struct {
		MyshopifyDomain string `json:"myshopify_domain"`
		Domain          string `json:"domain"`
	}
	if err := payload.Decode(body, &p, topic); err != nil {
		return ritorno.Event{}, err
	}
	// The primary domain may be a custom one; the myshopify domain, when given, decides.
	named := p.MyshopifyDomain
	if named == "" {
		named = p.Domain
	}
	err := checkNamesShop(named, shop)
	return ritorno.Event{Kind: ritorno.EventShopUninstalled, At: time.Now().UTC()}, err
}

func decodeExportFinished(topic string, body []byte, _ ritorno.Shop) (ritorno.Event, error) {
	var p struct {
		ID string `json:"admin_graphql_api_id"`
	}
	err := payload.Decode(body, &p, topic)
	return ritorno.Event{Kind: ritorno.EventExportFinished, ExportID: p.ID}, err
}

// compliance decodes a GDPR request of kind (customers/redact, customers/data_request,
// shop/redact); the body must name the shop the delivery came for.
func compliance(kind ritorno.EventKind) decoder {
	return func(topic string, body []byte, shop ritorno.Shop) (ritorno.Event, error) {
		var p compliancePayload
		if err := payload.Decode(body, &p, topic); err != nil {
			return ritorno.Event{}, err
		}
		if err := checkNamesShop(p.ShopDomain, shop); err != nil {
			return ritorno.Event{}, err
		}
		if err := p.checkShape(kind); err != nil {
			return ritorno.Event{}, err
		}
		customerID, email := p.customer()
		ev := ritorno.Event{Kind: kind}
		ev.Redact = ritorno.CustomerRedact{CustomerPlatformID: customerID, Email: email, OrderIDs: payload.IDs(p.OrdersToRedact)}
		// The request log keeps no trace of the address: an unkeyed hash of it is
		// reversible by trying addresses, and the export goes by customer and orders.
		ev.DataRequest = ritorno.DataRequest{RequestID: p.requestID(), CustomerPlatformID: customerID,
			OrdersRequested: payload.IDs(p.OrdersRequested)}
		if kind == ritorno.EventDataRequest && ev.DataRequest.RequestID == 0 {
			return ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "data request has no id")
		}
		return ev, nil
	}
}
