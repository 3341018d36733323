package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/webhooks"
	"github.com/ritorno/ritorno/woocommerce"
)

// Storage is exercised for real in cmd/ritorno's end-to-end tests; here the inbox is a
// recorder so that the receiver's own decisions (status, answer) are visible, including an
// inbox that fails.
type recorder struct {
	mu    sync.Mutex
	saved []ritorno.Delivery
	fail  bool
	// poison is a webhook id the inbox refuses, as a database refuses one row of a batch.
	poison string
}

func (r *recorder) RecordDeliveries(_ context.Context, ds []ritorno.Delivery) ([]bool, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := make([]error, len(ds))
	for i, d := range ds {
		if r.fail {
			errs[i] = errors.New("database down")
			continue
		}
		if r.poison != "" && d.WebhookID == r.poison {
			errs[i] = errors.New("row refused")
			continue
		}
		r.saved = append(r.saved, d)
	}
	return make([]bool, len(ds)), errs
}

type shops struct{}

func (shops) ShopByDomain(_ context.Context, _ ritorno.PlatformName, domain string) (ritorno.Shop, error) {
	if domain == "known.myshopify.com" {
		return ritorno.Shop{ID: 7, Domain: domain}, nil
	}
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
}

func (shops) ShopByConnectionKey(_ context.Context, key string) (ritorno.Shop, error) {
	if key == "k1" {
		return ritorno.Shop{ID: 8, Domain: "https://woo.example"}, nil
	}
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
}

func (shops) Credentials(context.Context, int64) (ritorno.ShopCredentials, error) {
	return ritorno.ShopCredentials{WebhookSecret: "wsecret"}, nil
}

func newReceiver(t *testing.T, inbox *recorder) http.Handler {
	gin.SetMode(gin.TestMode)
	r := webhooks.NewReceiver(webhooks.Config{Inbox: inbox, Shops: shops{}, Shopify: shopify.NewVerifier("secret", ""),
		WooCommerce: woocommerce.Verifier{}, Platforms: []ritorno.Platform{shopify.NewPlatform(), woocommerce.NewPlatform()},
		Registry: prometheus.NewRegistry()})
	t.Cleanup(r.Close)
	e := gin.New()
	r.Register(e)
	return e
}

func send(h http.Handler, path, body string, headers map[string]string) int {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

func TestShopifyReceipt(t *testing.T) {
	body := `{"id":1}`
	signed := func(topic, domain string) map[string]string {
		return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain,
			"X-Shopify-Hmac-Sha256": shopify.SignWebhook([]byte(body), "secret"), "X-Shopify-Webhook-Id": "w1"}
	}
	cases := []struct {
		name    string
		headers map[string]string
		code    int
		status  ritorno.DeliveryStatus
	}{
		{"known shop", signed("orders/create", "known.myshopify.com"), 200, ritorno.DeliveryPending},
		{"unknown shop is parked", signed("orders/create", "new.myshopify.com"), 200, ritorno.DeliveryParked},
		{"unknown topic is ignored", signed("carts/update", "known.myshopify.com"), 200, ritorno.DeliveryIgnored},
		{"no shop domain fails", signed("orders/create", ""), 200, ritorno.DeliveryFailed},
		{"foreign domain fails", signed("orders/create", "evil.example.com"), 200, ritorno.DeliveryFailed},
		{"unprefixed headers", map[string]string{"Shopify-Topic": "orders/create", "Shopify-Shop-Domain": "known.myshopify.com",
			"Shopify-Hmac-Sha256": shopify.SignWebhook([]byte(body), "secret")}, 200, ritorno.DeliveryPending},
		{"bad signature", map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "bad"}, 401, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inbox := &recorder{}
			h := newReceiver(t, inbox)
			if code := send(h, "/webhooks/shopify", body, c.headers); code != c.code {
				t.Fatalf("answered %d, want %d", code, c.code)
			}
			if c.status == "" {
				if len(inbox.saved) != 0 {
					t.Fatal("a refused delivery was stored")
				}
				return
			}
			// A delivery that will never be applied (ignored, refused at receipt) keeps no
			// body: it would be personal data beyond any erasure.
			want := body
			if c.status == ritorno.DeliveryIgnored || c.status == ritorno.DeliveryFailed {
				want = ""
			}
			if len(inbox.saved) != 1 || inbox.saved[0].Status != c.status || string(inbox.saved[0].Body) != want {
				t.Fatalf("stored %+v, want one %s delivery with body %q", inbox.saved, c.status, want)
			}
			if want == "" && inbox.saved[0].Body == nil {
				t.Fatal("an empty body must be stored as empty, not NULL")
			}
		})
	}
}

func TestInboxFailureIsNotAcknowledged(t *testing.T) {
	inbox := &recorder{fail: true}
	h := newReceiver(t, inbox)
	body := `{"id":1}`
	code := send(h, "/webhooks/shopify", body, map[string]string{"X-Shopify-Topic": "orders/create",
		"X-Shopify-Shop-Domain": "known.myshopify.com", "X-Shopify-Hmac-Sha256": shopify.SignWebhook([]byte(body), "secret")})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("answered %d while the inbox is down; want 503 so that the platform retries", code)
	}
}

