package analytics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

func TestNewHistoriesErrors(t *testing.T) {
	good := buy(1, 1, "2026-03-01T00:00:00Z", 100)
	tests := []struct {
		name     string
		ps       []Purchase
		currency string
	}{
		{name: "bad currency", ps: []Purchase{good}, currency: "eur"},
		{name: "negative net", ps: []Purchase{good, buy(2, 2, "2026-03-01T00:00:00Z", -1)}, currency: "EUR"},
		{name: "amounts overflow", ps: []Purchase{buy(1, 5, "2026-03-01T00:00:00Z", math.MaxInt64), buy(0, 6, "2026-03-01T00:00:00Z", 1)}, currency: "EUR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewHistories(tc.ps, tc.currency); ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("err = %v, want code %s", err, ritorno.EINVALID)
			}
		})
	}
}

// A purchase whose time cannot be placed (stored before the adapters mended such times)
// is left out and counted; every figure of the shop still computes.
func TestNewHistoriesSkipsUnplaceableTimes(t *testing.T) {
	good := []Purchase{buy(1, 1, "2026-03-01T00:00:00Z", 100), buy(2, 2, "2026-03-02T00:00:00Z", 50), buy(0, 7, "2026-03-03T00:00:00Z", 5)}
	bad := []Purchase{
		{Customer: 1, Order: 3, Net: 1}, // zero time
		buy(2, 4, "2300-01-01T00:00:00Z", 1),
		buy(0, 5, "9999-12-31T23:59:59Z", 1),
		buy(3, 6, "1600-01-01T00:00:00Z", 1),
	}
	h, err := NewHistories(append(slices.Clone(good), bad...), "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if h.Skipped() != len(bad) {
		t.Errorf("Skipped = %d, want %d", h.Skipped(), len(bad))
	}
	want := mustHistories(t, good)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	got, err := h.Period(from, to, PeriodOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := want.Period(from, to, PeriodOptions{})
	if got.SkippedOrders != len(bad) {
		t.Errorf("SkippedOrders = %d, want %d", got.SkippedOrders, len(bad))
	}
	got.SkippedOrders = 0
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("Period with skipped rows = %+v\nwant %+v", got, ref)
	}
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	table, err := h.Cohorts(time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	if table.SkippedOrders != len(bad) || len(table.Cohorts) != 1 || table.Cohorts[0].Customers != 2 {
		t.Errorf("Cohorts = %+v, want one cohort of 2 and %d skipped", table, len(bad))
	}
}

func TestNewHistoriesKeepsInput(t *testing.T) {
	ps := slices.Clone(marchHistory)
	h := mustHistories(t, ps)
	if !slices.Equal(ps, marchHistory) {
		t.Error("NewHistories modified its input")
	}
	if h.Len() != 7 || h.Currency() != "EUR" {
		t.Errorf("Len, Currency = %d, %q; want 7, EUR", h.Len(), h.Currency())
	}
}

func TestRounding(t *testing.T) {
	tests := []struct {
		name      string
		a, b, d   int64
		div, prod int64 // divRound(a, d), mulDivRound(a, b, d)
	}{
		{name: "exact", a: 6, b: 1, d: 3, div: 2, prod: 2},
		{name: "below half", a: 7, b: 1, d: 3, div: 2, prod: 2},
		{name: "above half", a: 8, b: 1, d: 3, div: 3, prod: 3},
		{name: "half rounds up", a: 5, b: 1, d: 2, div: 3, prod: 3},
		{name: "zero", a: 0, b: 9, d: 5, div: 0, prod: 0},
		{name: "less than one half", a: 1, b: 1, d: 3, div: 0, prod: 0},
		// a·b overflows 64 bits: 3·(2^62) / 6 = 2^61.
		{name: "wide product", a: 3, b: 1 << 62, d: 6, div: 1, prod: 1 << 61},
		{name: "largest divisor", a: math.MaxInt64, b: 1, d: math.MaxInt64, div: 1, prod: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := divRound(tc.a, tc.d); got != tc.div {
				t.Errorf("divRound(%d, %d) = %d, want %d", tc.a, tc.d, got, tc.div)
			}
			if got := mulDivRound(tc.a, tc.b, tc.d); got != tc.prod {
				t.Errorf("mulDivRound(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.d, got, tc.prod)
			}
		})
	}
}

// randomHistory makes a small shop whose orders cluster around month ends in Rome, with
// unknown buyers, refunded orders and orders at the same instant.
func randomHistory(rng *rand.Rand, customers, orders int) []Purchase {
	rome, _ := time.LoadLocation("Europe/Rome")
	ps := make([]Purchase, orders)
	for i := range ps {
		month := time.Month(1 + rng.IntN(14))
		at := time.Date(2025, month, 1, 0, 0, 0, 0, rome).Add(time.Duration(rng.IntN(7*60)-3*60) * time.Minute)
		if rng.IntN(3) == 0 {
			at = at.Add(time.Duration(rng.IntN(28*24)) * time.Hour)
		}
		net := rng.Int64N(5000)
		if rng.IntN(10) == 0 {
			net = 0
		}
		ps[i] = Purchase{Customer: rng.Int64N(int64(customers+1)) - 3, Order: int64(i + 1), At: at.UTC(), Net: net}
	}
	return ps
}

// TestOrderDoesNotMatter computes everything from random histories and from the same
// purchases shuffled: the results must be identical.
func TestOrderDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	rome := mustLocation(t, "Europe/Rome")
	now := ts("2026-03-15T00:00:00Z")
	from, to := CalendarMonth(2026, time.January, rome)
	for round := range 20 {
		ps := randomHistory(rng, 30, 200)
		shuffled := slices.Clone(ps)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		a, b := mustHistories(t, ps), mustHistories(t, shuffled)
		pa, _ := a.Period(from, to, PeriodOptions{})
		pb, _ := b.Period(from, to, PeriodOptions{})
		ca, _ := a.Cohorts(rome, now)
		cb, _ := b.Cohorts(rome, now)
		for _, pair := range [][2]any{
			{a.Customers(now), b.Customers(now)},
			{ScoreRFM(a.Customers(now), now), ScoreRFM(b.Customers(now), now)},
			{pa, pb},
			{ca, cb},
		} {
			if !reflect.DeepEqual(flatten(pair[0]), flatten(pair[1])) {
				t.Fatalf("round %d: %T differs when the input is shuffled", round, pair[0])
			}
		}
	}
}

