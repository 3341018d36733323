package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// mustTick returns an instant that separates the writes before the call from those after
// it at the stores' microsecond precision: earlier stamps are before it, later ones not.
// It polls the clock (for at most a microsecond or so) rather than sleeping.
func mustTick(t *testing.T) time.Time {
	t.Helper()
	mark := time.Now().UTC().Truncate(time.Microsecond).Add(time.Microsecond)
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(mark) {
		if time.Now().After(deadline) {
			t.Fatal("the clock does not advance")
		}
	}
	return mark
}

func mustStoreOrders(t *testing.T, db *store.DB, shopID int64, orders ...ritorno.Order) {
	t.Helper()
	if _, err := db.UpsertOrders(context.Background(), shopID, orders); err != nil {
		t.Fatal(err)
	}
}

// paidOrder is a paid order of buyer at placed, without children.
func paidOrder(id int64, buyer ritorno.Buyer, placed time.Time, total string) ritorno.Order {
	return ritorno.Order{PlatformID: id, Name: fmt.Sprintf("#%d", id), Buyer: buyer, Currency: "USD",
		Subtotal: usd(total), TotalDiscounts: usd("0"), TotalTax: usd("0"), TotalShipping: usd("0"), Total: usd(total),
		RefundedAmount: usd("0"), FinancialStatus: ritorno.FinancialPaid, PlatformCreatedAt: placed, ProcessedAt: placed,
		PlatformUpdatedAt: placed}
}

func buyerKeys(bs []ritorno.Buyer) []int64 {
	keys := make([]int64, len(bs))
	for i, b := range bs {
		keys[i] = ritorno.BuyerKey(b)
	}
	slices.Sort(keys)
	return keys
}

// TestChangedBuyersSeesEveryKindOfChange: after a mark, a new order, a cancellation, a
// refund, a deletion, a redaction and a guest adopted by a new account each name their
// buyers (the adopted guest too, whose row must go); untouched buyers are not named; the
// window counts what the read saw from its start.
func TestChangedBuyersSeesEveryKindOfChange(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "changed-buyers.myshopify.com")
		guest, adopted := ritorno.BuyerFor(0, "guest@example.com"), ritorno.BuyerFor(0, "later@example.com")
		mustStoreOrders(t, db, shop.ID,
			paidOrder(1, ritorno.BuyerFor(1, ""), t0, "10.00"), paidOrder(2, ritorno.BuyerFor(2, ""), t0, "20.00"),
			paidOrder(3, ritorno.BuyerFor(3, ""), t0, "30.00"), paidOrder(4, guest, t0, "40.00"),
			paidOrder(5, ritorno.BuyerFor(4, "four@example.com"), t0, "50.00"), paidOrder(6, adopted, t0, "60.00"),
			paidOrder(7, ritorno.BuyerFor(6, ""), t0, "70.00"), paidOrder(8, ritorno.BuyerFor(0, ""), t0, "80.00"))
		mark := mustTick(t)
		if buyers, w, err := db.ChangedBuyers(ctx, shop.ID, mark, mark); err != nil || len(buyers) != 0 || w.Orders != 0 || !w.Latest.IsZero() {
			t.Fatalf("nothing changed since the mark: %v, %+v, %v", buyers, w, err)
		}

		mustStoreOrders(t, db, shop.ID, paidOrder(11, ritorno.BuyerFor(1, ""), t0.Add(time.Hour), "11.00"))
		cancelled := paidOrder(2, ritorno.BuyerFor(2, ""), t0, "20.00")
		cancelled.CancelledAt, cancelled.PlatformUpdatedAt = t0.Add(time.Hour), t0.Add(time.Hour)
		mustStoreOrders(t, db, shop.ID, cancelled)
		if err := db.AddRefund(ctx, shop.ID, 3, ritorno.Refund{PlatformID: 31, ProcessedAt: t0.Add(time.Hour), Amount: usd("30.00")}); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkOrderDeleted(ctx, shop.ID, 4, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.RedactCustomer(ctx, shop.ID, 4, "four@example.com", nil); err != nil {
			t.Fatal(err)
		}
		adopter := sampleCustomer(5)
		adopter.Email = "later@example.com"
		if _, err := db.UpsertCustomer(ctx, shop.ID, adopter); err != nil {
			t.Fatal(err)
		}
		mustStoreOrders(t, db, shop.ID, paidOrder(12, ritorno.BuyerFor(0, ""), t0.Add(time.Hour), "1.00")) // unknown buyer

		buyers, w, err := db.ChangedBuyers(ctx, shop.ID, mark, mark)
		if err != nil {
			t.Fatal(err)
		}
		want := buyerKeys([]ritorno.Buyer{ritorno.BuyerFor(1, ""), ritorno.BuyerFor(2, ""), ritorno.BuyerFor(3, ""), guest,
			ritorno.BuyerFor(4, ""), ritorno.BuyerFor(5, ""), adopted})
		if got := buyerKeys(buyers); !slices.Equal(got, want) {
			t.Errorf("changed buyers %v, want %v (1 new order, 2 cancelled, 3 refunded, guest deleted, 4 redacted, 5 adopting the guest)", got, want)
		}
		// Orders 11, 2, 3, 4, 5, 6 and 12 changed after the mark.
		if w.Orders != 7 || w.Latest.Before(mark) || !w.From.Equal(mark) {
			t.Errorf("window %+v, want 7 orders from %v", w, mark)
		}
		if ow, err := db.OrderWindow(ctx, shop.ID, mark); err != nil || ow != w {
			t.Errorf("OrderWindow = %+v, %v; ChangedBuyers saw %+v", ow, err, w)
		}
		// A window starting later than the read counts only what was stamped from it on.
		if _, w2, err := db.ChangedBuyers(ctx, shop.ID, mark, w.Latest); err != nil || w2.Orders < 1 || w2.Orders > 7 || w2.Latest != w.Latest {
			t.Errorf("window from the latest stamp %+v, %v", w2, err)
		}
	})
}

