package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestScoringFrameReproducesScoreRFM is the frame's property: over random shops with many
// ties (few distinct recencies, order counts and amounts), every buyer of the full
// computation scored with the frame — after a JSON round trip, as it is stored — gets
// exactly ScoreRFM's recency, scores and segment.
func TestScoringFrameReproducesScoreRFM(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	now := time.Date(2026, 6, 1, 12, 34, 56, 789, time.UTC)
	for shop := range 2000 {
		n := 1 + rng.IntN(40)
		if shop%10 == 0 {
			n = 1 + rng.IntN(400)
		}
		days, orders, amounts := 1+rng.IntN(30), 1+rng.IntN(6), 1+rng.IntN(8)
		cs := make([]analytics.CustomerFigures, n)
		for i := range cs {
			// Last orders at whole days, at odd times of day, and within a nanosecond
			// of a day boundary: the cut-offs must be exact to the nanosecond.
			last := now.Add(-time.Duration(rng.IntN(days)) * 24 * time.Hour)
			switch rng.IntN(4) {
			case 1:
				last = last.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour))))
			case 2:
				last = last.Add(time.Nanosecond)
			case 3:
				last = last.Add(-time.Nanosecond)
			}
			if shop%97 == 0 && i == 0 {
				last = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC) // far in the past
			}
			cs[i] = analytics.CustomerFigures{Customer: int64(i + 1), Orders: 1 + rng.IntN(orders),
				Spent: eur(int64(rng.IntN(amounts)) * 1000), Last: last}
		}
		scores := analytics.ScoreRFM(cs, now)
		data, err := json.Marshal(analytics.NewScoringFrame(cs, scores, now))
		if err != nil {
			t.Fatal(err)
		}
		var frame analytics.ScoringFrame
		if err := json.Unmarshal(data, &frame); err != nil {
			t.Fatal(err)
		}
		for i, c := range cs {
			if got := frame.Score(c, now); got != scores[i] {
				t.Fatalf("shop %d (%d buyers), buyer %d: frame gives %+v, ScoreRFM %+v\nframe %s", shop, n, i, got, scores[i], data)
			}
		}
	}
}

// TestScoringFrameKeepsCutOffsAsTimePasses: a day later, every buyer's recency has grown
// by one and their scores are unchanged (the cut-offs are times, not day counts); a new
// buyer who ordered just now scores R = 5 and the least spend and order count score 1.
func TestScoringFrameKeepsCutOffsAsTimePasses(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var cs []analytics.CustomerFigures
	for i := range 10 {
		cs = append(cs, analytics.CustomerFigures{Customer: int64(i + 1), Orders: i + 1, Spent: eur(int64(i+1) * 100),
			Last: now.AddDate(0, 0, -10*i)})
	}
	scores := analytics.ScoreRFM(cs, now)
	frame := analytics.NewScoringFrame(cs, scores, now)
	later := now.Add(24 * time.Hour)
	for i, c := range cs {
		got := frame.Score(c, later)
		if got.RecencyDays != scores[i].RecencyDays+1 || got.R != scores[i].R || got.F != scores[i].F || got.M != scores[i].M {
			t.Errorf("buyer %d a day later: %+v, was %+v", c.Customer, got, scores[i])
		}
	}
	fresh := frame.Score(analytics.CustomerFigures{Customer: 99, Orders: 1, Spent: eur(0), Last: later}, later)
	if fresh.R != 5 || fresh.F != 1 || fresh.M != 1 || fresh.Segment != analytics.New || fresh.RecencyDays != 0 {
		t.Errorf("a new buyer: %+v", fresh)
	}
}

// noLateWrites is a wall clock for tests that write nothing concurrently: a reader's
// window then starts at its own start instead of ChangeOverlap before, so that a buyer
// written before one update is not read again by the next (which would be harmless, but
// the tests check that exactly the changed buyers are rewritten).
func noLateWrites() time.Time { return time.Now().Add(analytics.ChangeOverlap) }

// sameFigures compares what a buyer's history gives, without scores and predictions.
func sameFigures(a, b ritorno.CustomerInsight) bool {
	return a.Key == b.Key && a.CustomerPlatformID == b.CustomerPlatformID && a.Orders == b.Orders && a.NetSpent == b.NetSpent &&
		a.AOV == b.AOV && a.FirstOrder.Equal(b.FirstOrder) && a.LastOrder.Equal(b.LastOrder) && a.MeanDaysBetween == b.MeanDaysBetween &&
		a.RecencyDays == b.RecencyDays
}

