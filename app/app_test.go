package app_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/web"
	"github.com/ritorno/ritorno/woocommerce"
)

// The platforms are faked around the real shopify and woocommerce functions (token and
// query signatures, authorize URLs, callback parsing); storage is the real store.

const (
	apiKey    = "test-api-key"
	apiSecret = "test-api-secret"
	appURL    = "https://ritorno.test"
	stateKey  = "0123456789abcdef0123456789abcdef-state"
)

// start is the harness clock's first reading; the app, the session tokens and the fakes
// all read the same clock, which tests move forward.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeShopify checks tokens and queries with the shopify package and hands out numbered
// credentials instead of calling Shopify.
type fakeShopify struct {
	clock *clock
	mu    sync.Mutex
	// exchanges counts token exchanges (session token and code) per shop.
	exchanges map[string]int
}

var _ app.ShopifyAuth = (*fakeShopify)(nil)

func (f *fakeShopify) VerifySessionToken(token string) (string, string, error) {
	claims, shop, err := shopify.VerifySessionToken(token, apiKey, apiSecret, f.clock.Now())
	return shop, claims.Sub, err
}

func (f *fakeShopify) VerifyQuery(q url.Values) error {
	return shopify.VerifyCallbackQuery(q, apiSecret)
}

func (f *fakeShopify) AuthorizeURL(shop, redirectURI, state string) string {
	return shopify.AuthorizeURL(shop, apiKey, "read_orders,read_products", redirectURI, state)
}

func (f *fakeShopify) credentials(shop string) ritorno.ShopCredentials {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exchanges[shop]++
	now := f.clock.Now()
	return ritorno.ShopCredentials{AccessToken: fmt.Sprintf("shpat_%s_%d", shop, f.exchanges[shop]), AccessTokenExpiresAt: now.Add(time.Hour),
		RefreshToken: fmt.Sprintf("shprt_%s_%d", shop, f.exchanges[shop]), RefreshTokenExpiresAt: now.Add(90 * 24 * time.Hour), Scopes: "read_orders,read_products"}
}

func (f *fakeShopify) ExchangeSessionToken(_ context.Context, shop, token string) (ritorno.ShopCredentials, error) {
	if got, _, err := f.VerifySessionToken(token); err != nil || got != shop {
		return ritorno.ShopCredentials{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "token exchange refused")
	}
	return f.credentials(shop), nil
}

func (f *fakeShopify) ExchangeCode(_ context.Context, shop, code string) (ritorno.ShopCredentials, error) {
	if code != "good-code" {
		return ritorno.ShopCredentials{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "code refused")
	}
	return f.credentials(shop), nil
}

func (f *fakeShopify) ShopDetails(_ context.Context, shop string, creds ritorno.ShopCredentials) (app.ShopDetails, error) {
	if !strings.HasPrefix(creds.AccessToken, "shpat_"+shop+"_") {
		return app.ShopDetails{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "wrong token")
	}
	return app.ShopDetails{Name: "Shop " + strings.TrimSuffix(shop, ".myshopify.com"), Currency: "EUR", Timezone: "Europe/Rome"}, nil
}

func (f *fakeShopify) exchangesOf(shop string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges[shop]
}

// fakeWoo accepts the key pairs in keys (consumer key → secret) for the store it fronts.
type fakeWoo struct {
	store    string
	mu       sync.Mutex
	keys     map[string]string
	resolver fakeResolver // nil: defaultResolver
}

var _ app.WooConnector = (*fakeWoo)(nil)

func (f *fakeWoo) AuthorizeURL(storeURL, userID, returnURL, callbackURL string) (string, error) {
	return woocommerce.AuthorizeURL(storeURL, "Ritorno", userID, returnURL, callbackURL, woocommerce.ScopeReadWrite)
}

func (f *fakeWoo) ParseCallback(body []byte) (app.WooKeys, error) {
	cb, err := woocommerce.ParseAuthCallback(body)
	return app.WooKeys{KeyID: cb.KeyID, UserID: cb.UserID, ConsumerKey: cb.ConsumerKey, ConsumerSecret: cb.ConsumerSecret, Permissions: cb.KeyPermissions}, err
}

func (f *fakeWoo) StoreDetails(_ context.Context, storeURL, ck, cs string) (app.ShopDetails, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if storeURL != f.store || f.keys[ck] != cs || cs == "" {
		return app.ShopDetails{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "WooCommerce answered 401 to the keys")
	}
	return app.ShopDetails{Name: "Woo Shop", Currency: "EUR", Timezone: "Europe/Rome"}, nil
}

func (f *fakeWoo) NewWebhookSecret() string { return woocommerce.NewWebhookSecret() }

// CheckStoreURL is the real check over a fake resolver: by default shop.example is
// public, localhost and rebind.example resolve to loopback.
func (f *fakeWoo) CheckStoreURL(ctx context.Context, storeURL string) error {
	f.mu.Lock()
	r := f.resolver
	f.mu.Unlock()
	if r == nil {
		r = defaultResolver
	}
	return woocommerce.CheckStoreURL(ctx, storeURL, r)
}

var defaultResolver = fakeResolver{
	"shop.example": {"93.184.215.14"}, "localhost": {"127.0.0.1", "::1"}, "rebind.example": {"93.184.215.14", "127.0.0.1"},
}

// fakeResolver maps host names to addresses.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range r[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (f *fakeWoo) accept(ck, cs string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[ck] = cs
}

