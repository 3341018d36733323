package ritorno_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/ritorno/ritorno"

// The groups of docs/architecture.md's "What may import what", by top-level folder.
var (
	surfaces = []string{"app", "webhooks", "storefront"}
	// The engines: what Ritorno does with a shop's data. gifts does not exist yet; its rules
	// wait for it.
	engines  = []string{"history", "analytics", "clv", "recommend", "gifts", "jobs"}
	adapters = []string{"shopify", "woocommerce", "payload", "transactions"}
	// Packages written for tests: fakes of the platforms, a fresh database per test, the
	// adapters' conformance suite, the browser the widget's tests drive.
	testHelpers = []string{"shopify/shopifytest", "woocommerce/wootest", "store/storetest", "platformtest", "storefront/browsertest"}
)

// engineImports are the engine → engine imports that remain, each with its reason. Every
// other engine reaches another only through the root types, with cmd/ritorno passing the
// values between them.
var engineImports = map[[2]string]string{
	{"analytics", "clv"}: "a shop's insights carry each buyer's predicted lifetime value: analytics fits " +
		"and applies clv's models (pure numerics over the root types; clv imports no engine)",
	{"*", "jobs/lease"}: "an engine that holds a lease while it works (history's backfill) keeps it with " +
		"jobs/lease, which imports only the root types; jobs itself imports no engine",
}

// engineLibraries are the libraries outside the standard library that an engine may use.
var engineLibraries = map[string]string{
	"gonum.org/v1/gonum":                  "clv's numerics: optimisation, linear algebra, distributions",
	"github.com/prometheus/client_golang": "jobs counts what background work does (metrics, no HTTP)",
}

// goFile is one Go file's package, kind and imports.
type goFile struct {
	path    string // file path, for messages
	pkg     string // folder relative to the module root ("" for the root)
	kind    string // "code", "test" (a _test.go file of the package) or "xtest" (package x_test)
	imports []string
}

// TestImportRules keeps docs/architecture.md's "What may import what" true, for every Go file
// of the repository: test files included, and files behind build tags (the browser tests)
// too, since the files are parsed rather than built. A package's own _test.go files are part
// of it and follow its rules; an external test package (package x_test) stands where
// cmd/ritorno stands — it may wire the package to real storage (ARCHITECTURE rule 14) and to
// the platforms' fakes — but gorm, the database drivers, bench and the engine rule bind it too.
func TestImportRules(t *testing.T) {
	files := goFiles(t)
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.pkg] = true
		for _, imp := range f.imports {
			if broken := importRule(f, imp); broken != "" {
				t.Errorf("%s imports %s: %s", f.path, imp, broken)
			}
		}
	}
	for _, want := range []string{"", "cmd/ritorno", "store", "app", "history", "analytics", "clv", "recommend", "jobs"} {
		if !seen[want] {
			t.Errorf("no Go file found in %q: the walk missed a package", want)
		}
	}
}

