package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// A batch must leave exactly what applying its orders one at a time leaves.
func TestUpsertOrdersMatchesOneAtATime(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		batchShop, oneShop := mustShop(t, db, "batch.myshopify.com"), mustShop(t, db, "single.myshopify.com")
		for _, s := range []ritorno.Shop{batchShop, oneShop} {
			if _, err := db.UpsertCustomer(ctx, s.ID, sampleCustomer(42)); err != nil {
				t.Fatal(err)
			}
			// Stored already and newer than the batch's version: must survive.
			newer := sampleOrder(3, 42)
			newer.Name, newer.PlatformUpdatedAt = "#newer", newer.PlatformUpdatedAt.Add(time.Hour)
			if _, err := db.UpsertOrder(ctx, s.ID, newer); err != nil {
				t.Fatal(err)
			}
		}
		older := sampleOrder(1, 42)
		newest := sampleOrder(1, 42)
		newest.Name, newest.PlatformUpdatedAt = "#second", newest.PlatformUpdatedAt.Add(time.Minute)
		newest.LineItems = newest.LineItems[:1]
		guest := sampleOrder(2, 0)
		guest.Buyer = ritorno.BuyerFor(0, " ADA@example.com") // the address of customer 42
		noRefunds := sampleOrder(4, 42)
		noRefunds.Refunds, noRefunds.RefundsComplete = nil, false
		stale := sampleOrder(3, 42)
		batch := []ritorno.Order{newest, guest, older, noRefunds, stale}

		applied, err := db.UpsertOrders(ctx, batchShop.ID, batch)
		if err != nil {
			t.Fatal(err)
		}
		want := []ritorno.Write{ritorno.WriteInserted, ritorno.WriteInserted, ritorno.WriteUnchanged, ritorno.WriteInserted, ritorno.WriteUnchanged}
		if !reflect.DeepEqual(applied, want) {
			t.Fatalf("applied = %v, want %v", applied, want)
		}
		for _, o := range batch {
			if _, err := db.UpsertOrder(ctx, oneShop.ID, o); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []int64{1, 2, 3, 4} {
			got, err := db.Order(ctx, batchShop.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := db.Order(ctx, oneShop.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			got.ShopID, ref.ShopID = 0, 0
			if !reflect.DeepEqual(got, ref) {
				t.Fatalf("order %d differs:\nbatch  %+v\nsingle %+v", id, got, ref)
			}
		}
		if o, _ := db.Order(ctx, batchShop.ID, 1); o.Name != "#second" || len(o.LineItems) != 1 {
			t.Fatalf("the newest version of a repeated order must win: %q with %d lines", o.Name, len(o.LineItems))
		}
		if o, _ := db.Order(ctx, batchShop.ID, 2); o.Buyer.Kind != ritorno.BuyerCustomer || o.Buyer.CustomerPlatformID != 42 {
			t.Fatalf("guest order with an account's address: %+v", o.Buyer)
		}
		if o, _ := db.Order(ctx, batchShop.ID, 3); o.Name != "#newer" {
			t.Fatalf("an older payload replaced a newer order: %q", o.Name)
		}
		// Again, three hours newer: every stored order is updated, none inserted.
		for i := range batch {
			batch[i].PlatformUpdatedAt = batch[i].PlatformUpdatedAt.Add(3 * time.Hour)
		}
		again, err := db.UpsertOrders(ctx, batchShop.ID, batch[:2])
		if err != nil || again[0] != ritorno.WriteUpdated || again[1] != ritorno.WriteUpdated {
			t.Fatalf("second batch = %v, %v; want both updated", again, err)
		}
		if o, _ := db.Order(ctx, batchShop.ID, 1); len(o.LineItems) != 1 {
			t.Fatalf("an updated order's lines were not replaced: %d lines", len(o.LineItems))
		}
	})
}

// More rows than one statement may bind are split; nothing is dropped.
func TestUpsertOrdersLargeBatch(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "large.myshopify.com")
		const n = 1200 // 1,200 × 27 order columns and 2,400 × 13 line columns each exceed one statement
		orders := make([]ritorno.Order, n)
		for i := range orders {
			orders[i] = sampleOrder(int64(i+1), int64(i%50+1))
		}
		applied, err := db.UpsertOrders(ctx, shop.ID, orders)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range applied {
			if w != ritorno.WriteInserted {
				t.Fatalf("order %d not applied", i+1)
			}
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != n {
			t.Fatalf("%d orders stored, want %d", got, n)
		}
		if got := storetest.CountRows(t, db, "line_items", shop.ID); got != 2*n {
			t.Fatalf("%d line items stored, want %d", got, 2*n)
		}
		if got := storetest.CountRows(t, db, "refund_line_items", shop.ID); got != int64(n*len(sampleOrder(1, 1).Refunds[0].LineItems)) {
			t.Fatalf("%d refund lines stored", got)
		}
	})
}

// An invalid order fails the batch with its position, and nothing of the batch is written.
func TestUpsertOrdersRejectsAnInvalidOrderWhole(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "invalid.myshopify.com")
		bad := sampleOrder(2, 42)
		bad.Currency = ""
		_, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{sampleOrder(1, 42), bad})
		if ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 0 {
			t.Fatalf("%d orders written by a rejected batch", got)
		}
	})
}

// Inside InTransaction each write is a savepoint: one that fails leaves the others to
// commit, and a rolled-back transaction leaves nothing.
func TestInTransactionIsolatesFailingWrites(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "tx.myshopify.com")
		err := db.InTransaction(ctx, func(tx *store.DB) error {
			if _, err := tx.UpsertOrder(ctx, shop.ID, sampleOrder(1, 42)); err != nil {
				t.Fatal(err)
			}
			// Unknown order: fails inside the transaction.
			if err := tx.AddRefund(ctx, shop.ID, 999, sampleOrder(1, 42).Refunds[0]); err == nil {
				t.Fatal("refund of an unknown order was accepted")
			}
			if _, err := tx.UpsertOrder(ctx, shop.ID, sampleOrder(2, 42)); err != nil {
				t.Fatalf("a write after a failed one: %v", err)
			}
			if _, errs := tx.RecordDeliveries(ctx, []ritorno.Delivery{{Platform: ritorno.Shopify, ShopDomain: "x", Topic: "t"}}); errs[0] == nil {
				t.Fatal("a raw inbox statement ran inside the transaction")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 2 {
			t.Fatalf("%d orders committed, want 2", got)
		}
		err = db.InTransaction(ctx, func(tx *store.DB) error {
			if _, err := tx.UpsertOrder(ctx, shop.ID, sampleOrder(3, 42)); err != nil {
				t.Fatal(err)
			}
			return ritorno.Errorf(ritorno.EINTERNAL, "changed my mind")
		})
		if ritorno.ErrorCode(err) != ritorno.EINTERNAL {
			t.Fatalf("err = %v", err)
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 2 {
			t.Fatalf("a rolled-back transaction left %d orders, want 2", got)
		}
	})
}
