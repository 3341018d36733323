package woocommerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
	"github.com/ritorno/ritorno/woocommerce/wootest"
)

const (
	testDeliveryURL   = "https://app.ritorno.example/webhooks/woocommerce/k_7f3a"
	testWebhookSecret = "whsec_test"
)

func mustSource(t *testing.T, c *woocommerce.Client, log *slog.Logger) *woocommerce.BackfillSource {
	t.Helper()
	return woocommerce.NewBackfillSource(woocommerce.BackfillConfig{Client: c, ShopCurrency: "USD",
		DeliveryURL: testDeliveryURL, WebhookSecret: testWebhookSecret, Log: log})
}

// collector keeps what a step's pages hand over, as a backfill runner that stores every
// page it is given would.
type collector struct {
	pages     []ritorno.BackfillPage
	products  map[int64]ritorno.Product
	customers map[int64]ritorno.Customer
	orders    map[int64]ritorno.Order
	times     map[int64]int // how often each id was handed over
	// fail, when set, refuses the page (nothing stored) and stops the step.
	fail func(n int, p ritorno.BackfillPage) error
}

func newCollector() *collector {
	return &collector{products: map[int64]ritorno.Product{}, customers: map[int64]ritorno.Customer{},
		orders: map[int64]ritorno.Order{}, times: map[int64]int{}}
}

func (c *collector) page(p ritorno.BackfillPage) error {
	if c.fail != nil {
		if err := c.fail(len(c.pages), p); err != nil {
			return err
		}
	}
	c.pages = append(c.pages, p)
	for _, x := range p.Products {
		c.products[x.PlatformID] = x
		c.times[x.PlatformID]++
	}
	for _, x := range p.Customers {
		c.customers[x.PlatformID] = x
		c.times[x.PlatformID]++
	}
	for _, x := range p.Orders {
		c.orders[x.PlatformID] = x
		c.times[x.PlatformID]++
	}
	return nil
}

func (c *collector) cursor() string { return c.pages[len(c.pages)-1].Cursor }

func (c *collector) objects() (n int64) {
	for _, p := range c.pages {
		n += p.Objects
	}
	return n
}

// idsOf reads the ids of REST objects.
func idsOf(t *testing.T, raws []json.RawMessage) []int64 {
	t.Helper()
	var out []int64
	for _, raw := range raws {
		var p struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.ID)
	}
	return out
}

// checkExactlyOnce fails unless every id in want was handed over exactly once.
func checkExactlyOnce(t *testing.T, c *collector, want []int64) {
	t.Helper()
	for _, id := range want {
		if c.times[id] != 1 {
			t.Errorf("id %d handed over %d times", id, c.times[id])
		}
	}
	if len(c.times) != len(want) {
		t.Errorf("%d ids handed over, want %d", len(c.times), len(want))
	}
}

