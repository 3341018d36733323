package store_test

import (
	"context"
	"reflect"
	"slices"
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

func TestProductUpsertReplacesVariants(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		p := sampleProduct(7)
		if _, err := db.UpsertProduct(ctx, shop.ID, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.Product(ctx, shop.ID, 7)
		p.ShopID = shop.ID
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("Product = %+v, %v\nwant %+v", got, err, p)
		}
		p.Variants = p.Variants[1:]
		p.PlatformUpdatedAt = p.PlatformUpdatedAt.Add(time.Minute)
		if _, err := db.UpsertProduct(ctx, shop.ID, p); err != nil {
			t.Fatal(err)
		}
		list, err := db.ListProducts(ctx, shop.ID, 0, 10)
		if err != nil || len(list) != 1 || len(list[0].Variants) != 1 || list[0].Variants[0].SKU != "B-1000" {
			t.Fatalf("ListProducts = %+v, %v", list, err)
		}
		if !list[0].Variants[0].InStock() || !list[0].IsSellable() {
			t.Fatal("a variant sold when out of stock must count as in stock")
		}
	})
}

// TestProductByReference: an operator names a product by platform id, handle or SKU; shop
// B never finds shop A's product; an unknown reference is ENOTFOUND.
func TestProductByReference(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		other := mustShop(t, db, "beta.myshopify.com")
		if _, err := db.UpsertProduct(ctx, shop.ID, sampleProduct(7)); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"7", "coffee-beans", "B-1000", " B-250 "} {
			if p, err := db.ProductByReference(ctx, shop.ID, ref); err != nil || p.PlatformID != 7 || len(p.Variants) != 2 {
				t.Errorf("ProductByReference(%q) = %d, %v; want product 7", ref, p.PlatformID, err)
			}
			if _, err := db.ProductByReference(ctx, other.ID, ref); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
				t.Errorf("shop B found shop A's product by %q: %v", ref, err)
			}
		}
		for _, ref := range []string{"8", "85123A", "coffee", "b-1000"} {
			if _, err := db.ProductByReference(ctx, shop.ID, ref); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
				t.Errorf("ProductByReference(%q) = %v, want ENOTFOUND", ref, err)
			}
		}
		if _, err := db.ProductByReference(ctx, shop.ID, " "); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("empty reference: %v, want EINVALID", err)
		}
		if _, err := db.UpsertOrder(ctx, shop.ID, sampleOrder(1001, 42)); err != nil {
			t.Fatal(err)
		}
		sold := sampleOrder(1001, 42).LineItems[0].ProductPlatformID
		for _, c := range []struct {
			shopID, product int64
			want            bool
		}{{shop.ID, sold, true}, {shop.ID, sold + 1000, false}, {other.ID, sold, false}} {
			if got, err := db.ProductSold(ctx, c.shopID, c.product); err != nil || got != c.want {
				t.Errorf("ProductSold(shop %d, %d) = %v, %v; want %v", c.shopID, c.product, got, err, c.want)
			}
		}
	})
}

// TestListProductsPagesAWholeCatalog walks a catalog larger than a page with ListProducts,
// as a full rebuild loads it.
func TestListProductsPagesAWholeCatalog(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "big-catalog.myshopify.com")
		const n = 2300
		products := make([]ritorno.Product, n)
		for i := range products {
			products[i] = sampleProduct(int64(i + 1))
		}
		for part := range slices.Chunk(products, 500) {
			if _, err := db.UpsertProducts(ctx, shop.ID, part); err != nil {
				t.Fatal(err)
			}
		}
		seen, after, pages := 0, int64(0), 0
		for {
			page, err := db.ListProducts(ctx, shop.ID, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			pages++
			for _, p := range page {
				if p.PlatformID != after+1 || !reflect.DeepEqual(p.Variants, sampleProduct(p.PlatformID).Variants) {
					t.Fatalf("product %d after %d with variants %+v", p.PlatformID, after, p.Variants)
				}
				after = p.PlatformID
				seen++
			}
		}
		if seen != n || pages != 3 {
			t.Fatalf("%d products in %d pages, want %d in 3", seen, pages, n)
		}
	})
}
