package main

import (
	"strings"
	"testing"
)

// TestSoakRefusesADatabaseElsewhere: the soak fills its database with junk and restarts
// servers; it runs only against a database on this machine.
func TestSoakRefusesADatabaseElsewhere(t *testing.T) {
	env := embeddedEnv(t)
	env["RITORNO_DATABASE_URL"], env["RITORNO_ENCRYPTION_KEY"] = "postgres://u@db.example.com:5432/prod", testKey
	code, _, errOut := runCLI(t, env, "", "bench", "soak", "--duration", "1s")
	if code != 2 || !strings.Contains(errOut, "on this machine") {
		t.Fatalf("bench soak against a remote database = %d %s", code, errOut)
	}
	env["RITORNO_DATABASE_URL"] = "postgres://u@127.0.0.1:1/x"
	if code, _, errOut := runCLI(t, env, "", "bench", "soak", "--skip", "everything"); code != 2 || !strings.Contains(errOut, "not one of") {
		t.Fatalf("an unknown --skip case = %d %s", code, errOut)
	}
}
