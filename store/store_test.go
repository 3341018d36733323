package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func TestShopRoundTripAndCredentialsSealed(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		if shop.ID == 0 || shop.CreatedAt.IsZero() {
			t.Fatalf("created shop lacks id or time: %+v", shop)
		}
		got, err := db.Shop(ctx, shop.ID)
		if err != nil || !reflect.DeepEqual(got, shop) {
			t.Fatalf("Shop = %+v, %v\nwant %+v", got, err, shop)
		}
		if byDomain, err := db.ShopByDomain(ctx, ritorno.Shopify, "alpha.myshopify.com"); err != nil || byDomain.ID != shop.ID {
			t.Fatalf("ShopByDomain = %+v, %v", byDomain, err)
		}
		if _, err := db.ShopByDomain(ctx, ritorno.WooCommerce, "alpha.myshopify.com"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("ShopByDomain on the wrong platform: %v, want not found", err)
		}
		if _, err := db.CreateShop(ctx, shop, ritorno.ShopCredentials{}); ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			t.Fatalf("duplicate shop: %v, want conflict", err)
		}

		creds, err := db.Credentials(ctx, shop.ID)
		if err != nil || creds.AccessToken != "shpat_alpha.myshopify.com" || creds.Scopes != "read_orders" {
			t.Fatalf("Credentials = %+v, %v", creds, err)
		}
		want := ritorno.ShopCredentials{AccessToken: "shpat_NEWSECRET", RefreshToken: "shprt_REFRESHSECRET", AccessTokenExpiresAt: t0.Add(time.Hour),
			RefreshTokenExpiresAt: t0.Add(90 * 24 * time.Hour), Scopes: "read_orders,read_customers"}
		if err := db.SetCredentials(ctx, shop.ID, want); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Credentials(ctx, shop.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("after SetCredentials = %+v, %v", got, err)
		}
		// At rest, no secret is readable: scan every text column of the row.
		if raw := storetest.AllRows(t, db, "shop_credentials", shop.ID); strings.Contains(raw, "NEWSECRET") || strings.Contains(raw, "REFRESHSECRET") {
			t.Fatalf("a secret is stored in clear: %s", raw)
		}
	})
}

func TestWooCommerceShopByConnectionKey(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: "https://shop.example",
			Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome", ConnectionKey: "ck-abc"},
			ritorno.ShopCredentials{ConsumerKey: "ck_1", ConsumerSecret: "cs_1", WebhookSecret: "whsec"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.ShopByConnectionKey(ctx, "ck-abc")
		if err != nil || got.ID != shop.ID {
			t.Fatalf("ShopByConnectionKey = %+v, %v", got, err)
		}
		if _, err := db.ShopByConnectionKey(ctx, ""); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("empty key: %v", err)
		}
		// A key or domain PostgreSQL cannot compare (from a URL path, say) is not found, not
		// a failure (issue 13, defect 5).
		for _, bad := range []string{"\x00", "ck-abc\x00", "\xff\xfe", "ck-\xc3"} {
			if _, err := db.ShopByConnectionKey(ctx, bad); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
				t.Fatalf("key %q: %v", bad, err)
			}
			if _, err := db.ShopByDomain(ctx, ritorno.WooCommerce, "https://"+bad+".example"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
				t.Fatalf("domain with %q: %v", bad, err)
			}
		}
		// Two Shopify shops have no connection key: NULLs must not collide on the unique key.
		mustShop(t, db, "one.myshopify.com")
		mustShop(t, db, "two.myshopify.com")
	})
}

func TestCustomerUpsertKeepsNewest(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		c := sampleCustomer(42)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil || !applied {
			t.Fatalf("first upsert = %v, %v", applied, err)
		}
		got, err := db.Customer(ctx, shop.ID, 42)
		c.ShopID, c.EmailHash = shop.ID, ritorno.HashEmail(c.Email)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("Customer = %+v, %v\nwant %+v", got, err, c)
		}
		older := c
		older.FirstName, older.PlatformUpdatedAt = "Stale", c.PlatformUpdatedAt.Add(-time.Minute)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, older); err != nil || applied {
			t.Fatalf("older upsert = %v, %v; want ignored", applied, err)
		}
		same := c
		if applied, err := db.UpsertCustomer(ctx, shop.ID, same); err != nil || !applied {
			t.Fatalf("replayed upsert = %v, %v; want applied (idempotent)", applied, err)
		}
		newer := c
		newer.FirstName, newer.PlatformUpdatedAt = "Augusta", c.PlatformUpdatedAt.Add(time.Second)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, newer); err != nil || !applied {
			t.Fatalf("newer upsert = %v, %v", applied, err)
		}
		if got, _ := db.Customer(ctx, shop.ID, 42); got.FirstName != "Augusta" {
			t.Fatalf("after newer upsert FirstName = %q", got.FirstName)
		}
		if _, err := db.UpsertCustomer(ctx, shop.ID, ritorno.Customer{}); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("customer without id: %v", err)
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

