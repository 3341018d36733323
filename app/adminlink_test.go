package app_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// An admin link (ritorno admin-url) opens one shop's admin API without Shopify: with no
// Shopify configured at all, for a WooCommerce shop as for a Shopify one, and the admin
// routes answer it as they answer a session token. A forged, tampered, expired or foreign
// link, or one for a shop that is not installed, is refused.
func TestAdminLink(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := mustHarness(t, db, func(cfg *app.Config) {
			cfg.Shopify = nil // no Shopify app configured: the newcomer's server
			cfg.Insights = newStoreInsights(db, cfg.Now)
		})
		mk := func(domain string) ritorno.Shop {
			s, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: domain, Name: "Shop " + domain,
				Status: ritorno.ShopInstalled, Currency: "GBP", Timezone: "Europe/London", InstalledAt: start,
				ConnectionKey: "key-" + strings.NewReplacer(":", "", "/", "", ".", "").Replace(domain)}, ritorno.ShopCredentials{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		shop, other := mk("http://localhost:8080"), mk("https://other.example")
		sign := func(key string, domain string, ttl time.Duration) string {
			t.Helper()
			tok, err := app.SignAdminLink([]byte(key), ritorno.WooCommerce, domain, h.clock.Now(), ttl)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		link := sign(stateKey, shop.Domain, time.Hour)
		bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

		w := h.get("/api/admin/shop", bearer(link)...)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"domain":"http://localhost:8080"`) || !strings.Contains(w.Body.String(), `"platform":"woocommerce"`) {
			t.Fatalf("GET /api/admin/shop with the link answered %d: %s", w.Code, w.Body)
		}
		for _, path := range []string{"/api/admin/kpis", "/api/admin/segments", "/api/admin/customers"} {
			if w := h.get(path, bearer(link)...); w.Code != http.StatusOK {
				t.Errorf("GET %s with the link answered %d: %s", path, w.Code, w.Body)
			}
		}
		if w := h.do(http.MethodPost, "/api/admin/backfill", "", bearer(link)...); w.Code != http.StatusAccepted || h.backfills.startsOf(shop.ID) != 1 {
			t.Fatalf("POST /api/admin/backfill with the link answered %d (%d starts): %s", w.Code, h.backfills.startsOf(shop.ID), w.Body)
		}
		if h.backfills.startsOf(other.ID) != 0 {
			t.Fatal("the link reached another shop")
		}

		payload, sig, _ := strings.Cut(strings.TrimPrefix(link, "rla1."), ".")
		claims, _ := base64.RawURLEncoding.DecodeString(payload)
		tampered := "rla1." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), "http://localhost:8080", "https://other.example", 1))) + "." + sig
		refusals := []struct{ name, token, want string }{
			{"no token", "", "Shopify is not configured"},
			{"signed with another key", sign("another-key-another-key-another-key!", shop.Domain, time.Hour), "signature"},
			{"another shop's domain under the signature", tampered, "signature"},
			{"signature cut off", strings.TrimSuffix(link, sig), "signature"},
			{"a Shopify session token while Shopify is off", h.token("alpha.myshopify.com"), "Shopify is not configured"},
			{"unknown shop", sign(stateKey, "https://nowhere.example", time.Hour), "not installed"},
		}
		for _, r := range refusals {
			var hdr []string
			if r.token != "" {
				hdr = bearer(r.token)
			}
			w := h.get("/api/admin/shop", hdr...)
			if (w.Code != http.StatusUnauthorized && w.Code != http.StatusServiceUnavailable) || !strings.Contains(w.Body.String(), r.want) {
				t.Errorf("%s: answered %d %s, want a refusal saying %q", r.name, w.Code, w.Body, r.want)
			}
			if r.token != "" && strings.Contains(w.Body.String(), r.token) {
				t.Errorf("%s: the refusal quotes the token", r.name)
			}
		}
		if _, err := app.SignAdminLink([]byte(stateKey), ritorno.WooCommerce, shop.Domain, h.clock.Now(), 25*time.Hour); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("a 25-hour link was signed (err %v)", err)
		}

		// Uninstalled: the link no longer opens it.
		if err := db.UninstallShop(ctx, other.ID, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if w := h.get("/api/admin/shop", bearer(sign(stateKey, other.Domain, time.Hour))...); w.Code != http.StatusUnauthorized {
			t.Errorf("a link to an uninstalled shop answered %d: %s", w.Code, w.Body)
		}

		// Expired: an hour later, the same link is refused.
		h.clock.Add(time.Hour)
		if w := h.get("/api/admin/shop", bearer(link)...); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "expired") {
			t.Fatalf("the expired link answered %d: %s", w.Code, w.Body)
		}
	})
}

// With Shopify configured, both kinds of token open the admin, each its own shop.
func TestAdminLinkBesideSessionTokens(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		shop := h.mustInstall("alpha.myshopify.com")
		link, err := app.SignAdminLink([]byte(stateKey), ritorno.Shopify, shop.Domain, h.clock.Now(), 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"admin link": link, "session token": h.token(shop.Domain)} {
			if w := h.get("/api/admin/shop", "Authorization", "Bearer "+tok); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"domain":"alpha.myshopify.com"`) {
				t.Errorf("%s: answered %d %s", name, w.Code, w.Body)
			}
		}
		// A link for a WooCommerce shop of the same name is not the Shopify shop's.
		woo, err := app.SignAdminLink([]byte(stateKey), ritorno.WooCommerce, shop.Domain, h.clock.Now(), 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if w := h.get("/api/admin/shop", "Authorization", "Bearer "+woo); w.Code != http.StatusUnauthorized {
			t.Errorf("a WooCommerce link opened the Shopify shop: %d %s", w.Code, w.Body)
		}
	})
}

// The landing page links to the demo and its admin page only when the server serves the
// demo; the admin page holds no data and says how to get a link.
func TestLandingDemoLinks(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		plain := mustHarness(t, db)
		if page := mustBody(t, plain.get("/")); strings.Contains(page, "/demo/store") || strings.Contains(page, `href="/admin"`) {
			t.Errorf("the landing page links to a demo this server does not serve:\n%s", page)
		}
		demo := mustHarness(t, db, func(cfg *app.Config) { cfg.DemoShop = "http://localhost:8080" })
		page := mustBody(t, demo.get("/"))
		for _, want := range []string{`href="/demo/store"`, `href="/admin"`, "ritorno admin-url --shop http://localhost:8080"} {
			if !strings.Contains(page, want) {
				t.Errorf("the landing page lacks %s", want)
			}
		}
		w := demo.get("/admin")
		admin := mustBody(t, w)
		if !strings.Contains(admin, "ritorno admin-url --shop http://localhost:8080") || !strings.Contains(admin, `"Authorization": "Bearer " + token`) {
			t.Errorf("the admin page lacks its hint or its token handling:\n%s", admin)
		}
		if csp := w.Header().Get("Content-Security-Policy"); csp != "frame-ancestors 'none';" || w.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("admin page headers: CSP %q, Referrer-Policy %q", csp, w.Header().Get("Referrer-Policy"))
		}
	})
}
