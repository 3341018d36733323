package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/bench"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
	"github.com/ritorno/ritorno/woocommerce"
)

const appSecret = "shpss_test_app_secret"

// server is a booted Main for end-to-end tests.
type server struct {
	t    *testing.T
	env  map[string]string
	addr string
	db   *store.DB
	stop func()
	main *Main
}

// envFor is the environment of a server on the given fresh database.
func envFor(t *testing.T, dsn string) map[string]string {
	env := embeddedEnv(t)
	env["SHOPIFY_API_SECRET"] = appSecret
	env["RITORNO_APP_URL"] = "https://ritorno.example.com"
	if strings.HasPrefix(dsn, "postgres") {
		env["RITORNO_DATABASE_URL"], env["RITORNO_ENCRYPTION_KEY"] = dsn, testKey
	}
	return env
}

func boot(t *testing.T, env map[string]string, hooks serveHooks) *server {
	t.Helper()
	cfg, err := loadConfig(envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), hooks: hooks}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	s := &server{t: t, env: env, addr: m.listener.Addr().String(), db: m.db, main: m}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stop: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// post sends a delivery and returns the status code.
func (s *server) post(path string, headers map[string]string, body []byte) int {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+path, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var webhookSeq int

// shopify sends a correctly signed Shopify delivery.
func (s *server) shopify(domain, topic string, body []byte) int {
	s.t.Helper()
	webhookSeq++
	return s.shopifyWithID(domain, topic, fmt.Sprintf("wh-%d", webhookSeq), body)
}

func (s *server) shopifyWithID(domain, topic, webhookID string, body []byte) int {
	s.t.Helper()
	path := "/webhooks/shopify"
	if topic == "customers/redact" || topic == "shop/redact" || topic == "customers/data_request" {
		path = "/webhooks/shopify/compliance"
	}
	return s.post(path, map[string]string{
		"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain,
		"X-Shopify-Hmac-Sha256": shopify.SignWebhook(body, appSecret), "X-Shopify-Webhook-Id": webhookID,
		"X-Shopify-Event-Id": "ev-" + webhookID, "X-Shopify-API-Version": "2026-07",
		"X-Shopify-Triggered-At": time.Now().UTC().Format(time.RFC3339Nano),
	}, body)
}

// settle waits until no delivery is pending or being processed.
func (s *server) settle() map[ritorno.DeliveryStatus]int64 {
	s.t.Helper()
	var counts map[ritorno.DeliveryStatus]int64
	waitFor(s.t, "deliveries to be processed", func() bool {
		var err error
		counts, err = s.db.DeliveryCounts(context.Background(), 0)
		if err != nil {
			s.t.Fatal(err)
		}
		return counts[ritorno.DeliveryPending]+counts[ritorno.DeliveryProcessing] == 0
	})
	return counts
}

// history runs `ritorno history` and decodes its JSON.
func (s *server) history(args ...string) historyView {
	s.t.Helper()
	code, out, errOut := runCLI(s.t, s.env, "", append([]string{"history"}, args...)...)
	if code != 0 {
		s.t.Fatalf("history %v = %d: %s", args, code, errOut)
	}
	var v historyView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		s.t.Fatalf("history output is not JSON: %v\n%s", err, out)
	}
	return v
}

func fixtureBody(t *testing.T, name, wrapper string, edit func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../../testdata/platform-samples", name))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep ids exact
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	if wrapper != "" {
		obj = obj[wrapper].(map[string]any)
	}
	if edit != nil {
		edit(obj)
	}
	b, _ := json.Marshal(obj)
	return b
}

