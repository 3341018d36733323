package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/storefront"
	"github.com/ritorno/ritorno/transactions"
)

// The demo shop: what `make run` shows a newcomer on a fresh machine. On the first start
// with RITORNO_DEMO on (the default on the embedded database) it creates a shop from a
// real sample of transactions bundled with the binary (demo/SOURCE.md), and serves a
// plain product page, /demo/store, whose widget asks the shop's real public storefront
// route for recommendations, as a WooCommerce store's would.

//go:embed demo/online_retail_sample.csv.gz
var demoTransactions []byte

const (
	demoCurrency = "GBP" // the data set's
	demoTimezone = "Europe/London"
	// demoAdminLinkTTL is how long the admin link serve prints works: a working day.
	demoAdminLinkTTL = 8 * time.Hour
)

// openDemo makes sure the demo shop exists and returns its pages and the shop.
func openDemo(ctx context.Context, cfg Config, db *store.DB, log *slog.Logger) (*storefront.Demo, ritorno.Shop, error) {
	shop, err := demoShop(ctx, cfg, db, log)
	if err != nil {
		return nil, ritorno.Shop{}, fmt.Errorf("demo shop: %w", err)
	}
	best, err := demoBestSeller(ctx, db, shop.ID)
	if err != nil {
		return nil, ritorno.Shop{}, fmt.Errorf("demo shop: %w", err)
	}
	base := "/storefront/v1/" + shop.ConnectionKey
	product := func(ctx context.Context, id string) (storefront.DemoProduct, error) {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return storefront.DemoProduct{}, ritorno.Errorf(ritorno.ENOTFOUND, "no demo product %q", id)
		}
		p, err := db.Product(ctx, shop.ID, n)
		if err != nil {
			return storefront.DemoProduct{}, err
		}
		return demoProductOf(p), nil
	}
	return &storefront.Demo{Endpoint: base + "/recommendations", Events: base + "/events", ProductID: strconv.FormatInt(best, 10),
		Currency: demoCurrency, Locale: "en-GB", Product: product,
		// Each demo product has one variant, whose id is the product's.
		Variant: product}, shop, nil
}

func demoProductOf(p ritorno.Product) storefront.DemoProduct {
	d := storefront.DemoProduct{ID: strconv.FormatInt(p.PlatformID, 10), Title: p.Title}
	if len(p.Variants) > 0 {
		d.VariantID, d.Price = strconv.FormatInt(p.Variants[0].PlatformID, 10), p.Variants[0].Price
	}
	return d
}

// demoShop finds the demo shop, or creates and fills it. Its store URL is the app URL, so
// that the demo page, served by this server, is the store's own origin for CORS.
func demoShop(ctx context.Context, cfg Config, db *store.DB, log *slog.Logger) (ritorno.Shop, error) {
	domain, err := ritorno.NormalizeStoreURL(cfg.AppURL, true)
	if err != nil {
		return ritorno.Shop{}, err
	}
	if shop, err := db.ShopByDomain(ctx, ritorno.WooCommerce, domain); err == nil {
		return shop, nil
	} else if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		return ritorno.Shop{}, err
	}
	key, err := newConnectionKey()
	if err != nil {
		return ritorno.Shop{}, err
	}
	start := time.Now()
	shop, err := db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: domain, Name: "Ritorno demo shop",
		Status: ritorno.ShopInstalled, Currency: demoCurrency, Timezone: demoTimezone, ConnectionKey: key, InstalledAt: start},
		ritorno.ShopCredentials{})
	if err != nil {
		return ritorno.Shop{}, err
	}
	orders, products, err := loadDemoData(ctx, db, shop, start)
	if err != nil {
		// Half a demo is worse than none: the next start tries again from scratch.
		if derr := db.DeleteShop(ctx, shop.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return ritorno.Shop{}, err
	}
	log.Info("demo shop created: open /demo/store", "shop", shop.Domain, "orders", orders, "products", products,
		"seconds", time.Since(start).Seconds())
	return shop, nil
}