// sameRow compares two stored rows entirely.
func sameRow(a, b ritorno.CustomerInsight) bool {
	times := a.FirstOrder.Equal(b.FirstOrder) && a.LastOrder.Equal(b.LastOrder) && a.NextOrder.Equal(b.NextOrder) && a.ComputedAt.Equal(b.ComputedAt)
	a.FirstOrder, a.LastOrder, a.NextOrder, a.ComputedAt = b.FirstOrder, b.LastOrder, b.NextOrder, b.ComputedAt
	return times && a == b
}

func mustRows(t *testing.T, db *store.DB, shopID int64) map[int64]ritorno.CustomerInsight {
	t.Helper()
	list, _, err := db.ListCustomerInsights(context.Background(), shopID, store.InsightFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]ritorno.CustomerInsight, len(list))
	for _, c := range list {
		out[c.Key] = c
	}
	return out
}

func mustFrame(t *testing.T, db *store.DB, shopID int64) analytics.ScoringFrame {
	t.Helper()
	ins, err := db.ShopInsight(context.Background(), shopID)
	if err != nil {
		t.Fatal(err)
	}
	var f analytics.ScoringFrame
	if err := json.Unmarshal([]byte(ins.Frame), &f); err != nil {
		t.Fatalf("frame %q: %v", ins.Frame, err)
	}
	return f
}

// TestUpdateBuyersChangesExactlyTheChangedBuyers: after a full computation, a new order of
// buyer 1, a cancelled order of buyer 2 (one left), the cancelled only order of buyer 3
// and a new guest change exactly those rows: 1, 2 and the guest get the figures a full
// computation gives at the same moment and the scores of the old frame, 3 loses its row,
// and every other row stays as it was. Shop B's update never touches shop A.
func TestUpdateBuyersChangesExactlyTheChangedBuyers(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "incremental.myshopify.com")
		other := mustInsightShop(t, db, "incremental-other.myshopify.com")
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
		guest := ritorno.BuyerFor(0, "old-guest@example.com")
		var orders []ritorno.Order
		id := int64(1)
		for c := int64(1); c <= 8; c++ {
			for k := int64(0); k < c%4+1; k++ {
				orders = append(orders, order(id, ritorno.BuyerFor(c, ""), day(int(10*c+30*k)), 1000*c+100*k))
				id++
			}
		}
		orders = append(orders, order(100, guest, day(50), 4200))
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertOrders(ctx, other.ID, orders); err != nil {
			t.Fatal(err)
		}
		opt := analytics.ComputeOptions{Now: func() time.Time { return now }, WallClock: noLateWrites, FullShare: 10}
		for _, s := range []int64{shop.ID, other.ID} {
			if _, _, err := analytics.Compute(ctx, db, s, opt); err != nil {
				t.Fatal(err)
			}
		}
		before, otherBefore := mustRows(t, db, shop.ID), mustRows(t, db, other.ID)
		frame := mustFrame(t, db, shop.ID)
		if len(before) != 9 {
			t.Fatalf("%d rows after the full computation, want 9", len(before))
		}

		// Buyer 1 has orders 1 and 2, buyer 2 orders 3 to 5, buyer 3 orders 6 to 9, buyer 4
		// order 10 only.
		later := now.Add(36 * time.Hour)
		cancel := func(o ritorno.Order) ritorno.Order {
			o.CancelledAt, o.PlatformUpdatedAt = later, later
			return o
		}
		newGuest := ritorno.BuyerFor(0, "new-guest@example.com")
		changes := []ritorno.Order{order(200, ritorno.BuyerFor(1, ""), later.Add(-time.Hour), 5000), cancel(orders[2]),
			cancel(orders[9]), order(201, newGuest, later.Add(-2*time.Hour), 700)}
		if _, err := db.UpsertOrders(ctx, shop.ID, changes); err != nil {
			t.Fatal(err)
		}
		opt.Now = func() time.Time { return later }
		u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt)
		if err != nil {
			t.Fatal(err)
		}
		if u.Full || u.Buyers != 3 || u.Removed != 1 {
			t.Fatalf("update = %+v, want 3 buyers written and 1 removed, not a full computation", u)
		}
		after := mustRows(t, db, shop.ID)
		changed := map[int64]bool{1: true, 2: true, 4: true, ritorno.BuyerKey(newGuest): true}
		for key, row := range before {
			if !changed[key] && !sameRow(after[key], row) {
				t.Errorf("untouched buyer %d changed:\n%+v\nwas\n%+v", key, after[key], row)
			}
		}
		if _, ok := after[4]; ok {
			t.Error("buyer 4, whose only order was cancelled, still has a row")
		}
		if len(after) != 9 {
			t.Errorf("%d rows after the update, want 9 (one removed, one new guest)", len(after))
		}
		ins, err := db.ShopInsight(ctx, shop.ID)
		if err != nil || !ins.ComputedAt.Equal(now) || !ins.IncrementalAt.Equal(later) || ins.IncrementalBuyers != 4 || ins.BuyersSinceFull != 4 {
			t.Errorf("shop insight after the update: %+v, %v", ins, err)
		}
		if ids, err := db.ShopsNeedingInsights(ctx, now.Add(-time.Hour)); err != nil || len(ids) != 0 {
			t.Errorf("due after the update: %v, %v", ids, err)
		}
		if rows := mustRows(t, db, other.ID); len(rows) != len(otherBefore) {
			t.Errorf("shop A's update changed shop B's rows")
		}

		// A full computation at the same moment gives the same figures; the update's
		// scores are the old frame's.
		if _, _, err := analytics.Compute(ctx, db, shop.ID, opt); err != nil {
			t.Fatal(err)
		}
		full := mustRows(t, db, shop.ID)
		for key := range changed {
			got, want := after[key], full[key]
			if key == 4 {
				continue
			}
			if !sameFigures(got, want) {
				t.Errorf("buyer %d: update gave\n%+v\nfull computation\n%+v", key, got, want)
			}
			r := frame.Score(analytics.CustomerFigures{Customer: key, Orders: want.Orders, Spent: want.NetSpent, Last: want.LastOrder}, later)
			if got.R != r.R || got.F != r.F || got.M != r.M || got.Segment != string(r.Segment) || !got.ComputedAt.Equal(later) {
				t.Errorf("buyer %d scored %d%d%d %s, the frame gives %d%d%d %s", key, got.R, got.F, got.M, got.Segment, r.R, r.F, r.M, r.Segment)
			}
		}
		for key, row := range otherBefore {
			if got, err := db.CustomerInsight(ctx, other.ID, key); err != nil || !sameRow(got, row) {
				t.Errorf("shop B's buyer %d changed: %+v, %v", key, got, err)
			}
		}
	})
}

