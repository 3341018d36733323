package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// The reproductions of issue 13 (defects 3 and 6), through HTTP with real signatures: an
// orders/create placed in year 9999 and deliveries with a NUL in a customer name, an order
// name, a tag and a product title are all applied at once (no retries), and the shop's
// figures still compute with `ritorno analytics`.
func TestHostileDeliveriesEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		const domain = "hostile.myshopify.com"
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Currency: "USD"},
			ritorno.ShopCredentials{AccessToken: "shpat_x"})
		order := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) {
			o["processed_at"], o["updated_at"] = "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"
			o["name"], o["tags"] = "#10\x0001", "v\x00ip"
		})
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", func(c map[string]any) {
			c["first_name"] = "Bo\x00b"
		})
		product := fixtureBody(t, "shopify-product-rest-resource.json", "product", func(p map[string]any) {
			p["title"] = "IPod\x00 Nano"
		})
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"customers/create", customer}, {"products/create", product}, {"orders/create", order}} {
			if code := s.shopify(domain, d.topic, d.body); code != http.StatusOK {
				t.Fatalf("%s = %d", d.topic, code)
			}
		}
		counts := s.settle()
		if counts[ritorno.DeliveryDone] != 3 {
			t.Fatalf("deliveries: %v, want 3 done", counts)
		}
		ctx := context.Background()
		o, err := s.db.Order(ctx, shop.ID, 450789469)
		if err != nil {
			t.Fatal(err)
		}
		created := time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC)
		if !o.PlacedAt().Equal(created) || o.Name != "#1001" || len(o.Tags) != 1 || o.Tags[0] != "vip" {
			t.Errorf("order placed %v, name %q, tags %q", o.PlacedAt(), o.Name, o.Tags)
		}
		c, err := s.db.Customer(ctx, shop.ID, 207119551)
		if err != nil || c.FirstName != "Bob" {
			t.Errorf("customer %q, %v", c.FirstName, err)
		}
		p, err := s.db.Product(ctx, shop.ID, 632910392)
		if err != nil || p.Title != "IPod Nano" {
			t.Errorf("product %q, %v", p.Title, err)
		}
		code, out, errOut := runCLI(t, s.env, "", "analytics", "--shop", domain, "--from", "2008-01-01", "--to", "2008-02-01")
		if code != 0 || !strings.Contains(out, `"orders": 1`) {
			t.Errorf("analytics = %d: %s %s", code, out, errOut)
		}
	})
}
