package shopifytest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

// receiver is an app's webhook endpoint that verifies like the product.
type receiver struct {
	mu       sync.Mutex
	verifier shopify.Verifier
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !rc.verifier.VerifyWebhook(body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}
}

func TestWebhook(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	rc := &receiver{verifier: shopify.NewVerifier(testSecret, "")}
	app := httptest.NewServer(rc)
	t.Cleanup(app.Close)
	body := fixture(t, "shopify-order-rest-resource.json", "order")

	req := s.Webhook(app.URL+"/webhooks/shopify", testShop, "orders/create", body)
	wantHeaders := map[string]string{
		"X-Shopify-Topic":        "orders/create",
		"X-Shopify-Shop-Domain":  testShop,
		"X-Shopify-API-Version":  shopifytest.APIVersion,
		"X-Shopify-Triggered-At": clk.Now().Format(time.RFC3339Nano),
		"Content-Type":           "application/json",
	}
	for k, v := range wantHeaders {
		if got := req.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Event-Id"} {
		if len(req.Header.Get(k)) != 36 {
			t.Errorf("%s: %q, want a UUID", k, req.Header.Get(k))
		}
	}
	if !shopify.VerifyWebhook(body, req.Header.Get("X-Shopify-Hmac-Sha256"), testSecret) || shopify.VerifyWebhook(body, req.Header.Get("X-Shopify-Hmac-Sha256"), "other-secret") {
		t.Fatal("the signature must verify with the app secret and only with it")
	}
	resp, err := app.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery: %v %v", resp, err)
	}
	resp.Body.Close()

	// Two deliveries never share a delivery id.
	if a, b := s.Webhook(app.URL, testShop, "orders/create", body), s.Webhook(app.URL, testShop, "orders/create", body); a.Header.Get("X-Shopify-Webhook-Id") == b.Header.Get("X-Shopify-Webhook-Id") {
		t.Fatal("webhook ids repeat")
	}

	if _, err := s.SendWebhook(testShop, "orders/create", body); err == nil {
		t.Fatal("SendWebhook without a URL must fail")
	}
	s.SetWebhookURL(app.URL)
	if status, err := s.SendWebhook(testShop, "orders/updated", body); err != nil || status != http.StatusOK {
		t.Fatalf("SendWebhook: %d, %v", status, err)
	}
	rc.mu.Lock()
	rc.verifier = shopify.NewVerifier("rotated-secret", "")
	rc.mu.Unlock()
	if status, _ := s.SendWebhook(testShop, "orders/updated", body); status != http.StatusUnauthorized {
		t.Fatalf("an app with another secret answered %d", status)
	}
	if st := s.Stats(); st.WebhooksSent != 1 || st.WebhooksFailed != 1 {
		t.Fatalf("stats %+v", st)
	}
}