func mustCreateShop(t *testing.T, db *store.DB, shop ritorno.Shop, creds ritorno.ShopCredentials) ritorno.Shop {
	t.Helper()
	if shop.Status == "" {
		shop.Status, shop.Timezone, shop.InstalledAt = ritorno.ShopInstalled, "UTC", time.Now()
	}
	created, err := db.CreateShop(context.Background(), shop, creds)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// TestShopifyWebhooksEndToEnd sends every kind of Shopify delivery through HTTP with real
// signatures and checks the histories, the inbox and the redactions in the database.
func TestShopifyWebhooksEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		const domain = "e2e.myshopify.com"
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Currency: "USD"},
			ritorno.ShopCredentials{AccessToken: "shpat_x"})

		order := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) {
			o["updated_at"] = "2024-05-01T10:00:00Z"
		})
		staleOrder := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) {
			o["updated_at"], o["total_price"] = "2024-04-01T10:00:00Z", "1.00"
		})
		refund := fixtureBody(t, "shopify-refund-rest-resource.json", "refund", nil)
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)
		product := fixtureBody(t, "shopify-product-rest-resource.json", "product", nil)
		testOrder := fixtureBody(t, "shopify-order-go-shopify.json", "order", nil)

		// Refund before its order (out of order), customer, product, the order twice (a
		// retry with the same webhook id), then an older update.
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"refunds/create", refund}, {"customers/create", customer}, {"products/create", product}} {
			if code := s.shopify(domain, d.topic, d.body); code != 200 {
				t.Fatalf("%s answered %d", d.topic, code)
			}
		}
		for range 2 {
			if code := s.shopifyWithID(domain, "orders/create", "same-delivery", order); code != 200 {
				t.Fatalf("orders/create answered %d", code)
			}
		}
		if code := s.shopify(domain, "orders/updated", staleOrder); code != 200 {
			t.Fatalf("stale update answered %d", code)
		}
		if code := s.shopify(domain, "orders/create", testOrder); code != 200 {
			t.Fatalf("test order answered %d", code)
		}

		// Refused and odd deliveries.
		bad := map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": domain,
			"X-Shopify-Hmac-Sha256": shopify.SignWebhook(order, "wrong"), "X-Shopify-Webhook-Id": "bad-1"}
		if code := s.post("/webhooks/shopify", bad, order); code != 401 {
			t.Errorf("bad signature answered %d", code)
		}
		delete(bad, "X-Shopify-Hmac-Sha256")
		if code := s.post("/webhooks/shopify/compliance", bad, order); code != 401 {
			t.Errorf("missing signature on the compliance route answered %d", code)
		}
		if code := s.shopify(domain, "carts/update", []byte(`{"id":1}`)); code != 200 {
			t.Errorf("unknown topic answered %d", code)
		}
		if code := s.shopify(domain, "orders/create", []byte(`{"id": 1, oops`)); code != 200 {
			t.Errorf("invalid JSON answered %d", code)
		}
		huge := bytes.Repeat([]byte("x"), 6<<20)
		if code := s.shopify(domain, "orders/create", huge); code != 413 {
			t.Errorf("oversized body answered %d", code)
		}

		counts := s.settle()
		if counts[ritorno.DeliveryDone] != 6 || counts[ritorno.DeliveryIgnored] != 1 || counts[ritorno.DeliveryFailed] != 1 || counts[ritorno.DeliveryDead] != 0 {
			t.Fatalf("inbox = %v; want 6 done (the duplicate stored once), 1 ignored, 1 failed", counts)
		}

		resp, err := http.Get("http://" + s.addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`ritorno_webhook_deliveries_total{platform="shopify",result="duplicate",topic="orders/create"} 1`,
			`ritorno_webhook_deliveries_total{platform="shopify",result="unauthorized",topic="other"} 2`,
			`ritorno_webhook_deliveries_total{platform="shopify",result="ignored",topic="other"} 1`,
			`ritorno_webhook_deliveries_total{platform="shopify",result="invalid_json",topic="orders/create"} 1`,
			`ritorno_webhook_deliveries_total{platform="shopify",result="too_large",topic="other"} 1`,
			`ritorno_webhook_processing_total{outcome="done",platform="shopify",topic="refunds/create"} 1`,
		} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		h := s.history("--shop", domain, "--customer", "207119551")
		if h.Customer == nil || h.Customer.Email != "bob.norman@hostmail.com" || len(h.Orders) != 1 {
			t.Fatalf("history = %+v", h)
		}
		o := h.Orders[0]
		if o.ID != 450789469 || o.Total != "409.94" || o.Refunded != "209.00" || o.Net != "200.94" || len(o.LineItems) != 3 || len(o.Refunds) != 1 {
			t.Fatalf("order in history = %+v (the stale update must not win, the early refund must be kept)", o)
		}
		if h.Summary.OrderCount != 1 || h.Summary.NetSpent != "200.94" {
			t.Fatalf("summary = %+v", h.Summary)
		}
		guest := s.history("--shop", domain, "--email", "Jon@Doe.ca")
		if len(guest.Orders) != 1 || !guest.Orders[0].Test || guest.Summary.OrderCount != 0 {
			t.Fatalf("the test order must be stored but not counted: %+v", guest)
		}
		if p, err := s.db.Product(context.Background(), shop.ID, 632910392); err != nil || len(p.Variants) != 4 {
			t.Fatalf("product: %+v, %v", p, err)
		}

		// Concurrent updates of one order: the newest payload wins, whatever the order.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) {
					o["updated_at"] = fmt.Sprintf("2024-06-01T10:00:0%dZ", i)
					o["note"] = fmt.Sprint(i)
					o["total_price"] = fmt.Sprintf("40%d.00", i)
				})
				if code := s.shopifyWithID(domain, "orders/updated", fmt.Sprintf("concurrent-%d", i), body); code != 200 {
					t.Errorf("concurrent update %d answered %d", i, code)
				}
			}()
		}
		wg.Wait()
		s.settle()
		if got, _ := s.db.Order(context.Background(), shop.ID, 450789469); got.Total.Decimal() != "407.00" || len(got.Refunds) != 1 {
			t.Fatalf("after concurrent updates total = %s with %d refunds, want the newest (407.00) keeping the refund", got.Total.Decimal(), len(got.Refunds))
		}

		// A data request, then redaction of the customer.
		if code := s.shopify(domain, "customers/data_request", []byte(`{"shop_id":1,"shop_domain":"`+domain+`","orders_requested":[450789469],"customer":{"id":207119551,"email":"bob.norman@hostmail.com"},"data_request":{"id":77}}`)); code != 200 {
			t.Fatalf("data request answered %d", code)
		}
		s.settle()
		code, out, errOut := runCLI(t, s.env, "", "gdpr", "export", "--shop", domain, "--request", "77")
		if code != 0 || !strings.Contains(out, "bob.norman@hostmail.com") || !strings.Contains(out, "450789469") {
			t.Fatalf("gdpr export = %d %s %s", code, out, errOut)
		}
		if code := s.shopify(domain, "customers/redact", []byte(`{"shop_id":1,"shop_domain":"`+domain+`","customer":{"id":207119551,"email":"bob.norman@hostmail.com"},"orders_to_redact":[450789469]}`)); code != 200 {
			t.Fatalf("redact answered %d", code)
		}
		s.settle()
		for _, table := range []string{"customers", "orders", "webhook_deliveries"} {
			if raw := storetest.AllRows(t, s.db, table, shop.ID); strings.Contains(strings.ToLower(raw), "bob.norman") ||
				strings.Contains(raw, ritorno.HashEmail("bob.norman@hostmail.com")) || strings.Contains(raw, "Norman") {
				t.Errorf("%s still holds the redacted customer's data:\n%s", table, raw)
			}
		}
		if h := s.history("--shop", domain, "--customer", "207119551"); h.Customer.Email != "" || h.Customer.Redacted == "" || h.Summary.NetSpent != "198.00" {
			t.Errorf("after redaction: %+v (amounts stay as anonymous aggregates: 407.00 less the 209.00 refund)", h)
		}

		// Uninstall drops tokens; shop/redact erases the rest.
		if code := s.shopify(domain, "app/uninstalled", []byte(`{"id":1,"myshopify_domain":"`+domain+`"}`)); code != 200 {
			t.Fatal("uninstall refused")
		}
		s.settle()
		if got, _ := s.db.Shop(context.Background(), shop.ID); got.Status != ritorno.ShopUninstalled {
			t.Errorf("status after uninstall = %s", got.Status)
		}
		if creds, _ := s.db.Credentials(context.Background(), shop.ID); creds.AccessToken != "" {
			t.Error("the access token survived uninstall")
		}
		if code := s.shopify(domain, "shop/redact", []byte(`{"shop_id":1,"shop_domain":"`+domain+`"}`)); code != 200 {
			t.Fatal("shop/redact refused")
		}
		s.settle()
		for _, table := range storetest.ShopTables {
			if n := storetest.CountRows(t, s.db, table, shop.ID); n != 0 {
				t.Errorf("%s keeps %d rows after shop/redact", table, n)
			}
		}
		if got, _ := s.db.Shop(context.Background(), shop.ID); got.Status != ritorno.ShopRedacted {
			t.Errorf("status after shop/redact = %s", got.Status)
		}
	})
}

