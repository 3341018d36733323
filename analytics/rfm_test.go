package analytics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestScoreRFM(t *testing.T) {
	// marchHistory's customers at Apr 1 00:00 (n = 6), by hand:
	//
	//	customer  last order        days  orders  spent   worse R/F/M   scores 1+⌊5·worse/6⌋
	//	1         Mar 5  10:00      26    2       3000    2 / 1 / 3     R2 F1 M3  hibernating
	//	2         Mar 25 10:00      6     3       2500    4 / 5 / 2     R4 F5 M2  loyal
	//	3         Feb 20 10:00      39    1       3000    1 / 0 / 3     R1 F1 M3  lost
	//	4         Mar 9  10:00      22    2       4000    3 / 1 / 5     R3 F1 M5  about to sleep
	//	5         Apr 1  00:00      0     2       1600    5 / 1 / 1     R5 F1 M1  new
	//	7         Dec 2  10:00      119   2       501     0 / 1 / 0     R1 F1 M1  lost
	now := ts("2026-04-01T00:00:00Z")
	cs := mustHistories(t, marchHistory).Customers(now)
	want := []RFM{
		{Customer: 1, RecencyDays: 26, Frequency: 2, Monetary: eur(3000), R: 2, F: 1, M: 3, Segment: Hibernating},
		{Customer: 2, RecencyDays: 6, Frequency: 3, Monetary: eur(2500), R: 4, F: 5, M: 2, Segment: Loyal},
		{Customer: 3, RecencyDays: 39, Frequency: 1, Monetary: eur(3000), R: 1, F: 1, M: 3, Segment: Lost},
		{Customer: 4, RecencyDays: 22, Frequency: 2, Monetary: eur(4000), R: 3, F: 1, M: 5, Segment: AboutToSleep},
		{Customer: 5, RecencyDays: 0, Frequency: 2, Monetary: eur(1600), R: 5, F: 1, M: 1, Segment: New},
		{Customer: 7, RecencyDays: 119, Frequency: 2, Monetary: eur(501), R: 1, F: 1, M: 1, Segment: Lost},
	}
	assertSame(t, ScoreRFM(cs, now), want)
}

func TestScoreRFMEdges(t *testing.T) {
	now := ts("2026-04-01T00:00:00Z")
	tests := []struct {
		name string
		cs   []CustomerFigures
		want []RFM
	}{
		{name: "no customers", want: []RFM{}},
		{
			// A lone customer has nobody worse: 1 on every score, whatever the values.
			name: "one customer",
			cs:   []CustomerFigures{{Customer: 1, Orders: 1, Spent: eur(100), Last: now}},
			want: []RFM{{Customer: 1, Frequency: 1, Monetary: eur(100), R: 1, F: 1, M: 1, Segment: Lost}},
		},
		{
			// A last order after now (a caller's clock skew) is 0 days old, not negative.
			name: "last order after now",
			cs: []CustomerFigures{
				{Customer: 1, Orders: 1, Spent: eur(100), Last: now.Add(36 * time.Hour)},
				{Customer: 2, Orders: 1, Spent: eur(100), Last: now.Add(-36 * time.Hour)},
			},
			want: []RFM{
				{Customer: 1, RecencyDays: 0, Frequency: 1, Monetary: eur(100), R: 3, F: 1, M: 1, Segment: AboutToSleep}, // 1 + ⌊5·1/2⌋
				{Customer: 2, RecencyDays: 1, Frequency: 1, Monetary: eur(100), R: 1, F: 1, M: 1, Segment: Lost},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertSame(t, ScoreRFM(tc.cs, now), tc.want)
		})
	}
}

