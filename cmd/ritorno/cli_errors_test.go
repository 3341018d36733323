package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// badInputs writes the files every file-reading command must refuse clearly: absent,
// empty, binary (with a marker that must never reach an error), a folder.
func badInputs(t *testing.T) (dir string, cases []struct{ name, path, want string }) {
	t.Helper()
	dir = t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	binary := append([]byte("\x7fELF\x02\x01\x01\x00\x00SECRETBYTES,"), make([]byte, 600)...)
	return dir, []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.csv"), "does not exist"},
		{"empty", write("empty.csv", nil), "is empty"},
		{"binary", write("photo.csv", binary), "not text"},
		{"folder", dir, "is a folder"},
	}
}

// checkOneLine fails unless stderr is one line naming the path once and never the
// binary file's bytes.
func checkOneLine(t *testing.T, stderr, path, want string) {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "ritorno: ") || !strings.Contains(line, want) {
		t.Errorf("stderr %q: want one line saying %q", stderr, want)
	}
	if strings.Count(line, path) != 1 {
		t.Errorf("stderr %q names %s %d times, want once", stderr, path, strings.Count(line, path))
	}
	if strings.Contains(line, "SECRETBYTES") || strings.Contains(line, "ELF") || strings.Contains(line, "open "+path) {
		t.Errorf("stderr %q echoes the file's bytes or a doubled open prefix", stderr)
	}
}

// TestFileCommandsRefuseBadFilesClearly: clv fit and recommend eval on a missing, empty,
// binary or folder path, and on a CSV whose every row is malformed.
func TestFileCommandsRefuseBadFilesClearly(t *testing.T) {
	dir, cases := badInputs(t)
	malformed := filepath.Join(dir, "short.csv")
	os.WriteFile(malformed, []byte("customer_id,order_id,date,product_id,quantity,unit_price,currency\n1\n2\n3,4\n"), 0o600)
	headerOnly := filepath.Join(dir, "header.csv")
	os.WriteFile(headerOnly, []byte("customer_id,order_id,date,product_id,quantity,unit_price,currency\n"), 0o600)
	cases = append(cases,
		struct{ name, path, want string }{"malformed rows", malformed, "row has fewer columns than the header"},
		struct{ name, path, want string }{"header only", headerOnly, "no rows"})
	for _, c := range cases {
		for _, cmd := range [][]string{{"clv", "fit", "--amount-col", "unit_price", "--transactions"}, {"recommend", "eval", "--transactions"}} {
			t.Run(c.name+"/"+cmd[0], func(t *testing.T) {
				code, stdout, stderr := runCLI(t, map[string]string{}, "", append(cmd, c.path)...)
				if code != exitFailure || stdout != "" {
					t.Errorf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, stdout)
				}
				checkOneLine(t, stderr, c.path, c.want)
			})
		}
	}
}

// TestImportRefusesBadFiles: import's file errors, and a CSV whose rows are all refused
// exits 1 after printing a summary whose reasons are readable sentences.
func TestImportRefusesBadFiles(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "refuse.myshopify.com", Currency: "EUR"}, ritorno.ShopCredentials{})
		dir, cases := badInputs(t)
		for _, c := range cases {
			code, stdout, stderr := runCLI(t, env, "", "import", "--shop", shop.Domain, "--currency", "EUR", c.path)
			if code != exitFailure || stdout != "" {
				t.Errorf("%s: exit %d, stdout %q; want exit 1 and nothing on stdout", c.name, code, stdout)
			}
			checkOneLine(t, stderr, c.path, c.want)
		}

		short := filepath.Join(dir, "short.csv")
		os.WriteFile(short, []byte("customer_id,order_id,date,product_id,quantity,unit_price\n1\n2\n3,4\n"), 0o600)
		mostly := filepath.Join(dir, "mostly.csv")
		os.WriteFile(mostly, []byte("customer_id,order_id,date,product_id,quantity,unit_price\n"+
			"1,10,2026-01-02,A,1,2.50\n2,11,2026-01-02,A,x,2.50\n3,12,2026-01-02,A,1,cheap\n4,13,01/02/2026,A,1,2.50\n"), 0o600)
		header := filepath.Join(dir, "header.csv")
		os.WriteFile(header, []byte("customer_id,order_id,date,product_id,quantity,unit_price\n"), 0o600)
		for _, c := range []struct {
			name, path string
			reasons    []string
		}{
			{"all rows short", short, []string{"row has fewer columns than the header"}},
			{"most rows refused", mostly, []string{"quantity is not a whole number", "unit price is not a decimal amount in its currency",
				"date does not match the layout 2006-01-02 (--date-format)"}},
			{"header only", header, nil},
		} {
			code, stdout, stderr := runCLI(t, env, "", "import", "--shop", shop.Domain, "--currency", "EUR", c.path)
			if code != exitFailure {
				t.Errorf("%s: exit %d, want 1; stderr %q", c.name, code, stderr)
			}
			if line := strings.TrimSuffix(stderr, "\n"); strings.Contains(line, "\n") || !strings.HasPrefix(line, "ritorno: ") {
				t.Errorf("%s: stderr %q, want one line", c.name, stderr)
			}
			var sum importSummary
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
				t.Fatalf("%s: the summary is not printed: %v\n%s", c.name, err, stdout)
			}
			for _, r := range c.reasons {
				if sum.Reasons[r] == 0 {
					t.Errorf("%s: reasons %v lack %q", c.name, sum.Reasons, r)
				}
			}
			for r := range sum.Reasons {
				if len(r) < 12 || strings.ContainsAny(r, "\"") {
					t.Errorf("%s: reason %q is not a readable sentence", c.name, r)
				}
			}
		}
		if _, _, stderr := runCLI(t, env, "", "import", "--shop", shop.Domain, "--currency", "EUR", short); !strings.Contains(stderr, "3 of 3 rows refused") {
			t.Errorf("all rows short: stderr %q does not summarise", stderr)
		}
	})
}

// TestHistoryOfNoSuchBuyerIsAnError: not found is exit 1 naming the customer and shop,
// never an empty history.
func TestHistoryOfNoSuchBuyerIsAnError(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "nobody.myshopify.com", Currency: "EUR"}, ritorno.ShopCredentials{})
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--customer", "1"}, "no customer 1 in shop nobody.myshopify.com"},
			{[]string{"--email", "ghost@example.com"}, "no orders by that e-mail address in shop nobody.myshopify.com"},
		} {
			code, stdout, stderr := runCLI(t, env, "", append([]string{"history", "--shop", shop.Domain}, c.args...)...)
			if code != exitFailure || stdout != "" || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "ghost@") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, stdout, stderr, c.want)
			}
		}
	})
}

// TestNotFoundIsAnError: a shop id or a delivery id that does not exist is exit 1 with one
// line saying what was not found, never a silent success.
func TestNotFoundIsAnError(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		boot(t, env, serveHooks{noWorkers: true})
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"shops", "show", "424242"}, "no shop with id 424242"},
			{[]string{"history", "--shop", "424242", "--customer", "1"}, "no shop with id 424242"},
			{[]string{"webhooks", "replay", "424242", "424242"}, "1 of the 1 deliveries named were not queued"},
		} {
			code, _, stderr := runCLI(t, env, "", c.args...)
			if code != exitFailure || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
				t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line with %q", c.args, code, stderr, c.want)
			}
		}
	})
}