// TestParkedUntilTheShopAppears: a verified delivery for an unknown shop is stored and
// processed once the shop is connected.
func TestParkedUntilTheShopAppears(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		const domain = "late.myshopify.com"
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)
		if code := s.shopify(domain, "customers/create", customer); code != 200 {
			t.Fatalf("answered %d", code)
		}
		if counts := s.settle(); counts[ritorno.DeliveryParked] != 1 {
			t.Fatalf("inbox = %v, want 1 parked", counts)
		}
		code, _, errOut := runCLI(t, s.env, "", "shops", "add", "--platform", "shopify", "--domain", domain, "--access-token", "shpat_x", "--currency", "USD")
		if code != 0 {
			t.Fatal(errOut)
		}
		waitFor(t, "the parked delivery to be applied", func() bool {
			shop, err := s.db.ShopByDomain(context.Background(), ritorno.Shopify, domain)
			if err != nil {
				return false
			}
			_, err = s.db.Customer(context.Background(), shop.ID, 207119551)
			return err == nil
		})
	})
}

// TestAcknowledgedThenKilled: a server acknowledges deliveries and dies before processing
// them; the next server processes them.
func TestAcknowledgedThenKilled(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		first := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, first.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "kill.myshopify.com", Currency: "USD"}, ritorno.ShopCredentials{})
		order := fixtureBody(t, "shopify-order-rest-resource.json", "order", nil)
		if code := first.shopify(shop.Domain, "orders/create", order); code != 200 {
			t.Fatalf("answered %d", code)
		}
		first.stop()
		second := boot(t, env, serveHooks{})
		second.settle()
		if _, err := second.db.Order(context.Background(), shop.ID, 450789469); err != nil {
			t.Fatalf("the acknowledged order was lost: %v", err)
		}
	})
}

