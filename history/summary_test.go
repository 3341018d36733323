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
	eur := order("1.00", "0", day(1))
	eur.Currency, eur.Total, eur.RefundedAmount = "EUR", ritorno.MustParseMoney("1", "EUR"), ritorno.MustParseMoney("0", "EUR")
	if _, err := history.Summarize([]ritorno.Order{eur}, "USD"); err == nil {
		t.Fatal("an order in another currency was mixed in")
	}
}
