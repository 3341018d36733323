package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/storefront"
)

// StorefrontReport is what `ritorno bench storefront` prints.
type StorefrontReport struct {
	Machine Machine `json:"machine"`
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute averages before and after the run:
	// the generator, the server and anything else on the machine share its CPUs.
	LoadAverage struct {
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"load_average"`
	Settings StorefrontSettings  `json:"settings"`
	Shop     StorefrontShop      `json:"shop"`
	Handlers []StorefrontHandler `json:"handlers"`
	// TargetMet says the recommendations handler was sustainable at --rate.
	TargetMet bool `json:"target_met"`
}

type StorefrontSettings struct {
	Rate         float64 `json:"rate"`
	Duration     string  `json:"duration"`
	Search       bool    `json:"search"`
	StepDuration string  `json:"step_duration"`
	MaxRate      float64 `json:"max_rate"`
	Connections  int     `json:"connections"`
	P99BoundMs   float64 `json:"p99_bound_ms"`
	Limit        int     `json:"limit"`
	Sustainable  string  `json:"sustainable"`
	Requests     string  `json:"requests"`
	Generator    string  `json:"generator"`
	// GCPercent and MemoryLimitMB are the collector settings, serve's (cmd/ritorno/gc.go) unless the
	// environment's GOGC or GOMEMLIMIT set them (then 0 here).
	GCPercent     int   `json:"gc_percent"`
	MemoryLimitMB int64 `json:"memory_limit_mb"`
}

type StorefrontShop struct {
	Products        int     `json:"products"`
	Orders          int     `json:"orders"`
	Buyers          int     `json:"buyers"`
	Pairs           int     `json:"pairs"`
	GenerateSeconds float64 `json:"generate_seconds"`
	BuildSeconds    float64 `json:"build_seconds"`
	// HeapMB is the Go heap in use once the shop is built and its purchases are dropped
	// (what a server holds for it); ModelMB is the model's own estimate (Stats.Bytes).
	HeapMB    float64 `json:"heap_after_build_mb"`
	ModelMB   float64 `json:"model_estimate_mb"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// ResponseBytes is the median body of a sample of real answers; the static handler
	// serves one of exactly that size.
	ResponseBytes int     `json:"response_bytes"`
	ResponseItems float64 `json:"response_items_mean"`
	SampleSize    int     `json:"response_sample"`
}

type StorefrontHandler struct {
	Name   string         `json:"name"`
	Path   string         `json:"path"`
	AtRate StorefrontStep `json:"at_rate"`
	// Search are the steps of the search, the measurement at rate first.
	Search             []StorefrontStep `json:"search,omitempty"`
	MaxSustainableRate float64          `json:"max_sustainable_rate"`
	// SearchCapped says --max-rate was sustainable: the true maximum is higher.
	SearchCapped bool `json:"search_capped,omitempty"`
}

type StorefrontStep struct {
	Offered     float64 `json:"offered"`
	Seconds     float64 `json:"seconds"`
	Sent        int64   `json:"sent"`
	OK          int64   `json:"ok"`
	Errors      int64   `json:"errors"`
	Achieved    float64 `json:"achieved"`
	P50Ms       float64 `json:"p50_ms"`
	P90Ms       float64 `json:"p90_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	Sustainable bool    `json:"sustainable"`
	FirstError  string  `json:"first_error,omitempty"`
	// GCCycles are the collections during the step and AllocKBPerRequest the heap
	// allocated per request sent (server and generator). The heap of a large model is
	// slow to mark, so a step's tail depends on whether a collection ran in it: each step
	// starts right after one and must be long enough for its own garbage to cause the next.
	GCCycles          uint64  `json:"gc_cycles"`
	GCCPUSeconds      float64 `json:"gc_cpu_seconds"`
	AllocKBPerRequest float64 `json:"alloc_kb_per_request"`
}

// The benchmark's shop, as a stub Shops finds it.
const (
	sfBenchShopID = 1
	sfBenchDomain = "ritorno-bench.myshopify.com"
	sfBenchPrefix = "/apps/ritorno"
	// sfBenchLoggedIn: every n-th request carries a logged-in customer (a buyer of the
	// shop), which makes its answer personal.
	sfBenchLoggedIn = 5
	// sfBenchTimeout bounds a request from its due time: a request still queued by then is
	// dropped as an error rather than sent, so that an overloaded step ends soon after
	// its last due time.
	sfBenchTimeout = 2 * time.Second
)

// StorefrontOptions are the storefront benchmark's settings (the flags of `ritorno bench
// storefront`).
type StorefrontOptions struct {
	Orders, Products int           // the synthetic shop
	Rate             float64       // requests per second of the main measurement
	Duration         time.Duration // of the main measurement per handler
	StepDuration     time.Duration // of each search step
	MaxRate          float64       // the search stops rising here
	Refine           int           // bisection steps of the search
	Search           bool          // search for the highest sustainable rate
	Connections      int           // keep-alive connections, one sender each
	P99              time.Duration // latency bound of a sustainable rate
	Limit            int           // items per request
	CPUProfile       string        // CPU profile of the load phases ("": none)
	Secret           string        // the app proxy secret ("": a fixed one)
	GCPercent        int           // the collector settings in force, reported
	MemoryLimit      int64
	// Router is the server\'s router with these surfaces (serve\'s), without a database.
	Router func(log *slog.Logger, surfaces ...func(gin.IRouter)) http.Handler
}

// Storefront runs the storefront benchmark in this process. The caller sets the collector
// as serve does (GCPercent and MemoryLimit only report it).
func Storefront(ctx context.Context, o StorefrontOptions) (StorefrontReport, error) {
	var rep StorefrontReport
	secret := o.Secret
	if secret == "" {
		secret = "bench-secret"
	}

	rep.Machine, rep.LoadAverage.Before = machineInfo(), loadAverage()
	rep.Settings = StorefrontSettings{Rate: o.Rate, Duration: o.Duration.String(), Search: o.Search,
		StepDuration: o.StepDuration.String(), MaxRate: o.MaxRate, Connections: o.Connections,
		P99BoundMs: millis(o.P99), Limit: o.Limit, GCPercent: o.GCPercent, MemoryLimitMB: o.MemoryLimit >> 20,
		Sustainable: fmt.Sprintf("p99 <= %s from the due time, no errors, achieved >= 99%% of offered", o.P99),
		Requests: fmt.Sprintf("GET /proxy/recommendations?placement=product&product_id=P&limit=%d, signed as Shopify's app proxy "+
			"with a timestamp of the due second; P the first product of a random order (popularity-weighted); every %dth "+
			"with logged_in_customer_id of that order's buyer (personal, not cacheable); static: the same URLs on /bench/static",
			o.Limit, sfBenchLoggedIn),
		Generator: "in this process, sharing its CPUs: one sender per keep-alive connection writing pre-signed requests; " +
			fmt.Sprintf("a request still queued %s after its due time is dropped as an error", sfBenchTimeout)}

	// The shop, built in memory as the recommendation service would.
	t0 := time.Now()
	shop := SyntheticShop(sfBenchShopID, 1, o.Products, o.Orders)
	rep.Shop.GenerateSeconds = thousandths(time.Since(t0).Seconds())
	t0 = time.Now()
	model := recommend.Build(sfBenchShopID, shop.Purchases, shop.Catalog, ritorno.RecommendControls{}, recommend.Options{}, shop.Now)
	rep.Shop.BuildSeconds = thousandths(time.Since(t0).Seconds())
	traffic := sampleTraffic(shop.Purchases, 100_000)
	shop = Synthetic{} // a server keeps the model, not the purchases
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	stats := model.Stats()
	rep.Shop.Products, rep.Shop.Orders, rep.Shop.Buyers, rep.Shop.Pairs = stats.Products, stats.Orders, stats.Buyers, stats.Pairs
	rep.Shop.HeapMB, rep.Shop.ModelMB = round1(float64(mem.HeapAlloc)/(1<<20)), round1(float64(stats.Bytes)/(1<<20))

	srv, err := startStorefrontBench(model, secret, o.Router)
	if err != nil {
		return rep, err
	}
	defer srv.close()
	gen := &sfBenchGenerator{addr: srv.addr, secret: secret, limit: o.Limit, traffic: traffic, connections: o.Connections}

	// A typical answer's size, from real answers; the static handler serves one that size.
	body, sizes, items, err := gen.sample(ctx, 200)
	if err != nil {
		return rep, err
	}
	rep.Shop.ResponseBytes, rep.Shop.SampleSize = len(body), len(sizes)
	rep.Shop.ResponseItems = thousandths(items)
	srv.static.Store(&body)

	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return rep, err
	}
	defer stopProfile()

	// At the target rate, both handlers, one after the other; then each one's search.
	handlers := []StorefrontHandler{{Name: "recommendations", Path: "/proxy/recommendations"}, {Name: "static", Path: "/bench/static"}}
	for i := range handlers {
		if handlers[i].AtRate, err = gen.run(ctx, handlers[i].Path, o.Rate, o.Duration, o.P99); err != nil {
			return rep, err
		}
	}
	for i := range handlers {
		h := &handlers[i]
		if !o.Search {
			if h.AtRate.Sustainable {
				h.MaxSustainableRate = o.Rate
			}
			continue
		}
		run := func(rate float64) (StorefrontStep, error) {
			return gen.run(ctx, h.Path, rate, o.StepDuration, o.P99)
		}
		if h.Search, h.MaxSustainableRate, h.SearchCapped, err = searchRate(h.AtRate, o.MaxRate, o.Refine, run); err != nil {
			return rep, err
		}
	}
	rep.Handlers = handlers
	rep.TargetMet = handlers[0].AtRate.Sustainable
	rep.Shop.PeakRSSMB, _ = procStatusMB("VmHWM")
	rep.Shop.PeakRSSMB = round1(rep.Shop.PeakRSSMB)
	rep.LoadAverage.After = loadAverage()

	return rep, nil
}

// searchRate finds the highest sustainable rate from a first measurement: up by half again
// until a step fails (or maxRate passes), down by halves if the first failed, then
// bisection between the last pass and the first failure.
func searchRate(first StorefrontStep, maxRate float64, refine int, run func(float64) (StorefrontStep, error)) (steps []StorefrontStep, best float64, capped bool, err error) {
	steps = []StorefrontStep{first}
	var pass, fail float64 // the highest rate that passed, the lowest that failed; 0: none
	note := func(s StorefrontStep) {
		if s.Sustainable {
			pass = max(pass, s.Offered)
		} else if fail == 0 || s.Offered < fail {
			fail = s.Offered
		}
	}
	step := func(rate float64) error {
		s, err := run(rate)
		if err != nil {
			return err
		}
		steps = append(steps, s)
		note(s)
		return nil
	}
	note(first)
	for fail == 0 && !capped {
		next := min(roundRate(pass*1.5), maxRate)
		if next <= pass {
			capped = true
			break
		}
		if err := step(next); err != nil {
			return nil, 0, false, err
		}
	}
	for pass == 0 && fail > 10 {
		if err := step(roundRate(fail / 2)); err != nil {
			return nil, 0, false, err
		}
	}
	for range refine {
		if pass == 0 || fail == 0 || fail-pass <= max(0.05*pass, 10) {
			break
		}
		mid := roundRate((pass + fail) / 2)
		if mid <= pass || mid >= fail {
			break
		}
		if err := step(mid); err != nil {
			return nil, 0, false, err
		}
	}
	return steps, pass, capped, nil
}

// roundRate keeps rates readable: whole hundreds from 1,000, tens below.
func roundRate(r float64) float64 {
	if r >= 1000 {
		return math.Round(r/100) * 100
	}
	return max(math.Round(r/10)*10, 1)
}

// sfBenchServer is the server under test: the production router and middleware with the
// storefront on a model in memory, and the static baseline beside it.
type sfBenchServer struct {
	addr   string
	static atomic.Pointer[[]byte]
	server *http.Server
	served chan error
}

func startStorefrontBench(model *recommend.Model, secret string, router func(*slog.Logger, ...func(gin.IRouter)) http.Handler) (*sfBenchServer, error) {
	s := &sfBenchServer{served: make(chan error, 1)}
	empty := []byte("{}")
	s.static.Store(&empty)
	// Logs are formatted as in production and then discarded: their cost is part of a request.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	trackKey := make([]byte, 32)
	_, _ = rand.Read(trackKey)
	high := storefront.Rate{PerSecond: 1e9, Burst: 1e9} // the bench must not be throttled
	shopper := storefront.New(storefront.Config{
		Shops:       sfBenchShops{shop: ritorno.Shop{ID: sfBenchShopID, Platform: ritorno.Shopify, Domain: sfBenchDomain, Status: ritorno.ShopInstalled, Currency: "USD", Timezone: "UTC"}},
		Recommender: modelRecommender{shopID: sfBenchShopID, model: model},
		Events:      discardEvents{}, ShopifySecret: secret, TrackingKey: trackKey,
		Limits: storefront.Limits{PerAddress: high, PerShop: high}, Log: log})
	static := func(r gin.IRouter) {
		r.GET("/bench/static", func(c *gin.Context) {
			c.Header("Cache-Control", "public, max-age=60")
			c.Header("ETag", `"0123456789abcdef01234567"`) // as long as the storefront's
			c.Data(http.StatusOK, "application/json; charset=utf-8", *s.static.Load())
		})
	}
	// No database: /readyz, which would ask it, is not part of the benchmark.
	handler := router(log, shopper.Register, static)
	s.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return nil, fmt.Errorf("bench storefront: listen: %w", err)
	}
	s.addr = ln.Addr().String()
	go func() { s.served <- s.server.Serve(ln) }()
	return s, nil
}

