// Package shopifytest is a fake Shopify for end-to-end tests: one httptest server that
// plays the token endpoint (authorization-code grant, token exchange, expiring offline
// tokens with refresh rotation), the Admin GraphQL API (cost-based leaky bucket, the shop
// query, bulk operations with their JSONL results, an order's refunds) and the sender of
// signed webhooks. It follows Shopify's documented formats (protocols §1, §4, §7) so that
// the real clients of package shopify work against it unchanged, and it signs with the
// same code the product verifies with.
//
// Every shop lives under its own path prefix, BaseURL(shop) = URL + "/shops/" + shop,
// which fits both shopify.TokenClient.BaseURL and shopify.GraphQLClient.BaseURL. Test
// hooks (SetNow, ThrottleNext, FailNext, FailBulk, FinishBulk) make the awkward answers
// happen on demand, and Stats counts what the app asked for.
package shopifytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// APIVersion is the Admin API version the fake reports in webhook headers and that the
// clients it builds use; the GraphQL endpoint accepts any well-formed version.
const APIVersion = "2026-07"

// DefaultScopes are the scopes a shop grants when ShopOptions.Scopes is empty: enough for
// a backfill, but without read_all_orders, so only the last 60 days of orders export.
const DefaultScopes = "read_customers,read_orders,read_products"

// Server is a running fake Shopify. Its methods are safe for concurrent use; it is closed
// by the test's cleanup.
type Server struct {
	URL               string // the httptest server's base URL
	APIKey, APISecret string // the app's credentials: tokens are only granted to them

	t    testing.TB
	srv  *httptest.Server
	http *http.Client // sends webhooks
	wg   sync.WaitGroup

	mu         sync.Mutex
	now        func() time.Time
	shops      map[string]*shop
	codes      map[string]string // unused authorization code → shop
	access     map[string]*grant // access token → its grant
	refresh    map[string]*grant // refresh token → its grant
	costs      []queryCost
	webhookURL string
	results    map[string][]byte // bulk result file name → JSONL
	serial     int64             // for bulk operation ids
	stats      Stats
}

// Stats counts what the app did against the fake.
type Stats struct {
	CodeGrants     int // authorization codes exchanged for a token
	Exchanges      int // session tokens exchanged for a token (token exchange)
	Refreshes      int // successful refreshes
	RefreshReuses  int // refreshes refused because the token's replacement was already used
	TokenRefusals  int // every other refused token request (secret, code, session token, unknown or expired refresh token)
	GraphQLCalls   int // requests to the GraphQL endpoint, whatever their answer
	Throttled      int // answers throttled (by the bucket or by ThrottleNext)
	BulkStarted    int // bulk operations started
	BulkDownloads  int // bulk result files served
	WebhooksSent   int // webhook deliveries the app answered with 2xx
	WebhooksFailed int // deliveries answered otherwise or not at all
}

// ShopOptions describe a fake shop. Zero fields take the documented defaults.
type ShopOptions struct {
	Name     string   // "": the domain's first label
	Currency string   // ISO 4217; "": USD
	Timezone string   // IANA; "": UTC
	Scopes   []string // granted access scopes; empty: DefaultScopes
	// BulkPolls is how many status polls a bulk operation takes to end (the first ones
	// answer RUNNING, the last COMPLETED or FAILED); 0: 2.
	BulkPolls int
	// Seed makes the interleaving of bulk results (children apart from their parents)
	// differ between shops while staying deterministic.
	Seed uint64
	Data
}

// Data is a shop's catalog, customers and orders, in the domain's own types (the fake
// renders them in Shopify's GraphQL shapes). Objects with a DeletedAt are not exported.
type Data struct {
	Products  []ritorno.Product
	Customers []ritorno.Customer
	Orders    []Order
}

// Order is a shop's order with what the domain type keeps only hashed: the buyer's
// e-mail address, which Shopify's Order.email carries.
type Order struct {
	ritorno.Order
	Email string
}

// shop is one fake shop's state.
type shop struct {
	domain    string
	id        int64
	opts      ShopOptions
	bucket    bucket
	throttleN int       // answers still to throttle
	failN     int       // answers still to fail with failCode
	failCode  int       // the status for failN
	failBulk  string    // errorCode for the next bulk operation; "" none
	bulk      []*bulkOp // operations, oldest first
	current   *bulkOp   // the query operation in progress, if any
	scopes    []string  // normalized
	loc       *time.Location
}

