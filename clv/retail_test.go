package clv

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// retailPath is the UCI Online Retail data set kept in the repository (see its SOURCES.md).
const retailPath = "../testdata/online-retail/online_retail.csv.gz"

// mustLoadRetail reads the "clean" subset of Online Retail (customer known, not a
// cancellation, positive quantity and price) as purchases in pence, one per invoice line.
func mustLoadRetail(t testing.TB) []Purchase {
	t.Helper()
	f, err := os.Open(retailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		t.Fatal(err)
	}
	var out []Purchase
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		invoice, qty, date, price, customer := rec[0], rec[3], rec[4], rec[5], rec[6]
		if customer == "" || strings.HasPrefix(invoice, "C") {
			continue
		}
		q, err := strconv.ParseInt(qty, 10, 64)
		if err != nil {
			t.Fatalf("quantity %q: %v", qty, err)
		}
		milli := mustMilli(t, price)
		if q <= 0 || milli <= 0 {
			continue
		}
		at, err := time.Parse(time.DateTime, date)
		if err != nil {
			t.Fatal(err)
		}
		// Pence, rounded half up from tenths of a penny.
		out = append(out, Purchase{Customer: customer, At: at, Amount: (q*milli + 5) / 10})
	}
	return out
}

// mustMilli parses a price such as "2.55" or "0.001" into thousandths, exactly.
func mustMilli(t testing.TB, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 3 {
		t.Fatalf("price %q has more than 3 decimals", s)
	}
	frac += strings.Repeat("0", 3-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("price %q", s)
	}
	return w*1000 + f
}

// TestOnlineRetail fits both models to real data, where the dropout parameter a runs
// towards 0, and checks that the fit stays sound there: a result, no NaN, standard errors
// only where they can be claimed, and a holdout comparison.
func TestOnlineRetail(t *testing.T) {
	p := mustLoadRetail(t)
	end := time.Date(2011, 12, 9, 0, 0, 0, 0, time.UTC)
	s := Summarize(p, end, Day)
	if len(s) != 4338 {
		t.Errorf("%d customers, SOURCES.md counts 4,338 in the clean subset", len(s))
	}
	rep, err := Analyze(s, nil, FitOptions{})
	if err != nil || rep.BGNBD == nil || rep.GammaGamma == nil {
		t.Fatalf("Analyze: %v %+v", err, rep)
	}
	bg, gg := *rep.BGNBD, *rep.GammaGamma
	t.Logf("whole period, days: %d customers, %d repeat; BG/NBD r=%.4g α=%.4g a=%.3g b=%.4g LL=%.1f SE=%v boundary=%v; Gamma-Gamma p=%.4g q=%.4g γ=%.4g (pence) LL=%.1f; %.3fs",
		rep.Customers, rep.RepeatCustomers, bg.R, bg.Alpha, bg.A, bg.B, bg.LogLikelihood, bg.StdErr, bg.AtBoundary, gg.P, gg.Q, gg.Gamma, gg.LogLikelihood, rep.FitSeconds)
	if bg.A > 0.05 {
		t.Errorf("a = %g: the dropout parameter should run towards 0 on this data", bg.A)
	}
	nm := mustFitBG(t, s, FitOptions{Method: NelderMead})
	if relErr(nm.LogLikelihood, bg.LogLikelihood) > 1e-6 || relErr(nm.R, bg.R) > 1e-3 || relErr(nm.Alpha, bg.Alpha) > 1e-3 {
		t.Errorf("Nelder-Mead r=%.6g α=%.6g LL=%.8g, BFGS r=%.6g α=%.6g LL=%.8g", nm.R, nm.Alpha, nm.LogLikelihood, bg.R, bg.Alpha, bg.LogLikelihood)
	}

	// Calibrate up to 2011-09-08, hold out the last quarter (the Christmas season).
	cal := time.Date(2011, 9, 8, 0, 0, 0, 0, time.UTC)
	s = Summarize(p, cal, Day)
	h := SummarizeHoldout(p, cal, end, Day)
	rep, err = Analyze(s, &h, FitOptions{})
	if err != nil || rep.BGNBD == nil || rep.Holdout == nil {
		t.Fatalf("Analyze: %v %+v", err, rep)
	}
	bg = *rep.BGNBD
	t.Logf("calibration to %s: BG/NBD r=%.4g α=%.4g a=%.3g b=%.4g SE=%v boundary=%v; notes %q",
		cal.Format(time.DateOnly), bg.R, bg.Alpha, bg.A, bg.B, bg.StdErr, bg.AtBoundary, rep.Notes)
	t.Logf("holdout %.0f days: predicted %.0f repeat purchase days, actual %.0f", rep.Holdout.Length, rep.Holdout.Predicted, rep.Holdout.Actual)
	for _, b := range rep.Holdout.Buckets {
		t.Logf("  x=%s: %d customers, predicted %.3f, actual %.3f", b.Frequency, b.Customers, b.PredictedMean, b.ActualMean)
	}
	for _, c := range s {
		if v := CLV(bg, *rep.GammaGamma, c, 365, 0.0003); !finite(v) || v < 0 {
			t.Fatalf("CLV(%+v) = %v", c, v)
		}
	}
}
