package store_test

import (
	"context"
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
