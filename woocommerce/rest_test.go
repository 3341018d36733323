package woocommerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
)

const (
	testKey    = "ck_0123456789abcdef0123456789abcdef01234567"
	testSecret = "cs_fedcba9876543210fedcba9876543210fedcba98"
)

// fakeWC answers like a WooCommerce REST API v3: Basic auth over the test server's TLS,
// JSON errors {"code","message","data":{"status"}}, paged collections with X-WP-Total and
// X-WP-TotalPages, and webhooks that can be created, listed, updated and deleted.
type fakeWC struct {
	mu       sync.Mutex
	orders   []json.RawMessage // sorted by id
	webhooks []fakeWebhook
	nextID   int64
	failures []failure // answered, in order, before serving normally
	requests []string  // "METHOD path?query" of every request that passed auth
	bodies   []string  // bodies of writes
	attempts int       // every request, authenticated or not
}

type failure struct {
	status     int
	retryAfter string
	code       string
}

type fakeWebhook struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Topic       string `json:"topic"`
	DeliveryURL string `json:"delivery_url"`
	secret      string
}

func wcError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%q,"message":"test","data":{"status":%d}}`, code, status)
}

func (f *fakeWC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if user, pass, ok := r.BasicAuth(); !ok || user != testKey || pass != testSecret {
		wcError(w, http.StatusUnauthorized, "woocommerce_rest_authentication_error")
		return
	}
	if len(f.failures) > 0 {
		fl := f.failures[0]
		f.failures = f.failures[1:]
		if fl.retryAfter != "" {
			w.Header().Set("Retry-After", fl.retryAfter)
		}
		wcError(w, fl.status, cmpOr(fl.code, "test_failure"))
		return
	}
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	route, ok := strings.CutPrefix(r.URL.Path, "/wp-json/wc/v3/")
	if !ok {
		wcError(w, http.StatusNotFound, "rest_no_route")
		return
	}
	var body bytes.Buffer
	body.ReadFrom(r.Body)
	if body.Len() > 0 {
		f.bodies = append(f.bodies, body.String())
	}
	switch {
	case r.Method == http.MethodGet && route == "orders":
		f.page(w, r, f.orders)
	case r.Method == http.MethodGet && route == "webhooks":
		var items []json.RawMessage
		for _, h := range f.webhooks {
			raw, _ := json.Marshal(h) // the API never shows the secret
			items = append(items, raw)
		}
		f.page(w, r, items)
	case r.Method == http.MethodPost && route == "webhooks":
		var in struct {
			Name        string `json:"name"`
			Topic       string `json:"topic"`
			DeliveryURL string `json:"delivery_url"`
			Secret      string `json:"secret"`
		}
		if json.Unmarshal(body.Bytes(), &in) != nil || in.Topic == "" || !strings.HasPrefix(in.DeliveryURL, "https://") {
			wcError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic")
			return
		}
		f.nextID++
		h := fakeWebhook{ID: f.nextID, Name: in.Name, Status: "active", Topic: in.Topic, DeliveryURL: in.DeliveryURL, secret: in.Secret}
		f.webhooks = append(f.webhooks, h)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(h)
	case strings.HasPrefix(route, "webhooks/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(route, "webhooks/"), 10, 64)
		i := slices.IndexFunc(f.webhooks, func(h fakeWebhook) bool { return h.ID == id })
		switch {
		case i < 0:
			wcError(w, http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id")
		case r.Method == http.MethodDelete && r.URL.Query().Get("force") != "true":
			wcError(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported")
		case r.Method == http.MethodDelete:
			json.NewEncoder(w).Encode(f.webhooks[i])
			f.webhooks = slices.Delete(f.webhooks, i, i+1)
		case r.Method == http.MethodPut:
			var in struct {
				Status string `json:"status"`
				Secret string `json:"secret"`
			}
			json.Unmarshal(body.Bytes(), &in)
			f.webhooks[i].Status, f.webhooks[i].secret = cmpOr(in.Status, f.webhooks[i].Status), cmpOr(in.Secret, f.webhooks[i].secret)
			json.NewEncoder(w).Encode(f.webhooks[i])
		}
	default:
		wcError(w, http.StatusNotFound, "rest_no_route")
	}
}

// page serves items the way WordPress collections do: per_page 1..100 (default 10),
// totals in headers, an empty array past the end.
func (f *fakeWC) page(w http.ResponseWriter, r *http.Request, items []json.RawMessage) {
	q := r.URL.Query()
	page, perPage := atoiOr(q.Get("page"), 1), atoiOr(q.Get("per_page"), 10)
	if page < 1 || perPage < 1 || perPage > 100 {
		wcError(w, http.StatusBadRequest, "rest_invalid_param")
		return
	}
	if q.Get("order") == "desc" {
		items = slices.Clone(items)
		slices.Reverse(items)
	}
	w.Header().Set("X-WP-Total", strconv.Itoa(len(items)))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa((len(items)+perPage-1)/perPage))
	from, to := min((page-1)*perPage, len(items)), min(page*perPage, len(items))
	out := items[from:to]
	if out == nil {
		out = []json.RawMessage{}
	}
	json.NewEncoder(w).Encode(out)
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sleeps records the waits a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// mustFakeStore starts an HTTPS fake store holding n orders (copies of the docs' order
// with ids 1..n) and a client for it with no pacing and recorded sleeps.
func mustFakeStore(t *testing.T, n int) (*fakeWC, *woocommerce.Client, *sleeps) {
	t.Helper()
	f := &fakeWC{nextID: 100}
	base := fixture(t, "woocommerce-order.json")
	for id := 1; id <= n; id++ {
		dec := json.NewDecoder(bytes.NewReader(base))
		dec.UseNumber() // keep amounts and ids exactly as published
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		o["id"], o["number"] = id, strconv.Itoa(id)
		raw, _ := json.Marshal(o)
		f.orders = append(f.orders, raw)
	}
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	c, err := woocommerce.NewClient(srv.URL, testKey, testSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.HTTP, c.MinInterval, c.Sleep, c.AllowPrivate = srv.Client(), 0, s.sleep, true // a local test store
	return f, c, s
}

func (f *fakeWC) fail(fl ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fl...)
}

func (f *fakeWC) log() (requests []string, attempts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests), f.attempts
}

func TestClientAuth(t *testing.T) {
	f, c, s := mustFakeStore(t, 3)
	if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err != nil {
		t.Fatalf("right key: %v", err)
	}
	c.ConsumerSecret = "cs_wrong-secret-value"
	_, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil)
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("wrong key: %v, want EUNAUTHORIZED", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), testKey) {
		t.Errorf("error leaks the key pair: %v", err)
	}
	if _, attempts := f.log(); attempts != 2 || len(s.got()) != 0 {
		t.Errorf("a 401 is not retried: %d attempts, sleeps %v", attempts, s.got())
	}
	if got := fmt.Sprint(c); strings.Contains(got, "cs_") || strings.Contains(got, "ck_") {
		t.Errorf("printing the client shows its keys: %s", got)
	}
}

func TestPageHeadersAndDecode(t *testing.T) {
	_, c, _ := mustFakeStore(t, 250)
	var ids []int64
	for page, want := range map[int]int{1: 100, 2: 100, 3: 50} {
		items, totalPages, total, err := c.Page(t.Context(), "orders", page, 100, url.Values{"orderby": {"id"}, "order": {"asc"}})
		if err != nil || len(items) != want || totalPages != 3 || total != 250 {
			t.Fatalf("page %d: %d items, %d pages, %d total, %v", page, len(items), totalPages, total, err)
		}
		for _, raw := range items {
			// A REST order is the same object as an order.* webhook body.
			o, err := woocommerce.DecodeOrder(raw)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			if o.Total != usd("29.35") || len(o.LineItems) == 0 {
				t.Fatalf("order %d decoded as %+v", o.PlatformID, o)
			}
			ids = append(ids, o.PlatformID)
		}
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 250 || ids[0] != 1 || ids[len(ids)-1] != 250 {
		t.Errorf("pages did not cover orders 1..250 once each")
	}
	if _, _, _, err := c.Page(t.Context(), "orders", 1, 101, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("per_page 101: %v", err)
	}
	if _, _, _, err := c.Page(t.Context(), "../wp/v2/users", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("a route outside wc/v3 was requested: %v", err)
	}
}

func TestWalk(t *testing.T) {
	f, c, _ := mustFakeStore(t, 250)
	var pages []int
	var first int64
	err := c.Walk(t.Context(), "orders", url.Values{"status": {"completed"}}, 1, func(page int, items []json.RawMessage) error {
		pages = append(pages, page)
		if page == 1 {
			o, err := woocommerce.DecodeOrder(items[0])
			if err != nil {
				return err
			}
			first = o.PlatformID
		}
		return nil
	})
	if err != nil || !slices.Equal(pages, []int{1, 2, 3}) || first != 1 {
		t.Fatalf("walk: pages %v, first id %d, %v", pages, first, err)
	}
	requests, _ := f.log()
	q, _ := url.ParseQuery(strings.SplitN(requests[0], "?", 2)[1])
	if q.Get("orderby") != "id" || q.Get("order") != "asc" || q.Get("per_page") != "100" || q.Get("status") != "completed" {
		t.Errorf("walk query %v: want orderby=id, order=asc, per_page=100 and the caller's filters", q)
	}

	// Resuming from a saved checkpoint reads only the pages after it.
	pages = nil
	err = c.Walk(t.Context(), "orders", nil, 2, func(page int, items []json.RawMessage) error {
		pages = append(pages, page)
		return nil
	})
	if err != nil || !slices.Equal(pages, []int{2, 3}) {
		t.Errorf("resume from 2: pages %v, %v", pages, err)
	}
	// A checkpoint past the end (the walk had finished) reads nothing.
	err = c.Walk(t.Context(), "orders", nil, 9, func(int, []json.RawMessage) error { t.Error("called past the end"); return nil })
	if err != nil {
		t.Error(err)
	}
	// The callback's error stops the walk and comes back unchanged.
	stop := errors.New("stop")
	pages = nil
	err = c.Walk(t.Context(), "orders", nil, 1, func(page int, _ []json.RawMessage) error { pages = append(pages, page); return stop })
	if !errors.Is(err, stop) || len(pages) != 1 {
		t.Errorf("callback error: %v after pages %v", err, pages)
	}
}

func TestRetries(t *testing.T) {
	t.Run("429 waits Retry-After", func(t *testing.T) {
		f, c, s := mustFakeStore(t, 5)
		f.fail(failure{status: http.StatusTooManyRequests, retryAfter: "7"})
		items, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil)
		if err != nil || len(items) != 5 {
			t.Fatalf("after 429: %d items, %v", len(items), err)
		}
		if got := s.got(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
			t.Errorf("waits %v, want [7s]", got)
		}
	})
	t.Run("5xx retried with backoff", func(t *testing.T) {
		f, c, s := mustFakeStore(t, 5)
		f.fail(failure{status: 500}, failure{status: 502})
		if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err != nil {
			t.Fatal(err)
		}
		if got := s.got(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
			t.Errorf("waits %v, want [1s 2s]", got)
		}
	})
	t.Run("5xx gives up after MaxRetries", func(t *testing.T) {
		f, c, _ := mustFakeStore(t, 5)
		c.MaxRetries = 2
		f.fail(failure{status: 503}, failure{status: 503}, failure{status: 503}, failure{status: 503})
		_, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil)
		if _, attempts := f.log(); ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE || attempts != 3 {
			t.Errorf("%v after %d attempts, want EUNAVAILABLE after 3", err, attempts)
		}
	})
	t.Run("400 not retried", func(t *testing.T) {
		f, c, s := mustFakeStore(t, 5)
		f.fail(failure{status: 400, code: "rest_invalid_param"})
		_, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil)
		if _, attempts := f.log(); ritorno.ErrorCode(err) != ritorno.EINVALID || attempts != 1 || len(s.got()) != 0 {
			t.Errorf("%v after %d attempts and waits %v", err, attempts, s.got())
		}
		if !strings.Contains(ritorno.ErrorMessage(err), "rest_invalid_param") {
			t.Errorf("message %q does not name WooCommerce's code", ritorno.ErrorMessage(err))
		}
	})
	t.Run("POST not retried after 500", func(t *testing.T) {
		f, c, _ := mustFakeStore(t, 0)
		f.fail(failure{status: 500})
		_, err := c.CreateWebhook(t.Context(), "order.created", "https://ritorno.example/wc", "s", "n")
		if _, attempts := f.log(); ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE || attempts != 1 {
			t.Errorf("%v after %d attempts: the store may have created it, so no blind retry", err, attempts)
		}
	})
	t.Run("long Retry-After goes back to the caller", func(t *testing.T) {
		f, c, s := mustFakeStore(t, 5)
		f.fail(failure{status: 429, retryAfter: "3600"})
		_, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil)
		if ritorno.ErrorCode(err) != ritorno.ERATELIMITED || len(s.got()) != 0 {
			t.Errorf("%v, waits %v", err, s.got())
		}
	})
	t.Run("errors map to codes", func(t *testing.T) {
		for status, want := range map[int]string{403: ritorno.EFORBIDDEN, 404: ritorno.ENOTFOUND, 409: ritorno.EINVALID} {
			f, c, _ := mustFakeStore(t, 1)
			f.fail(failure{status: status})
			if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); ritorno.ErrorCode(err) != want {
				t.Errorf("HTTP %d: %v, want %s", status, err, want)
			}
		}
	})
}

func TestPacing(t *testing.T) {
	_, c, s := mustFakeStore(t, 1)
	c.MinInterval = 200 * time.Millisecond
	for range 2 {
		if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.got(); len(got) != 1 || got[0] <= 0 || got[0] > 200*time.Millisecond {
		t.Errorf("waits %v: want one wait of at most 200ms before the second request", got)
	}
}

func TestHTTPSRequired(t *testing.T) {
	for _, u := range []string{"http://shop.example", "ftp://shop.example", "https://user:pw@shop.example", "https://shop.example/?a=1", ""} {
		if _, err := woocommerce.NewClient(u, testKey, testSecret, false); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%q accepted: %v", u, err)
		}
	}
	if _, err := woocommerce.NewClient("http://shop.example", testKey, testSecret, false); ritorno.ErrorMessage(err) != "WooCommerce REST needs HTTPS" {
		t.Errorf("message: %v", err)
	}
	c, err := woocommerce.NewClient(" Shop.Example/store/ ", testKey, testSecret, false)
	if err != nil || c.StoreURL != "https://shop.example/store" {
		t.Errorf("normalized to %q, %v", c.StoreURL, err)
	}
	// A client built by hand is held to the same rule on every request.
	hand := &woocommerce.Client{StoreURL: "http://127.0.0.1:1", ConsumerKey: testKey, ConsumerSecret: testSecret}
	if _, _, _, err := hand.Page(t.Context(), "orders", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("hand-built http client: %v", err)
	}
	// AllowInsecure: a local plain-http test store.
	f := &fakeWC{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err = woocommerce.NewClient(srv.URL, testKey, testSecret, true)
	if err != nil {
		t.Fatal(err)
	}
	c.MinInterval, c.AllowPrivate = 0, true
	if _, total, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err != nil || total != 0 {
		t.Errorf("insecure local store: %d pages, %v", total, err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var leaked bool
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, leaked = r.BasicAuth()
		w.Write([]byte("[]"))
	}))
	t.Cleanup(other.Close)
	redirecting := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(redirecting.Close)
	c, err := woocommerce.NewClient(redirecting.URL, testKey, testSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP, c.MinInterval, c.AllowPrivate = redirecting.Client(), 0, true
	_, _, _, err = c.Page(t.Context(), "orders", 1, 10, nil)
	if ritorno.ErrorCode(err) != ritorno.EINVALID || leaked {
		t.Errorf("redirect: %v, credentials sent on: %v", err, leaked)
	}
}

func TestNotAWooCommerceAnswer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>Welcome to my blog</html>"))
	}))
	t.Cleanup(srv.Close)
	c, _ := woocommerce.NewClient(srv.URL, testKey, testSecret, false)
	c.HTTP, c.MinInterval, c.AllowPrivate = srv.Client(), 0, true
	if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("HTML answer: %v", err)
	}
	_, c2, _ := mustFakeStore(t, 0)
	if _, _, _, err := c2.Page(t.Context(), "no_such_route", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.ENOTFOUND ||
		!strings.Contains(ritorno.ErrorMessage(err), "permalinks") {
		t.Errorf("rest_no_route: %v", err)
	}
}

func TestEnsureWebhooks(t *testing.T) {
	const delivery = "https://ritorno.example/webhooks/woocommerce/42"
	f, c, _ := mustFakeStore(t, 0)
	f.webhooks = []fakeWebhook{
		{ID: 1, Name: "ours", Status: "active", Topic: "order.created", DeliveryURL: delivery, secret: "s1"},
		{ID: 2, Name: "someone else's", Status: "active", Topic: "order.updated", DeliveryURL: "https://other.example/hook"},
		{ID: 3, Name: "ours, disabled after failures", Status: "disabled", Topic: "product.deleted", DeliveryURL: delivery, secret: "old"},
	}
	secret := woocommerce.NewWebhookSecret()
	if err := c.EnsureWebhooks(t.Context(), delivery, secret, woocommerce.DefaultWebhookTopics); err != nil {
		t.Fatal(err)
	}
	hooks, err := c.ListWebhooks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]woocommerce.Webhook{}
	for _, h := range hooks {
		if h.DeliveryURL == delivery {
			if _, dup := ours[h.Topic]; dup {
				t.Errorf("two webhooks for %s", h.Topic)
			}
			ours[h.Topic] = h
		}
	}
	for _, topic := range woocommerce.DefaultWebhookTopics {
		if h, ok := ours[topic]; !ok || h.Status != "active" {
			t.Errorf("%s: %+v", topic, h)
		}
	}
	if len(hooks) != 12 || ours["order.created"].ID != 1 || ours["product.deleted"].ID != 3 {
		t.Errorf("want the 9 missing topics created and ids 1 and 3 kept; got %d webhooks", len(hooks))
	}
	f.mu.Lock()
	created := 0
	for _, h := range f.webhooks {
		if h.ID > 100 && h.secret != secret {
			t.Errorf("webhook %d created with another secret", h.ID)
		}
		if h.ID > 100 {
			created++
		}
	}
	if f.webhooks[2].secret != secret {
		t.Error("the re-activated webhook keeps its old secret")
	}
	var sample map[string]string
	json.Unmarshal([]byte(f.bodies[0]), &sample)
	f.mu.Unlock()
	if created != 9 || sample["status"] != "active" || sample["topic"] == "" || sample["delivery_url"] != delivery || sample["name"] == "" {
		t.Errorf("%d created; first body %v", created, sample)
	}

	// A second run writes nothing.
	before, _ := f.log()
	if err := c.EnsureWebhooks(t.Context(), delivery, secret, woocommerce.DefaultWebhookTopics); err != nil {
		t.Fatal(err)
	}
	after, _ := f.log()
	for _, r := range after[len(before):] {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("second run wrote: %s", r)
		}
	}

	if err := c.DeleteWebhook(t.Context(), ours["order.deleted"].ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(t.Context(), ours["order.deleted"].ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
	if err := c.EnsureWebhooks(t.Context(), delivery, secret, woocommerce.DefaultWebhookTopics); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := c.ListWebhooks(t.Context()); len(hooks) != 12 {
		t.Errorf("after deleting one, Ensure should recreate it: %d webhooks", len(hooks))
	}
}

func TestListWebhooksPages(t *testing.T) {
	f, c, _ := mustFakeStore(t, 0)
	for i := range 230 {
		f.webhooks = append(f.webhooks, fakeWebhook{ID: int64(i + 1), Status: "active", Topic: "order.created", DeliveryURL: "https://x.example/" + strconv.Itoa(i)})
	}
	hooks, err := c.ListWebhooks(t.Context())
	if err != nil || len(hooks) != 230 || hooks[229].ID != 230 {
		t.Errorf("%d webhooks, %v", len(hooks), err)
	}
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	f, c, _ := mustFakeStore(t, 1)
	c.Sleep = nil // the real, context-aware wait
	f.fail(failure{status: 503, retryAfter: "60"})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, _, _, err := c.Page(ctx, "orders", 1, 10, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v, want the context's error", err)
	}
}