func TestBackfillFullRun(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 11, Products: 130, Customers: 230, Orders: 250})
	s, client, _ := mustWooStore(t, wootest.Options{Data: d})
	src := mustSource(t, client, nil)
	if got := src.Steps(); fmt.Sprint(got) != fmt.Sprint([]string{ritorno.StepWebhooks, ritorno.StepProducts, ritorno.StepCustomers, ritorno.StepOrders}) {
		t.Fatalf("Steps = %v", got)
	}
	variations := 0
	for _, vs := range d.Variations {
		variations += len(vs)
	}
	cases := []struct {
		step        string
		want        []int64
		objects     int64
		total       int64
		path        string
		wantListing int // list requests
	}{
		{ritorno.StepProducts, idsOf(t, d.Products), int64(len(d.Products) + variations), 130, "/wp-json/wc/v3/products", 2},
		{ritorno.StepCustomers, idsOf(t, d.Customers), 230, 230, "/wp-json/wc/v3/customers", 3},
		{ritorno.StepOrders, idsOf(t, d.Orders), 250, 250, "/wp-json/wc/v3/orders", 3},
	}
	web := newCollector()
	if err := src.RunStep(t.Context(), ritorno.StepWebhooks, "", web.page); err != nil {
		t.Fatal(err)
	}
	if len(web.pages) != 1 || web.cursor() != "done" || web.objects() != 0 {
		t.Errorf("webhooks step pages %+v", web.pages)
	}
	hooks := s.Webhooks()
	if len(hooks) != len(woocommerce.DefaultWebhookTopics) {
		t.Fatalf("%d webhooks, want %d", len(hooks), len(woocommerce.DefaultWebhookTopics))
	}
	for _, h := range hooks {
		if h.DeliveryURL != testDeliveryURL || h.Secret != testWebhookSecret || h.Status != "active" {
			t.Errorf("webhook %+v", h)
		}
	}
	for _, c := range cases {
		t.Run(c.step, func(t *testing.T) {
			got := newCollector()
			if err := src.RunStep(t.Context(), c.step, "", got.page); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, got, c.want)
			if got.objects() != c.objects {
				t.Errorf("objects %d, want %d", got.objects(), c.objects)
			}
			for _, p := range got.pages {
				if p.StepTotal != c.total || p.Cursor == "" {
					t.Errorf("page total %d cursor %q; want total %d", p.StepTotal, p.Cursor, c.total)
				}
			}
			if n := s.Requests()[c.path]; n != c.wantListing {
				t.Errorf("%d list requests, want %d", n, c.wantListing)
			}
		})
	}
	t.Run("variable product", func(t *testing.T) {
		got := newCollector()
		if err := src.RunStep(t.Context(), ritorno.StepProducts, "", got.page); err != nil {
			t.Fatal(err)
		}
		p := got.products[101]
		var ids []int64
		for _, v := range p.Variants {
			ids = append(ids, v.PlatformID)
		}
		if fmt.Sprint(ids) != "[100001 100002 100003]" || p.Variants[0].Title == "" || p.Variants[0].Price.IsZero() {
			t.Errorf("variants %+v", p.Variants)
		}
		if len(got.products[102].Variants) != 1 || got.products[102].Variants[0].PlatformID != 102 {
			t.Errorf("a simple product is its own variant: %+v", got.products[102].Variants)
		}
	})
	t.Run("orders", func(t *testing.T) {
		got := newCollector()
		if err := src.RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != nil {
			t.Fatal(err)
		}
		statuses := map[ritorno.FinancialStatus]int{}
		guests := 0
		for _, o := range got.orders {
			statuses[o.FinancialStatus]++
			if o.Buyer.Kind == ritorno.BuyerGuest {
				guests++
			}
			if !o.RefundsComplete {
				t.Errorf("order %d: refunds not complete", o.PlatformID)
			}
		}
		if statuses[ritorno.FinancialRefunded] == 0 || statuses[ritorno.FinancialPartiallyRefunded] == 0 || statuses[ritorno.FinancialVoided] == 0 || guests == 0 {
			t.Errorf("statuses %v, guests %d: every kind of order is imported", statuses, guests)
		}
		if n := s.Requests()["/wp-json/wc/v3/orders/200003/refunds"]; n != 0 {
			t.Errorf("refunds read %d times although the order lists them", n)
		}
	})
	if sk := src.Skipped(); len(sk) != 0 {
		t.Errorf("skipped %v", sk)
	}
}

var errCrash = errors.New("crash")

func TestBackfillResumesAfterCrash(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 12, Products: 210, Customers: 250, Orders: 320})
	cases := []struct {
		step       string
		want       []int64
		crashAfter int // pages stored before the crash
	}{
		{ritorno.StepProducts, idsOf(t, d.Products), 1},
		{ritorno.StepCustomers, idsOf(t, d.Customers), 2},
		{ritorno.StepOrders, idsOf(t, d.Orders), 1},
		{ritorno.StepOrders, idsOf(t, d.Orders), 3},
		{ritorno.StepOrders, idsOf(t, d.Orders), 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s after %d pages", c.step, c.crashAfter), func(t *testing.T) {
			_, client, _ := mustWooStore(t, wootest.Options{Data: d})
			got := newCollector()
			got.fail = func(n int, _ ritorno.BackfillPage) error {
				if n == c.crashAfter {
					return errCrash
				}
				return nil
			}
			err := mustSource(t, client, nil).RunStep(t.Context(), c.step, "", got.page)
			if err != errCrash {
				t.Fatalf("err = %v; page's error is returned as is", err)
			}
			cursor := ""
			if c.crashAfter > 0 {
				cursor = got.cursor()
			}
			got.fail = nil
			// A new source, as after a restart, from the last stored cursor.
			if err := mustSource(t, client, nil).RunStep(t.Context(), c.step, cursor, got.page); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, got, c.want)
		})
	}
}