// TestAgainstReference checks Period and Cohorts on random histories against a direct
// transcription of the definitions in docs/analytics.md, with maps and time.In.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	rome := mustLocation(t, "Europe/Rome")
	for round := range 30 {
		ps := randomHistory(rng, 40, 300)
		h := mustHistories(t, ps)
		month := time.Month(1 + rng.IntN(14))
		from, to := CalendarMonth(2025, month, rome)
		lookback, _ := CalendarMonth(2025, month-time.Month(1+rng.IntN(3)), rome)
		got, err := h.Period(from, to, PeriodOptions{LookbackFrom: lookback})
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, got, referencePeriod(ps, from, to, lookback))

		now := time.Date(2025, time.Month(1+rng.IntN(15)), 1+rng.IntN(28), 0, 0, 0, 0, rome)
		table, err := h.Cohorts(rome, now)
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, table, referenceCohorts(ps, rome, now))
		if t.Failed() {
			t.Fatalf("round %d differs from the reference", round)
		}
	}
}

func referencePeriod(ps []Purchase, from, to, lookback time.Time) ShopFigures {
	in := func(t, a, b time.Time) bool { return !t.Before(a) && t.Before(b) }
	byCustomer := map[int64][]Purchase{}
	f := ShopFigures{From: from, To: to, LookbackFrom: lookback}
	var revenue, newRev, retRev, unknown int64
	for _, p := range ps {
		if in(p.At, from, to) {
			f.Orders++
			revenue += p.Net
			if p.Customer == 0 {
				unknown += p.Net
			}
		}
		if p.Customer != 0 && p.At.Before(to) {
			byCustomer[p.Customer] = append(byCustomer[p.Customer], p)
		}
	}
	var spends []int64
	var gaps []float64
	for _, hs := range byCustomer {
		sort.Slice(hs, func(i, j int) bool {
			if !hs[i].At.Equal(hs[j].At) {
				return hs[i].At.Before(hs[j].At)
			}
			return hs[i].Order < hs[j].Order
		})
		f.CustomersToDate++
		if len(hs) >= 2 {
			f.RepeatCustomersToDate++
			if in(hs[1].At, from, to) {
				gaps = append(gaps, hs[1].At.Sub(hs[0].At).Hours()/24)
			}
		}
		var inS, inE bool
		var spend int64
		for _, p := range hs {
			inS = inS || in(p.At, lookback, from)
			if in(p.At, from, to) {
				inE = true
				spend += p.Net
				f.CustomerOrders++
			}
		}
		isNew := !hs[0].At.Before(from)
		if inS {
			f.Start++
		}
		if inE {
			f.End++
			spends = append(spends, spend)
			if isNew {
				f.New++
				newRev += spend
			} else {
				retRev += spend
			}
		}
		if inS && inE {
			f.Retained++
		}
	}
	f.Returning = f.End - f.New
	f.Reactivated = f.Returning - f.Retained
	money := func(a int64) ritorno.Money { return ritorno.Money{Amount: a, Currency: "EUR"} }
	f.Revenue, f.NewRevenue, f.ReturningRevenue, f.UnknownRevenue = money(revenue), money(newRev), money(retRev), money(unknown)
	if f.Start > 0 {
		f.CRR = pf(float64(f.End-f.New) / float64(f.Start))
		f.Churn = pf(1 - float64(f.Retained)/float64(f.Start))
	}
	if f.CustomersToDate > 0 {
		f.RepeatRate = pf(float64(f.RepeatCustomersToDate) / float64(f.CustomersToDate))
	}
	if f.Orders > 0 {
		m := money(int64(math.Round(float64(revenue) / float64(f.Orders))))
		f.AOV = &m
	}
	if f.End > 0 {
		f.PurchaseFrequency = pf(float64(f.CustomerOrders) / float64(f.End))
		m := money(int64(math.Round(float64(f.CustomerOrders) * float64(revenue) / float64(f.End*f.Orders))))
		f.CustomerValue = &m
	}
	sort.Slice(spends, func(i, j int) bool { return spends[i] > spends[j] })
	f.TopCustomers = int(math.Ceil(float64(f.End) * 15 / 100))
	var top int64
	for _, s := range spends[:f.TopCustomers] {
		top += s
	}
	f.TopRevenue = money(top)
	if newRev+retRev > 0 {
		f.TopShare = pf(float64(top) / float64(newRev+retRev))
	}
	f.SecondOrders = len(gaps)
	if len(gaps) > 0 {
		sort.Float64s(gaps)
		m := gaps[len(gaps)/2]
		if len(gaps)%2 == 0 {
			m = (gaps[len(gaps)/2-1] + m) / 2
		}
		f.MedianDaysToSecondOrder = &m
	}
	return f
}

