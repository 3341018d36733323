package ritorno_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"19.99", "USD", 1999, true},
		{"0.5", "USD", 50, true},
		{"-5", "USD", -500, true},
		{"19.990", "USD", 1999, true},
		{"-.5", "USD", -50, true},
		// Only the plain form the platforms send: a sign other than "-", spaces or nothing
		// is junk, not an amount.
		{"+1.00", "USD", 0, false},
		{"+5.00", "USD", 0, false},
		{" 7 ", "EUR", 0, false},
		{" 5 ", "USD", 0, false},
		{"5 ", "USD", 0, false},
		{"\t5", "USD", 0, false},
		{"-", "USD", 0, false},
		{"- 5", "USD", 0, false},
		{".5", "USD", 50, true},
		{"0", "USD", 0, true},
		{"1200", "JPY", 1200, true},
		{"1.234", "KWD", 1234, true},
		{"19.995", "USD", 0, false},
		{"12.5", "JPY", 0, false},
		{"1,234.50", "USD", 0, false},
		{"", "USD", 0, false},
		{".", "USD", 0, false},
		{"abc", "USD", 0, false},
		{"1e3", "USD", 0, false},
		{"--1", "USD", 0, false},
		{"99999999999999999999", "USD", 0, false},
		{"1.00", "usd", 0, false},
		{"1.00", "US", 0, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", c.in, c.currency), func(t *testing.T) {
			m, err := ritorno.ParseMoney(c.in, c.currency)
			if c.ok != (err == nil) {
				t.Fatalf("ParseMoney(%q, %s) error = %v, want ok=%v", c.in, c.currency, err, c.ok)
			}
			if c.ok && (m.Amount != c.want || m.Currency != c.currency) {
				t.Fatalf("ParseMoney(%q, %s) = %+v, want %d", c.in, c.currency, m, c.want)
			}
			if !c.ok && ritorno.ErrorCode(err) != ritorno.EINVALID {
				t.Fatalf("error code = %s, want invalid", ritorno.ErrorCode(err))
			}
			if !c.ok && len(c.in) > 1 && strings.Contains(err.Error(), c.in) {
				t.Fatalf("error %q quotes the amount", err)
			}
		})
	}
}

func TestMoneyDecimalRoundTrips(t *testing.T) {
	for _, c := range []struct{ in, currency, out string }{
		{"19.99", "USD", "19.99"}, {"0.05", "USD", "0.05"}, {"-0.05", "USD", "-0.05"}, {"-12", "USD", "-12.00"},
		{"1200", "JPY", "1200"}, {"1.5", "KWD", "1.500"}, {"0", "EUR", "0.00"},
	} {
		m := ritorno.MustParseMoney(c.in, c.currency)
		if m.Decimal() != c.out {
			t.Errorf("%s %s → %q, want %q", c.in, c.currency, m.Decimal(), c.out)
		}
		if back := ritorno.MustParseMoney(m.Decimal(), c.currency); back != m {
			t.Errorf("%s does not round-trip: %+v", c.out, back)
		}
	}
	if s := ritorno.MustParseMoney("3.10", "EUR").String(); s != "3.10 EUR" {
		t.Errorf("String = %q", s)
	}
	if d := (ritorno.Money{Amount: math.MinInt64, Currency: "JPY"}).Decimal(); d != "-9223372036854775808" {
		t.Errorf("MinInt64 renders as %q", d)
	}
}

func TestMoneyArithmetic(t *testing.T) {
	usd := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }
	if sum, err := usd("1.10").Add(usd("2.25")); err != nil || sum != usd("3.35") {
		t.Errorf("Add = %v, %v", sum, err)
	}
	if diff, err := usd("1.10").Sub(usd("2.25")); err != nil || diff != usd("-1.15") {
		t.Errorf("Sub = %v, %v", diff, err)
	}
	if prod, err := usd("1.10").Mul(3); err != nil || prod != usd("3.30") {
		t.Errorf("Mul = %v, %v", prod, err)
	}
	if _, err := usd("1").Add(ritorno.MustParseMoney("1", "EUR")); err == nil {
		t.Error("adding EUR to USD succeeded")
	}
	big := ritorno.Money{Amount: math.MaxInt64, Currency: "USD"}
	if _, err := big.Add(usd("0.01")); err == nil {
		t.Error("overflow on Add not detected")
	}
	if _, err := big.Mul(2); err == nil {
		t.Error("overflow on Mul not detected")
	}
}

