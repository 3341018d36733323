//go:build browser

// The browser test drives Debian's Chromium (scripts/browser-deps.sh installs it; nothing is
// downloaded) through the demo page: go test -tags browser ./storefront/ -run Browser -v

package storefront

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/storefront/browsertest"
)

// stubEvent is one event the widget posted, as the stand-in events endpoint decoded it.
type stubEvent struct {
	Type  string `json:"type"`
	Token string `json:"token"`
}

// stubItems are contract-shaped recommendations (storefront-contract.md) for product 101.
var stubItems = []map[string]any{
	{"product_id": "201", "variant_id": "2001", "title": "Waxed canvas tote", "url": "/products/tote",
		"image_url": "/stub/img/201.svg", "price": map[string]string{"amount": "19.99", "currency": "EUR"},
		"kind": "cross_sell", "reason": "Bought together by 38 customers", "token": "tok-201"},
	{"product_id": "202", "variant_id": "2002", "title": "Oak serving board", "url": "/products/board",
		"image_url": "/stub/img/202.svg", "price": map[string]string{"amount": "34.50", "currency": "EUR"},
		"kind": "cross_sell", "reason": "Often bought with Linen apron", "token": "tok-202"},
	{"product_id": "203", "variant_id": "2003", "title": "Linen apron, long", "url": "/products/apron-long",
		"image_url": "/stub/img/203.svg", "price": map[string]string{"amount": "39.00", "currency": "EUR"},
		"kind": "up_sell", "reason": "A longer cut, chosen by 12 customers instead", "token": "tok-203"},
	{"product_id": "204", "variant_id": "2004", "title": "Beeswax wraps (set of 3)", "url": "/products/wraps",
		"price": map[string]string{"amount": "12.00", "currency": "EUR"},
		// The engine's longest kind of reason: its figures come last, so a cut line would hide them.
		"kind": "cross_sell", "reason": "bought together with White Hanging Heart T-Light Holder by 23 customers; 3.2× more often than chance",
		"token": "tok-204"},
}

// browserShop is the test server: the widget files, the demo shop and stand-ins for the
// recommendations and events endpoints, with channels reporting what reached it.
type browserShop struct {
	*httptest.Server
	events chan stubEvent
	adds   chan string // bodies of successful cart adds
	// gate holds every stub recommendations answer until the test closes it, so that the
	// widget renders after the first paint, as on a real network, where a shift would count.
	gate chan struct{}
}