func TestBackfillResumeSeesNewOrders(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 13, Customers: 10, Orders: 150})
	s, client, _ := mustWooStore(t, wootest.Options{Data: d})
	got := newCollector()
	got.fail = func(n int, _ ritorno.BackfillPage) error {
		if n == 1 {
			return errCrash
		}
		return nil
	}
	if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != errCrash {
		t.Fatal(err)
	}
	extra := wootest.Generate(wootest.Gen{Seed: 99, Customers: 10, Orders: 160}).Orders[150:] // ids after the others
	for _, raw := range extra {
		if err := s.Put("orders", raw); err != nil {
			t.Fatal(err)
		}
	}
	got.fail = nil
	if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, got.cursor(), got.page); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, got, append(idsOf(t, d.Orders), idsOf(t, extra)...))
}

// TestBackfillSurvivesDeletions: items deleted behind the read shift the later ones back;
// the walk must notice and hand over every remaining item, during a run and across a
// resume.
func TestBackfillSurvivesDeletions(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 14, Customers: 5, Orders: 450})
	all := idsOf(t, d.Orders)
	cases := []struct {
		name   string
		after  int     // pages stored before the deletion
		delete []int64 // ids deleted then
		crash  bool    // the run stops at the deletion and resumes from the cursor
	}{
		{"one behind the read", 1, all[10:11], false},
		{"the last item handed over", 1, all[99:100], false},
		{"a page's worth behind the read", 2, all[20:150], false},
		{"more than the offset: the rest is shorter", 2, all[0:190], false},
		{"ahead of the read (nothing to notice)", 1, all[300:310], false},
		{"behind the read, then a resume", 1, all[5:40], true},
		{"everything handed over, then a resume", 2, all[0:199], true},
		{"all but the tail, then a resume", 3, all[0:440], true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, client, _ := mustWooStore(t, wootest.Options{Data: d})
			got := newCollector()
			got.fail = func(n int, _ ritorno.BackfillPage) error {
				if n == c.after {
					for _, id := range c.delete {
						s.Remove("orders", id)
					}
					if c.crash {
						return errCrash
					}
				}
				return nil
			}
			err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page)
			if c.crash {
				if err != errCrash {
					t.Fatal(err)
				}
				got.fail = nil
				err = mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, got.cursor(), got.page)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range all {
				if got.times[id] > 1 {
					t.Errorf("order %d handed over %d times", id, got.times[id])
				}
				if got.times[id] == 0 && !slices.Contains(c.delete, id) {
					t.Errorf("order %d missed", id)
				}
			}
		})
	}
}

func TestBackfillRestoredItemBehindTheRead(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 15, Customers: 5, Orders: 250})
	trashed := d.Orders[50]
	var live []json.RawMessage
	live = append(live, d.Orders[:50]...)
	live = append(live, d.Orders[51:]...)
	d.Orders = live
	s, client, _ := mustWooStore(t, wootest.Options{Data: d})
	got := newCollector()
	got.fail = func(n int, _ ritorno.BackfillPage) error {
		if n == 1 {
			if err := s.Put("orders", trashed); err != nil { // restored from the trash
				return err
			}
		}
		return nil
	}
	if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != nil {
		t.Fatal(err)
	}
	for _, id := range idsOf(t, live) {
		if got.times[id] != 1 {
			t.Errorf("order %d handed over %d times", id, got.times[id])
		}
	}
}