// TestWooCommerceWebhooksEndToEnd: ping, signatures per shop, a guest order joined to the
// account created later, deletion, and refusals.
func TestWooCommerceWebhooksEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		const secret = "wc_webhook_secret"
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: "https://woo.example", Currency: "USD",
			ConnectionKey: "conn-key-1"}, ritorno.ShopCredentials{ConsumerKey: "ck", ConsumerSecret: "cs", WebhookSecret: secret})
		path := "/webhooks/woocommerce/" + shop.ConnectionKey
		send := func(topic string, body []byte, sig string) int {
			return s.post(path, map[string]string{"Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
				"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Delivery-ID": fmt.Sprint(time.Now().UnixNano())}, body)
		}
		if code := s.post(path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("webhook_id=17")); code != 200 {
			t.Fatalf("ping answered %d", code)
		}
		order := fixtureBody(t, "woocommerce-order.json", "", nil)
		customer := fixtureBody(t, "woocommerce-customer.json", "", func(c map[string]any) { c["date_modified_gmt"] = "2017-03-25T00:00:00" })
		if code := send("order.created", order, woocommerce.SignWebhook(order, secret)); code != 200 {
			t.Fatalf("order answered %d", code)
		}
		// The same delivery again: WooCommerce ids change per attempt, so both are stored
		// and processing is idempotent.
		if code := send("order.created", order, woocommerce.SignWebhook(order, secret)); code != 200 {
			t.Fatalf("retry answered %d", code)
		}
		if code := send("customer.created", customer, woocommerce.SignWebhook(customer, secret)); code != 200 {
			t.Fatalf("customer answered %d", code)
		}
		if code := send("order.created", order, woocommerce.SignWebhook(order, "other-shops-secret")); code != 401 {
			t.Errorf("wrong secret answered %d", code)
		}
		if code := s.post("/webhooks/woocommerce/unknown-key", map[string]string{"X-WC-Webhook-Topic": "order.created",
			"X-WC-Webhook-Signature": woocommerce.SignWebhook(order, secret)}, order); code != 401 {
			t.Errorf("unknown connection key answered %d", code)
		}
		counts := s.settle()
		if counts[ritorno.DeliveryDone] != 3 {
			t.Fatalf("inbox = %v (the ping stores nothing)", counts)
		}
		h := s.history("--shop", "https://woo.example", "--customer", "25")
		if h.Customer == nil || len(h.Orders) != 1 || h.Orders[0].ID != 727 || h.Summary.NetSpent != "29.35" {
			t.Fatalf("the guest order did not join the new account: %+v", h)
		}
		if code := send("order.deleted", []byte(`{"id":727}`), woocommerce.SignWebhook([]byte(`{"id":727}`), secret)); code != 200 {
			t.Fatal("delete refused")
		}
		s.settle()
		if h := s.history("--shop", "https://woo.example", "--customer", "25"); h.Summary.OrderCount != 0 || h.Orders[0].DeletedAt == "" {
			t.Fatalf("a deleted order still counts: %+v", h)
		}
	})
}

