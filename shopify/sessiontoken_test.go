package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

const (
	testAPIKey    = "app-client-id"
	testAPISecret = "app-client-secret"
)

var sessionNow = time.Unix(1_800_000_000, 0)

func validClaims() shopify.SessionClaims {
	return shopify.SessionClaims{
		Iss: "https://demo-shop.myshopify.com/admin", Dest: "https://demo-shop.myshopify.com",
		Aud: testAPIKey, Sub: "42", Jti: "f8912129-1af6-4cad-9ca3-76b0f7621087", Sid: "aaa",
		Exp: sessionNow.Unix() + 60, Nbf: sessionNow.Unix() - 1, Iat: sessionNow.Unix() - 1,
	}
}

// rawJWT builds a token from literal header and payload JSON, signed with secret,
// independently of SignSessionToken.
func rawJWT(header, payload, secret string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

func TestVerifySessionToken(t *testing.T) {
	claims, shop, err := shopify.VerifySessionToken(shopify.SignSessionToken(validClaims(), testAPISecret), testAPIKey, testAPISecret, sessionNow)
	if err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	if shop != "demo-shop.myshopify.com" || claims != validClaims() {
		t.Fatalf("got shop %q claims %+v", shop, claims)
	}
	// A token built by hand (another JWT library's header spelling) verifies too.
	hand := rawJWT(`{"typ":"JWT","alg":"HS256"}`,
		`{"iss":"https://demo-shop.myshopify.com/admin","dest":"https://demo-shop.myshopify.com","aud":"app-client-id","exp":1800000060,"nbf":1799999999,"iat":1799999999,"jti":"x","sid":"y"}`,
		testAPISecret)
	if _, _, err := shopify.VerifySessionToken(hand, testAPIKey, testAPISecret, sessionNow); err != nil {
		t.Fatalf("hand-built token refused: %v", err)
	}

	with := func(f func(*shopify.SessionClaims)) string {
		c := validClaims()
		f(&c)
		return shopify.SignSessionToken(c, testAPISecret)
	}
	valid := shopify.SignSessionToken(validClaims(), testAPISecret)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name, token string
		now         time.Time
	}{
		{"expired", with(func(c *shopify.SessionClaims) { c.Exp = sessionNow.Unix() - 6 }), sessionNow},
		{"expired later", valid, sessionNow.Add(66 * time.Second)},
		{"no exp", with(func(c *shopify.SessionClaims) { c.Exp = 0 }), sessionNow},
		{"nbf in future", with(func(c *shopify.SessionClaims) { c.Nbf = sessionNow.Unix() + 30 }), sessionNow},
		{"wrong aud", with(func(c *shopify.SessionClaims) { c.Aud = "other-app" }), sessionNow},
		{"other secret", shopify.SignSessionToken(validClaims(), "another-secret"), sessionNow},
		{"alg none unsigned", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", sessionNow},
		{"alg none signed with secret", noneSigned(parts[1]), sessionNow},
		{"alg HS512", rawJWT(`{"alg":"HS512","typ":"JWT"}`, `{"aud":"app-client-id"}`, testAPISecret), sessionNow},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(decode(t, parts[1]), "demo-shop", "evil-shop", 2))) + "." + parts[2], sessionNow},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), sessionNow},
		{"dest evil.com", with(func(c *shopify.SessionClaims) { c.Dest, c.Iss = "https://evil.com", "https://evil.com/admin" }), sessionNow},
		{"dest evil path", with(func(c *shopify.SessionClaims) {
			c.Dest, c.Iss = "https://evil.com/x.myshopify.com", "https://evil.com/x.myshopify.com/admin"
		}), sessionNow},
		{"dest without https", with(func(c *shopify.SessionClaims) {
			c.Dest, c.Iss = "demo-shop.myshopify.com", "demo-shop.myshopify.com/admin"
		}), sessionNow},
		{"iss other shop", with(func(c *shopify.SessionClaims) { c.Iss = "https://other.myshopify.com/admin" }), sessionNow},
		{"checkout iss", with(func(c *shopify.SessionClaims) { c.Iss = "https://demo-shop.myshopify.com/checkouts" }), sessionNow},
		{"two parts", parts[0] + "." + parts[1], sessionNow},
		{"four parts", valid + "." + parts[2], sessionNow},
		{"padded base64", parts[0] + "." + parts[1] + "." + parts[2] + "=", sessionNow},
		{"empty", "", sessionNow},
		{"huge", strings.Repeat("a", 9000), sessionNow},
	}
	for _, c := range cases {
		_, shop, err := shopify.VerifySessionToken(c.token, testAPIKey, testAPISecret, c.now)
		if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || shop != "" {
			t.Errorf("%s: got shop %q, err %v; want EUNAUTHORIZED", c.name, shop, err)
			continue
		}
		if c.token != "" && strings.Contains(err.Error(), c.token) {
			t.Errorf("%s: the error echoes the token", c.name)
		}
	}

	// Leeway: 5 s either side is accepted.
	if _, _, err := shopify.VerifySessionToken(valid, testAPIKey, testAPISecret, sessionNow.Add(64*time.Second)); err != nil {
		t.Errorf("within the leeway after exp: %v", err)
	}
	early := with(func(c *shopify.SessionClaims) { c.Nbf = sessionNow.Unix() + 4 })
	if _, _, err := shopify.VerifySessionToken(early, testAPIKey, testAPISecret, sessionNow); err != nil {
		t.Errorf("within the leeway before nbf: %v", err)
	}
	// No secret configured never verifies, even a token signed with the empty key.
	if _, _, err := shopify.VerifySessionToken(shopify.SignSessionToken(validClaims(), ""), testAPIKey, "", sessionNow); err == nil {
		t.Error("empty secret accepted a token")
	}
}

// noneSigned is an "alg":"none" token that is nonetheless HMAC-signed with the real
// secret: the algorithm check alone must refuse it.
func noneSigned(payload string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload
	m := hmac.New(sha256.New, []byte(testAPISecret))
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

func decode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flip changes the first character of a base64url string to another valid one.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func FuzzVerifySessionToken(f *testing.F) {
	f.Add(shopify.SignSessionToken(validClaims(), testAPISecret))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		_, shop, err := shopify.VerifySessionToken(token, testAPIKey, testAPISecret, sessionNow)
		if err != nil && ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
			t.Fatalf("error code %s", ritorno.ErrorCode(err))
		}
		if err == nil && ritorno.ValidateShopifyDomain(shop) != nil {
			t.Fatalf("accepted shop %q", shop)
		}
	})
}