// New starts a fake Shopify for the app (apiKey, apiSecret), closed when t ends.
func New(t testing.TB, apiKey, apiSecret string) *Server {
	t.Helper()
	if apiKey == "" || apiSecret == "" {
		t.Fatal("shopifytest.New: the app needs an API key and secret")
	}
	s := &Server{
		APIKey: apiKey, APISecret: apiSecret, t: t,
		now:     time.Now,
		shops:   map[string]*shop{},
		codes:   map[string]string{},
		access:  map[string]*grant{},
		refresh: map[string]*grant{},
		results: map[string][]byte{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /shops/{shop}/admin/oauth/access_token", s.handleToken)
	mux.HandleFunc("GET /shops/{shop}/admin/oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /shops/{shop}/admin/api/{version}/graphql.json", s.handleGraphQL)
	mux.HandleFunc("GET /bulk/{file}", s.handleBulkResult)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.http = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() {
		s.wg.Wait() // webhooks in flight finish (or fail) before the server goes
		s.srv.Close()
	})
	return s
}

// BaseURL is the root of shop's endpoints on the fake, for TokenClient.BaseURL (as the
// method value s.BaseURL) and GraphQLClient.BaseURL.
func (s *Server) BaseURL(shop string) string { return s.URL + "/shops/" + shop }

// Client is an HTTP client for the fake's server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// TokenClient returns the product's token client, pointed at the fake and on its clock.
func (s *Server) TokenClient() *shopify.TokenClient {
	return &shopify.TokenClient{APIKey: s.APIKey, APISecret: s.APISecret, HTTP: s.Client(), BaseURL: s.BaseURL, Now: s.Now}
}

// GraphQLClient returns the product's GraphQL client for shop, pointed at the fake and on
// its clock. With a clock set by SetNow, also set Sleep to advance that clock: the
// bucket refills by the fake's time, not the wall clock.
func (s *Server) GraphQLClient(shop, token string) *shopify.GraphQLClient {
	return &shopify.GraphQLClient{Shop: shop, Token: token, APIVersion: APIVersion, HTTP: s.Client(),
		BaseURL: s.BaseURL(shop), Now: s.Now}
}

// SetNow replaces the fake's clock (time.Now by default): token lifetimes, the rate-limit
// bucket's refill, the 60-day order window and webhook timestamps all read it. now is
// called under the fake's lock: it must not call back into the Server.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Now is the fake's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// AddShop installs a shop (name.myshopify.com) with opts; adding a known domain again
// replaces its options and data and keeps its tokens, bucket and bulk operations.
func (s *Server) AddShop(domain string, opts ShopOptions) {
	s.t.Helper()
	domain = strings.ToLower(domain)
	if err := ritorno.ValidateShopifyDomain(domain); err != nil {
		s.t.Fatalf("shopifytest.AddShop: %v", err)
	}
	if opts.Name == "" {
		opts.Name, _, _ = strings.Cut(domain, ".")
	}
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	if err := ritorno.ValidateCurrency(opts.Currency); err != nil {
		s.t.Fatalf("shopifytest.AddShop: %v", err)
	}
	if opts.Timezone == "" {
		opts.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(opts.Timezone)
	if err != nil {
		s.t.Fatalf("shopifytest.AddShop: timezone %q: %v", opts.Timezone, err)
	}
	scopes := opts.Scopes
	if len(scopes) == 0 {
		scopes = strings.Split(DefaultScopes, ",")
	}
	if opts.BulkPolls <= 0 {
		opts.BulkPolls = 2
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[domain]
	if sh == nil {
		s.serial++
		sh = &shop{domain: domain, id: 68000000000 + s.serial}
		s.shops[domain] = sh
	}
	sh.opts, sh.scopes, sh.loc = opts, append([]string(nil), scopes...), loc
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// shopFor is the known shop a request's path names; nil when unknown. Call with mu held.
func (s *Server) shopFor(r *http.Request) *shop {
	return s.shops[strings.ToLower(r.PathValue("shop"))]
}

// hasScope reports whether the shop granted scope. Call with mu held.
func (sh *shop) hasScope(scope string) bool { return slices.Contains(sh.scopes, scope) }

// randomHex returns n random bytes in hex, for tokens, codes and ids.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// uuid returns a random version-4 UUID, the shape of Shopify's webhook and event ids.
func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
