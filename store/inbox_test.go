package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func delivery(domain, webhookID string, status ritorno.DeliveryStatus) ritorno.Delivery {
	return ritorno.Delivery{Platform: ritorno.Shopify, ShopDomain: domain, Topic: "orders/create", WebhookID: webhookID,
		Body: []byte(`{"id":1,"email":"ada@example.com"}`), Status: status}
}

func TestRecordDeliveryDeduplicatesByWebhookID(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id, dup, err := db.RecordDelivery(ctx, delivery("a.myshopify.com", "wh-1", ritorno.DeliveryParked))
		if err != nil || dup || id == 0 {
			t.Fatalf("first = %d %v %v", id, dup, err)
		}
		if _, dup, err := db.RecordDelivery(ctx, delivery("a.myshopify.com", "wh-1", ritorno.DeliveryParked)); err != nil || !dup {
			t.Fatalf("repeat = %v %v, want duplicate", dup, err)
		}
		// The same delivery id of another shop is another delivery; WooCommerce has none.
		if _, dup, err := db.RecordDelivery(ctx, delivery("b.myshopify.com", "wh-1", ritorno.DeliveryParked)); err != nil || dup {
			t.Fatalf("other shop = %v %v", dup, err)
		}
		for range 2 {
			d := delivery("https://woo.example", "", ritorno.DeliveryParked)
			d.Platform = ritorno.WooCommerce
			if _, dup, err := db.RecordDelivery(ctx, d); err != nil || dup {
				t.Fatalf("woocommerce = %v %v", dup, err)
			}
		}
		got, err := db.Delivery(ctx, id)
		if err != nil || string(got.Body) != `{"id":1,"email":"ada@example.com"}` || got.Status != ritorno.DeliveryParked || got.ReceivedAt.IsZero() {
			t.Fatalf("Delivery = %+v, %v", got, err)
		}
	})
}

func TestParkedDeliveriesAreReleasedWhenTheShopAppears(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, _, err := db.RecordDelivery(ctx, delivery("late.myshopify.com", "wh-1", ritorno.DeliveryParked)); err != nil {
			t.Fatal(err)
		}
		if claimed, _ := db.ClaimDeliveries(ctx, 10, time.Minute); len(claimed) != 0 {
			t.Fatalf("a parked delivery was claimed: %+v", claimed)
		}
		shop := mustShop(t, db, "late.myshopify.com")
		claimed, err := db.ClaimDeliveries(ctx, 10, time.Minute)
		if err != nil || len(claimed) != 1 || claimed[0].ShopID != shop.ID || claimed[0].Attempts != 1 {
			t.Fatalf("after the shop appeared, claimed %+v, %v", claimed, err)
		}
	})
}

func TestClaimFinishRetryAndLease(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "a.myshopify.com")
		d := delivery(shop.Domain, "wh-1", ritorno.DeliveryPending)
		d.ShopID = shop.ID
		id, _, err := db.RecordDelivery(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDeliveries(ctx, 10, time.Hour)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %+v, %v", claimed, err)
		}
		if again, _ := db.ClaimDeliveries(ctx, 10, time.Hour); len(again) != 0 {
			t.Fatal("a claimed delivery was claimed twice within its lease")
		}
		// Retry: back to pending, due in the future, so not claimable yet.
		if stale, err := db.FinishDelivery(ctx, id, 1, ritorno.DeliveryPending, "boom", time.Now().Add(time.Hour)); err != nil || stale {
			t.Fatalf("retry = %v %v", stale, err)
		}
		if again, _ := db.ClaimDeliveries(ctx, 10, time.Hour); len(again) != 0 {
			t.Fatal("a delivery was claimed before its retry time")
		}
		// Replay only touches final deliveries; this one is queued for its retry.
		if _, err := db.ReplayDeliveries(ctx, []int64{id}, ""); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Delivery(ctx, id)
		if got.Status != ritorno.DeliveryPending { // only final deliveries replay; this one stays queued
			t.Fatalf("status %s", got.Status)
		}
		if _, err := db.FinishDelivery(ctx, id, 1, ritorno.DeliveryDone, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Delivery(ctx, id); got.Status != ritorno.DeliveryPending {
			t.Fatal("a finish for an attempt that no longer holds the claim was applied")
		}
	})
}

