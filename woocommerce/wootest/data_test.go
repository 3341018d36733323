package wootest_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
	"github.com/ritorno/ritorno/woocommerce/wootest"
)

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateIsDeterministic(t *testing.T) {
	g := wootest.Gen{Seed: 7, Products: 10, Customers: 10, Orders: 40}
	a, b := mustMarshal(t, wootest.Generate(g)), mustMarshal(t, wootest.Generate(g))
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different data")
	}
	g.Seed = 8
	if bytes.Equal(a, mustMarshal(t, wootest.Generate(g))) {
		t.Error("another seed gave the same data")
	}
}

// TestGenerateDecodes checks the generated shapes against the adapter's decoders and the
// promised variety: a variable product with variations, guest orders, refunded orders
// whose refund records match their summaries, and a subscriber.
func TestGenerateDecodes(t *testing.T) {
	cases := []struct {
		name string
		gen  wootest.Gen
	}{
		{"USD", wootest.Gen{Seed: 1, Products: 15, Customers: 12, Orders: 60}},
		{"JPY, no minor unit", wootest.Gen{Seed: 2, Products: 3, Customers: 2, Orders: 21, Currency: "JPY"}},
		{"no customers or products", wootest.Gen{Seed: 3, Orders: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur := c.gen.Currency
			if cur == "" {
				cur = "USD"
			}
			d := wootest.Generate(c.gen)
			if len(d.Products) != c.gen.Products || len(d.Customers) != c.gen.Customers || len(d.Orders) != c.gen.Orders {
				t.Fatalf("counts %d/%d/%d", len(d.Products), len(d.Customers), len(d.Orders))
			}
			for _, raw := range d.Products {
				p, err := woocommerce.DecodeProduct(raw, cur)
				if err != nil {
					t.Fatalf("product: %v", err)
				}
				for _, v := range d.Variations[p.PlatformID] {
					if parent, _, err := woocommerce.DecodeVariation(v, cur); err != nil || parent != p.PlatformID {
						t.Fatalf("variation of %d: parent %d, %v", p.PlatformID, parent, err)
					}
				}
			}
			if c.gen.Products > 0 && len(d.Variations[101]) != 3 {
				t.Errorf("the first product has %d variations, want 3", len(d.Variations[101]))
			}
			subscribers := 0
			for _, raw := range d.Customers {
				if _, err := woocommerce.DecodeCustomer(raw); err != nil {
					t.Fatalf("customer: %v", err)
				}
				if bytes.Contains(raw, []byte(`"role":"subscriber"`)) {
					subscribers++
				}
			}
			if c.gen.Customers >= 10 && subscribers == 0 {
				t.Error("no subscriber among the customers")
			}
			var guests, refunded, partial int
			for _, raw := range d.Orders {
				o, err := woocommerce.DecodeOrder(raw)
				if err != nil {
					t.Fatalf("order: %v", err)
				}
				if o.Currency != cur || !o.RefundsComplete {
					t.Errorf("order %d: currency %s, refunds complete %v", o.PlatformID, o.Currency, o.RefundsComplete)
				}
				if sum, _ := o.Subtotal.Add(o.TotalShipping); sum != o.Total {
					t.Errorf("order %d: lines %v + shipping %v ≠ total %v", o.PlatformID, o.Subtotal, o.TotalShipping, o.Total)
				}
				if o.Buyer.Kind == ritorno.BuyerGuest {
					guests++
				}
				switch o.FinancialStatus {
				case ritorno.FinancialRefunded:
					refunded++
					if o.RefundedAmount != o.Total {
						t.Errorf("order %d refunded %v of %v", o.PlatformID, o.RefundedAmount, o.Total)
					}
				case ritorno.FinancialPartiallyRefunded:
					partial++
				}
				if len(o.Refunds) != len(d.Refunds[o.PlatformID]) {
					t.Errorf("order %d: %d refund summaries, %d refund records", o.PlatformID, len(o.Refunds), len(d.Refunds[o.PlatformID]))
				}
			}
			if guests == 0 || refunded == 0 || (c.gen.Orders > 5 && partial == 0) {
				t.Errorf("guests %d, refunded %d, partially refunded %d", guests, refunded, partial)
			}
		})
	}
}