// importRule says which rule a file's import breaks, or "".
func importRule(f goFile, imp string) string {
	top := strings.SplitN(f.pkg, "/", 2)[0]
	local, isLocal := strings.CutPrefix(imp, module+"/")
	if imp == module {
		local, isLocal = "", true
	}
	localTop := strings.SplitN(local, "/", 2)[0]
	in := func(pkg string, names ...string) bool {
		for _, n := range names {
			if pkg == n || strings.HasPrefix(pkg, n+"/") {
				return true
			}
		}
		return false
	}
	imports := func(prefixes ...string) bool { return in(imp, prefixes...) }
	importsLocal := func(names ...string) bool { return isLocal && local != "" && in(local, names...) }
	stdlib := !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")

	// Everywhere, tests included.
	switch {
	case imports("gorm.io") && top != "store":
		return "only store imports gorm: everything else reads and writes through store's methods"
	case imports("github.com/glebarez", "modernc.org/sqlite", "github.com/jackc", "github.com/lib/pq", "github.com/mattn/go-sqlite3") &&
		top != "store" && !(f.pkg == "migrations" && f.kind == "xtest"):
		return "database drivers belong to store (and storetest, which makes test databases); " +
			"migrations' own tests apply the SQL files through database/sql on both dialects"
	case importsLocal("bench") && top != "bench" && f.pkg != "cmd/ritorno":
		return "bench may import anything, but only cmd/ritorno imports it (its `ritorno bench` commands)"
	case isLocal && slices.ContainsFunc(testHelpers, func(h string) bool { return in(local, h) }) &&
		f.kind == "code" && top != "bench" && !slices.ContainsFunc(testHelpers, func(h string) bool { return in(f.pkg, h) }):
		return "test helpers (fakes, test databases, the conformance suite) are for tests and benchmarks only"
	}
	if top == "bench" || f.pkg == "cmd/ritorno" || (f.pkg == "" && f.kind == "xtest") {
		// bench imports anything; cmd/ritorno wires everything; the root's external tests
		// check the repository as a whole.
		return ""
	}

	// The engine rule binds an engine's external tests too: a test of one engine that needs
	// another is a sign the two are not apart.
	if in(top, engines...) && importsLocal(engines...) && localTop != top {
		if top == "jobs" {
			return "jobs runs the engines' steps that serve hands it; it imports no engine"
		}
		if engineImports[[2]string{top, localTop}] != "" || engineImports[[2]string{"*", local}] != "" {
			return ""
		}
		if f.kind != "code" && local == "jobs" {
			return "" // an engine's tests may run its step as serve does, in a jobs.Task
		}
		return "an engine reaches another only through the root types (cmd/ritorno passes the values); " +
			"a remaining exception is listed, with its reason, in engineImports"
	}
	if in(top, engines...) && (imports("github.com/gin-gonic") || importsLocal("web") || importsLocal(surfaces...)) {
		return "engines are pure: no HTTP"
	}
	if f.kind == "xtest" {
		// Beside the rules above, an external test may wire what cmd/ritorno wires.
		return ""
	}

	// The package's own files, _test.go files included.
	switch {
	case (f.pkg == "" || f.pkg == "migrations") && !stdlib:
		return "the domain and migrations import the standard library only"
	case top == "shopcache" && !stdlib && imp != module:
		return "shopcache is the domain's shops in memory: the standard library and the domain only"
	case in(top, surfaces...) && (importsLocal("store", "secrets", "migrations") || importsLocal(adapters...) || importsLocal("jobs")):
		return "HTTP surfaces get interfaces, never storage, platform adapters or background work"
	case in(top, engines...) && (importsLocal("store", "secrets", "migrations") || importsLocal(adapters...)):
		return "engines get storage and platforms through interfaces, never store or the adapters"
	case in(top, engines...) && !stdlib && !isLocal && !slices.ContainsFunc(keys(engineLibraries), func(l string) bool { return imports(l) }):
		return "engines use the standard library, the root types and the libraries listed in engineLibraries"
	case in(top, adapters...) && (imports("github.com/gin-gonic") || importsLocal("store", "web") ||
		importsLocal(surfaces...) || importsLocal(engines...)):
		return "platform adapters and file readers speak net/http and the root types: no gin, no storage, no engine"
	case top == "store" && (imports("github.com/gin-gonic") || importsLocal("web") || importsLocal(surfaces...) ||
		importsLocal(engines...) || importsLocal(adapters...)):
		return "store keeps data: it imports the root types, gorm, drivers, migrations and secrets"
	case top == "web" && (importsLocal("store", "secrets", "migrations") || importsLocal(surfaces...) ||
		importsLocal(engines...) || importsLocal(adapters...)):
		return "web is HTTP plumbing shared by the surfaces: no storage, no engine, no platform"
	}
	return ""
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// goFiles parses the imports of every Go file of the module, build tags ignored.
func goFiles(t *testing.T) []goFile {
	t.Helper()
	var files []goFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (name == "testdata" || name == "vendor" || name == "node_modules" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		f := goFile{path: path, pkg: filepath.ToSlash(filepath.Dir(path)), kind: "code"}
		if f.pkg == "." {
			f.pkg = ""
		}
		if strings.HasSuffix(path, "_test.go") {
			f.kind = "test"
			if strings.HasSuffix(src.Name.Name, "_test") {
				f.kind = "xtest"
			}
		}
		for _, s := range src.Imports {
			imp, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				return err
			}
			f.imports = append(f.imports, imp)
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d Go files", len(files))
	}
	return files
}

// The rules fire: a check that passes on the tree proves little unless each rule can fail.
func TestImportRuleCases(t *testing.T) {
	for _, c := range []struct {
		name, pkg, kind, imp string
		broken               bool
	}{
		{"gorm outside store", "history", "code", "gorm.io/gorm", true},
		{"gorm in an external test", "analytics", "xtest", "gorm.io/gorm", true},
		{"gorm in cmd", "cmd/ritorno", "code", "gorm.io/gorm", true},
		{"gorm in store", "store", "code", "gorm.io/gorm", false},
		{"a driver in storetest", "store/storetest", "code", "github.com/jackc/pgx/v5/stdlib", false},
		{"a driver in migrations' tests", "migrations", "xtest", "github.com/glebarez/go-sqlite", false},
		{"a driver in app", "app", "xtest", "github.com/glebarez/go-sqlite", true},
		{"bench from cmd", "cmd/ritorno", "test", module + "/bench", false},
		{"bench from an engine's test", "recommend", "xtest", module + "/bench", true},
		{"bench imports anything", "bench", "code", module + "/store/storetest", false},
		{"a fake in product code", "cmd/ritorno", "code", module + "/shopify/shopifytest", true},
		{"a fake in a test", "cmd/ritorno", "test", module + "/shopify/shopifytest", false},
		{"engine to engine", "recommend", "code", module + "/analytics", true},
		{"engine to engine in a test", "history", "xtest", module + "/recommend", true},
		{"analytics to clv (listed)", "analytics", "code", module + "/clv", false},
		{"an engine to the lease keeper", "history", "code", module + "/jobs/lease", false},
		{"an engine to the inbox runner", "history", "code", module + "/jobs", true},
		{"jobs to an engine", "jobs", "code", module + "/history", true},
		{"engine to gin", "clv", "code", "github.com/gin-gonic/gin", true},
		{"engine to store", "history", "code", module + "/store", true},
		{"engine's external test to store", "history", "xtest", module + "/store", false},
		{"engine to an unlisted library", "recommend", "code", "github.com/example/lib", true},
		{"clv to gonum", "clv", "code", "gonum.org/v1/gonum/mat", false},
		{"surface to store", "app", "code", module + "/store", true},
		{"surface's internal test to an adapter", "storefront", "test", module + "/shopify", true},
		{"surface's external test to an adapter", "app", "xtest", module + "/shopify", false},
		{"adapter to gin", "woocommerce", "code", "github.com/gin-gonic/gin", true},
		{"adapter to an engine", "shopify", "code", module + "/history", true},
		{"store to an engine", "store", "code", module + "/analytics", true},
		{"store's external test to an engine", "store", "xtest", module + "/analytics", false},
		{"web to store", "web", "code", module + "/store", true},
		{"domain to a library", "", "code", "github.com/gin-gonic/gin", true},
		{"migrations to a library", "migrations", "code", "gorm.io/gorm", true},
		{"shopcache to store", "shopcache", "code", module + "/store", true},
		{"shopcache to the domain", "shopcache", "code", module, false},
	} {
		got := importRule(goFile{path: c.name, pkg: c.pkg, kind: c.kind}, c.imp)
		if (got != "") != c.broken {
			t.Errorf("%s (%s %s imports %s): broken %q, want broken %v", c.name, c.pkg, c.kind, c.imp, got, c.broken)
		}
	}
}
