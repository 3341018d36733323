package ritorno

import (
	"strings"
	"time"
	"unicode/utf8"
)

// StorefrontEventType is what a shopper did with a recommended item.
type StorefrontEventType string

// Storefront event types, as the widget reports them.
const (
	StorefrontImpression StorefrontEventType = "impression"
	StorefrontClick      StorefrontEventType = "click"
	StorefrontAddToCart  StorefrontEventType = "add_to_cart"
)

// ParseStorefrontEventType validates an event type sent by the widget.
func ParseStorefrontEventType(s string) (StorefrontEventType, error) {
	switch t := StorefrontEventType(s); t {
	case StorefrontImpression, StorefrontClick, StorefrontAddToCart:
		return t, nil
	}
	return "", Errorf(EINVALID, "event type %q is not one of impression, click, add_to_cart", s)
}

// Attribution windows: an order is recommendation-influenced when one of its products was
// clicked or added to the cart from a recommendation before it was placed, by the same
// logged-in buyer within AttributionWindow, or by an anonymous shopper within
// AnonymousAttributionWindow. Sessions are unknown server-side, so the anonymous window is
// short to keep coincidences few.
const (
	AttributionWindow          = 7 * 24 * time.Hour
	AnonymousAttributionWindow = 24 * time.Hour
)

// StorefrontEvent is one shopper interaction with a recommended item, as recorded for
// attribution. It holds no personal data beyond the buyer key of a logged-in shopper.
type StorefrontEvent struct {
	Type      StorefrontEventType
	ProductID int64 // platform id of the recommended product
	VariantID int64 // platform id of the variant shown; 0 when none
	Kind      string
	Placement string
	// BuyerKey is the logged-in customer's platform id (see BuyerKey); 0 when anonymous.
	BuyerKey   int64
	OccurredAt time.Time
	// Token identifies the tracking token the event came with and who saw it (at most
	// MaxEventTokenLen bytes; "" when none): an event of a type counts once per Token,
	// however often it is replayed.
	Token string
}

// MaxEventTokenLen bounds StorefrontEvent.Token.
const MaxEventTokenLen = 64

// Validate checks an event before it is stored.
func (e StorefrontEvent) Validate() error {
	if _, err := ParseStorefrontEventType(string(e.Type)); err != nil {
		return err
	}
	if e.ProductID <= 0 || e.VariantID < 0 {
		return Errorf(EINVALID, "event product id must be positive and variant id not negative")
	}
	if e.BuyerKey < 0 {
		return Errorf(EINVALID, "event buyer key must be a customer id or 0")
	}
	if e.OccurredAt.IsZero() {
		return Errorf(EINVALID, "event time is missing")
	}
	if len(e.Token) > MaxEventTokenLen || !utf8.ValidString(e.Token) || strings.ContainsRune(e.Token, 0) {
		return Errorf(EINVALID, "event token identity is longer than %d bytes or not text", MaxEventTokenLen)
	}
	return nil
}

// KindPerformance counts the events of one kind of recommendation (cross_sell, up_sell,
// buy_again).
type KindPerformance struct {
	Kind        string
	Impressions int64
	Clicks      int64
	AddToCarts  int64
}

// RecommendationPerformance is what recommendations did for a shop in [From, To).
type RecommendationPerformance struct {
	From, To    time.Time
	Impressions int64
	Clicks      int64
	AddToCarts  int64
	ByKind      []KindPerformance // in kind order
	// InfluencedOrders counts the counted orders placed in the period that are
	// recommendation-influenced (see AttributionWindow); InfluencedRevenue is their net
	// total (total less refunds) in the shop's currency. Influenced orders in another
	// currency are not in either: OtherCurrencies counts them, per currency, in their own.
	InfluencedOrders  int64
	InfluencedRevenue Money
	OtherCurrencies   []CurrencyTotal
}

// CTR is the click-through rate, clicks per impression; 0 without impressions.
func (p RecommendationPerformance) CTR() float64 {
	if p.Impressions == 0 {
		return 0
	}
	return float64(p.Clicks) / float64(p.Impressions)
}
