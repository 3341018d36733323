package analytics

import (
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

func money(amounts ...int64) []ritorno.Money {
	out := make([]ritorno.Money, len(amounts))
	for i, a := range amounts {
		out[i] = eur(a)
	}
	return out
}

// romeHistory straddles month ends in Europe/Rome (UTC+1 in winter, UTC+2 from Mar 29):
//
//	customer 1  2026-01-31T23:30Z = Feb 1 00:30 in Rome                 1000
//	customer 2  2026-01-31T22:30Z = Jan 31 23:30 in Rome                500
//	            2026-03-31T22:30Z = Apr 1 00:30 in Rome (summer time)   700
//	customer 3  2026-03-31T21:30Z = Mar 31 23:30 in Rome                300
var romeHistory = []Purchase{
	buy(1, 1, "2026-01-31T23:30:00Z", 1000),
	buy(2, 2, "2026-01-31T22:30:00Z", 500),
	buy(2, 3, "2026-03-31T22:30:00Z", 700),
	buy(3, 4, "2026-03-31T21:30:00Z", 300),
}

func TestCohorts(t *testing.T) {
	rome := mustLocation(t, "Europe/Rome")
	tests := []struct {
		name string
		ps   []Purchase
		loc  *time.Location
		now  time.Time
		want []Cohort
	}{
		{
			// December to April (now is Apr 1 00:00, in April); customer 6 (Apr 2) is not
			// yet a customer and unknown buyers are in no cohort. March has two orders of
			// customer 4 and one of 5 in month 0: active counts customers, not orders.
			name: "march history in utc",
			ps:   marchHistory, loc: time.UTC, now: ts("2026-04-01T00:00:00Z"),
			want: []Cohort{
				{Month: ts("2025-12-01T00:00:00Z"), Customers: 1, // 7
					Active: []int{1, 0, 0, 0, 0}, Retention: []float64{1, 0, 0, 0, 0},
					Revenue: money(501, 501, 501, 501, 501), RevenuePerCustomer: money(501, 501, 501, 501, 501)},
				{Month: ts("2026-01-01T00:00:00Z"), Customers: 1, // 2
					Active: []int{1, 0, 1, 0}, Retention: []float64{1, 0, 1, 0},
					Revenue: money(500, 500, 2500, 2500), RevenuePerCustomer: money(500, 500, 2500, 2500)},
				{Month: ts("2026-02-01T00:00:00Z"), Customers: 2, // 1, 3
					Active: []int{2, 1, 0}, Retention: []float64{1, 0.5, 0},
					Revenue: money(4000, 6000, 6000), RevenuePerCustomer: money(2000, 3000, 3000)},
				{Month: ts("2026-03-01T00:00:00Z"), Customers: 2, // 4, 5
					Active: []int{2, 1}, Retention: []float64{1, 0.5},
					Revenue: money(4700, 5600), RevenuePerCustomer: money(2350, 2800)},
			},
		},
		{
			// Customer 1's first order is February's in Rome; customer 2's second is April's.
			name: "month ends in rome",
			ps:   romeHistory, loc: rome, now: ts("2026-04-30T21:59:00Z"), // Apr 30 23:59 in Rome
			want: []Cohort{
				{Month: ts("2025-12-31T23:00:00Z"), Customers: 1, // January: 2
					Active: []int{1, 0, 0, 1}, Retention: []float64{1, 0, 0, 1},
					Revenue: money(500, 500, 500, 1200), RevenuePerCustomer: money(500, 500, 500, 1200)},
				{Month: ts("2026-01-31T23:00:00Z"), Customers: 1, // February: 1
					Active: []int{1, 0, 0}, Retention: []float64{1, 0, 0},
					Revenue: money(1000, 1000, 1000), RevenuePerCustomer: money(1000, 1000, 1000)},
				{Month: ts("2026-02-28T23:00:00Z"), Customers: 1, // March: 3
					Active: []int{1, 0}, Retention: []float64{1, 0},
					Revenue: money(300, 300), RevenuePerCustomer: money(300, 300)},
			},
		},
		{
			// The same purchases cut in UTC: customers 1 and 2 are January's, and 2's
			// second order is March's. Now is May 1 in UTC, so May is emitted, empty.
			name: "month ends in utc",
			ps:   romeHistory, loc: time.UTC, now: ts("2026-05-01T00:00:00Z"),
			want: []Cohort{
				{Month: ts("2026-01-01T00:00:00Z"), Customers: 2,
					Active: []int{2, 0, 1, 0, 0}, Retention: []float64{1, 0, 0.5, 0, 0},
					Revenue: money(1500, 1500, 2200, 2200, 2200), RevenuePerCustomer: money(750, 750, 1100, 1100, 1100)},
				{Month: ts("2026-03-01T00:00:00Z"), Customers: 1,
					Active: []int{1, 0, 0}, Retention: []float64{1, 0, 0},
					Revenue: money(300, 300, 300), RevenuePerCustomer: money(300, 300, 300)},
			},
		},
		{
			// Now is Mar 31 22:00Z: Apr 1 00:00 in Rome, so April is emitted (and is empty
			// so far), and the 22:30Z order is after now.
			name: "now at a month's first instant",
			ps:   romeHistory, loc: rome, now: ts("2026-03-31T22:00:00Z"),
			want: []Cohort{
				{Month: ts("2025-12-31T23:00:00Z"), Customers: 1,
					Active: []int{1, 0, 0, 0}, Retention: []float64{1, 0, 0, 0},
					Revenue: money(500, 500, 500, 500), RevenuePerCustomer: money(500, 500, 500, 500)},
				{Month: ts("2026-01-31T23:00:00Z"), Customers: 1,
					Active: []int{1, 0, 0}, Retention: []float64{1, 0, 0},
					Revenue: money(1000, 1000, 1000), RevenuePerCustomer: money(1000, 1000, 1000)},
				{Month: ts("2026-02-28T23:00:00Z"), Customers: 1,
					Active: []int{1, 0}, Retention: []float64{1, 0},
					Revenue: money(300, 300), RevenuePerCustomer: money(300, 300)},
			},
		},
		{
			// Per-customer revenue rounds half away from zero: 1001 / 2 = 500.5 → 501.
			name: "revenue per customer rounds",
			ps:   []Purchase{buy(1, 1, "2026-03-02T00:00:00Z", 1000), buy(2, 2, "2026-03-03T00:00:00Z", 1)},
			loc:  time.UTC, now: ts("2026-03-31T00:00:00Z"),
			want: []Cohort{{Month: ts("2026-03-01T00:00:00Z"), Customers: 2,
				Active: []int{2}, Retention: []float64{1}, Revenue: money(1001), RevenuePerCustomer: money(501)}},
		},
		{name: "no purchases", loc: time.UTC, now: ts("2026-04-01T00:00:00Z")},
		{name: "now before the first order", ps: marchHistory, loc: time.UTC, now: ts("2025-01-01T00:00:00Z")},
		{name: "only unknown buyers", ps: []Purchase{buy(0, 1, "2026-03-02T00:00:00Z", 10)}, loc: time.UTC, now: ts("2026-04-01T00:00:00Z")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustHistories(t, tc.ps).Cohorts(tc.loc, tc.now)
			if err != nil {
				t.Fatalf("Cohorts: %v", err)
			}
			assertSame(t, got, CohortTable{Through: tc.now, Cohorts: tc.want})
		})
	}
}

