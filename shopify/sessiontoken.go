package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// SessionClaims are the claims of an App Bridge session (ID) token: a JWT signed with the
// app's client secret that the embedded admin sends as "Authorization: Bearer …".
type SessionClaims struct {
	Iss  string `json:"iss"`  // the shop admin URL, https://{shop}/admin
	Dest string `json:"dest"` // the shop URL, https://{shop}
	Aud  string `json:"aud"`  // the app's client id (API key)
	Sub  string `json:"sub"`  // the staff user id; may be empty
	Jti  string `json:"jti"`
	Sid  string `json:"sid"`
	Exp  int64  `json:"exp"`
	Nbf  int64  `json:"nbf"`
	Iat  int64  `json:"iat"`
}

// sessionLeeway absorbs clock skew between Shopify and us; tokens live one minute, so a
// few seconds is enough and keeps a stolen token's window short.
const sessionLeeway = 5 * time.Second

// maxSessionToken bounds the work done on a header an attacker controls; real tokens are
// well under 1 KiB.
const maxSessionToken = 8 << 10

// jwtHeader is the JOSE header Shopify signs with; anything but HS256 is refused, so a
// token cannot choose "none" or an asymmetric algorithm keyed with our secret.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

// b64 is the JWT encoding: base64url without padding. Strict refuses non-canonical
// spellings (stray trailing bits), so each token has exactly one accepted form.
var b64 = base64.RawURLEncoding.Strict()

// SignSessionToken returns an HS256 JWT of c signed with secret, as App Bridge would; for
// tests and fakes.
func SignSessionToken(c SessionClaims, secret string) string {
	body, _ := json.Marshal(c) // a struct of strings and ints cannot fail
	signing := b64.EncodeToString([]byte(jwtHeader)) + "." + b64.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + b64.EncodeToString(mac.Sum(nil))
}

// VerifySessionToken checks a session token for the app (apiKey, apiSecret) at now and
// returns its claims and the shop domain ("name.myshopify.com") it was issued for. The
// signature is checked before any claim is read, and every failure is EUNAUTHORIZED
// without echoing the token, so an admin request answers 401 and App Bridge retries with
// a fresh one.
func VerifySessionToken(token, apiKey, apiSecret string, now time.Time) (claims SessionClaims, shopDomain string, err error) {
	fail := func(format string, args ...any) (SessionClaims, string, error) {
		return SessionClaims{}, "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "session token: "+format, args...)
	}
	if apiKey == "" || apiSecret == "" {
		return fail("the app has no API key or secret configured")
	}
	if token == "" {
		return fail("missing")
	}
	if len(token) > maxSessionToken {
		return fail("longer than %d bytes", maxSessionToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("not a JWT (want three dot-separated parts)")
	}
	rawHeader, err1 := b64.DecodeString(parts[0])
	rawPayload, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return fail("a part is not unpadded base64url")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(rawHeader, &header) != nil {
		return fail("header is not a JSON object")
	}
	if header.Alg != "HS256" {
		return fail("algorithm %.20q is not HS256", header.Alg)
	}
	mac := hmac.New(sha256.New, []byte(apiSecret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return fail("signature does not match the app secret")
	}

	if err := json.Unmarshal(rawPayload, &claims); err != nil {
		return fail("claims are not a JSON object of the expected types")
	}
	if claims.Aud != apiKey {
		return fail("issued for another app (aud)")
	}
	if claims.Exp == 0 {
		return fail("has no expiry (exp)")
	}
	if now.After(time.Unix(claims.Exp, 0).Add(sessionLeeway)) {
		return fail("expired")
	}
	if claims.Nbf != 0 && now.Before(time.Unix(claims.Nbf, 0).Add(-sessionLeeway)) {
		return fail("not valid yet (nbf)")
	}
	// dest names the shop; iss must be that same shop's admin, so a token minted for one
	// surface (checkout tokens have iss …/checkouts) is not accepted as an admin one.
	shop, ok := strings.CutPrefix(claims.Dest, "https://")
	if !ok || ritorno.ValidateShopifyDomain(shop) != nil {
		return fail("dest is not https://{shop}.myshopify.com")
	}
	if claims.Iss != claims.Dest+"/admin" {
		return fail("iss is not the admin of dest")
	}
	return claims, strings.ToLower(shop), nil
}
