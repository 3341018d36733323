package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func sfEvent(typ ritorno.StorefrontEventType, product, buyer int64, at time.Time) ritorno.StorefrontEvent {
	return ritorno.StorefrontEvent{Type: typ, ProductID: product, VariantID: product*10 + 1, Kind: "cross_sell",
		Placement: "product", BuyerKey: buyer, OccurredAt: at}
}

func mustRecordEvents(t *testing.T, db *store.DB, shopID int64, events ...ritorno.StorefrontEvent) {
	t.Helper()
	if err := db.RecordStorefrontEvents(context.Background(), shopID, events); err != nil {
		t.Fatalf("record events: %v", err)
	}
}

func TestRecommendationPerformanceCounts(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "counts.myshopify.com")
		upsell := sfEvent(ritorno.StorefrontClick, 8, 0, t0)
		upsell.Kind = "up_sell"
		mustRecordEvents(t, db, shop.ID,
			sfEvent(ritorno.StorefrontImpression, 7, 0, t0), sfEvent(ritorno.StorefrontImpression, 7, 42, t0.Add(time.Minute)),
			sfEvent(ritorno.StorefrontImpression, 8, 0, t0), sfEvent(ritorno.StorefrontImpression, 8, 0, t0),
			sfEvent(ritorno.StorefrontClick, 7, 42, t0), upsell,
			sfEvent(ritorno.StorefrontAddToCart, 7, 0, t0),
			sfEvent(ritorno.StorefrontImpression, 7, 0, t0.Add(-2*time.Hour)), // before the period
			sfEvent(ritorno.StorefrontImpression, 7, 0, t0.Add(time.Hour)),    // at its end: excluded
		)
		got, err := db.RecommendationPerformance(ctx, shop.ID, t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []ritorno.KindPerformance{{Kind: "cross_sell", Impressions: 4, Clicks: 1, AddToCarts: 1}, {Kind: "up_sell", Clicks: 1}}
		if got.Impressions != 4 || got.Clicks != 2 || got.AddToCarts != 1 || !reflect.DeepEqual(got.ByKind, want) {
			t.Fatalf("performance = %+v", got)
		}
		if got.CTR() != 0.5 || got.InfluencedOrders != 0 || got.InfluencedRevenue != usd("0") {
			t.Fatalf("ctr %v, influenced %d %v", got.CTR(), got.InfluencedOrders, got.InfluencedRevenue)
		}
		if _, err := db.RecommendationPerformance(ctx, shop.ID, t0, t0); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("empty period: %v", err)
		}
		if _, err := db.RecommendationPerformance(ctx, shop.ID+1000, t0, t0.Add(time.Hour)); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("unknown shop: %v", err)
		}
	})
}

func TestRecordStorefrontEventsRefusesInvalidBatch(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db, "invalid.myshopify.com")
		bad := sfEvent("hover", 7, 0, t0)
		err := db.RecordStorefrontEvents(context.Background(), shop.ID, []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 0, t0), bad})
		if ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Fatalf("bad type: %v", err)
		}
		if n := storetest.CountRows(t, db, "storefront_events", shop.ID); n != 0 {
			t.Fatalf("%d events stored from a refused batch", n)
		}
	})
}

