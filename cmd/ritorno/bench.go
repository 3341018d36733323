package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// benchReport is what `ritorno bench webhooks` prints.
type benchReport struct {
	Machine  benchMachine `json:"machine"`
	Database string       `json:"database"`
	Settings struct {
		Duration    string `json:"duration"`
		Concurrency int    `json:"concurrency"`
		BodyBytes   int    `json:"body_bytes"`
		AckOnly     bool   `json:"ack_only"`
	} `json:"settings"`
	InsertCeiling struct {
		Rows       int64   `json:"rows"`
		PerSecond  float64 `json:"per_second"`
		Definition string  `json:"definition"`
	} `json:"insert_ceiling"`
	Acknowledged struct {
		Deliveries int64   `json:"deliveries"`
		PerSecond  float64 `json:"per_second"`
		P50Ms      float64 `json:"p50_ms"`
		P99Ms      float64 `json:"p99_ms"`
		MaxMs      float64 `json:"max_ms"`
		Errors     int64   `json:"errors"`
	} `json:"acknowledged"`
	Processing struct {
		Done      int64   `json:"done"`
		PerSecond float64 `json:"per_second"`
		DrainMs   float64 `json:"drain_after_load_ms"`
		Lost      int64   `json:"lost"`
		NotDone   int64   `json:"not_done"`
	} `json:"processing"`
}

type benchMachine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

func machineInfo() benchMachine {
	m := benchMachine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// runBench runs the webhook load benchmark against the configured database: first the
// plain insert ceiling, then signed orders/create deliveries over loopback to a server in
// this process, then it waits until every acknowledged delivery is processed.
func runBench(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	const benchUsage = "Usage:\n  ritorno bench webhooks [--duration 10s] [--concurrency 16] [--cpuprofile FILE]\n  ritorno bench import [--orders N] [--file F]\n  ritorno bench storefront [--orders N] [--step-duration 20s]\n  ritorno bench soak [--duration 3m] [--kill-every 5s] [--pg-restart-cmd CMD]\n\nLoad and throughput benchmarks; each prints JSON (ritorno bench NAME --help).\n"
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
	case "import": // the import benchmark: benchimport.go
		return runBenchImport(ctx, cfg, args[1:], stdout, os.Stderr)
	case "storefront": // the storefront benchmark: benchstorefront.go
		return runBenchStorefront(ctx, cfg, args[1:], stdout)
	case "soak": // the kill-and-restart soak: benchsoak.go
		return runBenchSoak(ctx, cfg, args[1:], stdout, os.Stderr)
	}
	fs := newFlagSet("bench webhooks")
	duration := fs.Duration("duration", 10*time.Second, "how long each phase sends")
	concurrency := fs.Int("concurrency", 16, "concurrent senders (and inserters for the ceiling)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the delivery phase to this file")
	ackOnly := fs.Bool("ack-only", false, "acknowledge without processing while loading (isolates receipt); processing runs after")
	if err := parseFlags(ctx, fs, args[1:], stdout, "Usage: ritorno bench webhooks [--duration 10s] [--concurrency 16] [--cpuprofile FILE]\n\nMeasures, on the configured database and loopback only: the plain single-row insert\nrate (the ceiling), signed deliveries acknowledged per second with p50/p99 latency, and\nprocessing throughput until every acknowledged delivery is processed. Prints JSON.\n"); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute || *concurrency < 1 || *concurrency > 256 {
		return usageErrorf("bench webhooks: duration must be in (0, 10m] and concurrency in [1, 256]")
	}
	cfg.Addr = "127.0.0.1:0" // loopback only
	if cfg.ShopifyAPISecret == "" {
		cfg.ShopifyAPISecret = "bench-secret"
	}
	m := &Main{cfg: cfg, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), hooks: serveHooks{noWorkers: *ackOnly}}
	if err := m.Open(ctx); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- m.Run(runCtx) }()
	defer func() { stop(); <-served }()

	domain := fmt.Sprintf("bench-%d.myshopify.com", time.Now().UnixNano())
	shop, err := m.db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Status: ritorno.ShopInstalled,
		Currency: "USD", Timezone: "UTC", InstalledAt: time.Now()}, ritorno.ShopCredentials{})
	if err != nil {
		return err
	}
	defer m.db.DeleteShop(context.Background(), shop.ID)

	var rep benchReport
	rep.Machine, rep.Database = machineInfo(), string(m.db.Dialect())
	rep.Settings.Duration, rep.Settings.Concurrency, rep.Settings.AckOnly = duration.String(), *concurrency, *ackOnly
	sample := benchOrder(1)
	rep.Settings.BodyBytes = len(sample)

	// Ceiling: what the database commits with nothing else in the way.
	rows, err := m.db.InsertCeiling(ctx, sample, *concurrency, *duration)
	if err != nil {
		return fmt.Errorf("insert ceiling: %w", err)
	}
	rep.InsertCeiling.Rows, rep.InsertCeiling.PerSecond = rows, float64(rows)/duration.Seconds()
	rep.InsertCeiling.Definition = "single-row INSERTs of a body of the same size, one implicit transaction each, same concurrency"

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile() // no-op if stopped after the load below
	}

	// Deliveries: distinct orders, each signed, each with its own webhook id.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}}
	url := "http://" + m.listener.Addr().String() + "/webhooks/shopify"
	var next, acked, failed atomic.Int64
	latencies := make([][]time.Duration, *concurrency)
	start := time.Now()
	deadline := start.Add(*duration)
	var wg sync.WaitGroup
	for w := range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := next.Add(1)
				body := benchOrder(n)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Shopify-Topic", "orders/create")
				req.Header.Set("X-Shopify-Shop-Domain", domain)
				req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("bench-%d", n))
				req.Header.Set("X-Shopify-Hmac-Sha256", shopify.SignWebhook(body, cfg.ShopifyAPISecret))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	loadEnd := time.Now()
	if *cpuprofile != "" {
		pprof.StopCPUProfile() // the profile covers the delivery phase only
	}
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	rep.Acknowledged.Deliveries, rep.Acknowledged.Errors = acked.Load(), failed.Load()
	rep.Acknowledged.PerSecond = float64(acked.Load()) / loadEnd.Sub(start).Seconds()
	rep.Acknowledged.P50Ms, rep.Acknowledged.P99Ms = pct(0.50), pct(0.99)
	if len(all) > 0 {
		rep.Acknowledged.MaxMs = float64(all[len(all)-1].Microseconds()) / 1000
	}

	if *ackOnly {
		// Processing was held back to measure receipt alone; run it now.
		workCtx, stopWork := context.WithCancel(ctx)
		defer stopWork()
		go m.runner.Run(workCtx)
	}
	// Processing: wait until nothing of the shop is queued, at most five minutes past the load.
	var counts map[ritorno.DeliveryStatus]int64
	// Polled every 100 ms: the count scans the shop's deliveries and must not slow the drain.
	for wait := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if counts, err = m.db.DeliveryCounts(ctx, shop.ID); err != nil {
			return err
		}
		if counts[ritorno.DeliveryPending]+counts[ritorno.DeliveryProcessing] == 0 || time.Now().After(wait) {
			break
		}
	}
	end := time.Now()
	rep.Processing.Done = counts[ritorno.DeliveryDone]
	rep.Processing.PerSecond = float64(rep.Processing.Done) / end.Sub(start).Seconds()
	rep.Processing.DrainMs = float64(end.Sub(loadEnd).Microseconds()) / 1000
	var stored int64
	for _, n := range counts {
		stored += n
	}
	rep.Processing.Lost = max(acked.Load()-stored, 0)
	rep.Processing.NotDone = stored - counts[ritorno.DeliveryDone]
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if rep.Processing.Lost > 0 || rep.Processing.NotDone > 0 {
		return fmt.Errorf("%d acknowledged deliveries lost, %d not processed", rep.Processing.Lost, rep.Processing.NotDone)
	}
	return nil
}

