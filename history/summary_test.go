package history_test

import (
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
)

func TestSummarize(t *testing.T) {
	usd := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	order := func(total, refunded string, at time.Time) ritorno.Order {
		return ritorno.Order{Currency: "USD", Total: usd(total), RefundedAmount: usd(refunded), ProcessedAt: at, FinancialStatus: ritorno.FinancialPaid}
	}
	cancelled := order("50.00", "0", day(2))
	cancelled.CancelledAt = day(3)
	test := order("70.00", "0", day(1))
	test.Test = true
	cases := []struct {
		name   string
		orders []ritorno.Order
		count  int
		net    string
		first  time.Time
		last   time.Time
	}{
		{"none", nil, 0, "0", time.Time{}, time.Time{}},
		{"partial refund reduces", []ritorno.Order{order("100.00", "30.00", day(5))}, 1, "70.00", day(5), day(5)},
		{"full refund counts zero", []ritorno.Order{order("100.00", "100.00", day(5)), order("20.00", "0", day(9))}, 2, "20.00", day(5), day(9)},
		{"cancelled and test orders do not count", []ritorno.Order{cancelled, test, order("10.00", "0", day(4))}, 1, "10.00", day(4), day(4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := history.Summarize(c.orders, "USD")
			if err != nil || s.OrderCount != c.count || s.NetSpent != usd(c.net) || !s.FirstOrder.Equal(c.first) || !s.LastOrder.Equal(c.last) {
				t.Fatalf("Summarize = %+v, %v", s, err)
			}
		})
	}
}

// TestSummarizeKeepsEachCurrency: an order in another currency than the shop's is totalled
// in its own currency, never added to (or relabelled as) the shop's, and never a failure.
func TestSummarizeKeepsEachCurrency(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	order := func(total, refunded, currency string, at time.Time) ritorno.Order {
		return ritorno.Order{Currency: currency, Total: ritorno.MustParseMoney(total, currency),
			RefundedAmount: ritorno.MustParseMoney(refunded, currency), ProcessedAt: at, FinancialStatus: ritorno.FinancialPaid}
	}
	orders := []ritorno.Order{order("10.00", "0", "USD", day(3)), order("20.00", "5.00", "GBP", day(1)), order("1.50", "0", "GBP", day(9))}
	s, err := history.Summarize(orders, "USD")
	if err != nil {
		t.Fatal(err)
	}
	want := []ritorno.CurrencyTotal{{Orders: 2, Net: ritorno.MustParseMoney("16.50", "GBP")}, {Orders: 1, Net: ritorno.MustParseMoney("10.00", "USD")}}
	if s.OrderCount != 3 || s.NetSpent != ritorno.MustParseMoney("10.00", "USD") || len(s.ByCurrency) != 2 ||
		s.ByCurrency[0] != want[0] || s.ByCurrency[1] != want[1] || !s.FirstOrder.Equal(day(1)) || !s.LastOrder.Equal(day(9)) {
		t.Fatalf("Summarize = %+v", s)
	}
	// A buyer who paid only in another currency spent nothing in the shop's.
	if s, err := history.Summarize(orders[1:], "USD"); err != nil || s.NetSpent != ritorno.Zero("USD") || len(s.ByCurrency) != 1 {
		t.Fatalf("GBP only = %+v, %v", s, err)
	}
}
