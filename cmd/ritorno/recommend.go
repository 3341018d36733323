package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/transactions"
)

const recommendUsage = `Usage: ritorno recommend --shop SHOP [--product ID] [--cart ID,ID…] [--customer ID | --email ADDRESS]
                         [--placement product|cart|thank_you|for_you] [--limit N]
       ritorno recommend eval --transactions FILE …   (ritorno recommend eval --help)

Builds the shop's recommendation model from its stored orders and catalog, as the server
does, and prints what a shopper would be shown as JSON: every item with its kind, source,
reason and the numbers behind it, the notes (e.g. too little evidence), how long the build
took and the model's size. The placement defaults to product with --product, cart with
--cart, and for_you with only a customer. A product is named by its platform id, handle,
a variant's SKU or its code in an imported file; an unknown one is an error (exit 1). --customer is the platform's customer id;
--email finds a guest buyer by address.
`

// recommendView is what ritorno recommend prints.
type recommendView struct {
	Shop         string              `json:"shop"`
	Placement    string              `json:"placement"`
	Items        []recommendItemView `json:"items"`
	Notes        []string            `json:"notes"`
	BuildSeconds float64             `json:"build_seconds"`
	Model        modelView           `json:"model"`
	HeapMB       float64             `json:"heap_mb"`
}

type recommendItemView struct {
	ProductID int64        `json:"product_id"`
	VariantID int64        `json:"variant_id"`
	Title     string       `json:"title"`
	Handle    string       `json:"handle,omitempty"`
	Price     moneyView    `json:"price"`
	Kind      string       `json:"kind"`
	Source    string       `json:"source"`
	Score     float64      `json:"score"`
	Reason    string       `json:"reason"`
	Evidence  evidenceView `json:"evidence"`
}

// modelView is recommend.Stats, the built model's size. It and evidenceView have exactly
// the engine's fields and are converted to (a field added there fails to compile here).
type modelView struct {
	ShopID   int64 `json:"shop_id"`
	Products int   `json:"products"`
	Catalog  int   `json:"catalog"`
	Orders   int   `json:"orders"`
	Buyers   int   `json:"buyers"`
	Pairs    int   `json:"pairs"`
	Bytes    int64 `json:"approx_bytes"`
}

// evidenceView is recommend.Evidence; a number that does not apply to the item's kind is
// left out.
type evidenceView struct {
	Buyers       int     `json:"buyers"`
	Orders       int     `json:"orders,omitempty"`
	Lift         float64 `json:"lift,omitempty"`
	PriceRatio   float64 `json:"price_ratio,omitempty"`
	IntervalDays float64 `json:"interval_days,omitempty"`
	DaysSince    float64 `json:"days_since,omitempty"`
	Anchor       int64   `json:"anchor,omitempty"`
}

func runRecommend(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("recommend")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	product := fs.String("product", "", "the viewed product: its platform id, handle or a variant's SKU")
	cartArg := fs.String("cart", "", "products in the cart (platform ids, handles or SKUs), comma-separated")
	customer := fs.Int64("customer", 0, "the shopper's customer id")
	email := fs.String("email", "", "a guest shopper's e-mail address")
	placement := fs.String("placement", "", "product, cart, thank_you or for_you")
	limit := fs.Int("limit", recommend.DefaultLimit, "items to show")
	if err := parseFlags(ctx, fs, args, stdout, recommendUsage); err != nil {
		return err
	}
	if *shopArg == "" || fs.NArg() > 0 {
		return usageErrorf("recommend needs --shop (see ritorno recommend --help)")
	}
	req, cart, err := recommendRequest(*limit, *product, *cartArg, *customer, *email, *placement)
	if err != nil {
		return err
	}

	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	// An unknown product is an error: the engine would answer with best-sellers.
	if *product != "" {
		if req.ProductID, err = resolveProduct(ctx, db, shop, *product); err != nil {
			return err
		}
	}
	for _, ref := range cart {
		id, err := resolveProduct(ctx, db, shop, ref)
		if err != nil {
			return err
		}
		req.Cart = append(req.Cart, id)
	}
	return recommendAndPrint(ctx, db, shop, req, stdout)
}

