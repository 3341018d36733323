package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// backfillSource is history's interface, restated: the source must fit it structurally.
type backfillSource interface {
	Steps() []string
	RunStep(ctx context.Context, step, cursor string, page func(ritorno.BackfillPage) error) error
}

var _ backfillSource = (*shopify.BackfillSource)(nil)

// fakeShopify is the part of a shop's Admin API a backfill uses: bulkOperationRunQuery,
// node(id) of a BulkOperation (CREATED, then RUNNING, then its end), the result files,
// and OrderRefundsQuery. Every answer carries extensions.cost with a full bucket.
type fakeShopify struct {
	srv     *httptest.Server
	files   map[string][]byte // result by bulk query
	refunds map[string]string // OrderRefundsQuery node by order GID

	final          string // how operations end; "" is COMPLETED
	finalExtra     string // more fields of the final status
	noURL          bool   // COMPLETED without objects
	throttleRefund int    // throttled answers before the first OrderRefunds answer
	fileStatus     int    // HTTP status of downloads; 0 is 200

	mu          sync.Mutex
	ops         []*fakeOp
	refundCalls int
	downloads   int
}

type fakeOp struct {
	id, query string
	polls     int
	status    string // set to force a status (EXPIRED…)
}

func newFakeShopify(t *testing.T) *fakeShopify {
	f := &fakeShopify{files: map[string][]byte{}, refunds: map[string]string{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

const fullBucket = `{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1990,"restoreRate":100}}}`

func (f *fakeShopify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/files/") {
		f.downloads++
		if f.fileStatus != 0 {
			http.Error(w, "denied", f.fileStatus)
			return
		}
		for _, op := range f.ops {
			if r.URL.Path == "/files/"+strings.TrimPrefix(op.id, "gid://shopify/BulkOperation/")+".jsonl" {
				w.Write(f.files[op.query])
				return
			}
		}
		http.NotFound(w, r)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/admin/api/2026-07/graphql.json" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	answer := func(data string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":%s,"extensions":%s}`, data, fullBucket)
	}
	switch {
	case strings.Contains(req.Query, "bulkOperationRunQuery"):
		op := &fakeOp{id: fmt.Sprintf("gid://shopify/BulkOperation/%d", 100+len(f.ops)), query: req.Variables["query"].(string)}
		f.ops = append(f.ops, op)
		answer(fmt.Sprintf(`{"bulkOperationRunQuery":{"bulkOperation":{"id":%q,"status":"CREATED"},"userErrors":[]}}`, op.id))
	case strings.Contains(req.Query, "... on BulkOperation"):
		var op *fakeOp
		for _, o := range f.ops {
			if o.id == req.Variables["id"] {
				op = o
			}
		}
		if op == nil {
			answer(`{"node":null}`)
			return
		}
		status, extra := op.status, ""
		switch {
		case status != "":
		case op.polls == 0:
			status = "CREATED"
		case op.polls == 1:
			status = "RUNNING"
		case f.final != "":
			status, extra = f.final, f.finalExtra
		default:
			status = "COMPLETED"
			lines := strings.Count(string(f.files[op.query]), "\n")
			url := fmt.Sprintf("%s/files/%s.jsonl", f.srv.URL, strings.TrimPrefix(op.id, "gid://shopify/BulkOperation/"))
			extra = fmt.Sprintf(`,"objectCount":"%d","url":%q`, lines, url)
			if f.noURL {
				extra = `,"objectCount":"0","url":null`
			}
		}
		op.polls++
		answer(fmt.Sprintf(`{"node":{"id":%q,"status":%q,"errorCode":null,"objectCount":"0","url":null,"partialDataUrl":null%s}}`, op.id, status, extra))
	case strings.Contains(req.Query, "query OrderRefunds"):
		if f.throttleRefund > 0 {
			f.throttleRefund--
			// The refused query costs 52 points; the bucket holds 2 and refills 50 a second.
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":52,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":2,"restoreRate":50}}}}`)
			return
		}
		f.refundCalls++
		node, ok := f.refunds[req.Variables["id"].(string)]
		if !ok {
			node = "null"
		}
		answer(`{"node":` + node + `}`)
	default:
		http.Error(w, "unexpected query", http.StatusTeapot)
	}
}

func (f *fakeShopify) runs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ops)
}