// TestEachCountedOrderOfMatchesEachCountedOrder: the orders of some buyers are exactly
// EachCountedOrder's orders of those buyers (same rules: test, cancelled and deleted
// orders are left out; refunds are netted), customers and guests alike, in chunks.
func TestEachCountedOrderOfMatchesEachCountedOrder(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "counted-of.myshopify.com")
		var orders []ritorno.Order
		var buyers []ritorno.Buyer
		for i := int64(1); i <= 900; i++ {
			b := ritorno.BuyerFor(i, "")
			if i%3 == 0 {
				b = ritorno.BuyerFor(0, fmt.Sprintf("g%d@example.com", i%50))
			}
			o := paidOrder(i, b, t0.Add(time.Duration(i)*time.Minute), "10.00")
			switch i % 10 {
			case 1:
				o.Test = true
			case 2:
				o.CancelledAt = t0
			case 4:
				o.RefundedAmount = usd("4.00")
			}
			orders = append(orders, o)
			if i%2 == 0 {
				buyers = append(buyers, b)
			}
		}
		mustStoreOrders(t, db, shop.ID, orders...)
		if err := db.MarkOrderDeleted(ctx, shop.ID, 6, t0); err != nil {
			t.Fatal(err)
		}
		wanted := make(map[int64]bool)
		for _, b := range buyers {
			wanted[ritorno.BuyerKey(b)] = true
		}
		type row struct {
			key, id, net int64
			at           time.Time
		}
		var want, got []row
		if err := db.EachCountedOrder(ctx, shop.ID, func(key, id int64, at time.Time, net int64, _ string) error {
			if wanted[key] {
				want = append(want, row{key, id, net, at})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.EachCountedOrderOf(ctx, shop.ID, buyers, func(key, id int64, at time.Time, net int64, _ string) error {
			got = append(got, row{key, id, net, at})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		byID := func(a, b row) int { return int(a.id - b.id) }
		slices.SortFunc(want, byID)
		slices.SortFunc(got, byID)
		if len(want) < 100 || !slices.Equal(got, want) {
			t.Errorf("EachCountedOrderOf gave %d orders, EachCountedOrder %d of those buyers", len(got), len(want))
		}
	})
}

// TestUpdateInsights: an update writes new and existing buyers' rows, removes others,
// records itself and its window, and accumulates the buyers since the full computation,
// which a full computation resets; a stale basis is ECONFLICT, no computation ENOTFOUND.
func TestUpdateInsights(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "update-insights.myshopify.com")
		row := func(key int64, orders int) ritorno.CustomerInsight {
			return ritorno.CustomerInsight{ShopID: shop.ID, Key: key, Orders: orders, NetSpent: usd("5.00"), AOV: usd("5.00"),
				ExpectedValue: usd("0"), FirstOrder: t0, LastOrder: t0, Segment: "new", R: 5, F: 1, M: 2, ComputedAt: t0}
		}
		if err := db.UpdateInsights(ctx, shop.ID, ritorno.InsightUpdate{Basis: t0}); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("update before any computation: %v, want ENOTFOUND", err)
		}
		window := ritorno.OrderWindow{From: t0.Add(-time.Minute), Orders: 3, Latest: t0}
		full := ritorno.ShopInsight{ComputedAt: t0, Customers: 3, HorizonDays: 365, Frame: `{"version":1}`, Window: window,
			IncrementalAt: t0, IncrementalBuyers: 9, BuyersSinceFull: 9}
		if err := db.ReplaceInsights(ctx, shop.ID, full, []ritorno.CustomerInsight{row(1, 1), row(2, 1), row(-3, 1)}); err != nil {
			t.Fatal(err)
		}
		si, err := db.ShopInsight(ctx, shop.ID)
		if err != nil || si.Frame != full.Frame || si.Window != window || !si.IncrementalAt.IsZero() || si.IncrementalBuyers != 0 || si.BuyersSinceFull != 0 {
			t.Fatalf("after a full computation %+v, %v (frame and window kept, incremental figures reset)", si, err)
		}

		at := t0.Add(time.Hour)
		w2 := ritorno.OrderWindow{From: at.Add(-time.Minute), Orders: 1, Latest: at}
		changed := row(2, 7)
		changed.ComputedAt = at
		u := ritorno.InsightUpdate{Basis: t0, At: at, Window: w2, Upsert: []ritorno.CustomerInsight{changed, row(4, 1)}, Delete: []int64{-3, 99}}
		if err := db.UpdateInsights(ctx, shop.ID, u); err != nil {
			t.Fatal(err)
		}
		list, total, err := db.ListCustomerInsights(ctx, shop.ID, store.InsightFilter{Sort: "orders"})
		if err != nil || total != 3 || list[0].Key != 2 || list[0].Orders != 7 || !list[0].ComputedAt.Equal(at) ||
			!sameInsight(list[1], row(1, 1)) || !sameInsight(list[2], row(4, 1)) {
			t.Fatalf("after the update: %+v (%d), %v", list, total, err)
		}
		if _, err := db.CustomerInsight(ctx, shop.ID, -3); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("removed buyer: %v", err)
		}
		si, _ = db.ShopInsight(ctx, shop.ID)
		if si.Window != w2 || !si.IncrementalAt.Equal(at) || si.IncrementalBuyers != 4 || si.BuyersSinceFull != 4 || !si.ComputedAt.Equal(t0) || si.Frame != full.Frame {
			t.Errorf("shop insight after the update %+v", si)
		}
		u.Upsert, u.Delete = []ritorno.CustomerInsight{row(5, 1)}, nil
		if err := db.UpdateInsights(ctx, shop.ID, u); err != nil {
			t.Fatal(err)
		}
		if si, _ = db.ShopInsight(ctx, shop.ID); si.IncrementalBuyers != 1 || si.BuyersSinceFull != 5 {
			t.Errorf("second update: %d buyers, %d since full; want 1, 5", si.IncrementalBuyers, si.BuyersSinceFull)
		}
		u.Basis = t0.Add(-time.Second)
		if err := db.UpdateInsights(ctx, shop.ID, u); ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			t.Errorf("update against an older computation: %v, want ECONFLICT", err)
		}
	})
}