func TestOrderRoundTripAndStaleness(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		o := sampleOrder(1001, 42)
		if applied, err := db.UpsertOrder(ctx, shop.ID, o); err != nil || !applied {
			t.Fatalf("UpsertOrder = %v, %v", applied, err)
		}
		got, err := db.Order(ctx, shop.ID, 1001)
		o.ShopID = shop.ID
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("Order = %+v, %v\nwant %+v", got, err, o)
		}
		if net := got.NetTotal(); net != usd("58.88") {
			t.Fatalf("NetTotal = %v", net)
		}

		stale := o
		stale.Refunds, stale.RefundedAmount, stale.PlatformUpdatedAt = nil, usd("0"), o.PlatformUpdatedAt.Add(-time.Hour)
		if applied, err := db.UpsertOrder(ctx, shop.ID, stale); err != nil || applied {
			t.Fatalf("stale UpsertOrder = %v, %v; want ignored", applied, err)
		}
		if got, _ := db.Order(ctx, shop.ID, 1001); len(got.Refunds) != 1 {
			t.Fatal("a stale payload removed the refund")
		}

		guest := sampleOrder(1002, 0)
		guest.PlatformUpdatedAt = time.Time{}
		if _, err := db.UpsertOrder(ctx, shop.ID, guest); err != nil {
			t.Fatal(err)
		}
		byCustomer, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{Buyer: ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: 42}})
		if err != nil || len(byCustomer) != 1 || byCustomer[0].PlatformID != 1001 {
			t.Fatalf("orders of customer 42 = %+v, %v", byCustomer, err)
		}
		byGuest, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{Buyer: guest.Buyer})
		if err != nil || len(byGuest) != 1 || byGuest[0].PlatformID != 1002 || len(byGuest[0].LineItems) != 2 {
			t.Fatalf("orders of the guest = %+v, %v", byGuest, err)
		}
		page, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{After: 1001, Limit: 5})
		if err != nil || len(page) != 1 || page[0].PlatformID != 1002 {
			t.Fatalf("second page = %+v, %v", page, err)
		}

		bad := sampleOrder(1003, 42)
		bad.Total = ritorno.MustParseMoney("1", "EUR")
		if _, err := db.UpsertOrder(ctx, shop.ID, bad); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("mixed currencies: %v, want invalid", err)
		}
	})
}

func TestDeleteShopRemovesEverything(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := mustShop(t, db, "alpha.myshopify.com")
		b := mustShop(t, db, "beta.myshopify.com")
		for _, s := range []ritorno.Shop{a, b} {
			if _, err := db.UpsertCustomer(ctx, s.ID, sampleCustomer(42)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpsertProduct(ctx, s.ID, sampleProduct(7)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpsertOrder(ctx, s.ID, sampleOrder(1001, 42)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.StartBackfill(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
			ins := ritorno.CustomerInsight{Key: 42, Orders: 1, NetSpent: ritorno.MustParseMoney("1", "EUR"), AOV: ritorno.MustParseMoney("1", "EUR"), Segment: "new"}
			if err := db.ReplaceInsights(ctx, s.ID, ritorno.ShopInsight{}, []ritorno.CustomerInsight{ins}); err != nil {
				t.Fatal(err)
			}
			if err := db.SetRecommendControls(ctx, s.ID, ritorno.RecommendControls{Pins: map[int64][]int64{7: {8}}}); err != nil {
				t.Fatal(err)
			}
			if err := db.RedactCustomer(ctx, s.ID, 0, "gone@example.com", nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteShop(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range storetest.ShopTables {
			if n := storetest.CountRows(t, db, table, a.ID); n != 0 {
				t.Errorf("%s still has %d rows of the deleted shop", table, n)
			}
			if n := storetest.CountRows(t, db, table, b.ID); n == 0 {
				t.Errorf("%s lost the other shop's rows", table)
			}
		}
		if err := db.DeleteShop(ctx, a.ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestOpenRefusesBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "postgres://%zz"} {
		_, err := store.Open(context.Background(), dsn, storetest.Cipher(t))
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error echoes the URL: %v", dsn, err)
		}
	}
	_, err := store.Open(context.Background(), "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", storetest.Cipher(t))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable database: %v (must fail without echoing the password)", err)
	}
}

// TestGuestMergeUnderConcurrency races a guest order against the account created with the
// same address, many times: whichever commits first, the order must end as the customer's.
func TestGuestMergeUnderConcurrency(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "race.myshopify.com")
		const n = 30
		var wg sync.WaitGroup
		for i := range n {
			email := fmt.Sprintf("buyer%d@example.com", i)
			o := sampleOrder(int64(5000+i), 0)
			o.Buyer = ritorno.BuyerFor(0, email)
			c := sampleCustomer(int64(700 + i))
			c.Email = email
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := db.UpsertOrder(ctx, shop.ID, o); err != nil {
					t.Error(err)
				}
			}()
			go func() {
				defer wg.Done()
				if _, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i := range n {
			o, err := db.Order(ctx, shop.ID, int64(5000+i))
			if err != nil || o.Buyer.Kind != ritorno.BuyerCustomer || o.Buyer.CustomerPlatformID != int64(700+i) {
				t.Fatalf("order %d ended as %+v, %v; want customer %d", 5000+i, o.Buyer, err, 700+i)
			}
		}
	})
}
