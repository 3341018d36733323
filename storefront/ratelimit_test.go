package storefront

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	product := url.Values{"placement": {"product"}, "product_id": {"7"}}
	for _, tc := range []struct {
		name    string
		limits  Limits
		trust   bool
		proxy   bool          // through the app proxy, else the WooCommerce route
		headers []http.Header // one request each, all from RemoteAddr 192.0.2.1
		want    []int
	}{
		{"per address", Limits{PerAddress: Rate{PerSecond: 1, Burst: 2}, PerShop: Rate{PerSecond: 100, Burst: 100}}, false, false,
			[]http.Header{nil, nil, nil}, []int{200, 200, 429}},
		{"the app proxy's relay gets a shop's budget, not a shopper's", Limits{PerAddress: Rate{PerSecond: 1, Burst: 1}, PerShop: Rate{PerSecond: 100, Burst: 100}}, false, true,
			[]http.Header{nil, nil, nil}, []int{200, 200, 200}},
		{"X-Forwarded-For ignored without a trusted proxy", Limits{PerAddress: Rate{PerSecond: 1, Burst: 1}, PerShop: Rate{PerSecond: 100, Burst: 100}}, false, false,
			[]http.Header{hdr("X-Forwarded-For", "203.0.113.1"), hdr("X-Forwarded-For", "203.0.113.2")}, []int{200, 429}},
		{"X-Forwarded-For's last entry behind a trusted proxy", Limits{PerAddress: Rate{PerSecond: 1, Burst: 1}, PerShop: Rate{PerSecond: 100, Burst: 100}}, true, false,
			[]http.Header{hdr("X-Forwarded-For", "198.51.100.9, 203.0.113.1"), hdr("X-Forwarded-For", "198.51.100.9, 203.0.113.2"), hdr("X-Forwarded-For", "10.0.0.1, 203.0.113.2")}, []int{200, 200, 429}},
		{"per shop", Limits{PerAddress: Rate{PerSecond: 100, Burst: 100}, PerShop: Rate{PerSecond: 1, Burst: 1}}, true, true,
			[]http.Header{hdr("X-Forwarded-For", "203.0.113.1"), hdr("X-Forwarded-For", "203.0.113.2")}, []int{200, 429}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mustServer(t, func(c *Config) { c.Limits, c.TrustProxy = tc.limits, tc.trust })
			for i, h := range tc.headers {
				target := "/storefront/v1/" + sfWooKey + "/recommendations?" + product.Encode()
				if tc.proxy {
					target = "/proxy/recommendations?" + proxyQuery(product, "demo.myshopify.com", sfNow, sfSecret)
				}
				rec := srv.do(t, "GET", target, nil, h)
				if rec.Code != tc.want[i] {
					t.Fatalf("request %d: %d, want %d: %s", i, rec.Code, tc.want[i], rec.Body)
				}
				if rec.Code == http.StatusTooManyRequests {
					if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 {
						t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
					}
					assertNoData(t, rec)
				}
			}
		})
	}
}

func TestRateLimitOnWooAndRefill(t *testing.T) {
	srv := mustServer(t, func(c *Config) {
		c.Limits = Limits{PerAddress: Rate{PerSecond: 0.5, Burst: 1}, PerShop: Rate{PerSecond: 100, Burst: 100}}
	})
	target := "/storefront/v1/" + sfWooKey + "/recommendations?placement=product&product_id=7"
	if rec := srv.do(t, "GET", target, nil, nil); rec.Code != 200 {
		t.Fatalf("first: %d", rec.Code)
	}
	rec := srv.do(t, "GET", target, nil, nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("second: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	srv.now = srv.now.Add(2 * time.Second)
	if rec := srv.do(t, "GET", target, nil, nil); rec.Code != 200 {
		t.Fatalf("after refill: %d", rec.Code)
	}
}
