// Package analytics computes a shop's retention figures from its purchase histories: KPIs
// for a period (retention and churn, repeat rate, frequency, order value, revenue from new
// and returning customers, concentration, time to the second order), per-customer figures,
// RFM scores and segments, and monthly acquisition cohorts.
//
// It is pure: callers bring the orders that count, already reduced to Purchases, and get
// figures back. Every figure is defined in docs/analytics.md; the doc comments here repeat
// the definitions briefly. Money is integer minor units of the shop currency; ratios are
// float64 and are nil where they are undefined (a division by zero), never NaN or Inf.
//
// Grouping the purchases by customer is the costly step, so it is done once (NewHistories)
// and every figure is a method of the result.
package analytics

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/ritorno/ritorno"
)

// Purchase is one order that counts (not test, cancelled, voided or deleted: see
// ritorno.Order.Counts), as analytics sees it. A fully refunded order is still a purchase,
// with Net 0: it was placed and counts as an order, but brings no revenue.
type Purchase struct {
	// Customer is the buyer's key within the shop (the customer platform id, or a key for
	// a guest's e-mail hash). 0 means an unknown buyer: the order counts for the shop's
	// revenue and order count, never as a customer.
	Customer int64
	Order    int64     // the order's id; it orders purchases placed at the same instant
	At       time.Time // when it was placed; periods and months are cut in the shop's location
	Net      int64     // net of refunds, in minor units of the shop currency; never negative
}

// rec is a purchase as stored in Histories: the time as Unix nanoseconds, so that the hot
// loops compare integers.
type rec struct {
	at    int64
	order int64
	net   int64
}

// Histories are a shop's purchases grouped by customer, each customer's in time order.
// They are immutable once built, so their methods may run concurrently.
type Histories struct {
	currency string
	ids      []int64 // customer keys, ascending; customer i is ids[i]
	off      []int   // customer i's purchases are p[off[i]:off[i+1]]
	p        []rec   // grouped by customer; within a customer ordered by (at, order)
	anon     []rec   // purchases of unknown buyers, in no order
	skipped  int     // purchases left out: their time cannot be placed (see NewHistories)
	// other is the orders left out because they are in another currency than the shop's
	// (their amounts cannot be added to its figures without a conversion Ritorno never makes).
	other []ritorno.CurrencyTotal
}