// release lets the held recommendations answers go once the page has painted without them.
func (s *browserShop) release(t *testing.T, ctx context.Context) {
	t.Helper()
	state := browsertest.Step(t, ctx, "wait for the first paint", chromedp.Evaluate[[]string](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() =>
	  r([...document.querySelectorAll('.ritorno-recs')].map(b => b.dataset.ritornoState || '')))))`, chromedp.EvalAwaitPromise))
	for _, st := range state {
		if st != "loading" {
			t.Fatalf("widget states %v before the answers were released, want all loading", state)
		}
	}
	close(s.gate)
}

func mustBrowserShop(t *testing.T) *browserShop {
	t.Helper()
	gin.SetMode(gin.TestMode)
	s := &browserShop{events: make(chan stubEvent, 100), adds: make(chan string, 10), gate: make(chan struct{})}
	r := gin.New()
	held := func(c *gin.Context) {
		select {
		case <-s.gate:
		case <-c.Request.Context().Done():
			c.Abort()
		}
	}
	r.Use(func(c *gin.Context) {
		if c.Request.Method != http.MethodPost || c.Request.URL.Path != "/demo/cart/add" {
			return
		}
		body, _ := io.ReadAll(c.Request.Body)
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		c.Next()
		if c.Writer.Status() == http.StatusOK {
			s.adds <- string(body)
		}
	})
	RegisterWidget(r)
	variants := func(_ context.Context, id string) (DemoProduct, error) {
		for _, it := range stubItems {
			if it["variant_id"] == id {
				return DemoProduct{ID: it["product_id"].(string), VariantID: id, Title: it["title"].(string),
					Price: ritorno.MustParseMoney(it["price"].(map[string]string)["amount"], "EUR")}, nil
			}
		}
		return demoLookup(true)(context.Background(), id)
	}
	(&Demo{Endpoint: "/stub/recommendations", Events: "/stub/events", ProductID: "101", Locale: "en-GB",
		Product: demoLookup(false), Variant: variants}).Register(r)

	r.GET("/stub/recommendations", held, func(c *gin.Context) {
		if c.Query("placement") == "cart" && c.Query("cart") != "" && c.Query("product_id") == "" && c.Query("limit") == "4" {
			// The cart page's block: what goes with the cart, never what is in it.
			in := map[string]bool{}
			for _, id := range strings.Split(c.Query("cart"), ",") {
				in[id] = true
			}
			items := []map[string]any{}
			for _, it := range stubItems {
				if !in[it["product_id"].(string)] {
					items = append(items, it)
				}
			}
			c.Header("Cache-Control", "no-store")
			c.JSON(http.StatusOK, gin.H{"placement": "cart", "items": items})
			return
		}
		if c.Query("placement") != "product" || c.Query("product_id") != "101" || c.Query("limit") != "4" {
			c.JSON(http.StatusBadRequest, gin.H{"error": gin.H{"code": "invalid", "message": "unexpected query " + c.Request.URL.RawQuery}})
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"placement": "product", "items": stubItems})
	})
	r.GET("/stub/none", held, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"placement": "product", "items": []any{}}) })
	r.GET("/stub/broken", held, func(c *gin.Context) { c.String(http.StatusInternalServerError, "down") })
	r.POST("/stub/events", func(c *gin.Context) {
		var batch struct {
			stubEvent
			Events []stubEvent `json:"events"`
		}
		if err := json.NewDecoder(c.Request.Body).Decode(&batch); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		if batch.Type != "" {
			batch.Events = append(batch.Events, batch.stubEvent)
		}
		for _, e := range batch.Events {
			s.events <- e
		}
		c.Status(http.StatusAccepted)
	})
	r.GET("/stub/img/:file", func(c *gin.Context) {
		c.Data(http.StatusOK, "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#b9c6a8"/></svg>`))
	})
	// A page with widgets that find nothing: two in view, one far below the fold.
	r.GET("/stub/empty", func(c *gin.Context) {
		c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>empty</title><link rel="stylesheet" href="/widget/ritorno.css"><script src="/widget/ritorno.js" async></script></head><body>
<div id="none" class="ritorno-recs" data-endpoint="/stub/none" data-events="/stub/events" data-platform="demo" data-product-id="101" style="min-height: 200px"></div>
<p id="after-none">Below the first widget.</p>
<div id="broken" class="ritorno-recs" data-endpoint="/stub/broken" data-events="/stub/events" data-platform="demo" data-product-id="101" style="min-height: 200px"></div>
<p id="after-broken">Below the second widget.</p>
<div style="height: 3000px"></div>
<div id="below" class="ritorno-recs" data-endpoint="/stub/none" data-events="/stub/events" data-platform="demo" data-product-id="101" style="min-height: 200px"></div>
<p>End.</p></body></html>`))
	})
	// The control: a widget without reserved space above text must register a layout shift,
	// or a CLS of 0 elsewhere would prove nothing.
	r.GET("/stub/unreserved", func(c *gin.Context) {
		c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>unreserved</title><link rel="stylesheet" href="/widget/ritorno.css"><script src="/widget/ritorno.js" async></script></head><body>
<div class="ritorno-recs" data-endpoint="/stub/recommendations" data-platform="demo" data-product-id="101" data-limit="4"></div>
<p>Text that the widget pushes down.</p></body></html>`))
	})
	s.Server = httptest.NewServer(r)
	t.Cleanup(s.Close)
	return s
}

// receive waits for the next value on ch, up to a deadline.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not reach the server within 10 s", what)
		panic("unreachable")
	}
}