func (s *sfBenchServer) close() {
	s.server.Close()
	<-s.served
}

// sfBenchShops is the one installed Shopify shop of the benchmark.
type sfBenchShops struct{ shop ritorno.Shop }

var _ storefront.Shops = sfBenchShops{}

func (s sfBenchShops) ShopByDomain(_ context.Context, platform ritorno.PlatformName, domain string) (ritorno.Shop, error) {
	if platform != s.shop.Platform || domain != s.shop.Domain {
		return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
	}
	return s.shop, nil
}

func (s sfBenchShops) ShopByConnectionKey(context.Context, string) (ritorno.Shop, error) {
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
}

func (s sfBenchShops) Credentials(context.Context, int64) (ritorno.ShopCredentials, error) {
	return ritorno.ShopCredentials{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
}

// modelRecommender answers from one shop's built model, as recommend.Service does once
// the model is ready.
type modelRecommender struct {
	shopID int64
	model  *recommend.Model
}

var _ storefront.Recommender = modelRecommender{}

func (r modelRecommender) Recommend(_ context.Context, shopID int64, req recommend.Request) (recommend.Response, error) {
	if shopID != r.shopID {
		return recommend.Response{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
	}
	return r.model.Recommend(req), nil
}

// discardEvents accepts storefront events and keeps none (the benchmark sends none).
type discardEvents struct{}

var _ storefront.EventStore = discardEvents{}

func (discardEvents) RecordStorefrontEvents(context.Context, int64, []ritorno.StorefrontEvent) error {
	return nil
}

// sfBenchVisit is what one request asks about: a viewed product and the shopper.
type sfBenchVisit struct{ product, buyer int64 }

// sampleTraffic draws visits from random orders: product pages are viewed about as often
// as their products sell.
func sampleTraffic(purchases []ritorno.Purchase, n int) []sfBenchVisit {
	out := make([]sfBenchVisit, 0, n)
	var x uint64 = 0x9e3779b97f4a7c15
	for range n {
		x ^= x << 13 // xorshift: deterministic and cheap
		x ^= x >> 7
		x ^= x << 17
		p := purchases[x%uint64(len(purchases))]
		out = append(out, sfBenchVisit{product: p.Items[0].ProductID, buyer: p.Buyer})
	}
	return out
}

// sfBenchGenerator sends the load.
type sfBenchGenerator struct {
	addr, secret string
	limit        int
	traffic      []sfBenchVisit
	next         int // the next visit of traffic to use
	connections  int
	conns        []*benchConn // kept between phases: keep-alive across the run
}

// requests signs n requests for path, the i-th due at start + i/rate, each with the
// timestamp of its due second, as Shopify's proxy would put on it.
func (g *sfBenchGenerator) requests(path string, n int, start time.Time, rate float64) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		v := g.traffic[g.next%len(g.traffic)]
		g.next++
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		q := url.Values{"shop": {sfBenchDomain}, "path_prefix": {sfBenchPrefix}, "logged_in_customer_id": {""},
			"timestamp": {strconv.FormatInt(due.Unix(), 10)}, "placement": {"product"},
			"product_id": {strconv.FormatInt(v.product, 10)}, "limit": {strconv.Itoa(g.limit)}}
		if g.next%sfBenchLoggedIn == 0 && v.buyer > 0 {
			q.Set("logged_in_customer_id", strconv.FormatInt(v.buyer, 10))
		}
		q.Set("signature", storefront.SignProxy(q, g.secret))
		out[i] = fmt.Appendf(nil, "GET %s?%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ShopifyProxy\r\nAccept: application/json\r\n\r\n",
			path, q.Encode(), g.addr)
	}
	return out
}

