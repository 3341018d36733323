package app_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func TestEmbeddedLoadInstallsOnce(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		const domain = "alpha.myshopify.com"
		w := h.load(domain)
		if w.Code != http.StatusOK {
			t.Fatalf("first load answered %d: %s", w.Code, w.Body)
		}
		if got, want := w.Header().Get("Content-Security-Policy"), "frame-ancestors https://alpha.myshopify.com https://admin.shopify.com;"; got != want {
			t.Fatalf("CSP %q, want %q", got, want)
		}
		page := mustBody(t, w)
		for _, want := range []string{`<meta name="shopify-api-key" content="test-api-key">`,
			`<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>`, "Shop alpha", `api("/api/admin/shop")`, `return fetch(path, init);`} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if n := h.shopify.exchangesOf(domain); n != 1 {
			t.Fatalf("%d token exchanges, want 1", n)
		}
		shop := h.mustShop(ritorno.Shopify, domain)
		if shop.Status != ritorno.ShopInstalled || shop.Name != "Shop alpha" || shop.Currency != "EUR" || shop.Timezone != "Europe/Rome" || !shop.InstalledAt.Equal(start) {
			t.Fatalf("stored %+v", shop)
		}
		creds := h.mustCredentials(shop.ID)
		if creds.AccessToken != "shpat_alpha.myshopify.com_1" || creds.RefreshToken != "shprt_alpha.myshopify.com_1" || creds.AccessTokenExpiresAt.IsZero() {
			t.Fatalf("credentials read back %v", creds.AccessTokenExpiresAt)
		}
		if raw := storetest.AllRows(t, db, "shop_credentials", shop.ID); strings.Contains(raw, "shpat_") || strings.Contains(raw, "shprt_") {
			t.Fatal("a token is stored in clear")
		}
		if n := h.backfills.startsOf(shop.ID); n != 1 {
			t.Fatalf("%d backfills started, want 1", n)
		}

		if w := h.load(domain); w.Code != http.StatusOK {
			t.Fatalf("second load answered %d", w.Code)
		}
		if n := h.shopify.exchangesOf(domain); n != 1 {
			t.Fatalf("the second load exchanged again (%d exchanges)", n)
		}
		if n := h.backfills.startsOf(shop.ID); n != 1 {
			t.Fatalf("the second load started another backfill (%d)", n)
		}
	})
}

func TestEmbeddedLoadReinstalls(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cases := []struct {
			name  string
			spoil func(h *harness, shop ritorno.Shop)
		}{
			{"uninstalled shop", func(h *harness, shop ritorno.Shop) {
				if err := db.UninstallShop(ctx, shop.ID, h.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}},
			{"refresh token expired", func(h *harness, shop ritorno.Shop) {
				c := h.mustCredentials(shop.ID)
				c.AccessTokenExpiresAt, c.RefreshTokenExpiresAt = h.clock.Now().Add(-time.Hour), h.clock.Now().Add(-time.Minute)
				if err := db.SetCredentials(ctx, shop.ID, c); err != nil {
					t.Fatal(err)
				}
			}},
			{"redacted shop", func(h *harness, shop ritorno.Shop) {
				if err := db.UninstallShop(ctx, shop.ID, h.clock.Now()); err != nil {
					t.Fatal(err)
				}
				if err := db.RedactShop(ctx, shop.ID); err != nil {
					t.Fatal(err)
				}
			}},
			{"no access token", func(h *harness, shop ritorno.Shop) {
				if err := db.SetCredentials(ctx, shop.ID, ritorno.ShopCredentials{}); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := mustHarness(t, db)
				domain := "re" + strconv.Itoa(i) + ".myshopify.com"
				shop := h.mustInstall(domain)
				b, _ := h.backfills.Backfill(ctx, shop.ID)
				b.Status = ritorno.BackfillDone
				h.backfills.set(b)
				h.clock.Add(time.Hour)
				c.spoil(h, shop)

				w := h.load(domain)
				if w.Code != http.StatusOK {
					t.Fatalf("load answered %d: %s", w.Code, w.Body)
				}
				if n := h.shopify.exchangesOf(domain); n != 2 {
					t.Fatalf("%d exchanges, want 2", n)
				}
				got := h.mustShop(ritorno.Shopify, domain)
				if got.ID != shop.ID || got.Status != ritorno.ShopInstalled {
					t.Fatalf("shop after the load: %+v", got)
				}
				if creds := h.mustCredentials(shop.ID); creds.AccessToken != "shpat_"+domain+"_2" {
					t.Fatal("the new token was not stored")
				}
				if n := h.backfills.startsOf(shop.ID); n != 2 {
					t.Fatalf("%d backfills started, want 2", n)
				}
			})
		}
	})
}

