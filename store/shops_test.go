package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestSetShopCurrency: a shop's currency can be corrected (validated); its orders keep
// their own currency; its insights, summed in the old currency, go; another shop's stay.
func TestSetShopCurrency(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := mustShop(t, db, "currency-a.myshopify.com"), mustShop(t, db, "currency-b.myshopify.com")
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, s := range []ritorno.Shop{a, b} {
			ins := ritorno.CustomerInsight{ShopID: s.ID, Key: 7, CustomerPlatformID: 7, Orders: 1, NetSpent: usd("5.00"), AOV: usd("5.00"),
				FirstOrder: at, LastOrder: at, Segment: "new", ExpectedValue: usd("0"), ComputedAt: at}
			if err := db.ReplaceInsights(ctx, s.ID, ritorno.ShopInsight{ShopID: s.ID, ComputedAt: at, Customers: 1, Orders: 1}, []ritorno.CustomerInsight{ins}); err != nil {
				t.Fatal(err)
			}
		}
		o := sampleOrder(1, 7)
		if _, err := db.UpsertOrders(ctx, a.ID, []ritorno.Order{o}); err != nil {
			t.Fatal(err)
		}

		for _, bad := range []string{"", "gbp", "EURO", "€"} {
			if _, err := db.SetShopCurrency(ctx, a.ID, bad); ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("currency %q: %v, want EINVALID", bad, err)
			}
		}
		if _, err := db.SetShopCurrency(ctx, 999999, "GBP"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("unknown shop: %v, want ENOTFOUND", err)
		}
		got, err := db.SetShopCurrency(ctx, a.ID, "GBP")
		if err != nil || got.Currency != "GBP" || got.ID != a.ID {
			t.Fatalf("set = %+v, %v", got, err)
		}
		if s, _ := db.Shop(ctx, a.ID); s.Currency != "GBP" {
			t.Errorf("stored currency = %q", s.Currency)
		}
		if stored, err := db.Order(ctx, a.ID, 1); err != nil || stored.Currency != o.Currency || stored.Total != o.Total {
			t.Errorf("order after the change = %s %s, %v; want its own %s", stored.Currency, stored.Total, err, o.Total)
		}
		if _, err := db.ShopInsight(ctx, a.ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("shop A's insights in the old currency remain: %v", err)
		}
		if _, err := db.CustomerInsight(ctx, a.ID, 7); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("shop A's buyer insights in the old currency remain: %v", err)
		}
		if _, err := db.CustomerInsight(ctx, b.ID, 7); err != nil {
			t.Errorf("shop B's insights went with A's currency change: %v", err)
		}
		if s, _ := db.Shop(ctx, b.ID); s.Currency != "USD" {
			t.Errorf("shop B's currency = %q", s.Currency)
		}
	})
}

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
