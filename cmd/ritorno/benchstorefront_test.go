package main

import (
	"encoding/json"
	"slices"
	"testing"
)

// The storefront benchmark, tiny: a small synthetic shop, one second at 200 requests/s per
// handler and a short search. Every request of the measurements at rate must succeed and
// the report must have its shape; latencies are not asserted (the machine is shared).
func TestBenchStorefrontSmoke(t *testing.T) {
	code, out, errOut := runCLI(t, embeddedEnv(t), "", "bench", "storefront", "--orders", "2000", "--products", "5000",
		"--rate", "200", "--duration", "1s", "--step-duration", "200ms", "--max-rate", "400", "--refine", "1", "--connections", "8")
	if code != exitOK {
		t.Fatalf("bench storefront = %d: %s", code, errOut)
	}
	var rep sfBenchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	if rep.Machine.CPUs == 0 || rep.Machine.GoVersion == "" || rep.Settings.Rate != 200 || rep.Settings.Duration != "1s" {
		t.Fatalf("machine or settings missing: %+v %+v", rep.Machine, rep.Settings)
	}
	sh := rep.Shop
	if sh.Orders != 2000 || sh.Products != 5000 || sh.BuildSeconds <= 0 || sh.HeapMB <= 0 || sh.SampleSize != 200 {
		t.Fatalf("shop = %+v", sh)
	}
	if sh.ResponseBytes < 200 || sh.ResponseItems < 1 {
		t.Fatalf("the sampled answers are empty: %+v", sh)
	}
	names := []string{}
	for _, h := range rep.Handlers {
		names = append(names, h.Name)
		a := h.AtRate
		if a.Offered != 200 || a.Sent != 200 || a.OK != 200 || a.Errors != 0 || a.FirstError != "" {
			t.Errorf("%s at rate: not every request succeeded: %+v", h.Name, a)
		}
		if a.Achieved <= 0 || a.P50Ms <= 0 || a.P50Ms > a.P90Ms || a.P90Ms > a.P99Ms || a.P99Ms > a.MaxMs {
			t.Errorf("%s at rate: figures out of order: %+v", h.Name, a)
		}
		if len(h.Search) == 0 || h.Search[0] != a {
			t.Errorf("%s: the search does not start from the measurement at rate: %+v", h.Name, h.Search)
		}
		for _, s := range h.Search {
			if s.Offered <= 0 || s.Offered > 400 || s.Sent == 0 || s.OK+s.Errors != s.Sent {
				t.Errorf("%s: search step %+v", h.Name, s)
			}
			if s.Sustainable && s.Offered > h.MaxSustainableRate {
				t.Errorf("%s: %v passed but the maximum is %v", h.Name, s.Offered, h.MaxSustainableRate)
			}
		}
	}
	if !slices.Equal(names, []string{"recommendations", "static"}) {
		t.Fatalf("handlers = %v", names)
	}
}

func TestBenchStorefrontUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"bench", "storefront", "--help"}, exitOK},
		{"unknown flag", []string{"bench", "storefront", "--frob"}, exitUsage},
		{"stray argument", []string{"bench", "storefront", "now"}, exitUsage},
		{"no orders", []string{"bench", "storefront", "--orders", "0"}, exitUsage},
		{"rate above the search cap", []string{"bench", "storefront", "--rate", "500", "--max-rate", "400"}, exitUsage},
		{"no connections", []string{"bench", "storefront", "--connections", "0"}, exitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := runCLI(t, embeddedEnv(t), "", tc.args...); code != tc.want {
				t.Fatalf("exit %d, want %d: %s", code, tc.want, errOut)
			}
		})
	}
}

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
			step := func(rate float64) sfBenchStep {
				return sfBenchStep{Offered: rate, Sustainable: rate <= tc.capacity}
			}
			steps, best, capped, err := searchRate(step(tc.first), tc.maxRate, tc.refine, func(r float64) (sfBenchStep, error) { return step(r), nil })
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
