package shopify_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// edit decodes a fixture body into a generic map, lets fn change it, and encodes it again
// (json.Marshal writes a NUL as \u0000, as a platform would).
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

// An order placed "in year 9999" is kept, at a time analytics can place: its creation
// time, or the time of receipt when that is implausible too. An implausible update time
// becomes unknown, so that it cannot shadow every later version.
func TestDecodeOrderImplausibleTimes(t *testing.T) {
	body := fixture(t, "shopify-order-rest-resource.json", "order")
	created := time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC)
	t.Run("processed_at 9999", func(t *testing.T) {
		o, err := shopify.DecodeOrder(edit(t, body, func(m map[string]any) {
			m["processed_at"] = "9999-12-31T23:59:59Z"
			m["updated_at"] = "9999-12-31T23:59:59Z"
		}))
		if err != nil {
			t.Fatal(err)
		}
		if !o.PlacedAt().Equal(created) || !o.PlatformCreatedAt.Equal(created) {
			t.Errorf("placed at %v, created %v; want the creation time %v", o.PlacedAt(), o.PlatformCreatedAt, created)
		}
		if !o.PlatformUpdatedAt.IsZero() {
			t.Errorf("updated at %v, want unknown", o.PlatformUpdatedAt)
		}
		if o.Total.Amount != 40994 || len(o.LineItems) != 3 {
			t.Errorf("the rest of the order was not kept: total %v, %d lines", o.Total, len(o.LineItems))
		}
	})
	t.Run("every time implausible", func(t *testing.T) {
		before := time.Now()
		o, err := shopify.DecodeOrder(edit(t, body, func(m map[string]any) {
			m["processed_at"] = "9999-12-31T23:59:59Z"
			m["created_at"] = "0001-01-01T00:00:00Z"
			m["cancelled_at"] = "2302-05-01T00:00:00Z"
		}))
		if err != nil {
			t.Fatal(err)
		}
		if at := o.PlacedAt(); at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("placed at %v, want the time of receipt", at)
		}
		if o.CancelledAt.IsZero() || o.CancelledAt.After(time.Now().Add(ritorno.ClockSkew)) || o.Counts() {
			t.Errorf("cancelled at %v: want cancelled, at a plausible time", o.CancelledAt)
		}
	})
	t.Run("a day of clock skew is allowed", func(t *testing.T) {
		soon := time.Now().Add(12 * time.Hour).UTC().Truncate(time.Second)
		o, err := shopify.DecodeOrder(edit(t, body, func(m map[string]any) { m["processed_at"] = soon.Format(time.RFC3339) }))
		if err != nil || !o.ProcessedAt.Equal(soon) {
			t.Errorf("processed at %v, %v; want %v kept", o.ProcessedAt, err, soon)
		}
	})
}

const nul = "A\x00B"

