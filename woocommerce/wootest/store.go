// Package wootest is a fake WooCommerce store for tests: the REST API v3 (Basic auth with
// a key pair, paged collections with WordPress's headers, webhooks), the WordPress REST
// index, and the /wc-auth/v1/authorize flow that grants an app a key pair. It follows the
// documented formats and WooCommerce's own code where the two differ, so that the adapter
// and end-to-end tests run against the shapes a real store sends.
package wootest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The key pair a store accepts unless Options name another.
const (
	DefaultConsumerKey    = "ck_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
	DefaultConsumerSecret = "cs_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4"
)

// Options configure a fake store; zero values take the defaults in brackets.
type Options struct {
	ConsumerKey    string // [DefaultConsumerKey]
	ConsumerSecret string // [DefaultConsumerSecret]
	Permissions    string // of that key: read, write or read_write [read_write]
	Name           string // the site title [Fake Store]
	Currency       string // woocommerce_currency [USD]
	Timezone       string // timezone_string; empty means a manual UTC offset (GMTOffset)
	GMTOffset      string // gmt_offset of a manual offset as WordPress stores it: "5.5", "-3" ["0"]
	Data                  // the store's products, variations, customers, orders and refunds
	// HTTPClient makes the store's own requests (the wc-auth callback, webhook deliveries);
	// a test whose callback is an httptest TLS server passes that server's client. [a client
	// with a 60 s timeout, as WooCommerce uses]
	HTTPClient *http.Client
	// DenyAuthorization makes the merchant click "Deny" on the grant screen.
	DenyAuthorization bool
	// Observe, when set, sees every request before the store answers it.
	Observe func(*http.Request)
}

// Store is a running fake store. URL is its site address (no trailing slash).
type Store struct {
	URL string

	srv  *httptest.Server
	opts Options

	mu        sync.Mutex
	keys      []Key
	nextKeyID int64
	coll      map[string]map[int64]*item // products, customers, orders
	children  map[string]map[int64][]*item
	webhooks  []*Webhook
	nextHook  int64
	failures  []failure
	requests  map[string]int
}

// Key is an API key pair of the store.
type Key struct {
	ID             int64
	Description    string
	Permissions    string // read, write or read_write
	ConsumerKey    string
	ConsumerSecret string
}

// Webhook is a webhook registered in the store, with its secret.
type Webhook struct {
	ID          int64
	Name        string
	Status      string // active, paused or disabled
	Topic       string
	DeliveryURL string
	Secret      string
	Created     time.Time
}

type failure struct {
	path       string
	status     int
	retryAfter time.Duration
}

// New starts a fake store over plain http (for clients created with allowInsecure).
func New(t testing.TB, opts Options) *Store { return start(t, opts, false) }

// NewTLS starts a fake store over https; Client trusts its certificate.
func NewTLS(t testing.TB, opts Options) *Store { return start(t, opts, true) }

