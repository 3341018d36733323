package recommend_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func mustServiceShop(t *testing.T, db *store.DB, domain string) ritorno.Shop {
	t.Helper()
	shop, err := db.CreateShop(context.Background(), ritorno.Shop{Platform: ritorno.Shopify, Domain: domain,
		Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

func eur(minor int64) ritorno.Money { return ritorno.Money{Amount: minor, Currency: "EUR"} }

func catalogProduct(id, price int64, updated time.Time) ritorno.Product {
	return ritorno.Product{PlatformID: id, Title: fmt.Sprintf("Product %d", id), Handle: fmt.Sprintf("product-%d", id),
		Status: ritorno.ProductActive, PublishedAt: updated, PlatformUpdatedAt: updated,
		Variants: []ritorno.Variant{{PlatformID: id * 10, Position: 1, Price: eur(price)}}}
}

func basket(id, customer int64, at time.Time, products ...int64) ritorno.Order {
	o := ritorno.Order{PlatformID: id, Name: fmt.Sprint("#", id), Buyer: ritorno.BuyerFor(customer, ""), Currency: "EUR",
		TotalDiscounts: eur(0), TotalTax: eur(0), TotalShipping: eur(0), RefundedAmount: eur(0),
		FinancialStatus: ritorno.FinancialPaid, ProcessedAt: at, PlatformCreatedAt: at, PlatformUpdatedAt: at}
	var total int64
	for i, p := range products {
		o.LineItems = append(o.LineItems, ritorno.LineItem{PlatformID: id*100 + int64(i), ProductPlatformID: p,
			VariantPlatformID: p * 10, Title: fmt.Sprint("Product ", p), Quantity: 1, Price: eur(1000), TotalDiscount: eur(0)})
		total += 1000
	}
	o.Subtotal, o.Total = eur(total), eur(total)
	return o
}

func mustRecommend(t *testing.T, svc *recommend.Service, shopID, product int64) []int64 {
	t.Helper()
	res, err := svc.Recommend(context.Background(), shopID, recommend.Request{Placement: recommend.PlacementProduct, ProductID: product, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(res.Items))
	for i, it := range res.Items {
		ids[i] = it.ProductID
	}
	return ids
}

// TestServiceFollowsStorage runs the Service on real storage: a shop's model is built on
// the first round after it is asked for (the request before that gets an empty answer
// that says why), and each later round applies what changed in storage — a product gone
// to draft, new orders, the merchant's controls — without a rebuild. Another shop's data
// never enters the model.
func TestServiceFollowsStorage(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustServiceShop(t, db, "service.myshopify.com")
		other := mustServiceShop(t, db, "other-service.myshopify.com")
		start := time.Now().Add(-30 * 24 * time.Hour)
		for _, id := range []int64{1, 2, 3, 4} {
			if _, err := db.UpsertProduct(ctx, shop.ID, catalogProduct(id, 1000+id*100, start)); err != nil {
				t.Fatal(err)
			}
		}
		// Product 1 is bought with 2 by four customers, with 3 by three.
		orders := []ritorno.Order{
			basket(1, 11, start.Add(1*time.Hour), 1, 2), basket(2, 12, start.Add(2*time.Hour), 1, 2),
			basket(3, 13, start.Add(3*time.Hour), 1, 2, 3), basket(4, 14, start.Add(4*time.Hour), 1, 2, 3),
			basket(5, 15, start.Add(5*time.Hour), 1, 3),
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		// The other shop buys 1 with 4, often.
		var others []ritorno.Order
		for i := int64(0); i < 6; i++ {
			others = append(others, basket(100+i, 50+i, start, 1, 4))
		}
		if _, err := db.UpsertProduct(ctx, other.ID, catalogProduct(4, 500, start)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertOrders(ctx, other.ID, others); err != nil {
			t.Fatal(err)
		}

		svc := &recommend.Service{Store: db}
		res, err := svc.Recommend(ctx, shop.ID, recommend.Request{Placement: recommend.PlacementProduct, ProductID: 1})
		if err != nil || len(res.Items) != 0 || len(res.Notes) == 0 {
			t.Fatalf("before the first build: %+v, %v; want no items and a note", res, err)
		}
		svc.Refresh(ctx)
		if st := svc.Status(shop.ID); !st.Ready || st.Stats.Orders != 5 {
			t.Fatalf("status after the first round: %+v", st)
		}
		if got := mustRecommend(t, svc, shop.ID, 1); len(got) < 2 || got[0] != 2 || got[1] != 3 {
			t.Fatalf("for product 1: %v, want 2 then 3 first", got)
		}

		// Product 2 goes to draft: it disappears on the next round, with no rebuild.
		built := svc.Status(shop.ID).BuiltAt
		draft := catalogProduct(2, 1200, time.Now())
		draft.Status = ritorno.ProductDraft
		if _, err := db.UpsertProduct(ctx, shop.ID, draft); err != nil {
			t.Fatal(err)
		}
		svc.Refresh(ctx)
		if got := mustRecommend(t, svc, shop.ID, 1); len(got) == 0 || got[0] != 3 || contains(got, 2) {
			t.Fatalf("after product 2 went to draft: %v", got)
		}
		// New orders of 1 with 4 make 4 a cross-sell of 1.
		var more []ritorno.Order
		for i := int64(0); i < 5; i++ {
			more = append(more, basket(20+i, 30+i, time.Now().Add(-time.Hour), 1, 4))
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, more); err != nil {
			t.Fatal(err)
		}
		svc.Refresh(ctx)
		if got := mustRecommend(t, svc, shop.ID, 1); len(got) == 0 || got[0] != 4 {
			t.Fatalf("after five new orders of 1 with 4: %v, want 4 first", got)
		}
		if st := svc.Status(shop.ID); st.Stats.Orders != 10 || !st.BuiltAt.Equal(built) {
			t.Fatalf("status after the changes: %+v (built %v before)", st, built)
		}
		// Three of those orders are cancelled: 4 is left with too little evidence.
		for _, o := range more[:3] {
			o.CancelledAt, o.PlatformUpdatedAt = time.Now(), time.Now()
			if _, err := db.UpsertOrder(ctx, shop.ID, o); err != nil {
				t.Fatal(err)
			}
		}
		svc.Refresh(ctx)
		if got := mustRecommend(t, svc, shop.ID, 1); contains(got, 4) || svc.Status(shop.ID).Stats.Orders != 7 {
			t.Fatalf("after cancelling three orders of 1 with 4: %v, %+v", got, svc.Status(shop.ID).Stats)
		}
		// The merchant excludes product 4.
		if err := db.SetRecommendControls(ctx, shop.ID, ritorno.RecommendControls{ExcludedProducts: []int64{4}}); err != nil {
			t.Fatal(err)
		}
		svc.ControlsChanged(shop.ID)
		svc.Refresh(ctx)
		if got := mustRecommend(t, svc, shop.ID, 1); contains(got, 4) {
			t.Fatalf("after excluding 4: %v", got)
		}
		// An uninstalled shop's model is dropped.
		if err := db.UninstallShop(ctx, shop.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		svc.Refresh(ctx)
		if st := svc.Status(shop.ID); st.Ready {
			t.Fatalf("uninstalled shop still has a model: %+v", st)
		}
	})
}

func contains(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// countingStore counts what PurchasesChangedSince and ProductsChangedSince hand out.
type countingStore struct {
	*store.DB
	purchases, products int
}

func (c *countingStore) PurchasesChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) ([]ritorno.Purchase, []int64, time.Time, error) {
	ps, removed, next, err := c.DB.PurchasesChangedSince(ctx, shopID, since, limit)
	c.purchases += len(ps) + len(removed)
	return ps, removed, next, err
}

func (c *countingStore) ProductsChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) ([]ritorno.Product, time.Time, error) {
	ps, next, err := c.DB.ProductsChangedSince(ctx, shopID, since, limit)
	c.products += len(ps)
	return ps, next, err
}

// TestServiceWatermarkMovesOnWhenNothingChanges: each round re-reads a window before its
// watermark (late commits), so the watermark must move on with time when nothing changes —
// neither stay at the build (the rows stamped just before it would be re-read every round,
// forever) nor walk back by the window each round.
func TestServiceWatermarkMovesOnWhenNothingChanges(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustServiceShop(t, db, "quiet.myshopify.com")
		at := time.Now().Add(-time.Hour)
		if _, err := db.UpsertProduct(ctx, shop.ID, catalogProduct(1, 1000, at)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{basket(1, 11, at, 1)}); err != nil {
			t.Fatal(err)
		}
		// Built right after the writes: their stamps are inside the first rounds' window.
		cs := &countingStore{DB: db}
		svc := &recommend.Service{Store: cs, Overlap: time.Second}
		svc.Warm(shop.ID)
		svc.Refresh(ctx)
		deadline := time.Now().Add(10 * time.Second)
		for {
			cs.purchases, cs.products = 0, 0
			svc.Refresh(ctx)
			if cs.purchases == 0 && cs.products == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rounds still re-read %d orders and %d products 10 s after the build", cs.purchases, cs.products)
			}
			time.Sleep(100 * time.Millisecond) // pacing the poll; the window is 1 s
		}
		for range 30 {
			svc.Refresh(ctx)
		}
		if cs.purchases != 0 || cs.products != 0 {
			t.Fatalf("quiet rounds re-read %d orders and %d products", cs.purchases, cs.products)
		}
		// And a new order is still seen.
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{basket(2, 12, time.Now(), 1)}); err != nil {
			t.Fatal(err)
		}
		svc.Refresh(ctx)
		if st := svc.Status(shop.ID); st.Stats.Orders != 2 {
			t.Fatalf("after a new order the model has %d orders", st.Stats.Orders)
		}
	})
}

// A shop asked for, warmed or with new controls makes Due receive, so that serve's
// refresh task builds or reloads it at once rather than at its next period.
func TestServiceDueWhenAShopIsWanted(t *testing.T) {
	svc := &recommend.Service{}
	due := svc.Due()
	// In this order: a shop warmed, another asked for, then the first one's controls changed
	// (a map's random order made "warm" run after "controls" had already made shop 1 known).
	for _, c := range []struct {
		name string
		want func()
	}{
		{"warm", func() { svc.Warm(1) }},
		{"request", func() { svc.Recommend(context.Background(), 2, recommend.Request{}) }},
		{"controls", func() { svc.ControlsChanged(1) }},
	} {
		name := c.name
		c.want()
		select {
		case <-due:
		default:
			t.Errorf("%s: Due did not receive", name)
		}
	}
	select {
	case <-due:
		t.Error("Due received with nothing new")
	default:
	}
}
