package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// storeRecommendations is cmd's adapter of the engine and storage (cmd cannot be imported).
type storeRecommendations struct {
	db  *store.DB
	svc *recommend.Service
}

func (r storeRecommendations) Recommend(ctx context.Context, shopID int64, req recommend.Request) (recommend.Response, error) {
	return r.svc.Recommend(ctx, shopID, req)
}
func (r storeRecommendations) Status(shopID int64) recommend.Status { return r.svc.Status(shopID) }
func (r storeRecommendations) Controls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error) {
	return r.db.RecommendControls(ctx, shopID)
}
func (r storeRecommendations) SetControls(ctx context.Context, shopID int64, c ritorno.RecommendControls) error {
	if err := r.db.SetRecommendControls(ctx, shopID, c); err != nil {
		return err
	}
	r.svc.ControlsChanged(shopID)
	return nil
}

type recommendFixture struct {
	*harness
	svc   *recommend.Service
	alpha ritorno.Shop
}

// mustRecommendFixture installs alpha with four products and orders in which product 1
// is bought with 2 by four customers and with 3 by three, and builds its model.
func mustRecommendFixture(t *testing.T, db *store.DB) recommendFixture {
	t.Helper()
	svc := &recommend.Service{Store: db, Now: func() time.Time { return start }}
	h := mustHarness(t, db, func(cfg *app.Config) { cfg.Recommendations = storeRecommendations{db: db, svc: svc} })
	f := recommendFixture{harness: h, svc: svc, alpha: h.mustInstall("alpha.myshopify.com")}
	ctx := t.Context()
	day := start.AddDate(0, 0, -10)
	for id := int64(1); id <= 4; id++ {
		p := ritorno.Product{PlatformID: id, Title: fmt.Sprintf("Mug %d", id), Handle: fmt.Sprintf("mug-%d", id),
			ProductType: "mugs", Status: ritorno.ProductActive, PublishedAt: day, PlatformUpdatedAt: day,
			Variants: []ritorno.Variant{{PlatformID: id * 10, Position: 1, Price: eur(fmt.Sprintf("%d.50", 10+id))}}}
		if _, err := db.UpsertProduct(ctx, f.alpha.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	baskets := [][]int64{{1, 2}, {1, 2}, {1, 2, 3}, {1, 2, 3}, {1, 3}}
	var orders []ritorno.Order
	for i, b := range baskets {
		o := order(int64(500+i), ritorno.BuyerFor(int64(900+i), ""), day.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), "10.00")
		o.LineItems = nil
		for j, p := range b {
			o.LineItems = append(o.LineItems, ritorno.LineItem{PlatformID: int64(i*10 + j + 1), ProductPlatformID: p, VariantPlatformID: p * 10,
				Quantity: 1, Price: eur("10.00"), TotalDiscount: eur("0")})
		}
		o.Subtotal, o.Total = eur(fmt.Sprintf("%d.00", 10*len(b))), eur(fmt.Sprintf("%d.00", 10*len(b)))
		orders = append(orders, o)
	}
	if _, err := db.UpsertOrders(ctx, f.alpha.ID, orders); err != nil {
		t.Fatal(err)
	}
	h.mustInstall("beta.myshopify.com")
	f.svc.Warm(f.alpha.ID)
	f.svc.Refresh(ctx)
	return f
}

func (f recommendFixture) as(shop, method, target, body string) (int, string) {
	f.t.Helper()
	w := f.do(method, target, body, "Authorization", "Bearer "+f.token(shop), "Content-Type", "application/json")
	return w.Code, w.Body.String()
}

func TestRecommendationsGolden(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustRecommendFixture(t, db)
		for _, c := range []struct{ name, target, golden string }{
			{"a product page", "/api/admin/recommendations?placement=product&product_id=1&limit=3", "recommendations_product.json"},
			{"a cart", "/api/admin/recommendations?placement=cart&cart=2,3", "recommendations_cart.json"},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.as("alpha.myshopify.com", http.MethodGet, c.target, "")
				if status != http.StatusOK {
					t.Fatalf("answered %d: %s", status, body)
				}
				mustGolden(t, c.golden, []byte(body))
			})
		}
		status, body := f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations/status", "")
		if status != http.StatusOK || !strings.Contains(body, `"ready":true`) || !strings.Contains(body, `"orders":5`) {
			t.Fatalf("status answered %d: %s", status, body)
		}
		mustGolden(t, "recommendations_status.json", []byte(body))
	})
}

