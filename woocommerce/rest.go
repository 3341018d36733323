package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// REST API v3 client: the backfill pages through orders, customers and products with it,
// and the install flow registers Ritorno's webhooks with it.

const (
	apiPath           = "/wp-json/wc/v3/"
	maxPerPage        = 100 // WordPress REST refuses per_page above 100
	defaultInterval   = 200 * time.Millisecond
	defaultRetries    = 4
	defaultTimeout    = 60 * time.Second // shared hosting can take seconds for a page of 100 orders
	firstBackoff      = time.Second
	maxBackoff        = 30 * time.Second
	maxRetryAfter     = 5 * time.Minute // longer waits go back to the job scheduler, not a blocked worker
	maxResponseBytes  = 32 << 20
	maxErrorBodyBytes = 8 << 10
)

// DefaultWebhookTopics are the topics Ritorno subscribes a store to: every change to the
// orders, customers and products that make up purchase histories.
var DefaultWebhookTopics = []string{
	"order.created", "order.updated", "order.deleted", "order.restored",
	"customer.created", "customer.updated", "customer.deleted",
	"product.created", "product.updated", "product.deleted", "product.restored",
}

// Client calls one store's WooCommerce REST API v3 with an API key pair. Fields may be
// adjusted after NewClient; it is safe for concurrent use.
type Client struct {
	StoreURL       string // normalized by NewClient: scheme://host[/subdirectory], no trailing slash
	ConsumerKey    string // ck_…
	ConsumerSecret string // cs_…; sent only in the Authorization header, never in URLs, errors or logs
	HTTP           *http.Client
	// AllowInsecure permits a plain-http StoreURL, for a local test store only: WooCommerce
	// accepts Basic auth only over HTTPS, so a real store on http would refuse the key anyway.
	AllowInsecure bool
	// AllowPrivate permits connections to loopback, private, link-local and reserved
	// addresses, for a local test store only; without it every connection, after DNS
	// resolution, must reach a public address (see PublicAddress), and an HTTP transport
	// other than *http.Transport is refused because its dialling cannot be checked.
	AllowPrivate bool
	MinInterval  time.Duration                              // politeness gap between requests to the store [200ms]
	MaxRetries   int                                        // retries after a 429, a 5xx or a network error [4]
	Sleep        func(context.Context, time.Duration) error // waits for backoff and pacing; tests inject it

	mu   sync.Mutex
	next time.Time // earliest start of the next request (pacing)
	// hc is the client built from HTTP and AllowPrivate, kept so that connections are
	// reused; it is rebuilt when either changes.
	hc        *http.Client
	hcFrom    *http.Client
	hcPrivate bool
}

// NewClient validates the store URL and the key pair and returns a client with defaults.
// The store URL may omit the scheme ("shop.example" means https) and may carry the
// subdirectory WordPress is installed in.
func NewClient(storeURL, consumerKey, consumerSecret string, allowInsecure bool) (*Client, error) {
	u, err := normalizeStoreURL(storeURL, allowInsecure)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(consumerKey) == "" || strings.TrimSpace(consumerSecret) == "" {
		return nil, ritorno.Errorf(ritorno.EINVALID, "WooCommerce consumer key and secret are required")
	}
	return &Client{
		StoreURL: u, ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, AllowInsecure: allowInsecure,
		HTTP: &http.Client{Timeout: defaultTimeout}, MinInterval: defaultInterval, MaxRetries: defaultRetries,
		Sleep: sleepCtx,
	}, nil
}

// String names the store only, so that printing a client never prints its secret.
func (c *Client) String() string { return "woocommerce.Client(" + c.StoreURL + ")" }

// LogValue keeps the key pair out of structured logs.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// normalizeStoreURL returns scheme://host[/path] in lower case without a trailing slash.
// User info, queries and fragments are refused: they would end up in request URLs and
// therefore in error messages.
func normalizeStoreURL(raw string, allowHTTP bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ritorno.Errorf(ritorno.EINVALID, "the store URL is required")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", ritorno.Errorf(ritorno.EINVALID, "the store URL is not a valid URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", ritorno.Errorf(ritorno.EINVALID, "the store URL must not carry credentials, a query or a fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !allowHTTP {
			return "", ritorno.Errorf(ritorno.EINVALID, "WooCommerce REST needs HTTPS")
		}
	default:
		return "", ritorno.Errorf(ritorno.EINVALID, "the store URL must start with https://")
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// resourcePath is a relative REST route such as "orders" or "products/12/variations";
// anything else could step outside /wc/v3/.
var resourcePath = regexp.MustCompile(`^[a-z0-9_-]+(/[a-z0-9_-]+)*$`)

// Page fetches one page of a collection (per_page at most 100). totalPages and total come
// from X-WP-TotalPages and X-WP-Total; they are -1 when a proxy stripped the headers.
func (c *Client) Page(ctx context.Context, resource string, page, perPage int, params url.Values) (items []json.RawMessage, totalPages int, total int, err error) {
	if page < 1 || perPage < 1 || perPage > maxPerPage {
		return nil, 0, 0, ritorno.Errorf(ritorno.EINVALID, "page must be ≥ 1 and per_page within 1..%d", maxPerPage)
	}
	q := cloneValues(params)
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(perPage))
	h, body, err := c.do(ctx, http.MethodGet, resource, q, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, 0, 0, notJSON(resource)
	}
	return items, headerInt(h, "X-WP-TotalPages"), headerInt(h, "X-WP-Total"), nil
}

