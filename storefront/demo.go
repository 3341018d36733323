package storefront

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

//go:embed demo/*.html
var demoTemplates embed.FS

const (
	demoCookie    = "ritorno_demo_cart"
	demoMaxCarts  = 1000 // the demo is public: memory stays bounded whoever calls it
	demoMaxLines  = 50
	demoMaxQty    = 99
	demoMaxBody   = 4 << 10
	demoReservePx = 520 // the widget's reserved height on the demo pages: four items whose reasons wrap to five lines
)

// DemoProduct is what the demo shop shows of a product or a cart line.
type DemoProduct struct {
	ID, VariantID string // platform ids, as the widget sends them
	Title         string
	Description   string
	Price         ritorno.Money
}

// Demo is a plain demo shop, for a newcomer to see the widget at work without a real store:
// GET /demo/store (a product page with the widget below it; ?product_id= shows another
// product), GET /demo/store/cart and POST /demo/cart/add (JSON {variant_id, quantity} →
// {items, item_count}), with one in-memory cart per browser cookie. The widget is loaded
// from RegisterWidget's paths under the same router, and its container uses data-platform
// "demo". The zero value works (a placeholder product); set the fields before Register and
// do not copy a Demo after that.
type Demo struct {
	Endpoint  string // recommendations URL the widget calls, e.g. "/storefront/v1/KEY/recommendations"
	Events    string // events URL the widget posts to
	ProductID string // the product the page shows when the URL names none
	Currency  string // ISO 4217 code for the widget's prices when an item carries none; default: the product's
	Locale    string // BCP 47 tag for the page and the widget's price format; default "en"

	// Product looks a product up for the page; nil shows a placeholder product.
	Product func(ctx context.Context, productID string) (DemoProduct, error)
	// Variant names and prices a cart line; nil keeps lines as bare variant ids. An error
	// (ritorno.ENOTFOUND for an unknown variant) refuses the add.
	Variant func(ctx context.Context, variantID string) (DemoProduct, error)

	mu    sync.Mutex
	carts map[string]*demoCart
	pages map[string]*template.Template
	base  string
}

type demoCart struct {
	lines   []demoLine
	touched time.Time
}

type demoLine struct {
	DemoProduct
	Quantity int
}

// Register serves the demo routes on r (relative to r's base path).
func (d *Demo) Register(r gin.IRouter) {
	d.base = ""
	if g, ok := r.(interface{ BasePath() string }); ok {
		d.base = strings.TrimRight(g.BasePath(), "/")
	}
	layout := template.Must(template.New("").Funcs(template.FuncMap{"price": demoPrice}).ParseFS(demoTemplates, "demo/layout.html"))
	d.pages = map[string]*template.Template{}
	for _, page := range []string{"store", "cart"} {
		d.pages[page] = template.Must(template.Must(layout.Clone()).ParseFS(demoTemplates, "demo/"+page+".html"))
	}
	d.mu.Lock()
	d.carts = map[string]*demoCart{}
	d.mu.Unlock()
	r.GET("/demo/store", d.store)
	r.GET("/demo/store/cart", d.cartPage)
	r.POST("/demo/cart/add", d.add)
}

// demoPage is what the templates see.
type demoPage struct {
	Title, Locale, Base, Assets, AddURL string
	CartCount                           int
	Product                             DemoProduct
	Widget                              demoWidget
	ReservePx                           int
	Lines                               []demoLine
	Total                               string
}

// demoWidget is the configuration of the widget's container: the product page's, or the
// cart page's (Cart: the cart's product ids, as the theme block's data-cart).
type demoWidget struct {
	Endpoint, Events, ProductID, Currency, ProductHref, Cart string
}

func (d *Demo) page(c *gin.Context, title string) demoPage {
	locale := d.Locale
	if locale == "" {
		locale = "en"
	}
	p := demoPage{Title: title, Locale: locale, Base: d.base, Assets: d.base + WidgetPath,
		AddURL: d.base + "/demo/cart/add", ReservePx: demoReservePx}
	if cart := d.cart(c, false); cart != nil {
		d.mu.Lock()
		p.Lines = append([]demoLine(nil), cart.lines...)
		d.mu.Unlock()
		for _, l := range p.Lines {
			p.CartCount += l.Quantity
		}
	}
	return p
}

func (d *Demo) render(c *gin.Context, name string, p demoPage) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store") // the page shows this browser's cart
	c.Status(http.StatusOK)
	if err := d.pages[name].ExecuteTemplate(c.Writer, "layout", p); err != nil {
		web.Logger(c).Error("demo page", "err", err) // the status is sent: nothing else to do
	}
}

func (d *Demo) store(c *gin.Context) {
	id := c.DefaultQuery("product_id", d.ProductID)
	if id != "" && !demoValidID(id) {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "product_id must be a number"))
		return
	}
	product := DemoProduct{ID: id, VariantID: id, Title: "Demo product",
		Description: "A product of the demo shop.", Price: ritorno.Money{Amount: 2400, Currency: "EUR"}}
	if d.Product != nil {
		var err error
		if product, err = d.Product(c.Request.Context(), id); err != nil {
			web.Error(c, fmt.Errorf("demo product: %w", err))
			return
		}
	}
	currency := d.Currency
	if currency == "" {
		currency = product.Price.Currency
	}
	p := d.page(c, product.Title)
	p.Product = product
	p.Widget = d.widget(currency)
	p.Widget.ProductID = product.ID
	d.render(c, "store", p)
}

// widget is the container's configuration that both pages share.
func (d *Demo) widget(currency string) demoWidget {
	return demoWidget{Endpoint: d.Endpoint, Events: d.Events, Currency: currency, ProductHref: d.base + "/demo/store?product_id={id}"}
}

