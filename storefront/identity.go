package storefront

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// The WooCommerce plugin (woocommerce-plugin/ritorno/includes/identity.php) signs a
// logged-in shopper's id into a short-lived JWT with the connection secret (the shop's
// webhook secret); it is the only way a customer id reaches the public WooCommerce routes,
// so that nobody can ask for another customer's recommendations by changing a number.
const (
	// identityLeeway absorbs clock skew between the store's server and ours.
	identityLeeway = 60 * time.Second
	// maxIdentityLifetime bounds exp − iat: the plugin issues ten-minute tokens, and a
	// longer-lived one would widen the window in which a copied token can be replayed.
	maxIdentityLifetime = 15 * time.Minute
	// maxIdentityToken bounds the work done on a query parameter anyone controls; real
	// tokens are about 250 bytes.
	maxIdentityToken = 2 << 10
)

// identityEncoding is the JWT encoding: base64url without padding. Strict refuses
// non-canonical spellings, so each token has exactly one accepted form.
var identityEncoding = base64.RawURLEncoding.Strict()

// decimalID is a positive decimal integer without sign or leading zeros, at most 19 digits
// (ParseInt still catches values above MaxInt64).
var decimalID = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// VerifyIdentity checks a shopper identity token from the WooCommerce plugin for the shop
// with this connection secret and connection key at now, and returns the customer's
// platform id (the WordPress user id). The signature is checked, in constant time, before
// any claim is read. iss (the store's home URL) is not compared: the key and the secret
// already bind the token to one shop, and WordPress's home URL can differ from the store
// URL Ritorno knows (www, a path). Every failure is EUNAUTHORIZED with a message that
// never repeats the token or the secret, so that a bad token answers 401 and is never
// silently treated as an anonymous shopper.
func VerifyIdentity(token, secret, connectionKey string, now time.Time) (customerID int64, err error) {
	fail := func(format string, args ...any) (int64, error) {
		return 0, ritorno.Errorf(ritorno.EUNAUTHORIZED, "identity token: "+format, args...)
	}
	if secret == "" || connectionKey == "" {
		return fail("the shop has no connection secret or key to check it with")
	}
	if token == "" {
		return fail("missing")
	}
	if len(token) > maxIdentityToken {
		return fail("longer than %d bytes", maxIdentityToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fail("not a JWT (want three dot-separated parts)")
	}
	rawHeader, err1 := identityEncoding.DecodeString(parts[0])
	rawClaims, err2 := identityEncoding.DecodeString(parts[1])
	sig, err3 := identityEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return fail("a part is not unpadded base64url")
	}
	var header struct {
		Alg string  `json:"alg"`
		Typ *string `json:"typ"`
	}
	if json.Unmarshal(rawHeader, &header) != nil {
		return fail("header is not a JSON object")
	}
	// Only HS256: "none" or an asymmetric algorithm must never be chosen by the token.
	if header.Alg != "HS256" {
		return fail("algorithm %.20q is not HS256", header.Alg)
	}
	if header.Typ != nil && *header.Typ != "JWT" {
		return fail("type is not JWT")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return fail("signature does not match the connection secret")
	}

	var claims struct {
		Aud string `json:"aud"`
		Sub string `json:"sub"`
		Iat *int64 `json:"iat"`
		Exp *int64 `json:"exp"`
	}
	if json.Unmarshal(rawClaims, &claims) != nil {
		return fail("claims are not a JSON object of the expected types")
	}
	if claims.Aud != connectionKey {
		return fail("issued for another connection (aud)")
	}
	if claims.Iat == nil || claims.Exp == nil {
		return fail("has no issue time (iat) or expiry (exp)")
	}
	iat, exp := time.Unix(*claims.Iat, 0), time.Unix(*claims.Exp, 0)
	if !exp.After(iat) || exp.Sub(iat) > maxIdentityLifetime {
		return fail("lifetime (exp − iat) must be positive and at most %s", maxIdentityLifetime)
	}
	if now.After(exp.Add(identityLeeway)) {
		return fail("expired")
	}
	if iat.After(now.Add(identityLeeway)) {
		return fail("issued in the future (iat)")
	}
	if !decimalID.MatchString(claims.Sub) {
		return fail("subject (sub) is not a positive decimal customer id")
	}
	id, err := strconv.ParseInt(claims.Sub, 10, 64)
	if err != nil {
		return fail("subject (sub) is out of range")
	}
	return id, nil
}
