package clv

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// simulatePurchases draws transaction-level histories from the models (weeks as the model
// unit): first purchases spread over the first 12 weeks from start, then purchases and
// dropout as in BG/NBD, with Gamma-Gamma spend in minor units, until until.
func simulatePurchases(seed uint64, sim Simulation, n int, start, until time.Time) []Purchase {
	rng := rand.New(rand.NewPCG(seed, 0xbeef))
	week := 7 * 24 * time.Hour
	var out []Purchase
	for i := range n {
		id := "c" + strconv.Itoa(i)
		lambda := math.Exp(logGammaRand(rng, sim.BG.R)) / sim.BG.Alpha
		lp, lq := logGammaRand(rng, sim.BG.A), logGammaRand(rng, sim.BG.B)
		pDrop := 1 / (1 + math.Exp(lq-lp))
		nu := math.Exp(logGammaRand(rng, sim.GG.Q)) / sim.GG.Gamma
		spend := func() int64 { return int64(math.Round(100 * math.Exp(logGammaRand(rng, sim.GG.P)) / nu)) }
		t := 12 * rng.Float64()
		out = append(out, Purchase{id, start.Add(time.Duration(t * float64(week))), spend()})
		for {
			t += rng.ExpFloat64() / lambda
			at := start.Add(time.Duration(t * float64(week)))
			if t > 200 || at.After(until) {
				break
			}
			out = append(out, Purchase{id, at, spend()})
			if rng.Float64() < pDrop {
				break
			}
		}
	}
	return out
}

