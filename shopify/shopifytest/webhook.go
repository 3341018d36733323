package shopifytest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// SetWebhookURL sets where the fake delivers webhooks: the app's subscription endpoint
// (all topics, as app-specific subscriptions in shopify.app.toml would). "" stops
// deliveries.
func (s *Server) SetWebhookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = url
}

// Webhook returns a delivery of topic for shop as Shopify sends it (protocols §1): a POST
// of body to target with X-Shopify-Topic, -Hmac-Sha256 (base64, keyed with the app
// secret), -Shop-Domain, -API-Version, fresh -Webhook-Id and -Event-Id, and
// -Triggered-At (the fake's now). Shopify retries a delivery with the same ids: copy the
// headers to a second Webhook to simulate one. Call it from the test's goroutine.
func (s *Server) Webhook(target, shop, topic string, body []byte) *http.Request {
	s.t.Helper()
	req, err := s.newWebhook(target, shop, topic, body)
	if err != nil {
		s.t.Fatalf("shopifytest.Webhook: %v", err)
	}
	return req
}

func (s *Server) newWebhook(target, shop, topic string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, ritorno.Errorf(ritorno.EINVALID, "webhook target %q is not a URL", target)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", shopify.SignWebhook(body, s.APISecret))
	h.Set("X-Shopify-Shop-Domain", strings.ToLower(shop))
	h.Set("X-Shopify-API-Version", APIVersion)
	h.Set("X-Shopify-Webhook-Id", uuid())
	h.Set("X-Shopify-Event-Id", uuid())
	h.Set("X-Shopify-Triggered-At", s.Now().UTC().Format(time.RFC3339Nano))
	return req, nil
}

// SendWebhook delivers topic for shop to the URL set by SetWebhookURL and returns the
// app's status code. It counts in Stats like the fake's own deliveries.
func (s *Server) SendWebhook(shop, topic string, body []byte) (int, error) {
	s.mu.Lock()
	target := s.webhookURL
	s.mu.Unlock()
	if target == "" {
		return 0, ritorno.Errorf(ritorno.EINVALID, "shopifytest: no webhook URL set (SetWebhookURL)")
	}
	return s.deliver(target, shop, topic, body)
}

// deliver sends one delivery and counts its outcome; any 2xx is a success.
func (s *Server) deliver(target, shop, topic string, body []byte) (int, error) {
	req, err := s.newWebhook(target, shop, topic, body)
	if err != nil {
		return 0, err
	}
	resp, err := s.http.Do(req)
	status := 0
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	s.mu.Lock()
	if status >= 200 && status < 300 {
		s.stats.WebhooksSent++
	} else {
		s.stats.WebhooksFailed++
	}
	s.mu.Unlock()
	return status, err
}
