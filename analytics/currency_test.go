package analytics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// inCurrency is order() in another currency than the shop's EUR.
func inCurrency(o ritorno.Order, currency string) ritorno.Order {
	for _, m := range []*ritorno.Money{&o.Subtotal, &o.TotalDiscounts, &o.TotalTax, &o.TotalShipping, &o.Total, &o.RefundedAmount} {
		m.Currency = currency
	}
	o.Currency, o.PresentmentCurrency = currency, currency
	return o
}

// TestOtherCurrenciesAreLeftOutAndReported: orders in another currency than the shop's
// are never relabelled as the shop's: every figure (KPIs, cohorts, per-buyer insights and
// their models, incremental updates) leaves them out, and says how many were left out
// and for how much, per currency, in their own currency.
func TestOtherCurrenciesAreLeftOutAndReported(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "currencies.myshopify.com") // EUR
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
		one, two := ritorno.BuyerFor(1, ""), ritorno.BuyerFor(2, "")
		orders := []ritorno.Order{
			order(1, one, day(20), 2000), order(2, one, day(10), 3000),
			inCurrency(order(3, one, day(15), 11336609), "GBP"), inCurrency(order(4, two, day(12), 500), "GBP"),
			inCurrency(order(5, two, day(11), 700), "USD"),
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		want := []ritorno.CurrencyTotal{{Orders: 2, Net: ritorno.Money{Amount: 11337109, Currency: "GBP"}}, {Orders: 1, Net: ritorno.Money{Amount: 700, Currency: "USD"}}}
		sameTotals := func(what string, got []ritorno.CurrencyTotal) {
			t.Helper()
			if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("%s: other currencies = %+v, want %+v", what, got, want)
			}
		}

		svc := analytics.NewService(db, func() time.Time { return now })
		fig, err := svc.Period(ctx, shop.ID, day(30), now, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if fig.Orders != 2 || fig.Revenue != eur(5000) {
			t.Errorf("period: %d orders, revenue %s; want 2 orders, 50.00 EUR (the EUR orders only)", fig.Orders, fig.Revenue)
		}
		sameTotals("period", fig.OtherCurrencies)
		cohorts, err := svc.Cohorts(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTotals("cohorts", cohorts.OtherCurrencies)
		for _, co := range cohorts.Cohorts {
			if co.Customers != 1 {
				t.Errorf("cohort %s has %d customers; buyer 2 paid only in GBP and USD", co.Month, co.Customers)
			}
		}

		ins, _, err := analytics.Compute(ctx, db, shop.ID, analytics.ComputeOptions{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		if ins.Customers != 1 || ins.Orders != 2 {
			t.Errorf("insight: %d customers, %d orders; want 1 and 2", ins.Customers, ins.Orders)
		}
		notes := strings.Join(ins.Notes, "\n")
		for _, w := range []string{"2 orders in GBP (113371.09 GBP net) left out", "1 order in USD (7.00 USD net) left out", "currency is EUR"} {
			if !strings.Contains(notes, w) {
				t.Errorf("notes lack %q:\n%s", w, notes)
			}
		}
		c1, err := db.CustomerInsight(ctx, shop.ID, 1)
		if err != nil || c1.Orders != 2 || c1.NetSpent != eur(5000) {
			t.Errorf("customer 1 = %+v, %v; want 2 orders, 50.00 EUR", c1, err)
		}
		if _, err := db.CustomerInsight(ctx, shop.ID, 2); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("customer 2 (GBP and USD only) has insights: %v", err)
		}

		// An incremental update leaves the new GBP order of buyer 1 out too.
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{inCurrency(order(6, one, day(1), 90000), "GBP")}); err != nil {
			t.Fatal(err)
		}
		u, err := analytics.UpdateBuyers(ctx, db, shop.ID, analytics.ComputeOptions{Now: func() time.Time { return now }, FullShare: 10})
		if err != nil || u.Full {
			t.Fatalf("update = %+v, %v; want an incremental update", u, err)
		}
		if c1, err := db.CustomerInsight(ctx, shop.ID, 1); err != nil || c1.Orders != 2 || c1.NetSpent != eur(5000) {
			t.Errorf("customer 1 after a GBP order = %+v, %v; want still 2 orders, 50.00 EUR", c1, err)
		}
	})
}
