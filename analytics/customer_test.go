package analytics

import (
	"math"
	"testing"
	"time"
)

func TestCustomers(t *testing.T) {
	tests := []struct {
		name string
		ps   []Purchase
		now  time.Time
		want []CustomerFigures
	}{
		{
			// At Apr 1 00:00 customer 5's order placed at that instant counts and customer
			// 6's Apr 2 order does not; unknown buyers are nobody's.
			name: "march history at april 1",
			ps:   marchHistory,
			now:  ts("2026-04-01T00:00:00Z"),
			want: []CustomerFigures{
				{Customer: 1, Orders: 2, Spent: eur(3000), AOV: eur(1500),
					First: ts("2026-02-10T10:00:00Z"), Last: ts("2026-03-05T10:00:00Z"), FirstOrder: 101, LastOrder: 102,
					MeanDaysBetweenOrders: pf(23)},
				{Customer: 2, Orders: 3, Spent: eur(2500), AOV: eur(833), // 833.33
					First: ts("2026-01-05T10:00:00Z"), Last: ts("2026-03-25T10:00:00Z"), FirstOrder: 201, LastOrder: 203,
					MeanDaysBetweenOrders: pf(79.0 / 2)},
				{Customer: 3, Orders: 1, Spent: eur(3000), AOV: eur(3000),
					First: ts("2026-02-20T10:00:00Z"), Last: ts("2026-02-20T10:00:00Z"), FirstOrder: 301, LastOrder: 301},
				{Customer: 4, Orders: 2, Spent: eur(4000), AOV: eur(2000),
					First: ts("2026-03-02T10:00:00Z"), Last: ts("2026-03-09T10:00:00Z"), FirstOrder: 401, LastOrder: 402,
					MeanDaysBetweenOrders: pf(7)},
				{Customer: 5, Orders: 2, Spent: eur(1600), AOV: eur(800),
					First: ts("2026-03-31T23:00:00Z"), Last: ts("2026-04-01T00:00:00Z"), FirstOrder: 501, LastOrder: 502,
					MeanDaysBetweenOrders: pf(1.0 / 24)},
				{Customer: 7, Orders: 2, Spent: eur(501), AOV: eur(251), // 250.5 rounds away from zero
					First: ts("2025-12-01T10:00:00Z"), Last: ts("2025-12-02T10:00:00Z"), FirstOrder: 701, LastOrder: 702,
					MeanDaysBetweenOrders: pf(1)},
			},
		},
		{
			name: "march history before its first order",
			ps:   marchHistory,
			now:  ts("2025-11-30T00:00:00Z"),
			want: []CustomerFigures{},
		},
		{
			// The zero time is before every representable purchase time, not an error.
			name: "zero now sees nothing",
			ps:   marchHistory,
			want: []CustomerFigures{},
		},
		{
			name: "no purchases",
			now:  ts("2026-04-01T00:00:00Z"),
			want: []CustomerFigures{},
		},
		{
			// Two orders at the same instant: the order id decides which is first.
			name: "same instant, refunded",
			ps: []Purchase{
				buy(-8, 20, "2026-03-01T09:00:00Z", 0),
				buy(-8, 10, "2026-03-01T09:00:00Z", 0),
			},
			now: ts("2026-03-01T09:00:00Z"),
			want: []CustomerFigures{
				{Customer: -8, Orders: 2, Spent: eur(0), AOV: eur(0),
					First: ts("2026-03-01T09:00:00Z"), Last: ts("2026-03-01T09:00:00Z"), FirstOrder: 10, LastOrder: 20,
					MeanDaysBetweenOrders: pf(0)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertSame(t, mustHistories(t, tc.ps).Customers(tc.now), tc.want)
		})
	}
}

func TestNanosSaturates(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want int64
	}{
		{name: "zero time", t: time.Time{}, want: math.MinInt64},
		{name: "year 3000", t: ts("3000-01-01T00:00:00Z"), want: math.MaxInt64},
		{name: "epoch", t: time.Unix(0, 0), want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nanos(tc.t); got != tc.want {
				t.Errorf("nanos(%v) = %d, want %d", tc.t, got, tc.want)
			}
		})
	}
}