// interleave writes each root's children after the next root, so that most roots are
// read while another root's children wait (no safe restart point).
func interleave(roots []string, children [][]string) []byte {
	var b strings.Builder
	for i, r := range roots {
		b.WriteString(r + "\n")
		if i > 0 {
			for _, c := range children[i-1] {
				b.WriteString(c + "\n")
			}
		}
	}
	if n := len(roots); n > 0 {
		for _, c := range children[n-1] {
			b.WriteString(c + "\n")
		}
	}
	return []byte(b.String())
}

// shopData fills the fake with products (i%4 variants), customers and orders (i%4 line
// items; every third order with lines has a refund) and returns the refunded orders.
func (f *fakeShopify) shopData(products, customers, orders int) (refunded []string) {
	var roots []string
	var kids [][]string
	for i := 1; i <= products; i++ {
		roots = append(roots, fmt.Sprintf(`{"id":"gid://shopify/Product/%d","title":"P%d","handle":"p%d","productType":"","vendor":"V","tags":["a"],"status":"ACTIVE","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-02T00:00:00Z","publishedAt":null,"featuredImage":null}`, i, i, i))
		var vs []string
		for v := range i % 4 {
			vs = append(vs, fmt.Sprintf(`{"id":"gid://shopify/ProductVariant/%d","title":"V","sku":"S","position":%d,"price":"9.99","compareAtPrice":"12.00","inventoryQuantity":3,"inventoryPolicy":"DENY","inventoryItem":{"tracked":true},"availableForSale":true,"__parentId":"gid://shopify/Product/%d"}`, i*10+v, v+1, i))
		}
		kids = append(kids, vs)
	}
	f.files[shopify.BulkProductsQuery] = interleave(roots, kids)

	roots, kids = nil, nil
	for i := 1; i <= customers; i++ {
		roots = append(roots, fmt.Sprintf(`{"id":"gid://shopify/Customer/%d","defaultEmailAddress":{"emailAddress":"c%d@example.com"},"firstName":"F","lastName":"L","tags":[],"state":"ENABLED","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-02T00:00:00Z"}`, i, i))
		kids = append(kids, nil)
	}
	f.files[shopify.BulkCustomersQuery] = interleave(roots, kids)

	roots, kids = nil, nil
	for i := 1; i <= orders; i++ {
		lines := i % 4
		refunds := "[]"
		gid := fmt.Sprintf("gid://shopify/Order/%d", i)
		if lines > 0 && i%3 == 1 {
			refunds = fmt.Sprintf(`[{"id":"gid://shopify/Refund/%d","createdAt":"2026-01-05T00:00:00Z","processedAt":"2026-01-05T00:00:00Z","note":null,"totalRefundedSet":{"shopMoney":{"amount":"5.00","currencyCode":"EUR"}}}]`, i)
			f.refunds[gid] = fmt.Sprintf(`{"id":%q,"refunds":[{"id":"gid://shopify/Refund/%d","createdAt":"2026-01-05T00:00:00Z","processedAt":"2026-01-05T00:00:00Z","note":null,"totalRefundedSet":{"shopMoney":{"amount":"5.00","currencyCode":"EUR"}},"refundLineItems":{"pageInfo":{"hasNextPage":false},"nodes":[{"lineItem":{"id":"gid://shopify/LineItem/%d"},"quantity":1,"subtotalSet":{"shopMoney":{"amount":"5.00","currencyCode":"EUR"}}}]}}]}`, gid, i, i*10)
			refunded = append(refunded, gid)
		}
		roots = append(roots, fmt.Sprintf(`{"id":%q,"name":"#%d","email":"b%d@example.com","createdAt":"2026-01-03T00:00:00Z","updatedAt":"2026-01-06T00:00:00Z","processedAt":"2026-01-03T00:00:00Z","cancelledAt":null,"cancelReason":null,"test":false,"currencyCode":"EUR","presentmentCurrencyCode":"EUR","displayFinancialStatus":"PAID","displayFulfillmentStatus":"FULFILLED","tags":[],"sourceName":"web","customer":{"id":"gid://shopify/Customer/%d","defaultEmailAddress":null},"totalPriceSet":{"shopMoney":{"amount":"20.00","currencyCode":"EUR"}},"totalRefundedSet":{"shopMoney":{"amount":"0.0","currencyCode":"EUR"}},"refunds":%s}`, gid, i, i, 1+i%customers, refunds))
		var ls []string
		for l := range lines {
			ls = append(ls, fmt.Sprintf(`{"id":"gid://shopify/LineItem/%d","title":"T","variantTitle":null,"sku":"S","vendor":null,"quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"10.00","currencyCode":"EUR"}},"totalDiscountSet":{"shopMoney":{"amount":"0.0","currencyCode":"EUR"}},"product":{"id":"gid://shopify/Product/1"},"variant":null,"isGiftCard":false,"__parentId":%q}`, i*10+l, gid))
		}
		kids = append(kids, ls)
	}
	f.files[shopify.BulkOrdersQuery] = interleave(roots, kids)
	return refunded
}

