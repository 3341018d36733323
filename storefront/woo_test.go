package storefront

import (
	"net/http"
	"testing"
	"time"
)

func TestWooRoutes(t *testing.T) {
	const recs = "/storefront/v1/" + sfWooKey + "/recommendations?placement=product&product_id=7"
	origin := "https://shop.example"
	for _, tc := range []struct {
		name     string
		method   string
		target   string
		header   http.Header
		status   int
		customer int64
		acao     string
	}{
		{"anonymous, own origin", "GET", recs, hdr("Origin", origin), 200, 0, origin},
		{"no origin (not a browser page)", "GET", recs, nil, 200, 0, ""},
		{"identity in query", "GET", recs + "&identity=" + mustIdentityToken(t, sfWooSecret, sfWooKey, 42, sfNow), hdr("Origin", origin), 200, 42, origin},
		{"identity in header", "GET", recs, hdr("Origin", origin, IdentityHeader, mustIdentityToken(t, sfWooSecret, sfWooKey, 43, sfNow)), 200, 43, origin},
		{"unknown key", "GET", "/storefront/v1/ck_nobody/recommendations?placement=product&product_id=7", hdr("Origin", origin), 404, 0, ""},
		{"uninstalled shop", "GET", "/storefront/v1/ck_gone/recommendations?placement=product&product_id=7", hdr("Origin", "https://old.example"), 404, 0, ""},
		{"wrong origin", "GET", recs, hdr("Origin", "https://evil.example"), 403, 0, ""},
		{"origin with another port", "GET", recs, hdr("Origin", "https://shop.example:8443"), 403, 0, ""},
		{"identity with wrong secret", "GET", recs + "&identity=" + mustIdentityToken(t, "guess", sfWooKey, 42, sfNow), hdr("Origin", origin), 401, 0, origin},
		{"identity for another connection", "GET", recs + "&identity=" + mustIdentityToken(t, sfWooSecret, "ck_other", 42, sfNow), hdr("Origin", origin), 401, 0, origin},
		{"expired identity", "GET", recs + "&identity=" + mustIdentityToken(t, sfWooSecret, sfWooKey, 42, sfNow.Add(-time.Hour)), hdr("Origin", origin), 401, 0, origin},
		{"garbage identity", "GET", recs + "&identity=abc", hdr("Origin", origin), 401, 0, origin},
		{"bad params", "GET", "/storefront/v1/" + sfWooKey + "/recommendations?placement=product&product_id=-1", hdr("Origin", origin), 400, 0, origin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mustServer(t, nil)
			rec := srv.do(t, tc.method, tc.target, nil, tc.header)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, tc.acao)
			}
			if tc.status != http.StatusNotFound && rec.Header().Get("Vary") != "Origin" {
				t.Fatalf("Vary %q", rec.Header().Get("Vary"))
			}
			if tc.status != http.StatusOK {
				assertNoData(t, rec)
				return
			}
			shop, req := srv.recs.lastRequest()
			if shop != 3 || req.Customer != tc.customer {
				t.Fatalf("engine asked shop %d for customer %d, want 3, %d", shop, req.Customer, tc.customer)
			}
		})
	}
}

func TestWooPreflight(t *testing.T) {
	srv := mustServer(t, nil)
	for _, path := range []string{"recommendations", "events"} {
		rec := srv.do(t, "OPTIONS", "/storefront/v1/"+sfWooKey+"/"+path, nil,
			hdr("Origin", "https://shop.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-ritorno-identity"))
		h := rec.Header()
		if rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
			h.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" || h.Get("Access-Control-Allow-Headers") != "Content-Type, X-Ritorno-Identity" ||
			h.Get("Access-Control-Max-Age") != "600" || h.Get("Vary") != "Origin" {
			t.Fatalf("%s preflight: %d %v", path, rec.Code, h)
		}
	}
	rec := srv.do(t, "OPTIONS", "/storefront/v1/"+sfWooKey+"/events", nil, hdr("Origin", "https://evil.example", "Access-Control-Request-Method", "POST"))
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", rec.Code, rec.Header())
	}
}

func TestStoreOrigin(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "https://shop.example", "https://shop.example"},
		{"with path", "https://example.com/boutique", "https://example.com"},
		{"with port", "http://localhost:8080", "http://localhost:8080"},
		{"not a URL", "shop", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := storeOrigin(tc.in); got != tc.want {
				t.Fatalf("storeOrigin(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