func TestCohortsErrors(t *testing.T) {
	h := mustHistories(t, marchHistory)
	tests := []struct {
		name string
		loc  *time.Location
		now  time.Time
	}{
		{name: "no location", now: ts("2026-04-01T00:00:00Z")},
		{name: "more than a century", loc: time.UTC, now: ts("2200-01-01T00:00:00Z")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.Cohorts(tc.loc, tc.now); ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("err = %v, want code %s", err, ritorno.EINVALID)
			}
		})
	}
}

// TestMonthEndsInRome follows one order placed at 2026-01-31T23:30Z, which is February 1 in
// Rome, through every figure that cuts months: it is February's in Rome and January's in UTC.
func TestMonthEndsInRome(t *testing.T) {
	rome := mustLocation(t, "Europe/Rome")
	h := mustHistories(t, romeHistory)
	tests := []struct {
		name         string
		loc          *time.Location
		month        time.Month
		orders, news int
		revenue      int64
	}{
		{name: "february in rome", loc: rome, month: time.February, orders: 1, news: 1, revenue: 1000},
		{name: "january in rome", loc: rome, month: time.January, orders: 1, news: 1, revenue: 500},
		{name: "february in utc", loc: time.UTC, month: time.February},
		{name: "january in utc", loc: time.UTC, month: time.January, orders: 2, news: 2, revenue: 1500},
		{name: "march in rome", loc: rome, month: time.March, orders: 1, news: 1, revenue: 300},
		{name: "april in rome", loc: rome, month: time.April, orders: 1, revenue: 700},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := CalendarMonth(2026, tc.month, tc.loc)
			prev, _ := CalendarMonth(2026, tc.month-1, tc.loc)
			got, err := h.Period(from, to, PeriodOptions{LookbackFrom: prev})
			if err != nil {
				t.Fatal(err)
			}
			if got.Orders != tc.orders || got.New != tc.news || got.Revenue != eur(tc.revenue) {
				t.Errorf("orders %d, new %d, revenue %v; want %d, %d, %d", got.Orders, got.New, got.Revenue, tc.orders, tc.news, tc.revenue)
			}
		})
	}
}
