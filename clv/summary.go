// Package clv fits customer-lifetime-value models to purchase histories and predicts with
// them: the BG/NBD model of repeat purchasing and dropout (Fader, Hardie & Lee 2005,
// "Counting your customers the easy way") and the Gamma-Gamma model of spend per purchase
// (Fader, Hardie & Lee 2005, "RFM and CLV"). It is pure numerics: callers bring purchases
// or summaries, and get parameters, standard errors and per-customer predictions back.
//
// The models see each customer through four numbers (Summary): repeat purchase days,
// the time of the last one, the time observed, and the mean spend of the repeat days.
// Times are measured in a TimeUnit from the customer's first purchase.
package clv

import (
	"math"
	"sort"
	"time"

	"github.com/ritorno/ritorno"
)

// TimeUnit is the model's unit of time, as a number of days. Parameters such as alpha and
// horizons are in this unit.
type TimeUnit float64

// Common time units.
const (
	Day   TimeUnit = 1
	Week  TimeUnit = 7
	Month TimeUnit = 365.25 / 12 // the mean Gregorian month
)

// Purchase is one order of a customer, as the models need it.
type Purchase struct {
	Customer string
	At       time.Time
	Amount   int64 // in the shop currency's minor units
}

// Summary is one customer's purchase history reduced to the models' sufficient statistics.
//
// Monetary is a float64 in the currency's minor units: it is a statistic that the
// Gamma-Gamma model consumes (a mean of repeat purchase days), never an amount of money
// that is stored or charged; staying in minor units keeps the package free of currency
// exponents. Predictions of spend come back in the same unit.
type Summary struct {
	Customer  string  // the caller's identifier; the models ignore it
	Frequency int     // repeat purchase days: distinct purchase days minus the first one
	Recency   float64 // time from the first to the last purchase day (0 when Frequency is 0)
	T         float64 // time from the first purchase day to the end of the calibration period
	Monetary  float64 // mean total of the repeat purchase days (first day excluded); 0 when Frequency is 0
}

// Holdout is what happened after the calibration period, for checking predictions.
type Holdout struct {
	Length    float64        // the holdout period in the summaries' time unit
	Purchases map[string]int // purchase days in the holdout, by customer of the calibration period
}

// Summarize reduces purchases to one Summary per customer whose first purchase falls on or
// before calibrationEnd's day, sorted by customer. Purchases on the same calendar day are
// merged into one (days are taken in calibrationEnd's location), as the models count
// purchase occasions; calibrationEnd's day is the last day of the calibration period, and
// later purchases are left out.
func Summarize(purchases []Purchase, calibrationEnd time.Time, unit TimeUnit) []Summary {
	loc := calibrationEnd.Location()
	end := dayNumber(calibrationEnd, loc)
	days := make(map[string]map[int64]int64)
	for _, p := range purchases {
		d := dayNumber(p.At, loc)
		if d > end {
			continue
		}
		byDay := days[p.Customer]
		if byDay == nil {
			byDay = make(map[int64]int64)
			days[p.Customer] = byDay
		}
		byDay[d] += p.Amount
	}
	out := make([]Summary, 0, len(days))
	for customer, byDay := range days {
		first, last := int64(math.MaxInt64), int64(math.MinInt64)
		for d := range byDay {
			first, last = min(first, d), max(last, d)
		}
		var repeatTotal int64
		for d, amount := range byDay {
			if d != first {
				repeatTotal += amount
			}
		}
		s := Summary{
			Customer:  customer,
			Frequency: len(byDay) - 1,
			Recency:   float64(last-first) / float64(unit),
			T:         float64(end-first) / float64(unit),
		}
		if s.Frequency > 0 {
			s.Monetary = float64(repeatTotal) / float64(s.Frequency)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Customer < out[j].Customer })
	return out
}

// SummarizeHoldout counts, for each customer of the calibration period (first purchase on
// or before calibrationEnd's day), the distinct purchase days after calibrationEnd's day up
// to and including holdoutEnd's day. Days are taken in calibrationEnd's location, as in
// Summarize.
func SummarizeHoldout(purchases []Purchase, calibrationEnd, holdoutEnd time.Time, unit TimeUnit) Holdout {
	loc := calibrationEnd.Location()
	end, hEnd := dayNumber(calibrationEnd, loc), dayNumber(holdoutEnd, loc)
	calibrated := make(map[string]bool)
	later := make(map[string]map[int64]bool)
	for _, p := range purchases {
		d := dayNumber(p.At, loc)
		switch {
		case d <= end:
			calibrated[p.Customer] = true
		case d <= hEnd:
			if later[p.Customer] == nil {
				later[p.Customer] = make(map[int64]bool)
			}
			later[p.Customer][d] = true
		}
	}
	h := Holdout{Length: float64(max(hEnd-end, 0)) / float64(unit), Purchases: make(map[string]int, len(calibrated))}
	for c := range calibrated {
		h.Purchases[c] = len(later[c])
	}
	return h
}

// dayNumber is the calendar day of t in loc, counted from 1970-01-01.
func dayNumber(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// validate checks that summaries are what Summarize produces: finite, 0 ≤ Recency ≤ T,
// Recency 0 without repeat purchases and positive with them (a repeat purchase at the
// time of the first makes the BG/NBD likelihood unbounded).
func validate(s []Summary) error {
	for i, c := range s {
		switch {
		case c.Frequency < 0:
			return ritorno.Errorf(ritorno.EINVALID, "summary %d: negative frequency", i)
		case !finite(c.Recency) || !finite(c.T) || !finite(c.Monetary):
			return ritorno.Errorf(ritorno.EINVALID, "summary %d: recency, T and monetary value must be finite", i)
		case c.Recency < 0 || c.Recency > c.T:
			return ritorno.Errorf(ritorno.EINVALID, "summary %d: recency must be between 0 and T", i)
		case c.Frequency == 0 && c.Recency != 0:
			return ritorno.Errorf(ritorno.EINVALID, "summary %d: recency must be 0 without repeat purchases", i)
		case c.Frequency > 0 && c.Recency == 0:
			return ritorno.Errorf(ritorno.EINVALID, "summary %d: repeat purchases need a positive recency", i)
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