func TestBrowserDemoStore(t *testing.T) {
	shop := mustBrowserShop(t)
	ctx, console := browsertest.Start(t)

	browsertest.Step(t, ctx, "load /demo/store", chromedp.Navigate(shop.URL+"/demo/store"))
	shop.release(t, ctx)
	browsertest.Step(t, ctx, "wait for the widget", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-ritorno-state="ready"] .ritorno-recs__item`)))

	fit := browsertest.Step(t, ctx, "measure the widget", chromedp.Evaluate[[]float64](`(() => {
	  const b = document.querySelector('.ritorno-recs');
	  return [b.getBoundingClientRect().height, parseFloat(b.style.minHeight), b.scrollHeight, innerHeight];
	})()`))
	t.Logf("widget box: %vpx tall, %vpx reserved, content %vpx; viewport %vpx tall", fit[0], fit[1], fit[2], fit[3])
	if footer := browsertest.Step(t, ctx, "find the footer", chromedp.Evaluate[float64](`document.querySelector('footer').getBoundingClientRect().top`)); footer >= fit[3] {
		t.Errorf("the footer (top %vpx) is below the fold: the CLS check would not see the widget push it", footer)
	}
	if fit[0] != fit[1] {
		t.Errorf("the widget grew from its reserved %vpx to %vpx: raise the demo's reserved height", fit[1], fit[0])
	}

	type renderedItem struct {
		Title, Reason, Price, Href, Alt, Button, Label string
		ReasonCut                                      bool // the reason's box hides part of its text
	}
	type rendered struct {
		Heading, LabelledBy, HeadingID string
		Items                          []renderedItem
	}
	got := browsertest.Step(t, ctx, "read the widget", chromedp.Evaluate[rendered](`(() => {
	  const box = document.querySelector('.ritorno-recs');
	  const q = (el, s) => el.querySelector(s);
	  const head = q(box, 'h2');
	  return {
	    Heading: head ? head.textContent : '', HeadingID: head ? head.id : '',
	    LabelledBy: q(box, 'ul').getAttribute('aria-labelledby') || '',
	    Items: [...box.querySelectorAll('ul > li')].map(li => ({
	      Title: q(li, '.ritorno-recs__title').textContent,
	      Reason: (q(li, '.ritorno-recs__reason') || {}).textContent || '',
	      ReasonCut: (r => !!r && (r.scrollHeight > r.clientHeight + 1 || getComputedStyle(r).textOverflow === 'ellipsis'))(q(li, '.ritorno-recs__reason')),
	      Price: (q(li, '.ritorno-recs__price') || {}).textContent || '',
	      Href: (q(li, 'a') || {}).href || '',
	      Alt: q(li, 'img') ? q(li, 'img').getAttribute('alt') : 'no img',
	      Button: (q(li, 'button') || {}).textContent || '',
	      Label: q(li, 'button') ? q(li, 'button').getAttribute('aria-label') : '',
	    })),
	  };
	})()`))
	if got.Heading != "You may also like" || got.LabelledBy == "" || got.LabelledBy != got.HeadingID {
		t.Errorf("heading %q (id %q) must label the list (aria-labelledby %q)", got.Heading, got.HeadingID, got.LabelledBy)
	}
	if len(got.Items) != len(stubItems) {
		t.Fatalf("%d items rendered, want %d", len(got.Items), len(stubItems))
	}
	for i, it := range got.Items {
		want := stubItems[i]
		if it.Title != want["title"] || it.Reason != want["reason"] || it.Button != "Add" || !strings.HasPrefix(it.Label, "Add: ") {
			t.Errorf("item %d = %+v, want title %q, reason %q and an Add button", i, it, want["title"], want["reason"])
		}
		if it.ReasonCut {
			t.Errorf("item %d's reason %q is cut: its figures are hidden", i, it.Reason)
		}
		if wantHref := shop.URL + "/demo/store?product_id=" + want["product_id"].(string); it.Href != wantHref {
			t.Errorf("item %d links to %s, want %s", i, it.Href, wantHref)
		}
		if !strings.Contains(it.Price, "€") || !strings.Contains(it.Price, want["price"].(map[string]string)["amount"]) {
			t.Errorf("item %d price %q is not formatted for en-GB EUR", i, it.Price)
		}
	}
	t.Logf("rendered: %+v", got.Items)

	cls := browsertest.Step(t, ctx, "measure layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise))
	t.Logf("cumulative layout shift after the widget rendered: %v", cls)
	if cls != 0 {
		t.Errorf("cumulative layout shift = %v, want 0", cls)
	}

	// The list is in view on a 1280×1200 window (with the footer in view, so a growing widget would shift it), so all four impressions arrive.
	impressions := map[string]bool{}
	for len(impressions) < len(stubItems) {
		e := receive(t, shop.events, "impression events")
		if e.Type != "impression" {
			t.Fatalf("event %+v before the impressions", e)
		}
		impressions[e.Token] = true
	}

	browsertest.Step(t, ctx, "click Add", chromedp.Click(chromedp.CSS(`.ritorno-recs__item:first-child .ritorno-recs__add`)))
	if body := receive(t, shop.adds, "the cart add"); !strings.Contains(body, `"variant_id":"2001"`) {
		t.Errorf("cart add body %s, want variant 2001", body)
	}
	if e := receive(t, shop.events, "the add_to_cart event"); e.Type != "add_to_cart" || e.Token != "tok-201" {
		t.Errorf("event %+v, want add_to_cart with tok-201", e)
	}
	browsertest.Step(t, ctx, "cart counter and button update", chromedp.Poll[bool](`document.getElementById('cart-count').textContent === '1'
	  && document.querySelector('.ritorno-recs__item:first-child .ritorno-recs__add').textContent === 'Added'
	  && document.querySelector('.ritorno-recs__status').textContent === 'Added: Waxed canvas tote'`,
		chromedp.WithPollingTimeout(10*time.Second)))

	type resource struct {
		Name                                           string
		TransferSize, EncodedBodySize, DecodedBodySize int
	}
	res := browsertest.Step(t, ctx, "read resource timing", chromedp.Evaluate[[]resource](`performance.getEntriesByType('resource')
	  .filter(e => /\/widget\/ritorno\.(js|css)$/.test(new URL(e.name).pathname))
	  .map(e => ({Name: new URL(e.name).pathname, TransferSize: e.transferSize, EncodedBodySize: e.encodedBodySize, DecodedBodySize: e.decodedBodySize}))`))
	var transferred, encoded int
	for _, r := range res {
		t.Logf("%s: transferred %d bytes (body %d encoded, %d decoded)", r.Name, r.TransferSize, r.EncodedBodySize, r.DecodedBodySize)
		transferred += r.TransferSize
		encoded += r.EncodedBodySize
		if r.EncodedBodySize >= r.DecodedBodySize {
			t.Errorf("%s was not served compressed", r.Name)
		}
	}
	t.Logf("widget transferred: %d bytes with headers, %d bytes of gzipped bodies (budget %d)", transferred, encoded, widgetBudget)
	if len(res) != 2 || encoded > widgetBudget || encoded == 0 {
		t.Errorf("widget resources %+v: want ritorno.js and ritorno.css, at most %d bytes together", res, widgetBudget)
	}

	shot := browsertest.Step(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	dir := os.Getenv("RITORNO_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "storefront-demo.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))

	browsertest.Step(t, ctx, "open the cart", chromedp.Navigate(shop.URL+"/demo/store/cart"))
	if cart := browsertest.Step(t, ctx, "read the cart", chromedp.Evaluate[string](`document.querySelector('.cart-table tbody').textContent`)); !strings.Contains(cart, "Waxed canvas tote") {
		t.Errorf("the cart page shows %q, want the added tote", cart)
	}
	demoCartBlock(t, ctx, shop)
	browsertest.QuietConsole(t, console())
}

// demoCartBlock checks the cart page's "Complete your order" block: the widget's cart
// placement with the cart's product ids, at its reserved height (no shift), and an add that
// lands in the cart the page lists. The tote (201) is in the cart.
func demoCartBlock(t *testing.T, ctx context.Context, shop *browserShop) {
	t.Helper()
	browsertest.Step(t, ctx, "wait for the cart block", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-ritorno-state="ready"] .ritorno-recs__item`)))
	type block struct {
		Placement, Cart, Heading string
		Titles                   []string
		Height, Reserved         float64
	}
	got := browsertest.Step(t, ctx, "read the cart block", chromedp.Evaluate[block](`(() => {
	  const b = document.querySelector('.ritorno-recs');
	  return {Placement: b.dataset.placement, Cart: b.dataset.cart, Heading: b.querySelector('h2').textContent,
	    Titles: [...b.querySelectorAll('.ritorno-recs__title')].map(e => e.textContent),
	    Height: b.getBoundingClientRect().height, Reserved: parseFloat(b.style.minHeight)};
	})()`))
	t.Logf("cart block: %+v", got)
	if got.Placement != "cart" || got.Cart != "201" || got.Heading != "Complete your order" {
		t.Errorf("cart block %+v, want the cart placement for product 201 headed Complete your order", got)
	}
	if len(got.Titles) != len(stubItems)-1 || strings.Contains(strings.Join(got.Titles, "|"), "Waxed canvas tote") {
		t.Errorf("cart block shows %q, want the stub items but the tote already in the cart", got.Titles)
	}
	if got.Height != got.Reserved {
		t.Errorf("the cart block grew from its reserved %vpx to %vpx", got.Reserved, got.Height)
	}
	if cls := browsertest.Step(t, ctx, "measure the cart page's layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise)); cls != 0 {
		t.Errorf("cumulative layout shift on the cart page = %v, want 0", cls)
	}
	saveShot(t, ctx, "storefront-demo-cart.png")

	browsertest.Step(t, ctx, "add from the cart block", chromedp.Click(chromedp.CSS(`.ritorno-recs__item:first-child .ritorno-recs__add`)))
	if body := receive(t, shop.adds, "the cart block's add"); !strings.Contains(body, `"variant_id":"2002"`) {
		t.Errorf("cart add body %s, want variant 2002", body)
	}
	// The page reloads itself after the add: each check runs in whichever document is there.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		listed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('.cart-table tbody')
		  && document.querySelector('.cart-table tbody').textContent.includes('Oak serving board')
		  && document.querySelector('.ritorno-recs').dataset.cart === '201,202'`))
		if err == nil && listed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cart page does not list the board added from its block (last error: %v)", err)
		}
	}
}

// saveShot keeps a full-page screenshot in $RITORNO_ARTIFACTS (a temporary folder without it).
func saveShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot := browsertest.Step(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := os.Getenv("RITORNO_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}

func TestBrowserEmptyStates(t *testing.T) {
	shop := mustBrowserShop(t)
	ctx, console := browsertest.Start(t)

	browsertest.Step(t, ctx, "load the empty page", chromedp.Navigate(shop.URL+"/stub/empty"))
	shop.release(t, ctx)
	browsertest.Step(t, ctx, "wait for the answers", chromedp.Poll[bool](
		`[...document.querySelectorAll('.ritorno-recs')].every(b => b.dataset.ritornoState === 'empty')`,
		chromedp.WithPollingTimeout(10*time.Second)))
	type box struct {
		ID, Visibility string
		Height         float64
		Hidden         bool
		Children       int
	}
	boxes := browsertest.Step(t, ctx, "read the boxes", chromedp.Evaluate[[]box](`[...document.querySelectorAll('.ritorno-recs')].map(b => ({
	  ID: b.id, Visibility: getComputedStyle(b).visibility, Height: b.getBoundingClientRect().height,
	  Hidden: b.hidden, Children: b.childElementCount }))`))
	want := map[string]box{
		"none":   {ID: "none", Visibility: "hidden", Height: 200},
		"broken": {ID: "broken", Visibility: "hidden", Height: 200},
		"below":  {ID: "below", Visibility: "hidden", Height: 0, Hidden: true},
	}
	for _, b := range boxes {
		if b != want[b.ID] {
			t.Errorf("box %s = %+v, want %+v (in view: blank and keeping its space; below the fold: collapsed)", b.ID, b, want[b.ID])
		}
	}
	if cls := browsertest.Step(t, ctx, "measure layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise)); cls != 0 {
		t.Errorf("cumulative layout shift = %v with empty widgets, want 0", cls)
	}
	globals := browsertest.Step(t, ctx, "list globals", chromedp.Evaluate[[]string](`(() => {
	  const f = document.createElement('iframe');
	  document.body.appendChild(f);
	  const base = new Set(Object.getOwnPropertyNames(f.contentWindow));
	  f.remove();
	  return Object.getOwnPropertyNames(window).filter(k => !base.has(k));
	})()`))
	if len(globals) != 1 || globals[0] != "Ritorno" {
		t.Errorf("the widget added the globals %v, want only Ritorno", globals)
	}
	select {
	case e := <-shop.events:
		t.Errorf("an empty widget sent the event %+v", e)
	default:
	}
	browsertest.QuietConsole(t, console())
}

// TestBrowserLayoutShiftIsMeasured is the control for the CLS checks: without reserved space
// the same widget must produce a shift that the measurement sees.
func TestBrowserLayoutShiftIsMeasured(t *testing.T) {
	shop := mustBrowserShop(t)
	ctx, _ := browsertest.Start(t)
	browsertest.Step(t, ctx, "load the unreserved page", chromedp.Navigate(shop.URL+"/stub/unreserved"))
	shop.release(t, ctx)
	browsertest.Step(t, ctx, "wait for the widget", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-ritorno-state="ready"] li`)))
	cls := browsertest.Step(t, ctx, "measure layout shift", chromedp.Evaluate[float64](browsertest.SettledCLS, chromedp.EvalAwaitPromise))
	t.Logf("control: cumulative layout shift without reserved space = %v", cls)
	if cls <= 0 {
		t.Error("a widget without reserved space shifted nothing: the CLS measurement is blind")
	}
}