// sample fetches n real answers one by one and returns one of the median size, the sizes
// and the mean number of items.
func (g *sfBenchGenerator) sample(ctx context.Context, n int) ([]byte, []int, float64, error) {
	reqs := g.requests("/proxy/recommendations", n, time.Now(), 1e9)
	c := &benchConn{addr: g.addr}
	defer c.close()
	bodies := make([][]byte, 0, n)
	var items int
	for _, req := range reqs {
		if ctx.Err() != nil {
			return nil, nil, 0, ctx.Err()
		}
		var buf bytes.Buffer
		status, err := c.do(req, time.Now().Add(10*time.Second), &buf)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("bench storefront: sample request: %w", err)
		}
		if status != http.StatusOK {
			return nil, nil, 0, fmt.Errorf("bench storefront: sample request answered %d: %.200s", status, buf.String())
		}
		var resp storefront.RecommendationsResponse
		if err := json.Unmarshal(buf.Bytes(), &resp); err != nil {
			return nil, nil, 0, fmt.Errorf("bench storefront: sample answer is not a recommendations response: %w", err)
		}
		items += len(resp.Items)
		bodies = append(bodies, buf.Bytes())
	}
	slices.SortFunc(bodies, func(a, b []byte) int { return len(a) - len(b) })
	sizes := make([]int, len(bodies))
	for i, b := range bodies {
		sizes[i] = len(b)
	}
	return bodies[len(bodies)/2], sizes, float64(items) / float64(n), nil
}