func TestBackfillOlderVariationShape(t *testing.T) {
	product := []byte(`{"id":500,"name":"Hoodie","type":"variable","status":"publish","price":"30.00","regular_price":"","variations":[501,502,503]}`)
	cases := []struct {
		name string
		raw  string
	}{
		// Before WooCommerce added name and parent_id to the variations endpoint.
		{"old shape", `{"id":501,"sku":"H-B","price":"30.00","regular_price":"30.00","attributes":[{"id":1,"name":"Color","option":"Blue"},{"id":2,"name":"Size","option":"Large"}]}`},
		{"new shape", `{"id":502,"parent_id":500,"name":"Hoodie - Red","sku":"H-R","price":"32.00","regular_price":"32.00"}`},
		{"another product's", `{"id":503,"parent_id":999,"name":"Stray","price":"1.00"}`},
	}
	var raws []json.RawMessage
	for _, c := range cases {
		raws = append(raws, json.RawMessage(c.raw))
	}
	_, client, _ := mustWooStore(t, wootest.Options{Data: wootest.Data{Products: []json.RawMessage{product}, Variations: map[int64][]json.RawMessage{500: raws}}})
	src := mustSource(t, client, nil)
	got := newCollector()
	if err := src.RunStep(t.Context(), ritorno.StepProducts, "", got.page); err != nil {
		t.Fatal(err)
	}
	vs := got.products[500].Variants
	if len(vs) != 2 || vs[0].PlatformID != 501 || vs[0].Title != "Blue, Large" || vs[0].Price != usd("30.00") ||
		vs[1].PlatformID != 502 || vs[1].Title != "Hoodie - Red" {
		t.Errorf("variants %+v", vs)
	}
	if got.objects() != 3 || src.Skipped()["variations"] != 1 {
		t.Errorf("objects %d, skipped %v", got.objects(), src.Skipped())
	}
}

func TestBackfillSkipsMalformedItems(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 16, Customers: 3, Orders: 5})
	bad := []struct {
		resource string
		raw      string
	}{
		{"orders", `{"id":290001,"status":"completed","currency":"dollars","total":"1.00","billing":{"email":"secret.buyer@example.com"}}`},
		{"orders", `{"id":290002,"status":"completed","currency":"USD","total":"12,50","billing":{"email":"secret.buyer@example.com"}}`},
		{"customers", `{"id":90,"email":"secret.buyer@example.com","date_created_gmt":"yesterday"}`},
	}
	for _, b := range bad {
		d2 := json.RawMessage(b.raw)
		switch b.resource {
		case "orders":
			d.Orders = append(d.Orders, d2)
		case "customers":
			d.Customers = append(d.Customers, d2)
		}
	}
	_, client, _ := mustWooStore(t, wootest.Options{Data: d})
	var logs bytes.Buffer
	src := mustSource(t, client, slog.New(slog.NewJSONHandler(&logs, nil)))
	for _, c := range []struct {
		step string
		want int
	}{{ritorno.StepOrders, 5}, {ritorno.StepCustomers, 3}} {
		got := newCollector()
		if err := src.RunStep(t.Context(), c.step, "", got.page); err != nil {
			t.Fatalf("%s: a malformed item stopped the step: %v", c.step, err)
		}
		if len(got.times) != c.want || got.objects() != int64(c.want) {
			t.Errorf("%s: %d handed over, objects %d; want %d", c.step, len(got.times), got.objects(), c.want)
		}
	}
	if sk := src.Skipped(); sk["orders"] != 2 || sk["customers"] != 1 {
		t.Errorf("Skipped = %v", sk)
	}
	text := logs.String()
	for _, want := range []string{`"resource":"orders","id":290001`, `"resource":"orders","id":290002`, `"resource":"customers","id":90`} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %s:\n%s", want, text)
		}
	}
	for _, leak := range []string{"secret.buyer", "dollars", "12,50", "yesterday"} {
		if strings.Contains(text, leak) {
			t.Errorf("the log shows payload contents (%s):\n%s", leak, text)
		}
	}
}