// wooShops is the one WooCommerce shop of TestBrowserRealStorefront, whose store origin is the
// test server itself (the widget's requests come from the demo page on that origin).
type wooShops struct{ origin *string }

func (s wooShops) ShopByDomain(context.Context, ritorno.PlatformName, string) (ritorno.Shop, error) {
	return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
}

func (s wooShops) ShopByConnectionKey(_ context.Context, key string) (ritorno.Shop, error) {
	if key != "democonn" {
		return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such shop")
	}
	return ritorno.Shop{ID: 1, Platform: ritorno.WooCommerce, Domain: *s.origin, Status: ritorno.ShopInstalled,
		Currency: "EUR", ConnectionKey: key}, nil
}

func (s wooShops) Credentials(context.Context, int64) (ritorno.ShopCredentials, error) {
	return ritorno.ShopCredentials{}, nil
}

type fixedRecommender []recommend.Item

func (f fixedRecommender) Recommend(context.Context, int64, recommend.Request) (recommend.Response, error) {
	return recommend.Response{Items: f}, nil
}

type chanEvents chan ritorno.StorefrontEvent

func (ch chanEvents) RecordStorefrontEvents(_ context.Context, _ int64, events []ritorno.StorefrontEvent) error {
	for _, e := range events {
		ch <- e
	}
	return nil
}

