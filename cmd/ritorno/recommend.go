package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/store"
)

const recommendUsage = `Usage: ritorno recommend --shop SHOP [--product ID] [--cart ID,ID…] [--customer ID | --email ADDRESS]
                         [--placement product|cart|thank_you|for_you] [--limit N]
       ritorno recommend eval --transactions FILE …   (ritorno recommend eval --help)

Builds the shop's recommendation model from its stored orders and catalog, as the server
does, and prints what a shopper would be shown as JSON: every item with its kind, source,
reason and the numbers behind it, the notes (e.g. too little evidence), how long the build
took and the model's size. The placement defaults to product with --product, cart with
--cart, and for_you with only a customer. --customer is the platform's customer id;
--email finds a guest buyer by address.
`

// recommendView is what ritorno recommend prints.
type recommendView struct {
	Shop         string              `json:"shop"`
	Placement    string              `json:"placement"`
	Items        []recommendItemView `json:"items"`
	Notes        []string            `json:"notes"`
	BuildSeconds float64             `json:"build_seconds"`
	Model        recommend.Stats     `json:"model"`
	HeapMB       float64             `json:"heap_mb"`
}

type recommendItemView struct {
	ProductID int64              `json:"product_id"`
	VariantID int64              `json:"variant_id"`
	Title     string             `json:"title"`
	Handle    string             `json:"handle,omitempty"`
	Price     moneyView          `json:"price"`
	Kind      string             `json:"kind"`
	Source    string             `json:"source"`
	Score     float64            `json:"score"`
	Reason    string             `json:"reason"`
	Evidence  recommend.Evidence `json:"evidence"`
}

func runRecommend(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("recommend")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	product := fs.Int64("product", 0, "the viewed product's platform id")
	cartArg := fs.String("cart", "", "product ids in the cart, comma-separated")
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
	req := recommend.Request{ProductID: *product, Limit: *limit, Now: time.Now()}
	if *cartArg != "" {
		for _, s := range strings.Split(*cartArg, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || id <= 0 {
				return usageErrorf("recommend: --cart: %q is not a product id", s)
			}
			req.Cart = append(req.Cart, id)
		}
	}
	switch {
	case *customer != 0 && *email != "":
		return usageErrorf("recommend: --customer or --email, not both")
	case *customer < 0:
		return usageErrorf("recommend: --customer must be a customer id")
	case *customer > 0:
		req.Customer = ritorno.BuyerKey(ritorno.BuyerFor(*customer, ""))
	case *email != "":
		req.Customer = ritorno.BuyerKey(ritorno.BuyerFor(0, *email))
	}
	switch p := *placement; {
	case p != "":
		req.Placement = recommend.Placement(p)
		if !slices.Contains([]string{"product", "cart", "thank_you", "for_you"}, p) {
			return usageErrorf("recommend: --placement %q is not one of product, cart, thank_you, for_you", p)
		}
	case req.ProductID != 0:
		req.Placement = recommend.PlacementProduct
	case len(req.Cart) > 0:
		req.Placement = recommend.PlacementCart
	case req.Customer != 0:
		req.Placement = recommend.PlacementForYou
	default:
		return usageErrorf("recommend needs --product, --cart or a customer (see ritorno recommend --help)")
	}

	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	shop, err := findShop(ctx, db, *shopArg)
	if err != nil {
		return err
	}
	svc := &recommend.Service{Store: db}
	svc.Warm(shop.ID)
	start := time.Now()
	svc.RunOnce(ctx)
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
		BuildSeconds: built.Seconds(), Model: status.Stats, HeapMB: float64(ms.HeapAlloc) / (1 << 20)}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for _, it := range res.Items {
		out.Items = append(out.Items, recommendItemView{ProductID: it.ProductID, VariantID: it.VariantID, Title: it.Title,
			Handle: it.Handle, Price: viewMoney(it.Price), Kind: string(it.Kind), Source: it.Source, Score: it.Score,
			Reason: it.Reason, Evidence: it.Evidence})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// adminRecommendations implements app.Recommendations: the engine's answers and status,
// the controls as stored.
type adminRecommendations struct {
	db  *store.DB
	svc *recommend.Service
}

var _ app.Recommendations = adminRecommendations{}

func (r adminRecommendations) Recommend(ctx context.Context, shopID int64, req recommend.Request) (recommend.Response, error) {
	return r.svc.Recommend(ctx, shopID, req)
}

func (r adminRecommendations) Status(shopID int64) recommend.Status { return r.svc.Status(shopID) }

func (r adminRecommendations) Controls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error) {
	return r.db.RecommendControls(ctx, shopID)
}

// SetControls stores the controls and has the engine apply them on its next round (other
// servers notice them by their new UpdatedAt).
func (r adminRecommendations) SetControls(ctx context.Context, shopID int64, c ritorno.RecommendControls) error {
	if err := r.db.SetRecommendControls(ctx, shopID, c); err != nil {
		return err
	}
	r.svc.ControlsChanged(shopID)
	return nil
}

func (r adminRecommendations) Performance(ctx context.Context, shopID int64, from, to time.Time) (ritorno.RecommendationPerformance, error) {
	return r.db.RecommendationPerformance(ctx, shopID, from, to)
}
