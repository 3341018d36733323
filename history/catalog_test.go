package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestLineCatalog: imported lines become catalog entries keyed like the lines, named and
// priced by the latest priced line, published from the first sale; written, they fill only
// the shop's gaps.
func TestLineCatalog(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	gbp := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "GBP") }
	order := func(at time.Time, lines ...ritorno.LineItem) ritorno.Order {
		return ritorno.Order{PlatformID: int64(at.Day()), Currency: "GBP", ProcessedAt: at, LineItems: lines}
	}
	line := func(id int64, sku, title, price string) ritorno.LineItem {
		return ritorno.LineItem{ProductPlatformID: id, SKU: sku, Title: title, Quantity: 1, Price: gbp(price)}
	}
	var c history.LineCatalog
	c.Add(order(day(5), line(7, "85123A", "WHITE HANGING HEART", "2.55"), line(9, "71053", "", "3.39")))
	c.Add(order(day(2), line(7, "85123A", "OLD NAME", "2.10")))                                   // earlier: not the name
	c.Add(order(day(9), line(7, "85123A", "ADJUSTMENT", "0.00"), line(0, "", "postage", "1.00"))) // unpriced, and no product
	c.Add(order(day(8), line(7, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "2.95")))         // the latest priced line
	got := c.Products()
	if len(got) != 2 || c.Len() != 2 {
		t.Fatalf("products = %+v", got)
	}
	p7, p9 := got[0], got[1]
	if p7.PlatformID != 7 || p7.Title != "WHITE HANGING HEART T-LIGHT HOLDER" || p7.Variants[0].Price != gbp("2.95") ||
		p7.Variants[0].SKU != "85123A" || p7.Handle != "white-hanging-heart-t-light-holder-85123a" || p7.Variants[0].PlatformID != 7 || !p7.PublishedAt.Equal(day(2)) || !p7.IsSellable() ||
		!p7.PlatformUpdatedAt.IsZero() || !p7.Variants[0].InStock() {
		t.Errorf("product 7 = %+v", p7)
	}
	if p9.Title != "71053" || p9.Handle != "71053" || p9.Variants[0].Price != gbp("3.39") {
		t.Errorf("product 9 (no description: named by its SKU) = %+v", p9)
	}

	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: "line-catalog.myshopify.com", Status: ritorno.ShopInstalled,
			Currency: "GBP", Timezone: "UTC"}, ritorno.ShopCredentials{})
		if err != nil {
			t.Fatal(err)
		}
		platform := ritorno.Product{PlatformID: 9, Title: "From the platform", Status: ritorno.ProductActive, PlatformUpdatedAt: day(1)}
		if _, err := db.UpsertProduct(ctx, shop.ID, platform); err != nil {
			t.Fatal(err)
		}
		counts, err := c.Write(ctx, db, shop.ID)
		if err != nil || counts.Inserted != 1 || counts.Unchanged != 1 {
			t.Fatalf("write = %+v, %v", counts, err)
		}
		if p, _ := db.Product(ctx, shop.ID, 9); p.Title != "From the platform" {
			t.Errorf("the platform's product became %q", p.Title)
		}
		if p, err := db.Product(ctx, shop.ID, 7); err != nil || p.Title != "WHITE HANGING HEART T-LIGHT HOLDER" {
			t.Errorf("entry 7 = %+v, %v", p, err)
		}
	})
}