// TestRecommendationAttribution checks the attribution rule on order 1001 (product 7,
// customer 42, placed at t0, net 58.88) against one set of events per case.
func TestRecommendationAttribution(t *testing.T) {
	cancelled := sampleOrder(1001, 42)
	cancelled.CancelledAt = t0.Add(time.Hour)
	guest := sampleOrder(1001, 0)
	guest.Buyer = ritorno.BuyerFor(0, "guest@example.com")
	for _, tc := range []struct {
		name   string
		order  ritorno.Order
		events []ritorno.StorefrontEvent
		want   bool
	}{
		{"same buyer click 3 days before", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-72*time.Hour))}, true},
		{"same buyer add to cart 6 days before", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontAddToCart, 7, 42, t0.Add(-6*24*time.Hour))}, true},
		{"same buyer click 8 days before", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-8*24*time.Hour))}, false},
		{"another buyer's click", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 43, t0.Add(-time.Hour))}, false},
		{"anonymous click 2 hours before", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 0, t0.Add(-2*time.Hour))}, true},
		{"anonymous click 30 hours before", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 0, t0.Add(-30*time.Hour))}, false},
		{"click after the order", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(time.Minute))}, false},
		{"impression only", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontImpression, 7, 42, t0.Add(-time.Hour))}, false},
		{"click on another product", sampleOrder(1001, 42), []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 8, 42, t0.Add(-time.Hour))}, false},
		{"guest order, anonymous click", guest, []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 0, t0.Add(-time.Hour))}, true},
		{"guest order, logged-in click", guest, []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-time.Hour))}, false},
		{"cancelled order", cancelled, []ritorno.StorefrontEvent{sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-time.Hour))}, false},
		{"stale other buyer, fresh same buyer", sampleOrder(1001, 42), []ritorno.StorefrontEvent{
			sfEvent(ritorno.StorefrontClick, 7, 43, t0.Add(-time.Hour)), sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-9*24*time.Hour)),
			sfEvent(ritorno.StorefrontClick, 7, 42, t0.Add(-5*24*time.Hour))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Dialects(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				shop := mustShop(t, db, "attr.myshopify.com")
				if _, err := db.UpsertOrder(ctx, shop.ID, tc.order); err != nil {
					t.Fatal(err)
				}
				mustRecordEvents(t, db, shop.ID, tc.events...)
				got, err := db.RecommendationPerformance(ctx, shop.ID, t0.Add(-time.Hour), t0.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				wantOrders, wantRevenue := int64(0), usd("0")
				if tc.want {
					wantOrders, wantRevenue = 1, usd("58.88")
				}
				if got.InfluencedOrders != wantOrders || got.InfluencedRevenue != wantRevenue {
					t.Fatalf("influenced %d orders, %v; want %d, %v", got.InfluencedOrders, got.InfluencedRevenue, wantOrders, wantRevenue)
				}
			})
		})
	}
}

// TestAttributionSweepsManyOrders checks the streaming sweep on many orders and clicks:
// every other order has a click by its buyer an hour before it; the rest have none.
func TestAttributionSweepsManyOrders(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "sweep.myshopify.com")
		var orders []ritorno.Order
		var events []ritorno.StorefrontEvent
		const n = 300
		for i := range int64(n) {
			o := sampleOrder(2000+i, 100+i)
			o.Refunds, o.RefundedAmount, o.Total = nil, usd("0"), usd("10.00")
			o.ProcessedAt = t0.Add(time.Duration(i) * time.Hour)
			o.PlatformCreatedAt = o.ProcessedAt
			orders = append(orders, o)
			if i%2 == 0 {
				events = append(events, sfEvent(ritorno.StorefrontClick, 7, 100+i, o.ProcessedAt.Add(-time.Hour)))
			}
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		mustRecordEvents(t, db, shop.ID, events...)
		got, err := db.RecommendationPerformance(ctx, shop.ID, t0, t0.Add(n*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.InfluencedOrders != n/2 || got.InfluencedRevenue != usd(fmt.Sprint(10*n/2)) {
			t.Fatalf("influenced %d, %v", got.InfluencedOrders, got.InfluencedRevenue)
		}
	})
}

// TestAttributionKeepsOtherCurrenciesApart: an influenced order in another currency than
// the shop's is neither added to nor relabelled as the shop's revenue, and does not fail
// the report: it is counted apart, in its own currency.
func TestAttributionKeepsOtherCurrenciesApart(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "attribution-currencies.myshopify.com") // USD
		gbp := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "GBP") }
		var orders []ritorno.Order
		var events []ritorno.StorefrontEvent
		for i := range int64(3) {
			o := sampleOrder(3000+i, 300+i)
			o.Refunds, o.RefundedAmount, o.Total = nil, usd("0"), usd("10.00")
			if i > 0 {
				o.Currency, o.RefundedAmount, o.Total = "GBP", gbp("0"), gbp("20.00")
				for _, m := range []*ritorno.Money{&o.Subtotal, &o.TotalDiscounts, &o.TotalTax, &o.TotalShipping} {
					m.Currency = "GBP"
				}
				o.LineItems = slices.Clone(o.LineItems)
				for k := range o.LineItems {
					o.LineItems[k].Price.Currency, o.LineItems[k].TotalDiscount.Currency = "GBP", "GBP"
				}
			}
			o.ProcessedAt = t0.Add(time.Duration(i) * time.Hour)
			o.PlatformCreatedAt = o.ProcessedAt
			orders = append(orders, o)
			events = append(events, sfEvent(ritorno.StorefrontClick, 7, 300+i, o.ProcessedAt.Add(-time.Minute)))
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		mustRecordEvents(t, db, shop.ID, events...)
		got, err := db.RecommendationPerformance(ctx, shop.ID, t0, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := ritorno.CurrencyTotal{Orders: 2, Net: gbp("40.00")}
		if got.InfluencedOrders != 1 || got.InfluencedRevenue != usd("10.00") || len(got.OtherCurrencies) != 1 || got.OtherCurrencies[0] != want {
			t.Fatalf("influenced %d, %v, other %+v; want 1, 10.00 USD, %+v", got.InfluencedOrders, got.InfluencedRevenue, got.OtherCurrencies, want)
		}
	})
}

