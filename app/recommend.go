package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/web"
)

// The admin recommendations API: a preview of what shoppers would see (with every reason
// and its numbers), the model's status, and the merchant's controls (pins, exclusions,
// fallback order, up-sell band, evidence threshold).

// Recommendations is what the admin API needs of the recommendation engine and storage.
// Every method is scoped to shopID.
type Recommendations interface {
	Recommend(ctx context.Context, shopID int64, req recommend.Request) (recommend.Response, error)
	Status(shopID int64) recommend.Status
	Controls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error)
	// SetControls validates and stores the controls (EINVALID with a clear message) and
	// makes the engine apply them.
	SetControls(ctx context.Context, shopID int64, c ritorno.RecommendControls) error
	// Performance counts the storefront's events and the orders they influenced in [from, to).
	Performance(ctx context.Context, shopID int64, from, to time.Time) (ritorno.RecommendationPerformance, error)
}

func (a *App) needRecommendations(c *gin.Context) {
	if a.cfg.Recommendations == nil {
		web.Error(c, ritorno.Errorf(ritorno.EUNAVAILABLE, "recommendations are not configured on this server"))
	}
}

// recommendationItemResponse is one recommended product as the admin sees it.
type recommendationItemResponse struct {
	ProductID string           `json:"product_id"`
	VariantID string           `json:"variant_id"`
	Title     string           `json:"title"`
	Handle    string           `json:"handle"`
	ImageURL  string           `json:"image_url,omitempty"`
	Price     moneyResponse    `json:"price"`
	Kind      string           `json:"kind"`
	Source    string           `json:"source"`
	Score     float64          `json:"score"`
	Reason    string           `json:"reason"`
	Evidence  evidenceResponse `json:"evidence"`
}

// evidenceResponse is recommend.Evidence, the numbers behind an item's reason; a number
// that does not apply to the item's kind is left out.
type evidenceResponse struct {
	Buyers       int     `json:"buyers"`
	Orders       int     `json:"orders,omitempty"`
	Lift         float64 `json:"lift,omitempty"`
	PriceRatio   float64 `json:"price_ratio,omitempty"`
	IntervalDays float64 `json:"interval_days,omitempty"`
	DaysSince    float64 `json:"days_since,omitempty"`
	Anchor       int64   `json:"anchor,omitempty"`
}

// evidenceToResponse converts field for field: the DTO has exactly the engine's fields, so
// a field added there fails to compile here until the admin decides how to show it.
func evidenceToResponse(e recommend.Evidence) evidenceResponse { return evidenceResponse(e) }

type recommendationsResponse struct {
	Placement string                       `json:"placement"`
	Items     []recommendationItemResponse `json:"items"`
	Notes     []string                     `json:"notes"`
}

var placements = map[string]recommend.Placement{
	"product":   recommend.PlacementProduct,
	"cart":      recommend.PlacementCart,
	"thank_you": recommend.PlacementThankYou,
	"for_you":   recommend.PlacementForYou,
}

// recommendationQuery reads ?placement=&product_id=&cart=&customer=&limit=.
func recommendationQuery(c *gin.Context, now time.Time) (recommend.Request, error) {
	name := c.DefaultQuery("placement", "product")
	p, ok := placements[name]
	if !ok {
		return recommend.Request{}, ritorno.Errorf(ritorno.EINVALID, "placement %q is not one of product, cart, thank_you, for_you", name)
	}
	req := recommend.Request{Placement: p, Now: now}
	var err error
	if s := c.Query("product_id"); s != "" {
		if req.ProductID, err = positiveID("product_id", s); err != nil {
			return req, err
		}
	}
	if s := c.Query("cart"); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) > 100 {
			return req, ritorno.Errorf(ritorno.EINVALID, "cart lists more than 100 products")
		}
		for _, part := range parts {
			id, err := positiveID("cart", strings.TrimSpace(part))
			if err != nil {
				return req, err
			}
			req.Cart = append(req.Cart, id)
		}
	}
	if s := c.Query("customer"); s != "" {
		// A buyer key as the customers API lists it: a customer id, or a guest's negative key.
		if req.Customer, err = strconv.ParseInt(s, 10, 64); err != nil || req.Customer == 0 {
			return req, ritorno.Errorf(ritorno.EINVALID, "customer %q is not a buyer key (see /api/admin/customers)", s)
		}
	}
	if req.Limit, err = intParam(c, "limit", recommend.DefaultLimit, 1, recommend.MaxLimit); err != nil {
		return req, err
	}
	switch {
	case p == recommend.PlacementProduct && req.ProductID == 0:
		return req, ritorno.Errorf(ritorno.EINVALID, "placement product needs product_id")
	case (p == recommend.PlacementCart || p == recommend.PlacementThankYou) && len(req.Cart) == 0:
		return req, ritorno.Errorf(ritorno.EINVALID, "placement %s needs cart (product ids, comma-separated)", name)
	case p == recommend.PlacementForYou && req.Customer == 0:
		return req, ritorno.Errorf(ritorno.EINVALID, "placement for_you needs customer")
	}
	return req, nil
}

