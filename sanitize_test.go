package ritorno_test

import (
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

func TestCleanText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Bob Norman", "Bob Norman"},
		{"accents kept", "Müller – 東京", "Müller – 東京"},
		{"NUL dropped", "Bo\x00b", "Bob"},
		{"only NUL", "\x00\x00", ""},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
		{"both", "\x00a\xc3", "a\uFFFD"},
	} {
		if got := ritorno.CleanText(c.in); got != c.want {
			t.Errorf("%s: CleanText(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestOrderSanitizeTimes(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	created := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, c := range []struct {
		name                     string
		created, processed, upd  time.Time
		wantPlaced, wantUpdated  time.Time
		cancelled, wantCancelled time.Time
	}{
		{name: "plausible kept", created: created, processed: created.Add(time.Hour), upd: created,
			wantPlaced: created.Add(time.Hour), wantUpdated: created},
		{name: "processed 9999: created", created: created, processed: far, upd: far, wantPlaced: created},
		{name: "processed 1899: created", created: created, processed: time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC), wantPlaced: created},
		{name: "both implausible: receipt", created: far, processed: far, wantPlaced: now},
		{name: "no time at all: receipt", wantPlaced: now},
		{name: "a day of skew allowed", processed: now.Add(23 * time.Hour), wantPlaced: now.Add(23 * time.Hour)},
		{name: "beyond the skew: receipt", processed: now.Add(25 * time.Hour), wantPlaced: now},
		{name: "cancelled 2302 stays cancelled", created: created, cancelled: time.Date(2302, 1, 1, 0, 0, 0, 0, time.UTC),
			wantPlaced: created, wantCancelled: now},
	} {
		o := ritorno.Order{PlatformCreatedAt: c.created, ProcessedAt: c.processed, PlatformUpdatedAt: c.upd, CancelledAt: c.cancelled,
			Refunds: []ritorno.Refund{{CreatedAt: far}}}
		o.Sanitize(now)
		if !o.PlacedAt().Equal(c.wantPlaced) || !o.PlatformUpdatedAt.Equal(c.wantUpdated) || !o.CancelledAt.Equal(c.wantCancelled) {
			t.Errorf("%s: placed %v updated %v cancelled %v; want %v, %v, %v", c.name,
				o.PlacedAt(), o.PlatformUpdatedAt, o.CancelledAt, c.wantPlaced, c.wantUpdated, c.wantCancelled)
		}
		if !o.Refunds[0].CreatedAt.IsZero() {
			t.Errorf("%s: refund time %v kept", c.name, o.Refunds[0].CreatedAt)
		}
	}
}

func TestOrderSanitizeText(t *testing.T) {
	o := ritorno.Order{Name: "#1\x00", PresentmentCurrency: "LEAK-MARKER", Tags: []string{"a\x00"}, CancelReason: "\xff",
		LineItems: []ritorno.LineItem{{Title: "T\x00", VariantTitle: "V\x00", SKU: "S\x00", Vendor: "W\x00"}},
		Refunds:   []ritorno.Refund{{Note: "N\x00"}}}
	o.Sanitize(time.Now())
	li := o.LineItems[0]
	if o.Name != "#1" || o.PresentmentCurrency != "" || o.Tags[0] != "a" || o.CancelReason != "\uFFFD" ||
		li.Title != "T" || li.VariantTitle != "V" || li.SKU != "S" || li.Vendor != "W" || o.Refunds[0].Note != "N" {
		t.Errorf("order = %+v", o)
	}
	o = ritorno.Order{PresentmentCurrency: "EUR"}
	if o.Sanitize(time.Now()); o.PresentmentCurrency != "EUR" {
		t.Errorf("presentment currency %q, want EUR kept", o.PresentmentCurrency)
	}
}

func TestCustomerSanitizeRehashesItsEmail(t *testing.T) {
	c := ritorno.Customer{Email: "a\x00b@example.com", EmailHash: ritorno.HashEmail("a\x00b@example.com"), FirstName: "A\x00"}
	c.Sanitize(time.Now())
	if c.Email != "ab@example.com" || c.EmailHash != ritorno.HashEmail("ab@example.com") || c.FirstName != "A" {
		t.Errorf("customer = %+v", c)
	}
}
