package main

// The benchmarks' commands: flags → one call of package bench → the report as JSON. What
// needs the whole server or the import command gets it from here as a function.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ritorno/ritorno/bench"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
)

const benchUsage = "Usage:\n  ritorno bench webhooks [--duration 10s] [--concurrency 16] [--cpuprofile FILE]\n  ritorno bench import [--orders N] [--file F]\n  ritorno bench storefront [--orders N] [--step-duration 20s]\n  ritorno bench soak [--duration 3m] [--kill-every 5s] [--pg-restart-cmd CMD]\n\nLoad and throughput benchmarks; each prints JSON (ritorno bench NAME --help).\n"

func runBench(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("bench needs a benchmark: webhooks, import, storefront or soak (ritorno bench --help)")
	}
	if wantsHelp(args[:1]) {
		fmt.Fprint(stdout, benchUsage)
		return nil
	}
	if err := subcommand("bench", args[0]); err != nil {
		return err
	}
	switch args[0] {
	case "import":
		return runBenchImport(ctx, cfg, args[1:], stdout, os.Stderr)
	case "storefront":
		return runBenchStorefront(ctx, cfg, args[1:], stdout)
	case "soak":
		return runBenchSoak(ctx, cfg, args[1:], stdout, os.Stderr)
	}
	return runBenchWebhooks(ctx, cfg, args[1:], stdout)
}

// printBench prints a completed run's report, then its verdict.
func printBench(stdout io.Writer, rep any, verdict error) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_, storefront := rep.(bench.StorefrontReport)
	enc.SetEscapeHTML(!storefront) // the storefront's settings quote URLs and comparisons
	if err := enc.Encode(rep); err != nil {
		return err
	}
	return verdict
}

func runBenchWebhooks(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("bench webhooks")
	var o bench.WebhooksOptions
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each phase sends")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent senders (and inserters for the ceiling)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the delivery phase to this file")
	fs.BoolVar(&o.AckOnly, "ack-only", false, "acknowledge without processing while loading (isolates receipt); processing runs after")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno bench webhooks [--duration 10s] [--concurrency 16] [--cpuprofile FILE]\n\nMeasures, on the configured database and loopback only: the plain single-row insert\nrate (the ceiling), signed deliveries acknowledged per second with p50/p99 latency, and\nprocessing throughput until every acknowledged delivery is processed. Prints JSON.\n"); err != nil {
		return err
	}
	if o.Duration <= 0 || o.Duration > 10*time.Minute || o.Concurrency < 1 || o.Concurrency > 256 {
		return usageErrorf("bench webhooks: duration must be in (0, 10m] and concurrency in [1, 256]")
	}
	cfg.Addr = "127.0.0.1:0" // loopback only
	if cfg.ShopifyAPISecret == "" {
		cfg.ShopifyAPISecret = "bench-secret"
	}
	o.Secret = cfg.ShopifyAPISecret
	o.Serve = func(ctx context.Context, noWorkers bool) (bench.WebhookServer, error) {
		m := &Main{cfg: cfg, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), hooks: serveHooks{noWorkers: noWorkers}}
		if err := m.Open(ctx); err != nil {
			return bench.WebhookServer{}, err
		}
		runCtx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- m.Run(runCtx) }()
		return bench.WebhookServer{DB: m.db, URL: "http://" + m.listener.Addr().String(),
			Work: m.runner.Run, Stop: func() { stop(); <-served }}, nil
	}
	rep, err := bench.Webhooks(ctx, o)
	if err != nil {
		return err
	}
	return printBench(stdout, rep, rep.Err())
}

const benchImportUsage = `Usage: ritorno bench import [--orders N] [--file PATH] [--keep] [options]

Measures importing a transactions CSV into a fresh shop on the configured database
(RITORNO_DATABASE_URL; unset: an embedded SQLite database in a temporary folder). The file
is made from the online retail data set by repeating its invoices with new invoice and
customer ids, each repetition dated one year earlier than the one before (written as it
is made, never held in memory). The import runs the code of "ritorno import --preset
online-retail". Prints JSON: the machine, the database and its durability settings,
orders and line items per second, peak memory with samples taken during the import, and
baselines measured in the same run on the first --baseline-orders orders of the file.

Options:
  --orders N            orders in the generated file (default 1000000)
  --file PATH           import this file: reused if it exists, else generated there and kept
  --keep                keep the imported shops, the generated file and a temporary database
  --source PATH         the online retail CSV (default testdata/online-retail/online_retail.csv.gz,
                        the repository's copy, read from the current folder)
  --batch N             orders per write (default history.DefaultImportBatch)
  --baseline-orders N   orders of the baselines (default 20000; 0 skips them)
  --cpuprofile FILE     CPU profile of this process during the import
`

