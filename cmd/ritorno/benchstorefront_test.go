package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ritorno/ritorno/bench"
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
	var rep bench.StorefrontReport
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