// TestBenchSmoke runs the webhook benchmark briefly on each dialect: every acknowledged
// delivery must be processed (the full run is make bench-webhooks; no timing is asserted).
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("load smoke run")
	}
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		code, out, errOut := runCLI(t, env, "", "bench", "webhooks", "--duration", "1s", "--concurrency", "4")
		if code != 0 {
			t.Fatalf("bench = %d: %s\n%s", code, errOut, out)
		}
		var rep bench.WebhooksReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Acknowledged.Deliveries == 0 || rep.Processing.Done != rep.Acknowledged.Deliveries || rep.Processing.Lost != 0 || rep.InsertCeiling.Rows == 0 {
			t.Fatalf("bench report: %+v", rep)
		}
	})
}

// TestOneClaimedBatchWithMixedOutcomes queues deliveries while no worker runs, so that the
// next start claims them together and applies them in one transaction: an order, a newer
// version of it, a second order, a refund of an order that does not exist (retried later),
// an order that can never apply (failed), and a customer. Each gets its own outcome and
// the good ones are committed.
func TestOneClaimedBatchWithMixedOutcomes(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		first := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, first.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "batch.myshopify.com", Currency: "USD"}, ritorno.ShopCredentials{})
		order := fixtureBody(t, "shopify-order-rest-resource.json", "order", nil)
		newer := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) {
			o["updated_at"], o["note"], o["tags"] = "2030-01-01T00:00:00Z", "newer", "batch-newer"
		})
		second := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) { o["id"] = 777001 })
		orphanRefund := fixtureBody(t, "shopify-refund-rest-resource.json", "refund", func(r map[string]any) { r["order_id"] = 999999 })
		broken := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) { o["id"], o["currency"] = 777002, "" })
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"orders/create", order}, {"orders/updated", newer}, {"orders/create", second}, {"refunds/create", orphanRefund},
			{"orders/create", broken}, {"customers/create", customer}} {
			if code := first.shopify(shop.Domain, d.topic, d.body); code != 200 {
				t.Fatalf("%s answered %d", d.topic, code)
			}
		}
		first.stop()

		s := boot(t, env, serveHooks{})
		var counts map[ritorno.DeliveryStatus]int64
		waitFor(t, "the batch to be applied", func() bool {
			var err error
			counts, err = s.db.DeliveryCounts(context.Background(), shop.ID)
			if err != nil {
				t.Fatal(err)
			}
			return counts[ritorno.DeliveryProcessing] == 0 && counts[ritorno.DeliveryDone] >= 4
		})
		if counts[ritorno.DeliveryDone] != 4 || counts[ritorno.DeliveryFailed] != 1 || counts[ritorno.DeliveryPending] != 1 {
			t.Fatalf("outcomes = %v, want 4 done, 1 failed (broken order), 1 pending (orphan refund)", counts)
		}
		ctx := context.Background()
		got, err := s.db.Order(ctx, shop.ID, 450789469)
		if err != nil || !slices.Contains(got.Tags, "batch-newer") {
			t.Fatalf("order = %+v, %v; want the newer version", got.Tags, err)
		}
		if _, err := s.db.Order(ctx, shop.ID, 777001); err != nil {
			t.Fatalf("second order: %v", err)
		}
		if _, err := s.db.Order(ctx, shop.ID, 777002); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("the broken order was stored: %v", err)
		}
		if _, err := s.db.Customer(ctx, shop.ID, 207119551); err != nil {
			t.Fatalf("customer after a failed delivery in the same batch: %v", err)
		}
	})
}

