package woocommerce

import (
	"time"

	"github.com/ritorno/ritorno"
)

// decoder turns a verified delivery body of one topic into its event for shop.
type decoder func(body []byte, shop ritorno.Shop) (ritorno.Event, error)

// topics maps the webhook topics Ritorno creates onto their decoders; KnownTopic and
// DecodeEvent both read it. Refunds reach WooCommerce webhooks as order.updated;
// restored resources come back as upserts.
var topics = map[string]decoder{
	"order.created": decodeOrderEvent, "order.updated": decodeOrderEvent,
	"order.restored": decodeOrderEvent, "order.deleted": deletion(ritorno.EventOrderDeleted),
	"customer.created": decodeCustomerEvent, "customer.updated": decodeCustomerEvent,
	"customer.restored": decodeCustomerEvent, "customer.deleted": deletion(ritorno.EventCustomerDeleted),
	"product.created": decodeProductEvent, "product.updated": decodeProductEvent,
	"product.restored": decodeProductEvent, "product.published": decodeProductEvent,
	"product.deleted": deletion(ritorno.EventProductDeleted),
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
	decode, ok := topics[topic]
	if !ok {
		return ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "topic is not handled")
	}
	ev, err := decode(body, shop)
	if err != nil {
		return ritorno.Event{}, err
	}
	ev.Sanitize(time.Now())
	return ev, nil
}

func decodeOrderEvent(body []byte, _ ritorno.Shop) (ritorno.Event, error) {
	o, err := DecodeOrder(body)
	return ritorno.Event{Kind: ritorno.EventOrderUpserted, Order: o}, err
}

func decodeCustomerEvent(body []byte, _ ritorno.Shop) (ritorno.Event, error) {
	c, err := DecodeCustomer(body)
	return ritorno.Event{Kind: ritorno.EventCustomerUpserted, Customer: c}, err
}

func decodeProductEvent(body []byte, shop ritorno.Shop) (ritorno.Event, error) {
	if isVariation(body) {
		// A variation alone cannot replace its product's variant list; the product's own
		// delivery (or the backfill) carries it.
		return ritorno.Event{Kind: ritorno.EventNone}, nil
	}
	p, err := DecodeProduct(body, shop.Currency)
	return ritorno.Event{Kind: ritorno.EventProductUpserted, Product: p}, err
}

// deletion decodes the deleted resource's id into an event of kind, at the time of receipt.
func deletion(kind ritorno.EventKind) decoder {
	return func(body []byte, _ ritorno.Shop) (ritorno.Event, error) {
		id, err := DecodeDeletion(body)
		return ritorno.Event{Kind: kind, DeletedID: id, At: time.Now().UTC()}, err
	}
}
