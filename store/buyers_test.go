package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestGuestMergeUnderConcurrency races a guest order against the account created with the
// same address, many times: whichever commits first, the order must end as the customer's.
func TestGuestMergeUnderConcurrency(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "race.myshopify.com")
		const n = 30
		var wg sync.WaitGroup
		for i := range n {
			email := fmt.Sprintf("buyer%d@example.com", i)
			o := sampleOrder(int64(5000+i), 0)
			o.Buyer = ritorno.BuyerFor(0, email)
			c := sampleCustomer(int64(700 + i))
			c.Email = email
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := db.UpsertOrder(ctx, shop.ID, o); err != nil {
					t.Error(err)
				}
			}()
			go func() {
				defer wg.Done()
				if _, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i := range n {
			o, err := db.Order(ctx, shop.ID, int64(5000+i))
			if err != nil || o.Buyer.Kind != ritorno.BuyerCustomer || o.Buyer.CustomerPlatformID != int64(700+i) {
				t.Fatalf("order %d ended as %+v, %v; want customer %d", 5000+i, o.Buyer, err, 700+i)
			}
		}
	})
}
