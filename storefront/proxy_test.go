package storefront

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// TestProxySignatureDocumentedExample checks the example of shopify.dev
// "authenticate app proxies" (reference Appendix A.2, secret "hush").
func TestProxySignatureDocumentedExample(t *testing.T) {
	for _, tc := range []struct {
		name, query, want string
		customer          int64
	}{
		{"logged in", "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555",
			"4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb", 1},
		{"anonymous (empty logged_in_customer_id)", "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555",
			"e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb", 0},
		{"older doc without logged_in_customer_id", "extra=1&extra=2&shop=shop-name.myshopify.com&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555",
			"a9718877bea71c2484f91608a7eaea1532bdf71f5c56825065fa4ccabe549ef3", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := SignProxy(q, "hush"); got != tc.want {
				t.Fatalf("signature %s, want %s", got, tc.want)
			}
			got, err := VerifyProxy(tc.query+"&signature="+tc.want, []string{"hush"}, time.Unix(1317327555+30, 0))
			if err != nil || got.Shop != "shop-name.myshopify.com" || got.Customer != tc.customer {
				t.Fatalf("VerifyProxy = %+v, %v", got, err)
			}
		})
	}
	q, _ := url.ParseQuery("extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555")
	if got, want := ProxyMessage(q), "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

// TestProxySignatureComputedVector builds the signed string by hand, independently of
// ProxyMessage: decoding, comma-joined repeats, sorting, no separator.
func TestProxySignatureComputedVector(t *testing.T) {
	raw := "z=last&b=%C3%A9t%C3%A9+x&a=2&a=1&shop=demo.myshopify.com&timestamp=1700000000&signature=ignored"
	q, _ := url.ParseQuery(raw)
	message := "a=2,1b=été xshop=demo.myshopify.comtimestamp=1700000000z=last"
	if got := ProxyMessage(q); got != message {
		t.Fatalf("message %q, want %q", got, message)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(message))
	if got, want := SignProxy(q, "s3cret"), hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestVerifyProxyRefusals(t *testing.T) {
	signed := func(q url.Values, secret string) string {
		q.Set("signature", SignProxy(q, secret))
		return q.Encode()
	}
	base := func() url.Values {
		return url.Values{"shop": {"demo.myshopify.com"}, "timestamp": {"1700000000"}, "logged_in_customer_id": {"42"}, "placement": {"product"}}
	}
	now := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name  string
		query string
		now   time.Time
	}{
		{"no signature", base().Encode(), now},
		{"signature not hex", base().Encode() + "&signature=zz", now},
		{"wrong secret", signed(base(), "other"), now},
		{"tampered customer", strings.Replace(signed(base(), sfSecret), "logged_in_customer_id=42", "logged_in_customer_id=43", 1), now},
		{"stale timestamp", signed(base(), sfSecret), now.Add(91 * time.Second)},
		{"future timestamp", signed(base(), sfSecret), now.Add(-91 * time.Second)},
		{"repeated shop, signed", func() string {
			q := base()
			q.Add("shop", "evil.myshopify.com")
			return signed(q, sfSecret)
		}(), now},
		{"repeated timestamp, signed", func() string { q := base(); q.Add("timestamp", "1"); return signed(q, sfSecret) }(), now},
		{"repeated signature", signed(base(), sfSecret) + "&signature=00", now},
		{"shop not myshopify", func() string { q := base(); q.Set("shop", "evil.example.com"); return signed(q, sfSecret) }(), now},
		{"customer not a number", func() string { q := base(); q.Set("logged_in_customer_id", "abc"); return signed(q, sfSecret) }(), now},
		{"timestamp missing", func() string { q := base(); q.Del("timestamp"); return signed(q, sfSecret) }(), now},
		{"malformed query", "a=%zz&" + signed(base(), sfSecret), now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyProxy(tc.query, []string{sfSecret, sfPrevSecret}, tc.now)
			if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
				t.Fatalf("VerifyProxy = %v, want unauthorized", err)
			}
			if strings.Contains(err.Error(), sfSecret) || strings.Contains(err.Error(), "evil") {
				t.Fatalf("error repeats input: %v", err)
			}
		})
	}
	if got, err := VerifyProxy(signed(base(), sfPrevSecret), []string{sfSecret, sfPrevSecret}, now.Add(89*time.Second)); err != nil || got.Customer != 42 {
		t.Fatalf("previous secret, 89 s: %+v, %v", got, err)
	}
}

func TestProxyRoutes(t *testing.T) {
	product := url.Values{"placement": {"product"}, "product_id": {"7"}}
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		query    string
		status   int
		customer int64
	}{
		{"anonymous", "GET", "/proxy/recommendations", proxyQuery(product, "demo.myshopify.com", sfNow, sfSecret), 200, 0},
		{"logged in", "GET", "/proxy/recommendations", proxyQuery(url.Values{"placement": {"product"}, "product_id": {"7"}, "logged_in_customer_id": {"42"}}, "demo.myshopify.com", sfNow, sfSecret), 200, 42},
		{"previous secret", "GET", "/proxy/recommendations", proxyQuery(product, "demo.myshopify.com", sfNow, sfPrevSecret), 200, 0},
		{"bad signature", "GET", "/proxy/recommendations", proxyQuery(product, "demo.myshopify.com", sfNow, "wrong"), 401, 0},
		{"stale timestamp", "GET", "/proxy/recommendations", proxyQuery(product, "demo.myshopify.com", sfNow.Add(-2*time.Minute), sfSecret), 401, 0},
		{"repeated shop", "GET", "/proxy/recommendations", proxyQuery(url.Values{"placement": {"product"}, "product_id": {"7"}, "shop": {"demo.myshopify.com", "other.myshopify.com"}}, "", sfNow, sfSecret), 401, 0},
		{"unknown shop", "GET", "/proxy/recommendations", proxyQuery(product, "nobody.myshopify.com", sfNow, sfSecret), 401, 0},
		{"uninstalled shop", "GET", "/proxy/recommendations", proxyQuery(product, "gone.myshopify.com", sfNow, sfSecret), 401, 0},
		{"bad params", "GET", "/proxy/recommendations", proxyQuery(url.Values{"placement": {"home"}}, "demo.myshopify.com", sfNow, sfSecret), 400, 0},
		{"events unsigned", "POST", "/proxy/events", "shop=demo.myshopify.com", 401, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mustServer(t, nil)
			rec := srv.do(t, tc.method, tc.path+"?"+tc.query, nil, nil)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != http.StatusOK {
				assertNoData(t, rec)
				if shop, _ := srv.recs.lastRequest(); shop != 0 {
					t.Fatalf("the engine was asked for shop %d on a refused request", shop)
				}
				return
			}
			shop, req := srv.recs.lastRequest()
			if shop != 1 || req.Customer != tc.customer || req.ProductID != 7 || req.Now != sfNow {
				t.Fatalf("engine asked shop %d %+v", shop, req)
			}
		})
	}
}
