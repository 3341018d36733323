package shopify

import (
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// topics maps every webhook topic Ritorno subscribes to onto the event it decodes into.
var topics = map[string]ritorno.EventKind{
	"orders/create":          ritorno.EventOrderUpserted,
	"orders/updated":         ritorno.EventOrderUpserted,
	"orders/paid":            ritorno.EventOrderUpserted,
	"orders/cancelled":       ritorno.EventOrderUpserted,
	"orders/fulfilled":       ritorno.EventOrderUpserted,
	"orders/delete":          ritorno.EventOrderDeleted,
	"refunds/create":         ritorno.EventRefundAdded,
	"customers/create":       ritorno.EventCustomerUpserted,
	"customers/update":       ritorno.EventCustomerUpserted,
	"customers/delete":       ritorno.EventCustomerDeleted,
	"products/create":        ritorno.EventProductUpserted,
	"products/update":        ritorno.EventProductUpserted,
	"products/delete":        ritorno.EventProductDeleted,
	"app/uninstalled":        ritorno.EventShopUninstalled,
	"customers/redact":       ritorno.EventCustomerRedact,
	"customers/data_request": ritorno.EventDataRequest,
	"shop/redact":            ritorno.EventShopRedact,
	// A backfill's bulk export finished: wakes the backfill waiting for it.
	"bulk_operations/finish": ritorno.EventExportFinished,
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
	kind, ok := topics[topic]
	if !ok {
		return ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "topic is not handled")
	}
	ev := ritorno.Event{Kind: kind}
	var err error
	switch kind {
	case ritorno.EventOrderUpserted:
		ev.Order, err = DecodeOrder(body)
	case ritorno.EventRefundAdded:
		ev.OrderID, ev.Refund, err = DecodeRefund(body, shop.Currency)
	case ritorno.EventCustomerUpserted:
		ev.Customer, err = DecodeCustomer(body)
	case ritorno.EventProductUpserted:
		ev.Product, err = DecodeProduct(body, shop.Currency)
	case ritorno.EventOrderDeleted, ritorno.EventCustomerDeleted, ritorno.EventProductDeleted:
		ev.DeletedID, err = DecodeDeletion(body)
	case ritorno.EventShopUninstalled:
		var p struct {
			MyshopifyDomain string `json:"myshopify_domain"`
			Domain          string `json:"domain"`
		}
		if err = payload.Decode(body, &p, topic); err != nil {
			break
		}
		// The primary domain may be a custom one; the myshopify domain, when given, decides.
		named := p.MyshopifyDomain
		if named == "" {
			named = p.Domain
		}
		err = checkNamesShop(named, shop)
		ev.At = time.Now().UTC()
	case ritorno.EventExportFinished:
		var p struct {
			ID string `json:"admin_graphql_api_id"`
		}
		err = payload.Decode(body, &p, topic)
		ev.ExportID = p.ID
	case ritorno.EventCustomerRedact, ritorno.EventDataRequest, ritorno.EventShopRedact:
		var p compliancePayload
		if err = payload.Decode(body, &p, topic); err != nil {
			break
		}
		if err = checkNamesShop(p.ShopDomain, shop); err != nil {
			break
		}
		if err = p.checkShape(kind); err != nil {
			break
		}
		customerID, email := p.customer()
		ev.Redact = ritorno.CustomerRedact{CustomerPlatformID: customerID, Email: email, OrderIDs: payload.IDs(p.OrdersToRedact)}
		// The request log keeps no trace of the address: an unkeyed hash of it is
		// reversible by trying addresses, and the export goes by customer and orders.
		ev.DataRequest = ritorno.DataRequest{RequestID: p.requestID(), CustomerPlatformID: customerID,
			OrdersRequested: payload.IDs(p.OrdersRequested)}
		if kind == ritorno.EventDataRequest && ev.DataRequest.RequestID == 0 {
			err = ritorno.Errorf(ritorno.EINVALID, "data request has no id")
		}
	}
	if err != nil {
		return ritorno.Event{}, err
	}
	ev.Sanitize(time.Now())
	return ev, nil
}
