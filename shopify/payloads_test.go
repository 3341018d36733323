package shopify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

const fixtures = "../testdata/platform-samples"

// fixture returns a sample's webhook body: the REST fixtures wrap the resource in
// {"order": …}; a delivery carries the inner object.
func fixture(t testing.TB, name, wrapper string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	if wrapper == "" {
		return raw
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil || env[wrapper] == nil {
		t.Fatalf("fixture %s has no %q wrapper", name, wrapper)
	}
	return env[wrapper]
}

func usd(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }

func TestDecodeOrderFixture(t *testing.T) {
	o, err := shopify.DecodeOrder(fixture(t, "shopify-order-rest-resource.json", "order"))
	if err != nil {
		t.Fatal(err)
	}
	if o.PlatformID != 450789469 || o.Name != "#1001" || o.Currency != "USD" || o.Test {
		t.Errorf("order identity: %+v", o)
	}
	if o.Subtotal != usd("398.00") || o.TotalTax != usd("11.94") || o.Total != usd("409.94") || o.TotalShipping != usd("0") {
		t.Errorf("amounts: subtotal %v tax %v total %v shipping %v", o.Subtotal, o.TotalTax, o.Total, o.TotalShipping)
	}
	if o.Buyer.Kind != ritorno.BuyerCustomer || o.Buyer.CustomerPlatformID != 207119551 || o.Buyer.EmailHash != ritorno.HashEmail("bob.norman@hostmail.com") {
		t.Errorf("buyer: %+v", o.Buyer)
	}
	if want := time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC); !o.PlatformCreatedAt.Equal(want) || o.PlatformCreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %v, want %v in UTC", o.PlatformCreatedAt, want)
	}
	if o.FinancialStatus != ritorno.FinancialAuthorized || len(o.LineItems) != 3 {
		t.Fatalf("status %s, %d lines", o.FinancialStatus, len(o.LineItems))
	}
	li := o.LineItems[0]
	if li.PlatformID != 466157049 || li.ProductPlatformID != 632910392 || li.VariantPlatformID != 39072856 || li.Price != usd("199.00") || li.Quantity != 1 {
		t.Errorf("first line: %+v", li)
	}
	if !o.Counts() || o.NetTotal() != usd("409.94") {
		t.Errorf("counts %v net %v", o.Counts(), o.NetTotal())
	}
}

// The go-shopify sample is Shopify's test notification: null customer and variant ids.
func TestDecodeTestNotificationOrder(t *testing.T) {
	o, err := shopify.DecodeOrder(fixture(t, "shopify-order-go-shopify.json", "order"))
	if err != nil {
		t.Fatal(err)
	}
	if !o.Test || o.Counts() || o.Buyer.Kind != ritorno.BuyerGuest || o.Buyer.EmailHash != ritorno.HashEmail("jon@doe.ca") {
		t.Errorf("test order: test=%v counts=%v buyer=%+v", o.Test, o.Counts(), o.Buyer)
	}
	for _, li := range o.LineItems {
		if li.VariantPlatformID != 0 {
			t.Errorf("null variant id decoded as %d", li.VariantPlatformID)
		}
	}
}

