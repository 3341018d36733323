package ritorno_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ritorno/ritorno"

// TestImportRules keeps ARCHITECTURE.md's "what may import what" true. Packages that do
// not exist yet are not checked; their rules wait for them.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath                         string
		Imports, TestImports, XTestImports []string
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}

	stdlib := func(imp string) bool { return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }
	is := func(imp string, prefixes ...string) bool {
		for _, p := range prefixes {
			if imp == p || strings.HasPrefix(imp, p+"/") {
				return true
			}
		}
		return false
	}
	gorm := []string{"gorm.io"}
	gin := []string{"github.com/gin-gonic"}
	local := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = module + "/" + n
		}
		return out
	}

	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		top := strings.SplitN(rel, "/", 2)[0]
		for _, imp := range p.Imports {
			var broken string
			switch {
			case (rel == "" || rel == "migrations") && !stdlib(imp):
				broken = "the domain and migrations import the standard library only"
			case (top == "app" || top == "webhooks" || top == "storefront") && (is(imp, gorm...) || is(imp, local("store", "shopify", "woocommerce")...)):
				broken = "HTTP surfaces get interfaces, never storage or platform adapters"
			case is(top, "history", "analytics", "clv", "recommend", "gifts", "jobs") && (is(imp, gin...) || is(imp, gorm...) || is(imp, local("store", "shopify", "woocommerce", "web")...)):
				broken = "engines are pure: no HTTP, no storage, no platform adapters"
			case top == "jobs" && is(imp, local("history", "analytics", "clv", "recommend", "gifts")...):
				broken = "jobs runs the engines' steps that serve hands it; it imports no engine"
			case (top == "shopify" || top == "woocommerce" || top == "payload") && (is(imp, gin...) || is(imp, gorm...) || is(imp, local("store")...)):
				broken = "platform adapters speak net/http, never gin or gorm"
			case top == "web" && (is(imp, gorm...) || is(imp, local("store")...)):
				broken = "web is HTTP plumbing, without storage"
			case is(imp, gorm...) && top != "store" && top != "cmd":
				broken = "only store imports gorm"
			}
			if broken != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, broken)
			}
		}
		// bench may import anything; only the command that runs it imports it (tests included).
		for _, imp := range append(append(slices.Clone(p.Imports), p.TestImports...), p.XTestImports...) {
			if is(imp, local("bench")...) && rel != "cmd/ritorno" {
				t.Errorf("%s imports %s: nothing but cmd/ritorno imports bench", p.ImportPath, imp)
			}
		}
	}
}