// The range of times that Unix nanoseconds can hold (1677 to 2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// NewHistories groups purchases by customer, in one pass and one sort of the distinct
// customers. ps may be in any order and is not modified. Each order must appear once.
// A purchase whose time lies outside the years 1678–2262 (including the zero time) is
// left out and counted (Skipped): one such row, stored before the adapters refused such
// times, must not take down every figure of its shop. It fails with EINVALID for an
// invalid currency, a negative Net, or amounts whose sum overflows int64 (a bound that
// then holds for every sum the figures take).
func NewHistories(ps []Purchase, currency string) (*Histories, error) {
	if err := ritorno.ValidateCurrency(currency); err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	if len(ps) > math.MaxInt32 {
		return nil, ritorno.Errorf(ritorno.EINVALID, "analytics: too many purchases (%d)", len(ps))
	}
	// One pass: validate, and give each customer a dense index in order of appearance.
	dense := make(map[int64]int32)
	var keys []int64 // customer key by dense index
	var counts []int // purchases by dense index
	pidx := make([]int32, len(ps))
	var total int64
	nAnon, skipped := 0, 0
	for i := range ps {
		p := &ps[i]
		if p.Net < 0 {
			return nil, ritorno.Errorf(ritorno.EINVALID, "analytics: order %d has a negative net amount", p.Order)
		}
		if p.At.Before(minTime) || p.At.After(maxTime) {
			pidx[i] = -2
			skipped++
			continue
		}
		if p.Net > math.MaxInt64-total {
			return nil, ritorno.Errorf(ritorno.EINVALID, "analytics: the shop's amounts overflow")
		}
		total += p.Net
		if p.Customer == 0 {
			pidx[i] = -1
			nAnon++
			continue
		}
		j, ok := dense[p.Customer]
		if !ok {
			j = int32(len(keys))
			dense[p.Customer] = j
			keys = append(keys, p.Customer)
			counts = append(counts, 0)
		}
		counts[j]++
		pidx[i] = j
	}

	// Rank the customers by key, so that results come out sorted by customer.
	n := len(keys)
	byKey := make([]int32, n)
	for j := range byKey {
		byKey[j] = int32(j)
	}
	slices.SortFunc(byKey, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
	rank := make([]int32, n)
	h := &Histories{
		currency: currency,
		ids:      make([]int64, n),
		off:      make([]int, n+1),
		p:        make([]rec, len(ps)-nAnon-skipped),
		anon:     make([]rec, 0, nAnon),
		skipped:  skipped,
	}
	for r, j := range byKey {
		rank[j] = int32(r)
		h.ids[r] = keys[j]
		h.off[r+1] = h.off[r] + counts[j]
	}

	// Counting sort into the groups, then order each (small) group by time.
	next := slices.Clone(h.off[:n])
	for i := range ps {
		p := &ps[i]
		if pidx[i] == -2 {
			continue // skipped
		}
		x := rec{at: p.At.UnixNano(), order: p.Order, net: p.Net}
		if pidx[i] < 0 {
			h.anon = append(h.anon, x)
			continue
		}
		r := rank[pidx[i]]
		h.p[next[r]] = x
		next[r]++
	}
	for r := range n {
		sortRecs(h.p[h.off[r]:h.off[r+1]])
	}
	return h, nil
}

// Currency returns the shop currency that every Money result is in.
func (h *Histories) Currency() string { return h.currency }

// Skipped returns the number of purchases left out because their time cannot be placed.
func (h *Histories) Skipped() int { return h.skipped }

// OtherCurrencies returns the orders left out because they are in another currency than
// the shop's, per currency (see WithOtherCurrencies); nil when there are none.
func (h *Histories) OtherCurrencies() []ritorno.CurrencyTotal { return h.other }

// WithOtherCurrencies records the orders the caller left out of the purchases because
// they are in another currency than the shop's, so that every figure can say so.
func (h *Histories) WithOtherCurrencies(t ritorno.CurrencyTotals) *Histories {
	h.other = t.Sorted()
	return h
}

// Len returns the number of customers (buyers with a known key).
func (h *Histories) Len() int { return len(h.ids) }

func cmpRec(a, b rec) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.order, b.order)
}

// sortRecs orders one customer's purchases by (time, order id). Most customers have a few
// orders, for which insertion sort beats a general sort, and is linear on sorted input.
func sortRecs(g []rec) {
	if len(g) > 16 {
		if !slices.IsSortedFunc(g, cmpRec) {
			slices.SortFunc(g, cmpRec)
		}
		return
	}
	for i := 1; i < len(g); i++ {
		for j := i; j > 0 && cmpRec(g[j-1], g[j]) > 0; j-- {
			g[j-1], g[j] = g[j], g[j-1]
		}
	}
}

// nanos returns t as Unix nanoseconds, saturated to the representable range, so that a
// zero or far-off bound compares as "before everything" or "after everything".
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// placeable reports whether t can be a purchase's time in Histories (see NewHistories).
func placeable(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// utc turns Unix nanoseconds back into a time.
func utc(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// days converts a span of Unix nanoseconds into days of 24 hours.
func days(ns int64) float64 { return float64(ns) / float64(24*time.Hour) }

// divRound returns n/d rounded half away from zero, for n ≥ 0 and d > 0: the rounding of
// every average amount of money (AOV, revenue per customer).
func divRound(n, d int64) int64 {
	q, r := n/d, n%d
	if r >= d-r {
		q++
	}
	return q
}

// mulDivRound returns a·b/d rounded half away from zero, exactly (128-bit intermediate),
// for a, b ≥ 0 and d > 0 whose quotient fits in int64.
func mulDivRound(a, b, d int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(d))
	if r >= uint64(d)-r {
		q++
	}
	return int64(q)
}

// ratio returns num/den, or nil when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

func (h *Histories) money(amount int64) ritorno.Money {
	return ritorno.Money{Amount: amount, Currency: h.currency}
}