// TestUpdateBuyersPredictsAsCompute: in a shop whose models fit, a buyer updated at the
// moment of the full computation gets exactly the full computation's row, prediction
// included (the same models, horizon, discount and functions).
func TestUpdateBuyersPredictsAsCompute(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "incremental-predict.myshopify.com")
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
					break
				}
				at = at.AddDate(0, 0, 5+rng.IntN(60))
			}
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		opt := analytics.ComputeOptions{Now: func() time.Time { return now }, WallClock: noLateWrites, DiscountRate: 0.1}
		ins, _, err := analytics.Compute(ctx, db, shop.ID, opt)
		if err != nil || ins.Fallback {
			t.Fatalf("full computation %+v, %v", ins, err)
		}
		before := mustRows(t, db, shop.ID)
		// The same orders of a few buyers, stored again as newer versions: their buyers
		// change, their figures do not.
		touched := []ritorno.Order{orders[0], orders[10], orders[len(orders)-1]}
		for i := range touched {
			touched[i].PlatformUpdatedAt = touched[i].PlatformUpdatedAt.Add(time.Minute)
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, touched); err != nil {
			t.Fatal(err)
		}
		u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt)
		if err != nil || u.Full || u.Buyers != 3 {
			t.Fatalf("update = %+v, %v", u, err)
		}
		for key, row := range mustRows(t, db, shop.ID) {
			if !row.Predicted || !sameRow(row, before[key]) {
				t.Errorf("buyer %d after the update:\n%+v\nfull computation:\n%+v", key, row, before[key])
			}
		}
	})
}

