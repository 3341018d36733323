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

func TestCustomerUpsertKeepsNewest(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		c := sampleCustomer(42)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil || !applied {
			t.Fatalf("first upsert = %v, %v", applied, err)
		}
		got, err := db.Customer(ctx, shop.ID, 42)
		c.ShopID, c.EmailHash = shop.ID, ritorno.HashEmail(c.Email)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("Customer = %+v, %v\nwant %+v", got, err, c)
		}
		older := c
		older.FirstName, older.PlatformUpdatedAt = "Stale", c.PlatformUpdatedAt.Add(-time.Minute)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, older); err != nil || applied {
			t.Fatalf("older upsert = %v, %v; want ignored", applied, err)
		}
		same := c
		if applied, err := db.UpsertCustomer(ctx, shop.ID, same); err != nil || !applied {
			t.Fatalf("replayed upsert = %v, %v; want applied (idempotent)", applied, err)
		}
		newer := c
		newer.FirstName, newer.PlatformUpdatedAt = "Augusta", c.PlatformUpdatedAt.Add(time.Second)
		if applied, err := db.UpsertCustomer(ctx, shop.ID, newer); err != nil || !applied {
			t.Fatalf("newer upsert = %v, %v", applied, err)
		}
		if got, _ := db.Customer(ctx, shop.ID, 42); got.FirstName != "Augusta" {
			t.Fatalf("after newer upsert FirstName = %q", got.FirstName)
		}
		if _, err := db.UpsertCustomer(ctx, shop.ID, ritorno.Customer{}); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("customer without id: %v", err)
		}
	})
}
