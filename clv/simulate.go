package clv

import (
	"math"
	"math/rand/v2"
)

// Simulation describes purchase histories drawn from the models, for tests and benchmarks.
type Simulation struct {
	BG BGNBD      // purchase and dropout process
	GG GammaGamma // spend per purchase; the zero value leaves Monetary at 0
	// Each customer's T is uniform in [TMin, TMax]: customers acquired over a period.
	TMin, TMax float64
	// Step, when positive, makes time discrete as real data is: T and purchase times are
	// floored to multiples of Step, and purchases in the same step merge into one, with
	// their spend added (as Summarize merges same-day purchases). The merged data no
	// longer follow the models exactly; use Step 0 to check the models' estimators.
	Step float64
}

// Simulate draws n customers' summaries from sim with rng.
func Simulate(rng *rand.Rand, sim Simulation, n int) []Summary {
	bg, gg := sim.BG, sim.GG
	spend := gg.P > 0 && gg.Q > 0 && gg.Gamma > 0
	out := make([]Summary, n)
	for i := range out {
		T := sim.TMin + (sim.TMax-sim.TMin)*rng.Float64()
		lambda := math.Exp(logGammaRand(rng, bg.R)) / bg.Alpha
		lp, lq := logGammaRand(rng, bg.A), logGammaRand(rng, bg.B)
		pDrop := 1 / (1 + math.Exp(lq-lp))
		nu := 1.0
		if spend {
			nu = math.Exp(logGammaRand(rng, gg.Q)) / gg.Gamma
		}
		s := Summary{T: T}
		if sim.Step > 0 {
			s = simulateSteps(rng, sim, T, lambda, pDrop, nu, spend)
		} else {
			var t float64
			for {
				t += rng.ExpFloat64() / lambda
				if t > T {
					break
				}
				s.Frequency++
				s.Recency = t
				if rng.Float64() < pDrop {
					break
				}
			}
			if spend && s.Frequency > 0 {
				// The sum of x Gamma(p, ν) purchases is Gamma(px, ν).
				x := float64(s.Frequency)
				s.Monetary = math.Exp(logGammaRand(rng, gg.P*x)) / nu / x
			}
		}
		out[i] = s
	}
	return out
}

// simulateSteps is one customer of Simulate on a grid of Step.
func simulateSteps(rng *rand.Rand, sim Simulation, T, lambda, pDrop, nu float64, spend bool) Summary {
	last := math.Floor(T / sim.Step)
	s := Summary{T: last * sim.Step}
	var t, total, dayTotal, day float64
	flush := func() {
		if day > 0 {
			s.Frequency++
			s.Recency = day * sim.Step
			total += dayTotal
		}
		dayTotal = 0
	}
	for {
		t += rng.ExpFloat64() / lambda
		step := math.Floor(t / sim.Step)
		if step > last {
			break
		}
		if step != day {
			flush()
			day = step
		}
		if spend {
			dayTotal += math.Exp(logGammaRand(rng, sim.GG.P)) / nu
		}
		if rng.Float64() < pDrop {
			break
		}
	}
	flush()
	if spend && s.Frequency > 0 {
		s.Monetary = total / float64(s.Frequency)
	}
	return s
}

// logGammaRand is the logarithm of a Gamma(shape, 1) draw (Marsaglia & Tsang 2000), in
// log space so that the tiny draws of a small shape (the boost U^(1/shape)) do not
// underflow.
func logGammaRand(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return logGammaRand(rng, shape+1) + math.Log(rng.Float64())/shape
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return math.Log(d * v)
		}
	}
}
