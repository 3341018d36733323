package shopify_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// The bulk testdata (testdata/bulk_*) is written by hand from the public REST samples in
// ../testdata/platform-samples: the same orders, products and customers as Admin GraphQL spells
// them (GIDs, enums in upper case, tag lists, MoneyBags, UTC times).

// bulkRoot is a root object of a bulk file with its children's lines.
type bulkRoot struct {
	raw      json.RawMessage
	children []json.RawMessage
}

// mustBulkFile joins a testdata bulk file by root id.
func mustBulkFile(t *testing.T, name string) map[string]bulkRoot {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]bulkRoot{}
	err = shopify.ReadBulkReverse(f, fi.Size(), func(root shopify.BulkObject, children []shopify.BulkObject, _ int64) error {
		r := bulkRoot{raw: root.Raw}
		for _, c := range children {
			r.children = append(r.children, c.Raw)
		}
		roots[root.ID] = r
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return roots
}

// mustREST returns a REST sample's resource, changed by patch (nil: as published).
func mustREST(t *testing.T, name, wrapper string, patch func(m map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../testdata/platform-samples", name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	var env map[string]map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // ids stay exact
	if err := dec.Decode(&env); err != nil || env[wrapper] == nil {
		t.Fatalf("fixture %s has no %q wrapper: %v", name, wrapper, err)
	}
	if patch != nil {
		patch(env[wrapper])
	}
	out, err := json.Marshal(env[wrapper])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeBulkOrderAgreesWithWebhook holds DecodeBulkOrder (+ DecodeOrderRefunds) side
// by side with DecodeOrder for the same orders and compares the whole domain order.
//
// The samples are older than some fields every current webhook carries; the patches add
// them with the values the GraphQL objects hold (presentment_currency, refunds,
// refund_line_items[].subtotal).
func TestDecodeBulkOrderAgreesWithWebhook(t *testing.T) {
	orders := mustBulkFile(t, "bulk_orders.jsonl")
	refundSample := func(t *testing.T) map[string]any {
		dec := json.NewDecoder(bytes.NewReader(mustREST(t, "shopify-refund-rest-resource.json", "refund", nil)))
		dec.UseNumber()
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		for _, rl := range r["refund_line_items"].([]any) {
			rl.(map[string]any)["subtotal"] = "199.00" // the sample predates subtotal
		}
		return r
	}
	cases := []struct {
		name, gid, sample string
		patch             func(t *testing.T, m map[string]any)
		refunds           string // testdata OrderRefundsQuery answer; "" when the order has none
	}{
		{
			name: "#1001 with a refund", gid: "gid://shopify/Order/450789469", sample: "shopify-order-rest-resource.json",
			patch: func(t *testing.T, m map[string]any) {
				m["presentment_currency"] = "USD"
				m["refunds"] = []any{refundSample(t)}
			},
			refunds: "bulk_order_refunds.json",
		},
		{
			name: "#9999 guest, cancelled, test", gid: "gid://shopify/Order/123456", sample: "shopify-order-go-shopify.json",
			patch: func(t *testing.T, m map[string]any) { m["presentment_currency"] = "USD" },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := shopify.DecodeOrder(mustREST(t, tc.sample, "order", func(m map[string]any) { tc.patch(t, m) }))
			if err != nil {
				t.Fatal(err)
			}
			root, ok := orders[tc.gid]
			if !ok {
				t.Fatalf("no %s in testdata", tc.gid)
			}
			got, err := shopify.DecodeBulkOrder(root.raw, root.children)
			if err != nil {
				t.Fatal(err)
			}
			if tc.refunds != "" {
				// The export carries refund headers only: the order is incomplete but its
				// refunded total is already right.
				if got.RefundsComplete || len(got.Refunds) != len(want.Refunds) || got.RefundedAmount != want.RefundedAmount {
					t.Fatalf("headers: complete %v, %d refunds, refunded %v; want %d, %v", got.RefundsComplete, len(got.Refunds), got.RefundedAmount, len(want.Refunds), want.RefundedAmount)
				}
				for i, r := range got.Refunds {
					w := want.Refunds[i]
					w.LineItems = nil
					if !reflect.DeepEqual(r, w) {
						t.Errorf("refund header %d:\n got %+v\nwant %+v", i, r, w)
					}
				}
				refunds, complete, err := shopify.DecodeOrderRefunds(mustTestdata(t, tc.refunds), got.Currency)
				if err != nil || !complete {
					t.Fatalf("refunds: complete %v, %v", complete, err)
				}
				got.Refunds, got.RefundsComplete = refunds, true
				if got.RefundedAmount, err = got.SumRefunds(); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("bulk and webhook disagree:\n bulk %+v\n hook %+v", got, want)
			}
		})
	}
}

// bulkOrder is a minimal Order object; edit it with strings.Replace in cases.
const bulkOrder = `{"id":"gid://shopify/Order/7","name":"#7","email":null,"createdAt":"2026-01-02T03:04:05Z","currencyCode":"EUR",` +
	`"displayFinancialStatus":"PAID","displayFulfillmentStatus":"FULFILLED","cancelReason":null,"tags":[" vip ","", "b2b"],` +
	`"customer":{"id":"gid://shopify/Customer/9","defaultEmailAddress":{"emailAddress":"Ann@Example.com"}},` +
	`"totalPriceSet":{"shopMoney":{"amount":"12.5","currencyCode":"EUR"}}}`

func TestDecodeBulkOrderMappings(t *testing.T) {
	cases := []struct {
		name, from, to string
		check          func(o ritorno.Order) bool
	}{
		{"paid", "", "", func(o ritorno.Order) bool { return o.FinancialStatus == ritorno.FinancialPaid }},
		{"partially refunded", `"PAID"`, `"PARTIALLY_REFUNDED"`, func(o ritorno.Order) bool { return o.FinancialStatus == ritorno.FinancialPartiallyRefunded }},
		{"partially paid", `"PAID"`, `"PARTIALLY_PAID"`, func(o ritorno.Order) bool { return o.FinancialStatus == ritorno.FinancialPartiallyPaid }},
		{"voided", `"PAID"`, `"VOIDED"`, func(o ritorno.Order) bool { return o.FinancialStatus == ritorno.FinancialVoided && !o.Counts() }},
		{"no financial status", `"PAID"`, `null`, func(o ritorno.Order) bool { return o.FinancialStatus == "" }},
		{"fulfilled", "", "", func(o ritorno.Order) bool { return o.FulfillmentStatus == "fulfilled" }},
		{"partially fulfilled", `"FULFILLED"`, `"PARTIALLY_FULFILLED"`, func(o ritorno.Order) bool { return o.FulfillmentStatus == "partial" }},
		{"on hold is REST's null", `"FULFILLED"`, `"ON_HOLD"`, func(o ritorno.Order) bool { return o.FulfillmentStatus == "" }},
		{"cancel reason", `"cancelReason":null`, `"cancelReason":"FRAUD","cancelledAt":"2026-01-03T00:00:00Z"`, func(o ritorno.Order) bool { return o.CancelReason == "fraud" && !o.CancelledAt.IsZero() }},
		{"tags like SplitTags", "", "", func(o ritorno.Order) bool { return reflect.DeepEqual(o.Tags, []string{"vip", "b2b"}) }},
		{"customer's address when the order has none", "", "", func(o ritorno.Order) bool {
			return o.Buyer == ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: 9, EmailHash: ritorno.HashEmail("ann@example.com")}
		}},
		{"guest", `"customer":{"id":"gid://shopify/Customer/9","defaultEmailAddress":{"emailAddress":"Ann@Example.com"}}`, `"email":"g@example.com","customer":null`, func(o ritorno.Order) bool {
			return o.Buyer == ritorno.Buyer{Kind: ritorno.BuyerGuest, EmailHash: ritorno.HashEmail("g@example.com")}
		}},
		{"absent amounts are zero, minor units exact", "", "", func(o ritorno.Order) bool {
			return o.Total == ritorno.Money{Amount: 1250, Currency: "EUR"} && o.TotalTax == ritorno.Zero("EUR") && o.RefundedAmount == ritorno.Zero("EUR")
		}},
		{"refunds not selected", "", "", func(o ritorno.Order) bool { return !o.RefundsComplete }},
		{"no refunds", `"tags"`, `"refunds":[],"tags"`, func(o ritorno.Order) bool { return o.RefundsComplete }},
		{"yen", `"EUR"}}}`, `"JPY"}}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := bulkOrder
			if tc.from != "" {
				body = strings.Replace(body, tc.from, tc.to, 1)
			}
			o, err := shopify.DecodeBulkOrder(json.RawMessage(body), nil)
			if tc.check == nil {
				if ritorno.ErrorCode(err) != ritorno.EINVALID {
					t.Fatalf("got %v, want EINVALID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Errorf("%+v", o)
			}
		})
	}
}

func TestDecodeBulkRefusesBadInput(t *testing.T) {
	line := `{"id":"gid://shopify/LineItem/1","quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"1.00","currencyCode":"EUR"}},"__parentId":"gid://shopify/Order/7"}`
	cases := []struct {
		name  string
		order string
		lines []string
	}{
		{"not JSON", `{"id":`, nil},
		{"another type's GID", strings.Replace(bulkOrder, "Order/7", "Product/7", 1), nil},
		{"non-numeric GID", strings.Replace(bulkOrder, "Order/7", "Order/x7", 1), nil},
		{"no id", strings.Replace(bulkOrder, `"gid://shopify/Order/7"`, `""`, 1), nil},
		{"amount in another currency", strings.Replace(bulkOrder, `"12.5","currencyCode":"EUR"`, `"12.5","currencyCode":"USD"`, 1), nil},
		{"too many decimals", strings.Replace(bulkOrder, `"12.5"`, `"12.505"`, 1), nil},
		{"line of another order", bulkOrder, []string{strings.Replace(line, "Order/7", "Order/8", 1)}},
		{"negative quantity", bulkOrder, []string{strings.Replace(line, `"quantity":1`, `"quantity":-1`, 1)}},
		{"line in another currency", bulkOrder, []string{strings.Replace(line, `"EUR"`, `"USD"`, 1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lines []json.RawMessage
			for _, l := range tc.lines {
				lines = append(lines, json.RawMessage(l))
			}
			if _, err := shopify.DecodeBulkOrder(json.RawMessage(tc.order), lines); ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
		})
	}
	if o, err := shopify.DecodeBulkOrder(json.RawMessage(bulkOrder), []json.RawMessage{json.RawMessage(line)}); err != nil || len(o.LineItems) != 1 {
		t.Fatalf("the valid line: %v", err)
	}

	if _, err := shopify.DecodeBulkProduct(json.RawMessage(`{"id":"gid://shopify/Product/1","status":"UNLISTED_SOMEHOW"}`), nil, "USD"); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("unknown product status: %v", err)
	}
	if _, err := shopify.DecodeBulkProduct(json.RawMessage(`{"id":"gid://shopify/Product/1","status":"ACTIVE"}`),
		[]json.RawMessage{json.RawMessage(`{"id":"gid://shopify/ProductVariant/2","__parentId":"gid://shopify/Product/3"}`)}, "USD"); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("variant of another product: %v", err)
	}
	if _, err := shopify.DecodeBulkCustomer(json.RawMessage(`{"id":"gid://shopify/Order/1"}`)); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("customer with an order GID: %v", err)
	}
}

func TestDecodeOrderRefunds(t *testing.T) {
	full := string(mustTestdata(t, "bulk_order_refunds.json"))
	cases := []struct {
		name     string
		data     string
		complete bool
		code     string
	}{
		{"complete", full, true, ""},
		{"a refund with more lines than one page", strings.Replace(full, `"hasNextPage":false`, `"hasNextPage":true`, 1), false, ""},
		{"order gone", `{"node":null}`, false, ritorno.ENOTFOUND},
		{"refunds not selected", `{"node":{"id":"gid://shopify/Order/1"}}`, false, ritorno.EINVALID},
		{"amount in another currency", strings.Replace(full, `"209.0","currencyCode":"USD"`, `"209.0","currencyCode":"EUR"`, 1), false, ritorno.EINVALID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			refunds, complete, err := shopify.DecodeOrderRefunds(json.RawMessage(tc.data), "USD")
			if ritorno.ErrorCode(err) != tc.code || complete != tc.complete {
				t.Fatalf("complete %v, %v; want %v, %q", complete, err, tc.complete, tc.code)
			}
			if tc.code == "" && (len(refunds) != 1 || len(refunds[0].LineItems) != 2 || refunds[0].Amount != usd("209.00")) {
				t.Errorf("refunds %+v", refunds)
			}
		})
	}
}

func TestDecodeBulkProductAgreesWithWebhook(t *testing.T) {
	products := mustBulkFile(t, "bulk_products.jsonl")
	cases := []struct{ name, gid, sample string }{
		// An old sample without status: REST derives active from published_at; GraphQL says ACTIVE.
		{"iPod with four tracked variants", "gid://shopify/Product/632910392", "shopify-product-rest-resource.json"},
		{"snowboard, untracked, quoted tag", "gid://shopify/Product/1071559748", "shopify-product-go-shopify.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := shopify.DecodeProduct(mustREST(t, tc.sample, "product", nil), "USD")
			if err != nil {
				t.Fatal(err)
			}
			root := products[tc.gid]
			got, err := shopify.DecodeBulkProduct(root.raw, root.children, "USD")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("bulk and webhook disagree:\n bulk %+v\n hook %+v", got, want)
			}
		})
	}
}

func TestDecodeBulkCustomerAgreesWithWebhook(t *testing.T) {
	customers := mustBulkFile(t, "bulk_customers.jsonl")
	cases := []struct{ name, gid, sample string }{
		{"disabled, no tags", "gid://shopify/Customer/207119551", "shopify-customer-rest-resource.json"},
		{"enabled, tagged", "gid://shopify/Customer/1", "shopify-customer-go-shopify.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := shopify.DecodeCustomer(mustREST(t, tc.sample, "customer", nil))
			if err != nil {
				t.Fatal(err)
			}
			got, err := shopify.DecodeBulkCustomer(customers[tc.gid].raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("bulk and webhook disagree:\n bulk %+v\n hook %+v", got, want)
			}
		})
	}
}