func TestEmbeddedLoadRefusals(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		other := h.claims("alpha.myshopify.com")
		other.Aud = "another-app"
		cases := []struct {
			name  string
			query url.Values
		}{
			{"token of another app", url.Values{"shop": {"alpha.myshopify.com"}, "id_token": {shopify.SignSessionToken(other, apiSecret)}}},
			{"token for another shop", url.Values{"shop": {"alpha.myshopify.com"}, "id_token": {h.token("beta.myshopify.com")}}},
			{"garbage token", url.Values{"shop": {"alpha.myshopify.com"}, "id_token": {"x.y.z"}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w := h.get("/?" + c.query.Encode())
				wantError(t, w, http.StatusUnauthorized, ritorno.EUNAUTHORIZED)
				if csp := w.Header().Get("Content-Security-Policy"); csp != "frame-ancestors 'none';" {
					t.Fatalf("CSP %q on an unverified page", csp)
				}
				if n := h.shopify.exchangesOf("alpha.myshopify.com") + h.shopify.exchangesOf("beta.myshopify.com"); n != 0 {
					t.Fatalf("%d exchanges after a refused load", n)
				}
			})
		}
	})
}

// signedQuery is a query as Shopify signs it, at the real time (the shopify package checks
// the timestamp against the wall clock).
func signedQuery(params ...string) url.Values {
	q := url.Values{"timestamp": {strconv.FormatInt(time.Now().Unix(), 10)},
		"host": {base64.RawURLEncoding.EncodeToString([]byte("admin.shopify.com/store/x"))}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	q.Set("hmac", shopify.SignCallbackQuery(q, apiSecret))
	return q
}

func TestAppURLWithoutToken(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		h.mustInstall("alpha.myshopify.com")
		tampered := signedQuery("shop", "alpha.myshopify.com")
		tampered.Set("shop", "beta.myshopify.com")
		cases := []struct {
			name     string
			query    url.Values
			status   int
			location string
		}{
			{"installed shop goes to its admin", signedQuery("shop", "alpha.myshopify.com"), 302, "https://alpha.myshopify.com/admin/apps/test-api-key"},
			{"unknown shop installs", signedQuery("shop", "beta.myshopify.com"), 302, "/auth/shopify?shop=beta.myshopify.com"},
			{"tampered query", tampered, 401, ""},
			{"unsigned query", url.Values{"shop": {"alpha.myshopify.com"}}, 401, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w := h.get("/?" + c.query.Encode())
				if w.Code != c.status || w.Header().Get("Location") != c.location {
					t.Fatalf("answered %d to %q, want %d to %q", w.Code, w.Header().Get("Location"), c.status, c.location)
				}
			})
		}

		t.Run("embedded without a token bounces", func(t *testing.T) {
			q := signedQuery("shop", "alpha.myshopify.com", "embedded", "1")
			w := h.get("/?" + q.Encode())
			if w.Code != http.StatusFound {
				t.Fatalf("answered %d", w.Code)
			}
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil || loc.Path != "/auth/session-token-bounce" {
				t.Fatalf("redirected to %q", w.Header().Get("Location"))
			}
			reload := loc.Query().Get("shopify-reload")
			if !strings.HasPrefix(reload, appURL+"/?") || !strings.Contains(reload, "shop=alpha.myshopify.com") {
				t.Fatalf("shopify-reload %q", reload)
			}
			w = h.get(loc.String())
			page := mustBody(t, w)
			if w.Code != http.StatusOK || !strings.Contains(page, "app-bridge.js") || !strings.Contains(page, `content="test-api-key"`) {
				t.Fatalf("bounce page answered %d: %s", w.Code, page)
			}
			if csp := w.Header().Get("Content-Security-Policy"); csp != "frame-ancestors https://alpha.myshopify.com https://admin.shopify.com;" {
				t.Fatalf("bounce CSP %q", csp)
			}
		})
		t.Run("bounce refuses a foreign reload URL", func(t *testing.T) {
			// Known bypasses of a pattern match: browsers drop tabs and newlines and read "\"
			// as "/", so each of these could leave the app (issue 13, defect 10).
			for _, reload := range []string{"https://evil.example/?x=1", "//evil.example/", "https://ritorno.test.evil.example/",
				"/\t/evil.example/x", "/\n/evil.example/x", "/\r/evil.example/x", "\t//evil.example/x", "/ /evil.example",
				"/\\evil.example", "\\/evil.example", "\\\\evil.example", "/%09/evil.example/x", "/%0a/evil.example",
				"/%2F%2Fevil.example/x", "/%2f/evil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "https:evil.example",
				"https:/evil.example", "http://evil.example", "javascript:alert(1)", "evil.example/x", "", "/\x00/evil",
				"/\u00a0/evil", "/\u2028/evil", "/\xff", appURL + "@evil.example/", appURL + ".evil.example/",
				appURL + "//evil.example/", appURL + "/\t/evil.example", appURL, "/x?a=b c", "/%zz",
				"/" + strings.Repeat("a", 5000)} {
				q := url.Values{"shop": {"alpha.myshopify.com"}, "shopify-reload": {reload}}
				w := h.get("/auth/session-token-bounce?" + q.Encode())
				if w.Code != http.StatusBadRequest {
					t.Errorf("reload %q answered %d, want 400", reload, w.Code)
				}
			}
		})
		t.Run("bounce accepts the app's own paths", func(t *testing.T) {
			for _, reload := range []string{"/", "/?shop=alpha.myshopify.com&embedded=1", "/api/admin/shop", "/a/b%20c?x=%2F%2F",
				"/a//b", appURL + "/", appURL + "/?embedded=1&host=YWRtaW4", appURL + "/app#top"} {
				q := url.Values{"shop": {"alpha.myshopify.com"}, "shopify-reload": {reload}}
				if w := h.get("/auth/session-token-bounce?" + q.Encode()); w.Code != http.StatusOK {
					t.Errorf("reload %q answered %d, want 200", reload, w.Code)
				}
			}
		})
	})
}