func TestDecodeRefundFixture(t *testing.T) {
	orderID, r, err := shopify.DecodeRefund(fixture(t, "shopify-refund-rest-resource.json", "refund"), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if orderID != 450789469 || r.PlatformID != 509562969 || r.Amount != usd("209.00") || len(r.LineItems) != 2 {
		t.Errorf("refund: order %d %+v", orderID, r)
	}
	if r.LineItems[0].LineItemPlatformID != 703073504 || r.LineItems[0].Quantity != 1 {
		t.Errorf("refund line: %+v", r.LineItems[0])
	}
	if want := time.Date(2016, 6, 20, 17, 35, 6, 0, time.UTC); !r.ProcessedAt.Equal(want) {
		t.Errorf("processed_at = %v", r.ProcessedAt)
	}
}

func TestDecodeProductFixtures(t *testing.T) {
	p, err := shopify.DecodeProduct(fixture(t, "shopify-product-rest-resource.json", "product"), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if p.PlatformID != 632910392 || p.Title != "IPod Nano - 8GB" || p.Status != ritorno.ProductActive || len(p.Variants) != 4 {
		t.Fatalf("product: %+v", p)
	}
	v := p.Variants[0]
	if v.PlatformID != 808950810 || v.Price != usd("199.00") || !v.CompareAtPrice.IsZero() || !v.InventoryTracked ||
		v.InventoryQuantity != 10 || !v.ContinueSellingWhenOutOfStock {
		t.Errorf("variant: %+v", v)
	}
	if len(p.Tags) == 0 || p.ImageURL == "" {
		t.Errorf("tags %v image %q", p.Tags, p.ImageURL)
	}
	for _, f := range []struct{ name, wrapper string }{{"shopify-product-go-shopify.json", "product"}, {"shopify-products-update-docs-example.json", ""}} {
		p, err := shopify.DecodeProduct(fixture(t, f.name, f.wrapper), "USD")
		if err != nil || p.PlatformID == 0 || len(p.Variants) == 0 {
			t.Errorf("%s: %+v, %v", f.name, p, err)
		}
	}
}

func TestDecodeCustomerFixtures(t *testing.T) {
	c, err := shopify.DecodeCustomer(fixture(t, "shopify-customer-rest-resource.json", "customer"))
	if err != nil {
		t.Fatal(err)
	}
	if c.PlatformID != 207119551 || c.Email != "bob.norman@hostmail.com" || c.EmailHash != ritorno.HashEmail(c.Email) ||
		!c.PlatformUpdatedAt.Equal(time.Date(2015, 5, 27, 22, 11, 24, 0, time.UTC)) {
		t.Errorf("customer: %+v", c)
	}
	if c, err := shopify.DecodeCustomer(fixture(t, "shopify-customer-go-shopify.json", "customer")); err != nil || c.PlatformID == 0 {
		t.Errorf("go-shopify customer: %+v, %v", c, err)
	}
}

func TestDecodersRefuseBadInput(t *testing.T) {
	cases := map[string][]byte{
		"not json":            []byte(`{"id":`),
		"no id":               []byte(`{"currency":"USD","total_price":"1.00"}`),
		"money not a number":  []byte(`{"id":1,"currency":"USD","total_price":"abc"}`),
		"money too precise":   []byte(`{"id":1,"currency":"USD","total_price":"1.001"}`),
		"id not a number":     []byte(`{"id":"x1","currency":"USD"}`),
		"negative id":         []byte(`{"id":-5,"currency":"USD"}`),
		"bad currency":        []byte(`{"id":1,"currency":"dollars"}`),
		"bad time":            []byte(`{"id":1,"currency":"USD","created_at":"yesterday"}`),
		"negative quantity":   []byte(`{"id":1,"currency":"USD","line_items":[{"id":2,"quantity":-1,"price":"1.00"}]}`),
		"array instead of id": []byte(`[1,2]`),
	}
	for name, body := range cases {
		if _, err := shopify.DecodeOrder(body); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: error %v, want invalid", name, err)
		}
	}
	// A JSON number is accepted as money only through its exact text.
	o, err := shopify.DecodeOrder([]byte(`{"id":1,"currency":"USD","total_price":12.30,"email":"a@b.c"}`))
	if err != nil || o.Total != usd("12.30") {
		t.Errorf("numeric money: %v, %v", o.Total, err)
	}
	if _, err := shopify.DecodeDeletion([]byte(`{"id":0}`)); err == nil {
		t.Error("deletion without id accepted")
	}
	if id, err := shopify.DecodeDeletion([]byte(`{"id":9007199254740993}`)); err != nil || id != 9007199254740993 {
		t.Errorf("a 2^53+1 id lost precision: %d, %v", id, err)
	}
}

func TestComplianceEvents(t *testing.T) {
	p := shopify.NewPlatform()
	shop := ritorno.Shop{ID: 1, Currency: "USD", Domain: "s.myshopify.com"}
	ev, err := p.DecodeEvent("customers/redact", []byte(`{"shop_id":954889,"shop_domain":"s.myshopify.com","customer":{"id":191167,"email":"john@example.com","phone":"555-625-1199"},"orders_to_redact":[299938,280263,220458]}`), shop)
	if err != nil || ev.Kind != ritorno.EventCustomerRedact || ev.Redact.CustomerPlatformID != 191167 || ev.Redact.Email != "john@example.com" || len(ev.Redact.OrderIDs) != 3 {
		t.Errorf("customers/redact: %+v, %v", ev, err)
	}
	ev, err = p.DecodeEvent("customers/data_request", []byte(`{"shop_id":954889,"shop_domain":"s.myshopify.com","orders_requested":[299938],"customer":{"id":191167,"email":"john@example.com"},"data_request":{"id":9999}}`), shop)
	if err != nil || ev.Kind != ritorno.EventDataRequest || ev.DataRequest.RequestID != 9999 || ev.DataRequest.OrdersRequested[0] != 299938 {
		t.Errorf("customers/data_request: %+v, %v", ev, err)
	}
	if _, err := p.DecodeEvent("customers/data_request", []byte(`{"customer":{"id":1}}`), shop); err == nil {
		t.Error("a data request without an id was accepted")
	}
	if ev, err := p.DecodeEvent("shop/redact", []byte(`{"shop_id":954889,"shop_domain":"s.myshopify.com"}`), shop); err != nil || ev.Kind != ritorno.EventShopRedact {
		t.Errorf("shop/redact: %+v, %v", ev, err)
	}
	for _, topic := range shopify.Topics() {
		if !p.KnownTopic(topic) {
			t.Errorf("%s not known", topic)
		}
	}
	if p.KnownTopic("carts/update") {
		t.Error("an unsubscribed topic is known")
	}
}

// Shopify signs only the body: the topic and shop headers are not signed. A genuine body
// replayed under a destructive topic, or for another shop, must decode to nothing.
func TestDestructiveTopicsCheckTheirShop(t *testing.T) {
	p := shopify.NewPlatform()
	shop := ritorno.Shop{ID: 1, Currency: "USD", Domain: "victim.myshopify.com"}
	other := `"shop_id":954889,"shop_domain":"attacker.myshopify.com"`
	mine := `"shop_id":954889,"shop_domain":"victim.myshopify.com"`
	replays := map[string][]byte{
		"product fixture":                  fixture(t, "shopify-products-update-docs-example.json", ""),
		"order fixture":                    fixture(t, "shopify-order-rest-resource.json", "order"),
		"customer fixture":                 fixture(t, "shopify-customer-rest-resource.json", "customer"),
		"another shop's shop/redact":       []byte(`{` + other + `}`),
		"another shop's customers/redact":  []byte(`{` + other + `,"customer":{"id":1,"email":"a@b.c"},"orders_to_redact":[]}`),
		"another shop's data_request":      []byte(`{` + other + `,"customer":{"id":1},"data_request":{"id":9}}`),
		"another shop's app/uninstalled":   []byte(`{"id":1,"myshopify_domain":"attacker.myshopify.com","domain":"victim.myshopify.com"}`),
		"custom domain only, another shop": []byte(`{"id":1,"domain":"shop.attacker.example"}`),
	}
	for name, body := range replays {
		for _, topic := range []string{"app/uninstalled", "shop/redact", "customers/redact", "customers/data_request"} {
			ev, err := p.DecodeEvent(topic, body, shop)
			if ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Errorf("%s replayed as %s: %+v, %v; want refused as invalid", name, topic, ev.Kind, err)
			}
		}
	}
	// A compliance body of the right shop under another compliance topic is refused too.
	for topic, body := range map[string]string{
		"shop/redact":      `{` + mine + `,"customer":{"id":1,"email":"a@b.c"},"orders_to_redact":[]}`,
		"customers/redact": `{` + mine + `,"customer":{"id":1},"data_request":{"id":9}}`,
	} {
		if _, err := p.DecodeEvent(topic, []byte(body), shop); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s with another topic's body: %v; want refused", topic, err)
		}
	}
	// The genuine bodies of the shop still apply.
	for topic, body := range map[string]string{
		"app/uninstalled":        `{"id":1,"myshopify_domain":"Victim.myshopify.com","domain":"shop.victim.example"}`,
		"shop/redact":            `{` + mine + `}`,
		"customers/redact":       `{` + mine + `,"customer":{"id":1,"email":"a@b.c"},"orders_to_redact":[2]}`,
		"customers/data_request": `{` + mine + `,"customer":{"id":1},"orders_requested":[2],"data_request":{"id":9}}`,
	} {
		if _, err := p.DecodeEvent(topic, []byte(body), shop); err != nil {
			t.Errorf("genuine %s refused: %v", topic, err)
		}
	}
}

func FuzzDecodeOrder(f *testing.F) {
	f.Add(fixture(f, "shopify-order-rest-resource.json", "order"))
	f.Add(fixture(f, "shopify-order-go-shopify.json", "order"))
	f.Add([]byte(`{"id":1,"currency":"JPY","total_price":"12"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := shopify.DecodeOrder(body)
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
	f.Add(fixture(f, "shopify-product-rest-resource.json", "product"))
	f.Add(fixture(f, "shopify-products-update-docs-example.json", ""))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := shopify.DecodeProduct(body, "USD")
		if err == nil && p.PlatformID <= 0 {
			t.Fatalf("decoded a product without id")
		} else if err != nil && ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("error is not EINVALID: %v", err)
		}
	})
}