// newBackfill returns a source against the fake whose polls return at once (recorded),
// with the GraphQL client on a fake clock.
func newBackfill(t *testing.T, f *fakeShopify, mod func(*shopify.BackfillConfig)) (*shopify.BackfillSource, *clock, *[]time.Duration) {
	clk := &clock{now: tokenNow}
	var polls []time.Duration
	var mu sync.Mutex
	cfg := shopify.BackfillConfig{
		Client: &shopify.GraphQLClient{Shop: testShop, Token: "shpat_test", APIVersion: "2026-07", HTTP: f.srv.Client(),
			BaseURL: f.srv.URL, Sleep: clk.Sleep, Now: clk.Now},
		ShopCurrency: "EUR",
		Scopes:       "read_products,read_customers,read_orders,read_all_orders",
		Poll:         3 * time.Second,
		PageSize:     3,
		TempDir:      t.TempDir(),
		HTTP:         f.srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			polls = append(polls, d)
			return ctx.Err()
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	return shopify.NewBackfillSource(cfg), clk, &polls
}

// stepLog records the pages a step handed over and counts roots by platform id.
type stepLog struct {
	pages []ritorno.BackfillPage
	seen  map[string]int
}

func (l *stepLog) page(p ritorno.BackfillPage) error {
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.pages = append(l.pages, p)
	for _, x := range p.Products {
		l.seen[fmt.Sprintf("product %d", x.PlatformID)]++
	}
	for _, x := range p.Customers {
		l.seen[fmt.Sprintf("customer %d", x.PlatformID)]++
	}
	for _, x := range p.Orders {
		l.seen[fmt.Sprintf("order %d", x.PlatformID)]++
	}
	return nil
}

func (l *stepLog) roots() int {
	n := 0
	for _, c := range l.seen {
		n += c
	}
	return n
}

func mustEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("temp dir holds %d entries (%v): results must be removed after the step", len(entries), err)
	}
}

func TestBackfillRunsAllSteps(t *testing.T) {
	f := newFakeShopify(t)
	refunded := f.shopData(7, 5, 12)
	var tempDir string
	src, clk, polls := newBackfill(t, f, func(c *shopify.BackfillConfig) {
		c.Scopes = "read_products, read_customers,read_orders" // no read_all_orders
		tempDir = c.TempDir
	})
	if got := src.Steps(); !reflect.DeepEqual(got, []string{ritorno.StepProducts, ritorno.StepCustomers, ritorno.StepOrders}) {
		t.Fatalf("steps %v", got)
	}
	want := map[string]struct {
		roots   int
		objects int64
	}{
		ritorno.StepProducts:  {7, 7 + 1 + 2 + 3 + 0 + 1 + 2 + 3},
		ritorno.StepCustomers: {5, 5},
		ritorno.StepOrders:    {12, 12 + 3*(1+2+3)},
	}
	var orders []ritorno.Order
	for _, step := range src.Steps() {
		var log stepLog
		if err := src.RunStep(context.Background(), step, "", log.page); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		mustEmptyDir(t, tempDir)
		first := log.pages[0]
		if first.Objects != 0 || len(first.Products)+len(first.Customers)+len(first.Orders) != 0 || !strings.Contains(first.Cursor, "gid://shopify/BulkOperation/") {
			t.Errorf("%s: the first page must only hand over the operation: %+v", step, first)
		}
		var objects int64
		for i, p := range log.pages[1:] {
			n := len(p.Products) + len(p.Customers) + len(p.Orders)
			if n != 3 && i != len(log.pages)-2 {
				t.Errorf("%s page %d has %d roots, want the page size", step, i+1, n)
			}
			if p.StepTotal != want[step].objects {
				t.Errorf("%s page %d: StepTotal %d, want %d", step, i+1, p.StepTotal, want[step].objects)
			}
			objects += p.Objects
		}
		for _, p := range log.pages {
			if wantLimit := step == ritorno.StepOrders; (p.Limit != "") != wantLimit || (wantLimit && !strings.Contains(p.Limit, "60 days")) {
				t.Errorf("%s: Limit %q", step, p.Limit)
			}
			orders = append(orders, p.Orders...)
		}
		if objects != want[step].objects || log.roots() != want[step].roots || len(log.seen) != want[step].roots {
			t.Errorf("%s: %d objects, %d roots (%d distinct); want %+v", step, objects, log.roots(), len(log.seen), want[step])
		}
	}
	if f.runs() != 3 {
		t.Errorf("%d exports, want one per step", f.runs())
	}
	if f.refundCalls != len(refunded) {
		t.Errorf("%d refund queries, want one per refunded order (%d)", f.refundCalls, len(refunded))
	}
	for _, o := range orders {
		if !o.RefundsComplete {
			t.Errorf("order %d: refunds incomplete", o.PlatformID)
		}
		if len(o.LineItems) != int(o.PlatformID%4) {
			t.Errorf("order %d: %d line items", o.PlatformID, len(o.LineItems))
		}
		if len(o.Refunds) == 1 && (len(o.Refunds[0].LineItems) != 1 || o.RefundedAmount != ritorno.MustParseMoney("5", "EUR")) {
			t.Errorf("order %d: refund %+v", o.PlatformID, o.Refunds)
		}
	}
	// Three steps, each waiting the configured interval after the start and after each
	// answer of CREATED and RUNNING; the bucket never ran dry, so the client never waited.
	if got := *polls; len(got) != 9 || got[0] != 3*time.Second {
		t.Errorf("polls %v", got)
	}
	if w := clk.waits(); len(w) != 0 {
		t.Errorf("client waits %v", w)
	}
}

