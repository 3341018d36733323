package clv

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// truth is a parameter set that the recovery tests simulate from.
type truth struct {
	name string
	sim  Simulation
}

// truths are three rather different worlds: CDNOW's published estimates in weeks
// (Fader, Hardie & Lee 2005: r=0.243, α=4.414, a=0.793, b=2.426; p=6.25, q=3.74,
// γ=15.44), frequent buyers measured in days with spend in minor units, and slow
// buyers who rarely drop out, in months.
var truths = []truth{
	{"CDNOW weeks", Simulation{
		BG: BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}, GG: GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44},
		TMin: 27, TMax: 39,
	}},
	{"frequent days", Simulation{
		BG: BGNBD{R: 1.5, Alpha: 20, A: 1.2, B: 6}, GG: GammaGamma{P: 2, Q: 8, Gamma: 3000},
		TMin: 30, TMax: 365,
	}},
	{"loyal months", Simulation{
		BG: BGNBD{R: 0.5, Alpha: 2, A: 0.3, B: 5}, GG: GammaGamma{P: 1.2, Q: 2.5, Gamma: 40},
		TMin: 5, TMax: 20,
	}},
}

func simulate(seed uint64, sim Simulation, n int) []Summary {
	return Simulate(rand.New(rand.NewPCG(seed, 0x5eed)), sim, n)
}

func mustFitBG(t testing.TB, s []Summary, opt FitOptions) BGNBD {
	t.Helper()
	m, err := FitBGNBD(s, opt)
	if err != nil {
		t.Fatalf("FitBGNBD: %v", err)
	}
	return m
}

func mustFitGG(t testing.TB, s []Summary, opt FitOptions) GammaGamma {
	t.Helper()
	m, err := FitGammaGamma(s, opt)
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	return m
}

// quadBG integrates h(λ, p) against the BG/NBD mixing distributions by Gauss–Legendre
// quadrature over their quantiles (λ = G⁻¹(u), p = B⁻¹(v)), which shares nothing with
// the closed forms under test.
func quadBG(m BGNBD, n int, h func(lambda, p float64) float64) float64 {
	u, w := make([]float64, n), make([]float64, n)
	quad.Legendre{}.FixedLocations(u, w, 0, 1)
	gl, bt := distuv.Gamma{Alpha: m.R, Beta: m.Alpha}, distuv.Beta{Alpha: m.A, Beta: m.B}
	lam, p := make([]float64, n), make([]float64, n)
	for i := range u {
		lam[i], p[i] = gl.Quantile(u[i]), bt.Quantile(u[i])
	}
	var sum float64
	for i := range n {
		for j := range n {
			sum += w[i] * w[j] * h(lam[i], p[j])
		}
	}
	return sum
}

// quadGG integrates h(ν) against the Gamma(q, γ) distribution of the spend rate.
func quadGG(m GammaGamma, n int, h func(nu float64) float64) float64 {
	g := distuv.Gamma{Alpha: m.Q, Beta: m.Gamma}
	return quad.Fixed(func(u float64) float64 { return h(g.Quantile(u)) }, 0, 1, n, quad.Legendre{}, 0)
}

// bgIndividual is the likelihood of a customer with known λ and p (FHL 2005, eq. 3).
func bgIndividual(x, tx, T, lambda, p float64) float64 {
	l := math.Pow(1-p, x) * math.Pow(lambda, x) * math.Exp(-lambda*T)
	if x > 0 {
		l += p * math.Pow(1-p, x-1) * math.Pow(lambda, x) * math.Exp(-lambda*tx)
	}
	return l
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}
