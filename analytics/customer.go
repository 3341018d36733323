package analytics

import (
	"time"

	"github.com/ritorno/ritorno"
)

// CustomerFigures are one customer's purchase figures as of a moment.
type CustomerFigures struct {
	Customer int64
	Orders   int           // purchases placed at or before the moment
	Spent    ritorno.Money // the sum of their Net
	// AOV is Spent / Orders rounded half away from zero to a minor unit.
	AOV ritorno.Money
	// First and Last are when the first and last purchases were placed (UTC), and
	// FirstOrder and LastOrder their order ids (time, then order id, decides the order).
	First, Last           time.Time
	FirstOrder, LastOrder int64
	// MeanDaysBetweenOrders is (Last − First) in days of 24 hours divided by Orders − 1;
	// nil with a single order.
	MeanDaysBetweenOrders *float64
}

// Customers returns the figures of every customer with at least one purchase placed at or
// before now, sorted by customer. Later purchases are ignored, so a future-dated order
// cannot make a recency negative.
func (h *Histories) Customers(now time.Time) []CustomerFigures {
	end := nanos(now)
	out := make([]CustomerFigures, 0, len(h.ids))
	means := make([]float64, 0, len(h.ids)) // one allocation behind all the pointers
	for i, id := range h.ids {
		g := h.p[h.off[i]:h.off[i+1]]
		k := len(g)
		for k > 0 && g[k-1].at > end {
			k--
		}
		if k == 0 {
			continue
		}
		g = g[:k]
		var spent int64
		for _, r := range g {
			spent += r.net
		}
		first, last := g[0], g[k-1]
		c := CustomerFigures{
			Customer:   id,
			Orders:     k,
			Spent:      h.money(spent),
			AOV:        h.money(divRound(spent, int64(k))),
			First:      utc(first.at),
			Last:       utc(last.at),
			FirstOrder: first.order,
			LastOrder:  last.order,
		}
		if k > 1 {
			means = append(means, days(last.at-first.at)/float64(k-1))
			c.MeanDaysBetweenOrders = &means[len(means)-1]
		}
		out = append(out, c)
	}
	return out
}
