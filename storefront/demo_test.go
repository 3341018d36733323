package storefront

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
)

var demoCatalog = map[string]DemoProduct{
	"101": {ID: "101", VariantID: "1001", Title: "Linen apron", Description: "Stone-washed.", Price: ritorno.MustParseMoney("24.50", "EUR")},
	"102": {ID: "102", VariantID: "1002", Title: `Mug "<b>big</b>"`, Price: ritorno.MustParseMoney("12.00", "EUR")},
}

func demoLookup(byVariant bool) func(context.Context, string) (DemoProduct, error) {
	return func(_ context.Context, id string) (DemoProduct, error) {
		for _, p := range demoCatalog {
			if (!byVariant && p.ID == id) || (byVariant && p.VariantID == id) {
				return p, nil
			}
		}
		return DemoProduct{}, ritorno.Errorf(ritorno.ENOTFOUND, "no such product")
	}
}

// mustDemoRouter mounts a demo at base ("" for the root) with the catalogue above.
func mustDemoRouter(t *testing.T, base string) (*gin.Engine, *Demo) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	d := &Demo{Endpoint: "/storefront/v1/key/recommendations", Events: "/storefront/v1/key/events", ProductID: "101",
		Locale: "en-GB", Product: demoLookup(false), Variant: demoLookup(true)}
	if base == "" {
		d.Register(r)
	} else {
		d.Register(r.Group(base))
	}
	return r, d
}

type demoClient struct {
	t      *testing.T
	r      http.Handler
	cookie string
}

func (c *demoClient) do(method, path, body string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: demoCookie, Value: c.cookie})
	}
	w := httptest.NewRecorder()
	c.r.ServeHTTP(w, req)
	for _, ck := range w.Result().Cookies() {
		if ck.Name == demoCookie {
			c.cookie = ck.Value
		}
	}
	return w
}

func mustCart(t *testing.T, w *httptest.ResponseRecorder) demoCartResponse {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var cart demoCartResponse
	if err := json.Unmarshal(w.Body.Bytes(), &cart); err != nil {
		t.Fatal(err)
	}
	return cart
}

func TestDemoStorePage(t *testing.T) {
	cases := []struct {
		name, base, path string
		status           int
		want, not        []string
	}{
		{name: "default product", path: "/demo/store", status: 200, want: []string{
			"<h1>Linen apron</h1>", "24.50 EUR", `class="ritorno-recs"`, `data-platform="demo"`,
			`data-endpoint="/storefront/v1/key/recommendations"`, `data-events="/storefront/v1/key/events"`,
			`data-product-id="101"`, `data-currency="EUR"`, `data-locale="en-GB"`, `data-cart-endpoint="/demo/cart/add"`,
			`data-product-href="/demo/store?product_id={id}"`, `style="min-height: 520px"`,
			`<link rel="stylesheet" href="/widget/ritorno.css">`, `<script src="/widget/ritorno.js" async></script>`,
			`<svg class="product-image"`, `Cart (<span id="cart-count" aria-live="polite">0</span>)`,
		}},
		{name: "another product, escaped", path: "/demo/store?product_id=102", status: 200,
			want: []string{"Mug &#34;&lt;b&gt;big&lt;/b&gt;&#34;", `data-product-id="102"`}, not: []string{"<b>big</b>"}},
		{name: "under a base path", base: "/shop", path: "/shop/demo/store", status: 200, want: []string{
			`data-cart-endpoint="/shop/demo/cart/add"`, `href="/shop/widget/ritorno.css"`, `href="/shop/demo/store/cart"`,
			`data-product-href="/shop/demo/store?product_id={id}"`,
		}},
		{name: "unknown product", path: "/demo/store?product_id=999", status: 404},
		{name: "bad product id", path: "/demo/store?product_id=1%3Cx", status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := mustDemoRouter(t, tc.base)
			w := (&demoClient{t: t, r: r}).do("GET", tc.path, "")
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			page := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(page, s) {
					t.Errorf("page contains %s", s)
				}
			}
		})
	}
}

func TestDemoPlaceholderWithoutLookups(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	(&Demo{ProductID: "7"}).Register(r)
	c := &demoClient{t: t, r: r}
	if w := c.do("GET", "/demo/store", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "Demo product") {
		t.Fatalf("status %d, placeholder product missing", w.Code)
	}
	cart := mustCart(t, c.do("POST", "/demo/cart/add", `{"variant_id": 55}`))
	if len(cart.Items) != 1 || cart.Items[0].VariantID != "55" || cart.Items[0].Quantity != 1 || cart.Items[0].Price != nil {
		t.Errorf("cart = %+v, want variant 55 × 1 without a price", cart)
	}
	if w := c.do("GET", "/demo/store/cart", ""); !strings.Contains(w.Body.String(), "Variant 55") {
		t.Error("cart page does not name the bare variant")
	}
}