// cursorSkip reads the skip count of a cursor (the source's format, read here only to
// prove that pages end at unsafe restart points too).
func cursorSkip(t *testing.T, cursor string) int {
	var c struct{ Skip int }
	if err := json.Unmarshal([]byte(cursor), &c); err != nil {
		t.Fatal(err)
	}
	return c.Skip
}

func TestBackfillResumesAfterACrash(t *testing.T) {
	errCrash := errors.New("crash")
	for _, step := range []string{ritorno.StepProducts, ritorno.StepOrders} {
		// How many pages the full step hands over.
		f := newFakeShopify(t)
		f.shopData(11, 1, 17)
		src, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) { c.PageSize = 2 })
		var full stepLog
		if err := src.RunStep(context.Background(), step, "", full.page); err != nil {
			t.Fatal(err)
		}
		unsafeCuts := 0
		for _, p := range full.pages {
			if cursorSkip(t, p.Cursor) > 0 {
				unsafeCuts++
			}
		}
		if unsafeCuts == 0 {
			t.Fatalf("%s: no page ended at an unsafe restart point; the data does not test skipping", step)
		}

		// Crash at every page after the first (the first stores the export's id).
		for crashAt := 2; crashAt <= len(full.pages); crashAt++ {
			f := newFakeShopify(t)
			f.shopData(11, 1, 17)
			var log stepLog
			cursor := ""
			src, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) { c.PageSize = 2 })
			err := src.RunStep(context.Background(), step, "", func(p ritorno.BackfillPage) error {
				if len(log.pages)+1 == crashAt {
					return errCrash
				}
				cursor = p.Cursor
				return log.page(p)
			})
			if err != errCrash {
				t.Fatalf("%s crash at page %d: %v, want the page's error as is", step, crashAt, err)
			}
			// A new process resumes from the last stored cursor.
			src2, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) { c.PageSize = 2 })
			if err := src2.RunStep(context.Background(), step, cursor, log.page); err != nil {
				t.Fatalf("%s resume after page %d: %v", step, crashAt, err)
			}
			if !reflect.DeepEqual(log.seen, full.seen) {
				t.Fatalf("%s crash at page %d: roots seen %v, want each once: %v", step, crashAt, log.seen, full.seen)
			}
			if f.runs() != 1 {
				t.Fatalf("%s crash at page %d: %d exports, want 1", step, crashAt, f.runs())
			}
		}
	}
}

func TestBackfillRetriesThrottledRefunds(t *testing.T) {
	f := newFakeShopify(t)
	refunded := f.shopData(1, 1, 6)
	f.throttleRefund = 1
	src, clk, _ := newBackfill(t, f, nil)
	var log stepLog
	if err := src.RunStep(context.Background(), ritorno.StepOrders, "", log.page); err != nil {
		t.Fatal(err)
	}
	// 52 points wanted, 2 available, 50 a second: one second.
	if got := clk.waits(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
		t.Errorf("client waited %v, want [1s]", got)
	}
	if f.refundCalls != len(refunded) || len(log.seen) != 6 {
		t.Errorf("%d refund answers for %d refunded orders; %d orders", f.refundCalls, len(refunded), len(log.seen))
	}
}

func TestBackfillFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fakeShopify)
		code  string
	}{
		{"access denied, with partial data", func(f *fakeShopify) {
			f.final, f.finalExtra = "FAILED", `,"errorCode":"ACCESS_DENIED","partialDataUrl":"https://storage.example/partial.jsonl"`
		}, ritorno.EFORBIDDEN},
		{"timeout", func(f *fakeShopify) { f.final, f.finalExtra = "FAILED", `,"errorCode":"TIMEOUT"` }, ritorno.EUNAVAILABLE},
		{"canceled", func(f *fakeShopify) { f.final = "CANCELED" }, ritorno.EUNAVAILABLE},
		{"expired while waited for", func(f *fakeShopify) { f.final = "EXPIRED" }, ritorno.EUNAVAILABLE},
		{"download refused", func(f *fakeShopify) { f.fileStatus = http.StatusForbidden }, ritorno.EUNAVAILABLE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeShopify(t)
			f.shopData(3, 1, 1)
			tc.setup(f)
			var tempDir string
			src, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) { tempDir = c.TempDir })
			var log stepLog
			err := src.RunStep(context.Background(), ritorno.StepProducts, "", log.page)
			if ritorno.ErrorCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if strings.Contains(err.Error(), "storage.example") || strings.Contains(err.Error(), f.srv.URL) {
				t.Errorf("error names a result URL: %v", err)
			}
			if len(log.pages) != 1 || log.roots() != 0 {
				t.Errorf("pages %+v", log.pages)
			}
			mustEmptyDir(t, tempDir)
		})
	}
}

func TestBackfillStartsOverWhenTheExportIsGone(t *testing.T) {
	cases := []struct {
		name   string
		cursor func(f *fakeShopify) string
	}{
		{"unknown operation", func(f *fakeShopify) string {
			return `{"step":"customers","op":"gid://shopify/BulkOperation/999"}`
		}},
		{"expired result", func(f *fakeShopify) string {
			f.ops = append(f.ops, &fakeOp{id: "gid://shopify/BulkOperation/50", query: shopify.BulkCustomersQuery, status: "EXPIRED"})
			return `{"step":"customers","op":"gid://shopify/BulkOperation/50","size":900,"end":400,"skip":1}`
		}},
		{"failed before the crash", func(f *fakeShopify) string {
			f.ops = append(f.ops, &fakeOp{id: "gid://shopify/BulkOperation/50", query: shopify.BulkCustomersQuery, status: "FAILED"})
			return `{"step":"customers","op":"gid://shopify/BulkOperation/50"}`
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeShopify(t)
			f.shopData(1, 4, 1)
			cursor := tc.cursor(f)
			before := f.runs()
			src, _, _ := newBackfill(t, f, nil)
			var log stepLog
			if err := src.RunStep(context.Background(), ritorno.StepCustomers, cursor, log.page); err != nil {
				t.Fatal(err)
			}
			if f.runs() != before+1 || len(log.seen) != 4 || log.roots() != 4 {
				t.Errorf("%d new exports, roots %v", f.runs()-before, log.seen)
			}
			if !strings.Contains(log.pages[0].Cursor, f.ops[len(f.ops)-1].id) || log.pages[0].Objects != 0 {
				t.Errorf("the new export's id must be stored first: %+v", log.pages[0])
			}
		})
	}
}

func TestBackfillEmptyExport(t *testing.T) {
	f := newFakeShopify(t)
	f.noURL = true
	src, _, _ := newBackfill(t, f, nil)
	var log stepLog
	if err := src.RunStep(context.Background(), ritorno.StepOrders, "", log.page); err != nil {
		t.Fatal(err)
	}
	if len(log.pages) != 1 || f.downloads != 0 {
		t.Errorf("%d pages, %d downloads", len(log.pages), f.downloads)
	}
}

