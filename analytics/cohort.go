package analytics

import (
	"time"

	"github.com/ritorno/ritorno"
)

// maxCohortMonths bounds the table (a century of months), so that a bad now cannot make it
// quadratically large.
const maxCohortMonths = 1200

// CohortTable is a shop's monthly acquisition cohorts as of a moment.
type CohortTable struct {
	Through time.Time // now: purchases placed after it are not counted
	// Cohorts are in month order. A month in which nobody bought for the first time has no
	// cohort.
	Cohorts []Cohort
	// SkippedOrders counts the shop's orders left out because their time cannot be placed
	// (see NewHistories); 0 normally.
	SkippedOrders int
	// OtherCurrencies are the shop's orders left out because they are in another
	// currency than the shop's, per currency (nil: none).
	OtherCurrencies []ritorno.CurrencyTotal
}

// Cohort is the customers whose first purchase was placed in one calendar month of the
// shop's location, followed month by month. Every slice is indexed by the cohort's age k in
// months (k = 0 is the first month) and runs to the month that holds Through, which is
// counted up to Through; later months, of which nothing is known yet, are not emitted.
type Cohort struct {
	Month     time.Time // the first instant of the month, in the shop's location
	Customers int
	// Active[k] counts the cohort's customers with a purchase in calendar month Month+k, and
	// Retention[k] = Active[k] / Customers is the retention matrix's cell. Active[0] is
	// Customers and Retention[0] is 1, by definition.
	Active    []int
	Retention []float64
	// Revenue[k] is the cohort's cumulative net revenue in months 0 to k, and
	// RevenuePerCustomer[k] is Revenue[k] / Customers rounded half away from zero.
	Revenue            []ritorno.Money
	RevenuePerCustomer []ritorno.Money
}

// Cohorts builds the monthly acquisition cohorts, with months cut in loc, from the
// purchases placed at or before now. It fails with EINVALID when loc is nil or the months
// from the first purchase to now are more than a century.
func (h *Histories) Cohorts(loc *time.Location, now time.Time) (CohortTable, error) {
	if loc == nil {
		return CohortTable{}, ritorno.Errorf(ritorno.EINVALID, "analytics: cohorts need the shop's location")
	}
	table := CohortTable{Through: now, SkippedOrders: h.skipped, OtherCurrencies: h.other}
	end := nanos(now)
	first := int64(0)
	found := false
	for i := range h.ids {
		if a := h.p[h.off[i]].at; a <= end && (!found || a < first) {
			first, found = a, true
		}
	}
	if !found {
		return table, nil
	}
	f := utc(first).In(loc)
	n := now.In(loc)
	months := (n.Year()-f.Year())*12 + int(n.Month()-f.Month()) + 1
	if months > maxCohortMonths {
		return CohortTable{}, ritorno.Errorf(ritorno.EINVALID, "analytics: cohorts span more than %d months", maxCohortMonths)
	}
	// bounds[j] is the first instant of month j (month 0 holds the first purchase);
	// bounds[months] is after now.
	monthStart := func(j int) time.Time { return time.Date(f.Year(), f.Month()+time.Month(j), 1, 0, 0, 0, 0, loc) }
	bounds := make([]int64, months+1)
	for j := range bounds {
		bounds[j] = nanos(monthStart(j))
	}
	monthOf := func(at int64) int { // the j with bounds[j] <= at < bounds[j+1]
		lo, hi := 0, months-1
		for lo < hi {
			mid := int(uint(lo+hi+1) >> 1)
			if bounds[mid] <= at {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo
	}

	// Cohort c covers ages 0 to months−1−c.
	size := make([]int, months)
	active := make([][]int, months)
	revenue := make([][]int64, months)
	for i := range h.ids {
		g := h.p[h.off[i]:h.off[i+1]]
		if g[0].at > end {
			continue
		}
		c := monthOf(g[0].at)
		if size[c] == 0 {
			active[c] = make([]int, months-c)
			revenue[c] = make([]int64, months-c)
		}
		size[c]++
		m, prev := c, -1
		for _, r := range g {
			if r.at > end {
				break
			}
			for bounds[m+1] <= r.at { // purchases are in time order: walk the months forward
				m++
			}
			k := m - c
			revenue[c][k] += r.net
			if k != prev {
				active[c][k]++
				prev = k
			}
		}
	}

	for c := range months {
		if size[c] == 0 {
			continue
		}
		ages := months - c
		co := Cohort{
			Month:              monthStart(c),
			Customers:          size[c],
			Active:             active[c],
			Retention:          make([]float64, ages),
			Revenue:            make([]ritorno.Money, ages),
			RevenuePerCustomer: make([]ritorno.Money, ages),
		}
		var cum int64
		for k := range ages {
			cum += revenue[c][k]
			co.Retention[k] = float64(active[c][k]) / float64(size[c])
			co.Revenue[k] = h.money(cum)
			co.RevenuePerCustomer[k] = h.money(divRound(cum, int64(size[c])))
		}
		table.Cohorts = append(table.Cohorts, co)
	}
	return table, nil
}
