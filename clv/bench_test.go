package clv

import "testing"

// BenchmarkFit1M fits both models to 1,000,000 simulated customers on a daily grid (weeks
// as the unit, purchase days merged), as real data come: identical (x, t_x, T) triples
// are grouped, which is what keeps the fit within seconds. Run it once with
//
//	go test ./clv -run '^$' -bench Fit1M -benchtime 1x
func BenchmarkFit1M(b *testing.B) {
	sim := truths[0].sim
	sim.TMin, sim.Step = 0, 1.0/7
	benchmarkFit(b, simulate(42, sim, 1_000_000))
}

// BenchmarkFit1MContinuous is the worst case: continuous times, so no two customers
// share a triple and nothing groups.
func BenchmarkFit1MContinuous(b *testing.B) {
	benchmarkFit(b, simulate(43, truths[0].sim, 1_000_000))
}

func benchmarkFit(b *testing.B, s []Summary) {
	for b.Loop() {
		bg := mustFitBG(b, s, FitOptions{})
		gg := mustFitGG(b, s, FitOptions{})
		b.ReportMetric(float64(bg.Iterations), "bgnbd-iterations")
		b.ReportMetric(float64(gg.Iterations), "gg-iterations")
	}
}