func TestWooCommerceReceipt(t *testing.T) {
	inbox := &recorder{}
	h := newReceiver(t, inbox)
	if code := send(h, "/webhooks/woocommerce/k1", "webhook_id=5", nil); code != 200 || len(inbox.saved) != 0 {
		t.Fatalf("ping = %d with %d stored", code, len(inbox.saved))
	}
	body := `{"id":3}`
	sig := woocommerce.SignWebhook([]byte(body), "wsecret")
	if code := send(h, "/webhooks/woocommerce/k1", body, map[string]string{"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": sig}); code != 200 {
		t.Fatalf("signed delivery = %d", code)
	}
	if code := send(h, "/webhooks/woocommerce/nope", body, map[string]string{"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": sig}); code != 401 {
		t.Fatalf("unknown key = %d", code)
	}
	if code := send(h, "/webhooks/woocommerce/k1", body, map[string]string{"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": "x"}); code != 401 {
		t.Fatalf("bad signature = %d", code)
	}
	if code := send(h, "/webhooks/woocommerce/k1", "not json", map[string]string{"X-WC-Webhook-Topic": "order.created",
		"X-WC-Webhook-Signature": woocommerce.SignWebhook([]byte("not json"), "wsecret")}); code != 200 {
		t.Fatalf("invalid JSON = %d (stored as failed, acknowledged)", code)
	}
	if len(inbox.saved) != 2 || inbox.saved[0].ShopID != 8 || inbox.saved[0].Status != ritorno.DeliveryPending || inbox.saved[1].Status != ritorno.DeliveryFailed {
		t.Fatalf("stored %+v", inbox.saved)
	}
}

// concurrentDeliveries sends 30 signed deliveries at once, one of them with the given
// webhook id, and returns the answers by webhook id.
func concurrentDeliveries(h http.Handler, odd string) map[string]int {
	body := `{"id":1}`
	sig := shopify.SignWebhook([]byte(body), "secret")
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 30 {
		id := "w" + strconv.Itoa(i)
		if i == 17 {
			id = odd
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := send(h, "/webhooks/shopify", body, map[string]string{"X-Shopify-Topic": "orders/create",
				"X-Shopify-Shop-Domain": "known.myshopify.com", "X-Shopify-Hmac-Sha256": sig, "X-Shopify-Webhook-Id": id})
			mu.Lock()
			codes[id] = code
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestOversizedHeaderIsRefusedAlone: an 8,000-character webhook id among 30 concurrent
// deliveries is answered 400 and kept nowhere; its neighbours are acknowledged.
func TestOversizedHeaderIsRefusedAlone(t *testing.T) {
	inbox := &recorder{}
	h := newReceiver(t, inbox)
	huge := strings.Repeat("x", 8000)
	codes := concurrentDeliveries(h, huge)
	for id, code := range codes {
		if want := map[bool]int{true: 400, false: 200}[id == huge]; code != want {
			t.Errorf("webhook id of %d characters answered %d, want %d", len(id), code, want)
		}
	}
	if len(inbox.saved) != 29 {
		t.Fatalf("stored %d deliveries, want the 29 valid ones", len(inbox.saved))
	}

	body := `{"id":1}`
	sig := shopify.SignWebhook([]byte(body), "secret")
	for name, headers := range map[string]map[string]string{
		"domain": {"X-Shopify-Shop-Domain": strings.Repeat("a", 8000) + ".myshopify.com"},
		"topic":  {"X-Shopify-Topic": strings.Repeat("orders/", 1000)},
	} {
		all := map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "known.myshopify.com",
			"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Webhook-Id": "w-" + name}
		for k, v := range headers {
			all[k] = v
		}
		if code := send(h, "/webhooks/shopify", body, all); code != 400 {
			t.Errorf("oversized %s header answered %d, want 400", name, code)
		}
	}
	// Reference-only headers are dropped, not refused.
	if code := send(h, "/webhooks/shopify", body, map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "known.myshopify.com",
		"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Webhook-Id": "w-ref", "X-Shopify-Event-Id": huge, "X-Shopify-API-Version": huge}); code != 200 {
		t.Fatalf("oversized event id answered %d, want 200", code)
	}
	if last := inbox.saved[len(inbox.saved)-1]; len(inbox.saved) != 30 || last.EventID != "" || last.APIVersion != "" {
		t.Fatalf("stored %d deliveries, last with event id of %d and API version of %d characters", len(inbox.saved), len(last.EventID), len(last.APIVersion))
	}
	woo := `{"id":3}`
	if code := send(h, "/webhooks/woocommerce/k1", woo, map[string]string{"X-WC-Webhook-Topic": strings.Repeat("order.", 1000),
		"X-WC-Webhook-Signature": woocommerce.SignWebhook([]byte(woo), "wsecret")}); code != 400 {
		t.Fatalf("oversized WooCommerce topic answered %d, want 400", code)
	}
}

// TestOneRefusedRowFailsOnlyItsRequest: when the inbox refuses one delivery of a group
// commit, only that request is unanswered (503); its neighbours are acknowledged.
func TestOneRefusedRowFailsOnlyItsRequest(t *testing.T) {
	inbox := &recorder{poison: "refused"}
	h := newReceiver(t, inbox)
	for id, code := range concurrentDeliveries(h, "refused") {
		if want := map[bool]int{true: 503, false: 200}[id == "refused"]; code != want {
			t.Errorf("delivery %s answered %d, want %d", id, code, want)
		}
	}
}
