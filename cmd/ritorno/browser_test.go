//go:build browser

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
	"github.com/ritorno/ritorno/storefront/browsertest"
)

// TestBrowserRealDemo is the newcomer's path in real headless Chromium: the whole server
// as `make run` starts it, with the demo shop loaded from the bundled data, its model
// built in the background; /demo/store shows the widget with real recommendations and
// their reasons, "Add" fills the demo cart and its add_to_cart event is stored, nothing
// shifts the layout, and a screenshot is kept (storefront-demo-real-*.png); a second start
// reuses the shop. (demo_test.go checks the same path without a browser.)
func TestBrowserRealDemo(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		// The page must be the demo store's own origin (its URL is RITORNO_APP_URL), so the
		// port is chosen before the start.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		env := envFor(t, dsn)
		env["RITORNO_DEMO"], env["RITORNO_ADDR"], env["RITORNO_APP_URL"] = "true", addr, "http://"+addr
		s := boot(t, env, serveHooks{})
		base := "http://" + addr
		shop, err := s.db.ShopByDomain(context.Background(), ritorno.WooCommerce, base)
		if err != nil {
			t.Fatal(err)
		}
		// The widget asks once, at page load: wait until the shop's model answers.
		status, page := get(t, base+"/demo/store")
		if status != http.StatusOK {
			t.Fatalf("demo page: %d", status)
		}
		product := between(page, `data-product-id="`, `"`)
		waitFor(t, "the demo shop's model", func() bool {
			resp, err := http.Get(base + "/storefront/v1/" + shop.ConnectionKey + "/recommendations?placement=product&product_id=" + product)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), `"reason"`) {
				time.Sleep(50 * time.Millisecond) // under the per-address rate limit
				return false
			}
			return true
		})

		ctx, console := browsertest.Start(t)
		browsertest.Step(t, ctx, "load /demo/store", chromedp.Navigate(base+"/demo/store"))
		browsertest.Step(t, ctx, "wait for the widget", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-ritorno-state="ready"] .ritorno-recs__item`)))
		type item struct{ Title, Reason, Price string }
		items := browsertest.Step(t, ctx, "read the widget", chromedp.Evaluate[[]item](`[...document.querySelectorAll('.ritorno-recs ul > li')].map(li => ({
		  Title: li.querySelector('.ritorno-recs__title').textContent,
		  Reason: (li.querySelector('.ritorno-recs__reason') || {}).textContent || '',
		  Price: (li.querySelector('.ritorno-recs__price') || {}).textContent || ''}))`))
		if len(items) == 0 {
			t.Fatal("no items rendered")
		}
		for i, it := range items {
			if it.Title == "" || it.Reason == "" || !strings.Contains(it.Price, "£") {
				t.Errorf("item %d = %+v: want a title, a reason and a price in pounds", i, it)
			}
		}
		t.Logf("rendered: %+v", items)
		if cls := browsertest.Step(t, ctx, "measure layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise)); cls != 0 {
			t.Errorf("cumulative layout shift = %v, want 0", cls)
		}

		browsertest.Step(t, ctx, "click Add", chromedp.Click(chromedp.CSS(`.ritorno-recs__item:first-child .ritorno-recs__add`)))
		browsertest.Step(t, ctx, "the cart counts it", chromedp.Poll[bool](`document.getElementById('cart-count').textContent === '1'`,
			chromedp.WithPollingTimeout(10*time.Second)))
		waitFor(t, "the add_to_cart event in storage", func() bool {
			p, err := s.db.RecommendationPerformance(context.Background(), shop.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return p.AddToCarts == 1 && p.Impressions >= 1
		})

		shot := browsertest.Step(t, ctx, "screenshot", chromedp.FullScreenshot(100))
		dir := os.Getenv("RITORNO_ARTIFACTS")
		if dir == "" {
			dir = t.TempDir()
		}
		path := filepath.Join(dir, fmt.Sprintf("storefront-demo-real-%s.png", filepath.Base(t.Name())))
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)

		// The cart page: the widget's cart placement for what was just added, every reason
		// whole, at the reserved height, nothing shifted.
		browsertest.Step(t, ctx, "open the cart", chromedp.Navigate(base+"/demo/store/cart"))
		browsertest.Step(t, ctx, "wait for the cart block", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-placement="cart"][data-ritorno-state="ready"] .ritorno-recs__item`)))
		type cartBlock struct {
			Heading, Cart    string
			Reasons          []string
			Cut              int
			Height, Reserved float64
		}
		cb := browsertest.Step(t, ctx, "read the cart block", chromedp.Evaluate[cartBlock](`(() => {
		  const b = document.querySelector('.ritorno-recs');
		  const rs = [...b.querySelectorAll('.ritorno-recs__reason')];
		  return {Heading: b.querySelector('h2').textContent, Cart: b.dataset.cart, Reasons: rs.map(r => r.textContent),
		    Cut: rs.filter(r => r.scrollHeight > r.clientHeight + 1).length,
		    Height: b.getBoundingClientRect().height, Reserved: parseFloat(b.style.minHeight)};
		})()`))
		t.Logf("cart block: %+v", cb)
		if cb.Heading != "Complete your order" || cb.Cart == "" || len(cb.Reasons) == 0 || cb.Cut != 0 {
			t.Errorf("cart block %+v: want Complete your order for the cart, with whole reasons", cb)
		}
		if cb.Height != cb.Reserved {
			t.Errorf("the cart block grew from its reserved %vpx to %vpx", cb.Reserved, cb.Height)
		}
		if cls := browsertest.Step(t, ctx, "measure the cart page's layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise)); cls != 0 {
			t.Errorf("cumulative layout shift on the cart page = %v, want 0", cls)
		}
		shot = browsertest.Step(t, ctx, "cart screenshot", chromedp.FullScreenshot(100))
		path = filepath.Join(dir, fmt.Sprintf("storefront-demo-real-cart-%s.png", filepath.Base(t.Name())))
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)

		// The demo shop's admin, opened with the link serve prints, with no Shopify at all.
		var printed bytes.Buffer
		s.main.printDemoLinks(&printed)
		link := between(printed.String(), "Demo admin:  ", "\n")
		browsertest.Step(t, ctx, "open the admin link", chromedp.Navigate(link))
		browsertest.Step(t, ctx, "the admin shows the demo shop", chromedp.Poll[bool](`!document.getElementById('admin').hidden
		  && document.getElementById('shop-name').textContent === 'Ritorno demo shop'
		  && document.getElementById('kpis').textContent.includes('"orders"')
		  && !location.hash`, chromedp.WithPollingTimeout(10*time.Second)))
		shot = browsertest.Step(t, ctx, "admin screenshot", chromedp.FullScreenshot(100))
		path = filepath.Join(dir, fmt.Sprintf("admin-demo-%s.png", filepath.Base(t.Name())))
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
		browsertest.QuietConsole(t, console())

		// A second start finds the demo shop instead of importing it again.
		s.stop()
		s2 := boot(t, env, serveHooks{noWorkers: true})
		again, err := s2.db.ShopByDomain(context.Background(), ritorno.WooCommerce, base)
		if err != nil || again.ID != shop.ID {
			t.Fatalf("second start: shop %+v, %v; want the first one (%d)", again, err, shop.ID)
		}
	})
}

// between returns the text of s after the first open and before the next close.
func between(s, open, close string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	if j := strings.Index(s, close); j >= 0 {
		return s[:j]
	}
	return ""
}