// sfBenchJob is one request and when it is due.
type sfBenchJob struct {
	req []byte
	due time.Time
}

// run offers rate requests per second to path for d, open-loop, and measures them.
func (g *sfBenchGenerator) run(ctx context.Context, path string, rate float64, d time.Duration, p99 time.Duration) (StorefrontStep, error) {
	n := max(int(rate*d.Seconds()), 1)
	// Signed ahead with timestamps of the due seconds, a moment from now.
	start := time.Now().Add(50 * time.Millisecond)
	reqs := g.requests(path, n, start, rate)
	for len(g.conns) < g.connections {
		g.conns = append(g.conns, &benchConn{addr: g.addr})
	}
	runtime.GC() // each phase starts from the same heap, not from the last one's garbage
	before := readGCMetrics()
	start = time.Now().Add(10 * time.Millisecond)

	jobs := make(chan sfBenchJob, n)
	type result struct {
		lat      []time.Duration
		errs     int64
		firstErr string
		last     time.Time
	}
	results := make([]result, len(g.conns))
	var wg sync.WaitGroup
	for w, c := range g.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[w]
			fail := func(why string) {
				res.errs++
				if res.firstErr == "" {
					res.firstErr = why
				}
			}
			for j := range jobs {
				if time.Since(j.due) > sfBenchTimeout {
					fail("not sent within " + sfBenchTimeout.String() + " of its due time (overloaded)")
					continue
				}
				status, err := c.do(j.req, j.due.Add(sfBenchTimeout+time.Second), nil)
				done := time.Now()
				res.last = done
				switch {
				case err != nil:
					fail(err.Error())
				case status != http.StatusOK:
					fail("status " + strconv.Itoa(status))
				default:
					res.lat = append(res.lat, done.Sub(j.due))
				}
			}
		}()
	}
	// The schedule: each request is handed over at its due time; when the sender is late
	// it hands over every request already due at once, and their latency shows the delay.
	interval := time.Duration(float64(time.Second) / rate)
	sent := int64(0)
	for i, req := range reqs {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- sfBenchJob{req: req, due: due}
		sent++
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return StorefrontStep{}, err
	}
	after := readGCMetrics()

	s := StorefrontStep{Offered: rate, Sent: sent, GCCycles: after.cycles - before.cycles,
		GCCPUSeconds: thousandths(after.cpuSeconds - before.cpuSeconds)}
	if sent > 0 {
		s.AllocKBPerRequest = round1(float64(after.allocBytes-before.allocBytes) / 1024 / float64(sent))
	}
	var all []time.Duration
	last := start
	for _, r := range results {
		all = append(all, r.lat...)
		s.Errors += r.errs
		if s.FirstError == "" {
			s.FirstError = r.firstErr
		}
		if r.last.After(last) {
			last = r.last
		}
	}
	slices.Sort(all)
	s.OK = int64(len(all))
	// Achieved: answers per second until the last one; a server that falls behind takes
	// longer than the schedule to answer them all.
	elapsed := max(last.Sub(start), time.Duration(n)*interval)
	s.Seconds = thousandths(elapsed.Seconds())
	s.Achieved = round1(float64(s.OK) / elapsed.Seconds())
	s.P50Ms, s.P90Ms, s.P99Ms = millis(percentile(all, 0.50)), millis(percentile(all, 0.90)), millis(percentile(all, 0.99))
	if len(all) > 0 {
		s.MaxMs = millis(all[len(all)-1])
	}
	s.Sustainable = s.Errors == 0 && s.OK > 0 && s.P99Ms <= millis(p99) && s.Achieved >= 0.99*rate
	return s, nil
}

