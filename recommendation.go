package ritorno

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Purchase is a counted order (Order.Counts) reduced to what recommendations learn from:
// who bought which products, when.
type Purchase struct {
	OrderID int64
	Buyer   int64 // BuyerKey of the order's buyer; 0 when unknown
	At      time.Time
	// UpdatedAt is when the platform last changed the order; incremental updates
	// read purchases changed after a watermark by it.
	UpdatedAt time.Time
	Items     []PurchasedItem
}

// PurchasedItem is one product line of a Purchase: gift cards, custom items (no product)
// and lines fully refunded are left out.
type PurchasedItem struct {
	ProductID int64
	VariantID int64
	Quantity  int64 // net of refunded quantity, > 0
	UnitPrice Money
}

// Recommendation sources, in the default fallback order.
const (
	SourcePinned               = "pinned"
	SourceCrossSell            = "cross_sell"
	SourceCollectionBestSeller = "collection_best_sellers"
	SourceShopBestSeller       = "shop_best_sellers"
)

// DefaultFallbackChain is the order in which sources fill a product or cart list.
var DefaultFallbackChain = []string{SourcePinned, SourceCrossSell, SourceCollectionBestSeller, SourceShopBestSeller}

// RecommendControls are a merchant's rules for a shop's recommendations. They apply in
// every strategy.
type RecommendControls struct {
	// Pins are the complementary products the merchant chose for a product, in order;
	// they come first for that product whenever they are sellable.
	Pins             map[int64][]int64
	ExcludedProducts []int64
	ExcludedTags     []string // case-insensitive
	ExcludedVendors  []string // case-insensitive
	// FallbackChain orders the sources (Source* constants); empty means DefaultFallbackChain.
	FallbackChain []string
	// UpsellMinPercent and UpsellMaxPercent bound an up-sell's price relative to the viewed
	// product's (110 and 200 mean 1.1×–2×); zero means the default.
	UpsellMinPercent int
	UpsellMaxPercent int
	// MinEvidence is the least number of distinct buyers behind a data-driven item; zero
	// means the default. Below it, fewer items or none are shown.
	MinEvidence int
	UpdatedAt   time.Time
}

// Defaults for the RecommendControls fields whose zero value means "the default".
const (
	DefaultUpsellMinPercent = 110 // an up-sell costs at least 1.1× the viewed product
	DefaultUpsellMaxPercent = 200 // and at most 2×
	DefaultMinEvidence      = 3   // one or two buyers are an anecdote, not a pattern

	// Upper bounds, well inside the 32-bit columns that hold them: an up-sell band up to
	// 100× the viewed product's price, and evidence up to a million distinct buyers.
	MaxUpsellPercent = 10000
	MaxMinEvidence   = 1000000
	// MaxExclusionLen bounds an excluded tag or vendor (Shopify's tags are at most 255).
	MaxExclusionLen = 255
)

// knownSources are the sources a fallback chain may name.
var knownSources = []string{SourcePinned, SourceCrossSell, SourceCollectionBestSeller, SourceShopBestSeller}

