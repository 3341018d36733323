package analytics

import (
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// marchFigures is marchHistory's March 2026 (UTC) with February as the lookback window,
// computed by hand:
//
//	orders in March: 1×(2000) 2×(1500, 500) 4×(4000, 0) 5×(700) unknown×(600) = 7, 9300
//	S = {1, 3} (Feb); E = {1, 2, 4, 5}; N = {4, 5}; retained = {1}; reactivated = {2}
//	CRR = (4 − 2) / 2 = 1; churn = 1 − 1/2
//	to date (first order before Apr 1): 1, 2, 3, 4, 5, 7; repeat: 1, 2, 4, 7 (5's second is at Apr 1)
//	frequency 6/4; AOV 9300/7 = 1328.57 → 1329; value 6·9300/(4·7) = 1992.86 → 1993
//	new 4000 + 0 + 700; returning 2000 + 2000; unknown 600
//	top ⌈4·0.15⌉ = 1 customer: 4000 of 8700
//	second orders in March: 1 (Feb 10 → Mar 5, 23 d), 2 (Jan 5 → Mar 20, 74 d), 4 (7 d): median 23
func marchFigures() ShopFigures {
	return ShopFigures{
		From: ts("2026-03-01T00:00:00Z"), To: ts("2026-04-01T00:00:00Z"), LookbackFrom: ts("2026-02-01T00:00:00Z"),
		Orders: 7, Revenue: eur(9300),
		Start: 2, End: 4, New: 2, Returning: 2, Retained: 1, Reactivated: 1,
		CRR: pf(1), Churn: pf(0.5),
		CustomersToDate: 6, RepeatCustomersToDate: 4, RepeatRate: pf(4.0 / 6),
		CustomerOrders: 6, PurchaseFrequency: pf(1.5), AOV: pm(1329), CustomerValue: pm(1993),
		NewRevenue: eur(4700), ReturningRevenue: eur(4000), UnknownRevenue: eur(600),
		TopCustomers: 1, TopRevenue: eur(4000), TopShare: pf(4000.0 / 8700),
		SecondOrders: 3, MedianDaysToSecondOrder: pf(23),
	}
}

// crrExample is the example: 200 customers in the lookback window, 140 of whom buy
// again, and 40 new ones: S = 200, N = 40, E = 180, CRR = 70 %.
func crrExample() []Purchase {
	var ps []Purchase
	order := int64(1)
	for c := int64(1); c <= 240; c++ {
		if c <= 200 {
			ps = append(ps, buy(c, order, "2026-02-14T12:00:00Z", 1000))
			order++
		}
		if c <= 140 || c > 200 {
			ps = append(ps, buy(c, order, "2026-03-14T12:00:00Z", 1000))
			order++
		}
	}
	return ps
}

func TestPeriod(t *testing.T) {
	march, april := ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z")
	feb := ts("2026-02-01T00:00:00Z")
	tests := []struct {
		name     string
		ps       []Purchase
		from, to time.Time
		opt      PeriodOptions
		want     func() ShopFigures
	}{
		{
			name: "march with february as lookback",
			ps:   marchHistory, from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: marchFigures,
		},
		{
			// 31 days before March 1 is January 29: customer 2's January order stays outside.
			name: "default lookback as long as the period",
			ps:   marchHistory, from: march, to: april,
			want: func() ShopFigures {
				f := marchFigures()
				f.LookbackFrom = ts("2026-01-29T00:00:00Z")
				return f
			},
		},
		{
			// From January 1, customer 2 is a starting customer: retained, not reactivated.
			name: "lookback from january",
			ps:   marchHistory, from: march, to: april, opt: PeriodOptions{LookbackFrom: ts("2026-01-01T00:00:00Z")},
			want: func() ShopFigures {
				f := marchFigures()
				f.LookbackFrom = ts("2026-01-01T00:00:00Z")
				f.Start, f.Retained, f.Reactivated = 3, 2, 0
				f.CRR, f.Churn = pf(2.0/3), pf(1.0/3)
				return f
			},
		},
		{
			name: "crr example",
			ps:   crrExample(), from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{
					From: march, To: april, LookbackFrom: feb,
					Orders: 180, Revenue: eur(180000),
					Start: 200, End: 180, New: 40, Returning: 140, Retained: 140,
					CRR: pf(0.7), Churn: pf(0.3),
					CustomersToDate: 240, RepeatCustomersToDate: 140, RepeatRate: pf(140.0 / 240),
					CustomerOrders: 180, PurchaseFrequency: pf(1), AOV: pm(1000), CustomerValue: pm(1000),
					NewRevenue: eur(40000), ReturningRevenue: eur(140000), UnknownRevenue: eur(0),
					TopCustomers: 27, TopRevenue: eur(27000), TopShare: pf(0.15), // ⌈180·0.15⌉ = 27
					SecondOrders: 140, MedianDaysToSecondOrder: pf(28),
				}
			},
		},
		{
			name: "no purchases",
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Revenue: eur(0), NewRevenue: eur(0), ReturningRevenue: eur(0), UnknownRevenue: eur(0), TopRevenue: eur(0)}
			},
		},
		{
			name: "period before any order",
			ps:   marchHistory, from: ts("2025-01-01T00:00:00Z"), to: ts("2025-02-01T00:00:00Z"),
			want: func() ShopFigures {
				return ShopFigures{From: ts("2025-01-01T00:00:00Z"), To: ts("2025-02-01T00:00:00Z"), LookbackFrom: ts("2024-12-01T00:00:00Z"),
					Revenue: eur(0), NewRevenue: eur(0), ReturningRevenue: eur(0), UnknownRevenue: eur(0), TopRevenue: eur(0)}
			},
		},
		{
			name: "one order",
			ps:   []Purchase{buy(9, 1, "2026-03-10T08:00:00Z", 1234)},
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Orders: 1, Revenue: eur(1234), End: 1, New: 1,
					CustomersToDate: 1, RepeatRate: pf(0),
					CustomerOrders: 1, PurchaseFrequency: pf(1), AOV: pm(1234), CustomerValue: pm(1234),
					NewRevenue: eur(1234), ReturningRevenue: eur(0), UnknownRevenue: eur(0),
					TopCustomers: 1, TopRevenue: eur(1234), TopShare: pf(1)}
			},
		},
		{
			// Refunded orders still count as orders and their buyers as customers, with no
			// revenue: the money averages are 0, the revenue share is undefined.
			name: "all refunded",
			ps: []Purchase{
				buy(1, 1, "2026-02-10T08:00:00Z", 0),
				buy(1, 2, "2026-03-10T08:00:00Z", 0),
				buy(2, 3, "2026-03-11T08:00:00Z", 0),
				buy(0, 4, "2026-03-12T08:00:00Z", 0),
			},
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Orders: 3, Revenue: eur(0), Start: 1, End: 2, New: 1, Returning: 1, Retained: 1,
					CRR: pf(1), Churn: pf(0),
					CustomersToDate: 2, RepeatCustomersToDate: 1, RepeatRate: pf(0.5),
					CustomerOrders: 2, PurchaseFrequency: pf(1), AOV: pm(0), CustomerValue: pm(0),
					NewRevenue: eur(0), ReturningRevenue: eur(0), UnknownRevenue: eur(0),
					TopCustomers: 1, TopRevenue: eur(0),
					SecondOrders: 1, MedianDaysToSecondOrder: pf(28)}
			},
		},
		{
			name: "only unknown buyers",
			ps:   []Purchase{buy(0, 1, "2026-03-10T08:00:00Z", 500), buy(0, 2, "2026-03-11T08:00:00Z", 1000)},
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Orders: 2, Revenue: eur(1500), AOV: pm(750),
					NewRevenue: eur(0), ReturningRevenue: eur(0), UnknownRevenue: eur(1500), TopRevenue: eur(0)}
			},
		},
		{
			// Every customer is created in the period: all new, none to retain; the second
			// orders placed in the period give the median (1.5 and 3.5 days: 2.5).
			name: "customers created in the period",
			ps: []Purchase{
				buy(1, 1, "2026-03-01T00:00:00Z", 100), // the first instant of the period counts
				buy(1, 2, "2026-03-02T12:00:00Z", 300),
				buy(2, 3, "2026-03-10T00:00:00Z", 200),
				buy(2, 4, "2026-03-13T12:00:00Z", 200),
				buy(3, 5, "2026-03-20T00:00:00Z", 201),
			},
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Orders: 5, Revenue: eur(1001), End: 3, New: 3,
					CustomersToDate: 3, RepeatCustomersToDate: 2, RepeatRate: pf(2.0 / 3),
					CustomerOrders: 5, PurchaseFrequency: pf(5.0 / 3), AOV: pm(200), CustomerValue: pm(334), // 1001/5 = 200.2; 1001/3 = 333.67
					NewRevenue: eur(1001), ReturningRevenue: eur(0), UnknownRevenue: eur(0),
					TopCustomers: 1, TopRevenue: eur(400), TopShare: pf(400.0 / 1001),
					SecondOrders: 2, MedianDaysToSecondOrder: pf(2.5)}
			},
		},
		{
			// Revenue 7 over 2 orders is 3.5: rounded half away from zero to 4.
			name: "aov rounds half away from zero",
			ps:   []Purchase{buy(1, 1, "2026-03-10T08:00:00Z", 3), buy(2, 2, "2026-03-11T08:00:00Z", 4)},
			from: march, to: april, opt: PeriodOptions{LookbackFrom: feb},
			want: func() ShopFigures {
				return ShopFigures{From: march, To: april, LookbackFrom: feb,
					Orders: 2, Revenue: eur(7), End: 2, New: 2,
					CustomersToDate: 2, RepeatRate: pf(0),
					CustomerOrders: 2, PurchaseFrequency: pf(1), AOV: pm(4), CustomerValue: pm(4),
					NewRevenue: eur(7), ReturningRevenue: eur(0), UnknownRevenue: eur(0),
					TopCustomers: 1, TopRevenue: eur(4), TopShare: pf(4.0 / 7)}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := mustHistories(t, tc.ps)
			got, err := h.Period(tc.from, tc.to, tc.opt)
			if err != nil {
				t.Fatalf("Period: %v", err)
			}
			assertSame(t, got, tc.want())
		})
	}
}

