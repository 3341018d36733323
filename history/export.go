package history

import (
	"context"

	"github.com/ritorno/ritorno"
)

// BuyerReader is what a buyer's history needs of storage.
type BuyerReader interface {
	Customer(ctx context.Context, shopID, platformID int64) (ritorno.Customer, error)
	// BuyerOrders is one page of the buyer's orders, by platform id, after the one given.
	BuyerOrders(ctx context.Context, shopID int64, buyer ritorno.Buyer, after int64) ([]ritorno.Order, error)
	Order(ctx context.Context, shopID, platformID int64) (ritorno.Order, error)
}

// BuyerHistory is what a shop holds about one buyer: what `ritorno history` prints and a
// GDPR data request's export hands over.
type BuyerHistory struct {
	Buyer    ritorno.Buyer
	Customer *ritorno.Customer // nil for a guest, or a customer the shop has no record of
	Orders   []ritorno.Order
	Summary  Summary
}

// Empty reports whether the shop holds nothing about the buyer: no record, no order.
func (h BuyerHistory) Empty() bool { return h.Customer == nil && len(h.Orders) == 0 }

// HistoryOf assembles a buyer's history: a customer's record and orders, or a guest's
// orders. extraOrders (the orders a data request names) are added when not already there;
// one that is not stored is left out.
func HistoryOf(ctx context.Context, r BuyerReader, shop ritorno.Shop, buyer ritorno.Buyer, extraOrders []int64) (BuyerHistory, error) {
	if buyer.Kind != ritorno.BuyerCustomer && buyer.Kind != ritorno.BuyerGuest {
		return BuyerHistory{}, ritorno.Errorf(ritorno.EINVALID, "name a customer id or an e-mail address")
	}
	h := BuyerHistory{Buyer: buyer}
	if buyer.Kind == ritorno.BuyerCustomer {
		c, err := r.Customer(ctx, shop.ID, buyer.CustomerPlatformID)
		switch {
		case err == nil:
			h.Customer = &c
		case ritorno.ErrorCode(err) != ritorno.ENOTFOUND:
			return BuyerHistory{}, err
		}
	}
	for after := int64(0); ; {
		page, err := r.BuyerOrders(ctx, shop.ID, buyer, after)
		if err != nil {
			return BuyerHistory{}, err
		}
		h.Orders = append(h.Orders, page...)
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].PlatformID
	}
	seen := map[int64]bool{}
	for _, o := range h.Orders {
		seen[o.PlatformID] = true
	}
	for _, id := range extraOrders {
		if seen[id] {
			continue
		}
		o, err := r.Order(ctx, shop.ID, id)
		if err == nil {
			h.Orders = append(h.Orders, o)
		} else if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			return BuyerHistory{}, err
		}
	}
	var err error
	if h.Summary, err = Summarize(h.Orders, shop.Currency); err != nil {
		return BuyerHistory{}, err
	}
	return h, nil
}