func TestExpiredLeaseIsClaimedAgainAndFencesTheOldWorker(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "a.myshopify.com")
		d := delivery(shop.Domain, "wh-1", ritorno.DeliveryPending)
		d.ShopID = shop.ID
		id, _, _ := db.RecordDelivery(ctx, d)
		if c, _ := db.ClaimDeliveries(ctx, 1, -time.Second); len(c) != 1 { // lease already over: the worker "died"
			t.Fatal("first claim failed")
		}
		c, err := db.ClaimDeliveries(ctx, 1, time.Hour)
		if err != nil || len(c) != 1 || c[0].Attempts != 2 {
			t.Fatalf("reclaim = %+v, %v", c, err)
		}
		if stale, _ := db.FinishDelivery(ctx, id, 1, ritorno.DeliveryDone, "", time.Time{}); !stale {
			t.Fatal("the first worker's late finish was not fenced off")
		}
		if stale, err := db.FinishDelivery(ctx, id, 2, ritorno.DeliveryDone, "", time.Time{}); stale || err != nil {
			t.Fatalf("second worker's finish = %v %v", stale, err)
		}
		got, _ := db.Delivery(ctx, id)
		if got.Status != ritorno.DeliveryDone || len(got.Body) != 0 || got.ProcessedAt.IsZero() {
			t.Fatalf("done delivery = %+v (its body must be cleared)", got)
		}
	})
}

func TestDeadDeliveriesReplay(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "a.myshopify.com")
		for i, wh := range []string{"wh-1", "wh-2"} {
			d := delivery(shop.Domain, wh, ritorno.DeliveryPending)
			d.ShopID = shop.ID
			id, _, _ := db.RecordDelivery(ctx, d)
			if _, err := db.ClaimDeliveries(ctx, 1, time.Hour); err != nil {
				t.Fatal(err)
			}
			status := []ritorno.DeliveryStatus{ritorno.DeliveryDead, ritorno.DeliveryFailed}[i]
			if _, err := db.FinishDelivery(ctx, id, 1, status, "gave up", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		dead, err := db.ListDeliveries(ctx, store.DeliveryFilter{Status: ritorno.DeliveryDead})
		if err != nil || len(dead) != 1 || dead[0].LastError != "gave up" || dead[0].Body != nil {
			t.Fatalf("dead list = %+v, %v (list omits bodies)", dead, err)
		}
		n, err := db.ReplayDeliveries(ctx, nil, ritorno.DeliveryDead)
		if err != nil || n != 1 {
			t.Fatalf("replay dead = %d, %v", n, err)
		}
		claimed, _ := db.ClaimDeliveries(ctx, 10, time.Hour)
		if len(claimed) != 1 || claimed[0].Attempts != 1 || string(claimed[0].Body) == "" {
			t.Fatalf("replayed delivery claimed as %+v", claimed)
		}
		counts, err := db.DeliveryCounts(ctx, 0)
		if err != nil || counts[ritorno.DeliveryProcessing] != 1 || counts[ritorno.DeliveryFailed] != 1 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		if _, err := db.ReplayDeliveries(ctx, nil, ""); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("replay of nothing: %v", err)
		}
	})
}

// TestConcurrentClaimsNeverShareADelivery claims from several goroutines at once (on
// PostgreSQL through separate connections, exercising SKIP LOCKED).
func TestConcurrentClaimsNeverShareADelivery(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "a.myshopify.com")
		const total = 200
		for i := range total {
			d := delivery(shop.Domain, "wh-"+strconv.Itoa(i), ritorno.DeliveryPending)
			d.ShopID = shop.ID
			if _, _, err := db.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					batch, err := db.ClaimDeliveries(ctx, 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(batch) == 0 {
						return
					}
					mu.Lock()
					for _, d := range batch {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != total {
			t.Fatalf("claimed %d distinct deliveries, want %d", len(seen), total)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("delivery %d claimed %d times", id, n)
			}
		}
	})
}

