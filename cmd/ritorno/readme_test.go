package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeRow is a row of the README's configuration table: | `NAME` | default | meaning |.
var readmeRow = regexp.MustCompile("^\\| `([A-Z][A-Z0-9_]*)` \\| ([^|]*) \\|")

// The README's configuration table lists exactly the variables loadConfig reads, in the same
// order, each with its default: a variable added to envVars without a row (as
// RITORNO_TRUST_PROXY and RITORNO_DEMO were) fails here.
func TestReadmeConfigurationTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n### Configuration\n")
	if !ok {
		t.Fatal("README.md has no \"### Configuration\" section")
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
		t.Errorf("README configuration table:\n got %v\nwant %v (cmd/ritorno/config.go envVars, same order)", names, want)
	}
	for _, e := range envVars {
		got, listed := defaults[e.name]
		switch {
		case !listed:
		case e.def == "":
			if got != "unset" {
				t.Errorf("README: %s default %q, want unset", e.name, got)
			}
		case e.name == "SHOPIFY_SCOPES":
			// Too long for the table: it names where they come from.
			if !strings.Contains(got, "shopify.app.toml") {
				t.Errorf("README: %s default %q should point to shopify.app.toml", e.name, got)
			}
		case got != "`"+e.def+"`":
			t.Errorf("README: %s default %q, want `%s`", e.name, got, e.def)
		}
	}
}