func TestPeriodTopCustomersTies(t *testing.T) {
	// 20 customers, ⌈20·0.15⌉ = 3 at the top; four tie at 500 for the last two places:
	// whichever are picked, the top revenue is 1000 + 500 + 500.
	ps := []Purchase{buy(1, 1, "2026-03-02T00:00:00Z", 1000)}
	for c := int64(2); c <= 5; c++ {
		ps = append(ps, buy(c, c, "2026-03-02T00:00:00Z", 500))
	}
	for c := int64(6); c <= 20; c++ {
		ps = append(ps, buy(c, c, "2026-03-02T00:00:00Z", 100))
	}
	h := mustHistories(t, ps)
	got, err := h.Period(ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"), PeriodOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.TopCustomers != 3 || got.TopRevenue != eur(2000) || *got.TopShare != 2000.0/4500 {
		t.Errorf("top = %d customers, %v, share %v; want 3, 20.00 EUR, %v", got.TopCustomers, got.TopRevenue, *got.TopShare, 2000.0/4500)
	}
}

func TestPeriodErrors(t *testing.T) {
	h := mustHistories(t, marchHistory)
	march, april := ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z")
	tests := []struct {
		name     string
		from, to time.Time
		opt      PeriodOptions
	}{
		{name: "empty period", from: march, to: march},
		{name: "reversed period", from: april, to: march},
		{name: "lookback after the start", from: march, to: april, opt: PeriodOptions{LookbackFrom: march.Add(time.Hour)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h.Period(tc.from, tc.to, tc.opt); ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("err = %v, want code %s", err, ritorno.EINVALID)
			}
		})
	}
}

func TestCalendarMonth(t *testing.T) {
	rome := mustLocation(t, "Europe/Rome")
	tests := []struct {
		name     string
		year     int
		month    time.Month
		loc      *time.Location
		from, to string
	}{
		{name: "february in rome", year: 2026, month: time.February, loc: rome, from: "2026-01-31T23:00:00Z", to: "2026-02-28T23:00:00Z"},
		{name: "march in rome crosses summer time", year: 2026, month: time.March, loc: rome, from: "2026-02-28T23:00:00Z", to: "2026-03-31T22:00:00Z"},
		{name: "december wraps the year", year: 2025, month: time.December, loc: time.UTC, from: "2025-12-01T00:00:00Z", to: "2026-01-01T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := CalendarMonth(tc.year, tc.month, tc.loc)
			if !from.Equal(ts(tc.from)) || !to.Equal(ts(tc.to)) {
				t.Errorf("CalendarMonth = [%v, %v), want [%s, %s)", from.UTC(), to.UTC(), tc.from, tc.to)
			}
		})
	}
}