// fakeBackfills keeps one backfill per shop and counts the starts that created one.
type fakeBackfills struct {
	clock  *clock
	mu     sync.Mutex
	byShop map[int64]ritorno.Backfill
	starts map[int64]int
}

var _ app.Backfills = (*fakeBackfills)(nil)

func (f *fakeBackfills) StartBackfill(_ context.Context, shopID int64) (ritorno.Backfill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.byShop[shopID]; ok && (b.Status == ritorno.BackfillPending || b.Status == ritorno.BackfillRunning) {
		return b, nil
	}
	b := ritorno.Backfill{ShopID: shopID, Status: ritorno.BackfillPending, StartedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	f.byShop[shopID] = b
	f.starts[shopID]++
	return b, nil
}

func (f *fakeBackfills) Backfill(_ context.Context, shopID int64) (ritorno.Backfill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.byShop[shopID]; ok {
		return b, nil
	}
	return ritorno.Backfill{}, ritorno.Errorf(ritorno.ENOTFOUND, "backfill not found")
}

func (f *fakeBackfills) set(b ritorno.Backfill) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byShop[b.ShopID] = b
}

func (f *fakeBackfills) startsOf(shopID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts[shopID]
}

type harness struct {
	t         *testing.T
	db        *store.DB
	clock     *clock
	shopify   *fakeShopify
	woo       *fakeWoo
	backfills *fakeBackfills
	h         http.Handler
	requests  int
}

// mustHarness serves a fully configured App over db; edit adjusts its Config.
func mustHarness(t *testing.T, db *store.DB, edit ...func(*app.Config)) *harness {
	t.Helper()
	gin.SetMode(gin.TestMode)
	clk := &clock{t: start}
	h := &harness{t: t, db: db, clock: clk,
		shopify:   &fakeShopify{clock: clk, exchanges: map[string]int{}},
		woo:       &fakeWoo{store: "https://shop.example", keys: map[string]string{}},
		backfills: &fakeBackfills{clock: clk, byShop: map[int64]ritorno.Backfill{}, starts: map[int64]int{}},
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := app.Config{AppURL: appURL, ShopifyAPIKey: apiKey, ShopifyScopes: "read_orders,read_products", StateKey: []byte(stateKey),
		Shopify: h.shopify, WooCommerce: h.woo, Shops: db, Backfills: h.backfills, Log: log, Now: clk.Now}
	for _, e := range edit {
		e(&cfg)
	}
	r := gin.New()
	r.Use(web.RequestIDs(log), web.Recovery())
	app.New(cfg).Register(r)
	h.h = r
	return h
}

// do sends a request; header pairs follow the body.
func (h *harness) do(method, target, body string, header ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	// Each request comes from its own address, so that the connect flow's rate limit
	// (per address) does not meet a test's many requests; TestWooConnectRateLimit
	// sends from one.
	h.requests++
	req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4321", h.requests/250%250, h.requests%250+1)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, req)
	return w
}

func (h *harness) get(target string, header ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(http.MethodGet, target, "", header...)
}

// claims are a valid session token's claims for shop at the harness's time.
func (h *harness) claims(shop string) shopify.SessionClaims {
	now := h.clock.Now()
	return shopify.SessionClaims{Iss: "https://" + shop + "/admin", Dest: "https://" + shop, Aud: apiKey, Sub: "42",
		Jti: "jti-" + shop, Sid: "sid", Exp: now.Add(time.Minute).Unix(), Nbf: now.Add(-time.Second).Unix(), Iat: now.Unix()}
}

func (h *harness) token(shop string) string {
	return shopify.SignSessionToken(h.claims(shop), apiSecret)
}

// load opens the app in the admin of shop, as Shopify does after a managed install.
func (h *harness) load(shop string) *httptest.ResponseRecorder {
	h.t.Helper()
	q := url.Values{"shop": {shop}, "embedded": {"1"}, "host": {base64.RawURLEncoding.EncodeToString([]byte("admin.shopify.com/store/x"))},
		"id_token": {h.token(shop)}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}}
	q.Set("hmac", shopify.SignCallbackQuery(q, apiSecret))
	return h.get("/?" + q.Encode())
}

// mustInstall installs shop through the embedded load and returns it.
func (h *harness) mustInstall(shop string) ritorno.Shop {
	h.t.Helper()
	if w := h.load(shop); w.Code != http.StatusOK {
		h.t.Fatalf("load of %s answered %d: %s", shop, w.Code, w.Body)
	}
	return h.mustShop(ritorno.Shopify, shop)
}

func (h *harness) mustShop(p ritorno.PlatformName, domain string) ritorno.Shop {
	h.t.Helper()
	s, err := h.db.ShopByDomain(context.Background(), p, domain)
	if err != nil {
		h.t.Fatalf("shop %s: %v", domain, err)
	}
	return s
}

func (h *harness) mustCredentials(shopID int64) ritorno.ShopCredentials {
	h.t.Helper()
	c, err := h.db.Credentials(context.Background(), shopID)
	if err != nil {
		h.t.Fatalf("credentials: %v", err)
	}
	return c
}

func mustBody(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	b, err := io.ReadAll(w.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantError checks an error answer's status and JSON code.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status || !strings.Contains(w.Body.String(), `"code":"`+code+`"`) {
		t.Fatalf("answered %d %s, want %d with code %s", w.Code, w.Body, status, code)
	}
}
