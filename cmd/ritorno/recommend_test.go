package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestRecommendCommand builds a shop's model from storage and prints what a shopper would
// see on a product page, in a cart and, for a known customer, "for you", with reasons.
func TestRecommendCommand(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		ctx := context.Background()
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "recs.myshopify.com", Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
		eur := func(m int64) ritorno.Money { return ritorno.Money{Amount: m, Currency: "EUR"} }
		day := time.Now().AddDate(0, 0, -20)
		for id := int64(1); id <= 3; id++ {
			p := ritorno.Product{PlatformID: id, Title: fmt.Sprint("Tea ", id), Handle: fmt.Sprint("tea-", id), Status: ritorno.ProductActive,
				PublishedAt: day, PlatformUpdatedAt: day, Variants: []ritorno.Variant{{PlatformID: id * 10, Position: 1, Price: eur(500 + id)}}}
			if _, err := s.db.UpsertProduct(ctx, shop.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		var orders []ritorno.Order
		for i := int64(0); i < 4; i++ {
			at := day.Add(time.Duration(i) * 24 * time.Hour)
			o := ritorno.Order{PlatformID: 100 + i, Name: fmt.Sprint(100 + i), Buyer: ritorno.BuyerFor(7+i, ""), Currency: "EUR",
				Subtotal: eur(1000), TotalDiscounts: eur(0), TotalTax: eur(0), TotalShipping: eur(0), Total: eur(1000), RefundedAmount: eur(0),
				FinancialStatus: ritorno.FinancialPaid, ProcessedAt: at, PlatformCreatedAt: at, PlatformUpdatedAt: at,
				LineItems: []ritorno.LineItem{
					{PlatformID: 1000 + 2*i, ProductPlatformID: 1, VariantPlatformID: 10, Quantity: 1, Price: eur(500), TotalDiscount: eur(0)},
					{PlatformID: 1001 + 2*i, ProductPlatformID: 2, VariantPlatformID: 20, Quantity: 1, Price: eur(500), TotalDiscount: eur(0)},
				}}
			orders = append(orders, o)
		}
		if _, err := s.db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}

		type view struct {
			Placement string `json:"placement"`
			Items     []struct {
				ProductID int64  `json:"product_id"`
				Kind      string `json:"kind"`
				Reason    string `json:"reason"`
				Price     struct{ Amount, Currency string }
			} `json:"items"`
			Notes []string `json:"notes"`
			Model struct {
				Orders int `json:"orders"`
			} `json:"model"`
		}
		for _, c := range []struct {
			name      string
			args      []string
			placement string
			first     int64
		}{
			{"product page", []string{"--product", "1"}, "product", 2},
			{"product page by handle", []string{"--product", "tea-1"}, "product", 2},
			{"cart by handle", []string{"--cart", "tea-2"}, "cart", 1},
			{"cart", []string{"--cart", "2"}, "cart", 1},
			{"for a customer", []string{"--customer", "7"}, "for_you", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, out, errOut := runCLI(t, env, "", append([]string{"recommend", "--shop", shop.Domain}, c.args...)...)
				if code != 0 {
					t.Fatalf("recommend = %d: %s", code, errOut)
				}
				var v view
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if v.Placement != c.placement || v.Model.Orders != 4 {
					t.Fatalf("printed %s", out)
				}
				// The engine's types carry no json tags: the printed names are the views' own.
				if !strings.Contains(out, `"approx_bytes"`) || c.first != 0 && !strings.Contains(out, `"buyers"`) {
					t.Fatalf("printed without the view's field names: %s", out)
				}
				if c.first != 0 && (len(v.Items) == 0 || v.Items[0].ProductID != c.first || v.Items[0].Reason == "" || v.Items[0].Price.Currency != "EUR") {
					t.Fatalf("first item is not %d with a reason: %s", c.first, out)
				}
			})
		}
		for _, args := range [][]string{{"recommend"}, {"recommend", "--shop", shop.Domain}, {"recommend", "--shop", shop.Domain, "--cart", "1,,2"}} {
			if code, _, errOut := runCLI(t, env, "", args...); code != exitUsage || !strings.Contains(errOut, "recommend") {
				t.Errorf("%v = %d (%s), want a usage error", args, code, errOut)
			}
		}
		// An unknown product is an error, never best-sellers labelled cross_sell.
		for _, args := range [][]string{{"--product", "85123A"}, {"--product", "99"}, {"--cart", "1,x"}} {
			code, out, errOut := runCLI(t, env, "", append([]string{"recommend", "--shop", shop.Domain}, args...)...)
			if code != exitFailure || out != "" || !strings.Contains(errOut, "no product") || !strings.Contains(errOut, shop.Domain) {
				t.Errorf("%v = %d, stdout %q, stderr %q; want exit 1 and \"no product … in shop\"", args, code, out, errOut)
			}
		}
	})
}