// TestOversizedHeaderAmongConcurrentDeliveries: the reproduction of issue 13's defect 4.
// Thirty signed deliveries at once, one with an 8,000-character random webhook id (or
// shop domain): that one is refused with 400 and stored nowhere; the 29 others are
// acknowledged and stored, and nothing answers 503.
func TestOversizedHeaderAmongConcurrentDeliveries(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "huge.myshopify.com", Currency: "USD"}, ritorno.ShopCredentials{})
		body := fixtureBody(t, "shopify-order-rest-resource.json", "order", nil)
		sig := shopify.SignWebhook(body, appSecret)
		rnd := rand.New(rand.NewPCG(13, 4))
		huge := make([]byte, 8000)
		for i := range huge {
			huge[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[rnd.IntN(62)]
		}
		for round, header := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Shop-Domain"} {
			codes := make([]int, 30)
			errs := make([]error, 30)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range codes {
				headers := map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": shop.Domain,
					"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Webhook-Id": fmt.Sprintf("huge-%d-%d", round, i)}
				if i == 11 {
					headers[header] = string(huge)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/webhooks/shopify", bytes.NewReader(body))
					for k, v := range headers {
						req.Header.Set(k, v)
					}
					<-start
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs[i] = err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					codes[i] = resp.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			for i, code := range codes {
				want := 200
				if i == 11 {
					want = 400
				}
				if errs[i] != nil || code != want {
					t.Errorf("%s: delivery %d answered %d (%v), want %d", header, i, code, errs[i], want)
				}
			}
			counts, err := s.db.DeliveryCounts(context.Background(), 0)
			if want := int64(29 * (round + 1)); err != nil || counts[ritorno.DeliveryPending] != want || len(counts) != 1 {
				t.Fatalf("%s: stored %v (%v), want only the %d valid deliveries, pending", header, counts, err, want)
			}
		}
	})
}

// TestCrashDrainTime measures how long a server takes to drain a backlog that a crashed
// server had claimed: deliveries are acknowledged, claimed as the crashed worker would
// (with the default lease), and a new server is started. It takes about one lease per
// database, so it runs only when RITORNO_MEASURE_CRASH_DRAIN=1; it prints the figure.
func TestCrashDrainTime(t *testing.T) {
	if os.Getenv("RITORNO_MEASURE_CRASH_DRAIN") != "1" {
		t.Skip("set RITORNO_MEASURE_CRASH_DRAIN=1 to measure")
	}
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		first := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, first.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "drain.myshopify.com", Currency: "USD"}, ritorno.ShopCredentials{})
		const n = 2000
		for i := range n {
			body := fixtureBody(t, "shopify-order-rest-resource.json", "order", func(o map[string]any) { o["id"] = 900000 + i })
			if code := first.shopify(shop.Domain, "orders/create", body); code != 200 {
				t.Fatalf("answered %d", code)
			}
		}
		// The crashed worker's claims, with the lease a runner takes by default.
		lease := 20 * time.Second
		claimed := 0
		for claimed < n {
			c, err := first.db.ClaimDeliveries(context.Background(), 256, lease)
			if err != nil {
				t.Fatal(err)
			}
			claimed += len(c)
		}
		crashed := time.Now()
		first.stop()
		second := boot(t, env, serveHooks{})
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			counts, err := second.db.DeliveryCounts(context.Background(), shop.ID)
			if err != nil {
				t.Fatal(err)
			}
			if counts[ritorno.DeliveryDone] == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not drained after 5 minutes: %v", counts)
			}
		}
		t.Logf("%d claimed deliveries drained %.1f s after the crash (lease %v)", n, time.Since(crashed).Seconds(), lease)
	})
}
