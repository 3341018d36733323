package shopify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// The authorization-code grant, for installs that do not go through Shopify-managed
// installation: send the merchant to AuthorizeURL with a fresh NewState nonce, and on the
// callback check the nonce (the caller compares it with the one it stored), then
// VerifyCallbackQuery, then exchange the code with TokenClient.ExchangeCode.

// callbackMaxAge bounds how old a signed callback may be. Shopify's own library allows
// 90 s; a day tolerates skewed clocks and slow merchants, and the single-use code and the
// state nonce are what really stop a replay.
const callbackMaxAge = 24 * time.Hour

// AuthorizeURL returns the URL that asks the merchant of shop to grant scopes
// (comma-separated) to the app, for an offline token (an empty grant_options[]). shop
// must already have passed ritorno.ValidateShopifyDomain: it becomes the URL's host.
func AuthorizeURL(shop, apiKey, scopes, redirectURI, state string) string {
	q := url.Values{
		"client_id":       {apiKey},
		"scope":           {scopes},
		"redirect_uri":    {redirectURI},
		"state":           {state},
		"grant_options[]": {""},
	}
	u := url.URL{Scheme: "https", Host: shop, Path: "/admin/oauth/authorize", RawQuery: q.Encode()}
	return u.String()
}

// NewState returns a random nonce for the state parameter: 32 bytes from crypto/rand,
// base64url without padding.
func NewState() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand aborts the program rather than return weak bytes
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignCallbackQuery returns the hex HMAC-SHA256 Shopify puts in the hmac parameter of q
// (admin links, app loads, the OAuth callback); for tests and fakes. The message is every
// parameter but hmac and signature, sorted by key, as key=value pairs joined with "&",
// keys and values percent-encoded the way Shopify's library does (spaces as %20).
func SignCallbackQuery(q url.Values, secret string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hmac" && k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msg strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if msg.Len() > 0 {
				msg.WriteByte('&')
			}
			msg.WriteString(formEscape(k) + "=" + formEscape(v))
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg.String()))
	return hex.EncodeToString(mac.Sum(nil))
}

// formEscape percent-encodes like the WHATWG application/x-www-form-urlencoded
// serializer (URLSearchParams), which Shopify's library signs with, except that a space
// is %20, not "+". It differs from url.QueryEscape on '*' (kept) and '~' (escaped).
func formEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}

// VerifyCallbackQuery checks a query Shopify signed with the app secret: the OAuth
// callback (code, shop, state, timestamp, host, hmac), and equally an app load from the
// admin. The hmac is compared in constant time before any parameter is trusted; then the
// shop must be a myshopify.com domain and the timestamp within a day of now. A repeated
// parameter is refused: which copy is signed and which is read would be ambiguous. The
// state nonce is the caller's to compare. Every failure is EUNAUTHORIZED.
func VerifyCallbackQuery(q url.Values, apiSecret string) error {
	fail := func(format string, args ...any) error {
		return ritorno.Errorf(ritorno.EUNAUTHORIZED, "signed query: "+format, args...)
	}
	if apiSecret == "" {
		return fail("the app has no secret configured")
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return fail("parameter %.40q appears %d times", k, len(vs))
		}
	}
	got := q.Get("hmac")
	if got == "" {
		return fail("no hmac parameter")
	}
	if !hmac.Equal([]byte(got), []byte(SignCallbackQuery(q, apiSecret))) {
		return fail("hmac does not match the app secret")
	}
	if err := ritorno.ValidateShopifyDomain(q.Get("shop")); err != nil {
		return fail("%s", ritorno.ErrorMessage(err))
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return fail("timestamp is missing or not a number")
	}
	if age := time.Since(time.Unix(ts, 0)); age > callbackMaxAge || age < -callbackMaxAge {
		return fail("timestamp is more than %s away from now", callbackMaxAge)
	}
	return nil
}
