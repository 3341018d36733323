package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLVFitOnlineRetail(t *testing.T) {
	const data = "../../testdata/online-retail/online_retail.csv.gz"
	if _, err := os.Stat(data); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, nil, "", "clv", "fit", "--transactions", data, "--preset", "online-retail", "--calibration-end", "2011-09-08")
	if code != 0 {
		t.Fatalf("clv fit = %d: %s", code, errOut)
	}
	var rep struct {
		BGNBD *struct {
			R, Alpha, A, B float64
			LogLikelihood  float64  `json:"log_likelihood"`
			AtBoundary     []string `json:"at_boundary"`
		} `json:"bgnbd"`
		GammaGamma *struct{ P, Q, Gamma float64 } `json:"gamma_gamma"`
		Customers  int                            `json:"customers"`
		Holdout    *struct{ Predicted, Actual float64 }
		Input      struct {
			Skipped map[string]int `json:"skipped"`
		} `json:"input"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.BGNBD == nil || rep.GammaGamma == nil || rep.Holdout == nil || rep.Customers < 3000 || rep.BGNBD.LogLikelihood >= 0 {
		t.Fatalf("report = %s", out)
	}
	// On this data the dropout parameter runs to 0 (the issue says so): it must be reported.
	if len(rep.BGNBD.AtBoundary) == 0 || rep.BGNBD.AtBoundary[0] != "a" {
		t.Errorf("a at the boundary not reported: %+v", rep.BGNBD)
	}
	if rep.Input.Skipped["cancellation"] == 0 || rep.Input.Skipped["no customer"] == 0 {
		t.Errorf("skipped rows not counted: %v", rep.Input.Skipped)
	}
}

func TestCLVFitFallsBackWithoutRepeatBuyers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tx.csv")
	os.WriteFile(path, []byte("who,when,total\na,2026-01-02,10.00\na,2026-01-09,12.50\nb,2026-01-03,7.00\n,2026-01-04,1.00\nc,2026-13-01,1.00\n"), 0o600)
	code, out, errOut := runCLI(t, nil, "", "clv", "fit", "--transactions", path, "--customer-col", "who", "--date-col", "when", "--amount-col", "total")
	if code != 0 {
		t.Fatalf("clv fit = %d: %s", code, errOut)
	}
	if strings.Contains(out, "NaN") || !strings.Contains(out, `"fallback": true`) || strings.Contains(out, `"bgnbd"`) {
		t.Fatalf("fallback report = %s", out)
	}
	code, _, errOut = runCLI(t, nil, "", "clv", "fit", "--transactions", path, "--customer-col", "nope", "--date-col", "when", "--amount-col", "total")
	if code == 0 || !strings.Contains(errOut, `no column "nope"`) {
		t.Fatalf("unknown column = %d: %s", code, errOut)
	}
}