// Walk reads a collection page by page (100 items each) from startPage through the last
// page, calling fn after each one so that the caller can save the page number as a
// checkpoint and resume there after a crash. Unless params say otherwise the order is
// orderby=id&order=asc: new items land on the last pages, so earlier page numbers stay
// valid while the walk runs.
func (c *Client) Walk(ctx context.Context, resource string, params url.Values, startPage int, fn func(page int, items []json.RawMessage) error) error {
	q := cloneValues(params)
	if q.Get("orderby") == "" {
		q.Set("orderby", "id")
	}
	if q.Get("order") == "" {
		q.Set("order", "asc")
	}
	for page := max(startPage, 1); ; page++ {
		items, totalPages, _, err := c.Page(ctx, resource, page, maxPerPage, q)
		if err != nil {
			if page > 1 && pastLastPage(err) {
				return nil // resumed beyond the end: nothing left
			}
			return err
		}
		if len(items) == 0 {
			return nil
		}
		if err := fn(page, items); err != nil {
			return err
		}
		// The total is re-read on every page: orders placed during the walk extend it.
		if (totalPages >= 0 && page >= totalPages) || (totalPages < 0 && len(items) < maxPerPage) {
			return nil
		}
	}
}

// Webhook is a webhook registered in a store. Its secret is never returned by the API.
type Webhook struct {
	ID          int64
	Name        string
	Status      string // active, paused or disabled (after repeated delivery failures)
	Topic       string
	DeliveryURL string
}

type webhookPayload struct {
	ID          payload.ID `json:"id"`
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Topic       string     `json:"topic"`
	DeliveryURL string     `json:"delivery_url"`
}

func (p webhookPayload) webhook() Webhook {
	return Webhook{ID: int64(p.ID), Name: p.Name, Status: p.Status, Topic: p.Topic, DeliveryURL: p.DeliveryURL}
}

// CreateWebhook registers an active webhook delivering topic to deliveryURL, signed with
// secret, and returns its id. WooCommerce pings deliveryURL with "webhook_id=N" before it
// answers.
func (c *Client) CreateWebhook(ctx context.Context, topic, deliveryURL, secret, name string) (int64, error) {
	if topic == "" || deliveryURL == "" || secret == "" {
		return 0, ritorno.Errorf(ritorno.EINVALID, "a webhook needs a topic, a delivery URL and a secret")
	}
	req := map[string]string{"name": name, "topic": topic, "delivery_url": deliveryURL, "secret": secret, "status": "active"}
	_, body, err := c.do(ctx, http.MethodPost, "webhooks", nil, req)
	if err != nil {
		return 0, err
	}
	var p webhookPayload
	if err := payload.Decode(body, &p, "webhook"); err != nil || p.ID == 0 {
		return 0, notJSON("webhooks")
	}
	return int64(p.ID), nil
}

// ListWebhooks returns every webhook of the store, whatever its status.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	err := c.Walk(ctx, "webhooks", url.Values{"status": {"all"}}, 1, func(_ int, items []json.RawMessage) error {
		for _, raw := range items {
			var p webhookPayload
			if err := payload.Decode(raw, &p, "webhook"); err != nil {
				return err
			}
			out = append(out, p.webhook())
		}
		return nil
	})
	return out, err
}

// DeleteWebhook deletes a webhook for good (webhooks cannot be trashed, so force=true).
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	if id <= 0 {
		return ritorno.Errorf(ritorno.EINVALID, "webhook id must be positive")
	}
	_, _, err := c.do(ctx, http.MethodDelete, "webhooks/"+strconv.FormatInt(id, 10), url.Values{"force": {"true"}}, nil)
	return err
}