func TestShopRules(t *testing.T) {
	for domain, ok := range map[string]bool{
		"shop.myshopify.com": true, "My-Shop1.myshopify.com": true, "evil.com": false,
		"a.myshopify.com.evil.com": false, "-a.myshopify.com": false, "": false, "a.myshopify.com/": false,
	} {
		if (ritorno.ValidateShopifyDomain(domain) == nil) != ok {
			t.Errorf("ValidateShopifyDomain(%q) ok=%v, want %v", domain, !ok, ok)
		}
	}
	for in, want := range map[string]string{
		"https://Shop.Example/": "https://shop.example", "https://shop.example/store/": "https://shop.example/store",
		"http://local.test": "", "ftp://x": "", "https://u:p@shop.example": "", "https://shop.example?x=1": "", "shop.example": "",
	} {
		got, err := ritorno.NormalizeStoreURL(in, false)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("NormalizeStoreURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// RFC 1035: labels of at most 63 characters, names of at most 253.
	long := func(n int) string { return strings.Repeat("a", n) }
	for name, c := range map[string]struct {
		domain string
		ok     bool
	}{
		"label of 63":        {long(63) + ".myshopify.com", true},
		"label of 64":        {long(64) + ".myshopify.com", false},
		"5 KB host":          {long(5000) + ".myshopify.com", false},
		"empty label":        {".myshopify.com", false},
		"trailing dot label": {"a..myshopify.com", false},
	} {
		err := ritorno.ValidateShopifyDomain(c.domain)
		if (err == nil) != c.ok {
			t.Errorf("%s: ValidateShopifyDomain ok=%v, want %v", name, err == nil, c.ok)
		}
		if err != nil && len(c.domain) > 20 && strings.Contains(err.Error(), c.domain) {
			t.Errorf("%s: the error quotes the domain", name)
		}
	}
	for name, c := range map[string]struct {
		url string
		ok  bool
	}{
		"label of 63":      {"https://" + long(63) + ".example", true},
		"label of 64":      {"https://" + long(64) + ".example", false},
		"host of 253":      {"https://" + strings.Repeat(long(63)+".", 3) + long(61), true},
		"host of 254":      {"https://" + strings.Repeat(long(63)+".", 3) + long(62), false},
		"5 KB host":        {"https://" + long(5000) + ".example/shop", false},
		"empty label":      {"https://shop..example", false},
		"port is not host": {"https://shop.example:8443", true},
		"IPv6 literal":     {"https://[2001:db8::1]", true},
	} {
		_, err := ritorno.NormalizeStoreURL(c.url, false)
		if (err == nil) != c.ok {
			t.Errorf("%s: NormalizeStoreURL ok=%v (%v), want %v", name, err == nil, err, c.ok)
		}
	}
	if got, err := ritorno.NormalizeStoreURL("http://local.test", true); err != nil || got != "http://local.test" {
		t.Errorf("allowed http = %q, %v", got, err)
	}
	shop := ritorno.Shop{Platform: ritorno.Shopify, Domain: "a.myshopify.com", Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome"}
	if err := shop.Validate(); err != nil {
		t.Fatal(err)
	}
	if shop.Location().String() != "Europe/Rome" || (ritorno.Shop{}).Location() != time.UTC {
		t.Error("Location does not resolve or fall back to UTC")
	}
	for name, mutate := range map[string]func(*ritorno.Shop){
		"platform": func(s *ritorno.Shop) { s.Platform = "magento" },
		"status":   func(s *ritorno.Shop) { s.Status = "gone" },
		"currency": func(s *ritorno.Shop) { s.Currency = "euro" },
		"timezone": func(s *ritorno.Shop) { s.Timezone = "Mars/Base" },
		"woo key":  func(s *ritorno.Shop) { s.Platform, s.Domain = ritorno.WooCommerce, "https://shop.example" },
	} {
		bad := shop
		mutate(&bad)
		if bad.Validate() == nil {
			t.Errorf("a shop with a bad %s validated", name)
		}
	}
}

func TestBuyersAndOrders(t *testing.T) {
	if ritorno.HashEmail("  Ada@Example.COM ") != ritorno.HashEmail("ada@example.com") || ritorno.HashEmail(" ") != "" {
		t.Error("HashEmail does not normalize")
	}
	if b := ritorno.BuyerFor(42, "a@b.c"); b.Kind != ritorno.BuyerCustomer || b.Key() != "c:42" {
		t.Errorf("customer buyer = %+v", b)
	}
	if b := ritorno.BuyerFor(0, "a@b.c"); b.Kind != ritorno.BuyerGuest || b.Key() != "g:"+ritorno.HashEmail("a@b.c") {
		t.Errorf("guest buyer = %+v", b)
	}
	if b := ritorno.BuyerFor(0, ""); b.Kind != ritorno.BuyerUnknown || b.Key() != "" {
		t.Errorf("unknown buyer = %+v", b)
	}
	usd := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }
	o := ritorno.Order{PlatformID: 1, Currency: "USD", Buyer: ritorno.BuyerFor(42, ""), Subtotal: usd("10"), TotalDiscounts: usd("0"),
		TotalTax: usd("0"), TotalShipping: usd("0"), Total: usd("10"), RefundedAmount: usd("4"), FinancialStatus: ritorno.FinancialPaid}
	if err := o.Validate(); err != nil || !o.Counts() || o.NetTotal() != usd("6") {
		t.Fatalf("order: %v, counts %v, net %v", err, o.Counts(), o.NetTotal())
	}
	over := o
	over.RefundedAmount = usd("12")
	if over.NetTotal() != usd("0") {
		t.Error("NetTotal went below zero")
	}
	for name, mutate := range map[string]func(*ritorno.Order){
		"test":      func(o *ritorno.Order) { o.Test = true },
		"cancelled": func(o *ritorno.Order) { o.CancelledAt = time.Now() },
		"deleted":   func(o *ritorno.Order) { o.DeletedAt = time.Now() },
		"voided":    func(o *ritorno.Order) { o.FinancialStatus = ritorno.FinancialVoided },
	} {
		x := o
		mutate(&x)
		if x.Counts() {
			t.Errorf("a %s order counts", name)
		}
	}
	for name, mutate := range map[string]func(*ritorno.Order){
		"mixed currency": func(o *ritorno.Order) { o.Total = ritorno.MustParseMoney("1", "EUR") },
		"negative quantity": func(o *ritorno.Order) {
			o.LineItems = []ritorno.LineItem{{Quantity: -1, Price: usd("1"), TotalDiscount: usd("0")}}
		},
		"guest sans hash":  func(o *ritorno.Order) { o.Buyer = ritorno.Buyer{Kind: ritorno.BuyerGuest} },
		"customer sans id": func(o *ritorno.Order) { o.Buyer = ritorno.Buyer{Kind: ritorno.BuyerCustomer} },
		"no id":            func(o *ritorno.Order) { o.PlatformID = 0 },
	} {
		x := o
		mutate(&x)
		if x.Validate() == nil {
			t.Errorf("an order with %s validated", name)
		}
	}
	o.Refunds = []ritorno.Refund{{Amount: usd("1.50")}, {Amount: usd("2.50")}}
	if sum, err := o.SumRefunds(); err != nil || sum != usd("4") {
		t.Errorf("SumRefunds = %v, %v", sum, err)
	}
}

func TestVariantsAndProducts(t *testing.T) {
	cases := []struct {
		v    ritorno.Variant
		want bool
	}{
		{ritorno.Variant{InventoryTracked: false}, true},
		{ritorno.Variant{InventoryTracked: true, InventoryQuantity: 3}, true},
		{ritorno.Variant{InventoryTracked: true, InventoryQuantity: 0}, false},
		{ritorno.Variant{InventoryTracked: true, InventoryQuantity: -2, ContinueSellingWhenOutOfStock: true}, true},
	}
	for i, c := range cases {
		if c.v.InStock() != c.want {
			t.Errorf("case %d: InStock = %v", i, !c.want)
		}
	}
	p := ritorno.Product{Status: ritorno.ProductActive, PublishedAt: time.Now()}
	if !p.IsSellable() {
		t.Error("active published product not sellable")
	}
	for _, q := range []ritorno.Product{{Status: ritorno.ProductDraft, PublishedAt: time.Now()}, {Status: ritorno.ProductActive},
		{Status: ritorno.ProductActive, PublishedAt: time.Now(), DeletedAt: time.Now()}} {
		if q.IsSellable() {
			t.Errorf("%+v is sellable", q)
		}
	}
	if got := ritorno.SplitTags(" cotton, ,comfortable ,"); len(got) != 2 || got[0] != "cotton" || got[1] != "comfortable" {
		t.Errorf("SplitTags = %q", got)
	}
}

func TestErrors(t *testing.T) {
	wrapped := fmt.Errorf("load: %w", ritorno.Errorf(ritorno.ENOTFOUND, "order not found"))
	if ritorno.ErrorCode(wrapped) != ritorno.ENOTFOUND || ritorno.ErrorMessage(wrapped) != "order not found" {
		t.Errorf("wrapped: %s %q", ritorno.ErrorCode(wrapped), ritorno.ErrorMessage(wrapped))
	}
	plain := errors.New("password=hunter2")
	if ritorno.ErrorCode(plain) != ritorno.EINTERNAL || ritorno.ErrorMessage(plain) != "internal error" {
		t.Error("a plain error leaks or is not internal")
	}
	if ritorno.ErrorCode(nil) != "" || ritorno.ErrorMessage(nil) != "" {
		t.Error("nil error has a code")
	}
}
