package ritorno_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdLink is a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every relative link of the README and docs/ names a file of the repository: the README
// once linked ARCHITECTURE.md in a folder beside the checkout, which a clone does not have.
func TestDocsLinksStayInTheRepository(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range append(files, "README.md") {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(raw), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := filepath.Join(root, filepath.Dir(doc), target)
			if rel, err := filepath.Rel(root, path); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links %s, outside the repository", doc, m[1])
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links %s: %v", doc, m[1], err)
			}
		}
	}
}

// readmePackage is a row of the README's package table: | `name` | what it is for |.
var readmePackage = regexp.MustCompile("^\\| `([^`]+)`")

// The README's package table names every Go package of the module once, and nothing that is
// not there: a package added, moved or removed without its line fails here.
func TestReadmePackageTable(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		m := readmePackage.FindStringSubmatch(line)
		if m == nil || m[1] == "package" {
			continue
		}
		name := strings.TrimSuffix(m[1], "/")
		if name == "ritorno" {
			name = "." // the root package
		}
		if listed[name] {
			t.Errorf("README package table lists %s twice", m[1])
		}
		listed[name] = true
		if _, err := os.Stat(name); err != nil {
			t.Errorf("README package table lists %s: %v", m[1], err)
		}
	}
	// Every folder holding non-test Go files outside testdata is a package.
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if !listed[dir] {
				t.Errorf("package %s is missing from the README's package table (one line: what it is for)", dir)
				listed[dir] = true // once per package
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