// EnsureWebhooks makes the store deliver each topic to deliveryURL, creating only the
// missing subscriptions; run twice it changes nothing. A matching webhook (same topic and
// delivery URL) that is paused or was disabled by WooCommerce after failed deliveries is
// re-activated with secret, since the store would otherwise stay silent. The API never
// shows a webhook's secret, so an active match is trusted to carry the current one: to
// rotate the secret, delete Ritorno's webhooks first.
func (c *Client) EnsureWebhooks(ctx context.Context, deliveryURL, secret string, topics []string) error {
	if deliveryURL == "" || secret == "" {
		return ritorno.Errorf(ritorno.EINVALID, "a delivery URL and a secret are required")
	}
	existing, err := c.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	byTopic := map[string]Webhook{}
	for _, w := range existing {
		if w.DeliveryURL != deliveryURL {
			continue
		}
		t := strings.ToLower(w.Topic)
		if prev, ok := byTopic[t]; !ok || (prev.Status != "active" && w.Status == "active") {
			byTopic[t] = w
		}
	}
	for _, topic := range topics {
		w, ok := byTopic[strings.ToLower(topic)]
		switch {
		case !ok:
			id, err := c.CreateWebhook(ctx, topic, deliveryURL, secret, "Ritorno "+topic)
			if err != nil {
				return fmt.Errorf("webhook %s: %w", topic, err)
			}
			byTopic[strings.ToLower(topic)] = Webhook{ID: id, Topic: topic, DeliveryURL: deliveryURL, Status: "active"}
		case w.Status != "active":
			body := map[string]string{"status": "active", "secret": secret}
			if _, _, err := c.do(ctx, http.MethodPut, "webhooks/"+strconv.FormatInt(w.ID, 10), nil, body); err != nil {
				return fmt.Errorf("webhook %s: %w", topic, err)
			}
		}
	}
	return nil
}

// apiError is a refused request: its *ritorno.Error carries the code and a safe message,
// and WooCommerce's own error code (e.g. "rest_no_route") stays available to this package.
type apiError struct {
	status int
	wcCode string
	err    *ritorno.Error
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// wcErrorCode is the shape of WooCommerce's error code slug; anything else is not echoed.
var wcErrorCode = regexp.MustCompile(`^[a-z0-9_]{1,80}$`)

func newAPIError(method, resource string, resp *http.Response, body []byte) *apiError {
	var wc struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &wc)
	if !wcErrorCode.MatchString(wc.Code) {
		wc.Code = ""
	}
	e := &apiError{status: resp.StatusCode, wcCode: wc.Code}
	what := fmt.Sprintf("woocommerce %s %s: HTTP %d", method, resource, resp.StatusCode)
	if wc.Code != "" {
		what += " (" + wc.Code + ")"
	}
	switch s := resp.StatusCode; {
	case s >= 300 && s < 400:
		// Redirects are not followed: Basic credentials must not travel to another address.
		e.err = ritorno.Errorf(ritorno.EINVALID, "%s: the store redirects to %.100q; use that address as the store URL", what, redirectHost(resp))
	case s == http.StatusUnauthorized:
		e.err = ritorno.Errorf(ritorno.EUNAUTHORIZED, "%s: the store refused the API key (revoked, wrong, or the server drops the Authorization header)", what)
	case s == http.StatusForbidden:
		e.err = ritorno.Errorf(ritorno.EFORBIDDEN, "%s: the API key lacks the permission", what)
	case s == http.StatusNotFound && wc.Code == "rest_no_route":
		e.err = ritorno.Errorf(ritorno.ENOTFOUND, "%s: no such route (is WooCommerce active, with permalinks other than Plain?)", what)
	case s == http.StatusNotFound || s == http.StatusGone:
		e.err = ritorno.Errorf(ritorno.ENOTFOUND, "%s", what)
	case s == http.StatusTooManyRequests:
		e.err = ritorno.Errorf(ritorno.ERATELIMITED, "%s", what)
	case s >= 500:
		e.err = ritorno.Errorf(ritorno.EUNAVAILABLE, "%s", what)
	default:
		e.err = ritorno.Errorf(ritorno.EINVALID, "%s", what)
	}
	return e
}

func redirectHost(resp *http.Response) string {
	if loc, err := resp.Location(); err == nil {
		return loc.Scheme + "://" + loc.Host
	}
	return ""
}

// pastLastPage recognises WordPress's answer to a page number beyond the last page.
func pastLastPage(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.status == http.StatusBadRequest && strings.HasSuffix(e.wcCode, "invalid_page_number")
}

