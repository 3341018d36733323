package history

import (
	"time"

	"github.com/ritorno/ritorno"
)

// Summary condenses a buyer's orders. Only orders that count (not test, cancelled, voided or
// deleted) enter it; refunds reduce what was spent.
type Summary struct {
	OrderCount int           // orders that count, in every currency
	NetSpent   ritorno.Money // what the orders in the shop's currency came to
	// ByCurrency totals the orders of each currency the buyer paid in (the shop's
	// included), by currency code: an order in another currency than the shop's is never
	// converted nor relabelled.
	ByCurrency []ritorno.CurrencyTotal
	FirstOrder time.Time
	LastOrder  time.Time
}

// Summarize computes a Summary of orders for a shop whose currency is currency. Each
// order is totalled in its own currency; it fails only on an amount overflow.
func Summarize(orders []ritorno.Order, currency string) (Summary, error) {
	s := Summary{NetSpent: ritorno.Zero(currency)}
	totals := ritorno.CurrencyTotals{}
	for _, o := range orders {
		if !o.Counts() {
			continue
		}
		if err := totals.Add(o.NetTotal()); err != nil {
			return Summary{}, err
		}
		s.OrderCount++
		at := o.PlacedAt()
		if s.FirstOrder.IsZero() || at.Before(s.FirstOrder) {
			s.FirstOrder = at
		}
		if at.After(s.LastOrder) {
			s.LastOrder = at
		}
	}
	s.ByCurrency = totals.Sorted()
	if t, ok := totals[currency]; ok {
		s.NetSpent = t.Net
	}
	return s, nil
}