// benchOrder is a realistic orders/create body (about the size of Shopify's sample order)
// with a distinct id and customer.
func benchOrder(n int64) []byte {
	return fmt.Appendf(nil, `{"id":%d,"name":"#%d","email":"buyer%d@example.com","currency":"USD","presentment_currency":"USD",`+
		`"created_at":"2026-01-10T11:00:00-05:00","updated_at":"2026-01-10T11:00:00-05:00","processed_at":"2026-01-10T11:00:00-05:00",`+
		`"subtotal_price":"398.00","total_discounts":"0.00","total_tax":"11.94","total_price":"409.94","financial_status":"paid",`+
		`"fulfillment_status":null,"source_name":"web","test":false,"tags":"bench, load","customer":{"id":%d,"email":"buyer%d@example.com"},`+
		`"shipping_lines":[{"price":"0.00"}],"refunds":[],"line_items":[`+
		`{"id":%d1,"product_id":632910392,"variant_id":39072856,"title":"IPod Nano - 8GB","variant_title":"green","sku":"IPOD2008GREEN","vendor":"Apple","quantity":1,"price":"199.00","total_discount":"0.00","gift_card":false},`+
		`{"id":%d2,"product_id":632910392,"variant_id":49148385,"title":"IPod Nano - 8GB","variant_title":"red","sku":"IPOD2008RED","vendor":"Apple","quantity":1,"price":"199.00","total_discount":"0.00","gift_card":false}],`+
		`"billing_address":{"first_name":"Bob","last_name":"Norman","address1":"Chestnut Street 92","city":"Louisville","province":"Kentucky","country":"United States","zip":"40202"},`+
		`"note_attributes":[{"name":"colour","value":"red"}],"payment_gateway_names":["bogus"]}`,
		n, 1000+n, n%5000, 1+n%5000, n%5000, n, n)
}