// TestRecommendationControls: the merchant reads the defaults, saves pins and exclusions,
// and sees them applied at once; a bad document is refused whole with a clear message; a
// shop never sees or changes another's controls.
func TestRecommendationControls(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustRecommendFixture(t, db)
		status, body := f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations/controls", "")
		if status != http.StatusOK || !strings.Contains(body, `"pins":{}`) || strings.Contains(body, "updated_at") {
			t.Fatalf("defaults answered %d: %s", status, body)
		}
		doc := `{"pins":{"1":["4"]},"excluded_products":["2"],"excluded_tags":["Sale"],"excluded_vendors":[],"fallback_chain":[],"upsell_min_percent":0,"upsell_max_percent":0,"min_evidence":0}`
		status, body = f.as("alpha.myshopify.com", http.MethodPut, "/api/admin/recommendations/controls", doc)
		if status != http.StatusOK || !strings.Contains(body, `"pins":{"1":["4"]}`) || !strings.Contains(body, `"updated_at"`) {
			t.Fatalf("saving answered %d: %s", status, body)
		}
		f.svc.Refresh(t.Context())
		status, body = f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations?product_id=1", "")
		if status != http.StatusOK || !strings.Contains(body, `"product_id":"4","variant_id":"40"`) || strings.Contains(body, `"product_id":"2"`) {
			t.Fatalf("with the pin and the exclusion: %d %s", status, body)
		}
		if !strings.Contains(body, `"source":"pinned"`) {
			t.Fatalf("the pinned product does not say so: %s", body)
		}

		for _, c := range []struct{ name, doc, want string }{
			{"unknown field", `{"pins":{},"colour":"red"}`, "colour"},
			{"not JSON", `{`, "not valid JSON"},
			{"a product pinned to itself", `{"pins":{"1":["1"]}}`, "itself"},
			{"an id that is not a number", `{"excluded_products":["x"]}`, "not a product id"},
			{"an unknown source", `{"fallback_chain":["magic"]}`, "magic"},
			// Issue 13, defect 5: numbers beyond the 32-bit columns and text PostgreSQL
			// refuses are bad input, not a 500.
			{"min_evidence beyond int4", `{"min_evidence":2147483648}`, "minimum evidence must be from 0"},
			{"min_evidence far beyond", `{"min_evidence":9223372036854775807}`, "minimum evidence must be from 0"},
			{"min_evidence over the bound", `{"min_evidence":1000001}`, "minimum evidence must be from 0"},
			{"upsell_min_percent beyond int4", `{"upsell_min_percent":2147483648}`, "up-sell minimum percent must be from 0"},
			{"upsell_max_percent beyond int4", `{"upsell_max_percent":4294967296}`, "up-sell maximum percent must be from 0"},
			{"negative min_evidence", `{"min_evidence":-1}`, "minimum evidence must be from 0"},
			{"min_evidence beyond int64", `{"min_evidence":9223372036854775808}`, "not valid JSON"},
			{"a tag with NUL", `{"excluded_tags":["sale\u0000"]}`, "excluded tag is not UTF-8 text"},
			{"a vendor with a control character", `{"excluded_vendors":["a\u001bb"]}`, "excluded vendor is not UTF-8 text"},
		} {
			t.Run(c.name, func(t *testing.T) {
				w := f.do(http.MethodPut, "/api/admin/recommendations/controls", c.doc, "Authorization", "Bearer "+f.token("alpha.myshopify.com"))
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
				if !strings.Contains(w.Body.String(), c.want) {
					t.Fatalf("message %s does not mention %q", w.Body, c.want)
				}
			})
		}
		if _, body := f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations/controls", ""); !strings.Contains(body, `"excluded_products":["2"]`) {
			t.Fatalf("a refused document changed the controls: %s", body)
		}
		// Beta sees only its own (default) controls, and its save leaves alpha's alone.
		if _, body := f.as("beta.myshopify.com", http.MethodGet, "/api/admin/recommendations/controls", ""); strings.Contains(body, `"2"`) {
			t.Fatalf("beta reads alpha's controls: %s", body)
		}
		if status, _ := f.as("beta.myshopify.com", http.MethodPut, "/api/admin/recommendations/controls", `{"excluded_products":["9"]}`); status != http.StatusOK {
			t.Fatalf("beta's save answered %d", status)
		}
		if _, body := f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations/controls", ""); strings.Contains(body, `"9"`) || !strings.Contains(body, `"2"`) {
			t.Fatalf("beta's save changed alpha's controls: %s", body)
		}
	})
}