func notJSON(resource string) error {
	return ritorno.Errorf(ritorno.EINVALID, "woocommerce %s: the store did not answer with WooCommerce JSON (a security plugin, a cache, or Plain permalinks?)", resource)
}

// do sends one API request with Basic auth, pacing and retries, and returns the headers
// and body of a 2xx answer. GET, PUT and DELETE are idempotent and retried after a 429, a
// 5xx or a network error; POST only after a 429, since a 5xx or a lost answer may come
// after WooCommerce acted (EnsureWebhooks, re-run later, covers that case).
func (c *Client) do(ctx context.Context, method, resource string, query url.Values, reqBody any) (http.Header, []byte, error) {
	base, err := normalizeStoreURL(c.StoreURL, c.AllowInsecure)
	if err != nil {
		return nil, nil, err
	}
	if !resourcePath.MatchString(resource) {
		return nil, nil, ritorno.Errorf(ritorno.EINVALID, "woocommerce resource %.60q is not a REST route", resource)
	}
	target := base + apiPath + resource
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var encoded []byte
	if reqBody != nil {
		if encoded, err = json.Marshal(reqBody); err != nil {
			return nil, nil, err
		}
	}
	idempotent := method != http.MethodPost
	hc, err := c.httpClient()
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		if err := c.pace(ctx); err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(encoded))
		if err != nil {
			return nil, nil, ritorno.Errorf(ritorno.EINVALID, "woocommerce %s %s: bad request", method, resource)
		}
		req.SetBasicAuth(c.ConsumerKey, c.ConsumerSecret)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "Ritorno (+woocommerce)")
		if encoded != nil {
			req.Header.Set("Content-Type", "application/json")
		}

		var failure error
		var retry bool
		var wait time.Duration
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if errors.Is(err, errPrivateAddress) {
				return nil, nil, privateAddressError()
			}
			// The transport error names the URL, which holds no credentials (see normalizeStoreURL).
			failure = fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "woocommerce %s %s: store unreachable", method, resource), err)
			retry = idempotent
		} else {
			ok := resp.StatusCode >= 200 && resp.StatusCode < 300
			limit := int64(maxErrorBodyBytes)
			if ok {
				limit = maxResponseBytes
			}
			body, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
			resp.Body.Close()
			switch {
			case ok && readErr == nil && int64(len(body)) > limit:
				return nil, nil, ritorno.Errorf(ritorno.EINVALID, "woocommerce %s %s: answer larger than %d bytes", method, resource, limit)
			case ok && readErr == nil:
				return resp.Header, body, nil
			case ok:
				failure = fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "woocommerce %s %s: answer cut short", method, resource), readErr)
				retry = idempotent
			default:
				failure = newAPIError(method, resource, resp, body)
				retry = resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode >= 500 && idempotent)
				wait = retryAfter(resp.Header)
			}
		}
		if !retry || attempt >= c.MaxRetries {
			return nil, nil, failure
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if wait > maxRetryAfter {
			return nil, nil, fmt.Errorf("asked to retry after %s: %w", wait.Round(time.Second), failure)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// httpClient is c.HTTP (or a default) with redirects turned off, since Go keeps the
// Authorization header on a same-host redirect even from https to http (and a redirect
// is a way to point the server elsewhere), and, unless AllowPrivate, restricted to
// public addresses (publicOnly).
func (c *Client) httpClient() (*http.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hc != nil && c.hcFrom == c.HTTP && c.hcPrivate == c.AllowPrivate {
		return c.hc, nil
	}
	hc := http.Client{Timeout: defaultTimeout}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if !c.AllowPrivate {
		var err error
		if hc, err = publicOnly(hc); err != nil {
			return nil, err
		}
	}
	c.hc, c.hcFrom, c.hcPrivate = &hc, c.HTTP, c.AllowPrivate
	return c.hc, nil
}

// pace spaces requests MinInterval apart, reserving a start time per caller so that
// concurrent callers queue instead of bursting.
func (c *Client) pace(ctx context.Context) error {
	if c.MinInterval <= 0 {
		return nil
	}
	c.mu.Lock()
	now := time.Now()
	start := c.next
	if start.Before(now) {
		start = now
	}
	c.next = start.Add(c.MinInterval)
	c.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		return c.sleep(ctx, d)
	}
	return nil
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is 1s, 2s, 4s … capped at 30s. No jitter: each store is its own server, and the
// pacing already spreads one store's callers.
func backoff(attempt int) time.Duration {
	d := firstBackoff
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// retryAfter reads Retry-After in seconds or as an HTTP date; 0 if absent or unreadable.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func headerInt(h http.Header, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