func runBenchImport(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench import")
	o := bench.ImportOptions{OpenSource: openInput}
	fs.Int64Var(&o.Orders, "orders", 1_000_000, "orders in the generated file")
	fs.StringVar(&o.File, "file", "", "import this file: reused if it exists, else generated there and kept")
	fs.BoolVar(&o.Keep, "keep", false, "keep the imported shops, the generated file and a temporary database")
	fs.StringVar(&o.Source, "source", filepath.Join("testdata", "online-retail", "online_retail.csv.gz"), "the online retail CSV")
	fs.IntVar(&o.Batch, "batch", history.DefaultImportBatch, "orders per write")
	fs.Int64Var(&o.BaselineOrders, "baseline-orders", 20_000, "orders of the baselines (0 skips them)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "CPU profile of this process during the import")
	if err := parseFlags(ctx, fs, args, stdout, benchImportUsage); err != nil {
		return err
	}
	if o.Orders < 1 || o.Batch < 1 || o.BaselineOrders < 0 || fs.NArg() > 0 {
		return usageErrorf("bench import: --orders and --batch must be positive, --baseline-orders not negative (see --help)")
	}
	if cfg.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "ritorno-bench-import-db-")
		if err != nil {
			return err
		}
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
		cfg.DataDir = dir
	}
	var db *store.DB
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	o.Open = func(ctx context.Context) (_ *store.DB, err error) {
		db, err = openMigrated(ctx, &cfg)
		return db, err
	}
	o.Import = func(ctx context.Context, shop, path string, batch int, out io.Writer) error {
		return runImport(ctx, cfg, []string{"--shop", shop, "--preset", "online-retail", "--batch", fmt.Sprint(batch), path}, out, stderr)
	}
	rep, err := bench.Import(ctx, o)
	if err != nil {
		return err
	}
	return printBench(stdout, rep, nil)
}

const benchStorefrontUsage = `Usage: ritorno bench storefront [options]

Measures GET recommendations through the whole HTTP stack (the server's router and
middleware, rate limits, app proxy signature check, engine, DTO, tracking tokens, ETag)
over loopback, on the benchmark shop of the recommendation issue built in memory (no
database), against a static JSON answer of the same size on the same router, in the same
run. Load is open-loop: requests are due every 1/rate seconds and latency is counted from
that due time (a late send counts as waiting), on keep-alive connections, each request a
differently signed app proxy URL signed before the phase. Each handler runs at --rate for
--duration, then a step search finds its highest sustainable rate: p99 within --p99, no
errors, and at least 99 % of the offered rate achieved. Prints JSON.

Options:
  --orders N          orders of the synthetic shop (default 1000000; fewer for a smoke run)
  --products N        products of the synthetic shop (default 50000)
  --rate R            requests per second of the main measurement (default 2000)
  --duration D        length of the main measurement per handler (default 20s)
  --step-duration D   length of each step of the search (default 20s: long enough at 2,000/s
                      for the garbage of the step to cause a collection of the large heap)
  --max-rate R        the search stops rising here (default 40000)
  --refine N          bisection steps between the last pass and the first failure (default 3)
  --search=false      skip the search
  --connections N     keep-alive connections, one sender each (default 64)
  --p99 D             the latency bound of a sustainable rate (default 10ms)
  --limit N           items asked for per request (default 4, the widget's)
  --cpuprofile FILE   CPU profile of the load phases
`

func runBenchStorefront(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("bench storefront")
	var o bench.StorefrontOptions
	fs.IntVar(&o.Orders, "orders", 1_000_000, "orders of the synthetic shop")
	fs.IntVar(&o.Products, "products", 50_000, "products of the synthetic shop")
	fs.Float64Var(&o.Rate, "rate", 2000, "requests per second of the main measurement")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "length of the main measurement per handler")
	fs.DurationVar(&o.StepDuration, "step-duration", 20*time.Second, "length of each search step")
	fs.Float64Var(&o.MaxRate, "max-rate", 40_000, "the search stops rising here")
	fs.IntVar(&o.Refine, "refine", 3, "bisection steps of the search")
	fs.BoolVar(&o.Search, "search", true, "search for the highest sustainable rate")
	fs.IntVar(&o.Connections, "connections", 64, "keep-alive connections")
	fs.DurationVar(&o.P99, "p99", 10*time.Millisecond, "latency bound of a sustainable rate")
	fs.IntVar(&o.Limit, "limit", 4, "items per request")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "CPU profile of the load phases")
	if err := parseFlags(ctx, fs, args, stdout, benchStorefrontUsage); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErrorf("bench storefront takes no arguments")
	case o.Orders < 1 || o.Orders > 10_000_000 || o.Products < 1 || o.Products > 1_000_000:
		return usageErrorf("bench storefront: --orders must be in [1, 10000000] and --products in [1, 1000000]")
	case o.Rate <= 0 || o.MaxRate < o.Rate || o.MaxRate > 1_000_000:
		return usageErrorf("bench storefront: --rate must be positive and at most --max-rate (at most 1000000)")
	case o.Duration <= 0 || o.Duration > 10*time.Minute || o.StepDuration <= 0 || o.StepDuration > 10*time.Minute:
		return usageErrorf("bench storefront: --duration and --step-duration must be in (0, 10m]")
	case o.Connections < 1 || o.Connections > 1024 || o.Limit < 1 || o.Limit > 20 || o.Refine < 0 || o.Refine > 10 || o.P99 <= 0:
		return usageErrorf("bench storefront: --connections in [1, 1024], --limit in [1, 20], --refine in [0, 10], --p99 positive")
	}
	// Measured as serve runs: with its collector settings and its router.
	applyGC(cfg.GCPercent, cfg.MemoryLimit)
	o.Secret, o.GCPercent, o.MemoryLimit = cfg.ShopifyAPISecret, cfg.GCPercent, cfg.MemoryLimit
	o.Router = func(log *slog.Logger, surfaces ...func(gin.IRouter)) http.Handler {
		return newRouter(log, prometheus.NewRegistry(), nil, 1<<20, surfaces...) // no database: /readyz is not measured
	}
	rep, err := bench.Storefront(ctx, o)
	if err != nil {
		return err
	}
	return printBench(stdout, rep, nil)
}

