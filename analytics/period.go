package analytics

import (
	"slices"
	"time"

	"github.com/ritorno/ritorno"
)

// TopPercent is the share of a period's customers, by spend, whose revenue
// ShopFigures.TopShare measures (loyal-customer concentration).
const TopPercent = 15

// PeriodOptions tune Period.
type PeriodOptions struct {
	// LookbackFrom starts the lookback window [LookbackFrom, from) whose customers are the
	// period's starting customers S. Zero means a window as long as the period
	// (from − (to − from)). For a calendar month, pass the start of the previous month, so
	// that S is the previous calendar month's customers whatever the months' lengths.
	LookbackFrom time.Time
}

// ShopFigures are a shop's KPIs for a period [From, To). A customer is a buyer with a known
// key and at least one purchase; unknown buyers count in Orders and Revenue only. Nothing
// placed at or after To is seen, so the figures of a past period never change. Ratios
// whose denominator is zero are nil.
type ShopFigures struct {
	From, To     time.Time
	LookbackFrom time.Time // the lookback window is [LookbackFrom, From)

	Orders  int           // purchases placed in the period, unknown buyers included
	Revenue ritorno.Money // their net total

	Start       int // S: customers with a purchase in the lookback window
	End         int // E: customers with a purchase in the period
	New         int // N: customers whose first purchase ever is in the period (N ⊆ E)
	Returning   int // E − N: customers of the period whose first purchase was before From
	Retained    int // |S ∩ E|: starting customers who bought again in the period
	Reactivated int // Returning − Retained: returning customers absent from the lookback window
	// CRR, the customer retention rate, is (E − N) / S. Its numerator counts reactivated
	// customers too, so it can exceed 1; Retained / S cannot.
	CRR *float64
	// Churn is 1 − Retained / S: the share of starting customers who did not buy again.
	Churn *float64

	CustomersToDate       int      // customers with a purchase before To
	RepeatCustomersToDate int      // of them, those with two or more purchases before To
	RepeatRate            *float64 // RepeatCustomersToDate / CustomersToDate

	CustomerOrders    int      // the period's purchases by customers (Orders less unknown buyers')
	PurchaseFrequency *float64 // CustomerOrders / End
	// AOV is Revenue / Orders, rounded half away from zero; nil without orders.
	AOV *ritorno.Money
	// CustomerValue is PurchaseFrequency × AOV, taken exactly (CustomerOrders · Revenue /
	// (End · Orders)) and rounded once, half away from zero; nil without customers.
	CustomerValue *ritorno.Money

	NewRevenue       ritorno.Money // the period's revenue from its new customers
	ReturningRevenue ritorno.Money // from its returning customers
	UnknownRevenue   ritorno.Money // from unknown buyers; the three sum to Revenue

	// SkippedOrders counts the shop's orders left out of every figure because their time
	// cannot be placed (see NewHistories); 0 normally.
	SkippedOrders int
	// OtherCurrencies are the shop's orders left out of every figure because they are in
	// another currency than the shop's, per currency, with their net sum in their own
	// currency (nil: none). They are never converted nor counted as the shop's.
	OtherCurrencies []ritorno.CurrencyTotal

	// TopCustomers is ⌈End · TopPercent / 100⌉, the number of the period's customers with
	// the largest spend in the period; TopRevenue is their spend (the sum of the
	// TopCustomers largest spends, so ties at the cut do not change it); TopShare is
	// TopRevenue / (NewRevenue + ReturningRevenue), nil when that is zero.
	TopCustomers int
	TopRevenue   ritorno.Money
	TopShare     *float64

	// SecondOrders counts customers whose second purchase ever is in the period, and
	// MedianDaysToSecondOrder is the median time from their first purchase to it, in days
	// of 24 hours (the mean of the two middle values for an even count).
	SecondOrders            int
	MedianDaysToSecondOrder *float64
}

