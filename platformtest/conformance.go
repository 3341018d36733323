// Package platformtest is the conformance suite every ritorno.Platform adapter passes
// (ARCHITECTURE rule 14): the same contract checked against Shopify and WooCommerce with
// each platform's real sample payloads.
package platformtest

import (
	"testing"

	"github.com/ritorno/ritorno"
)

// Samples are an adapter's real payloads for the suite, as webhook bodies.
type Samples struct {
	OrderTopic    string // a topic that carries an order
	Order         []byte
	CustomerTopic string
	Customer      []byte
	ProductTopic  string
	Product       []byte
	DeleteTopics  []string // topics whose body is {"id": N}
	Currency      string   // the shop currency the samples are in
}

// Run checks p against the contract.
func Run(t *testing.T, p ritorno.Platform, s Samples) {
	shop := ritorno.Shop{ID: 1, Platform: p.Name(), Currency: s.Currency, Timezone: "UTC", Status: ritorno.ShopInstalled}

	t.Run("known topics decode into their events", func(t *testing.T) {
		for _, c := range []struct {
			topic string
			body  []byte
			kind  ritorno.EventKind
		}{
			{s.OrderTopic, s.Order, ritorno.EventOrderUpserted},
			{s.CustomerTopic, s.Customer, ritorno.EventCustomerUpserted},
			{s.ProductTopic, s.Product, ritorno.EventProductUpserted},
		} {
			if !p.KnownTopic(c.topic) {
				t.Fatalf("%s is not a known topic", c.topic)
			}
			ev, err := p.DecodeEvent(c.topic, c.body, shop)
			if err != nil || ev.Kind != c.kind {
				t.Fatalf("%s: %v, %v; want %s", c.topic, ev.Kind, err, c.kind)
			}
			switch c.kind {
			case ritorno.EventOrderUpserted:
				if err := ev.Order.Validate(); err != nil || ev.Order.PlatformID <= 0 || ev.Order.PlatformUpdatedAt.IsZero() {
					t.Errorf("order: %v (id %d, updated %v): adapters give a valid order with its update time", err, ev.Order.PlatformID, ev.Order.PlatformUpdatedAt)
				}
				if ev.Order.Buyer.Kind == ritorno.BuyerUnknown {
					t.Error("the sample order has a buyer e-mail; its buyer must be known")
				}
				if ev.Order.PlacedAt().Location() != nil && ev.Order.PlacedAt().Location().String() != "UTC" {
					t.Errorf("times must be UTC, got %v", ev.Order.PlacedAt().Location())
				}
			case ritorno.EventCustomerUpserted:
				if ev.Customer.PlatformID <= 0 || ev.Customer.EmailHash != ritorno.HashEmail(ev.Customer.Email) {
					t.Errorf("customer: %+v (the e-mail hash must match the address)", ev.Customer)
				}
			case ritorno.EventProductUpserted:
				if ev.Product.PlatformID <= 0 || ev.Product.Status == "" {
					t.Errorf("product: %+v", ev.Product)
				}
				for _, v := range ev.Product.Variants {
					if v.Price.Currency != s.Currency || v.CompareAtPrice.Currency != s.Currency {
						t.Errorf("variant %d prices are not in the shop currency: %v %v", v.PlatformID, v.Price, v.CompareAtPrice)
					}
				}
			}
		}
	})

	t.Run("deletions carry the id", func(t *testing.T) {
		for _, topic := range s.DeleteTopics {
			ev, err := p.DecodeEvent(topic, []byte(`{"id":9007199254740993}`), shop)
			if err != nil || ev.DeletedID != 9007199254740993 {
				t.Errorf("%s: %+v, %v (ids are exact int64, never float64)", topic, ev, err)
			}
		}
	})

	t.Run("bad bodies are EINVALID and never panic", func(t *testing.T) {
		for _, topic := range []string{s.OrderTopic, s.CustomerTopic, s.ProductTopic} {
			for _, body := range [][]byte{nil, []byte(`{`), []byte(`[]`), []byte(`{"id":"x"}`), []byte(`{"id":0}`), []byte(`"text"`)} {
				if _, err := p.DecodeEvent(topic, body, shop); ritorno.ErrorCode(err) != ritorno.EINVALID {
					t.Errorf("%s %q: %v, want EINVALID", topic, body, err)
				}
			}
		}
	})

	t.Run("unknown topics are refused", func(t *testing.T) {
		if p.KnownTopic("no/such.topic") {
			t.Error("an unknown topic is known")
		}
		if _, err := p.DecodeEvent("no/such.topic", s.Order, shop); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("unknown topic: %v", err)
		}
	})

	t.Run("decoding is deterministic", func(t *testing.T) {
		a, errA := p.DecodeEvent(s.OrderTopic, s.Order, shop)
		b, errB := p.DecodeEvent(s.OrderTopic, s.Order, shop)
		if errA != nil || errB != nil || a.Order.Total != b.Order.Total || len(a.Order.LineItems) != len(b.Order.LineItems) {
			t.Error("the same body decoded differently")
		}
	})
}
