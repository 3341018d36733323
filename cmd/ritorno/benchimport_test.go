package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ritorno/ritorno/bench"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

const onlineRetail = "../../testdata/online-retail/online_retail.csv.gz"

// The import benchmark, small: it generates a file of exactly the orders asked for, imports
// every order and line of it through `ritorno import`, reports the baselines, reuses the
// file when asked to, and leaves no shop behind.
func TestBenchImportSmoke(t *testing.T) {
	if _, err := os.Stat(onlineRetail); err != nil {
		t.Fatal(err)
	}
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		file := filepath.Join(t.TempDir(), "orders.csv")
		args := []string{"bench", "import", "--orders", "2000", "--batch", "250", "--source", onlineRetail, "--file", file}
		runs := []bool{true, false} // generated, then reused
		if !strings.HasPrefix(dsn, "postgres") {
			runs = runs[:1] // reusing does not depend on the database; SQLite is slow under -race
		}
		for _, generated := range runs {
			baseline := "0" // the second run only checks that the file is reused
			if generated {
				baseline = "200"
			}
			code, out, errOut := runCLI(t, env, "", append(args, "--baseline-orders", baseline)...)
			if code != 0 {
				t.Fatalf("bench import = %d: %s", code, errOut)
			}
			var rep bench.ImportReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("report is not JSON: %v\n%s", err, out)
			}
			if rep.File.Generated != generated {
				t.Fatalf("generated = %v, want %v", rep.File.Generated, generated)
			}
			if generated && (rep.File.Orders != 2000 || rep.File.Lines < 2000*5) {
				t.Fatalf("generated file = %+v", rep.File)
			}
			im := rep.Import
			if im.Orders != 2000 || im.Counts.Inserted != 2000 || im.OrdersStored != 2000 || im.Skipped != 0 {
				t.Fatalf("import = %+v", im)
			}
			if im.LinesRead < im.LineItems || im.LineItems < 2000*5 || im.OrdersPerSec <= 0 || im.LineItemsPerSc <= 0 {
				t.Fatalf("line items = %+v", im)
			}
			if rep.Database.Dialect == "" || rep.Database.Version == "" || rep.Machine.GoVersion == "" {
				t.Fatalf("machine or database missing: %+v %+v", rep.Machine, rep.Database)
			}
			if rep.Memory.PeakRSSMB <= 0 || len(rep.Memory.Samples) == 0 {
				t.Fatalf("memory = %+v", rep.Memory)
			}
			if b := rep.Baseline; generated && (b == nil || b.Orders != 200 || b.ParseOnly.OrdersPerSec <= 0 || b.Before.OrdersPerSec <= 0 || b.After.OrdersPerSec <= 0) {
				t.Fatalf("baseline = %+v", rep.Baseline)
			}
			if !generated && rep.Baseline != nil {
				t.Fatalf("baseline ran with --baseline-orders 0: %+v", rep.Baseline)
			}
		}
		if strings.HasPrefix(dsn, "postgres") {
			db, err := store.Open(context.Background(), dsn, storetest.Cipher(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var shops int64
			if err := store.RawQueryRow(db, "SELECT count(*) FROM shops").Scan(&shops); err != nil || shops != 0 {
				t.Fatalf("%d shops left behind (%v)", shops, err)
			}
		}
	})
}

func TestBenchImportUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"bench", "import", "--help"}, exitOK},
		{"no orders", []string{"bench", "import", "--orders", "0"}, exitUsage},
		{"unknown flag", []string{"bench", "import", "--frob"}, exitUsage},
		{"stray argument", []string{"bench", "import", "file.csv"}, exitUsage},
		{"missing source", []string{"bench", "import", "--orders", "1", "--source", "/nonexistent.csv"}, exitFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := runCLI(t, embeddedEnv(t), "", tc.args...); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
		})
	}
}