// Period computes the shop's KPIs for [from, to). Periods are instants: cut them in the
// shop's location (CalendarMonth does so for a month). It fails with EINVALID when to is
// not after from or the lookback starts after from.
func (h *Histories) Period(from, to time.Time, opt PeriodOptions) (ShopFigures, error) {
	if !to.After(from) {
		return ShopFigures{}, ritorno.Errorf(ritorno.EINVALID, "analytics: a period must end after it starts")
	}
	lookback := opt.LookbackFrom
	if lookback.IsZero() {
		lookback = from.Add(-to.Sub(from))
	}
	if lookback.After(from) {
		return ShopFigures{}, ritorno.Errorf(ritorno.EINVALID, "analytics: the lookback window must start at or before the period")
	}
	f, t, w := nanos(from), nanos(to), nanos(lookback)
	fig := ShopFigures{From: from, To: to, LookbackFrom: lookback, SkippedOrders: h.skipped, OtherCurrencies: h.other}

	var revenue, newRev, retRev int64
	var spends []int64 // each period customer's spend in the period
	var gaps []float64 // days from first to second purchase, when the second is in the period
	for i := range h.ids {
		g := h.p[h.off[i]:h.off[i+1]]
		if g[0].at >= t {
			continue // not a customer yet at the end of the period
		}
		fig.CustomersToDate++
		if len(g) > 1 && g[1].at < t {
			fig.RepeatCustomersToDate++
			if g[1].at >= f {
				gaps = append(gaps, days(g[1].at-g[0].at))
			}
		}
		inLookback, inPeriod := false, false
		var spend int64
		for _, r := range g {
			if r.at >= t {
				break
			}
			if r.at >= f {
				inPeriod = true
				spend += r.net
				fig.CustomerOrders++
			} else if r.at >= w {
				inLookback = true
			}
		}
		if inLookback {
			fig.Start++
		}
		if !inPeriod {
			continue
		}
		fig.End++
		spends = append(spends, spend)
		switch {
		case g[0].at >= f:
			fig.New++
			newRev += spend
		case inLookback:
			fig.Retained++
			retRev += spend
		default:
			fig.Reactivated++
			retRev += spend
		}
	}
	var unknownRev int64
	unknownOrders := 0
	for _, r := range h.anon {
		if r.at >= f && r.at < t {
			unknownOrders++
			unknownRev += r.net
		}
	}
	fig.Returning = fig.Retained + fig.Reactivated
	fig.Orders = fig.CustomerOrders + unknownOrders
	revenue = newRev + retRev + unknownRev
	fig.Revenue = h.money(revenue)
	fig.NewRevenue, fig.ReturningRevenue, fig.UnknownRevenue = h.money(newRev), h.money(retRev), h.money(unknownRev)

	fig.CRR = ratio(fig.Returning, fig.Start)
	if fig.Start > 0 {
		v := 1 - float64(fig.Retained)/float64(fig.Start)
		fig.Churn = &v
	}
	fig.RepeatRate = ratio(fig.RepeatCustomersToDate, fig.CustomersToDate)
	fig.PurchaseFrequency = ratio(fig.CustomerOrders, fig.End)
	if fig.Orders > 0 {
		aov := h.money(divRound(revenue, int64(fig.Orders)))
		fig.AOV = &aov
	}
	if fig.End > 0 {
		// End > 0 implies Orders > 0; the quotient is at most Revenue, so it fits.
		cv := h.money(mulDivRound(int64(fig.CustomerOrders), revenue, int64(fig.End)*int64(fig.Orders)))
		fig.CustomerValue = &cv
	}

	fig.TopCustomers = (fig.End*TopPercent + 99) / 100
	slices.Sort(spends)
	var top int64
	for _, s := range spends[len(spends)-fig.TopCustomers:] {
		top += s
	}
	fig.TopRevenue = h.money(top)
	if known := newRev + retRev; known > 0 {
		v := float64(top) / float64(known)
		fig.TopShare = &v
	}

	fig.SecondOrders = len(gaps)
	if n := len(gaps); n > 0 {
		slices.Sort(gaps)
		m := gaps[n/2]
		if n%2 == 0 {
			m = (gaps[n/2-1] + gaps[n/2]) / 2
		}
		fig.MedianDaysToSecondOrder = &m
	}
	return fig, nil
}

// CalendarMonth returns the instants that bound a calendar month in loc: its first instant
// and the next month's. loc must not be nil.
func CalendarMonth(year int, month time.Month, loc *time.Location) (from, to time.Time) {
	return time.Date(year, month, 1, 0, 0, 0, 0, loc), time.Date(year, month+1, 1, 0, 0, 0, 0, loc)
}