func TestDemoCart(t *testing.T) {
	r, _ := mustDemoRouter(t, "")
	alice, bob := &demoClient{t: t, r: r}, &demoClient{t: t, r: r}

	if w := alice.do("GET", "/demo/store/cart", ""); !strings.Contains(w.Body.String(), "Your cart is empty.") {
		t.Fatal("a new visitor's cart is not empty")
	} else if strings.Contains(w.Body.String(), "ritorno-recs") {
		t.Error("an empty cart has a recommendation block (the theme block renders none)")
	}
	mustCart(t, alice.do("POST", "/demo/cart/add", `{"variant_id": "1001", "quantity": 1}`))
	if alice.cookie == "" {
		t.Fatal("the first add sets no cart cookie")
	}
	cart := mustCart(t, alice.do("POST", "/demo/cart/add", `{"variant_id": "1001", "quantity": 2}`))
	cart = mustCart(t, alice.do("POST", "/demo/cart/add", `{"variant_id": "1002"}`))
	if cart.ItemCount != 4 || len(cart.Items) != 2 || cart.Items[0].Quantity != 3 || cart.Items[0].Title != "Linen apron" ||
		cart.Items[0].Line == nil || cart.Items[0].Line.Amount != "73.50" {
		t.Errorf("cart = %+v, want apron × 3 (73.50) and a mug", cart)
	}
	page := alice.do("GET", "/demo/store/cart", "").Body.String()
	for _, want := range []string{"Linen apron", "<td>3</td>", "85.50 EUR", "Cart (<span id=\"cart-count\" aria-live=\"polite\">4</span>)",
		// The widget's cart placement, as the theme's cart block places it: the cart's products.
		`class="ritorno-recs"`, `data-placement="cart"`, `data-cart="101,102"`, `data-heading="Complete your order"`,
		`data-endpoint="/storefront/v1/key/recommendations"`, `data-events="/storefront/v1/key/events"`,
		`data-cart-endpoint="/demo/cart/add"`, `data-currency="EUR"`, `style="min-height: 520px"`} {
		if !strings.Contains(page, want) {
			t.Errorf("cart page lacks %s", want)
		}
	}
	if cart := mustCart(t, bob.do("POST", "/demo/cart/add", `{"variant_id": "1002"}`)); cart.ItemCount != 1 {
		t.Errorf("another browser sees %d items, want its own 1", cart.ItemCount)
	}
}

func TestDemoCartAddRefusals(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
	}{
		{"not JSON", `variant_id=1001`, 400},
		{"no variant", `{"quantity": 1}`, 400},
		{"letters", `{"variant_id": "10a1"}`, 400},
		{"zero id", `{"variant_id": "000"}`, 400},
		{"boolean id", `{"variant_id": true}`, 400},
		{"negative quantity", `{"variant_id": "1001", "quantity": -1}`, 400},
		{"too many", `{"variant_id": "1001", "quantity": 100}`, 400},
		{"fractional quantity", `{"variant_id": "1001", "quantity": 1.5}`, 400},
		{"unknown variant", `{"variant_id": "9999"}`, 404},
		{"too large", `{"variant_id": "1001", "pad": "` + strings.Repeat("x", demoMaxBody) + `"}`, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := mustDemoRouter(t, "")
			w := (&demoClient{t: t, r: r}).do("POST", "/demo/cart/add", tc.body)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("body %s is not an error response", w.Body)
			}
		})
	}
}

// TestDemoCartsAreBounded: the demo is public, so a flood of new visitors must not grow
// memory without limit.
func TestDemoCartsAreBounded(t *testing.T) {
	r, d := mustDemoRouter(t, "")
	first := &demoClient{t: t, r: r}
	mustCart(t, first.do("POST", "/demo/cart/add", `{"variant_id": "1001"}`))
	for range demoMaxCarts {
		mustCart(t, (&demoClient{t: t, r: r}).do("POST", "/demo/cart/add", `{"variant_id": "1002"}`))
	}
	d.mu.Lock()
	n := len(d.carts)
	d.mu.Unlock()
	if n != demoMaxCarts {
		t.Errorf("%d carts kept, want at most %d", n, demoMaxCarts)
	}
	if cart := mustCart(t, first.do("POST", "/demo/cart/add", `{"variant_id": "1002"}`)); cart.ItemCount != 1 {
		t.Errorf("the least recently used cart was not the one evicted: it still has %d items", cart.ItemCount)
	}
}