func TestRecordDeliveriesInOneBatch(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, _, err := db.RecordDelivery(ctx, delivery("a.myshopify.com", "wh-stored", ritorno.DeliveryParked)); err != nil {
			t.Fatal(err)
		}
		woo := delivery("https://woo.example", "", ritorno.DeliveryParked)
		woo.Platform = ritorno.WooCommerce
		batch := []ritorno.Delivery{
			delivery("a.myshopify.com", "wh-new", ritorno.DeliveryParked),
			delivery("a.myshopify.com", "wh-stored", ritorno.DeliveryParked), // stored before
			delivery("a.myshopify.com", "wh-new", ritorno.DeliveryParked),    // twice in the batch
			woo, woo,
		}
		dups, errs := db.RecordDeliveries(ctx, batch)
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if want := []bool{false, true, true, false, false}; !slices.Equal(dups, want) {
			t.Fatalf("duplicates = %v, want %v", dups, want)
		}
		counts, _ := db.DeliveryCounts(ctx, 0)
		if counts[ritorno.DeliveryParked] != 4 {
			t.Fatalf("stored %v, want 4 parked (1 before, 1 new, 2 WooCommerce)", counts)
		}
	})
}

// TestOneUnstorableDeliveryFailsAlone: a batch in which the database refuses one row
// (a trigger on both databases; on PostgreSQL also the 8,000-character webhook id of the
// reproduction, over the btree's row limit) commits the others and fails only that one,
// with duplicates still detected.
func TestOneUnstorableDeliveryFailsAlone(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		refuse := []string{
			`CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_deliveries
				WHEN NEW.topic = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`,
		}
		if db.Dialect() == migrations.Postgres {
			refuse = []string{
				`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF NEW.topic = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION refuse_poison()`,
			}
		}
		for _, q := range refuse {
			rows, err := store.RawQuery(db, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() { // SQLite runs the statement on the first step
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := db.RecordDelivery(ctx, delivery("a.myshopify.com", "wh-stored", ritorno.DeliveryParked)); err != nil {
			t.Fatal(err)
		}
		poison := delivery("a.myshopify.com", "wh-poison", ritorno.DeliveryParked)
		poison.Topic = "poison"
		batch := []ritorno.Delivery{
			delivery("a.myshopify.com", "wh-1", ritorno.DeliveryParked),
			poison,
			delivery("a.myshopify.com", "wh-stored", ritorno.DeliveryParked), // stored before
			delivery("a.myshopify.com", "wh-1", ritorno.DeliveryParked),      // twice in the batch
			delivery("a.myshopify.com", "wh-2", ritorno.DeliveryParked),
		}
		wantFail := []bool{false, true, false, false, false}
		if db.Dialect() == migrations.Postgres {
			// Random, as in the reproduction: PostgreSQL compresses a repetitive key below the limit.
			rnd := rand.New(rand.NewPCG(1, 2))
			huge := make([]byte, 8000)
			for i := range huge {
				huge[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rnd.IntN(36)]
			}
			batch = append(batch, delivery("a.myshopify.com", string(huge), ritorno.DeliveryParked), delivery("a.myshopify.com", "wh-3", ritorno.DeliveryParked))
			wantFail = append(wantFail, true, false)
		}
		dups, errs := db.RecordDeliveries(ctx, batch)
		for i := range batch {
			if (errs[i] != nil) != wantFail[i] {
				t.Errorf("delivery %d: error %v, want failure %v", i, errs[i], wantFail[i])
			}
		}
		if want := []bool{false, false, true, true, false}; !slices.Equal(dups[:5], want) {
			t.Errorf("duplicates = %v, want %v", dups[:5], want)
		}
		counts, _ := db.DeliveryCounts(ctx, 0)
		stored := int64(3) // wh-stored, wh-1, wh-2
		if db.Dialect() == migrations.Postgres {
			stored++ // wh-3
		}
		if counts[ritorno.DeliveryParked] != stored {
			t.Fatalf("stored %v, want %d parked: the neighbours of the refused row", counts, stored)
		}
	})
}

// TestExtendClaimsRenewsOnlyTheOwnClaim: a heartbeat keeps a claim from expiring, and a
// worker whose claim was taken over cannot extend the new holder's lease.
func TestExtendClaimsRenewsOnlyTheOwnClaim(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "lease.myshopify.com")
		d := delivery(shop.Domain, "wh-1", ritorno.DeliveryPending)
		d.ShopID = shop.ID
		if _, _, err := db.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDeliveries(ctx, 10, 200*time.Millisecond)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %v, %v", claimed, err)
		}
		id := claimed[0].ID
		if lost, err := db.ExtendClaims(ctx, []int64{id}, []int{1}, time.Hour); err != nil || len(lost) != 0 {
			t.Fatalf("extend own claim = %v, %v", lost, err)
		}
		time.Sleep(300 * time.Millisecond) // past the first lease
		if again, err := db.ClaimDeliveries(ctx, 10, time.Minute); err != nil || len(again) != 0 {
			t.Fatalf("an extended claim was claimed again: %v, %v", again, err)
		}

		// Another worker takes over after the lease runs out (a worker is presumed dead).
		if _, err := db.ExtendClaims(ctx, []int64{id}, []int{1}, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		second, err := db.ClaimDeliveries(ctx, 10, 200*time.Millisecond)
		if err != nil || len(second) != 1 || second[0].Attempts != 2 {
			t.Fatalf("takeover = %v, %v", second, err)
		}
		// The first worker wakes up: its claim is lost and the takeover's lease unchanged.
		if lost, err := db.ExtendClaims(ctx, []int64{id}, []int{1}, time.Hour); err != nil || !slices.Equal(lost, []int64{id}) {
			t.Fatalf("stale extend = %v, %v; want the claim reported lost", lost, err)
		}
		time.Sleep(300 * time.Millisecond)
		third, err := db.ClaimDeliveries(ctx, 10, time.Minute)
		if err != nil || len(third) != 1 || third[0].Attempts != 3 {
			t.Fatalf("the stale worker extended the new claim: %v, %v", third, err)
		}
		// Finished deliveries are no longer held.
		if stale, err := db.FinishDone(ctx, []int64{id}, []int{3}); err != nil || len(stale) != 0 {
			t.Fatal(stale, err)
		}
		if lost, err := db.ExtendClaims(ctx, []int64{id}, []int{3}, time.Hour); err != nil || len(lost) != 1 {
			t.Fatalf("extend a finished delivery = %v, %v", lost, err)
		}
	})
}