// TestUpdateBuyersFallsBackToCompute: a shop never computed, and a shop where more buyers
// changed than FullShare allows, are computed in full.
func TestUpdateBuyersFallsBackToCompute(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustInsightShop(t, db, "incremental-full.myshopify.com")
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		var orders []ritorno.Order
		for c := int64(1); c <= 10; c++ {
			orders = append(orders, order(c, ritorno.BuyerFor(c, ""), now.AddDate(0, 0, -int(c)), 1000))
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		opt := analytics.ComputeOptions{Now: func() time.Time { return now }, WallClock: noLateWrites}
		u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt)
		if err != nil || !u.Full || u.Buyers != 10 {
			t.Fatalf("first update = %+v, %v; want a full computation", u, err)
		}
		// Three of ten buyers (30 % > 20 %) change: a full computation again.
		more := []ritorno.Order{order(11, ritorno.BuyerFor(1, ""), now, 10), order(12, ritorno.BuyerFor(2, ""), now, 10),
			order(13, ritorno.BuyerFor(3, ""), now, 10)}
		if _, err := db.UpsertOrders(ctx, shop.ID, more); err != nil {
			t.Fatal(err)
		}
		if u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt); err != nil || !u.Full {
			t.Fatalf("update of 3 of 10 buyers = %+v, %v; want a full computation", u, err)
		}
		// One of ten: incremental.
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{order(14, ritorno.BuyerFor(4, ""), now, 10)}); err != nil {
			t.Fatal(err)
		}
		if u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt); err != nil || u.Full || u.Buyers != 1 {
			t.Fatalf("update of 1 of 10 buyers = %+v, %v; want an incremental update", u, err)
		}
		// The scheduler: the shop is not due; a new order makes it due and is applied
		// incrementally (the full computation stays the one before).
		sched := &analytics.Scheduler{Store: db, Options: opt, MaxAge: time.Hour}
		idle, _ := db.ShopInsight(ctx, shop.ID)
		if err := sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if ins, _ := db.ShopInsight(ctx, shop.ID); !reflect.DeepEqual(ins, idle) {
			t.Fatalf("scheduler touched a shop with nothing to do: %+v, was %+v", ins, idle)
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{order(15, ritorno.BuyerFor(5, ""), now, 10)}); err != nil {
			t.Fatal(err)
		}
		full, _ := db.ShopInsight(ctx, shop.ID)
		if err := sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		ins, _ := db.ShopInsight(ctx, shop.ID)
		if !ins.ComputedAt.Equal(full.ComputedAt) || ins.IncrementalBuyers != 1 || ins.BuyersSinceFull != 2 {
			t.Errorf("after the scheduler: %+v (full computation at %v)", ins, full.ComputedAt)
		}
		// Once more than 20 % of the buyers changed since the full computation, the
		// scheduler recomputes the shop in full.
		for i, want := range []int{3, 0} {
			if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{order(int64(16+i), ritorno.BuyerFor(int64(6+i), ""), now, 10)}); err != nil {
				t.Fatal(err)
			}
			if err := sched.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if ins, _ := db.ShopInsight(ctx, shop.ID); ins.BuyersSinceFull != want {
				t.Errorf("change %d: %d buyers since the full computation, want %d", i+1, ins.BuyersSinceFull, want)
			}
		}
	})
}

// BenchmarkUpdateBuyers times UpdateBuyers on PostgreSQL for 1 and 1,000 changed buyers in
// a shop of 100,000 buyers (about 300,000 orders), after a full computation. Each round
// stores a new order for each of the buyers, then updates; only the update is timed.
//
//	RITORNO_TEST_POSTGRES_URL=… go test ./analytics -run '^$' -bench UpdateBuyers -benchtime 20x
func BenchmarkUpdateBuyers(b *testing.B) {
	db := storetest.OpenPostgres(b)
	ctx := context.Background()
	shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: "bench-incremental.myshopify.com",
		Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	const buyers = 100_000
	var orders []ritorno.Order
	id := int64(1)
	for c := int64(1); c <= buyers; c++ {
		for k := 0; k < 1+rng.IntN(5); k++ {
			orders = append(orders, order(id, ritorno.BuyerFor(c, ""), now.AddDate(0, 0, -1-rng.IntN(1000)), 500+rng.Int64N(20000)))
			id++
		}
		if len(orders) >= 20_000 || c == buyers {
			if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
				b.Fatal(err)
			}
			orders = orders[:0]
		}
	}
	opt := analytics.ComputeOptions{Now: func() time.Time { return now }, WallClock: noLateWrites, FullShare: 1}
	if _, _, err := analytics.Compute(ctx, db, shop.ID, opt); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("changed=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				batch := make([]ritorno.Order, n)
				for i := range batch {
					batch[i] = order(id, ritorno.BuyerFor(1+rng.Int64N(buyers), ""), now.Add(-time.Hour), 1000)
					id++
				}
				if _, err := db.UpsertOrders(ctx, shop.ID, batch); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				u, err := analytics.UpdateBuyers(ctx, db, shop.ID, opt)
				if err != nil || u.Full || u.Buyers < n*9/10 {
					b.Fatalf("update = %+v, %v", u, err)
				}
			}
		})
	}
}
