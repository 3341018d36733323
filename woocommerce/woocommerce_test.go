package woocommerce_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
)

const fixtures = "../testdata/platform-samples"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return raw
}

func usd(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }

func TestDecodeOrderFixture(t *testing.T) {
	o, err := woocommerce.DecodeOrder(fixture(t, "woocommerce-order.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o.PlatformID != 727 || o.Name != "#727" || o.Currency != "USD" || o.FinancialStatus != ritorno.FinancialPaid {
		t.Errorf("identity: %+v", o)
	}
	if o.Total != usd("29.35") || o.TotalTax != usd("1.35") || o.TotalShipping != usd("10.00") || o.TotalDiscounts != usd("0") {
		t.Errorf("amounts: total %v tax %v shipping %v discounts %v", o.Total, o.TotalTax, o.TotalShipping, o.TotalDiscounts)
	}
	// A guest (customer_id 0) known by the billing address.
	if o.Buyer.Kind != ritorno.BuyerGuest || o.Buyer.EmailHash != ritorno.HashEmail("john.doe@example.com") {
		t.Errorf("buyer: %+v", o.Buyer)
	}
	if !o.PlatformCreatedAt.Equal(time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC)) || !o.ProcessedAt.Equal(time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC)) {
		t.Errorf("times: created %v processed %v", o.PlatformCreatedAt, o.ProcessedAt)
	}
	li := o.LineItems[0]
	// price is the JSON number 3 in the sample; the unit price comes from subtotal/quantity.
	if li.PlatformID != 315 || li.ProductPlatformID != 93 || li.VariantPlatformID != 0 || li.Quantity != 2 || li.Price != usd("3.00") {
		t.Errorf("first line: %+v", li)
	}
	if len(o.Refunds) != 0 || !o.Counts() {
		t.Errorf("refunds %v counts %v", o.Refunds, o.Counts())
	}
}