func (d *Demo) cartPage(c *gin.Context) {
	p := d.page(c, "Cart")
	// A total only when every line has a price in one currency: never a sum of mixed money.
	var total ritorno.Money
	for i, l := range p.Lines {
		line, err := l.Price.Mul(int64(l.Quantity))
		if err == nil && i > 0 {
			line, err = total.Add(line)
		}
		if err != nil || l.Price.Currency == "" {
			total = ritorno.Money{}
			break
		}
		total = line
	}
	if total.Currency != "" {
		p.Total = demoPrice(total)
	}
	// The cart placement of the widget, as the theme block places it: the cart's distinct
	// product ids (at most 50, the route's limit); no block for an empty cart.
	currency := d.Currency
	if currency == "" {
		currency = total.Currency
	}
	p.Widget = d.widget(currency)
	seen := map[string]bool{}
	var ids []string
	for _, l := range p.Lines {
		if l.ID != "" && !seen[l.ID] && len(ids) < maxCartIDs {
			seen[l.ID] = true
			ids = append(ids, l.ID)
		}
	}
	p.Widget.Cart = strings.Join(ids, ",")
	d.render(c, "cart", p)
}

// demoID accepts a JSON string or number, since the widget's ids are strings but a hand-written
// request may send numbers.
type demoID string

func (id *demoID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return ritorno.Errorf(ritorno.EINVALID, "variant_id must be a string or a number")
		}
		s = n.String()
	}
	*id = demoID(s)
	return nil
}

type demoAddRequest struct {
	VariantID demoID `json:"variant_id"`
	Quantity  int    `json:"quantity"`
}

type demoCartResponse struct {
	Items     []demoCartItem `json:"items"`
	ItemCount int            `json:"item_count"`
}

type demoCartItem struct {
	VariantID string         `json:"variant_id"`
	ProductID string         `json:"product_id,omitempty"`
	Title     string         `json:"title,omitempty"`
	Quantity  int            `json:"quantity"`
	Price     *demoPriceJSON `json:"price,omitempty"`
	Line      *demoPriceJSON `json:"line_price,omitempty"`
}

type demoPriceJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func (d *Demo) add(c *gin.Context) {
	var req demoAddRequest
	body := http.MaxBytesReader(c.Writer, c.Request.Body, demoMaxBody)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if ritorno.ErrorCode(err) != ritorno.EINVALID && !errors.As(err, &tooLarge) {
			err = ritorno.Errorf(ritorno.EINVALID, "body must be JSON {\"variant_id\": \"…\", \"quantity\": 1}")
		}
		web.Error(c, err)
		return
	}
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	id := string(req.VariantID)
	if !demoValidID(id) || req.Quantity < 1 || req.Quantity > demoMaxQty {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "variant_id must be a number and quantity 1 to %d", demoMaxQty))
		return
	}
	product := DemoProduct{VariantID: id}
	if d.Variant != nil {
		var err error
		if product, err = d.Variant(c.Request.Context(), id); err != nil {
			web.Error(c, fmt.Errorf("demo cart: %w", err))
			return
		}
		product.VariantID = id
	}
	cart := d.cart(c, true)
	d.mu.Lock()
	defer d.mu.Unlock()
	found := false
	for i := range cart.lines {
		if cart.lines[i].VariantID == id {
			cart.lines[i].Quantity = min(cart.lines[i].Quantity+req.Quantity, demoMaxQty)
			found = true
		}
	}
	if !found {
		if len(cart.lines) >= demoMaxLines {
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "the demo cart holds at most %d lines", demoMaxLines))
			return
		}
		cart.lines = append(cart.lines, demoLine{DemoProduct: product, Quantity: req.Quantity})
	}
	resp := demoCartResponse{Items: []demoCartItem{}}
	for _, l := range cart.lines {
		item := demoCartItem{VariantID: l.VariantID, ProductID: l.ID, Title: l.Title, Quantity: l.Quantity}
		if l.Price.Currency != "" {
			item.Price = &demoPriceJSON{Amount: l.Price.Decimal(), Currency: l.Price.Currency}
			if line, err := l.Price.Mul(int64(l.Quantity)); err == nil {
				item.Line = &demoPriceJSON{Amount: line.Decimal(), Currency: line.Currency}
			}
		}
		resp.Items = append(resp.Items, item)
		resp.ItemCount += l.Quantity
	}
	c.JSON(http.StatusOK, resp)
}

// cart finds this browser's cart by its cookie; with create, it makes one (and sets the
// cookie) when there is none, evicting the least recently used cart beyond demoMaxCarts.
func (d *Demo) cart(c *gin.Context, create bool) *demoCart {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, err := c.Cookie(demoCookie); err == nil {
		if cart, ok := d.carts[id]; ok {
			cart.touched = time.Now()
			return cart
		}
	}
	if !create {
		return nil
	}
	if len(d.carts) >= demoMaxCarts {
		oldest := ""
		for id, cart := range d.carts {
			if oldest == "" || cart.touched.Before(d.carts[oldest].touched) {
				oldest = id
			}
		}
		delete(d.carts, oldest)
	}
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails
	id := hex.EncodeToString(b[:])
	cart := &demoCart{touched: time.Now()}
	d.carts[id] = cart
	http.SetCookie(c.Writer, &http.Cookie{Name: demoCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil, MaxAge: 86400})
	return cart
}

func demoValidID(id string) bool {
	if id == "" || len(id) > 20 || strings.Trim(id, "0") == "" {
		return false
	}
	return strings.Trim(id, "0123456789") == ""
}

// demoPrice renders money for the page ("24.00 EUR"); the widget formats its own with Intl.
func demoPrice(m ritorno.Money) string {
	if m.Currency == "" {
		return ""
	}
	return m.String()
}
