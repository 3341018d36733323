package store_test

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

// Orders stored with impossible times before the adapters mended them (year 9999, year
// 1700) must not fail the shop's figures: they are left out and counted, and KPIs and
// cohorts compute from the others. (An order with no time at all is passed over by the
// store's reader already.)
func TestAnalyticsSurviveStoredOutOfRangeOrders(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "times.myshopify.com")
		good := sampleOrder(1, 42)
		var bad []ritorno.Order
		for i, at := range []time.Time{
			time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			o := sampleOrder(int64(10+i), 43+int64(i))
			o.ProcessedAt, o.PlatformCreatedAt = at, at
			bad = append(bad, o)
		}
		// Straight into the store, as older versions did: the store itself keeps them.
		if _, err := db.UpsertOrders(ctx, shop.ID, append([]ritorno.Order{good}, bad...)); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(30 * 24 * time.Hour)
		svc := analytics.NewService(db, func() time.Time { return now })
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		fig, err := svc.Period(ctx, shop.ID, from, from.AddDate(0, 1, 0), time.Time{})
		if err != nil {
			t.Fatalf("KPIs: %v", err)
		}
		if fig.Orders != 1 || fig.Revenue != good.NetTotal() || fig.SkippedOrders != len(bad) {
			t.Errorf("KPIs: %d orders, revenue %v, %d skipped; want 1, %v, %d", fig.Orders, fig.Revenue, fig.SkippedOrders, good.NetTotal(), len(bad))
		}
		table, err := svc.Cohorts(ctx, shop.ID)
		if err != nil {
			t.Fatalf("cohorts: %v", err)
		}
		if len(table.Cohorts) != 1 || table.Cohorts[0].Customers != 1 || table.SkippedOrders != len(bad) {
			t.Errorf("cohorts: %+v", table)
		}
		// The per-buyer computation (insights, models) skips them as well.
		if _, _, err := analytics.Compute(ctx, db, shop.ID, analytics.ComputeOptions{Now: func() time.Time { return now }}); err != nil {
			t.Fatalf("compute: %v", err)
		}
	})
}

// Text the database refuses, written past the edge's mending: stored (SQLite) or refused
// as EINVALID, which fails a delivery at once (PostgreSQL), never an internal error that
// is retried for 17 minutes.
func TestRefusedTextIsInvalidNotInternal(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "nul.myshopify.com")
		check := func(what string, err error) {
			t.Helper()
			if err != nil && ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("%s: %v (code %s), want stored or EINVALID", what, err, ritorno.ErrorCode(err))
			}
			if err != nil && strings.Contains(err.Error(), "\x00") {
				t.Errorf("%s: the error carries the value", what)
			}
		}
		c := sampleCustomer(51)
		c.FirstName = "A\x00da"
		_, err := db.UpsertCustomer(ctx, shop.ID, c)
		check("customer name", err)

		o := sampleOrder(52, 51)
		o.Name, o.Tags = "#10\x0001", []string{"v\x00ip"}
		_, err = db.UpsertOrder(ctx, shop.ID, o)
		check("order name", err)
		_, err = db.UpsertOrders(ctx, shop.ID, []ritorno.Order{o})
		check("order batch", err)

		p := sampleProduct(53)
		p.Title = "Coffee\x00 beans"
		_, err = db.UpsertProduct(ctx, shop.ID, p)
		check("product title", err)

		// The store still works for the shop afterwards.
		if _, err := db.UpsertCustomer(ctx, shop.ID, sampleCustomer(55)); err != nil {
			t.Fatal(err)
		}
	})
}

// last_error keeps at most store.MaxLastError bytes, cut at a character boundary.
func TestFinishDeliveryBoundsLastError(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "bound.myshopify.com")
		id, _, err := db.RecordDelivery(ctx, ritorno.Delivery{Platform: ritorno.Shopify, ShopDomain: shop.Domain, ShopID: shop.ID,
			Topic: "orders/create", Body: []byte(`{}`), Status: ritorno.DeliveryPending})
		if err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDeliveries(ctx, 10, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %v, %v", claimed, err)
		}
		long := "é\x00" + strings.Repeat("ü", 100_000)
		if _, err := db.FinishDelivery(ctx, id, claimed[0].Attempts, ritorno.DeliveryFailed, long, time.Time{}); err != nil {
			t.Fatal(err)
		}
		d, err := db.Delivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.LastError) > store.MaxLastError || len(d.LastError) < store.MaxLastError-4 || !strings.HasPrefix(d.LastError, "éü") ||
			!strings.HasSuffix(d.LastError, "…") || strings.ContainsRune(d.LastError, '\uFFFD') {
			t.Errorf("last_error of %d bytes: %.40q…", len(d.LastError), d.LastError)
		}
	})
}
