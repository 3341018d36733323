package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// The inbox keeps settled and parked deliveries only for the retention period; queued
// ones stay whatever their age.
func TestPurgeDeliveriesPastRetention(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		old, recent := now.Add(-40*24*time.Hour), now.Add(-time.Hour)
		statuses := []ritorno.DeliveryStatus{ritorno.DeliveryDone, ritorno.DeliveryIgnored, ritorno.DeliveryFailed,
			ritorno.DeliveryDead, ritorno.DeliveryParked, ritorno.DeliveryPending}
		ids := map[string]int64{}
		n := 0
		for _, at := range []time.Time{old, recent} {
			for _, st := range statuses {
				n++
				d := delivery("p.myshopify.com", "wh-"+string(st)+at.Format("150405.000")+string(rune('a'+n)), st)
				d.ReceivedAt = at
				id, _, err := db.RecordDelivery(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				ids[string(st)+map[bool]string{true: "-old", false: "-recent"}[at.Equal(old)]] = id
			}
		}
		cutoff := now.Add(-30 * 24 * time.Hour)
		// Bounded batches: 2 at a time, until fewer than asked remain.
		var total int64
		for {
			deleted, err := db.PurgeDeliveries(ctx, cutoff, 2)
			if err != nil {
				t.Fatal(err)
			}
			total += deleted
			if deleted < 2 {
				break
			}
		}
		if total != 5 {
			t.Errorf("purged %d deliveries, want the 5 old settled and parked ones", total)
		}
		for name, id := range ids {
			_, err := db.Delivery(ctx, id)
			gone := ritorno.ErrorCode(err) == ritorno.ENOTFOUND
			wantGone := name != "pending-old" && name[len(name)-4:] == "-old"
			if gone != wantGone {
				t.Errorf("%s: gone = %v (%v), want %v", name, gone, err, wantGone)
			}
		}
		if _, err := db.PurgeDeliveries(ctx, cutoff, 0); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("limit 0: %v, want invalid", err)
		}
	})
}

// Erasing a shop erases the deliveries that name its domain but were never attached to it
// (parked before it was known, ignored topics, refused at receipt), and no other shop's.
func TestShopErasuresReachUnattachedDeliveries(t *testing.T) {
	for _, erase := range []struct {
		name string
		do   func(ctx context.Context, db *store.DB, shopID int64) error
	}{
		{"DeleteShop", func(ctx context.Context, db *store.DB, id int64) error { return db.DeleteShop(ctx, id) }},
		{"RedactShop", func(ctx context.Context, db *store.DB, id int64) error { return db.RedactShop(ctx, id) }},
	} {
		t.Run(erase.name, func(t *testing.T) {
			storetest.Dialects(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				shop := mustShop(t, db, "gone.myshopify.com")
				mustShop(t, db, "stays.myshopify.com")
				var mine, theirs []int64
				for _, st := range []ritorno.DeliveryStatus{ritorno.DeliveryIgnored, ritorno.DeliveryFailed, ritorno.DeliveryDone} {
					for _, domain := range []string{"gone.myshopify.com", "stays.myshopify.com"} {
						d := delivery(domain, "wh-"+string(st), st)
						d.ShopID = 0 // as stored at receipt for an ignored topic or a refused header
						id, _, err := db.RecordDelivery(ctx, d)
						if err != nil {
							t.Fatal(err)
						}
						if domain == "gone.myshopify.com" {
							mine = append(mine, id)
						} else {
							theirs = append(theirs, id)
						}
					}
				}
				if err := erase.do(ctx, db, shop.ID); err != nil {
					t.Fatal(err)
				}
				for _, id := range mine {
					if _, err := db.Delivery(ctx, id); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
						t.Errorf("delivery %d naming the erased shop survived: %v", id, err)
					}
				}
				for _, id := range theirs {
					if d, err := db.Delivery(ctx, id); err != nil || len(d.Body) == 0 {
						t.Errorf("another shop's delivery %d was touched: %v", id, err)
					}
				}
			})
		})
	}
}
