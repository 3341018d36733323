// Command ritorno is Ritorno's single binary: the HTTP server and the operator's commands.
//
// All wiring happens here (ARCHITECTURE rule 6): configuration → database → migrations →
// services → HTTP → workers → shutdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	_ "time/tzdata" // shop time zones must resolve in a minimal container image too

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/secrets"
	"github.com/ritorno/ritorno/store"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad configuration or command line: fix it and run again
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

const usage = `ritorno — customer-retention backend for Shopify and WooCommerce shops

Usage:
  ritorno serve                 run the HTTP server (applies pending migrations first)
  ritorno migrate [--status]    apply pending migrations, or list applied and pending ones
  ritorno shops add|list|show|backfill|remove
                                connect, list, inspect or remove shops; re-import a shop's past
  ritorno webhooks list|replay  inspect the webhook inbox; requeue dead or failed deliveries
  ritorno history --shop SHOP --customer ID
                                print a buyer's purchase history as JSON
  ritorno import --shop SHOP FILE
                                import past orders from a transactions CSV, a
                                WooCommerce orders export or a Shopify bulk export
  ritorno analytics --shop SHOP [--from D --to D] [--compute]
                                a shop's retention figures and segments as JSON
  ritorno recommend --shop SHOP --product ID | --cart IDS | --customer ID
                                what a shopper would be recommended, with reasons, as JSON
  ritorno recommend eval --transactions FILE …
                                evaluate the recommendation strategies on a transactions file
  ritorno clv fit --transactions FILE …
                                fit the lifetime-value models (BG/NBD, Gamma-Gamma) to a file
  ritorno gdpr requests|export  customers' data requests and their exports
  ritorno admin-url --shop SHOP [--ttl D]
                                a signed link to a shop's admin page, without Shopify
  ritorno bench webhooks        load benchmark of webhook receipt and processing (loopback)
  ritorno bench import          import benchmark: a generated 1,000,000-order file
  ritorno bench storefront      storefront benchmark: recommendations over HTTP at 2,000 requests/s
  ritorno healthcheck           exit 0 if the local server's /healthz answers (container probe)
  ritorno help                  this text

Configuration is read from the environment; run "ritorno help env" for the variables.
Each command takes --help.
`

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		if len(rest) > 0 && rest[0] == "env" {
			printEnvHelp(stdout)
			return exitOK
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	case "healthcheck":
		return runHealthcheck(ctx, rest, getenv, stderr)
	case "clv":
		// Works on a file alone: no configuration or database needed.
		return report(stderr, runCLV(ctx, rest, stdout))
	case "recommend":
		if len(rest) > 0 && rest[0] == "eval" {
			// Works on a file alone, as clv does.
			return report(stderr, runRecommendEval(ctx, rest[1:], stdout, stderr))
		}
	case "serve", "migrate", "shops", "webhooks", "history", "import", "gdpr", "bench", "analytics", "admin-url":
	default:
		fmt.Fprintf(stderr, "ritorno: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return report(stderr, err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		err = runServe(ctx, cfg, rest, log, stdout, serveHooks{})
	case "migrate":
		err = runMigrate(ctx, cfg, rest, stdout)
	case "shops":
		err = runShops(ctx, cfg, rest, stdin, stdout)
	case "webhooks":
		err = runWebhooks(ctx, cfg, rest, stdout)
	case "history":
		err = runHistory(ctx, cfg, rest, stdout)
	case "import":
		err = runImport(ctx, cfg, rest, stdout, stderr)
	case "analytics":
		err = runAnalytics(ctx, cfg, rest, stdout)
	case "recommend":
		err = runRecommend(ctx, cfg, rest, stdout)
	case "gdpr":
		err = runGDPR(ctx, cfg, rest, stdout)
	case "bench":
		err = runBench(ctx, cfg, rest, stdout)
	case "admin-url":
		err = runAdminURL(ctx, cfg, rest, stdout)
	}
	return report(stderr, err)
}

// report prints err in one line and maps it to an exit status.
func report(stderr io.Writer, err error) int {
	var cfgErr *configError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "ritorno: configuration: %v\n", err)
		return exitUsage
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "ritorno: %v\n", err)
		return exitUsage
	case ritorno.ErrorCode(err) != ritorno.EINTERNAL:
		fmt.Fprintf(stderr, "ritorno: %s\n", ritorno.ErrorMessage(err))
		return exitFailure
	}
	fmt.Fprintf(stderr, "ritorno: %v\n", err)
	return exitFailure
}

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func printEnvHelp(w io.Writer) {
	fmt.Fprintln(w, "Environment variables (default in brackets):")
	for _, e := range envVars {
		def := e.def
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(w, "  %-28s %s [%s]\n", e.name, e.help, def)
	}
}

// openDatabase resolves the encryption key and opens the database. Failures are
// configuration errors: the operator must fix the URL, the server or the key.
func openDatabase(ctx context.Context, cfg *Config) (*store.DB, error) {
	if err := cfg.resolveEncryptionKey(); err != nil {
		return nil, err
	}
	cipher, err := secrets.New(cfg.EncryptionKey)
	if err != nil {
		return nil, configErrorf("encryption key: %v", err)
	}
	db, err := store.Open(ctx, cfg.dsn(), cipher)
	if err != nil {
		return nil, configErrorf("database %s: %v", redactDSN(cfg.dsn()), err)
	}
	return db, nil
}
