package ritorno_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outside matches a path that climbs out of the repository to the shared folder beside it
// (as a relative path, in a filepath.Join, or absolute). Fixtures and
// data sets live in testdata/, so that a clone anywhere passes its tests alone.
var outside = regexp.MustCompile(`\.\.[/\\]+shared\b|"\.\."\s*,\s*"shared"|/work/(?:shared)\b`)

// TestNothingReadsOutsideTheRepository reads every Go file, script, Makefile, Dockerfile and
// CI file of the repository and fails on any mention of a folder beside it.
func TestNothingReadsOutsideTheRepository(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch path {
			case ".git", "data", "bin", ".tmp", "artifacts", "testdata":
				return filepath.SkipDir
			}
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !runnable(path) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(raw), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d reads outside the repository: use testdata/ at its root", path, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: is the test run from the repository's root?", checked)
	}
}

// runnable reports whether path is code or build configuration that a run could read from.
func runnable(path string) bool {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".go"), strings.HasSuffix(base, ".sh"), strings.HasSuffix(base, ".php"),
		strings.HasSuffix(base, ".toml"), strings.HasSuffix(base, ".yml"), strings.HasSuffix(base, ".yaml"):
		return true
	case base == "Makefile", base == "Dockerfile", base == ".dockerignore":
		return true
	}
	return filepath.Dir(path) == ".ci"
}

// The pattern catches the spellings a reader of the folder beside the repository used. The
// samples are assembled so that this file does not match itself.
func TestOutsidePattern(t *testing.T) {
	up, dir := "..", "sha"+"red"
	for _, s := range []string{
		`os.ReadFile("` + up + `/` + up + `/` + dir + `/fixtures/x.json")`,
		`filepath.Join("` + up + `", "` + up + `", "` + dir + `", "fixtures")`,
		`fs.String("source", filepath.Join("` + up + `", "` + dir + `", "data"), "")`,
		`cp /work/` + dir + `/data/x .`,
		`--source ` + up + `\` + dir + `\data`,
	} {
		if !outside.MatchString(s) {
			t.Errorf("not caught: %s", s)
		}
	}
	for _, s := range []string{`"../testdata/platform-samples"`, `shared_buffers`, `// shared by the adapters`} {
		if outside.MatchString(s) {
			t.Errorf("caught wrongly: %s", s)
		}
	}
}
