// Package woocommerce is Ritorno's adapter for WooCommerce: webhook signature checks, the
// creation ping, and the decoding of webhook bodies (REST v3 resources) into domain events;
// the REST v3 client (Basic auth over HTTPS, paging, polite retries, webhook management)
// and the /wc-auth/v1/authorize connection flow.
package woocommerce

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
)

// Headers of a WooCommerce delivery.
const (
	HeaderSignature  = "X-WC-Webhook-Signature"
	HeaderTopic      = "X-WC-Webhook-Topic"
	HeaderDeliveryID = "X-WC-Webhook-Delivery-ID"
	HeaderSource     = "X-WC-Webhook-Source"
)

// SignWebhook returns the X-WC-Webhook-Signature of body: base64 of HMAC-SHA256 keyed with
// the webhook's secret.
func SignWebhook(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks a signature header in constant time against the canonical base64
// text of the expected MAC (other spellings that a lenient decoder accepts are refused).
func VerifyWebhook(body []byte, signature, secret string) bool {
	if secret == "" || signature == "" || len(body) == 0 {
		return false
	}
	return hmac.Equal([]byte(signature), []byte(SignWebhook(body, secret)))
}

var pingBody = regexp.MustCompile(`^webhook_id=[0-9]+$`)

// IsPing recognises the unsigned "webhook_id=N" request WooCommerce sends when a webhook is
// created or re-activated; it must be answered with exactly 200.
func IsPing(body []byte, h http.Header) bool {
	return h.Get(HeaderSignature) == "" && pingBody.Match(bytes.TrimSpace(body))
}

// Verifier implements the receiver's WooCommerce checks.
type Verifier struct{}

// VerifyWebhook checks a delivery with its shop's secret.
func (Verifier) VerifyWebhook(body []byte, signature, secret string) bool {
	return VerifyWebhook(body, signature, secret)
}

// IsPing recognises WooCommerce's creation ping.
func (Verifier) IsPing(body []byte, h http.Header) bool { return IsPing(body, h) }