func TestOrderStatusMapping(t *testing.T) {
	cases := []struct {
		status    string
		refunds   string
		fin       ritorno.FinancialStatus
		counts    bool
		refunded  string
		cancelled bool
	}{
		{"processing", `[]`, ritorno.FinancialPaid, true, "0", false},
		{"completed", `[{"id":1,"reason":"","total":"-5.00"}]`, ritorno.FinancialPartiallyRefunded, true, "5.00", false},
		{"completed", `[{"id":1,"reason":"","total":"-20.00"}]`, ritorno.FinancialRefunded, true, "20.00", false},
		{"refunded", `[]`, ritorno.FinancialRefunded, true, "20.00", false},
		{"pending", `[]`, ritorno.FinancialPending, true, "0", false},
		{"cancelled", `[]`, ritorno.FinancialPending, false, "0", true},
		{"failed", `[]`, ritorno.FinancialVoided, false, "0", false},
		{"trash", `[]`, ritorno.FinancialPending, false, "0", false},
	}
	for _, c := range cases {
		body := `{"id":9,"number":"9","status":"` + c.status + `","currency":"USD","total":"20.00","customer_id":3,
			"date_created_gmt":"2024-01-01T10:00:00","date_modified_gmt":"2024-01-02T10:00:00","billing":{"email":"a@b.c"},
			"line_items":[],"refunds":` + c.refunds + `}`
		o, err := woocommerce.DecodeOrder([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", c.status, err)
		}
		if o.FinancialStatus != c.fin || o.Counts() != c.counts || o.RefundedAmount != usd(c.refunded) || o.CancelledAt.IsZero() == c.cancelled {
			t.Errorf("%s %s: fin %s counts %v refunded %v cancelled %v", c.status, c.refunds, o.FinancialStatus, o.Counts(), o.RefundedAmount, o.CancelledAt)
		}
	}
}

func TestLinePriceWithFloatNoise(t *testing.T) {
	body := `{"id":9,"number":"9","status":"processing","currency":"USD","total":"29.97","customer_id":3,"billing":{"email":"a@b.c"},
		"line_items":[{"id":1,"product_id":2,"variation_id":0,"quantity":3,"subtotal":"29.96","total":"29.96","price":9.9866666666666664}]}`
	o, err := woocommerce.DecodeOrder([]byte(body))
	if err != nil || o.LineItems[0].Price != usd("9.99") {
		t.Fatalf("price = %v, %v; want 9.99 (rounded half-even)", o.LineItems[0].Price, err)
	}
}

func TestDecodeProductCustomerFixtures(t *testing.T) {
	p, err := woocommerce.DecodeProduct(fixture(t, "woocommerce-product.json"), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if p.PlatformID != 794 || p.Title != "Premium Quality" || p.Handle != "premium-quality-19" || p.Status != ritorno.ProductActive ||
		len(p.Collections) != 2 || p.Collections[0] != "clothing" || p.ImageURL == "" || !p.IsSellable() {
		t.Errorf("product: %+v", p)
	}
	if len(p.Variants) != 1 || p.Variants[0].Price != usd("21.99") || p.Variants[0].InventoryTracked || !p.Variants[0].InStock() {
		t.Errorf("variant: %+v", p.Variants)
	}
	c, err := woocommerce.DecodeCustomer(fixture(t, "woocommerce-customer.json"))
	if err != nil || c.PlatformID != 25 || c.Email != "john.doe@example.com" || c.FirstName != "John" ||
		!c.PlatformUpdatedAt.Equal(time.Date(2017, 3, 21, 19, 9, 30, 0, time.UTC)) {
		t.Errorf("customer: %+v, %v", c, err)
	}
	pid, v, err := woocommerce.DecodeVariation([]byte(`{"id":801,"parent_id":794,"type":"variation","price":"9.50","regular_price":"12.00","on_sale":true,"manage_stock":true,"stock_quantity":0,"backorders":"notify"}`), "USD")
	if err != nil || pid != 794 || v.PlatformID != 801 || v.Price != usd("9.50") || v.CompareAtPrice != usd("12.00") || !v.InStock() {
		t.Errorf("variation: %d %+v %v", pid, v, err)
	}
	if ev, err := woocommerce.NewPlatform().DecodeEvent("product.updated", []byte(`{"id":801,"parent_id":794,"type":"variation"}`), ritorno.Shop{Currency: "USD"}); err != nil || ev.Kind != ritorno.EventNone {
		t.Errorf("a variation's delivery must not replace its product: %+v, %v", ev, err)
	}
}

func reference(body, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSignatureAndPing(t *testing.T) {
	body := string(fixture(t, "woocommerce-order.json"))
	if !woocommerce.VerifyWebhook([]byte(body), reference(body, "s3cret"), "s3cret") {
		t.Error("valid signature refused")
	}
	for name, c := range map[string][3]string{
		"wrong secret": {body, reference(body, "other"), "s3cret"}, "tampered": {body + " ", reference(body, "s3cret"), "s3cret"},
		"empty secret": {body, reference(body, ""), ""}, "bad base64": {body, "***", "s3cret"}, "empty body": {"", reference("", "s3cret"), "s3cret"},
	} {
		if woocommerce.VerifyWebhook([]byte(c[0]), c[1], c[2]) {
			t.Errorf("%s accepted", name)
		}
	}
	signed := http.Header{}
	signed.Set(woocommerce.HeaderSignature, "x")
	for body, want := range map[string]bool{"webhook_id=12": true, "webhook_id=12\n": true, "webhook_id=abc": false, `{"id":1}`: false, "webhook_id=": false} {
		if woocommerce.IsPing([]byte(body), http.Header{}) != want {
			t.Errorf("IsPing(%q) = %v", body, !want)
		}
	}
	if woocommerce.IsPing([]byte("webhook_id=12"), signed) {
		t.Error("a signed body is not a ping")
	}
}

func TestDecodersRefuseBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"not json": `{`, "no id": `{"currency":"USD"}`, "bad money": `{"id":1,"currency":"USD","total":"x"}`,
		"bad time": `{"id":1,"currency":"USD","date_created_gmt":"soon"}`, "bad currency": `{"id":1,"currency":"$"}`,
	} {
		if _, err := woocommerce.DecodeOrder([]byte(body)); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeOrder(f *testing.F) {
	f.Add(fixture(f, "woocommerce-order.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := woocommerce.DecodeOrder(body)
		if err == nil {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("decoded order does not validate: %v", verr)
			}
		} else if ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("error is not EINVALID: %v", err)
		} else if len(err.Error()) > 300 {
			t.Fatalf("error of %d bytes: errors name the field and the problem, never the value", len(err.Error()))
		}
	})
}

func FuzzDecodeProduct(f *testing.F) {
	f.Add(fixture(f, "woocommerce-product.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := woocommerce.DecodeProduct(body, "USD"); err != nil && ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("error is not EINVALID: %v", err)
		}
	})
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"id":1}`), reference(`{"id":1}`, "secret"))
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		got := woocommerce.VerifyWebhook(body, header, "secret")
		if want := len(body) > 0 && header == reference(string(body), "secret"); got != want {
			t.Fatalf("VerifyWebhook = %v, want %v", got, want)
		}
	})
}
