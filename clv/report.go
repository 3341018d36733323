package clv

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// clvSlices is the number of equal slices of the horizon over which CLV discounts expected
// purchases; with a smooth discount factor the midpoint sum is accurate far beyond the
// models' own precision.
const clvSlices = 24

// CLV is the customer's expected spend over the horizon (in the summaries' time unit)
// after the end of the calibration period: expected spend per purchase (Gamma-Gamma)
// times expected purchases (BG/NBD), the two being independent by the Gamma-Gamma
// assumption. With a positive discountPerUnit d, purchases expected at time τ count
// (1+d)^−τ, over clvSlices slices of the horizon. The result is in the summaries' spend
// unit (minor units from Summarize); round it into money at the edge.
func CLV(bg BGNBD, gg GammaGamma, s Summary, horizon, discountPerUnit float64) float64 {
	if !(horizon > 0) {
		return 0
	}
	spend := gg.ExpectedSpend(s)
	if !(discountPerUnit > 0) {
		return spend * bg.ExpectedPurchases(horizon, s)
	}
	var purchases, prev float64
	for k := 1; k <= clvSlices; k++ {
		t := horizon * float64(k) / clvSlices
		e := bg.ExpectedPurchases(t, s)
		mid := horizon * (float64(k) - 0.5) / clvSlices
		purchases += (e - prev) * math.Pow(1+discountPerUnit, -mid)
		prev = e
	}
	return spend * purchases
}

// Report is the outcome of Analyze, as the CLI prints it. A model that could not be fitted
// is absent, Fallback is true and Notes say why: the product then shows Simple.
type Report struct {
	BGNBD           *BGNBD         `json:"bgnbd,omitempty"`
	GammaGamma      *GammaGamma    `json:"gamma_gamma,omitempty"`
	Customers       int            `json:"customers"`
	RepeatCustomers int            `json:"repeat_customers"`
	FitSeconds      float64        `json:"fit_seconds"`
	Fallback        bool           `json:"fallback"`
	Notes           []string       `json:"notes,omitempty"`
	Simple          SimpleFigures  `json:"simple"`
	Holdout         *HoldoutReport `json:"holdout,omitempty"`
	// SpendFrequencyCorrelation is the Pearson correlation of Monetary and Frequency
	// among repeat customers. Gamma-Gamma assumes spend independent of frequency; a
	// strong correlation is worth a note.
	SpendFrequencyCorrelation float64 `json:"spend_frequency_correlation"`
}

// SimpleFigures are model-free figures that are always available.
type SimpleFigures struct {
	RepeatPurchasesPerUnit float64 `json:"repeat_purchases_per_unit"` // Σ frequency / Σ T
	MeanRepeatSpend        float64 `json:"mean_repeat_spend"`         // mean Monetary of repeat customers, minor units
}

// HoldoutReport compares the BG/NBD prediction of repeat purchases in the holdout period
// with what happened, in total and by calibration frequency (0, 1, …, 6, 7+), as in
// Fader, Hardie & Lee's calibration plot.
type HoldoutReport struct {
	Length    float64         `json:"length"`
	Predicted float64         `json:"predicted"`
	Actual    float64         `json:"actual"`
	Buckets   []HoldoutBucket `json:"buckets"`
}

// HoldoutBucket is one calibration-frequency group of a HoldoutReport; the means are per
// customer of the group.
type HoldoutBucket struct {
	Frequency     string  `json:"frequency"`
	Customers     int     `json:"customers"`
	PredictedMean float64 `json:"predicted_mean"`
	ActualMean    float64 `json:"actual_mean"`
}

// holdoutBuckets is the number of buckets; the last holds frequencies of 7 and more.
const holdoutBuckets = 8