func TestLandingPage(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		w := h.get("/")
		page := mustBody(t, w)
		if w.Code != http.StatusOK || !strings.Contains(page, `action="/auth/shopify"`) || !strings.Contains(page, `href="/woocommerce/connect"`) {
			t.Fatalf("landing answered %d: %s", w.Code, page)
		}
		if csp := w.Header().Get("Content-Security-Policy"); csp != "frame-ancestors 'none';" {
			t.Fatalf("CSP %q", csp)
		}
	})
}

func TestShopDomainRefused(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		for _, shop := range []string{"evil.com/x.myshopify.com", "x.myshopify.com.evil.com", "https://x.myshopify.com",
			"x.myshopify.com@evil.com", "x.myshopify.com:443", "-x.myshopify.com", "x..myshopify.com", "evil.com#x.myshopify.com", ""} {
			t.Run(shop, func(t *testing.T) {
				w := h.get("/auth/shopify?" + url.Values{"shop": {shop}}.Encode())
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
				if len(w.Result().Cookies()) != 0 {
					t.Fatal("a refused shop got a state cookie")
				}
				q := signedQuery("shop", shop, "code", "good-code", "state", "s")
				wantError(t, h.get("/auth/shopify/callback?"+q.Encode()), http.StatusBadRequest, ritorno.EINVALID)
			})
		}
		t.Run("bare name from the form", func(t *testing.T) {
			w := h.do(http.MethodPost, "/auth/shopify", "shop=Alpha", "Content-Type", "application/x-www-form-urlencoded")
			if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), "https://alpha.myshopify.com/admin/oauth/authorize?") {
				t.Fatalf("answered %d to %q", w.Code, w.Header().Get("Location"))
			}
		})
	})
}

