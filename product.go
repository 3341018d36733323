package ritorno

import (
	"strconv"
	"strings"
	"time"
)

// ProductStatus is a product's publication state on the platform.
type ProductStatus string

// Product statuses (Shopify's; WooCommerce "publish" maps to active, "draft"/"pending"/
// "private" to draft, and trashed products to archived).
const (
	ProductActive   ProductStatus = "active"
	ProductDraft    ProductStatus = "draft"
	ProductArchived ProductStatus = "archived"
)

// Product is a catalog item with its sellable variants.
type Product struct {
	ShopID            int64
	PlatformID        int64
	Title             string
	Handle            string // URL slug
	ProductType       string
	Vendor            string
	Tags              []string
	Collections       []string // collection (Shopify) or category (WooCommerce) handles
	Status            ProductStatus
	PublishedAt       time.Time // zero when not published to the online store
	ImageURL          string
	PlatformCreatedAt time.Time
	PlatformUpdatedAt time.Time
	DeletedAt         time.Time // deleted on the platform; zero while it exists
	Variants          []Variant
}

// Variant is one purchasable version of a product (size, colour…), with its own price
// and stock.
type Variant struct {
	PlatformID     int64
	Title          string
	SKU            string
	Position       int
	Price          Money
	CompareAtPrice Money // zero amount when there is no compare-at price
	// InventoryTracked is false when the platform does not count stock for the variant;
	// then InventoryQuantity means nothing and the variant is always in stock.
	InventoryTracked  bool
	InventoryQuantity int64
	// ContinueSellingWhenOutOfStock is Shopify's inventory policy "continue" and
	// WooCommerce's backorders "yes"/"notify".
	ContinueSellingWhenOutOfStock bool
	GiftCard                      bool
}

// InStock reports whether a shopper can buy the variant now.
func (v Variant) InStock() bool {
	return !v.InventoryTracked || v.InventoryQuantity > 0 || v.ContinueSellingWhenOutOfStock
}

// IsSellable reports whether the product may be shown to shoppers at all: active,
// published, not deleted.
func (p Product) IsSellable() bool {
	return p.Status == ProductActive && !p.PublishedAt.IsZero() && p.DeletedAt.IsZero()
}

// SplitTags parses a platform tag string ("cotton, comfortable") into trimmed, non-empty tags.
func SplitTags(s string) []string {
	var tags []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