func TestQuintiles(t *testing.T) {
	tests := []struct {
		name          string
		vs            []int64
		lowerIsBetter bool
		want          []int
	}{
		{name: "distinct, ten values", vs: []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}, want: []int{5, 1, 5, 1, 4, 2, 4, 2, 3, 3}},
		{name: "distinct, lower is better", vs: []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}, lowerIsBetter: true, want: []int{1, 5, 1, 5, 2, 4, 2, 4, 3, 3}},
		// Worse counts 0, 0, 0, 3, 4 of 5: ties share the lower score.
		{name: "ties share the lower score", vs: []int64{1, 1, 1, 2, 5}, want: []int{1, 1, 1, 4, 5}},
		// Days 0, 3, 3, 10, 40: strictly more days are 4, 2, 2, 1, 0.
		{name: "recency with ties", vs: []int64{0, 3, 3, 10, 40}, lowerIsBetter: true, want: []int{5, 3, 3, 2, 1}},
		{name: "all equal", vs: []int64{7, 7, 7, 7}, want: []int{1, 1, 1, 1}},
		{name: "all equal, lower is better", vs: []int64{7, 7, 7}, lowerIsBetter: true, want: []int{1, 1, 1}},
		{name: "extreme values", vs: []int64{-1 << 63, 1<<63 - 1}, lowerIsBetter: true, want: []int{3, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quintiles(tc.vs, tc.lowerIsBetter); !slices.Equal(got, tc.want) {
				t.Errorf("quintiles(%v) = %v, want %v", tc.vs, got, tc.want)
			}
		})
	}
}

// TestQuintilesProperties checks, on random values with many ties, that scores are in
// 1–5, equal values score equally, better values never score lower, and with distinct
// values each score goes to a fifth of the customers.
func TestQuintilesProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(300)
		spread := 1 + rng.Int64N(int64(n)*2)
		vs := make([]int64, n)
		for i := range vs {
			vs[i] = rng.Int64N(spread)
		}
		for _, lower := range []bool{false, true} {
			s := quintiles(vs, lower)
			for i := range vs {
				if s[i] < 1 || s[i] > 5 {
					t.Fatalf("round %d: score %d out of range", round, s[i])
				}
				for j := range vs {
					better := vs[i] > vs[j]
					if lower {
						better = vs[i] < vs[j]
					}
					if vs[i] == vs[j] && s[i] != s[j] {
						t.Fatalf("round %d: equal values %d score %d and %d", round, vs[i], s[i], s[j])
					}
					if better && s[i] < s[j] {
						t.Fatalf("round %d: %d scores %d, below %d's %d (lowerIsBetter %v)", round, vs[i], s[i], vs[j], s[j], lower)
					}
				}
			}
		}
	}
	vs := make([]int64, 1000)
	for i := range vs {
		vs[i] = int64(i)
	}
	rng.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	var count [6]int
	for _, s := range quintiles(vs, false) {
		count[s]++
	}
	if count != [6]int{0, 200, 200, 200, 200, 200} {
		t.Errorf("distinct values score counts = %v, want 200 each", count[1:])
	}
}

func TestSegmentOf(t *testing.T) {
	// The whole grid, written out: rows R = 5 down to 1, columns F = 1 to 5.
	want := [5][5]Segment{
		{New, PotentialLoyalist, PotentialLoyalist, Champions, Champions}, // R5
		{Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Loyal},   // R4
		{AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},         // R3
		{Hibernating, Hibernating, AtRisk, AtRisk, CannotLose},            // R2
		{Lost, Lost, AtRisk, AtRisk, CannotLose},                          // R1
	}
	seen := map[Segment]int{}
	for row := range 5 {
		r := 5 - row
		for f := 1; f <= 5; f++ {
			got := SegmentOf(r, f)
			if got != want[row][f-1] {
				t.Errorf("SegmentOf(%d, %d) = %q, want %q", r, f, got, want[row][f-1])
			}
			seen[got]++
		}
	}
	for _, s := range Segments {
		if seen[s] == 0 {
			t.Errorf("segment %q is on no cell of the grid", s)
		}
	}
	if len(seen) != len(Segments) {
		t.Errorf("the grid has %d segments, Segments lists %d", len(seen), len(Segments))
	}
	for _, bad := range [][2]int{{0, 1}, {1, 0}, {6, 5}, {5, 6}} {
		if got := SegmentOf(bad[0], bad[1]); got != "" {
			t.Errorf("SegmentOf(%d, %d) = %q, want none", bad[0], bad[1], got)
		}
	}
}