func TestRecommendationsBadRequests(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustRecommendFixture(t, db)
		for _, c := range []struct{ name, query string }{
			{"unknown placement", "placement=footer&product_id=1"},
			{"product placement without a product", "placement=product"},
			{"a product id that is not a number", "product_id=abc"},
			{"a cart placement without a cart", "placement=cart"},
			{"a bad cart id", "placement=cart&cart=1,,2"},
			{"for_you without a customer", "placement=for_you"},
			{"a limit too large", "product_id=1&limit=500"},
		} {
			t.Run(c.name, func(t *testing.T) {
				w := f.get("/api/admin/recommendations?"+c.query, "Authorization", "Bearer "+f.token("alpha.myshopify.com"))
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
			})
		}
		w := f.get("/api/admin/recommendations?product_id=1")
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("without a session token: %d", w.Code)
		}
	})
}

func TestRecommendationsNotConfigured(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		h.mustInstall("alpha.myshopify.com")
		w := h.get("/api/admin/recommendations?product_id=1", "Authorization", "Bearer "+h.token("alpha.myshopify.com"))
		wantError(t, w, http.StatusServiceUnavailable, ritorno.EUNAVAILABLE)
	})
}

func (r storeRecommendations) Performance(ctx context.Context, shopID int64, from, to time.Time) (ritorno.RecommendationPerformance, error) {
	return r.db.RecommendationPerformance(ctx, shopID, from, to)
}

// TestRecommendationPerformance: events recorded for the shop show in its report with the
// orders they influenced; another shop's report is empty; bad periods are refused.
func TestRecommendationPerformance(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustRecommendFixture(t, db)
		ctx := t.Context()
		clickAt := start.Add(-2 * time.Hour)
		events := []ritorno.StorefrontEvent{
			{Type: ritorno.StorefrontImpression, ProductID: 2, VariantID: 20, Kind: "cross_sell", Placement: "product", BuyerKey: 77, OccurredAt: clickAt},
			{Type: ritorno.StorefrontImpression, ProductID: 3, VariantID: 30, Kind: "up_sell", Placement: "product", BuyerKey: 77, OccurredAt: clickAt},
			{Type: ritorno.StorefrontClick, ProductID: 2, VariantID: 20, Kind: "cross_sell", Placement: "product", BuyerKey: 77, OccurredAt: clickAt},
		}
		if err := db.RecordStorefrontEvents(ctx, f.alpha.ID, events); err != nil {
			t.Fatal(err)
		}
		// Customer 77 buys product 2 an hour after clicking it.
		o := order(900, ritorno.BuyerFor(77, ""), start.Add(-time.Hour).Format(time.RFC3339), "12.50")
		o.LineItems = []ritorno.LineItem{{PlatformID: 9001, ProductPlatformID: 2, VariantPlatformID: 20, Quantity: 1, Price: eur("12.50"), TotalDiscount: eur("0")}}
		if _, err := db.UpsertOrders(ctx, f.alpha.ID, []ritorno.Order{o}); err != nil {
			t.Fatal(err)
		}
		status, body := f.as("alpha.myshopify.com", http.MethodGet, "/api/admin/recommendations/performance", "")
		var p struct {
			Impressions, Clicks int64
			InfluencedOrders    int64                             `json:"influenced_orders"`
			CTR                 float64                           `json:"click_through_rate"`
			Revenue             struct{ Amount, Currency string } `json:"influenced_revenue"`
			ByKind              []struct{ Kind string }           `json:"by_kind"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("answered %d: %s", status, body)
		}
		if p.Impressions != 2 || p.Clicks != 1 || p.CTR != 0.5 || p.InfluencedOrders != 1 || p.Revenue.Amount != "12.50" || p.Revenue.Currency != "EUR" || len(p.ByKind) != 2 {
			t.Fatalf("performance %+v from %s", p, body)
		}
		if _, body := f.as("beta.myshopify.com", http.MethodGet, "/api/admin/recommendations/performance", ""); !strings.Contains(body, `"impressions":0`) {
			t.Fatalf("beta sees alpha's events: %s", body)
		}
		for _, q := range []string{"?from=2026-03-01", "?from=2026-03-05&to=2026-03-01", "?from=yesterday&to=today"} {
			w := f.get("/api/admin/recommendations/performance"+q, "Authorization", "Bearer "+f.token("alpha.myshopify.com"))
			wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
		}
	})
}
