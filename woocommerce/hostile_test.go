package woocommerce_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
)

func edit(t testing.TB, body []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstOf(m map[string]any, key string) map[string]any {
	return m[key].([]any)[0].(map[string]any)
}

// A WooCommerce order dated 2302 (merchants can type the date) is kept: placed at its
// creation time when only the payment date is wrong, at the time of receipt when every
// date is.
func TestDecodeOrderImplausibleTimes(t *testing.T) {
	body := fixture(t, "woocommerce-order.json")
	created := time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC)
	o, err := woocommerce.DecodeOrder(edit(t, body, func(m map[string]any) { m["date_paid_gmt"] = "2302-03-22T19:28:08" }))
	if err != nil {
		t.Fatal(err)
	}
	if !o.PlacedAt().Equal(created) || o.Total != usd("29.35") {
		t.Errorf("placed at %v (want %v), total %v", o.PlacedAt(), created, o.Total)
	}
	before := time.Now()
	o, err = woocommerce.DecodeOrder(edit(t, body, func(m map[string]any) {
		m["date_paid_gmt"] = "2302-03-22T19:28:08"
		m["date_created_gmt"] = "2302-03-22T19:28:02"
		m["date_modified_gmt"] = "2302-03-22T19:28:08"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if at := o.PlacedAt(); at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("placed at %v, want the time of receipt", at)
	}
	if !o.PlatformUpdatedAt.IsZero() || !o.PlatformCreatedAt.IsZero() {
		t.Errorf("created %v, updated %v: want unknown", o.PlatformCreatedAt, o.PlatformUpdatedAt)
	}
	// A cancelled order dated 2302 stays cancelled.
	o, err = woocommerce.DecodeOrder(edit(t, body, func(m map[string]any) {
		m["status"] = "cancelled"
		m["date_modified_gmt"] = "2302-03-22T19:28:08"
	}))
	if err != nil || o.Counts() {
		t.Errorf("cancelled order counts (%v) or fails: %v", o.CancelledAt, err)
	}
}

// A NUL in any stored text is dropped at the edge; the rest is kept.
func TestDecodeDropsNUL(t *testing.T) {
	o, err := woocommerce.DecodeOrder(edit(t, fixture(t, "woocommerce-order.json"), func(m map[string]any) {
		m["number"] = "7\x0027"
		firstOf(m, "line_items")["name"] = "Woo\x00 Single #1"
		firstOf(m, "line_items")["sku"] = "A\x00B"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "#727" || o.LineItems[0].Title != "Woo Single #1" || o.LineItems[0].SKU != "AB" || len(o.LineItems) != 2 {
		t.Errorf("order text: %q %q %q", o.Name, o.LineItems[0].Title, o.LineItems[0].SKU)
	}
	c, err := woocommerce.DecodeCustomer(edit(t, fixture(t, "woocommerce-customer.json"), func(m map[string]any) {
		m["first_name"] = "Jo\x00hn"
		m["last_name"] = "D\x00oe"
	}))
	if err != nil || c.FirstName != "John" || c.LastName != "Doe" || c.Email == "" {
		t.Errorf("customer: %q %q %q, %v", c.FirstName, c.LastName, c.Email, err)
	}
	p, err := woocommerce.DecodeProduct(edit(t, fixture(t, "woocommerce-product.json"), func(m map[string]any) {
		m["name"] = "Premium\x00 Quality"
		m["tags"] = []any{map[string]any{"name": "t\x00ag"}}
		firstOf(m, "categories")["name"] = "Cloth\x00ing"
	}), "USD")
	if err != nil || p.Title != "Premium Quality" || strings.Join(p.Tags, "|") != "tag" || p.ProductType != "Clothing" {
		t.Errorf("product: %q %q %q, %v", p.Title, p.Tags, p.ProductType, err)
	}
}

const marker = "LEAK-MARKER ada@example.com"

// Bad values of every field kind carry the marker (and a 100 KB one): no error quotes
// them, and errors are short.
func TestDecodeErrorsQuoteNoValue(t *testing.T) {
	order := fixture(t, "woocommerce-order.json")
	product := fixture(t, "woocommerce-product.json")
	customer := fixture(t, "woocommerce-customer.json")
	type tc struct {
		name   string
		decode func() error
	}
	var cases []tc
	for _, bad := range []string{marker, marker + strings.Repeat("x", 100_000)} {
		orderWith := func(fn func(m map[string]any)) func() error {
			b := edit(t, order, fn)
			return func() error { _, err := woocommerce.DecodeOrder(b); return err }
		}
		cases = append(cases,
			tc{"date_modified_gmt", orderWith(func(m map[string]any) { m["date_modified_gmt"] = bad })},
			tc{"date_created_gmt", orderWith(func(m map[string]any) { m["date_created_gmt"] = bad })},
			tc{"currency", orderWith(func(m map[string]any) { m["currency"] = bad })},
			tc{"total", orderWith(func(m map[string]any) { m["total"] = bad })},
			tc{"id", orderWith(func(m map[string]any) { m["id"] = bad })},
			tc{"customer_id", orderWith(func(m map[string]any) { m["customer_id"] = bad })},
			tc{"line subtotal", orderWith(func(m map[string]any) { firstOf(m, "line_items")["subtotal"] = bad })},
			tc{"line price", orderWith(func(m map[string]any) {
				firstOf(m, "line_items")["subtotal"] = "6.01" // not divisible: the price is read
				firstOf(m, "line_items")["price"] = bad
			})},
			tc{"refund total", orderWith(func(m map[string]any) { m["refunds"] = []any{map[string]any{"id": 1, "total": bad}} })},
			tc{"customer date", func() error {
				_, err := woocommerce.DecodeCustomer(edit(t, customer, func(m map[string]any) { m["date_modified_gmt"] = bad }))
				return err
			}},
			tc{"product price", func() error {
				_, err := woocommerce.DecodeProduct(edit(t, product, func(m map[string]any) { m["price"] = bad }), "USD")
				return err
			}},
			tc{"topic", func() error {
				_, err := woocommerce.NewPlatform().DecodeEvent(bad, order, ritorno.Shop{Currency: "USD"})
				return err
			}},
		)
	}
	for _, c := range cases {
		err := c.decode()
		if err == nil {
			t.Errorf("%s: a bad value decoded", c.name)
			continue
		}
		if ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: code %s, want invalid", c.name, ritorno.ErrorCode(err))
		}
		if msg := err.Error(); strings.Contains(msg, "LEAK-MARKER") || strings.Contains(msg, "ada@") || len(msg) > 200 {
			t.Errorf("%s: error quotes the value or is %d bytes long: %.300s", c.name, len(msg), msg)
		}
	}
}

// WooCommerce sends "" for a price that is not set (the fixture's sale_price; a draft's
// price): none. In an order's totals "" is junk, as are a sign or spaces.
func TestDecodeAmountsArePlain(t *testing.T) {
	p, err := woocommerce.DecodeProduct(edit(t, fixture(t, "woocommerce-product.json"), func(m map[string]any) {
		m["price"], m["regular_price"] = "", ""
	}), "USD")
	if err != nil || !p.Variants[0].Price.IsZero() {
		t.Errorf("unset price: %v, %v", p.Variants, err)
	}
	if _, err := woocommerce.DecodeProduct(fixture(t, "woocommerce-product.json"), "USD"); err != nil {
		t.Errorf("fixture (sale_price \"\"): %v", err)
	}
	for _, bad := range []string{"+5.00", " 5 ", ""} {
		b := edit(t, fixture(t, "woocommerce-order.json"), func(m map[string]any) { m["total"] = bad })
		if _, err := woocommerce.DecodeOrder(b); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("total %q: err %v, want invalid", bad, err)
		}
		b = edit(t, fixture(t, "woocommerce-product.json"), func(m map[string]any) { m["price"] = bad })
		if _, err := woocommerce.DecodeProduct(b, "USD"); bad != "" && ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("price %q: err %v, want invalid", bad, err)
		}
	}
}
