package history

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// ProductAdder is what writing catalog entries made from order lines needs of storage:
// an insert that leaves every product the shop already has as it is.
type ProductAdder interface {
	AddProductsIfAbsent(ctx context.Context, shopID int64, products []ritorno.Product) (int, error)
}

// LineCatalog makes catalog entries from the lines of imported orders, for a shop whose
// orders come from a file and whose products come from nowhere else: without them the
// recommendation model knows what was bought together but has no title or price to show.
// Each product is keyed by its lines' product id (the file's product id or SKU, as
// transactions.ID maps it); its title and price are those of its latest line with a
// price, its SKU the file's text. It is active and published from its first sale, with
// one variant of the same id that is never out of stock. An entry carries no platform
// time, so the platform's version of the product replaces it whenever it comes.
type LineCatalog struct {
	byID map[int64]*lineProduct
}

type lineProduct struct {
	first, last time.Time // the first sale, and the sale that gave the title and price
	p           ritorno.Product
}

// Add takes the products of an order's lines.
func (c *LineCatalog) Add(o ritorno.Order) {
	if c.byID == nil {
		c.byID = map[int64]*lineProduct{}
	}
	at := o.PlacedAt()
	for _, li := range o.LineItems {
		if li.ProductPlatformID <= 0 {
			continue
		}
		lp, ok := c.byID[li.ProductPlatformID]
		if !ok {
			lp = &lineProduct{first: at}
			c.byID[li.ProductPlatformID] = lp
		}
		if at.Before(lp.first) {
			lp.first = at
		}
		// The latest line with a price names the product (a zero-priced adjustment does not).
		if ok && (at.Before(lp.last) || li.Price.Amount <= 0) && lp.p.Variants[0].Price.Amount > 0 {
			continue
		}
		title := li.Title
		if title == "" {
			title = li.SKU
		}
		if title == "" && ok {
			title = lp.p.Title
		}
		lp.last = at
		lp.p = ritorno.Product{PlatformID: li.ProductPlatformID, Title: title, Handle: lineHandle(title, li.SKU), Status: ritorno.ProductActive,
			Variants: []ritorno.Variant{{PlatformID: li.ProductPlatformID, Title: title, SKU: li.SKU, Position: 1, Price: li.Price}}}
	}
}

// lineHandle is a URL slug of the title and SKU ("White Heart" and "85123A" give
// "white-heart-85123a"), as the demo shop's: the file's products have no page of their own.
func lineHandle(title, sku string) string {
	var b strings.Builder
	dash := false
	if sku != title {
		title += " " + sku
	}
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// Len is how many products the lines named.
func (c *LineCatalog) Len() int { return len(c.byID) }

// Products returns the entries, by product id, mended as imported orders are.
func (c *LineCatalog) Products() []ritorno.Product {
	out := make([]ritorno.Product, 0, len(c.byID))
	now := time.Now()
	for _, lp := range c.byID {
		p := lp.p
		p.Variants = slices.Clone(p.Variants)
		p.PublishedAt, p.PlatformCreatedAt = lp.first, lp.first
		p.Sanitize(now) // as the order was: a NUL in a file's title must not fail the write
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b ritorno.Product) int { return cmp.Compare(a.PlatformID, b.PlatformID) })
	return out
}

// Write adds the entries the shop does not have yet, in batches, and reports what it did:
// Inserted the new entries, Unchanged the products the shop had already (the platform's,
// or an earlier import's), which stay as they are.
func (c *LineCatalog) Write(ctx context.Context, store ProductAdder, shopID int64) (ImportCounts, error) {
	var counts ImportCounts
	products := c.Products()
	for len(products) > 0 {
		part := products[:min(len(products), DefaultImportBatch)]
		products = products[len(part):]
		added, err := store.AddProductsIfAbsent(ctx, shopID, part)
		if err != nil {
			return counts, err
		}
		counts.Inserted += int64(added)
		counts.Unchanged += int64(len(part) - added)
	}
	return counts, nil
}
