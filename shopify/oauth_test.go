package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

func TestAuthorizeURL(t *testing.T) {
	raw := shopify.AuthorizeURL("demo-shop.myshopify.com", testAPIKey, "read_orders,read_customers",
		"https://app.example.com/auth/shopify/callback?x=1", "nonce-1")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "demo-shop.myshopify.com" || u.Path != "/admin/oauth/authorize" {
		t.Fatalf("URL %s", raw)
	}
	q := u.Query()
	want := url.Values{
		"client_id": {testAPIKey}, "scope": {"read_orders,read_customers"},
		"redirect_uri": {"https://app.example.com/auth/shopify/callback?x=1"}, "state": {"nonce-1"},
		"grant_options[]": {""},
	}
	if q.Encode() != want.Encode() {
		t.Fatalf("query %v, want %v", q, want)
	}
}

func TestNewState(t *testing.T) {
	a, b := shopify.NewState(), shopify.NewState()
	if a == b {
		t.Fatal("two states are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("state %q: %d bytes, %v", a, len(raw), err)
	}
}

// signQuery signs the canonical message independently of the code under test.
func signQuery(message, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignCallbackQueryVector(t *testing.T) {
	// Appendix A.1 of the protocol notes (Shopify's documented example, secret "hush").
	q := url.Values{
		"code": {"0907a61c0c8d55e99db179b68161bc00"}, "shop": {"some-shop.myshopify.com"},
		"state": {"0.6784241404160823"}, "timestamp": {"1337178173"},
		"hmac": {"700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"},
	}
	if got := shopify.SignCallbackQuery(q, "hush"); got != q.Get("hmac") {
		t.Fatalf("vector: %s", got)
	}
	q.Del("state")
	if got := shopify.SignCallbackQuery(q, "hush"); got != "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20" {
		t.Fatalf("vector without state: %s", got)
	}
	// The vector's hmac checks out; only its 2012 timestamp is refused.
	q.Set("state", "0.6784241404160823")
	q.Set("hmac", "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf")
	err := shopify.VerifyCallbackQuery(q, "hush")
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || !strings.Contains(ritorno.ErrorMessage(err), "timestamp") {
		t.Fatalf("vector: %v, want a timestamp refusal", err)
	}
}

func TestSignCallbackQueryEncoding(t *testing.T) {
	// Spaces are %20 (not +), reserved characters are escaped, '*' is kept, signature
	// is left out like hmac.
	q := url.Values{"b": {"x y&z=1~*"}, "a[]": {"1"}, "signature": {"legacy"}, "hmac": {"h"}}
	want := signQuery("a%5B%5D=1&b=x%20y%26z%3D1%7E*", "s")
	if got := shopify.SignCallbackQuery(q, "s"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestVerifyCallbackQuery(t *testing.T) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	signed := func(mutate func(url.Values)) url.Values {
		q := url.Values{
			"code": {"0907a61c0c8d55e99db179b68161bc00"}, "shop": {"demo-shop.myshopify.com"},
			"state": {"nonce-1"}, "timestamp": {now},
			"host": {base64.StdEncoding.EncodeToString([]byte("admin.shopify.com/store/demo-shop"))},
		}
		if mutate != nil {
			mutate(q)
		}
		q.Set("hmac", shopify.SignCallbackQuery(q, testAPISecret))
		return q
	}
	if err := shopify.VerifyCallbackQuery(signed(nil), testAPISecret); err != nil {
		t.Fatalf("valid callback refused: %v", err)
	}
	// A query signed by the independent reference verifies too.
	ref := url.Values{"code": {"abc"}, "shop": {"demo-shop.myshopify.com"}, "timestamp": {now}}
	ref.Set("hmac", signQuery("code=abc&shop=demo-shop.myshopify.com&timestamp="+now, testAPISecret))
	if err := shopify.VerifyCallbackQuery(ref, testAPISecret); err != nil {
		t.Fatalf("reference-signed callback refused: %v", err)
	}

	tampered := signed(nil)
	tampered.Set("code", "another-code")
	noHMAC := signed(nil)
	noHMAC.Del("hmac")
	upper := signed(nil)
	upper.Set("hmac", strings.ToUpper(upper.Get("hmac")))
	duplicated := signed(nil)
	duplicated.Add("shop", "evil.myshopify.com")
	cases := []struct {
		name   string
		q      url.Values
		secret string
	}{
		{"tampered code", tampered, testAPISecret},
		{"other secret", signed(nil), "another-secret"},
		{"no hmac", noHMAC, testAPISecret},
		{"hmac in upper case", upper, testAPISecret},
		{"repeated shop", duplicated, testAPISecret},
		{"shop evil.com/x.myshopify.com", signed(func(q url.Values) { q.Set("shop", "evil.com/x.myshopify.com") }), testAPISecret},
		{"shop evil.com", signed(func(q url.Values) { q.Set("shop", "evil.com") }), testAPISecret},
		{"no shop", signed(func(q url.Values) { q.Del("shop") }), testAPISecret},
		{"timestamp older than a day", signed(func(q url.Values) {
			q.Set("timestamp", strconv.FormatInt(time.Now().Add(-25*time.Hour).Unix(), 10))
		}), testAPISecret},
		{"timestamp a day ahead", signed(func(q url.Values) {
			q.Set("timestamp", strconv.FormatInt(time.Now().Add(25*time.Hour).Unix(), 10))
		}), testAPISecret},
		{"no timestamp", signed(func(q url.Values) { q.Del("timestamp") }), testAPISecret},
		{"no secret configured", signed(nil), ""},
	}
	for _, c := range cases {
		if err := shopify.VerifyCallbackQuery(c.q, c.secret); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", c.name, err)
		}
	}
	// An hour-old callback is still fine.
	old := signed(func(q url.Values) { q.Set("timestamp", strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)) })
	if err := shopify.VerifyCallbackQuery(old, testAPISecret); err != nil {
		t.Errorf("hour-old callback: %v", err)
	}
}