// Analyze fits both models to the summaries and, when holdout is non-nil, checks the
// BG/NBD predictions against it. It fails only on malformed summaries (EINVALID); a model
// that the data cannot support is reported absent with a note, never as NaN.
func Analyze(s []Summary, holdout *Holdout, opt FitOptions) (Report, error) {
	if err := validate(s); err != nil {
		return Report{}, err
	}
	rep := Report{Customers: len(s)}
	var sumX, sumT, sumM, sumX2, sumM2, sumXM float64
	for _, c := range s {
		sumT += c.T
		if c.Frequency > 0 {
			x := float64(c.Frequency)
			rep.RepeatCustomers++
			sumX += x
			sumM += c.Monetary
			sumX2 += x * x
			sumM2 += c.Monetary * c.Monetary
			sumXM += x * c.Monetary
		}
	}
	if sumT > 0 {
		rep.Simple.RepeatPurchasesPerUnit = sumX / sumT
	}
	if n := float64(rep.RepeatCustomers); n > 1 {
		rep.Simple.MeanRepeatSpend = sumM / n
		cov := sumXM/n - sumX/n*sumM/n
		vx, vm := sumX2/n-sumX/n*sumX/n, sumM2/n-sumM/n*sumM/n
		if vx > 0 && vm > 0 {
			rep.SpendFrequencyCorrelation = cov / math.Sqrt(vx*vm)
		}
	}

	start := time.Now()
	if bg, err := FitBGNBD(s, opt); err != nil {
		rep.Fallback = true
		rep.Notes = append(rep.Notes, "BG/NBD: "+ritorno.ErrorMessage(err))
	} else {
		rep.BGNBD = &bg
		if len(bg.AtBoundary) > 0 {
			rep.Notes = append(rep.Notes, "BG/NBD: parameters at the boundary of the parameter space (no standard error): "+strings.Join(bg.AtBoundary, ", "))
		}
		if slices.Contains(bg.AtBoundary, "a") {
			rep.Notes = append(rep.Notes, "BG/NBD: a ran to 0, so almost no customer is predicted to drop out, and b is not identified")
		}
	}
	if gg, err := FitGammaGamma(s, opt); err != nil {
		rep.Fallback = true
		rep.Notes = append(rep.Notes, "Gamma-Gamma: "+ritorno.ErrorMessage(err))
	} else {
		rep.GammaGamma = &gg
		if len(gg.AtBoundary) > 0 {
			rep.Notes = append(rep.Notes, "Gamma-Gamma: parameters at the boundary of the parameter space (no standard error): "+strings.Join(gg.AtBoundary, ", "))
		}
	}
	rep.FitSeconds = time.Since(start).Seconds()
	if math.Abs(rep.SpendFrequencyCorrelation) > 0.3 {
		rep.Notes = append(rep.Notes, "spend per purchase correlates with frequency; the Gamma-Gamma independence assumption is doubtful")
	}

	if holdout != nil && rep.BGNBD != nil {
		rep.Holdout = compareHoldout(*rep.BGNBD, s, *holdout)
	}
	return rep, nil
}

func compareHoldout(bg BGNBD, s []Summary, h Holdout) *HoldoutReport {
	hr := &HoldoutReport{Length: h.Length, Buckets: make([]HoldoutBucket, holdoutBuckets)}
	for i := range hr.Buckets {
		hr.Buckets[i].Frequency = strconv.Itoa(i)
	}
	hr.Buckets[holdoutBuckets-1].Frequency += "+"
	for _, c := range s {
		b := &hr.Buckets[min(c.Frequency, holdoutBuckets-1)]
		pred, act := bg.ExpectedPurchases(h.Length, c), float64(h.Purchases[c.Customer])
		b.Customers++
		b.PredictedMean += pred
		b.ActualMean += act
		hr.Predicted += pred
		hr.Actual += act
	}
	for i := range hr.Buckets {
		if n := float64(hr.Buckets[i].Customers); n > 0 {
			hr.Buckets[i].PredictedMean /= n
			hr.Buckets[i].ActualMean /= n
		}
	}
	return hr
}