// begin starts the code grant for shop and returns the state cookie and nonce.
func (h *harness) begin(shop string) (*http.Cookie, string) {
	h.t.Helper()
	w := h.get("/auth/shopify?shop=" + shop)
	if w.Code != http.StatusFound {
		h.t.Fatalf("begin answered %d: %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Host != shop || loc.Path != "/admin/oauth/authorize" {
		h.t.Fatalf("redirected to %q", w.Header().Get("Location"))
	}
	if got := loc.Query().Get("redirect_uri"); got != appURL+"/auth/shopify/callback" {
		h.t.Fatalf("redirect_uri %q", got)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "ritorno_shopify_state" {
		h.t.Fatalf("cookies %v", cookies)
	}
	return cookies[0], loc.Query().Get("state")
}

func (h *harness) callback(q url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/auth/shopify/callback?"+q.Encode(), nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, req)
	return w
}

func TestCodeGrant(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		const domain = "alpha.myshopify.com"
		cookie, nonce := h.begin(domain)
		if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/auth/shopify" || cookie.MaxAge != 600 {
			t.Fatalf("state cookie attributes %+v", cookie)
		}
		q := signedQuery("shop", domain, "code", "good-code", "state", nonce)
		w := h.callback(q, cookie)
		if w.Code != http.StatusFound || w.Header().Get("Location") != "https://alpha.myshopify.com/admin/apps/test-api-key" {
			t.Fatalf("callback answered %d to %q: %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != "ritorno_shopify_state" || c[0].MaxAge >= 0 {
			t.Fatalf("the state cookie was not cleared: %v", c)
		}
		shop := h.mustShop(ritorno.Shopify, domain)
		if creds := h.mustCredentials(shop.ID); creds.AccessToken != "shpat_alpha.myshopify.com_1" {
			t.Fatal("the exchanged token was not stored")
		}
		if n := h.backfills.startsOf(shop.ID); n != 1 {
			t.Fatalf("%d backfills started", n)
		}

		t.Run("replayed callback", func(t *testing.T) {
			wantError(t, h.callback(q, cookie), http.StatusForbidden, ritorno.EFORBIDDEN)
			if n := h.shopify.exchangesOf(domain); n != 1 {
				t.Fatalf("the replay exchanged a code (%d exchanges)", n)
			}
		})
	})
}

func TestCodeGrantRefusals(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		const domain = "alpha.myshopify.com"
		cases := []struct {
			name   string
			run    func(h *harness) *httptest.ResponseRecorder
			status int
			code   string
		}{
			{"tampered hmac", func(h *harness) *httptest.ResponseRecorder {
				cookie, nonce := h.begin(domain)
				q := signedQuery("shop", domain, "code", "good-code", "state", nonce)
				q.Set("code", "other-code")
				return h.callback(q, cookie)
			}, 401, ritorno.EUNAUTHORIZED},
			{"missing cookie", func(h *harness) *httptest.ResponseRecorder {
				_, nonce := h.begin(domain)
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", nonce), nil)
			}, 401, ritorno.EUNAUTHORIZED},
			{"cookie for another shop", func(h *harness) *httptest.ResponseRecorder {
				cookie, nonce := h.begin("beta.myshopify.com")
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", nonce), cookie)
			}, 403, ritorno.EFORBIDDEN},
			{"state of another attempt", func(h *harness) *httptest.ResponseRecorder {
				cookie, _ := h.begin(domain)
				_, otherNonce := h.begin(domain)
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", otherNonce), cookie)
			}, 403, ritorno.EFORBIDDEN},
			{"forged cookie", func(h *harness) *httptest.ResponseRecorder {
				cookie, nonce := h.begin("beta.myshopify.com")
				// Re-point the cookie at alpha, keeping beta's signature.
				payload, sig, _ := strings.Cut(cookie.Value, ".")
				raw, _ := base64.RawURLEncoding.DecodeString(payload)
				forged := strings.Replace(string(raw), "beta", "alpha", 1)
				cookie.Value = base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + sig
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", nonce), cookie)
			}, 401, ritorno.EUNAUTHORIZED},
			{"cookie signed with another key", func(h *harness) *httptest.ResponseRecorder {
				other := mustHarness(h.t, h.db, func(c *app.Config) { c.StateKey = []byte(strings.Repeat("k", 32)) })
				cookie, nonce := other.begin(domain)
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", nonce), cookie)
			}, 401, ritorno.EUNAUTHORIZED},
			{"expired cookie", func(h *harness) *httptest.ResponseRecorder {
				cookie, nonce := h.begin(domain)
				h.clock.Add(11 * time.Minute)
				return h.callback(signedQuery("shop", domain, "code", "good-code", "state", nonce), cookie)
			}, 401, ritorno.EUNAUTHORIZED},
			{"code refused by Shopify", func(h *harness) *httptest.ResponseRecorder {
				cookie, nonce := h.begin(domain)
				return h.callback(signedQuery("shop", domain, "code", "bad-code", "state", nonce), cookie)
			}, 401, ritorno.EUNAUTHORIZED},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := mustHarness(t, db)
				wantError(t, c.run(h), c.status, c.code)
				if _, err := db.ShopByDomain(context.Background(), ritorno.Shopify, domain); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
					t.Fatalf("a refused callback installed the shop (err %v)", err)
				}
			})
		}
	})
}

