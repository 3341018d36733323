// Package shopify is Ritorno's adapter for Shopify: webhook signature checks and the
// decoding of webhook bodies (REST resource shapes) into domain events; session tokens,
// the authorization-code grant, token exchange and refresh; and an Admin GraphQL client
// that paces itself by the cost-based rate limit, with bulk operations for backfills. It
// speaks net/http and JSON only.
package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// SignWebhook returns the X-Shopify-Hmac-Sha256 value for body: base64 of the HMAC-SHA256
// of the raw body bytes keyed with the app secret.
func SignWebhook(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks a delivery's HMAC header in constant time against each non-empty
// secret (the current one, and the previous one during a rotation, when Shopify may still
// sign with it for up to an hour). The header must be the canonical base64 text: comparing
// strings, not decoded bytes, refuses the other spellings a lenient decoder accepts (found
// by fuzzing). An empty body is never valid.
func VerifyWebhook(body []byte, hmacHeader string, secrets ...string) bool {
	if len(body) == 0 || hmacHeader == "" {
		return false
	}
	ok := false
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		// No early exit: every secret is tried, so timing says nothing about which matched.
		ok = hmac.Equal([]byte(hmacHeader), []byte(SignWebhook(body, secret))) || ok
	}
	return ok
}

// Verifier checks deliveries with the app's secrets.
type Verifier struct {
	secrets []string
}

// NewVerifier returns a Verifier for the current secret and, during a rotation, the previous one.
func NewVerifier(current, previous string) Verifier {
	return Verifier{secrets: []string{current, previous}}
}

// VerifyWebhook checks an X-Shopify-Hmac-Sha256 header.
func (v Verifier) VerifyWebhook(body []byte, hmacHeader string) bool {
	return VerifyWebhook(body, hmacHeader, v.secrets...)
}
