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
	"strings"
	_ "time/tzdata" // shop time zones must resolve in a minimal container image too

	"github.com/ritorno/ritorno"
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
  ritorno recommend --shop SHOP --product ID|HANDLE|SKU | --cart IDS | --customer ID
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
  ritorno bench soak            kill-and-restart soak on a throwaway PostgreSQL (make soak)
  ritorno healthcheck           exit 0 if the local server's /healthz answers (container probe)
  ritorno help                  this text

Configuration is read from the environment; run "ritorno help env" for the variables.
Each command takes --help. Only serve, migrate, shops add, import and the benchmarks create
the embedded database (RITORNO_DATA_DIR); the other commands need an existing one.
Exit status: 0 done, 1 the command failed (including not found), 2 bad command line or
configuration.
`

// dbUse is what a command may do to the database.
type dbUse int

const (
	dbNone     dbUse = iota // works on files or the network alone
	dbExisting              // reads or changes an existing database, never creates one
	dbCreate                // may create the embedded database and its encryption key
)

// commands is every command line the binary accepts. run dispatches only the names listed
// here and the subcommand dispatchers look their subcommands up here too (subcommand), so a
// new command cannot escape the table test (commands_test.go) that checks each one's
// --help, errors and database use.
var commands = []struct {
	path string
	db   dbUse
}{
	{"serve", dbCreate},
	{"migrate", dbCreate},
	{"shops add", dbCreate},
	{"shops set", dbExisting},
	{"shops list", dbExisting},
	{"shops show", dbExisting},
	{"shops backfill", dbExisting},
	{"shops remove", dbExisting},
	{"webhooks list", dbExisting},
	{"webhooks replay", dbExisting},
	{"history", dbExisting},
	{"import", dbCreate},
	{"analytics", dbExisting},
	{"recommend", dbExisting},
	{"recommend eval", dbNone},
	{"clv fit", dbNone},
	{"gdpr requests", dbExisting},
	{"gdpr export", dbExisting},
	// The benchmarks measure the configured database, or a temporary one they make.
	{"bench webhooks", dbCreate},
	{"bench import", dbCreate},
	{"bench storefront", dbNone},
	{"bench soak", dbNone},
	{"healthcheck", dbNone},
	{"admin-url", dbExisting},
}

// commandDB is the database use of a command line; a line the table does not know gets
// dbExisting, so that a mistyped or new command never creates a database.
func commandDB(args []string) dbUse {
	if len(args) > 1 {
		for _, c := range commands {
			if c.path == args[0]+" "+args[1] {
				return c.db
			}
		}
	}
	if len(args) > 0 {
		for _, c := range commands {
			if c.path == args[0] {
				return c.db
			}
		}
	}
	return dbExisting
}

// subcommand checks that "group sub" is in the command table.
func subcommand(group, sub string) error {
	var known []string
	for _, c := range commands {
		if name, ok := strings.CutPrefix(c.path, group+" "); ok {
			if name == sub {
				return nil
			}
			known = append(known, name)
		}
	}
	return usageErrorf("unknown %s subcommand %q (%s)", group, sub, strings.Join(known, ", "))
}

// isCommand reports whether name is the first word of a command in the table.
func isCommand(name string) bool {
	for _, c := range commands {
		if first, _, _ := strings.Cut(c.path, " "); first == name {
			return true
		}
	}
	return false
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch {
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		if len(rest) > 0 && rest[0] == "env" {
			printEnvHelp(stdout)
			return exitOK
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	case !isCommand(cmd):
		fmt.Fprintf(stderr, "ritorno: unknown command %q (ritorno help lists them)\n", cmd)
		return exitUsage
	case cmd == "healthcheck":
		return runHealthcheck(ctx, rest, getenv, stdout, stderr)
	case cmd == "clv":
		// Works on a file alone: no configuration or database needed.
		return report(stderr, runCLV(ctx, rest, stdout))
	case cmd == "recommend" && len(rest) > 0 && rest[0] == "eval":
		// Works on a file alone, as clv does.
		return report(stderr, runRecommendEval(ctx, rest[1:], stdout, stderr))
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return report(stderr, err)
	}
	cfg.openExisting = commandDB(args) != dbCreate
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
	default:
		err = fmt.Errorf("command %q is in the table but not dispatched", cmd)
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

// flagSetsKey carries a recorder of the flag sets a command line parsed (tests only).
type flagSetsKey struct{}

// newFlagSet is a command's flag set; errors are reported once, by report().
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's flags. -h or --help anywhere prints the usage text and every
// flag the set defines to stdout and returns flag.ErrHelp (exit status 0); any other
// mistake is a usage error naming the command once.
func parseFlags(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, usage string) error {
	if rec, ok := ctx.Value(flagSetsKey{}).(func(*flag.FlagSet)); ok {
		rec(fs)
	}
	if wantsHelp(args) {
		fmt.Fprint(stdout, strings.TrimRight(usage, "\n")+"\n")
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stdout, "\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
		return flag.ErrHelp
	}
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%s: %v", fs.Name(), err)
	}
	return nil
}

// wantsHelp reports whether a command line asks for help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}