func positiveID(name, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ritorno.Errorf(ritorno.EINVALID, "%s %q is not a product id", name, s)
	}
	return id, nil
}

// getRecommendations answers GET /api/admin/recommendations: the preview.
func (a *App) getRecommendations(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	req, err := recommendationQuery(c, a.cfg.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	res, err := a.cfg.Recommendations.Recommend(c.Request.Context(), shop.ID, req)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := recommendationsResponse{Placement: string(req.Placement), Items: make([]recommendationItemResponse, len(res.Items)), Notes: res.Notes}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for i, it := range res.Items {
		out.Items[i] = recommendationItemResponse{ProductID: strconv.FormatInt(it.ProductID, 10), VariantID: strconv.FormatInt(it.VariantID, 10),
			Title: it.Title, Handle: it.Handle, ImageURL: it.ImageURL, Price: moneyToResponse(it.Price), Kind: string(it.Kind),
			Source: it.Source, Score: roundScore(it.Score), Reason: it.Reason, Evidence: evidenceToResponse(it.Evidence)}
	}
	c.JSON(http.StatusOK, out)
}

// roundScore keeps scores readable and golden files stable across platforms' float printing.
func roundScore(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 6, 64), 64)
	return v
}

// getRecommendationStatus answers GET /api/admin/recommendations/status.
func (a *App) getRecommendationStatus(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, statusToResponse(a.cfg.Recommendations.Status(shop.ID)))
}

// statusResponse is recommend.Status: whether the shop's model is built, when, its size,
// and why its last build failed.
type statusResponse struct {
	Ready   bool               `json:"ready"`
	BuiltAt time.Time          `json:"built_at,omitzero"`
	Stats   modelStatsResponse `json:"stats"`
	Error   string             `json:"error,omitempty"`
}

type modelStatsResponse struct {
	ShopID   int64 `json:"shop_id"`
	Products int   `json:"products"`
	Catalog  int   `json:"catalog"`
	Orders   int   `json:"orders"`
	Buyers   int   `json:"buyers"`
	Pairs    int   `json:"pairs"`
	Bytes    int64 `json:"approx_bytes"`
}

// statusToResponse converts as evidenceToResponse does.
func statusToResponse(s recommend.Status) statusResponse {
	return statusResponse{Ready: s.Ready, BuiltAt: s.BuiltAt, Error: s.Error, Stats: modelStatsResponse(s.Stats)}
}

// controlsDocument is the controls as the admin reads and writes them; ids are strings, as
// everywhere in the admin API (JavaScript numbers lose 64-bit ids).
type controlsDocument struct {
	Pins             map[string][]string `json:"pins"`
	ExcludedProducts []string            `json:"excluded_products"`
	ExcludedTags     []string            `json:"excluded_tags"`
	ExcludedVendors  []string            `json:"excluded_vendors"`
	FallbackChain    []string            `json:"fallback_chain"`
	UpsellMinPercent int                 `json:"upsell_min_percent"`
	UpsellMaxPercent int                 `json:"upsell_max_percent"`
	MinEvidence      int                 `json:"min_evidence"`
	UpdatedAt        *time.Time          `json:"updated_at,omitempty"`
}

func controlsToDocument(rc ritorno.RecommendControls) controlsDocument {
	d := controlsDocument{Pins: map[string][]string{}, ExcludedProducts: ids(rc.ExcludedProducts),
		ExcludedTags: nonNil(rc.ExcludedTags), ExcludedVendors: nonNil(rc.ExcludedVendors),
		FallbackChain: nonNil(rc.FallbackChain), UpsellMinPercent: rc.UpsellMinPercent,
		UpsellMaxPercent: rc.UpsellMaxPercent, MinEvidence: rc.MinEvidence}
	for p, pins := range rc.Pins {
		d.Pins[strconv.FormatInt(p, 10)] = ids(pins)
	}
	if !rc.UpdatedAt.IsZero() {
		t := rc.UpdatedAt.UTC()
		d.UpdatedAt = &t
	}
	return d
}

func ids(vs []int64) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.FormatInt(v, 10)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func documentToControls(d controlsDocument) (ritorno.RecommendControls, error) {
	rc := ritorno.RecommendControls{ExcludedTags: d.ExcludedTags, ExcludedVendors: d.ExcludedVendors,
		FallbackChain: d.FallbackChain, UpsellMinPercent: d.UpsellMinPercent, UpsellMaxPercent: d.UpsellMaxPercent,
		MinEvidence: d.MinEvidence}
	var err error
	if rc.ExcludedProducts, err = parseIDs("excluded_products", d.ExcludedProducts); err != nil {
		return rc, err
	}
	if len(d.Pins) > 0 {
		rc.Pins = make(map[int64][]int64, len(d.Pins))
	}
	for k, vs := range d.Pins {
		p, err := positiveID("pins", k)
		if err != nil {
			return rc, err
		}
		if rc.Pins[p], err = parseIDs("pins of "+k, vs); err != nil {
			return rc, err
		}
	}
	return rc, nil
}

