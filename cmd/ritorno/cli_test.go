package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ritorno/ritorno/store/storetest"
)

// runCLI runs one command line in-process and returns its exit status and output.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, envFrom(env), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestBadConfigurationIsOneLineAndExit2(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"malformed database URL", map[string]string{"RITORNO_DATABASE_URL": "postgres://%zz", "RITORNO_ENCRYPTION_KEY": testKey}, "malformed"},
		{"not a postgres URL", map[string]string{"RITORNO_DATABASE_URL": "mysql://x/y"}, "postgres://"},
		{"postgres without key", map[string]string{"RITORNO_DATABASE_URL": "postgres://u@127.0.0.1:1/x"}, "RITORNO_ENCRYPTION_KEY is required"},
		{"short key", map[string]string{"RITORNO_ENCRYPTION_KEY": "abcd"}, "RITORNO_ENCRYPTION_KEY"},
		{"key of wrong length", map[string]string{"RITORNO_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAA=="}, "32 bytes"},
		{"unreachable database", map[string]string{"RITORNO_DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2", "RITORNO_ENCRYPTION_KEY": testKey}, "does not answer"},
		{"bad address", map[string]string{"RITORNO_ADDR": "8080"}, "RITORNO_ADDR"},
		{"bad app URL", map[string]string{"RITORNO_APP_URL": "example.com"}, "RITORNO_APP_URL"},
		{"bad log level", map[string]string{"RITORNO_LOG_LEVEL": "loud"}, "RITORNO_LOG_LEVEL"},
		{"bad shutdown timeout", map[string]string{"RITORNO_SHUTDOWN_TIMEOUT": "soon"}, "RITORNO_SHUTDOWN_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := embeddedEnv(t)
			for k, v := range tc.env {
				env[k] = v
			}
			for _, cmd := range [][]string{{"serve"}, {"migrate"}} {
				code, _, stderr := runCLI(t, env, "", cmd...)
				if code != exitUsage {
					t.Errorf("%v: exit %d, want 2; stderr %q", cmd, code, stderr)
				}
				if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, tc.want) {
					t.Errorf("%v: stderr %q, want one line mentioning %q", cmd, stderr, tc.want)
				}
				if strings.Contains(stderr, "hunter2") || strings.Contains(stderr, "goroutine") {
					t.Errorf("%v: stderr leaks a password or a stack: %q", cmd, stderr)
				}
			}
		})
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "env"}, {"serve", "--help"}, {"migrate", "--help"}, {"shops", "--help"}, {"shops", "add", "--help"}} {
		code, stdout, stderr := runCLI(t, embeddedEnv(t), "", args...)
		if code != exitOK || stdout+stderr == "" {
			t.Errorf("%v: exit %d, output %q", args, code, stdout+stderr)
		}
	}
	if code, _, _ := runCLI(t, embeddedEnv(t), "", "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, embeddedEnv(t), ""); code != exitUsage {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, stdout, _ := runCLI(t, embeddedEnv(t), "", "help", "env"); code != 0 || !strings.Contains(stdout, "RITORNO_DATABASE_URL") {
		t.Errorf("help env lacks the variables: %q", stdout)
	}
}

// TestShopsCommands drives add, list, show and remove on both dialects.
func TestShopsCommands(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := embeddedEnv(t)
		env["RITORNO_APP_URL"] = "https://ritorno.example.com"
		if strings.HasPrefix(dsn, "postgres") {
			env["RITORNO_DATABASE_URL"], env["RITORNO_ENCRYPTION_KEY"] = dsn, testKey
		}
		const token = "shpat_SECRET_TOKEN_123"
		code, out, errOut := runCLI(t, env, "", "shops", "add", "--platform", "shopify", "--domain", "Demo.myshopify.com",
			"--access-token", token, "--scopes", "read_orders", "--currency", "eur", "--timezone", "Europe/Rome")
		if code != 0 || !strings.Contains(out, "added shop 1: shopify demo.myshopify.com") {
			t.Fatalf("add shopify = %d %q %q", code, out, errOut)
		}
		code, out, errOut = runCLI(t, env, "cs_SECRET_FROM_STDIN\n", "shops", "add", "--platform", "woocommerce", "--url", "https://Woo.Example/",
			"--consumer-key", "ck_SECRET_KEY", "--consumer-secret", "-", "--webhook-secret", "wh_SECRET", "--currency", "USD")
		if code != 0 || !strings.Contains(out, "webhook delivery URL: https://ritorno.example.com/webhooks/woocommerce/") {
			t.Fatalf("add woocommerce = %d %q %q", code, out, errOut)
		}

		code, out, _ = runCLI(t, env, "", "shops", "list", "--json")
		var list []shopView
		if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[1].Domain != "https://woo.example" || list[0].Currency != "EUR" {
			t.Fatalf("list = %d %q", code, out)
		}
		for _, args := range [][]string{{"shops", "show", "demo.myshopify.com"}, {"shops", "show", "https://woo.example", "--json"}, {"shops", "list"}} {
			code, out, _ = runCLI(t, env, "", args...)
			if code != 0 || strings.Contains(out, "SECRET") {
				t.Fatalf("%v = %d, output shows a secret or failed:\n%s", args, code, out)
			}
		}
		if _, out, _ = runCLI(t, env, "", "shops", "show", "1"); !strings.Contains(out, "access token:") || !strings.Contains(out, "set (encrypted)") {
			t.Fatalf("show by id lacks the credential summary:\n%s", out)
		}

		// Mistakes: conflict, bad input, unknown shop, unconfirmed removal.
		checks := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"shops", "add", "--platform", "shopify", "--domain", "demo.myshopify.com", "--access-token", "x"}, exitFailure, "already exists"},
			{[]string{"shops", "add", "--platform", "shopify", "--domain", "evil.com", "--access-token", "x"}, exitFailure, "myshopify.com"},
			{[]string{"shops", "add", "--platform", "woocommerce", "--url", "http://plain.example", "--consumer-key", "k", "--consumer-secret", "s", "--webhook-secret", "w"}, exitFailure, "https"},
			{[]string{"shops", "add", "--platform", "magento"}, exitUsage, "--platform"},
			{[]string{"shops", "add", "--platform", "shopify", "--domain", "x.myshopify.com", "--access-token", "x", "--currency", "EURO"}, exitFailure, "currency"},
			{[]string{"shops", "add", "--platform", "shopify", "--domain", "y.myshopify.com", "--access-token", "x", "--timezone", "Mars/Base"}, exitFailure, "time zone"},
			{[]string{"shops", "show", "nope.myshopify.com"}, exitFailure, "not found"},
			{[]string{"shops", "remove", "demo.myshopify.com"}, exitUsage, "--yes"},
			{[]string{"shops", "frob"}, exitUsage, "unknown shops subcommand"},
		}
		for _, c := range checks {
			code, _, errOut := runCLI(t, env, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("%v = %d %q; want %d mentioning %q", c.args, code, errOut, c.code, c.want)
			}
		}

		code, out, errOut = runCLI(t, env, "", "shops", "remove", "demo.myshopify.com", "--yes")
		if code != 0 || !strings.Contains(out, "removed shop 1") {
			t.Fatalf("remove = %d %q %q", code, out, errOut)
		}
		if code, out, _ = runCLI(t, env, "", "shops", "list", "--json"); code != 0 || strings.Count(out, `"id"`) != 1 {
			t.Fatalf("after remove, list = %q", out)
		}
	})
}
