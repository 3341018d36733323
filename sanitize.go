package ritorno

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Platform payloads, backfills and imported files are written by merchants, apps and
// plugins, so any text or time in them may be junk. Two kinds of junk stop a shop rather
// than one record, and are mended where the data enters (the adapters' decoders, and
// again in history before anything is stored):
//
//   - Text PostgreSQL refuses (a NUL character, invalid UTF-8) would fail the write on every
//     retry. CleanText drops NUL, which carries no meaning in a name or title, and replaces
//     invalid bytes with U+FFFD; everything else is kept.
//   - A time no order can have (year 9999 in processed_at, a WooCommerce date typed as 2302)
//     is outside what analytics can place in a period. See PlausibleTime.

// EarliestPlausibleTime is the earliest time a platform record may carry. Shopify (2006)
// and WooCommerce (2011) are younger, but imported histories from older systems are
// accepted; before 1990 there was no online shop, so earlier dates are typing errors
// (year 0001, 0199) or defaults.
var EarliestPlausibleTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// ClockSkew is how far after the time of receipt a record's time may be: a merchant's or
// a plugin's clock, or a local time sent as GMT, can be hours off; a day covers it. A
// later time cannot have happened yet.
const ClockSkew = 24 * time.Hour

// PlausibleTime reports whether t, a non-zero time from a platform, lies between
// EarliestPlausibleTime and now plus ClockSkew, now being the time of receipt.
func PlausibleTime(t, now time.Time) bool {
	return !t.Before(EarliestPlausibleTime) && !t.After(now.Add(ClockSkew))
}

// plausibleOrZero returns t, or zero (unknown) when t is set but implausible.
func plausibleOrZero(t, now time.Time) time.Time {
	if t.IsZero() || PlausibleTime(t, now) {
		return t
	}
	return time.Time{}
}

// clampTime brings a set but implausible t into the plausible range: for times whose
// presence means something (a cancellation, a deletion, a publication), which must not be
// lost with the time.
func clampTime(t, now time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(EarliestPlausibleTime):
		return EarliestPlausibleTime
	case t.After(now.Add(ClockSkew)):
		return now.UTC()
	}
	return t
}

// CleanText returns s without NUL characters and with invalid UTF-8 replaced by U+FFFD:
// text that every database stores.
func CleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func cleanTexts(ss []string) {
	for i, s := range ss {
		ss[i] = CleanText(s)
	}
}

// Sanitize mends an order's text and times in place, now being the time of receipt.
// An implausible placement or creation time becomes unknown: the order is then placed at
// its creation time, or, when neither is known, at the time of receipt, which for a
// webhook is within seconds of the real one (the order is kept and counted; analytics
// need a time for it). An implausible update time becomes unknown, as in a payload that
// has none, so that a year-9999 version cannot shadow every later update. Cancellation and
// deletion times are clamped into range: the order stays cancelled or deleted.
func (o *Order) Sanitize(now time.Time) {
	o.Name = CleanText(o.Name)
	if ValidateCurrency(o.PresentmentCurrency) != nil {
		o.PresentmentCurrency = "" // kept for reference only: junk there is unknown, not a reason to refuse
	}
	o.FinancialStatus = FinancialStatus(CleanText(string(o.FinancialStatus)))
	o.FulfillmentStatus = CleanText(o.FulfillmentStatus)
	o.SourceName = CleanText(o.SourceName)
	o.CancelReason = CleanText(o.CancelReason)
	cleanTexts(o.Tags)
	for i := range o.LineItems {
		li := &o.LineItems[i]
		li.Title, li.VariantTitle = CleanText(li.Title), CleanText(li.VariantTitle)
		li.SKU, li.Vendor = CleanText(li.SKU), CleanText(li.Vendor)
	}
	o.PlatformCreatedAt = plausibleOrZero(o.PlatformCreatedAt, now)
	o.ProcessedAt = plausibleOrZero(o.ProcessedAt, now)
	if o.PlacedAt().IsZero() {
		o.ProcessedAt = now.UTC()
	}
	o.PlatformUpdatedAt = plausibleOrZero(o.PlatformUpdatedAt, now)
	o.CancelledAt = clampTime(o.CancelledAt, now)
	o.DeletedAt = clampTime(o.DeletedAt, now)
	for i := range o.Refunds {
		o.Refunds[i].Sanitize(now)
	}
}

// Sanitize mends a refund's note and times in place (see Order.Sanitize): an implausible
// time becomes unknown.
func (r *Refund) Sanitize(now time.Time) {
	r.Note = CleanText(r.Note)
	r.CreatedAt = plausibleOrZero(r.CreatedAt, now)
	r.ProcessedAt = plausibleOrZero(r.ProcessedAt, now)
	if r.ProcessedAt.IsZero() {
		r.ProcessedAt = r.CreatedAt
	}
}

// Sanitize mends a customer's text and times in place (see Order.Sanitize).
func (c *Customer) Sanitize(now time.Time) {
	if email := CleanText(c.Email); email != c.Email {
		c.Email, c.EmailHash = email, HashEmail(email) // EmailHash stays the hash of Email
	}
	c.FirstName, c.LastName = CleanText(c.FirstName), CleanText(c.LastName)
	c.EmailHash, c.State = CleanText(c.EmailHash), CleanText(c.State)
	cleanTexts(c.Tags)
	c.PlatformCreatedAt = plausibleOrZero(c.PlatformCreatedAt, now)
	c.PlatformUpdatedAt = plausibleOrZero(c.PlatformUpdatedAt, now)
	c.DeletedAt = clampTime(c.DeletedAt, now)
}

// Sanitize mends a product's text and times in place (see Order.Sanitize); a publication
// time is clamped, since its presence says the product is published.
func (p *Product) Sanitize(now time.Time) {
	p.Title, p.Handle, p.ProductType = CleanText(p.Title), CleanText(p.Handle), CleanText(p.ProductType)
	p.Vendor, p.ImageURL = CleanText(p.Vendor), CleanText(p.ImageURL)
	p.Status = ProductStatus(CleanText(string(p.Status)))
	cleanTexts(p.Tags)
	cleanTexts(p.Collections)
	for i := range p.Variants {
		p.Variants[i].Sanitize()
	}
	p.PublishedAt = clampTime(p.PublishedAt, now)
	p.PlatformCreatedAt = plausibleOrZero(p.PlatformCreatedAt, now)
	p.PlatformUpdatedAt = plausibleOrZero(p.PlatformUpdatedAt, now)
	p.DeletedAt = clampTime(p.DeletedAt, now)
}

// Sanitize mends a variant's text in place.
func (v *Variant) Sanitize() {
	v.Title, v.SKU = CleanText(v.Title), CleanText(v.SKU)
}

// Sanitize mends the records an event carries (see Order.Sanitize).
func (e *Event) Sanitize(now time.Time) {
	switch e.Kind {
	case EventOrderUpserted:
		e.Order.Sanitize(now)
	case EventCustomerUpserted:
		e.Customer.Sanitize(now)
	case EventProductUpserted:
		e.Product.Sanitize(now)
	case EventRefundAdded:
		e.Refund.Sanitize(now)
	case EventCustomerRedact:
		e.Redact.Email = CleanText(e.Redact.Email)
	}
	e.At = plausibleOrZero(e.At, now) // unknown: the applier uses the time of receipt
}