func TestFinishDoneFencesEachDelivery(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "a.myshopify.com")
		var ids []int64
		for _, wh := range []string{"wh-1", "wh-2", "wh-3"} {
			d := delivery(shop.Domain, wh, ritorno.DeliveryPending)
			d.ShopID = shop.ID
			id, _, _ := db.RecordDelivery(ctx, d)
			ids = append(ids, id)
		}
		if c, _ := db.ClaimDeliveries(ctx, 10, time.Hour); len(c) != 3 {
			t.Fatalf("claimed %d", len(c))
		}
		// The third was claimed by another worker meanwhile (attempt 2), so attempt 1's
		// success must not count for it.
		stale, err := db.FinishDone(ctx, ids, []int{1, 1, 2})
		if err != nil || len(stale) != 1 || stale[0] != ids[2] {
			t.Fatalf("stale = %v, %v; want only %d", stale, err, ids[2])
		}
		for i, id := range ids {
			got, _ := db.Delivery(ctx, id)
			wantDone := i < 2
			if (got.Status == ritorno.DeliveryDone) != wantDone || (wantDone && len(got.Body) != 0) {
				t.Errorf("delivery %d: %s with %d body bytes", id, got.Status, len(got.Body))
			}
		}
	})
}

// TestExpiredClaimsBeforeABacklog: a crashed worker's expired claim is taken even when a
// whole batch of pending deliveries is due (before, the pending branch filled the batch and
// the expired claim waited until the backlog was gone).
func TestExpiredClaimsBeforeABacklog(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "backlog.myshopify.com")
		record := func(webhookID string) int64 {
			d := delivery(shop.Domain, webhookID, ritorno.DeliveryPending)
			d.ShopID = shop.ID
			id, _, err := db.RecordDelivery(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		crashed := record("crashed")
		// A lease already over when it is taken: the worker died at once.
		if c, err := db.ClaimDeliveries(ctx, 1, -time.Second); err != nil || len(c) != 1 || c[0].ID != crashed {
			t.Fatalf("the crashed worker's claim = %+v, %v", c, err)
		}
		for i := range 5 {
			record("backlog-" + strconv.Itoa(i))
		}
		claimed, err := db.ClaimDeliveries(ctx, 5, time.Minute)
		if err != nil || len(claimed) != 5 {
			t.Fatalf("claim = %d, %v", len(claimed), err)
		}
		if !slices.ContainsFunc(claimed, func(d ritorno.Delivery) bool { return d.ID == crashed && d.Attempts == 2 }) {
			t.Fatal("the expired claim was left behind a backlog of pending deliveries")
		}
	})
}