func parseIDs(what string, vs []string) ([]int64, error) {
	out := make([]int64, 0, len(vs))
	for _, v := range vs {
		id, err := positiveID(what, v)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// getRecommendationControls answers GET /api/admin/recommendations/controls.
func (a *App) getRecommendationControls(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	rc, err := a.cfg.Recommendations.Controls(c.Request.Context(), shop.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, controlsToDocument(rc))
}

// putRecommendationControls answers PUT /api/admin/recommendations/controls: the whole
// document replaces the shop's controls.
func (a *App) putRecommendationControls(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	var d controlsDocument
	if err := decodeControls(c, &d); err != nil {
		web.Error(c, err)
		return
	}
	rc, err := documentToControls(d)
	if err == nil {
		err = a.cfg.Recommendations.SetControls(c.Request.Context(), shop.ID, rc)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	a.getRecommendationControls(c)
}

// maxControlsBody bounds a controls document: thousands of pins fit in it.
const maxControlsBody = 1 << 20

// decodeControls reads a controls document strictly: an unknown field is a mistake the
// merchant should hear about, not a setting silently ignored.
func decodeControls(c *gin.Context, d *controlsDocument) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxControlsBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return ritorno.Errorf(ritorno.ETOOLARGE, "the controls document is larger than %d bytes", maxControlsBody)
		}
		return ritorno.Errorf(ritorno.EINVALID, "the controls document is not valid JSON of the expected shape: %v", err)
	}
	return nil
}

// performanceResponse is what recommendations did in a period.
type performanceResponse struct {
	From              time.Time             `json:"from"`
	To                time.Time             `json:"to"`
	Impressions       int64                 `json:"impressions"`
	Clicks            int64                 `json:"clicks"`
	AddToCarts        int64                 `json:"add_to_carts"`
	ClickThroughRate  float64               `json:"click_through_rate"`
	ByKind            []kindPerformanceJSON `json:"by_kind"`
	InfluencedOrders  int64                 `json:"influenced_orders"`
	InfluencedRevenue moneyResponse         `json:"influenced_revenue"`
	// OtherCurrencies: influenced orders in another currency than the shop's, left out
	// of the two figures above (as in kpisResponse).
	OtherCurrencies []otherCurrencyResponse `json:"other_currencies,omitempty"`
	Attribution     string                  `json:"attribution"`
}

type kindPerformanceJSON struct {
	Kind        string `json:"kind"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
	AddToCarts  int64  `json:"add_to_carts"`
}

// performanceDays is the default period of the performance report, ending now.
const performanceDays = 30

// getRecommendationPerformance answers GET /api/admin/recommendations/performance?from=&to=
// (days in the shop's time zone, to exclusive; default the last 30 days).
func (a *App) getRecommendationPerformance(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	loc := shop.Location()
	now := a.cfg.Now().In(loc)
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -performanceDays)
	fromArg, toArg := c.Query("from"), c.Query("to")
	if fromArg != "" || toArg != "" {
		var err1, err2 error
		from, err1 = time.ParseInLocation("2006-01-02", fromArg, loc)
		to, err2 = time.ParseInLocation("2006-01-02", toArg, loc)
		if err1 != nil || err2 != nil || !from.Before(to) {
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "from and to must both be days (YYYY-MM-DD), from before to"))
			return
		}
	}
	p, err := a.cfg.Recommendations.Performance(c.Request.Context(), shop.ID, from, to)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := performanceResponse{From: from, To: to, Impressions: p.Impressions, Clicks: p.Clicks, AddToCarts: p.AddToCarts,
		ClickThroughRate: roundScore(p.CTR()), ByKind: []kindPerformanceJSON{}, InfluencedOrders: p.InfluencedOrders,
		InfluencedRevenue: moneyToResponse(p.InfluencedRevenue), OtherCurrencies: otherCurrenciesToResponse(p.OtherCurrencies),
		Attribution: fmt.Sprintf("an order counts when one of its products was clicked or added to the cart from a recommendation "+
			"in the %d days before it by the same customer, or anonymously in the %d hours before it",
			int(ritorno.AttributionWindow.Hours()/24), int(ritorno.AnonymousAttributionWindow.Hours()))}
	for _, k := range p.ByKind {
		out.ByKind = append(out.ByKind, kindPerformanceJSON{Kind: k.Kind, Impressions: k.Impressions, Clicks: k.Clicks, AddToCarts: k.AddToCarts})
	}
	c.JSON(http.StatusOK, out)
}
