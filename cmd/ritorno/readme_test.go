package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeRow is a row of the configuration table (docs/operating.md, linked from the README):
// | `NAME` | default | meaning |.
var readmeRow = regexp.MustCompile("^\\| `([A-Z][A-Z0-9_]*)` \\| ([^|]*) \\|")

// The configuration table of docs/operating.md lists exactly the variables loadConfig reads,
// in the same order, each with its default: a variable added to envVars without a row (as
// RITORNO_TRUST_PROXY and RITORNO_DEMO were) fails here.
func TestReadmeConfigurationTable(t *testing.T) {
	raw, err := os.ReadFile("../../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Configuration\n")
	if !ok {
		t.Fatal("docs/operating.md has no \"## Configuration\" section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	var names []string
	defaults := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if m := readmeRow.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
			defaults[m[1]] = strings.TrimSpace(m[2])
		}
	}
	var want []string
	for _, e := range envVars {
		want = append(want, e.name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("docs/operating.md configuration table:\n got %v\nwant %v (cmd/ritorno/config.go envVars, same order)", names, want)
	}
	for _, e := range envVars {
		got, listed := defaults[e.name]
		switch {
		case !listed:
		case e.def == "":
			if got != "unset" {
				t.Errorf("docs/operating.md: %s default %q, want unset", e.name, got)
			}
		case e.name == "SHOPIFY_SCOPES":
			// Too long for the table: it names where they come from.
			if !strings.Contains(got, "shopify.app.toml") {
				t.Errorf("docs/operating.md: %s default %q should point to shopify.app.toml", e.name, got)
			}
		case got != "`"+e.def+"`":
			t.Errorf("docs/operating.md: %s default %q, want `%s`", e.name, got, e.def)
		}
	}
}
