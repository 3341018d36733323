package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readOnlyArgs are arguments that get each command that needs an existing database past
// its flag checks, up to opening the database.
var readOnlyArgs = map[string][]string{
	"shops list":      {},
	"shops set":       {"example.myshopify.com", "--currency", "GBP"},
	"shops show":      {"example.myshopify.com"},
	"shops backfill":  {"example.myshopify.com"},
	"shops remove":    {"example.myshopify.com", "--yes"},
	"webhooks list":   {},
	"webhooks replay": {"1"},
	"history":         {"--shop", "example.myshopify.com", "--customer", "1"},
	"analytics":       {"--shop", "example.myshopify.com"},
	"recommend":       {"--shop", "example.myshopify.com", "--product", "1"},
	"gdpr requests":   {"--shop", "example.myshopify.com"},
	"gdpr export":     {"--shop", "example.myshopify.com", "--request", "1"},
	"admin-url":       {"--shop", "example.myshopify.com"},
}

// runIn runs a command line in-process with a recorder of the flag sets it parsed.
func runIn(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string, sets []*flag.FlagSet) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx := context.WithValue(context.Background(), flagSetsKey{}, func(fs *flag.FlagSet) { sets = append(sets, fs) })
	code = run(ctx, args, envFrom(env), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String(), sets
}

// emptyFolder reports what a command left in a folder that was empty.
func leftIn(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if p != dir {
			names = append(names, p)
		}
		return err
	})
	return names
}

// TestEveryCommand walks the command table, so a new command is checked as soon as it can
// be dispatched: --help exits 0 and lists every flag the command defines, needing no
// database; a bad flag is one line on stderr and exit 2; a command that reads an existing
// database fails in an empty folder and creates nothing there.
func TestEveryCommand(t *testing.T) {
	migrated := embeddedEnv(t)
	if code, _, stderr := runCLI(t, migrated, "", "migrate"); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	groups := map[string]bool{}
	for _, c := range commands {
		args := strings.Fields(c.path)
		if len(args) > 1 {
			groups[args[0]] = true
		}
		t.Run(c.path, func(t *testing.T) {
			empty := t.TempDir()
			env := map[string]string{"RITORNO_DATA_DIR": filepath.Join(empty, "data"), "RITORNO_DEMO": "false"}
			for _, help := range []string{"--help", "-h"} {
				code, stdout, stderr, sets := runIn(t, env, append(args, help)...)
				if code != exitOK || stderr != "" || !strings.Contains(stdout, "Usage") {
					t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 0 and the usage", help, code, stdout, stderr)
				}
				if len(sets) == 0 {
					t.Fatalf("%s: the command parsed no flag set: parse its flags with parseFlags", help)
				}
				for _, fs := range sets {
					fs.VisitAll(func(f *flag.Flag) {
						if !strings.Contains(stdout, "-"+f.Name+" ") && !strings.Contains(stdout, "-"+f.Name+"\n") {
							t.Errorf("%s does not list the flag --%s", help, f.Name)
						}
					})
				}
			}
			if left := leftIn(t, empty); len(left) > 0 {
				t.Errorf("--help created %v", left)
			}

			code, stdout, stderr, _ := runIn(t, migrated, append(args, "--no-such-flag")...)
			if code != exitUsage || stdout != "" {
				t.Errorf("bad flag: exit %d, stdout %q; want exit 2 and nothing on stdout", code, stdout)
			}
			if line := strings.TrimSuffix(stderr, "\n"); strings.Contains(line, "\n") || !strings.HasPrefix(line, "ritorno: ") ||
				!strings.Contains(line, "-no-such-flag") || strings.Count(line, c.path+":") > 1 {
				t.Errorf("bad flag: stderr %q, want one line naming the command once and the flag", stderr)
			}

			if c.db != dbExisting {
				return
			}
			valid, ok := readOnlyArgs[c.path]
			if !ok {
				t.Fatalf("add %q to readOnlyArgs: arguments that get it to the database", c.path)
			}
			code, stdout, stderr, _ = runIn(t, env, append(args, valid...)...)
			if code == exitOK || !strings.Contains(stderr, "no database at "+filepath.Join(empty, "data", "ritorno.db")) {
				t.Errorf("empty folder: exit %d, stdout %q, stderr %q; want an error naming the missing database", code, stdout, stderr)
			}
			if strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
				t.Errorf("empty folder: stderr %q is more than one line", stderr)
			}
			if left := leftIn(t, empty); len(left) > 0 {
				t.Errorf("a read-only command created %v", left)
			}
		})
	}
	for g := range groups {
		t.Run(g, func(t *testing.T) {
			env := embeddedEnv(t)
			if code, stdout, stderr, _ := runIn(t, env, g, "--help"); code != exitOK || !strings.Contains(stdout, "Usage") {
				t.Errorf("%s --help: exit %d, stdout %q, stderr %q", g, code, stdout, stderr)
			}
			for _, bad := range [][]string{{g}, {g, "frobnicate"}} {
				code, _, stderr, _ := runIn(t, env, bad...)
				if code != exitUsage || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 || !strings.HasPrefix(stderr, "ritorno: ") {
					t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", bad, code, stderr)
				}
			}
		})
	}
}

// TestOpenExistingNeedsTheKey: a database without its key file beside it is an error for
// a read-only command, never a fresh key that could not read the stored credentials.
func TestOpenExistingNeedsTheKey(t *testing.T) {
	env := embeddedEnv(t)
	if code, _, stderr := runCLI(t, env, "", "migrate"); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	key := filepath.Join(env["RITORNO_DATA_DIR"], "encryption.key")
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, env, "", "shops", "list")
	if code == exitOK || !strings.Contains(stderr, "no key file") {
		t.Errorf("shops list without the key: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(key); err == nil {
		t.Errorf("a read-only command created a new key")
	}
}
