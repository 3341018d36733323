package history_test

import (
	"context"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
)

// buyerStore serves orders a page of two at a time, so that HistoryOf must page.
type buyerStore struct {
	customers map[int64]ritorno.Customer
	orders    []ritorno.Order // by platform id
}

func (s buyerStore) Customer(_ context.Context, _ int64, id int64) (ritorno.Customer, error) {
	if c, ok := s.customers[id]; ok {
		return c, nil
	}
	return ritorno.Customer{}, ritorno.Errorf(ritorno.ENOTFOUND, "no customer %d", id)
}

func (s buyerStore) BuyerOrders(_ context.Context, _ int64, b ritorno.Buyer, after int64) ([]ritorno.Order, error) {
	var page []ritorno.Order
	for _, o := range s.orders {
		if o.PlatformID > after && o.Buyer.CustomerPlatformID == b.CustomerPlatformID && len(page) < 2 {
			page = append(page, o)
		}
	}
	return page, nil
}

func (s buyerStore) Order(_ context.Context, _ int64, id int64) (ritorno.Order, error) {
	for _, o := range s.orders {
		if o.PlatformID == id {
			return o, nil
		}
	}
	return ritorno.Order{}, ritorno.Errorf(ritorno.ENOTFOUND, "no order %d", id)
}

func TestHistoryOf(t *testing.T) {
	ctx := context.Background()
	shop := ritorno.Shop{ID: 1, Currency: "USD"}
	order := func(id, customer int64, total string) ritorno.Order {
		return ritorno.Order{PlatformID: id, Buyer: ritorno.BuyerFor(customer, ""), Currency: "USD", Total: ritorno.MustParseMoney(total, "USD"),
			RefundedAmount: ritorno.MustParseMoney("0", "USD"), FinancialStatus: ritorno.FinancialPaid}
	}
	s := buyerStore{
		customers: map[int64]ritorno.Customer{7: {PlatformID: 7, Email: "a@example.com"}},
		orders:    []ritorno.Order{order(1, 7, "10.00"), order(2, 7, "5.00"), order(3, 8, "1.00"), order(4, 7, "2.50")},
	}
	customer := func(id int64) ritorno.Buyer {
		return ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: id}
	}

	t.Run("every page, and the summary", func(t *testing.T) {
		h, err := history.HistoryOf(ctx, s, shop, customer(7), nil)
		if err != nil || h.Customer == nil || h.Customer.Email != "a@example.com" || len(h.Orders) != 3 || h.Summary.NetSpent.Decimal() != "17.50" {
			t.Fatalf("HistoryOf = %+v, %v", h, err)
		}
	})
	t.Run("a data request's orders added once, an unknown one left out", func(t *testing.T) {
		h, err := history.HistoryOf(ctx, s, shop, customer(7), []int64{1, 3, 99})
		if err != nil || len(h.Orders) != 4 || h.Orders[3].PlatformID != 3 {
			t.Fatalf("HistoryOf = %+v, %v", h, err)
		}
	})
	t.Run("no record, no order: empty, not an error", func(t *testing.T) {
		h, err := history.HistoryOf(ctx, s, shop, customer(9), nil)
		if err != nil || !h.Empty() {
			t.Fatalf("HistoryOf = %+v, %v", h, err)
		}
	})
}