func TestDeleteShopRemovesStorefrontEvents(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		a := mustShop(t, db, "gone.myshopify.com")
		b := mustShop(t, db, "kept.myshopify.com")
		for _, s := range []ritorno.Shop{a, b} {
			mustRecordEvents(t, db, s.ID, sfEvent(ritorno.StorefrontClick, 7, 0, t0))
		}
		if err := db.DeleteShop(context.Background(), a.ID); err != nil {
			t.Fatal(err)
		}
		if n := storetest.CountRows(t, db, "storefront_events", a.ID); n != 0 {
			t.Fatalf("%d events of the deleted shop remain", n)
		}
		if n := storetest.CountRows(t, db, "storefront_events", b.ID); n != 1 {
			t.Fatalf("the other shop has %d events, want 1", n)
		}
	})
}

// TestStorefrontEventsCountOncePerToken: a token replayed 600 times counts one click, each
// type of a token counts once, and attribution follows the deduplicated events: replays of
// an old click do not make a later order influenced (issue 13, defect 12).
func TestStorefrontEventsCountOncePerToken(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "replay.myshopify.com")
		other := mustShop(t, db, "other.myshopify.com")
		if _, err := db.UpsertOrder(ctx, shop.ID, sampleOrder(1001, 42)); err != nil { // product 7, buyer 42, at t0
			t.Fatal(err)
		}
		withToken := func(e ritorno.StorefrontEvent, token string) ritorno.StorefrontEvent {
			e.Token = token
			return e
		}
		// The first click is 8 days before the order, out of the attribution window; its
		// 599 replays come up to an hour before the order.
		first := t0.Add(-8 * 24 * time.Hour)
		for i := range 600 {
			at := first.Add(time.Duration(i) * (8*24*time.Hour - time.Hour) / 599)
			mustRecordEvents(t, db, shop.ID, withToken(sfEvent(ritorno.StorefrontClick, 7, 42, at), "tok-A"))
		}
		// Two types on one token, each sent twice in one batch: one of each.
		mustRecordEvents(t, db, shop.ID,
			withToken(sfEvent(ritorno.StorefrontImpression, 8, 0, t0.Add(-time.Hour)), "tok-B"),
			withToken(sfEvent(ritorno.StorefrontClick, 8, 0, t0.Add(-time.Hour)), "tok-B"),
			withToken(sfEvent(ritorno.StorefrontImpression, 8, 0, t0.Add(-time.Hour)), "tok-B"),
			withToken(sfEvent(ritorno.StorefrontClick, 8, 0, t0.Add(-time.Hour)), "tok-B"))
		// The same token in another shop is that shop's own.
		mustRecordEvents(t, db, other.ID, withToken(sfEvent(ritorno.StorefrontClick, 7, 42, t0), "tok-A"))

		if n := storetest.CountRows(t, db, "storefront_events", shop.ID); n != 3 {
			t.Fatalf("%d events stored, want 3 (one click of tok-A, one impression and one click of tok-B)", n)
		}
		if n := storetest.CountRows(t, db, "storefront_events", other.ID); n != 1 {
			t.Fatalf("other shop has %d events, want 1", n)
		}
		got, err := db.RecommendationPerformance(ctx, shop.ID, first, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.Clicks != 2 || got.Impressions != 1 || got.InfluencedOrders != 0 {
			t.Fatalf("clicks %d, impressions %d, influenced %d; want 2, 1, 0", got.Clicks, got.Impressions, got.InfluencedOrders)
		}
	})
}
