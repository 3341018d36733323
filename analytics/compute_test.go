package analytics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func mustInsightShop(t *testing.T, db *store.DB, domain string) ritorno.Shop {
	t.Helper()
	shop, err := db.CreateShop(context.Background(), ritorno.Shop{Platform: ritorno.Shopify, Domain: domain,
		Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

func eur(minor int64) ritorno.Money { return ritorno.Money{Amount: minor, Currency: "EUR"} }

func order(id int64, buyer ritorno.Buyer, at time.Time, total int64) ritorno.Order {
	return ritorno.Order{PlatformID: id, Name: fmt.Sprint("#", id), Buyer: buyer, Currency: "EUR",
		Subtotal: eur(total), TotalDiscounts: eur(0), TotalTax: eur(0), TotalShipping: eur(0), Total: eur(total),
		RefundedAmount: eur(0), FinancialStatus: ritorno.FinancialPaid, ProcessedAt: at, PlatformCreatedAt: at, PlatformUpdatedAt: at}
}

// TestComputeStoresInsightsFromStoredOrders runs a computation on real storage: only
// orders that count enter it, guests are buyers of their own, a shop with few repeat
// buyers gets no prediction (and says why), and the scheduler recomputes a shop when an
// order changes.
func TestComputeStoresInsightsFromStoredOrders(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "insights.myshopify.com")
		other := mustInsightShop(t, db, "other-insights.myshopify.com")
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
		guest := ritorno.BuyerFor(0, "guest@example.com")
		test := order(9, ritorno.BuyerFor(1, ""), day(1), 99999)
		test.Test = true
		cancelled := order(10, ritorno.BuyerFor(1, ""), day(1), 99999)
		cancelled.CancelledAt = day(1)
		refunded := order(11, ritorno.BuyerFor(2, ""), day(3), 4000)
		refunded.RefundedAmount = eur(1000)
		orders := []ritorno.Order{
			order(1, ritorno.BuyerFor(1, ""), day(100), 2000), order(2, ritorno.BuyerFor(1, ""), day(40), 3000),
			order(3, ritorno.BuyerFor(1, ""), day(5), 1000), refunded, order(4, guest, day(200), 500),
			order(5, ritorno.BuyerFor(0, ""), day(2), 700), test, cancelled,
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertOrders(ctx, other.ID, []ritorno.Order{order(1, ritorno.BuyerFor(1, ""), day(1), 123456)}); err != nil {
			t.Fatal(err)
		}

		ins, stages, err := analytics.Compute(ctx, db, shop.ID, analytics.ComputeOptions{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		if ins.Customers != 3 || ins.Orders != 6 || !ins.Fallback || len(ins.Notes) == 0 || ins.HorizonDays != 365 || stages.Total() <= 0 {
			t.Fatalf("shop insight = %+v", ins)
		}
		c1, err := db.CustomerInsight(ctx, shop.ID, 1)
		if err != nil || c1.Orders != 3 || c1.NetSpent != eur(6000) || c1.AOV != eur(2000) || c1.RecencyDays != 5 ||
			c1.MeanDaysBetween != 47.5 || c1.Predicted || c1.CustomerPlatformID != 1 || c1.Segment == "" {
			t.Fatalf("customer 1 = %+v, %v", c1, err)
		}
		if c2, _ := db.CustomerInsight(ctx, shop.ID, 2); c2.NetSpent != eur(3000) || c2.Orders != 1 {
			t.Errorf("customer 2 (refunded order) = %+v", c2)
		}
		g, err := db.CustomerInsight(ctx, shop.ID, ritorno.BuyerKey(guest))
		if err != nil || g.CustomerPlatformID != 0 || g.Orders != 1 || g.Key >= 0 {
			t.Errorf("guest = %+v, %v", g, err)
		}
		if list, total, err := db.ListCustomerInsights(ctx, shop.ID, store.InsightFilter{Sort: "spent"}); err != nil || total != 3 || list[0].Key != 1 {
			t.Errorf("list by spent = %+v (%d), %v", list, total, err)
		}
		segs, err := db.SegmentSummaries(ctx, shop.ID, "EUR")
		var n int64
		for _, s := range segs {
			n += s.Customers
		}
		if err != nil || n != 3 {
			t.Errorf("segments = %+v, %v", segs, err)
		}
		if _, err := db.CustomerInsight(ctx, other.ID, 2); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("the other shop got insights: %v", err)
		}

		// The scheduler: both shops are due at first; after computing, neither is; a changed
		// order makes its shop due again.
		sched := &analytics.Scheduler{Store: db, Options: analytics.ComputeOptions{Now: time.Now}, MaxAge: time.Hour}
		if err := sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{shop.ID, other.ID} {
			if ins, err := db.ShopInsight(ctx, id); err != nil || ins.ComputedAt.IsZero() {
				t.Fatalf("shop %d after the first tick: %+v, %v; want computed", id, ins, err)
			}
		}
		if ids, err := db.ShopsNeedingInsights(ctx, time.Now().Add(-time.Hour)); err != nil || len(ids) != 0 {
			t.Fatalf("due after computing: %v, %v", ids, err)
		}
		time.Sleep(2 * time.Millisecond) // the next write must be later than the computation at microsecond precision
		later := order(3, ritorno.BuyerFor(1, ""), day(5), 1500)
		later.PlatformUpdatedAt = later.PlatformUpdatedAt.Add(time.Hour)
		if _, err := db.UpsertOrder(ctx, shop.ID, later); err != nil {
			t.Fatal(err)
		}
		if ids, err := db.ShopsNeedingInsights(ctx, time.Now().Add(-time.Hour)); err != nil || len(ids) != 1 || ids[0] != shop.ID {
			t.Fatalf("due after an order changed: %v, %v", ids, err)
		}
	})
}

// TestComputePredictsWithEnoughRepeatBuyers gives a shop enough repeat buyers for the
// models: every buyer then has a prediction in range.
func TestComputePredictsWithEnoughRepeatBuyers(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "predict.myshopify.com")
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		rng := rand.New(rand.NewPCG(1, 2))
		var orders []ritorno.Order
		id := int64(1)
		for c := int64(1); c <= 300; c++ {
			at := now.AddDate(0, 0, -rng.IntN(360)-5)
			for at.Before(now) {
				orders = append(orders, order(id, ritorno.BuyerFor(c, ""), at, 1000+rng.Int64N(9000)))
				id++
				if rng.Float64() < 0.3 {
					break // dropped out
				}
				at = at.AddDate(0, 0, 5+rng.IntN(60))
			}
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		ins, _, err := analytics.Compute(ctx, db, shop.ID, analytics.ComputeOptions{Now: func() time.Time { return now }, DiscountRate: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		if ins.Fallback || ins.Customers != 300 || ins.Model == "" {
			t.Fatalf("shop insight = %+v", ins)
		}
		list, _, err := db.ListCustomerInsights(ctx, shop.ID, store.InsightFilter{Limit: 500})
		if err != nil || len(list) != 300 {
			t.Fatalf("%d insights, %v", len(list), err)
		}
		for _, c := range list {
			if !c.Predicted || c.PAlive < 0 || c.PAlive > 1 || c.ExpectedPurchases < 0 || c.ExpectedValue.Amount < 0 || c.ExpectedValue.Currency != "EUR" {
				t.Fatalf("customer %d: %+v", c.Key, c)
			}
		}
		if list[0].ExpectedValue.Amount < list[len(list)-1].ExpectedValue.Amount {
			t.Errorf("not sorted by value: %v … %v", list[0].ExpectedValue, list[len(list)-1].ExpectedValue)
		}
	})
}