func referenceCohorts(ps []Purchase, loc *time.Location, now time.Time) CohortTable {
	monthIndex := func(t time.Time) int { l := t.In(loc); return l.Year()*12 + int(l.Month()) - 1 }
	first := map[int64]Purchase{}
	for _, p := range ps {
		if p.Customer == 0 || p.At.After(now) {
			continue
		}
		if q, ok := first[p.Customer]; !ok || p.At.Before(q.At) || (p.At.Equal(q.At) && p.Order < q.Order) {
			first[p.Customer] = p
		}
	}
	table := CohortTable{Through: now}
	if len(first) == 0 {
		return table
	}
	last := monthIndex(now)
	size := map[int]int{}
	active := map[[2]int]map[int64]bool{}
	revenue := map[[2]int]int64{}
	for _, p := range first {
		size[monthIndex(p.At)]++
	}
	for _, p := range ps {
		fp, ok := first[p.Customer]
		if !ok || p.At.After(now) {
			continue
		}
		cell := [2]int{monthIndex(fp.At), monthIndex(p.At) - monthIndex(fp.At)}
		if active[cell] == nil {
			active[cell] = map[int64]bool{}
		}
		active[cell][p.Customer] = true
		revenue[cell] += p.Net
	}
	for c := last - 2000; c <= last; c++ {
		n := size[c]
		if n == 0 {
			continue
		}
		co := Cohort{Month: time.Date(c/12, time.Month(c%12+1), 1, 0, 0, 0, 0, loc), Customers: n}
		var cum int64
		for k := 0; c+k <= last; k++ {
			a := len(active[[2]int{c, k}])
			cum += revenue[[2]int{c, k}]
			co.Active = append(co.Active, a)
			co.Retention = append(co.Retention, float64(a)/float64(n))
			co.Revenue = append(co.Revenue, ritorno.Money{Amount: cum, Currency: "EUR"})
			co.RevenuePerCustomer = append(co.RevenuePerCustomer, ritorno.Money{Amount: int64(math.Round(float64(cum) / float64(n))), Currency: "EUR"})
		}
		table.Cohorts = append(table.Cohorts, co)
	}
	return table
}