const benchSoakUsage = "Usage: ritorno bench soak [--duration 3m] [--shops 4] [--kill-every 5s] [--pg-restart-cmd CMD] [--drain-timeout 5m]\n\n" +
	"Sends signed Shopify deliveries over loopback to `ritorno serve` on RITORNO_DATABASE_URL (a throwaway\n" +
	"PostgreSQL on this machine), kills the server with SIGKILL every few seconds and restarts it, restarts\n" +
	"PostgreSQL once, then checks exactly-once application, the newest versions and the redactions in every\n" +
	"table and in the server's log. Prints JSON; exits non-zero on any failure. make soak runs it.\n"

func runBenchSoak(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench soak")
	o := bench.SoakOptions{Progress: stderr}
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "how long deliveries are sent while the server is killed")
	fs.IntVar(&o.Shops, "shops", 4, "shops the deliveries are for")
	fs.IntVar(&o.Customers, "customers", 6, "new customers per shop per wave (each with an order; three versions of each)")
	fs.DurationVar(&o.KillEvery, "kill-every", 5*time.Second, "mean time between SIGKILLs of the server (0: never)")
	fs.StringVar(&o.PGRestartCmd, "pg-restart-cmd", "", "shell command that restarts PostgreSQL, run once half-way (e.g. scripts/testdb.sh restart DIR)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", 5*time.Minute, "how long the last server may take to process what is queued (claims of a killed worker wait for their lease)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "concurrent senders")
	fs.IntVar(&o.Rate, "rate", 250, "deliveries sent per second at most (a bound on the backlog the last server drains)")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed (0: from the clock); the report prints it")
	fs.StringVar(&o.WorkDir, "work-dir", "", "folder for the server's log and the database dump (default: a new temp folder)")
	fs.StringVar(&o.Binary, "binary", "", "the ritorno binary to serve with (default: this one)")
	skip := fs.String("skip", "", "comma-separated cases to leave out, only to demonstrate the harness before a fix: "+strings.Join(bench.SoakCases(), ", "))
	if err := parseFlags(ctx, fs, args, stdout, benchSoakUsage); err != nil {
		return err
	}
	if o.Duration <= 0 || o.Duration > 30*time.Minute || o.Shops < 1 || o.Shops > 50 || o.Customers < 2 || o.Customers > 100 ||
		o.Concurrency < 1 || o.Concurrency > 64 || o.Rate < 1 || o.Rate > 10000 || o.KillEvery < 0 || o.DrainTimeout <= 0 || o.DrainTimeout > time.Hour {
		return usageErrorf("bench soak: duration in (0, 30m], shops in [1, 50], customers in [2, 100], concurrency in [1, 64], drain-timeout in (0, 1h]")
	}
	if cfg.DatabaseURL == "" {
		return usageErrorf("bench soak: set RITORNO_DATABASE_URL to a throwaway PostgreSQL (make soak starts one)")
	}
	if u, err := url.Parse(cfg.DatabaseURL); err != nil || !bench.IsLoopbackHost(u.Hostname()) {
		return usageErrorf("bench soak: RITORNO_DATABASE_URL must be on this machine (127.0.0.1, ::1 or localhost): the soak fills it with junk")
	}
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(bench.SoakCases(), s) {
			return usageErrorf("bench soak: --skip %s is not one of %s", s, strings.Join(bench.SoakCases(), ", "))
		}
		o.Skip = append(o.Skip, s)
	}
	o.Secret = cfg.ShopifyAPISecret
	if o.Secret == "" {
		o.Secret = "soak-secret"
	}
	db, err := openDatabase(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o.DB = db
	rep, err := bench.Soak(ctx, o)
	if err != nil {
		return err
	}
	return printBench(stdout, rep, rep.Err())
}