// gcMetrics are the collector's running totals.
type gcMetrics struct {
	cycles, allocBytes uint64
	cpuSeconds         float64
}

func readGCMetrics() gcMetrics {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(samples)
	var m gcMetrics
	if samples[0].Value.Kind() == metrics.KindUint64 {
		m.cycles = samples[0].Value.Uint64()
	}
	if samples[1].Value.Kind() == metrics.KindUint64 {
		m.allocBytes = samples[1].Value.Uint64()
	}
	if samples[2].Value.Kind() == metrics.KindFloat64 {
		m.cpuSeconds = samples[2].Value.Float64()
	}
	return m
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func millis(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

func thousandths(f float64) float64 { return math.Round(f*1000) / 1000 }

// benchConn is one keep-alive HTTP/1.1 connection that writes pre-built requests: cheaper
// than net/http's client, so more of the shared CPUs go to the server under test.
type benchConn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

// do sends req and reads the answer, into body when given; it redials after any error.
func (b *benchConn) do(req []byte, deadline time.Time, body io.Writer) (int, error) {
	if b.c == nil {
		c, err := net.DialTimeout("tcp", b.addr, time.Until(deadline))
		if err != nil {
			return 0, err
		}
		b.c, b.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	if err := b.c.SetDeadline(deadline); err != nil {
		b.close()
		return 0, err
	}
	if _, err := b.c.Write(req); err != nil {
		b.close()
		return 0, err
	}
	resp, err := http.ReadResponse(b.br, nil)
	if err != nil {
		b.close()
		return 0, err
	}
	if body == nil {
		body = io.Discard
	}
	_, err = io.Copy(body, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		b.close()
	}
	if err != nil {
		return 0, fmt.Errorf("read body: %w", err)
	}
	return resp.StatusCode, nil
}

func (b *benchConn) close() {
	if b.c != nil {
		b.c.Close()
		b.c, b.br = nil, nil
	}
}

// loadAverage is /proc/loadavg's three averages, or "" off Linux.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
