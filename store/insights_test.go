package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestReplaceInsightsRoundTrip stores every field of an insight (on PostgreSQL through
// COPY's binary encoding, whose column types must match the table's exactly) and reads it
// back; a second computation replaces the first entirely; a missing shop is ENOTFOUND.
func TestReplaceInsightsRoundTrip(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "insights-roundtrip.myshopify.com")
		at := time.Date(2026, 3, 31, 23, 59, 58, 123456000, time.UTC)
		gbp := func(a int64) ritorno.Money { return ritorno.Money{Amount: a, Currency: "GBP"} }
		full := ritorno.CustomerInsight{ShopID: shop.ID, Key: 77, CustomerPlatformID: 77, Orders: 2147483000,
			NetSpent: gbp(-12), AOV: gbp(9_000_000_000_000), FirstOrder: at.AddDate(-1, 0, 0), LastOrder: at,
			MeanDaysBetween: 12.345678901234, RecencyDays: 1 << 40, R: 5, F: 1, M: 3, Segment: "at_risk",
			Predicted: true, PAlive: 0.1 + 0.2, ExpectedPurchases: 1e-300, ExpectedValue: gbp(4321),
			NextOrder: at.Add(36 * time.Hour), ComputedAt: at}
		guest := ritorno.CustomerInsight{ShopID: shop.ID, Key: -5, Orders: 1, NetSpent: gbp(100), AOV: gbp(100),
			FirstOrder: at, LastOrder: at, Segment: "new", ExpectedValue: gbp(0), ComputedAt: at}
		info := ritorno.ShopInsight{ShopID: shop.ID, ComputedAt: at, Seconds: 1.5, Customers: 2, Orders: 3,
			HorizonDays: 365, Model: `{"fallback":false}`, Notes: []string{"one", "two"}}
		if err := db.ReplaceInsights(ctx, shop.ID, info, []ritorno.CustomerInsight{full, guest}); err != nil {
			t.Fatal(err)
		}
		got, err := db.CustomerInsight(ctx, shop.ID, 77)
		if err != nil {
			t.Fatal(err)
		}
		if !sameInsight(got, full) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, full)
		}
		if g, err := db.CustomerInsight(ctx, shop.ID, -5); err != nil || !sameInsight(g, guest) || !g.NextOrder.IsZero() {
			t.Errorf("guest read back %+v, %v", g, err)
		}
		si, err := db.ShopInsight(ctx, shop.ID)
		if err != nil || !si.ComputedAt.Equal(at) || si.Seconds != 1.5 || si.Customers != 2 || si.Model != info.Model || len(si.Notes) != 2 {
			t.Errorf("shop insight %+v, %v", si, err)
		}

		later := info
		later.ComputedAt, later.Customers, later.Notes = at.Add(time.Hour), 1, nil
		if err := db.ReplaceInsights(ctx, shop.ID, later, []ritorno.CustomerInsight{guest}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CustomerInsight(ctx, shop.ID, 77); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("a buyer of the previous computation: %v, want ENOTFOUND", err)
		}
		if si, _ := db.ShopInsight(ctx, shop.ID); si.Customers != 1 || len(si.Notes) != 0 {
			t.Errorf("replaced shop insight %+v", si)
		}
		if err := db.ReplaceInsights(ctx, shop.ID+1000, info, []ritorno.CustomerInsight{guest}); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("unknown shop: %v, want ENOTFOUND", err)
		}
	})
}

func sameInsight(a, b ritorno.CustomerInsight) bool {
	times := a.FirstOrder.Equal(b.FirstOrder) && a.LastOrder.Equal(b.LastOrder) && a.NextOrder.Equal(b.NextOrder) && a.ComputedAt.Equal(b.ComputedAt)
	a.FirstOrder, a.LastOrder, a.NextOrder, a.ComputedAt = b.FirstOrder, b.LastOrder, b.NextOrder, b.ComputedAt
	return times && a == b
}