// TestBrowserRealStorefront runs the widget against the real storefront routes (the
// WooCommerce public route, so no app proxy signature is needed): its tracking tokens, its
// events endpoint fed by sendBeacon, its DTO.
func TestBrowserRealStorefront(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var origin string
	events := make(chanEvents, 100)
	r := gin.New()
	RegisterWidget(r)
	New(Config{Shops: wooShops{&origin}, Events: events, TrackingKey: []byte("browser-test-key-0123456789abcdef"),
		Recommender: fixedRecommender{
			{ProductID: 201, VariantID: 2001, Title: "Waxed canvas tote", Handle: "tote", Price: ritorno.MustParseMoney("19.99", "EUR"),
				Kind: recommend.KindCrossSell, Reason: "Bought together by 38 customers"},
			{ProductID: 203, VariantID: 2003, Title: "Linen apron, long", Handle: "apron-long", Price: ritorno.MustParseMoney("39.00", "EUR"),
				Kind: recommend.KindUpSell, Reason: "A longer cut"},
		}}).Register(r)
	(&Demo{Endpoint: "/storefront/v1/democonn/recommendations", Events: "/storefront/v1/democonn/events", ProductID: "101",
		Locale: "en-GB", Product: demoLookup(false)}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	origin = srv.URL

	ctx, console := browsertest.Start(t)
	browsertest.Step(t, ctx, "load /demo/store", chromedp.Navigate(srv.URL+"/demo/store"))
	browsertest.Step(t, ctx, "wait for the widget", chromedp.WaitVisible(chromedp.CSS(`.ritorno-recs[data-ritorno-state="ready"] .ritorno-recs__item`)))
	reasons := browsertest.Step(t, ctx, "read the reasons", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.ritorno-recs__reason')].map(e => e.textContent)`))
	if strings.Join(reasons, "|") != "Bought together by 38 customers|A longer cut" {
		t.Errorf("reasons %q, want the recommender's", reasons)
	}
	for range 2 {
		if e := receive(t, events, "impression events"); e.Type != ritorno.StorefrontImpression {
			t.Fatalf("event %+v, want impressions first", e)
		}
	}
	browsertest.Step(t, ctx, "click Add", chromedp.Click(chromedp.CSS(`.ritorno-recs__item:first-child .ritorno-recs__add`)))
	e := receive(t, events, "the add_to_cart event")
	if e.Type != ritorno.StorefrontAddToCart || e.ProductID != 201 || e.VariantID != 2001 || e.Kind != "cross_sell" || e.Placement != "product" {
		t.Errorf("recorded %+v, want add_to_cart of product 201 / variant 2001, cross_sell, product placement", e)
	}
	browsertest.QuietConsole(t, console())
}