func start(t testing.TB, opts Options, tls bool) *Store {
	t.Helper()
	if opts.ConsumerKey == "" && opts.ConsumerSecret == "" {
		opts.ConsumerKey, opts.ConsumerSecret = DefaultConsumerKey, DefaultConsumerSecret
	}
	opts.Permissions = cmp(opts.Permissions, "read_write")
	opts.Name = cmp(opts.Name, "Fake Store")
	opts.Currency = cmp(opts.Currency, "USD")
	opts.GMTOffset = cmp(opts.GMTOffset, "0")
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	s := &Store{opts: opts, nextKeyID: 1, nextHook: 1, requests: map[string]int{},
		coll:     map[string]map[int64]*item{"products": {}, "customers": {}, "orders": {}},
		children: map[string]map[int64][]*item{"variations": {}, "refunds": {}},
	}
	s.keys = append(s.keys, Key{ID: s.nextKeyID, Description: "wootest", Permissions: opts.Permissions,
		ConsumerKey: opts.ConsumerKey, ConsumerSecret: opts.ConsumerSecret})
	s.nextKeyID++
	for resource, raws := range map[string][]json.RawMessage{"products": opts.Products, "customers": opts.Customers, "orders": opts.Orders} {
		for _, raw := range raws {
			if err := s.Put(resource, raw); err != nil {
				t.Fatalf("wootest: %v", err)
			}
		}
	}
	for kind, byParent := range map[string]map[int64][]json.RawMessage{"variations": opts.Variations, "refunds": opts.Refunds} {
		for parent, raws := range byParent {
			for _, raw := range raws {
				it, err := parseItem(raw)
				if err != nil {
					t.Fatalf("wootest: %s of %d: %v", kind, parent, err)
				}
				s.children[kind][parent] = append(s.children[kind][parent], it)
			}
		}
	}
	if tls {
		s.srv = httptest.NewTLSServer(s)
	} else {
		s.srv = httptest.NewServer(s)
	}
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Client returns an HTTP client for the store (trusting its certificate when it is TLS).
func (s *Store) Client() *http.Client { return s.srv.Client() }

// FailNext makes the next n requests for path (e.g. "/wp-json/wc/v3/orders"; "" for any
// path) fail with status, before authentication as a proxy or rate limiter would, with a
// Retry-After header of whole seconds when retryAfter is positive.
func (s *Store) FailNext(path string, status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, failure{path: path, status: status, retryAfter: retryAfter})
	}
}

// Requests counts the requests received per URL path, failed and refused ones included.
func (s *Store) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// Put adds or replaces a product, customer or order (resource "products", "customers" or
// "orders") given as its REST JSON object.
func (s *Store) Put(resource string, raw json.RawMessage) error {
	it, err := parseItem(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", resource, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.coll[resource]
	if !ok {
		return fmt.Errorf("wootest: no resource %q", resource)
	}
	c[it.id] = it
	return nil
}

// Remove deletes a product, customer or order for good and reports whether it existed.
func (s *Store) Remove(resource string, id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.coll[resource][id]
	delete(s.coll[resource], id)
	return ok
}

// Webhooks returns the registered webhooks, secrets included, in id order.
func (s *Store) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, 0, len(s.webhooks))
	for _, h := range s.webhooks {
		out = append(out, *h)
	}
	return out
}

// Keys returns the store's API key pairs.
func (s *Store) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys)
}

// ServeHTTP answers as the store.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Observe != nil {
		s.opts.Observe(r)
	}
	s.mu.Lock()
	s.requests[r.URL.Path]++
	i := slices.IndexFunc(s.failures, func(f failure) bool { return f.path == "" || f.path == r.URL.Path })
	var f *failure
	if i >= 0 {
		next := s.failures[i]
		f = &next
		s.failures = slices.Delete(s.failures, i, i+1)
	}
	s.mu.Unlock()
	if f != nil {
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
		}
		restError(w, f.status, "wootest_injected_failure", "Injected by FailNext.", nil)
		return
	}
	switch p := r.URL.Path; {
	case p == "/wp-json" || p == "/wp-json/":
		s.index(w, r)
	case p == "/wc-auth/v1/authorize":
		s.authorize(w, r)
	case strings.HasPrefix(p, "/wp-json/wc/v3/"):
		s.api(w, r, strings.TrimPrefix(p, "/wp-json/wc/v3/"))
	case strings.HasPrefix(p, "/wp-json/"):
		restError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
	default:
		http.NotFound(w, r)
	}
}