// Validate checks the controls as a merchant set them: known, unrepeated fallback
// sources; no negative numbers; an up-sell band (with defaults filled in) that starts at
// the viewed product's price or above and does not end below its start; positive product
// ids; no product pinned to itself or twice to the same product; no empty tag or vendor.
func (c RecommendControls) Validate() error {
	seen := map[string]bool{}
	for _, s := range c.FallbackChain {
		if !slices.Contains(knownSources, s) {
			return Errorf(EINVALID, "fallback source %q is not one of %s, %s, %s, %s", s,
				SourcePinned, SourceCrossSell, SourceCollectionBestSeller, SourceShopBestSeller)
		}
		if seen[s] {
			return Errorf(EINVALID, "fallback source %q is listed twice", s)
		}
		seen[s] = true
	}
	for _, f := range []struct {
		name       string
		value, max int
	}{{"up-sell minimum percent", c.UpsellMinPercent, MaxUpsellPercent}, {"up-sell maximum percent", c.UpsellMaxPercent, MaxUpsellPercent},
		{"minimum evidence", c.MinEvidence, MaxMinEvidence}} {
		if f.value < 0 || f.value > f.max {
			return Errorf(EINVALID, "%s must be from 0 (the default) to %d", f.name, f.max)
		}
	}
	n := c.Normalized()
	if c.UpsellMinPercent != 0 && c.UpsellMinPercent < 100 {
		// An up-sell is never cheaper than the product it replaces.
		return Errorf(EINVALID, "up-sell minimum percent %d is below 100: an up-sell is never cheaper than the viewed product", c.UpsellMinPercent)
	}
	if n.UpsellMinPercent > n.UpsellMaxPercent {
		return Errorf(EINVALID, "up-sell minimum percent %d is above the maximum %d", n.UpsellMinPercent, n.UpsellMaxPercent)
	}
	for product, pins := range c.Pins {
		if product <= 0 {
			return Errorf(EINVALID, "pins name product id %d; ids must be positive", product)
		}
		pinned := map[int64]bool{}
		for _, p := range pins {
			switch {
			case p <= 0:
				return Errorf(EINVALID, "product %d has a pin with id %d; ids must be positive", product, p)
			case p == product:
				return Errorf(EINVALID, "product %d is pinned to itself", product)
			case pinned[p]:
				return Errorf(EINVALID, "product %d is pinned twice to product %d", p, product)
			}
			pinned[p] = true
		}
	}
	for _, id := range c.ExcludedProducts {
		if id <= 0 {
			return Errorf(EINVALID, "excluded product id %d must be positive", id)
		}
	}
	for _, list := range []struct {
		name   string
		values []string
	}{{"tag", c.ExcludedTags}, {"vendor", c.ExcludedVendors}} {
		for _, v := range list.values {
			switch {
			case strings.TrimSpace(v) == "":
				return Errorf(EINVALID, "an excluded %s is empty", list.name)
			case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
				return Errorf(EINVALID, "an excluded %s is not UTF-8 text without control characters", list.name)
			case utf8.RuneCountInString(v) > MaxExclusionLen:
				return Errorf(EINVALID, "an excluded %s is longer than %d characters", list.name, MaxExclusionLen)
			}
		}
	}
	return nil
}

// Normalized returns the controls as the engine applies them: defaults filled in for zero
// values and an empty chain, tags and vendors trimmed and lower-cased (they match
// case-insensitively), and repeated exclusions dropped. The receiver is not changed.
func (c RecommendControls) Normalized() RecommendControls {
	out := c
	if len(c.FallbackChain) == 0 {
		out.FallbackChain = append([]string(nil), DefaultFallbackChain...)
	} else {
		out.FallbackChain = append([]string(nil), c.FallbackChain...)
	}
	if out.UpsellMinPercent == 0 {
		out.UpsellMinPercent = DefaultUpsellMinPercent
	}
	if out.UpsellMaxPercent == 0 {
		out.UpsellMaxPercent = DefaultUpsellMaxPercent
	}
	if out.MinEvidence == 0 {
		out.MinEvidence = DefaultMinEvidence
	}
	if c.Pins != nil {
		out.Pins = make(map[int64][]int64, len(c.Pins))
		for product, pins := range c.Pins {
			out.Pins[product] = append([]int64(nil), pins...)
		}
	}
	out.ExcludedProducts = nil
	seenID := map[int64]bool{}
	for _, id := range c.ExcludedProducts {
		if !seenID[id] {
			seenID[id] = true
			out.ExcludedProducts = append(out.ExcludedProducts, id)
		}
	}
	fold := func(values []string) []string {
		var list []string
		seen := map[string]bool{}
		for _, v := range values {
			v = strings.ToLower(strings.TrimSpace(v))
			if v != "" && !seen[v] {
				seen[v] = true
				list = append(list, v)
			}
		}
		return list
	}
	out.ExcludedTags, out.ExcludedVendors = fold(c.ExcludedTags), fold(c.ExcludedVendors)
	return out
}
