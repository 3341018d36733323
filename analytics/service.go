package analytics

import (
	"context"
	"time"

	"github.com/ritorno/ritorno"
)

// HistoryStore is what reading a shop's histories needs of storage.
type HistoryStore interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	EachCountedOrder(ctx context.Context, shopID int64, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error
}

// Service answers the figures that depend on a period chosen at request time (KPIs,
// cohorts) from the stored orders. Per-buyer insights are precomputed (Compute) and read
// from storage directly.
type Service struct {
	store HistoryStore
	now   func() time.Time
}

// NewService returns a Service over store; now is the clock (nil: time.Now).
func NewService(store HistoryStore, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Histories loads the shop's purchases that count, up to now: those in the shop's
// currency; the others are left out and counted per currency (OtherCurrencies).
func (s *Service) Histories(ctx context.Context, shopID int64) (*Histories, ritorno.Shop, error) {
	shop, err := s.store.Shop(ctx, shopID)
	if err != nil {
		return nil, ritorno.Shop{}, err
	}
	var ps []Purchase
	old := 0
	other := ritorno.CurrencyTotals{}
	err = s.store.EachCountedOrder(ctx, shopID, func(key, order int64, at time.Time, net int64, currency string) error {
		if currency != shop.Currency {
			return other.Add(ritorno.Money{Amount: net, Currency: currency})
		}
		// A time before any online shop (stored before the adapters mended such times)
		// would stretch the cohorts over centuries: left out and counted, like the times
		// NewHistories cannot place.
		if at.Before(ritorno.EarliestPlausibleTime) {
			old++
			return nil
		}
		ps = append(ps, Purchase{Customer: key, Order: order, At: at, Net: net})
		return nil
	})
	if err != nil {
		return nil, shop, err
	}
	h, err := NewHistories(ps, shop.Currency)
	if err != nil {
		return nil, shop, err
	}
	h.skipped += old
	return h.WithOtherCurrencies(other), shop, nil
}

// Period computes the shop's KPIs for [from, to), both cut by the caller in the shop's
// time zone; a zero lookbackFrom takes a window as long as the period.
func (s *Service) Period(ctx context.Context, shopID int64, from, to, lookbackFrom time.Time) (ShopFigures, error) {
	h, _, err := s.Histories(ctx, shopID)
	if err != nil {
		return ShopFigures{}, err
	}
	return h.Period(from, to, PeriodOptions{LookbackFrom: lookbackFrom})
}

// Cohorts computes the shop's monthly cohorts up to now, months cut in its time zone.
func (s *Service) Cohorts(ctx context.Context, shopID int64) (CohortTable, error) {
	h, shop, err := s.Histories(ctx, shopID)
	if err != nil {
		return CohortTable{}, err
	}
	return h.Cohorts(shop.Location(), s.now())
}
