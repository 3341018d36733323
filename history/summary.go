package history

import (
	"time"

	"github.com/ritorno/ritorno"
)

// Summary condenses a buyer's orders. Only orders that count (not test, cancelled, voided or
// deleted) enter it; refunds reduce what was spent.
type Summary struct {
	OrderCount int
	NetSpent   ritorno.Money
	FirstOrder time.Time
	LastOrder  time.Time
}

// Summarize computes a Summary of orders in currency (the shop's). Orders in another
// currency are a data error and are reported, not mixed in.
func Summarize(orders []ritorno.Order, currency string) (Summary, error) {
	s := Summary{NetSpent: ritorno.Zero(currency)}
	for _, o := range orders {
		if !o.Counts() {
			continue
		}
		var err error
		if s.NetSpent, err = s.NetSpent.Add(o.NetTotal()); err != nil {
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
	return s, nil
}