// A NUL in any stored text (PostgreSQL refuses it) is dropped at the edge; the rest of
// the text, and the record, are kept.
func TestDecodeDropsNUL(t *testing.T) {
	o, err := shopify.DecodeOrder(edit(t, fixture(t, "shopify-order-rest-resource.json", "order"), func(m map[string]any) {
		m["name"] = "#10\x0001"
		m["tags"] = "vip\x00, gift"
		m["source_name"] = nul
		firstOf(m, "line_items")["title"] = "IPod\x00 Nano"
		firstOf(m, "line_items")["vendor"] = nul
		firstOf(m, "line_items")["sku"] = nul
	}))
	if err != nil {
		t.Fatal(err)
	}
	li := o.LineItems[0]
	if o.Name != "#1001" || strings.Join(o.Tags, "|") != "vip|gift" || o.SourceName != "AB" ||
		li.Title != "IPod Nano" || li.Vendor != "AB" || li.SKU != "AB" {
		t.Errorf("order text: name %q tags %q source %q line %q %q %q", o.Name, o.Tags, o.SourceName, li.Title, li.Vendor, li.SKU)
	}

	c, err := shopify.DecodeCustomer(edit(t, fixture(t, "shopify-customer-rest-resource.json", "customer"), func(m map[string]any) {
		m["first_name"] = "Bo\x00b"
		m["last_name"] = nul
		m["tags"] = "a\x00,b"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Bob" || c.LastName != "AB" || strings.Join(c.Tags, "|") != "a|b" || c.Email == "" {
		t.Errorf("customer text: %q %q %q %q", c.FirstName, c.LastName, c.Tags, c.Email)
	}

	p, err := shopify.DecodeProduct(edit(t, fixture(t, "shopify-product-rest-resource.json", "product"), func(m map[string]any) {
		m["title"] = "IPod\x00 Nano"
		m["vendor"] = nul
		m["tags"] = "x\x00y"
		firstOf(m, "variants")["title"] = nul
	}), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "IPod Nano" || p.Vendor != "AB" || strings.Join(p.Tags, "|") != "xy" || p.Variants[0].Title != "AB" || len(p.Variants) != 4 {
		t.Errorf("product text: %q %q %q %q, %d variants", p.Title, p.Vendor, p.Tags, p.Variants[0].Title, len(p.Variants))
	}
}

// marker stands for personal data in a value that does not decode: no error may quote it.
const marker = "LEAK-MARKER ada@example.com"

// maxError bounds a decode error's length: errors name the field and the problem only.
const maxError = 200

// Every kind of field that can fail to decode (times, amounts, currency, ids, statuses)
// gets a bad value carrying the marker, plus a 100 KB one: the error names the problem
// without the value, and is short.
func TestDecodeErrorsQuoteNoValue(t *testing.T) {
	order := fixture(t, "shopify-order-rest-resource.json", "order")
	product := fixture(t, "shopify-product-rest-resource.json", "product")
	customer := fixture(t, "shopify-customer-rest-resource.json", "customer")
	huge := marker + strings.Repeat("x", 100_000)
	type tc struct {
		name   string
		decode func() error
	}
	var cases []tc
	for _, bad := range []string{marker, huge} {
		set := func(body []byte, fn func(m map[string]any)) []byte { return edit(t, body, fn) }
		orderWith := func(fn func(m map[string]any)) func() error {
			b := set(order, fn)
			return func() error { _, err := shopify.DecodeOrder(b); return err }
		}
		cases = append(cases,
			tc{"order updated_at", orderWith(func(m map[string]any) { m["updated_at"] = bad })},
			tc{"order processed_at", orderWith(func(m map[string]any) { m["processed_at"] = bad })},
			tc{"order currency", orderWith(func(m map[string]any) { m["currency"] = bad })},
			tc{"order total_price", orderWith(func(m map[string]any) { m["total_price"] = bad })},
			tc{"order id", orderWith(func(m map[string]any) { m["id"] = bad })},
			tc{"line price", orderWith(func(m map[string]any) { firstOf(m, "line_items")["price"] = bad })},
			tc{"line product_id", orderWith(func(m map[string]any) { firstOf(m, "line_items")["product_id"] = bad })},
			tc{"refund amount", orderWith(func(m map[string]any) {
				m["refunds"] = []any{map[string]any{"id": 1, "transactions": []any{map[string]any{"kind": "refund", "status": "success", "amount": bad}}}}
			})},
			tc{"refund currency", orderWith(func(m map[string]any) {
				m["refunds"] = []any{map[string]any{"id": 1, "transactions": []any{map[string]any{"kind": "refund", "status": "success", "amount": "1.00", "currency": bad}}}}
			})},
			tc{"customer updated_at", func() error {
				_, err := shopify.DecodeCustomer(set(customer, func(m map[string]any) { m["updated_at"] = bad }))
				return err
			}},
			tc{"product status", func() error {
				_, err := shopify.DecodeProduct(set(product, func(m map[string]any) { m["status"] = bad }), "USD")
				return err
			}},
			tc{"variant price", func() error {
				_, err := shopify.DecodeProduct(set(product, func(m map[string]any) { firstOf(m, "variants")["price"] = bad }), "USD")
				return err
			}},
			tc{"topic", func() error {
				_, err := shopify.NewPlatform().DecodeEvent(bad, order, ritorno.Shop{Currency: "USD"})
				return err
			}},
			tc{"bulk id", bulkWith(t, func(m map[string]any) { m["id"] = bad })},
			tc{"bulk createdAt", bulkWith(t, func(m map[string]any) { m["createdAt"] = bad })},
			tc{"bulk currencyCode", bulkWith(t, func(m map[string]any) { m["currencyCode"] = bad })},
			tc{"bulk amount", bulkWith(t, func(m map[string]any) {
				m["totalPriceSet"] = map[string]any{"shopMoney": map[string]any{"amount": bad, "currencyCode": "USD"}}
			})},
			tc{"bulk amount currency", bulkWith(t, func(m map[string]any) {
				m["totalPriceSet"] = map[string]any{"shopMoney": map[string]any{"amount": "1.00", "currencyCode": bad}}
			})},
			tc{"bulk customer id", bulkWith(t, func(m map[string]any) { m["customer"] = map[string]any{"id": bad} })},
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
		if msg := err.Error(); strings.Contains(msg, "LEAK-MARKER") || strings.Contains(msg, "ada@") || len(msg) > maxError {
			t.Errorf("%s: error quotes the value or is %d bytes long: %.300s", c.name, len(msg), msg)
		}
	}
}

// bulkWith edits the first order of the bulk export fixture and decodes it.
func bulkWith(t *testing.T, fn func(m map[string]any)) func() error {
	raw, err := os.ReadFile("testdata/bulk_orders.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	b := edit(t, []byte(first), fn)
	return func() error { _, err := shopify.DecodeBulkOrder(b, nil); return err }
}

// Amounts are the plain decimals Shopify sends: a sign, spaces or an empty string are
// refused, while a null compare-at price (and an empty one) is none.
func TestDecodeAmountsArePlain(t *testing.T) {
	body := fixture(t, "shopify-order-rest-resource.json", "order")
	for _, bad := range []string{"+5.00", " 5 ", ""} {
		b := edit(t, body, func(m map[string]any) { m["total_price"] = bad; delete(m, "total_price_set") })
		if _, err := shopify.DecodeOrder(b); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("total_price %q: err %v, want invalid", bad, err)
		}
	}
	for _, compare := range []any{nil, ""} {
		p, err := shopify.DecodeProduct(edit(t, fixture(t, "shopify-product-rest-resource.json", "product"), func(m map[string]any) {
			firstOf(m, "variants")["compare_at_price"] = compare
		}), "USD")
		if err != nil || !p.Variants[0].CompareAtPrice.IsZero() {
			t.Errorf("compare_at_price %#v: %v, %v", compare, p.Variants[0].CompareAtPrice, err)
		}
	}
}

// The backfill's decoder mends the same way: a bulk order of year 9999 with a NUL in its
// name and tags is kept, placed at its creation time.
func TestDecodeBulkOrderMends(t *testing.T) {
	line, err := os.ReadFile("testdata/bulk_orders.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(line), "\n")
	body := edit(t, []byte(first), func(m map[string]any) {
		m["processedAt"] = "9999-12-31T23:59:59Z"
		m["updatedAt"] = "9999-12-31T23:59:59Z"
		m["name"] = "#10\x0001"
		m["tags"] = []any{"v\x00ip"}
	})
	o, err := shopify.DecodeBulkOrder(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC)
	if !o.PlacedAt().Equal(created) || !o.PlatformUpdatedAt.IsZero() || o.Name != "#1001" || strings.Join(o.Tags, "|") != "vip" {
		t.Errorf("placed %v updated %v name %q tags %q", o.PlacedAt(), o.PlatformUpdatedAt, o.Name, o.Tags)
	}
}
