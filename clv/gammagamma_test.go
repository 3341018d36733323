package clv

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/ritorno/ritorno"
)

func TestGammaGammaLikelihood(t *testing.T) {
	t.Run("by hand", func(t *testing.T) {
		// p=1, x=1: m | ν ~ Exp(ν); ν ~ Gamma(2, 1): f(m) = ∫ν e^(−νm) ν e^(−ν) dν
		// = 2/(1+m)³, which is 1/4 at m = 1.
		m := GammaGamma{P: 1, Q: 2, Gamma: 1}
		if got := m.logLikelihood([]Summary{{Frequency: 1, Recency: 1, T: 2, Monetary: 1}}); math.Abs(got-math.Log(0.25)) > 1e-14 {
			t.Errorf("ln f = %.15g, want ln 1/4", got)
		}
	})
	// Against ∫ Gamma(m; px, xν) dGamma(ν; q, γ) by quadrature.
	cases := []struct {
		name string
		m    GammaGamma
		x    int
		mean float64
	}{
		{"CDNOW", GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}, 2, 30},
		{"CDNOW heavy", GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}, 15, 60},
		{"minor units", GammaGamma{P: 2, Q: 8, Gamma: 3000}, 4, 1200},
		{"dispersed", GammaGamma{P: 0.7, Q: 1.6, Gamma: 40}, 1, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := float64(tc.x)
			f := quadGG(tc.m, 2000, func(nu float64) float64 {
				return distuv.Gamma{Alpha: tc.m.P * x, Beta: x * nu}.Prob(tc.mean)
			})
			got := tc.m.logLikelihood([]Summary{{Frequency: tc.x, Recency: 1, T: 2, Monetary: tc.mean}})
			if math.Abs(got-math.Log(f)) > 1e-6 {
				t.Errorf("ln f = %.10g, quadrature %.10g", got, math.Log(f))
			}
			// The posterior mean spend per purchase, E[p/ν | m, x].
			post := quadGG(tc.m, 2000, func(nu float64) float64 {
				return tc.m.P / nu * distuv.Gamma{Alpha: tc.m.P * x, Beta: x * nu}.Prob(tc.mean)
			}) / f
			if got := tc.m.ExpectedSpend(Summary{Frequency: tc.x, Monetary: tc.mean}); relErr(got, post) > 1e-6 {
				t.Errorf("expected spend %.10g, quadrature %.10g", got, post)
			}
		})
	}
}

func TestGammaGammaGradient(t *testing.T) {
	d := newGGData(simulate(2, truths[1].sim, 3000))
	for _, theta := range [][]float64{{2, 8, 3.5}, {0.3, 1.2, 0.05}, {20, 40, 100}} {
		grad := make([]float64, 3)
		d.eval(theta, grad)
		for i := range theta {
			h := 1e-6 * theta[i]
			plus, minus := slices.Clone(theta), slices.Clone(theta)
			plus[i] += h
			minus[i] -= h
			fd := (d.eval(plus, nil) - d.eval(minus, nil)) / (2 * h)
			if math.Abs(fd-grad[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("θ=%v: ∂LL/∂θ%d = %.8g, finite difference %.8g", theta, i, grad[i], fd)
			}
		}
	}
}

func TestExpectedSpend(t *testing.T) {
	m := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	cases := []struct {
		name string
		s    Summary
		want float64
	}{
		// pγ/(q−1) = 6.25·15.44/2.74: FHL's CDNOW mean spend per purchase.
		{"no repeat: population mean", Summary{T: 10}, 6.25 * 15.44 / 2.74},
		{"refunds only: population mean", Summary{Frequency: 2, Recency: 3, T: 10, Monetary: -5}, 6.25 * 15.44 / 2.74},
		// p(γ+mx)/(px+q−1) = 6.25·(15.44+60)/(12.5+2.74)
		{"two purchases of 30", Summary{Frequency: 2, Recency: 3, T: 10, Monetary: 30}, 6.25 * 75.44 / 15.24},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.ExpectedSpend(tc.s); relErr(got, tc.want) > 1e-14 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("shrinks towards the observed mean with more purchases", func(t *testing.T) {
		prev := math.Inf(1)
		for x := 1; x < 200; x *= 2 {
			e := m.ExpectedSpend(Summary{Frequency: x, Recency: 1, T: 2, Monetary: 10})
			if e >= prev || e < 10 {
				t.Fatalf("x=%d: %v after %v", x, e, prev)
			}
			prev = e
		}
	})
}

// Spend so dispersed that the fitted q ≤ 1 has no finite mean: the fit must refuse rather
// than let CLV become infinite.
func TestGammaGammaInfiniteMean(t *testing.T) {
	sim := truths[0].sim
	sim.GG = GammaGamma{P: 0.5, Q: 0.6, Gamma: 10}
	s := simulate(700, sim, 10000)
	_, err := FitGammaGamma(s, FitOptions{})
	if ritorno.ErrorCode(err) != ritorno.ECONFLICT {
		t.Fatalf("err %v, want ECONFLICT", err)
	}
	t.Logf("refused: %v", err)
}
