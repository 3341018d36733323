package analytics

import (
	"math"
	"slices"
	"time"

	"github.com/ritorno/ritorno"
)

// RFM is one customer's recency, frequency and monetary values, their scores and segment.
type RFM struct {
	Customer    int64
	RecencyDays int64         // whole days of 24 hours from the last purchase to now (never negative)
	Frequency   int           // number of purchases
	Monetary    ritorno.Money // net spent
	// R, F and M are quintile scores 1–5 within the scored customers; 5 is best (most
	// recent, most frequent, most spent). Equal values always get equal scores.
	R, F, M int
	Segment Segment // from R and F (SegmentOf); M does not enter the segment
}

// ScoreRFM scores customers (typically all of a shop's, from Histories.Customers) against
// each other, and returns their RFM in the order of cs.
//
// A value's score is 1 + ⌊5·b/n⌋, where n is the number of customers and b the number of
// customers whose value is strictly worse: a rank-based quintile in which tied customers
// share the lowest rank of their group, hence the lower score. With distinct values and n
// a multiple of 5, each score goes to exactly a fifth of the customers; a lone customer
// scores 1, 1, 1.
func ScoreRFM(cs []CustomerFigures, now time.Time) []RFM {
	n := len(cs)
	out := make([]RFM, n)
	if n == 0 {
		return out
	}
	end := nanos(now)
	rec, freq, mon := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, c := range cs {
		d := max(end-nanos(c.Last), 0) / int64(24*time.Hour)
		rec[i], freq[i], mon[i] = d, int64(c.Orders), c.Spent.Amount
		out[i] = RFM{Customer: c.Customer, RecencyDays: d, Frequency: c.Orders, Monetary: c.Spent}
	}
	// Fewer days since the last order is better, so a recency's "worse" customers are
	// those with more days.
	for i, s := range quintiles(rec, true) {
		out[i].R = s
	}
	for i, s := range quintiles(freq, false) {
		out[i].F = s
	}
	for i, s := range quintiles(mon, false) {
		out[i].M = s
	}
	for i := range out {
		out[i].Segment = SegmentOf(out[i].R, out[i].F)
	}
	return out
}

// quintiles scores each value 1 + ⌊5·b/n⌋, b being the number of strictly worse values
// (smaller ones, or larger ones when lowerIsBetter).
func quintiles(vs []int64, lowerIsBetter bool) []int {
	n := len(vs)
	scores := make([]int, n)
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	for i, v := range vs {
		var worse int
		if lowerIsBetter {
			// Values strictly greater: everything from the first value above v.
			hi := n
			if v < math.MaxInt64 {
				hi, _ = slices.BinarySearch(sorted, v+1)
			}
			worse = n - hi
		} else {
			worse, _ = slices.BinarySearch(sorted, v) // the first v sits after all smaller ones
		}
		scores[i] = 1 + 5*worse/n
	}
	return scores
}

// Segment is a named group of customers on the R×F grid.
type Segment string

// The segments. SegmentOf documents which (R, F) scores fall in each.
const (
	Champions         Segment = "champions"
	Loyal             Segment = "loyal"
	PotentialLoyalist Segment = "potential_loyalist"
	New               Segment = "new"
	Promising         Segment = "promising"
	NeedAttention     Segment = "need_attention"
	AboutToSleep      Segment = "about_to_sleep"
	AtRisk            Segment = "at_risk"
	CannotLose        Segment = "cannot_lose"
	Hibernating       Segment = "hibernating"
	Lost              Segment = "lost"
)

// Segments lists every segment, from the best customers to the lost ones.
var Segments = []Segment{
	Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention,
	AboutToSleep, AtRisk, CannotLose, Hibernating, Lost,
}

// segmentGrid is the R×F map, indexed [R-1][F-1]:
//
//	        F=1            F=2                F=3                F=4        F=5
//	R=5     new            potential_loyalist potential_loyalist champions  champions
//	R=4     promising      potential_loyalist potential_loyalist loyal      loyal
//	R=3     about_to_sleep about_to_sleep     need_attention     loyal      loyal
//	R=2     hibernating    hibernating        at_risk            at_risk    cannot_lose
//	R=1     lost           lost               at_risk            at_risk    cannot_lose
var segmentGrid = [5][5]Segment{
	{Lost, Lost, AtRisk, AtRisk, CannotLose},
	{Hibernating, Hibernating, AtRisk, AtRisk, CannotLose},
	{AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},
	{Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Loyal},
	{New, PotentialLoyalist, PotentialLoyalist, Champions, Champions},
}

// SegmentOf maps recency and frequency scores to their segment; every pair of scores in
// 1–5 has exactly one. Scores outside 1–5 have none ("").
//
//	champions           R 5     F 4–5     bought recently and often
//	loyal               R 3–4   F 4–5     buy often, fairly recently
//	potential_loyalist  R 4–5   F 2–3     recent, with a few orders
//	new                 R 5     F 1       first order very recently
//	promising           R 4     F 1       first order recently
//	need_attention      R 3     F 3       average on both
//	about_to_sleep      R 3     F 1–2     fading after one or two orders
//	at_risk             R 1–2   F 3–4     used to buy regularly, not lately
//	cannot_lose         R 1–2   F 5       were among the most frequent, gone quiet
//	hibernating         R 2     F 1–2     long ago, few orders
//	lost                R 1     F 1–2     longest ago, few orders
func SegmentOf(r, f int) Segment {
	if r < 1 || r > 5 || f < 1 || f > 5 {
		return ""
	}
	return segmentGrid[r-1][f-1]
}
