package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestAddProductsIfAbsent: catalog entries made from imported lines fill only the gaps;
// a product the platform sent stays as sent, and the platform's version of an imported
// entry, whenever it comes, replaces it.
func TestAddProductsIfAbsent(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "catalog-import.myshopify.com")
		if _, err := db.UpsertProduct(ctx, shop.ID, sampleProduct(7)); err != nil { // from the platform
			t.Fatal(err)
		}
		imported := func(id int64, title string) ritorno.Product {
			return ritorno.Product{PlatformID: id, Title: title, Status: ritorno.ProductActive, PublishedAt: t0, PlatformCreatedAt: t0,
				Variants: []ritorno.Variant{{PlatformID: id, SKU: "SKU-" + title, Position: 1, Price: usd("2.55")}}}
		}
		n, err := db.AddProductsIfAbsent(ctx, shop.ID, []ritorno.Product{imported(7, "from a file"), imported(8, "Heart holder")})
		if err != nil || n != 1 {
			t.Fatalf("added %d, %v; want 1 (8 only)", n, err)
		}
		if p, _ := db.Product(ctx, shop.ID, 7); p.Title != "Coffee beans" || len(p.Variants) != 2 {
			t.Errorf("the platform's product 7 was overwritten: %q, %d variants", p.Title, len(p.Variants))
		}
		p8, err := db.Product(ctx, shop.ID, 8)
		if err != nil || p8.Title != "Heart holder" || len(p8.Variants) != 1 || p8.Variants[0].SKU != "SKU-Heart holder" ||
			p8.Variants[0].Price != usd("2.55") || !p8.IsSellable() || !p8.PlatformUpdatedAt.IsZero() {
			t.Fatalf("imported product 8 = %+v, %v", p8, err)
		}
		// Importing again changes nothing, even with another title.
		if n, err := db.AddProductsIfAbsent(ctx, shop.ID, []ritorno.Product{imported(8, "renamed")}); err != nil || n != 0 {
			t.Fatalf("second import added %d, %v", n, err)
		}
		if p, _ := db.Product(ctx, shop.ID, 8); p.Title != "Heart holder" {
			t.Errorf("second import replaced the entry: %q", p.Title)
		}
		// The platform's product 8, even one last updated long ago, replaces the entry.
		platform := sampleProduct(8)
		platform.PlatformUpdatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		if applied, err := db.UpsertProduct(ctx, shop.ID, platform); err != nil || !applied {
			t.Fatalf("platform upsert over an imported entry: applied %v, %v", applied, err)
		}
		if p, _ := db.Product(ctx, shop.ID, 8); p.Title != "Coffee beans" || len(p.Variants) != 2 {
			t.Errorf("after the platform's version: %q with %d variants", p.Title, len(p.Variants))
		}
		if _, err := db.AddProductsIfAbsent(ctx, shop.ID, []ritorno.Product{imported(0, "no id")}); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("product id 0: %v, want EINVALID", err)
		}
	})
}
