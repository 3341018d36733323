package bench

import (
	"slices"
	"testing"
)

// The search, against servers that sustain everything up to a capacity.
func TestSearchRate(t *testing.T) {
	cases := []struct {
		name       string
		first      float64
		capacity   float64
		maxRate    float64
		refine     int
		wantBest   float64
		wantCapped bool
		wantRates  []float64
	}{
		{"rises, then bisects", 2000, 4700, 40000, 3, 4500, false, []float64{2000, 3000, 4500, 6800, 5700, 5100, 4800}},
		{"stops at the cap", 2000, 1e9, 5000, 3, 5000, true, []float64{2000, 3000, 4500, 5000}},
		{"falls when the first fails", 2000, 700, 40000, 2, 630, false, []float64{2000, 1000, 500, 750, 630}},
		{"nothing passes", 40, 0, 40000, 3, 0, false, []float64{40, 20, 10}},
		{"no refinement", 2000, 4700, 40000, 0, 4500, false, []float64{2000, 3000, 4500, 6800}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step := func(rate float64) StorefrontStep {
				return StorefrontStep{Offered: rate, Sustainable: rate <= tc.capacity}
			}
			steps, best, capped, err := searchRate(step(tc.first), tc.maxRate, tc.refine, func(r float64) (StorefrontStep, error) { return step(r), nil })
			if err != nil {
				t.Fatal(err)
			}
			var rates []float64
			for _, s := range steps {
				rates = append(rates, s.Offered)
			}
			if best != tc.wantBest || capped != tc.wantCapped || !slices.Equal(rates, tc.wantRates) {
				t.Fatalf("best %v capped %v rates %v, want %v %v %v", best, capped, rates, tc.wantBest, tc.wantCapped, tc.wantRates)
			}
		})
	}
}
