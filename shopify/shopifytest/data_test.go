package shopifytest_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

func TestGenerateShop(t *testing.T) {
	a := shopifytest.GenerateShop(42, t0, "EUR", 20, 10, 200)
	if b := shopifytest.GenerateShop(42, t0, "EUR", 20, 10, 200); !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed must give the same data")
	}
	if b := shopifytest.GenerateShop(43, t0, "EUR", 20, 10, 200); reflect.DeepEqual(a, b) {
		t.Fatal("another seed must give other data")
	}
	if len(a.Customers) != 20 || len(a.Products) != 10 || len(a.Orders) != 200 {
		t.Fatalf("sizes %d %d %d", len(a.Customers), len(a.Products), len(a.Orders))
	}

	variants := map[int64]bool{}
	for _, p := range a.Products {
		for _, v := range p.Variants {
			variants[v.PlatformID] = v.Price.Currency == "EUR" && v.Price.Amount > 0
		}
	}
	customers := map[int64]bool{}
	for _, c := range a.Customers {
		customers[c.PlatformID] = true
	}
	var kinds = map[string]int{}
	for _, o := range a.Orders {
		if err := o.Validate(); err != nil {
			t.Fatalf("order %s: %v", o.Name, err)
		}
		sum, _ := o.Subtotal.Add(o.TotalTax)
		sum, _ = sum.Add(o.TotalShipping)
		if sum != o.Total || o.Email == "" || ritorno.HashEmail(o.Email) != o.Buyer.EmailHash || o.PlacedAt().After(t0) {
			t.Fatalf("order %s: total %s, email %q, buyer %+v, placed %v", o.Name, o.Total, o.Email, o.Buyer, o.PlacedAt())
		}
		if o.Buyer.Kind == ritorno.BuyerCustomer && !customers[o.Buyer.CustomerPlatformID] {
			t.Fatalf("order %s names an unknown customer", o.Name)
		}
		for _, li := range o.LineItems {
			if !variants[li.VariantPlatformID] {
				t.Fatalf("order %s line %d: unknown or unpriced variant", o.Name, li.PlatformID)
			}
		}
		kinds[string(o.Buyer.Kind)]++
		switch {
		case o.Test:
			kinds["test"]++
		case !o.CancelledAt.IsZero():
			kinds["cancelled"]++
		case len(o.Refunds) > 0:
			kinds["refunded"]++
		}
		if t0.Sub(o.PlacedAt()) < 60*24*time.Hour {
			kinds["recent"]++
		}
	}
	for _, k := range []string{"customer", "guest", "test", "cancelled", "refunded", "recent"} {
		if kinds[k] == 0 {
			t.Errorf("no %s order among %v", k, kinds)
		}
	}

	jpy := shopifytest.GenerateShop(42, t0, "JPY", 1, 1, 1)
	if p := jpy.Products[0].Variants[0].Price; p.Amount < 5 || p.Amount > 99 || p.Currency != "JPY" {
		t.Fatalf("a yen price is whole yen: %v", p)
	}
}

func TestOrderFromWebhook(t *testing.T) {
	body := fixture(t, "shopify-order-rest-resource.json", "order")
	o, err := shopifytest.OrderFromWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := shopify.DecodeOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Order, want) || o.Email != "bob.norman@hostmail.com" {
		t.Fatalf("got %+v (%s)", o.Order, o.Email)
	}
	// The envelope of the public samples is accepted too.
	wrapped := append(append([]byte(`{"order":`), body...), '}')
	if o2, err := shopifytest.OrderFromWebhook(wrapped); err != nil || !reflect.DeepEqual(o2, o) {
		t.Fatalf("wrapped: %v", err)
	}
	if _, err := shopifytest.OrderFromWebhook([]byte(`{"id":"x"}`)); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Fatalf("a malformed order: %v", err)
	}
}