// withoutKey returns a JSON object without one of its keys.
func withoutKey(t *testing.T, raw json.RawMessage, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, key)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackfillReadsRefundsOnlyWhenTheOrderLacksThem(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 17, Products: 3, Customers: 3, Orders: 8})
	// Order 200003 is refunded in full and 200006 partially; both lose their summaries, as
	// behind a plugin that filters the response. 727 is the docs' order with the docs'
	// refund record.
	for i, raw := range d.Orders {
		if i == 0 || i == 2 || i == 5 {
			d.Orders[i] = withoutKey(t, raw, "refunds")
		}
	}
	d.Refunds[200001] = []json.RawMessage{json.RawMessage(`{"id":310000,"amount":"ten","reason":""}`)}
	d.Orders = append(d.Orders, withoutKey(t, fixture(t, "woocommerce-order.json"), "refunds"))
	d.Refunds[727] = []json.RawMessage{fixture(t, "woocommerce-order-refund.json")}
	s, client, _ := mustWooStore(t, wootest.Options{Data: d})
	got := newCollector()
	src := mustSource(t, client, nil)
	if err := src.RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != nil {
		t.Fatal(err)
	}
	full := got.orders[200003]
	if !full.RefundsComplete || full.FinancialStatus != ritorno.FinancialRefunded || full.RefundedAmount != full.Total ||
		len(full.Refunds) != 1 || full.Refunds[0].CreatedAt.IsZero() || len(full.Refunds[0].LineItems) != len(full.LineItems) {
		t.Errorf("full refund: %+v", full)
	}
	for i, rl := range full.Refunds[0].LineItems {
		if li := full.LineItems[i]; rl.LineItemPlatformID != li.PlatformID || rl.Quantity != li.Quantity || rl.Quantity <= 0 || rl.Subtotal.Amount <= 0 {
			t.Errorf("refund line %+v for line %+v", rl, li)
		}
	}
	if partial := got.orders[200006]; !partial.RefundsComplete || partial.FinancialStatus != ritorno.FinancialPartiallyRefunded || len(partial.Refunds[0].LineItems) != 1 {
		t.Errorf("partial refund: %+v", partial)
	}
	docs := got.orders[727]
	wantAt := time.Date(2017, 3, 21, 20, 7, 11, 0, time.UTC)
	if !docs.RefundsComplete || docs.RefundedAmount != usd("10.00") || len(docs.Refunds) != 1 || docs.Refunds[0].PlatformID != 726 ||
		!docs.Refunds[0].CreatedAt.Equal(wantAt) || docs.FinancialStatus != ritorno.FinancialPartiallyRefunded {
		t.Errorf("docs order: %+v", docs)
	}
	if broken := got.orders[200001]; broken.PlatformID == 0 || broken.RefundsComplete || src.Skipped()["refunds"] != 1 {
		t.Errorf("an unreadable refund leaves the order with its stored refunds: %+v, skipped %v", broken, src.Skipped())
	}
	reqs := s.Requests()
	for path, n := range reqs {
		if strings.HasSuffix(path, "/refunds") && path != "/wp-json/wc/v3/orders/200003/refunds" && path != "/wp-json/wc/v3/orders/200006/refunds" &&
			path != "/wp-json/wc/v3/orders/727/refunds" && path != "/wp-json/wc/v3/orders/200001/refunds" {
			t.Errorf("%s read %d times although the order lists its refunds", path, n)
		}
	}
}

func TestBackfillPlainHTTP(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 18, Customers: 2, Orders: 3})
	s := wootest.New(t, wootest.Options{Data: d})
	if _, err := woocommerce.NewClient(s.URL, wootest.DefaultConsumerKey, wootest.DefaultConsumerSecret, false); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Fatalf("NewClient on http without allowInsecure: %v", err)
	}
	cases := []struct {
		name          string
		allowInsecure bool
		wantCode      string
	}{
		{"allowed for a local test store", true, ""},
		{"refused once AllowInsecure is off", false, ritorno.EINVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, err := woocommerce.NewClient(s.URL, wootest.DefaultConsumerKey, wootest.DefaultConsumerSecret, true)
			if err != nil {
				t.Fatal(err)
			}
			client.MinInterval, client.AllowInsecure, client.AllowPrivate = 0, c.allowInsecure, true
			before := s.Requests()["/wp-json/wc/v3/orders"]
			got := newCollector()
			err = mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page)
			if ritorno.ErrorCode(err) != c.wantCode {
				t.Fatalf("err = %v; want code %q", err, c.wantCode)
			}
			sent := s.Requests()["/wp-json/wc/v3/orders"] - before
			if c.wantCode != "" && sent != 0 {
				t.Error("a request went out over plain http")
			}
			if c.wantCode == "" && len(got.orders) != 3 {
				t.Errorf("%d orders", len(got.orders))
			}
		})
	}
}