// End to end on data that follow the models: purchases → summaries → fits → the holdout
// prediction matches what happened, in total and by calibration frequency.
func TestAnalyzeHoldout(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	calEnd, holdEnd := start.AddDate(0, 0, 272), start.AddDate(0, 0, 272+273)
	p := simulatePurchases(800, truths[0].sim, 20000, start, holdEnd)
	s := Summarize(p, calEnd, Week)
	h := SummarizeHoldout(p, calEnd, holdEnd, Week)
	rep, err := Analyze(s, &h, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fallback || rep.BGNBD == nil || rep.GammaGamma == nil || rep.Holdout == nil {
		t.Fatalf("report %+v", rep)
	}
	hr := rep.Holdout
	t.Logf("holdout %.1f weeks: predicted %.0f, actual %.0f", hr.Length, hr.Predicted, hr.Actual)
	if relErr(hr.Predicted, hr.Actual) > 0.05 {
		t.Errorf("predicted %.0f repeat purchases in the holdout, actual %.0f", hr.Predicted, hr.Actual)
	}
	for _, b := range hr.Buckets {
		t.Logf("x=%s: %d customers, predicted %.3f, actual %.3f", b.Frequency, b.Customers, b.PredictedMean, b.ActualMean)
		// Sampling noise of a bucket's mean is roughly √(mean/customers), overdispersed.
		if tol := 4 * math.Sqrt(2*math.Max(b.ActualMean, 0.1)/float64(b.Customers)); math.Abs(b.PredictedMean-b.ActualMean) > tol {
			t.Errorf("bucket %s: predicted %.3f, actual %.3f (tolerance %.3f)", b.Frequency, b.PredictedMean, b.ActualMean, tol)
		}
	}
}

func TestAnalyzeFallback(t *testing.T) {
	s := simulate(900, truths[0].sim, 40)
	rep, err := Analyze(s, &Holdout{Length: 10}, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Fallback || rep.BGNBD != nil || rep.GammaGamma != nil || rep.Holdout != nil {
		t.Errorf("want a fallback without models, got %+v", rep)
	}
	if len(rep.Notes) < 2 || !strings.Contains(rep.Notes[0], "not enough repeat customers") {
		t.Errorf("notes %q do not say why", rep.Notes)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	for _, key := range []string{`"customers":40`, `"repeat_customers"`, `"fit_seconds"`, `"fallback":true`, `"simple"`, `"mean_repeat_spend"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("%s missing from %s", key, b)
		}
	}
	if strings.Contains(string(b), `"bgnbd"`) || strings.Contains(string(b), "NaN") {
		t.Errorf("fallback JSON shows a model: %s", b)
	}
}

// The JSON the CLI prints: field names as the issue specifies.
func TestReportJSON(t *testing.T) {
	s := simulate(901, truths[0].sim, 3000)
	rep, err := Analyze(s, nil, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var got struct {
		BGNBD      map[string]json.RawMessage `json:"bgnbd"`
		GammaGamma map[string]json.RawMessage `json:"gamma_gamma"`
		Customers  *int                       `json:"customers"`
		Repeat     *int                       `json:"repeat_customers"`
		FitSeconds *float64                   `json:"fit_seconds"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"r", "alpha", "a", "b", "log_likelihood", "std_err"} {
		if _, ok := got.BGNBD[k]; !ok {
			t.Errorf("bgnbd.%s missing: %s", k, b)
		}
	}
	for _, k := range []string{"p", "q", "gamma", "log_likelihood", "std_err"} {
		if _, ok := got.GammaGamma[k]; !ok {
			t.Errorf("gamma_gamma.%s missing: %s", k, b)
		}
	}
	if got.Customers == nil || *got.Customers != 3000 || got.Repeat == nil || got.FitSeconds == nil {
		t.Errorf("counts missing: %s", b)
	}
	// The log-likelihood is the plain sum over customers.
	if ll := rep.BGNBD.logLikelihood(s); relErr(ll, rep.BGNBD.LogLikelihood) > 1e-12 || ll > -1000 {
		t.Errorf("log_likelihood %v, sum over customers %v", rep.BGNBD.LogLikelihood, ll)
	}
}

func TestCLV(t *testing.T) {
	bg := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	s := Summary{Frequency: 2, Recency: 30.43, T: 38.86, Monetary: 30}
	const year = 52
	undiscounted := CLV(bg, gg, s, year, 0)
	t.Run("undiscounted is spend times purchases", func(t *testing.T) {
		if want := gg.ExpectedSpend(s) * bg.ExpectedPurchases(year, s); relErr(undiscounted, want) > 1e-15 {
			t.Errorf("CLV %v, want %v", undiscounted, want)
		}
	})
	t.Run("discounting against a fine Riemann–Stieltjes sum", func(t *testing.T) {
		const d = 0.01 // per week
		var want, prev float64
		const n = 4000
		for k := 1; k <= n; k++ {
			e := bg.ExpectedPurchases(year*float64(k)/n, s)
			want += (e - prev) * math.Pow(1+d, -year*(float64(k)-0.5)/n)
			prev = e
		}
		want *= gg.ExpectedSpend(s)
		if got := CLV(bg, gg, s, year, d); relErr(got, want) > 1e-4 || got >= undiscounted {
			t.Errorf("CLV %v, fine sum %v, undiscounted %v", got, want, undiscounted)
		}
	})
	t.Run("no horizon, no value", func(t *testing.T) {
		if got := CLV(bg, gg, s, 0, 0.01); got != 0 {
			t.Errorf("CLV over 0 = %v", got)
		}
	})
}

func TestNextOrderExpected(t *testing.T) {
	end := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	m := BGNBD{R: 0.8, Alpha: 10, A: 0.5, B: 3}
	s := Summary{Frequency: 3, Recency: 20, T: 30}
	next, ok := m.NextOrderExpected(s, end, Week)
	want := end.Add(time.Duration(m.NextPurchaseMedian(s) * 7 * 24 * float64(time.Hour)))
	if !ok || !next.Equal(want) {
		t.Errorf("next order %v %v, want %v", next, ok, want)
	}
	// A one-time buyer of a very heterogeneous population: the median wait is 2^(1/0.01)
	// times α, beyond any meaningful date.
	if _, ok := (BGNBD{R: 0.01, Alpha: 10, A: 0.5, B: 3}).NextOrderExpected(Summary{T: 5}, end, Week); ok {
		t.Error("a date for a median wait of 10^31 weeks")
	}
}