// restError writes WordPress's REST error shape {"code","message","data":{"status",…}}.
func restError(w http.ResponseWriter, status int, code, message string, data map[string]any) {
	d := map[string]any{"status": status}
	for k, v := range data {
		d[k] = v
	}
	writeJSON(w, status, map[string]any{"code": code, "message": message, "data": d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// index is the WordPress REST index (GET /wp-json/): public, and filtered by _fields as
// WordPress filters every REST response.
func (s *Store) index(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		// WordPress stores the site title HTML-escaped (sanitize_option runs esc_html).
		"name": html.EscapeString(s.opts.Name), "description": "Just another WordPress site",
		"url": s.URL, "home": s.URL, "timezone_string": s.opts.Timezone,
		"namespaces":     []string{"oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2"},
		"authentication": map[string]any{}, "routes": map[string]any{},
	}
	if s.opts.Timezone != "" {
		// With a named zone WordPress computes gmt_offset, a number; a manual offset is
		// the option as saved, a string.
		off := 0.0
		if loc, err := time.LoadLocation(s.opts.Timezone); err == nil {
			_, secs := time.Now().In(loc).Zone()
			off = float64(secs) / 3600
		}
		doc["gmt_offset"] = off
	} else {
		doc["gmt_offset"] = s.opts.GMTOffset
	}
	if f := r.URL.Query().Get("_fields"); f != "" {
		keep := strings.Split(f, ",")
		for k := range doc {
			if !slices.Contains(keep, k) {
				delete(doc, k)
			}
		}
	}
	writeJSON(w, http.StatusOK, doc)
}

// authenticate checks the key pair as WooCommerce does over HTTPS: query parameters
// first, then Basic auth. An unknown key leaves the request anonymous (the route's
// permission check then refuses it); a known key with a wrong secret, or without the
// permission the method needs, is refused outright. It returns the HTTP status, code and
// message of a refusal, or status 0.
func (s *Store) authenticate(r *http.Request) (status int, code, message string) {
	q := r.URL.Query()
	ck, cs := q.Get("consumer_key"), q.Get("consumer_secret")
	if ck == "" || cs == "" {
		ck, cs, _ = r.BasicAuth()
	}
	i := slices.IndexFunc(s.keys, func(k Key) bool { return ck != "" && k.ConsumerKey == ck })
	if i < 0 || cs == "" {
		var what string
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			code, what = "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
		case http.MethodPost:
			code, what = "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."
		case http.MethodDelete:
			code, what = "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."
		default:
			code, what = "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
		}
		return http.StatusUnauthorized, code, what
	}
	k := s.keys[i]
	if k.ConsumerSecret != cs {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case read && k.Permissions == "write":
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "The API key provided does not have read permissions."
	case !read && k.Permissions == "read":
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions."
	}
	return 0, "", ""
}

func (s *Store) api(w http.ResponseWriter, r *http.Request, route string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	if status, code, message := s.authenticate(r); status != 0 {
		restError(w, status, code, message, nil)
		return
	}
	parts := strings.Split(strings.TrimSuffix(route, "/"), "/")
	id := func(i int) int64 {
		if i >= len(parts) {
			return 0
		}
		n, _ := strconv.ParseInt(parts[i], 10, 64)
		return n
	}
	get := r.Method == http.MethodGet
	switch {
	case get && route == "settings/general":
		s.settings(w)
	case get && len(parts) == 1 && parts[0] == "products":
		s.list(w, r, s.filtered("products", r.URL.Query().Get("status"), ""), crudListing("title", "slug", "price", "popularity", "rating", "menu_order"))
	case get && len(parts) == 1 && parts[0] == "orders":
		s.list(w, r, s.filtered("orders", r.URL.Query().Get("status"), ""), crudListing())
	case get && len(parts) == 1 && parts[0] == "customers":
		s.list(w, r, s.filtered("customers", "", r.URL.Query().Get("role")), listing{"name", "asc", []string{"id", "include", "name", "registered_date"}})
	case get && len(parts) == 2 && (parts[0] == "products" || parts[0] == "orders" || parts[0] == "customers"):
		if it, ok := s.coll[parts[0]][id(1)]; ok {
			writeRaw(w, it.raw)
			return
		}
		restError(w, http.StatusNotFound, invalidID(parts[0]), "Invalid ID.", nil)
	case get && len(parts) == 3 && parts[0] == "products" && parts[2] == "variations":
		s.list(w, r, s.children["variations"][id(1)], crudListing("title", "slug", "menu_order"))
	case get && len(parts) == 3 && parts[0] == "orders" && parts[2] == "refunds":
		if _, ok := s.coll["orders"][id(1)]; !ok {
			restError(w, http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid order ID.", nil)
			return
		}
		s.list(w, r, s.children["refunds"][id(1)], crudListing())
	case get && len(parts) == 4 && (parts[0] == "products" && parts[2] == "variations" || parts[0] == "orders" && parts[2] == "refunds"):
		kind := parts[2]
		if i := slices.IndexFunc(s.children[kind][id(1)], func(it *item) bool { return it.id == id(3) }); i >= 0 {
			writeRaw(w, s.children[kind][id(1)][i].raw)
			return
		}
		restError(w, http.StatusNotFound, "woocommerce_rest_invalid_id", "Invalid ID.", nil)
	case parts[0] == "webhooks":
		s.webhookRoute(w, r, parts, body)
	default:
		restError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
	}
}

func invalidID(resource string) string {
	switch resource {
	case "products":
		return "woocommerce_rest_product_invalid_id"
	case "orders":
		return "woocommerce_rest_shop_order_invalid_id"
	}
	return "woocommerce_rest_invalid_id"
}

func writeRaw(w http.ResponseWriter, raw json.RawMessage) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(raw)
}

// settings is GET settings/general: every general setting as {id, label, …, value}.
func (s *Store) settings(w http.ResponseWriter) {
	setting := func(id, label, typ, def, value string, options map[string]string) map[string]any {
		m := map[string]any{"id": id, "label": label, "description": "", "type": typ, "default": def, "tip": "",
			"value": value, "group_id": "general", "_links": map[string]any{
				"self":       []any{map[string]string{"href": s.URL + "/wp-json/wc/v3/settings/general/" + id}},
				"collection": []any{map[string]string{"href": s.URL + "/wp-json/wc/v3/settings/general"}},
			}}
		if options != nil {
			m["options"] = options
		}
		return m
	}
	writeJSON(w, http.StatusOK, []any{
		setting("woocommerce_store_address", "Address line 1", "text", "", "1 Example Street", nil),
		setting("woocommerce_store_city", "City", "text", "", "Springfield", nil),
		setting("woocommerce_default_country", "Country / State", "select", "US:CA", "US:CA", map[string]string{"US:CA": "United States (US) — California"}),
		setting("woocommerce_currency", "Currency", "select", "USD", s.opts.Currency,
			map[string]string{"USD": "United States (US) dollar ($)", "EUR": "Euro (€)", s.opts.Currency: s.opts.Currency}),
		setting("woocommerce_currency_pos", "Currency position", "select", "left", "left", map[string]string{"left": "Left"}),
		setting("woocommerce_price_thousand_sep", "Thousand separator", "text", ",", ",", nil),
		setting("woocommerce_price_decimal_sep", "Decimal separator", "text", ".", ".", nil),
		setting("woocommerce_price_num_decimals", "Number of decimals", "number", "2", "2", nil),
	})
}

// filtered returns a collection's items that match WooCommerce's default filters: status
// "any" (the default) leaves out trashed products and orders, and role "customer" (the
// default) leaves out users with other roles unless role=all.
func (s *Store) filtered(resource, status, role string) []*item {
	var out []*item
	for _, it := range s.coll[resource] {
		switch resource {
		case "products", "orders":
			if status == "" || status == "any" {
				if it.status == "trash" {
					continue
				}
			} else if !slices.Contains(strings.Split(status, ","), it.status) {
				continue
			}
		case "customers":
			if role == "" {
				role = "customer"
			}
			if role != "all" && cmp(it.role, "customer") != role {
				continue
			}
		}
		out = append(out, it)
	}
	return out
}

// listing is a collection's sorting: its defaults and the orderby values it accepts.
type listing struct {
	orderby, order string
	accepted       []string
}

// crudListing is the sorting of WooCommerce's post-type collections (orderby date, order
// desc by default) with extra accepted orderby values.
func crudListing(extra ...string) listing {
	return listing{"date", "desc", append([]string{"date", "id", "include", "title", "slug", "modified"}, extra...)}
}

// list answers a collection request as WooCommerce does: page (≥ 1), per_page (1–100,
// default 10) or offset select the slice; X-WP-Total and X-WP-TotalPages count the whole
// collection; Link carries rel="prev"/"next". A page past the end is an empty array with
// the same headers (the CRUD controllers recount without LIMIT), not an error.
func (s *Store) list(w http.ResponseWriter, r *http.Request, items []*item, l listing) {
	q := r.URL.Query()
	page, ok := intParam(q, "page", 1)
	if !ok || page < 1 {
		invalidParam(w, "page", "page must be greater than or equal to 1")
		return
	}
	perPage, ok := intParam(q, "per_page", 10)
	if !ok || perPage < 1 || perPage > 100 {
		invalidParam(w, "per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
		return
	}
	offset, ok := intParam(q, "offset", 0)
	if !ok || offset < 0 {
		invalidParam(w, "offset", "offset is not of type integer.")
		return
	}
	order := cmp(q.Get("order"), l.order)
	if order != "asc" && order != "desc" {
		invalidParam(w, "order", "order is not one of asc and desc.")
		return
	}
	orderby := cmp(q.Get("orderby"), l.orderby)
	if !slices.Contains(l.accepted, orderby) {
		invalidParam(w, "orderby", "orderby is not one of "+strings.Join(l.accepted, ", ")+".")
		return
	}
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b *item) int {
		var c int
		switch orderby {
		case "id", "include":
			c = 0
		case "title", "slug", "name":
			c = strings.Compare(a.name, b.name)
		default:
			c = strings.Compare(a.created, b.created)
		}
		if c == 0 {
			c = cmpInt(a.id, b.id)
		}
		if order == "desc" {
			c = -c
		}
		return c
	})
	start := (page - 1) * perPage
	if offset > 0 { // WordPress ignores page when an offset is given
		start = offset
	}
	total := len(sorted)
	pages := (total + perPage - 1) / perPage
	out := sorted[min(start, total):min(start+perPage, total)]

	h := w.Header()
	h.Set("X-WP-Total", strconv.Itoa(total))
	h.Set("X-WP-TotalPages", strconv.Itoa(pages))
	link := func(p int, rel string) {
		lq := cloneQuery(q)
		lq.Set("page", strconv.Itoa(p))
		h.Add("Link", fmt.Sprintf("<%s%s?%s>; rel=%q", s.URL, r.URL.Path, lq.Encode(), rel))
	}
	if page > 1 {
		link(min(page-1, max(pages, 1)), "prev")
	}
	if pages > page {
		link(page+1, "next")
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, it := range out {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(it.raw)
	}
	buf.WriteByte(']')
	writeRaw(w, buf.Bytes())
}

func invalidParam(w http.ResponseWriter, name, why string) {
	restError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+name, map[string]any{"params": map[string]string{name: why}})
}

func intParam(q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// item is a stored REST object with the fields the store filters and sorts on.
type item struct {
	id      int64
	raw     json.RawMessage
	status  string
	role    string
	created string // date_created_gmt text, which sorts like the time
	name    string
}

// parseItem reads what the store needs of an object and keeps its JSON as given. Only the
// id must be right: the other fields may be malformed on purpose, for decoders to refuse.
func parseItem(raw []byte) (*item, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	id, err := strconv.ParseInt(strings.Trim(string(m["id"]), `"`), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("no positive id")
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	it := &item{id: id, raw: append(json.RawMessage(nil), raw...), status: str("status"), role: str("role"),
		created: str("date_created_gmt"), name: str("name")}
	if it.name == "" {
		it.name = strings.TrimSpace(str("first_name") + " " + str("last_name"))
	}
	return it, nil
}