func TestBackfillWakePollsAtOnce(t *testing.T) {
	f := newFakeShopify(t)
	f.shopData(2, 1, 1)
	wake := make(chan struct{})
	slept := make(chan time.Duration, 10)
	src, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) {
		c.Poll = time.Hour
		c.Wake = wake
		// A poll interval that never ends by itself: only a Wake moves the step on.
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			slept <- d
			<-ctx.Done()
			return ctx.Err()
		}
	})
	var log stepLog
	done := make(chan error, 1)
	go func() { done <- src.RunStep(context.Background(), ritorno.StepProducts, "", log.page) }()
	deadline := time.After(10 * time.Second)
	for i := range 3 { // after the start, CREATED and RUNNING
		select {
		case d := <-slept:
			if d != time.Hour {
				t.Fatalf("slept %v, want the poll interval", d)
			}
		case <-deadline:
			t.Fatalf("no wait %d", i)
		}
		wake <- struct{}{}
	}
	select {
	case err := <-done:
		if err != nil || len(log.seen) != 2 {
			t.Fatalf("%v, roots %v", err, log.seen)
		}
	case <-deadline:
		t.Fatal("the step did not finish after three wakes")
	}
}

func TestBackfillStopsWithContext(t *testing.T) {
	f := newFakeShopify(t)
	f.shopData(2, 1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	src, _, _ := newBackfill(t, f, func(c *shopify.BackfillConfig) {
		c.Sleep = func(ctx context.Context, _ time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
		c.Wake = make(chan struct{})
	})
	var log stepLog
	if err := src.RunStep(ctx, ritorno.StepProducts, "", log.page); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestBackfillRefusesBadCursors(t *testing.T) {
	cases := []struct{ name, step, cursor string }{
		{"not JSON", "orders", "page=2"},
		{"another step's", "orders", `{"step":"products","op":"gid://shopify/BulkOperation/1"}`},
		{"unknown field", "orders", `{"step":"orders","op":"gid://shopify/BulkOperation/1","page":2}`},
		{"trailing data", "orders", `{"step":"orders","op":"gid://shopify/BulkOperation/1"} {}`},
		{"not an operation", "orders", `{"step":"orders","op":"gid://shopify/Order/1"}`},
		{"end beyond the file", "orders", `{"step":"orders","op":"gid://shopify/BulkOperation/1","size":10,"end":11}`},
		{"negative skip", "orders", `{"step":"orders","op":"gid://shopify/BulkOperation/1","size":10,"end":5,"skip":-1}`},
		{"skip without a file", "orders", `{"step":"orders","op":"gid://shopify/BulkOperation/1","skip":1}`},
		{"unknown step", "webhooks", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeShopify(t)
			src, _, _ := newBackfill(t, f, nil)
			err := src.RunStep(context.Background(), tc.step, tc.cursor, func(ritorno.BackfillPage) error { return nil })
			if ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			if f.runs() != 0 {
				t.Errorf("started an export")
			}
		})
	}
}

func TestGraphQLTokenSource(t *testing.T) {
	t.Run("asked before every request, retries included", func(t *testing.T) {
		f, _, c := newGraphQL(t, status(http.StatusServiceUnavailable), ok(`{"shop":{"name":"Demo"}}`, costJSON(1, 1999, 2000, 100)))
		n := 0
		c.TokenSource = func(context.Context) (string, error) { n++; return fmt.Sprintf("shpat_fresh_%d", n), nil }
		if err := c.Do(context.Background(), shopQuery, nil, nil); err != nil {
			t.Fatal(err)
		}
		calls := f.calls()
		if len(calls) != 2 || calls[0].Token != "shpat_fresh_1" || calls[1].Token != "shpat_fresh_2" {
			t.Fatalf("tokens sent: %+v", calls)
		}
	})
	t.Run("401 is not retried", func(t *testing.T) {
		f, _, c := newGraphQL(t, status(http.StatusUnauthorized), ok(`{}`, `{}`))
		n := 0
		c.TokenSource = func(context.Context) (string, error) { n++; return "shpat_revoked", nil }
		err := c.Do(context.Background(), shopQuery, nil, nil)
		if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || len(f.calls()) != 1 || n != 1 {
			t.Fatalf("%v after %d requests, %d tokens", err, len(f.calls()), n)
		}
	})
	t.Run("a failing source sends nothing", func(t *testing.T) {
		f, _, c := newGraphQL(t, ok(`{}`, `{}`))
		c.TokenSource = func(context.Context) (string, error) {
			return "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "refresh token revoked")
		}
		err := c.Do(context.Background(), shopQuery, nil, nil)
		if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || len(f.calls()) != 0 {
			t.Fatalf("%v after %d requests", err, len(f.calls()))
		}
	})
}
