//go:build !browser

// With -tags browser, browser_test.go walks the same path in Chromium (and more).

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestDemoShop boots the server as `make run` does with the demo on: the bundled sample
// becomes a shop, /demo/store shows a product page whose widget endpoint is the shop's real
// public storefront route, that route answers real recommendations with reasons once the
// model is built, an event sent with an item's token is recorded, and a second start
// finds the shop instead of importing it again.
func TestDemoShop(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		env["RITORNO_DEMO"] = "true"
		s := boot(t, env, serveHooks{})
		ctx := context.Background()
		shop, err := s.db.ShopByDomain(ctx, ritorno.WooCommerce, "https://ritorno.example.com")
		if err != nil {
			t.Fatalf("no demo shop: %v", err)
		}
		orders := 0
		if err := s.db.EachCountedOrder(ctx, shop.ID, func(int64, int64, time.Time, int64, string) error { orders++; return nil }); err != nil || orders != 1711 {
			t.Fatalf("the demo shop has %d orders (%v), want the sample's 1,711", orders, err)
		}

		status, page := get(t, "http://"+s.addr+"/demo/store")
		endpoint := regexp.MustCompile(`data-endpoint="([^"]+)"`).FindStringSubmatch(page)
		product := regexp.MustCompile(`data-product-id="([^"]+)"`).FindStringSubmatch(page)
		if status != http.StatusOK || endpoint == nil || product == nil || !strings.Contains(page, "/widget/ritorno.js") {
			t.Fatalf("demo page answered %d:\n%s", status, page)
		}
		if want := "/storefront/v1/" + shop.ConnectionKey + "/recommendations"; endpoint[1] != want {
			t.Fatalf("widget endpoint %q, want the shop's public route %q", endpoint[1], want)
		}

		// Polled, not slept on: the model is built in the background after the start.
		var body []byte
		var raw []map[string]any
		waitFor(t, "the demo shop's recommendations", func() bool {
			resp, err := http.Get("http://" + s.addr + endpoint[1] + "?placement=product&limit=4&product_id=" + product[1])
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ = io.ReadAll(resp.Body)
			var a struct {
				Items []map[string]any `json:"items"`
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &a) != nil || len(a.Items) == 0 {
				time.Sleep(50 * time.Millisecond) // stay under the per-address rate limit while polling
				return false
			}
			raw = a.Items
			return true
		})
		for _, it := range raw {
			if it["reason"] == "" || it["token"] == "" || it["kind"] == "" || it["product_id"] == product[1] {
				t.Fatalf("item without a reason, token or kind, or the viewed product itself: %s", body)
			}
		}

		events := strings.Replace(endpoint[1], "/recommendations", "/events", 1)
		ev := `{"type":"impression","token":"` + raw[0]["token"].(string) + `"}`
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+events, strings.NewReader(ev))
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8") // as navigator.sendBeacon sends it
		eresp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		eresp.Body.Close()
		if eresp.StatusCode != http.StatusAccepted {
			t.Fatalf("event answered %d", eresp.StatusCode)
		}
		perf, err := s.db.RecommendationPerformance(ctx, shop.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil || perf.Impressions != 1 {
			t.Fatalf("performance after one impression: %+v, %v", perf, err)
		}

		// Its admin, without Shopify: serve prints a signed link, which the admin API takes,
		// and the landing page links to the store and the admin page.
		var printed bytes.Buffer
		s.main.printDemoLinks(&printed)
		link := regexp.MustCompile(`Demo admin:  (https://ritorno\.example\.com/admin#token=(\S+))`).FindStringSubmatch(printed.String())
		if link == nil || !strings.Contains(printed.String(), "Demo store:  https://ritorno.example.com/demo/store") {
			t.Fatalf("serve printed no demo links:\n%s", printed.String())
		}
		if status, body := getWith(t, "http://"+s.addr+"/api/admin/shop", "Bearer "+link[2]); status != http.StatusOK || !strings.Contains(body, `"name":"Ritorno demo shop"`) {
			t.Fatalf("the demo shop's admin with the printed link: %d %s", status, body)
		}
		if status, page := get(t, "http://"+s.addr+"/"); status != http.StatusOK || !strings.Contains(page, `href="/demo/store"`) ||
			!strings.Contains(page, `href="/admin"`) || !strings.Contains(page, "ritorno admin-url --shop https://ritorno.example.com") {
			t.Fatalf("the landing page lacks the demo's links: %d\n%s", status, page)
		}

		// A second start reuses the shop.
		s.stop()
		s2 := boot(t, env, serveHooks{noWorkers: true})
		again, err := s2.db.ShopByDomain(ctx, ritorno.WooCommerce, "https://ritorno.example.com")
		if err != nil || again.ID != shop.ID {
			t.Fatalf("second start: shop %+v, %v; want the first one (%d)", again, err, shop.ID)
		}
	})
}