func TestHTMLErrorPage(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		w := h.get("/auth/shopify?shop=evil.com", "Accept", "text/html,application/xhtml+xml")
		page := mustBody(t, w)
		if w.Code != http.StatusBadRequest || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(page, "name.myshopify.com") || strings.Contains(page, `"code":`) {
			t.Fatalf("answered %d %s: %s", w.Code, w.Header().Get("Content-Type"), page)
		}
	})
}

func TestPlatformsNotConfigured(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db, func(c *app.Config) { c.Shopify, c.WooCommerce = nil, nil })
		for _, req := range []struct{ method, path string }{
			{"GET", "/auth/shopify?shop=alpha.myshopify.com"}, {"GET", "/auth/shopify/callback"}, {"GET", "/?shop=alpha.myshopify.com"},
			{"GET", "/api/admin/shop"}, {"GET", "/woocommerce/connect"}, {"POST", "/woocommerce/callback"},
		} {
			wantError(t, h.do(req.method, req.path, ""), http.StatusServiceUnavailable, ritorno.EUNAVAILABLE)
		}
		w := h.get("/")
		if page := mustBody(t, w); w.Code != http.StatusOK || strings.Contains(page, "/auth/shopify") || strings.Contains(page, "/woocommerce/connect") {
			t.Fatalf("landing without platforms answered %d: %s", w.Code, page)
		}
	})
}

// A shop added with `ritorno shops add --no-backfill` has credentials and no import. Opening
// the app once started one (the page "healed" a shop without an import); neither opening it
// nor new credentials after its token died may start one: only the merchant's button does.
func TestEmbeddedLoadStartsNoImportForANoBackfillShop(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := mustHarness(t, db)
		const domain = "nobackfill.myshopify.com"
		// What shops add --no-backfill stores: an installed shop with a custom app's token.
		shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Name: domain,
			Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "UTC", InstalledAt: start},
			ritorno.ShopCredentials{AccessToken: "shpat_custom", Scopes: "read_orders,read_products"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if w := h.load(domain); w.Code != http.StatusOK {
				t.Fatalf("load %d answered %d: %s", i, w.Code, w.Body)
			}
		}
		if n := h.backfills.startsOf(shop.ID); n != 0 {
			t.Fatalf("opening the app started %d import(s) of a shop added with --no-backfill", n)
		}
		if w := h.get("/api/admin/shop", "Authorization", "Bearer "+h.token(domain)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"backfill":null`) {
			t.Fatalf("GET /api/admin/shop answered %d: %s", w.Code, w.Body)
		}

		// Its token dies: the next load exchanges a new one, and still starts nothing.
		if err := db.SetCredentials(ctx, shop.ID, ritorno.ShopCredentials{}); err != nil {
			t.Fatal(err)
		}
		if w := h.load(domain); w.Code != http.StatusOK {
			t.Fatalf("load after the token died answered %d: %s", w.Code, w.Body)
		}
		if n := h.shopify.exchangesOf(domain); n != 1 {
			t.Fatalf("%d token exchanges, want 1", n)
		}
		if n := h.backfills.startsOf(shop.ID); n != 0 {
			t.Fatalf("new credentials started %d import(s) of a shop added with --no-backfill", n)
		}

		// The explicit request starts it.
		w := h.do(http.MethodPost, "/api/admin/backfill", "", "Authorization", "Bearer "+h.token(domain))
		if w.Code != http.StatusAccepted {
			t.Fatalf("POST /api/admin/backfill answered %d: %s", w.Code, w.Body)
		}
		if n := h.backfills.startsOf(shop.ID); n != 1 {
			t.Fatalf("%d imports after the explicit start, want 1", n)
		}
	})
}
