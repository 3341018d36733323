package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestDatabasePasswordNeverPrinted: whichever way the database URL carries its password
// (userinfo, a password query parameter, percent-encoded, in a malformed URL), neither
// the start-up error nor the effective-configuration log line shows it.
func TestDatabasePasswordNeverPrinted(t *testing.T) {
	for name, dsn := range map[string]string{
		"userinfo":        "postgres://u:Userinfo-S3cret@127.0.0.1:1/x?connect_timeout=2",
		"query parameter": "postgres://u@127.0.0.1:1/x?password=Query-S3cret&connect_timeout=2",
		"both":            "postgresql://u:One-S3cret@127.0.0.1:1/x?connect_timeout=2&password=Two-S3cret",
		"percent-encoded": "postgres://u:Enc%40ded-S3cret@127.0.0.1:1/x?connect_timeout=2",
		"malformed":       "postgres://u:Bad-S3cret@127.0.0.1:notaport/x",
		"not a URL":       "host=127.0.0.1 password=Kv-S3cret",
	} {
		t.Run(name, func(t *testing.T) {
			env := embeddedEnv(t)
			env["RITORNO_DATABASE_URL"], env["RITORNO_ENCRYPTION_KEY"] = dsn, testKey
			for _, cmd := range [][]string{{"serve"}, {"migrate"}} {
				code, stdout, stderr := runCLI(t, env, "", cmd...)
				if code == exitOK {
					t.Fatalf("%v started on an unreachable database", cmd)
				}
				if strings.Contains(stdout+stderr, "S3cret") {
					t.Errorf("%v prints the password: %q", cmd, stdout+stderr)
				}
			}
			var log bytes.Buffer
			slog.New(slog.NewTextHandler(&log, nil)).Info("starting", Config{DatabaseURL: dsn}.logAttrs()...)
			if strings.Contains(log.String(), "S3cret") || !strings.Contains(log.String(), "xxxxx") {
				t.Errorf("the configuration log line shows the password or no mask: %s", log.String())
			}
		})
	}
}