// TestShopsNeedingInsightsFollowsTheWindow: a shop is due when an order is stamped later
// than its window's latest, or when its window holds more orders than the computation saw
// (a change committed late, stamped before others it saw); the orders it saw never make
// it due again, however recent.
func TestShopsNeedingInsightsFollowsTheWindow(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "window.myshopify.com")
		due := func() bool {
			t.Helper()
			ids, err := db.ShopsNeedingInsights(ctx, t0.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(ids, shop.ID)
		}
		if !due() {
			t.Fatal("a shop never computed is not due")
		}
		from := mustTick(t)
		mustStoreOrders(t, db, shop.ID, paidOrder(1, ritorno.BuyerFor(1, ""), t0, "1.00"))
		mustTick(t)
		mustStoreOrders(t, db, shop.ID, paidOrder(2, ritorno.BuyerFor(2, ""), t0, "2.00"))
		seen, err := db.OrderWindow(ctx, shop.ID, from)
		if err != nil || seen.Orders != 2 {
			t.Fatalf("window %+v, %v", seen, err)
		}
		for _, tc := range []struct {
			name   string
			window ritorno.OrderWindow
			due    bool
		}{
			{"saw both orders", seen, false},
			{"missed the earlier order (committed late)", ritorno.OrderWindow{From: from, Orders: 1, Latest: seen.Latest}, true},
			{"missed the later order", ritorno.OrderWindow{From: from, Orders: 1, Latest: seen.Latest.Add(-time.Microsecond)}, true},
			{"saw nothing", ritorno.OrderWindow{From: from}, true},
		} {
			if err := db.ReplaceInsights(ctx, shop.ID, ritorno.ShopInsight{ComputedAt: t0, Window: tc.window}, nil); err != nil {
				t.Fatal(err)
			}
			if got := due(); got != tc.due {
				t.Errorf("%s: due = %v, want %v", tc.name, got, tc.due)
			}
		}
		if err := db.ReplaceInsights(ctx, shop.ID, ritorno.ShopInsight{ComputedAt: t0, Window: seen}, nil); err != nil {
			t.Fatal(err)
		}
		mustTick(t)
		mustStoreOrders(t, db, shop.ID, paidOrder(3, ritorno.BuyerFor(3, ""), t0, "3.00"))
		if !due() {
			t.Error("a new order does not make the shop due")
		}
		if err := db.UpdateInsights(ctx, shop.ID, ritorno.InsightUpdate{Basis: t0, At: t0, Window: mustWindow(t, db, shop.ID, from)}); err != nil {
			t.Fatal(err)
		}
		if due() {
			t.Error("due after an update that saw every order")
		}
		if err := db.ReplaceInsights(ctx, shop.ID, ritorno.ShopInsight{ComputedAt: t0.Add(-2 * time.Hour), Window: seen}, nil); err != nil {
			t.Fatal(err)
		}
		if !due() {
			t.Error("a computation older than staleBefore is not due")
		}
	})
}

func mustWindow(t *testing.T, db *store.DB, shopID int64, from time.Time) ritorno.OrderWindow {
	t.Helper()
	w, err := db.OrderWindow(context.Background(), shopID, from)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
