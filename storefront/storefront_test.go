package storefront

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/web"
)

// Test fixtures: two Shopify shops (one uninstalled), two WooCommerce shops (one
// uninstalled), a stub engine and an event recorder, a clock that tests move.

const (
	sfSecret     = "shpss_test_secret"
	sfPrevSecret = "shpss_old_secret"
	sfWooSecret  = "woo-connection-secret"
	sfWooKey     = "ck_live_key"
)

var sfNow = time.Date(2026, 5, 4, 12, 30, 0, 0, time.UTC)

var sfShops = []ritorno.Shop{
	{ID: 1, Platform: ritorno.Shopify, Domain: "demo.myshopify.com", Status: ritorno.ShopInstalled, Currency: "EUR"},
	{ID: 2, Platform: ritorno.Shopify, Domain: "gone.myshopify.com", Status: ritorno.ShopUninstalled, Currency: "EUR"},
	{ID: 3, Platform: ritorno.WooCommerce, Domain: "https://shop.example", Status: ritorno.ShopInstalled, Currency: "EUR", ConnectionKey: sfWooKey},
	{ID: 4, Platform: ritorno.WooCommerce, Domain: "https://old.example", Status: ritorno.ShopUninstalled, Currency: "EUR", ConnectionKey: "ck_gone"},
}

type stubShops struct{ lookups int }

func (s *stubShops) ShopByDomain(_ context.Context, p ritorno.PlatformName, domain string) (ritorno.Shop, error) {
	s.lookups++
	for _, shop := range sfShops {
		if shop.Platform == p && shop.Domain == domain {
			return shop, nil
		}
	}
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
}

func (s *stubShops) ShopByConnectionKey(_ context.Context, key string) (ritorno.Shop, error) {
	s.lookups++
	for _, shop := range sfShops {
		if shop.ConnectionKey == key {
			return shop, nil
		}
	}
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
}

func (s *stubShops) Credentials(_ context.Context, shopID int64) (ritorno.ShopCredentials, error) {
	return ritorno.ShopCredentials{WebhookSecret: sfWooSecret, ConsumerSecret: "cs_never_shown"}, nil
}

// stubRecommender answers every request with sfItems and remembers the last request.
type stubRecommender struct {
	mu   sync.Mutex
	last recommend.Request
	shop int64
}

var sfItems = []recommend.Item{
	{ProductID: 632910392, VariantID: 808950810, Title: "IPod Nano - 8GB", Handle: "ipod-nano", ImageURL: "https://cdn.example/ipod.jpg",
		Price: ritorno.MustParseMoney("199.00", "EUR"), Kind: recommend.KindCrossSell, Source: ritorno.SourceCrossSell, Score: 0.73,
		Reason: "Bought together by 38 customers", Evidence: recommend.Evidence{Buyers: 38, Orders: 41, Lift: 3.2, Anchor: 7}},
	{ProductID: 921728736, VariantID: 447654529, Title: "IPod Touch 8GB", Handle: "ipod-touch", Price: ritorno.MustParseMoney("299.00", "EUR"),
		Kind: recommend.KindUpSell, Source: recommend.SourceUpSell, Score: 0.4, Reason: "A step up from what you are viewing",
		Evidence: recommend.Evidence{Buyers: 5, PriceRatio: 1.5}},
	{ProductID: 5, VariantID: 0, Title: "No handle", Kind: recommend.KindCrossSell, Reason: "x"},
}

func (r *stubRecommender) Recommend(_ context.Context, shopID int64, req recommend.Request) (recommend.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.shop = req, shopID
	return recommend.Response{Items: sfItems, Notes: []string{"internal note"}}, nil
}

func (r *stubRecommender) lastRequest() (int64, recommend.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shop, r.last
}

type stubEvents struct {
	mu     sync.Mutex
	shop   int64
	events []ritorno.StorefrontEvent
}

func (e *stubEvents) RecordStorefrontEvents(_ context.Context, shopID int64, events []ritorno.StorefrontEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shop, e.events = shopID, append(e.events, events...)
	return nil
}

// sfServer is a router with the storefront routes and what the tests look at.
type sfServer struct {
	router *gin.Engine
	sf     *Storefront
	shops  *stubShops
	recs   *stubRecommender
	events *stubEvents
	now    time.Time
}

func mustServer(t testing.TB, tweak func(*Config)) *sfServer {
	t.Helper()
	gin.SetMode(gin.TestMode)
	srv := &sfServer{shops: &stubShops{}, recs: &stubRecommender{}, events: &stubEvents{}, now: sfNow}
	cfg := Config{Shops: srv.shops, Recommender: srv.recs, Events: srv.events, ShopifySecret: sfSecret,
		ShopifyPreviousSecret: sfPrevSecret, TrackingKey: []byte("tracking-key-for-tests"),
		Limits: Limits{PerAddress: Rate{PerSecond: 1000, Burst: 1000}, PerShop: Rate{PerSecond: 1000, Burst: 1000}},
		Now:    func() time.Time { return srv.now }}
	if tweak != nil {
		tweak(&cfg)
	}
	srv.sf = New(cfg)
	srv.router = gin.New()
	srv.router.Use(web.Recovery())
	srv.sf.Register(srv.router)
	return srv
}

func (s *sfServer) do(t testing.TB, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.router.ServeHTTP(rec, req)
	return rec
}

// proxyQuery returns query (as Shopify forwards it, with shop, path_prefix and timestamp
// added) signed with secret.
func proxyQuery(query url.Values, shop string, ts time.Time, secret string) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = append([]string(nil), v...)
	}
	if shop != "" {
		q.Set("shop", shop)
	}
	q.Set("path_prefix", "/apps/ritorno")
	q.Set("timestamp", strconv.FormatInt(ts.Unix(), 10))
	if _, ok := q["logged_in_customer_id"]; !ok {
		q.Set("logged_in_customer_id", "")
	}
	q.Set("signature", SignProxy(q, secret))
	return q.Encode()
}

// mustIdentityToken signs a WooCommerce shopper identity token as the plugin does.
func mustIdentityToken(t testing.TB, secret, key string, customer int64, iat time.Time) string {
	t.Helper()
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc.EncodeToString([]byte(fmt.Sprintf(`{"iss":"https://shop.example","aud":%q,"sub":"%d","iat":%d,"exp":%d}`,
		key, customer, iat.Unix(), iat.Add(10*time.Minute).Unix())))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(head + "." + claims))
	return head + "." + claims + "." + enc.EncodeToString(mac.Sum(nil))
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// assertNoData checks that a refused request carries an error and nothing else.
func assertNoData(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.String()
	if !strings.Contains(body, `"error"`) || strings.Contains(body, `"items"`) || strings.Contains(body, "IPod") {
		t.Fatalf("refusal body %s", body)
	}
}
