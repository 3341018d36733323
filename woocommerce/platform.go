package woocommerce

import (
	"time"

	"github.com/ritorno/ritorno"
)

// topics maps the webhook topics Ritorno creates onto events. Refunds reach WooCommerce
// webhooks as order.updated; restored resources come back as upserts.
var topics = map[string]ritorno.EventKind{
	"order.created": ritorno.EventOrderUpserted, "order.updated": ritorno.EventOrderUpserted,
	"order.restored": ritorno.EventOrderUpserted, "order.deleted": ritorno.EventOrderDeleted,
	"customer.created": ritorno.EventCustomerUpserted, "customer.updated": ritorno.EventCustomerUpserted,
	"customer.restored": ritorno.EventCustomerUpserted, "customer.deleted": ritorno.EventCustomerDeleted,
	"product.created": ritorno.EventProductUpserted, "product.updated": ritorno.EventProductUpserted,
	"product.restored": ritorno.EventProductUpserted, "product.published": ritorno.EventProductUpserted,
	"product.deleted": ritorno.EventProductDeleted,
}

// Topics lists the webhook topics the adapter decodes.
func Topics() []string {
	out := make([]string, 0, len(topics))
	for t := range topics {
		out = append(out, t)
	}
	return out
}

// Platform is the WooCommerce implementation of ritorno.Platform.
type Platform struct{}

var _ ritorno.Platform = Platform{}

// NewPlatform returns the WooCommerce adapter.
func NewPlatform() Platform { return Platform{} }

// Name is "woocommerce".
func (Platform) Name() ritorno.PlatformName { return ritorno.WooCommerce }

// KnownTopic reports whether Ritorno subscribes to topic.
func (Platform) KnownTopic(topic string) bool {
	_, ok := topics[topic]
	return ok
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
	case ritorno.EventCustomerUpserted:
		ev.Customer, err = DecodeCustomer(body)
	case ritorno.EventProductUpserted:
		if isVariation(body) {
			// A variation alone cannot replace its product's variant list; the product's own
			// delivery (or the backfill) carries it.
			return ritorno.Event{Kind: ritorno.EventNone}, nil
		}
		ev.Product, err = DecodeProduct(body, shop.Currency)
	case ritorno.EventOrderDeleted, ritorno.EventCustomerDeleted, ritorno.EventProductDeleted:
		ev.DeletedID, err = DecodeDeletion(body)
		ev.At = time.Now().UTC()
	}
	if err != nil {
		return ritorno.Event{}, err
	}
	ev.Sanitize(time.Now())
	return ev, nil
}