// loadDemoData imports the bundled sample into the shop: its products (title, last unit
// price, in stock) and its orders, every date moved by whole days so that the last
// falls yesterday.
func loadDemoData(ctx context.Context, db *store.DB, shop ritorno.Shop, now time.Time) (orders, products int, err error) {
	lines, err := demoLines(shop, now)
	if err != nil {
		return 0, 0, err
	}
	batch := demoProducts(shop.ID, lines, now)
	if _, err := db.UpsertProducts(ctx, shop.ID, batch); err != nil {
		return 0, 0, err
	}
	im := history.NewImporter(db, shop.ID, history.DefaultImportBatch)
	group := transactions.NewGroup(func(o transactions.Order) error {
		order, err := o.Domain()
		if err != nil {
			return nil // as import does: an unreadable order is skipped
		}
		return im.Add(ctx, order)
	})
	for _, l := range lines {
		if err := group.Add(l); err != nil {
			return 0, 0, err
		}
	}
	if err := group.Flush(); err != nil {
		return 0, 0, err
	}
	if err := im.Flush(ctx); err != nil {
		return 0, 0, err
	}
	return int(im.Counts().Inserted), len(batch), nil
}

// demoLines reads the sample's lines, moved in time so that the last falls yesterday.
func demoLines(shop ritorno.Shop, now time.Time) ([]transactions.Line, error) {
	opts, err := transactions.Preset("online-retail")
	if err != nil {
		return nil, err
	}
	opts.Location = shop.Location()
	var lines []transactions.Line
	rd, err := transactions.NewReader(bytes.NewReader(demoTransactions), opts)
	if err != nil {
		return nil, err
	}
	var last time.Time
	for {
		l, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var le *transactions.LineError
			if errors.As(err, &le) {
				continue // the sample keeps the data set's few unreadable rows; import skips them too
			}
			return nil, err
		}
		lines = append(lines, l)
		if l.Date.After(last) {
			last = l.Date
		}
	}
	shift := time.Duration(int(now.Sub(last).Hours()/24)-1) * 24 * time.Hour
	for i := range lines {
		lines[i].Date = lines[i].Date.Add(shift)
	}
	return lines, nil
}

// demoProducts is the catalog the lines name, in the order first sold: each product
// titled and priced by its latest line; one without a price is left out.
func demoProducts(shopID int64, lines []transactions.Line, now time.Time) []ritorno.Product {
	catalog := map[string]*ritorno.Product{}
	var order []string
	for _, l := range lines {
		p, ok := catalog[l.ProductID]
		if !ok {
			id := transactions.ID(l.ProductID)
			p = &ritorno.Product{ShopID: shopID, PlatformID: id, Status: ritorno.ProductActive, PublishedAt: now,
				PlatformCreatedAt: now, PlatformUpdatedAt: now, ProductType: "gifts",
				Variants: []ritorno.Variant{{PlatformID: id, Position: 1, SKU: l.ProductID}}}
			catalog[l.ProductID] = p
			order = append(order, l.ProductID)
		}
		// The latest line names and prices the product.
		if l.Description != "" {
			p.Title = demoTitle(l.Description)
		}
		p.Variants[0].Price = l.UnitPrice
	}
	batch := make([]ritorno.Product, 0, len(order))
	for _, code := range order {
		p := catalog[code]
		if p.Title == "" {
			p.Title = code
		}
		p.Handle = demoHandle(p.Title, code)
		if p.Variants[0].Price.Amount > 0 {
			batch = append(batch, *p)
		}
	}
	return batch
}

// demoBestSeller is the product the demo page opens on: the one in most orders.
func demoBestSeller(ctx context.Context, db *store.DB, shopID int64) (int64, error) {
	counts := map[int64]int{}
	err := db.EachPurchase(ctx, shopID, func(p ritorno.Purchase) error {
		for _, it := range p.Items {
			counts[it.ProductID]++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var best int64
	for id, n := range counts {
		if n > counts[best] || (n == counts[best] && id < best) {
			best = id
		}
	}
	if best == 0 {
		return 0, ritorno.Errorf(ritorno.ENOTFOUND, "the demo shop has no orders")
	}
	return best, nil
}

// demoTitle turns the data set's upper-case descriptions into titles ("WHITE METAL
// LANTERN" → "White Metal Lantern").
func demoTitle(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

func demoHandle(title, code string) string {
	return strings.Trim(notSlug.ReplaceAllString(strings.ToLower(title+" "+code), "-"), "-")
}