func TestBackfillHonoursRetryAfter(t *testing.T) {
	cases := []struct {
		name   string
		status int
	}{
		{"429 Too Many Requests", http.StatusTooManyRequests},
		{"503 Service Unavailable", http.StatusServiceUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := wootest.Generate(wootest.Gen{Seed: 19, Customers: 2, Orders: 150})
			s, client, sleeps := mustWooStore(t, wootest.Options{Data: d})
			s.FailNext("/wp-json/wc/v3/orders", c.status, 1, 7*time.Second)
			got := newCollector()
			if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, got, idsOf(t, d.Orders))
			if w := sleeps.all(); !slices.Equal(w, []time.Duration{7 * time.Second}) {
				t.Errorf("waits %v; want the 7 s the store asked for", w)
			}
			if n := s.Requests()["/wp-json/wc/v3/orders"]; n != 3 {
				t.Errorf("%d requests, want 2 pages + 1 retry", n)
			}
		})
	}
}

func TestBackfillPacesRequests(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 20, Customers: 2, Orders: 250})
	_, client, sleeps := mustWooStore(t, wootest.Options{Data: d})
	client.MinInterval = time.Hour // every request after the first waits its turn
	got := newCollector()
	if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", got.page); err != nil {
		t.Fatal(err)
	}
	if w := sleeps.all(); len(w) != 2 || w[0] <= 59*time.Minute || w[1] <= 119*time.Minute {
		t.Errorf("waits %v; want the pacing gaps before requests 2 and 3", w)
	}
}

func TestBackfillWebhooksStep(t *testing.T) {
	s, client, _ := mustWooStore(t, wootest.Options{})
	src := mustSource(t, client, nil)
	for range 2 {
		got := newCollector()
		if err := src.RunStep(t.Context(), ritorno.StepWebhooks, "", got.page); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Webhooks()); n != len(woocommerce.DefaultWebhookTopics) {
		t.Errorf("%d webhooks after two runs; EnsureWebhooks creates only what is missing", n)
	}
	before := s.Requests()
	got := newCollector()
	if err := src.RunStep(t.Context(), ritorno.StepWebhooks, "done", got.page); err != nil || len(got.pages) != 0 {
		t.Errorf("resumed at done: %v, %d pages", err, len(got.pages))
	}
	if after := s.Requests(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a finished webhooks step called the store")
	}
	// A read-only key: TestBackfillWithAReadOnlyKey.
}

func TestBackfillRefusesBadInput(t *testing.T) {
	_, client, _ := mustWooStore(t, wootest.Options{})
	cases := []struct {
		name, step, cursor string
		cfg                woocommerce.BackfillConfig
	}{
		{"unknown step", "coupons", "", woocommerce.BackfillConfig{Client: client, ShopCurrency: "USD"}},
		{"cursor not offset:lastID", ritorno.StepOrders, "page-3", woocommerce.BackfillConfig{Client: client, ShopCurrency: "USD"}},
		{"negative cursor", ritorno.StepOrders, "-1:5", woocommerce.BackfillConfig{Client: client, ShopCurrency: "USD"}},
		{"no client", ritorno.StepOrders, "", woocommerce.BackfillConfig{ShopCurrency: "USD"}},
		{"no shop currency for products", ritorno.StepProducts, "", woocommerce.BackfillConfig{Client: client}},
		{"webhooks without a delivery URL", ritorno.StepWebhooks, "", woocommerce.BackfillConfig{Client: client, WebhookSecret: "s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := woocommerce.NewBackfillSource(c.cfg).RunStep(t.Context(), c.step, c.cursor, newCollector().page)
			if ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("err = %v; want EINVALID", err)
			}
		})
	}
}

