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

func TestOrderRoundTripAndStaleness(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "alpha.myshopify.com")
		o := sampleOrder(1001, 42)
		if applied, err := db.UpsertOrder(ctx, shop.ID, o); err != nil || !applied {
			t.Fatalf("UpsertOrder = %v, %v", applied, err)
		}
		got, err := db.Order(ctx, shop.ID, 1001)
		o.ShopID = shop.ID
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("Order = %+v, %v\nwant %+v", got, err, o)
		}
		if net := got.NetTotal(); net != usd("58.88") {
			t.Fatalf("NetTotal = %v", net)
		}

		stale := o
		stale.Refunds, stale.RefundedAmount, stale.PlatformUpdatedAt = nil, usd("0"), o.PlatformUpdatedAt.Add(-time.Hour)
		if applied, err := db.UpsertOrder(ctx, shop.ID, stale); err != nil || applied {
			t.Fatalf("stale UpsertOrder = %v, %v; want ignored", applied, err)
		}
		if got, _ := db.Order(ctx, shop.ID, 1001); len(got.Refunds) != 1 {
			t.Fatal("a stale payload removed the refund")
		}

		guest := sampleOrder(1002, 0)
		guest.PlatformUpdatedAt = time.Time{}
		if _, err := db.UpsertOrder(ctx, shop.ID, guest); err != nil {
			t.Fatal(err)
		}
		byCustomer, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{Buyer: ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: 42}})
		if err != nil || len(byCustomer) != 1 || byCustomer[0].PlatformID != 1001 {
			t.Fatalf("orders of customer 42 = %+v, %v", byCustomer, err)
		}
		byGuest, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{Buyer: guest.Buyer})
		if err != nil || len(byGuest) != 1 || byGuest[0].PlatformID != 1002 || len(byGuest[0].LineItems) != 2 {
			t.Fatalf("orders of the guest = %+v, %v", byGuest, err)
		}
		page, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{After: 1001, Limit: 5})
		if err != nil || len(page) != 1 || page[0].PlatformID != 1002 {
			t.Fatalf("second page = %+v, %v", page, err)
		}

		bad := sampleOrder(1003, 42)
		bad.Total = ritorno.MustParseMoney("1", "EUR")
		if _, err := db.UpsertOrder(ctx, shop.ID, bad); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("mixed currencies: %v, want invalid", err)
		}
	})
}