// recommendRequest is the request recommend's flags describe, and the cart's products as
// named (resolved once the database is open).
func recommendRequest(limit int, product, cartArg string, customer int64, email, placement string) (recommend.Request, []string, error) {
	req := recommend.Request{Limit: limit, Now: time.Now()}
	var cart []string
	if cartArg != "" {
		for _, s := range strings.Split(cartArg, ",") {
			if s = strings.TrimSpace(s); s == "" {
				return req, nil, usageErrorf("recommend: --cart has an empty product between its commas")
			}
			cart = append(cart, s)
		}
	}
	switch {
	case customer != 0 && email != "":
		return req, nil, usageErrorf("recommend: --customer or --email, not both")
	case customer < 0:
		return req, nil, usageErrorf("recommend: --customer must be a customer id")
	case customer > 0:
		req.Customer = ritorno.BuyerKey(ritorno.BuyerFor(customer, ""))
	case email != "":
		req.Customer = ritorno.BuyerKey(ritorno.BuyerFor(0, email))
	}
	switch p := placement; {
	case p != "":
		req.Placement = recommend.Placement(p)
		if !slices.Contains([]string{"product", "cart", "thank_you", "for_you"}, p) {
			return req, nil, usageErrorf("recommend: --placement %q is not one of product, cart, thank_you, for_you", p)
		}
	case product != "":
		req.Placement = recommend.PlacementProduct
	case len(cart) > 0:
		req.Placement = recommend.PlacementCart
	case req.Customer != 0:
		req.Placement = recommend.PlacementForYou
	default:
		return req, nil, usageErrorf("recommend needs --product, --cart or a customer (see ritorno recommend --help)")
	}
	return req, cart, nil
}

// recommendAndPrint builds the shop's model, asks it and prints the answer with the
// build's time and size.
func recommendAndPrint(ctx context.Context, db *store.DB, shop ritorno.Shop, req recommend.Request, stdout io.Writer) error {
	svc := &recommend.Service{Store: db}
	svc.Warm(shop.ID)
	start := time.Now()
	svc.Refresh(ctx)
	built := time.Since(start)
	status := svc.Status(shop.ID)
	if !status.Ready {
		return fmt.Errorf("recommend: building the model failed: %s", status.Error)
	}
	res, err := svc.Recommend(ctx, shop.ID, req)
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := recommendView{Shop: shop.Domain, Placement: string(req.Placement), Items: []recommendItemView{}, Notes: res.Notes,
		BuildSeconds: built.Seconds(), Model: modelView(status.Stats), HeapMB: float64(ms.HeapAlloc) / (1 << 20)}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for _, it := range res.Items {
		out.Items = append(out.Items, recommendItemView{ProductID: it.ProductID, VariantID: it.VariantID, Title: it.Title,
			Handle: it.Handle, Price: viewMoney(it.Price), Kind: string(it.Kind), Source: it.Source, Score: it.Score,
			Reason: it.Reason, Evidence: evidenceView(it.Evidence)})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// resolveProduct finds the product an operator names: a platform id, handle or SKU in the
// catalog; a file's product code (a CSV import keys products by transactions.ID of it); or
// a platform id known from sales alone.
func resolveProduct(ctx context.Context, db *store.DB, shop ritorno.Shop, ref string) (int64, error) {
	p, err := db.ProductByReference(ctx, shop.ID, ref)
	if err == nil {
		return p.PlatformID, nil
	}
	if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		return 0, err
	}
	id := transactions.ID(strings.TrimSpace(ref))
	if id > 0 {
		if p, err := db.Product(ctx, shop.ID, id); err == nil {
			return p.PlatformID, nil
		}
		if sold, err := db.ProductSold(ctx, shop.ID, id); err != nil {
			return 0, err
		} else if sold {
			return id, nil
		}
	}
	return 0, ritorno.Errorf(ritorno.ENOTFOUND, "no product %q in shop %s (looked up by platform id, handle and SKU)", ref, shop.Domain)
}
