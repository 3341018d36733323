package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
)

// WebhooksReport is what `ritorno bench webhooks` prints.
type WebhooksReport struct {
	Machine  Machine `json:"machine"`
	Database string  `json:"database"`
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

// WebhooksOptions are the webhook benchmark's settings (the flags of `ritorno bench
// webhooks`).
type WebhooksOptions struct {
	Duration    time.Duration // how long each phase sends
	Concurrency int           // concurrent senders (and inserters for the ceiling)
	CPUProfile  string        // CPU profile of the delivery phase ("": none)
	AckOnly     bool          // acknowledge without processing while loading; processing runs after
	Secret      string        // the Shopify API secret the server verifies with
	// Serve starts the whole server (serve's) on a loopback port, without its inbox workers
	// when noWorkers; bench runs them through Server.Work after the load.
	Serve func(ctx context.Context, noWorkers bool) (WebhookServer, error)
}

// WebhookServer is a running server as the webhook benchmark drives it.
type WebhookServer struct {
	DB   *store.DB
	URL  string                    // http://host:port
	Work func(ctx context.Context) // runs the inbox workers until ctx ends
	Stop func()                    // stops the server and waits for it
}

// Webhooks runs the webhook load benchmark against the server's database: first the plain
// insert ceiling, then signed orders/create deliveries over loopback to the server, then
// it waits until every acknowledged delivery is processed. WebhooksReport.Err says whether
// any was lost.
func Webhooks(ctx context.Context, o WebhooksOptions) (WebhooksReport, error) {
	var rep WebhooksReport
	srv, err := o.Serve(ctx, o.AckOnly)
	if err != nil {
		return rep, err
	}
	defer srv.Stop()
	db := srv.DB

	domain := fmt.Sprintf("bench-%d.myshopify.com", time.Now().UnixNano())
	shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Status: ritorno.ShopInstalled,
		Currency: "USD", Timezone: "UTC", InstalledAt: time.Now()}, ritorno.ShopCredentials{})
	if err != nil {
		return rep, err
	}
	defer db.DeleteShop(context.Background(), shop.ID)

	rep.Machine, rep.Database = machineInfo(), string(db.Dialect())
	rep.Settings.Duration, rep.Settings.Concurrency, rep.Settings.AckOnly = o.Duration.String(), o.Concurrency, o.AckOnly
	sample := benchOrder(1)
	rep.Settings.BodyBytes = len(sample)

	// Ceiling: what the database commits with nothing else in the way.
	rows, err := db.InsertCeiling(ctx, sample, o.Concurrency, o.Duration)
	if err != nil {
		return rep, fmt.Errorf("insert ceiling: %w", err)
	}
	rep.InsertCeiling.Rows, rep.InsertCeiling.PerSecond = rows, float64(rows)/o.Duration.Seconds()
	rep.InsertCeiling.Definition = "single-row INSERTs of a body of the same size, one implicit transaction each, same concurrency"

	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return rep, err
	}
	defer stopProfile()

	// Deliveries: distinct orders, each signed, each with its own webhook id.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxConnsPerHost: o.Concurrency}}
	url := srv.URL + "/webhooks/shopify"
	var next, acked, failed atomic.Int64
	latencies := make([][]time.Duration, o.Concurrency)
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for w := range o.Concurrency {
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
				req.Header.Set("X-Shopify-Hmac-Sha256", shopify.SignWebhook(body, o.Secret))
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
	stopProfile() // the profile covers the delivery phase only
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

	if o.AckOnly {
		// Processing was held back to measure receipt alone; run it now.
		workCtx, stopWork := context.WithCancel(ctx)
		defer stopWork()
		go srv.Work(workCtx)
	}
	// Processing: wait until nothing of the shop is queued, at most five minutes past the load.
	var counts map[ritorno.DeliveryStatus]int64
	// Polled every 100 ms: the count scans the shop's deliveries and must not slow the drain.
	for wait := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if counts, err = db.DeliveryCounts(ctx, shop.ID); err != nil {
			return rep, err
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
	return rep, nil
}

// Err is the benchmark's verdict: every acknowledged delivery stored and processed.
func (rep WebhooksReport) Err() error {
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