func TestBackfillPublishedSamples(t *testing.T) {
	d, err := wootest.FromSamples(fixture(t, "woocommerce-order.json"), fixture(t, "woocommerce-product.json"), fixture(t, "woocommerce-customer.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, client, _ := mustWooStore(t, wootest.Options{Data: d})
	src := mustSource(t, client, nil)
	got := newCollector()
	for _, step := range []string{ritorno.StepProducts, ritorno.StepCustomers, ritorno.StepOrders} {
		if err := src.RunStep(t.Context(), step, "", got.page); err != nil {
			t.Fatal(err)
		}
	}
	o, p, c := got.orders[727], got.products[794], got.customers[25]
	if o.Total != usd("29.35") || !o.RefundsComplete || len(p.Variants) != 1 || c.Email != "john.doe@example.com" {
		t.Errorf("order %+v\nproduct %+v\ncustomer %+v", o, p, c)
	}
}

// TestBackfillStoreQuirks: the walk ends cleanly on an empty or finished collection and
// stops with an error, rather than looping or skipping, on a store that ignores offset or
// orderby (as a plugin rewriting the query could).
func TestBackfillStoreQuirks(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 21, Customers: 2, Orders: 250})
	rewrite := func(key, value string) func(*http.Request) {
		return func(r *http.Request) {
			q := r.URL.Query()
			if value == "" {
				q.Del(key)
			} else {
				q.Set(key, value)
			}
			r.URL.RawQuery = q.Encode()
		}
	}
	cases := []struct {
		name      string
		data      wootest.Data
		observe   func(*http.Request)
		resume    bool // run once, then again from the final cursor
		wantCode  string
		wantPages int
		wantMsg   string
	}{
		{name: "empty collection", wantPages: 0},
		{name: "resumed at the end", data: d, resume: true, wantPages: 0},
		{name: "offset ignored", data: d, observe: rewrite("offset", ""), wantCode: ritorno.EINVALID, wantMsg: "does not page by offset"},
		{name: "orderby overridden", data: d, observe: rewrite("order", "desc"), wantCode: ritorno.EINVALID, wantMsg: "id order"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, client, _ := mustWooStore(t, wootest.Options{Data: c.data, Observe: c.observe})
			cursor := ""
			if c.resume {
				first := newCollector()
				if err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, "", first.page); err != nil {
					t.Fatal(err)
				}
				cursor = first.cursor()
			}
			before := s.Requests()["/wp-json/wc/v3/orders"]
			got := newCollector()
			err := mustSource(t, client, nil).RunStep(t.Context(), ritorno.StepOrders, cursor, got.page)
			if ritorno.ErrorCode(err) != c.wantCode || !strings.Contains(ritorno.ErrorMessage(err), c.wantMsg) {
				t.Fatalf("err = %v; want %q %q", err, c.wantCode, c.wantMsg)
			}
			if c.wantCode == "" && len(got.pages) != c.wantPages {
				t.Errorf("%d pages, want %d", len(got.pages), c.wantPages)
			}
			if n := s.Requests()["/wp-json/wc/v3/orders"] - before; n > 12 {
				t.Errorf("%d requests", n)
			}
		})
	}
}

// A read-only key cannot create webhooks: the past is imported anyway, and the backfill
// says that the webhooks must be added by hand.
func TestBackfillWithAReadOnlyKey(t *testing.T) {
	d := wootest.Generate(wootest.Gen{Seed: 5, Products: 2, Customers: 2, Orders: 3})
	s, client, _ := mustWooStore(t, wootest.Options{Data: d, Permissions: "read"})
	src := mustSource(t, client, nil)
	web := newCollector()
	if err := src.RunStep(t.Context(), ritorno.StepWebhooks, "", web.page); err != nil {
		t.Fatal(err)
	}
	if len(web.pages) != 1 || web.cursor() != "done" || !strings.Contains(web.pages[0].Limit, "webhooks") {
		t.Fatalf("webhooks step pages %+v", web.pages)
	}
	if len(s.Webhooks()) != 0 {
		t.Errorf("a read-only key created webhooks")
	}
	orders := newCollector()
	if err := src.RunStep(t.Context(), ritorno.StepOrders, "", orders.page); err != nil || orders.objects() != 3 {
		t.Fatalf("orders with a read-only key: %d, %v", orders.objects(), err)
	}
}
