package analytics

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// benchShop generates a shop deterministically: customers with sparse platform-like keys,
// first orders spread over three years before now, the remaining orders skewed towards
// a minority of customers (the square of a uniform draw picks the customer), 1 % from
// unknown buyers, 3 % fully refunded, all shuffled as a worst case for grouping.
func benchShop(customers, orders int, now time.Time) []Purchase {
	rng := rand.New(rand.NewPCG(2026, 5))
	span := int64(3 * 365 * 24 * time.Hour)
	start := now.UnixNano() - span
	first := make([]int64, customers)
	ps := make([]Purchase, 0, orders)
	net := func() int64 {
		if rng.IntN(100) < 3 {
			return 0
		}
		return 500 + rng.Int64N(20000)
	}
	key := func(i int) int64 { return 7_000_000_000 + int64(i)*13 }
	for i := range first {
		first[i] = start + rng.Int64N(span)
		ps = append(ps, Purchase{Customer: key(i), Order: int64(len(ps) + 1), At: time.Unix(0, first[i]).UTC(), Net: net()})
	}
	unknown := orders / 100
	for len(ps) < orders-unknown {
		u := rng.Float64()
		i := int(u * u * float64(customers))
		at := first[i] + rng.Int64N(now.UnixNano()-first[i])
		ps = append(ps, Purchase{Customer: key(i), Order: int64(len(ps) + 1), At: time.Unix(0, at).UTC(), Net: net()})
	}
	for len(ps) < orders {
		ps = append(ps, Purchase{Order: int64(len(ps) + 1), At: time.Unix(0, start+rng.Int64N(span)).UTC(), Net: net()})
	}
	rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps
}

// BenchmarkFullRecomputation times every figure of a shop with 100,000 customers and
// 1,000,000 orders, stage by stage: grouping, per-customer figures, RFM, the KPIs of the
// last 30 days and the monthly cohorts (months and days in Europe/Rome). The input comes
// shuffled (the worst case for grouping) and in (customer, time) order, as a store query
// sorted that way would stream it.
func BenchmarkFullRecomputation(b *testing.B) {
	rome := mustLocation(b, "Europe/Rome")
	now := time.Date(2026, time.June, 1, 9, 30, 0, 0, rome)
	shuffled := benchShop(100_000, 1_000_000, now)
	sorted := slices.Clone(shuffled)
	slices.SortFunc(sorted, func(x, y Purchase) int {
		if c := cmp.Compare(x.Customer, y.Customer); c != 0 {
			return c
		}
		return x.At.Compare(y.At)
	})
	for _, input := range []struct {
		name string
		ps   []Purchase
	}{{"shuffled", shuffled}, {"by-customer", sorted}} {
		b.Run(input.name, func(b *testing.B) { benchRecompute(b, input.ps, rome, now) })
	}
}

func benchRecompute(b *testing.B, ps []Purchase, rome *time.Location, now time.Time) {
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, rome)
	from := to.AddDate(0, 0, -30)

	var group, customers, rfm, period, cohorts time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		h, err := NewHistories(ps, "EUR")
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		cs := h.Customers(now)
		t2 := time.Now()
		scores := ScoreRFM(cs, now)
		t3 := time.Now()
		if _, err := h.Period(from, to, PeriodOptions{}); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		if _, err := h.Cohorts(rome, now); err != nil {
			b.Fatal(err)
		}
		t5 := time.Now()
		group, customers, rfm, period, cohorts = group+t1.Sub(t0), customers+t2.Sub(t1), rfm+t3.Sub(t2), period+t4.Sub(t3), cohorts+t5.Sub(t4)
		runs++
		if len(scores) != 100_000 {
			b.Fatalf("scored %d customers", len(scores))
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(runs) }
	b.ReportMetric(ms(group), "group-ms")
	b.ReportMetric(ms(customers), "customers-ms")
	b.ReportMetric(ms(rfm), "rfm-ms")
	b.ReportMetric(ms(period), "period-ms")
	b.ReportMetric(ms(cohorts), "cohorts-ms")
	b.ReportMetric(ms(group+customers+rfm+period+cohorts), "total-ms")
}
