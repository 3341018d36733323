package store_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// tenantCase exercises one store method as shop B against shop A's data. It must fail the
// test if B can read or change anything of A.
type tenantCase func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop)

// tenantCases has an entry for every exported method of *store.DB that touches shop data,
// and TestTenantCasesCoverEveryMethod fails when a method is added without one. Methods
// that are not per-shop are listed in notShopScoped with the reason.
var tenantCases = map[string]tenantCase{
	"Shop": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		got, err := db.Shop(ctx, b.ID)
		if err != nil || got.ID != b.ID || got.Domain == a.Domain {
			t.Fatalf("Shop(b) = %+v, %v", got, err)
		}
	},
	"ShopByDomain": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		got, err := db.ShopByDomain(ctx, b.Platform, b.Domain)
		if err != nil || got.ID != b.ID {
			t.Fatalf("ShopByDomain(b) = %+v, %v", got, err)
		}
	},
	"ShopByConnectionKey": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.ShopByConnectionKey(ctx, "no-such-key"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("unknown key: %v", err)
		}
	},
	"Credentials": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		creds, err := db.Credentials(ctx, b.ID)
		if err != nil || creds.AccessToken != "shpat_"+b.Domain {
			t.Fatalf("Credentials(b) = %+v, %v; must be B's own", creds, err)
		}
	},
	"SetCredentials": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.SetCredentials(ctx, b.ID, ritorno.ShopCredentials{AccessToken: "b-token"}); err != nil {
			t.Fatal(err)
		}
		if creds, _ := db.Credentials(ctx, a.ID); creds.AccessToken != "shpat_"+a.Domain {
			t.Fatalf("B's SetCredentials changed A's token to %q", creds.AccessToken)
		}
	},
	"SetShopCurrency": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.SetShopCurrency(ctx, b.ID, "JPY"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Shop(ctx, a.ID); got.Currency == "JPY" {
			t.Fatal("B's SetShopCurrency changed A's currency")
		}
	},
	"DeleteShop": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.DeleteShop(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range storetest.ShopTables {
			if storetest.CountRows(t, db, table, a.ID) == 0 {
				t.Fatalf("deleting B removed A's %s", table)
			}
		}
	},
	"UpsertCustomer": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		c := sampleCustomer(42)
		c.FirstName = "Mallory"
		c.PlatformUpdatedAt = c.PlatformUpdatedAt.AddDate(1, 0, 0)
		if applied, err := db.UpsertCustomer(ctx, b.ID, c); err != nil || !applied {
			t.Fatalf("B's upsert of its own customer 42 = %v, %v", applied, err)
		}
		if got, _ := db.Customer(ctx, a.ID, 42); got.FirstName != "Ada" {
			t.Fatalf("B's upsert changed A's customer: %q", got.FirstName)
		}
	},
	"Customer": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.Customer(ctx, b.ID, 42); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's customer: %v", err)
		}
	},
	"ListCustomers": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, err := db.ListCustomers(ctx, b.ID, 0, 100); err != nil || len(list) != 0 {
			t.Fatalf("B lists %d customers of A, %v", len(list), err)
		}
	},
	"UpsertProduct": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		p := sampleProduct(7)
		p.Title, p.Variants = "Counterfeit", p.Variants[:1]
		p.PlatformUpdatedAt = p.PlatformUpdatedAt.AddDate(1, 0, 0)
		if _, err := db.UpsertProduct(ctx, b.ID, p); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Product(ctx, a.ID, 7); got.Title != "Coffee beans" || len(got.Variants) != 2 {
			t.Fatalf("B's upsert changed A's product: %q with %d variants", got.Title, len(got.Variants))
		}
	},
	"AddProductsIfAbsent": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		p := sampleProduct(7)
		p.Title = "Imported"
		if n, err := db.AddProductsIfAbsent(ctx, b.ID, []ritorno.Product{p}); err != nil || n != 1 {
			t.Fatalf("B has no product 7 of its own: added %d, %v", n, err)
		}
		if got, _ := db.Product(ctx, a.ID, 7); got.Title != "Coffee beans" {
			t.Fatalf("B's import changed A's product: %q", got.Title)
		}
	},
	"Product": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.Product(ctx, b.ID, 7); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's product: %v", err)
		}
	},
	"ProductByReference": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		for _, ref := range []string{"7", "coffee-beans", "B-250"} {
			if _, err := db.ProductByReference(ctx, b.ID, ref); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
				t.Fatalf("B finds A's product by %q: %v", ref, err)
			}
		}
	},
	"ProductSold": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		product := sampleOrder(1001, 42).LineItems[0].ProductPlatformID
		if sold, err := db.ProductSold(ctx, b.ID, product); err != nil || sold {
			t.Fatalf("B sees A's sales of product %d: %v, %v", product, sold, err)
		}
	},
	"ListProducts": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, err := db.ListProducts(ctx, b.ID, 0, 100); err != nil || len(list) != 0 {
			t.Fatalf("B lists %d products of A, %v", len(list), err)
		}
	},
	"UpsertOrder": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		o := sampleOrder(1001, 42)
		o.LineItems, o.Refunds, o.RefundedAmount = o.LineItems[:1], nil, usd("0")
		o.PlatformUpdatedAt = o.PlatformUpdatedAt.AddDate(1, 0, 0)
		if _, err := db.UpsertOrder(ctx, b.ID, o); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Order(ctx, a.ID, 1001)
		if len(got.LineItems) != 2 || len(got.Refunds) != 1 {
			t.Fatalf("B's upsert changed A's order: %d lines, %d refunds", len(got.LineItems), len(got.Refunds))
		}
	},
	"UpsertOrders": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		same := sampleOrder(1001, 42)
		same.Refunds, same.RefundedAmount = nil, usd("0")
		same.PlatformUpdatedAt = same.PlatformUpdatedAt.AddDate(1, 0, 0)
		// A guest with the address of A's customer 42: B must not hand the order to A's account.
		guest := sampleOrder(1002, 0)
		guest.Buyer = ritorno.BuyerFor(0, "ada@example.com")
		guest.Refunds, guest.RefundedAmount = nil, usd("0")
		if _, err := db.UpsertOrders(ctx, b.ID, []ritorno.Order{same, guest}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Order(ctx, a.ID, 1001)
		if len(got.Refunds) != 1 || !got.PlatformUpdatedAt.Equal(sampleOrder(1001, 42).PlatformUpdatedAt) {
			t.Fatalf("B's batch changed A's order: %+v", got)
		}
		if g, err := db.Order(ctx, b.ID, 1002); err != nil || g.Buyer.Kind != ritorno.BuyerGuest {
			t.Fatalf("B's guest order was adopted by another shop's customer: %+v, %v", g.Buyer, err)
		}
		if _, err := db.Order(ctx, a.ID, 1002); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B's batch wrote into A: %v", err)
		}
	},
	"Order": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.Order(ctx, b.ID, 1001); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's order: %v", err)
		}
	},
	"ListOrders": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		for _, f := range []store.OrderFilter{{}, {Buyer: ritorno.BuyerFor(42, "")}, {Buyer: ritorno.BuyerFor(0, "ada@example.com")}} {
			if list, err := db.ListOrders(ctx, b.ID, f); err != nil || len(list) != 0 {
				t.Fatalf("B lists %d orders of A with %+v, %v", len(list), f, err)
			}
		}
	},
	"AddRefund": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		r := ritorno.Refund{PlatformID: 9001, Amount: usd("70.00"), ProcessedAt: t0.AddDate(1, 0, 0)}
		if err := db.AddRefund(ctx, b.ID, 1001, r); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B refunds A's order: %v", err)
		}
	},
	"MarkOrderDeleted": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.MarkOrderDeleted(ctx, b.ID, 1001, t0.AddDate(1, 0, 0)); err != nil {
			t.Fatal(err) // a tombstone in B; A's order must stay
		}
	},
	"MarkProductDeleted": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.MarkProductDeleted(ctx, b.ID, 7, t0.AddDate(1, 0, 0)); err != nil {
			t.Fatal(err)
		}
	},
	"MarkCustomerDeleted": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.MarkCustomerDeleted(ctx, b.ID, 42, t0.AddDate(1, 0, 0)); err != nil {
			t.Fatal(err)
		}
	},
	"UninstallShop": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.UninstallShop(ctx, b.ID, t0); err != nil {
			t.Fatal(err)
		}
	},
	"RedactCustomer": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.RedactCustomer(ctx, b.ID, 42, "ada@example.com", []int64{1001}); err != nil {
			t.Fatal(err)
		}
	},
	"RedactShop": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.RedactShop(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	},
	"RecordDataRequest": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.RecordDataRequest(ctx, b.ID, ritorno.DataRequest{RequestID: 1, CustomerPlatformID: 42}); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.DataRequests(ctx, a.ID); len(list) != 1 || list[0].CustomerPlatformID != 42 || !list[0].ExportedAt.IsZero() {
			t.Fatalf("A's data requests after B recorded one: %+v", list)
		}
	},
	"DataRequests": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, err := db.DataRequests(ctx, b.ID); err != nil || len(list) != 0 {
			t.Fatalf("B lists A's data requests: %+v, %v", list, err)
		}
	},
	"UpsertCustomers": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		c := sampleCustomer(42)
		c.FirstName = "Mallory"
		c.PlatformUpdatedAt = c.PlatformUpdatedAt.AddDate(1, 0, 0)
		if w, err := db.UpsertCustomers(ctx, b.ID, []ritorno.Customer{c}); err != nil || w[0] != ritorno.WriteInserted {
			t.Fatalf("B's upsert of its own customer 42 = %v, %v; A's must not count as existing", w, err)
		}
	},
	"UpsertProducts": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		p := sampleProduct(7)
		p.Title = "Counterfeit"
		p.PlatformUpdatedAt = p.PlatformUpdatedAt.AddDate(1, 0, 0)
		if w, err := db.UpsertProducts(ctx, b.ID, []ritorno.Product{p}); err != nil || w[0] != ritorno.WriteInserted {
			t.Fatalf("B's upsert of its own product 7 = %v, %v", w, err)
		}
	},
	"ReinstallShop": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if got, err := db.ReinstallShop(ctx, b.ID, t0); err != nil || got.ID != b.ID {
			t.Fatalf("ReinstallShop(b) = %+v, %v", got, err)
		}
	},
	"StartBackfill": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if got, err := db.StartBackfill(ctx, b.ID); err != nil || got.ShopID != b.ID {
			t.Fatalf("StartBackfill(b) = %+v, %v", got, err)
		}
	},
	"Backfill": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.Backfill(ctx, b.ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's backfill: %v", err)
		}
	},
	"RenewBackfill": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.RenewBackfill(ctx, b.ID, "", t0); ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			t.Fatalf("B renews a lease it does not hold: %v", err)
		}
	},
	"SaveBackfill": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.SaveBackfill(ctx, "", ritorno.Backfill{ShopID: b.ID, Status: ritorno.BackfillDone, Done: 99}); ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			t.Fatalf("B saves a backfill it does not hold: %v", err)
		}
	},
	"ReleaseBackfill": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.ReleaseBackfill(ctx, "", ritorno.Backfill{ShopID: b.ID, Status: ritorno.BackfillFailed}); ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			t.Fatalf("B releases a backfill it does not hold: %v", err)
		}
	},
	"EachCountedOrder": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		n := 0
		if err := db.EachCountedOrder(ctx, b.ID, func(int64, int64, time.Time, int64, string) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("B streams %d of A's orders, %v", n, err)
		}
	},
	"ReplaceInsights": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		ins := ritorno.CustomerInsight{Key: 42, Orders: 9, NetSpent: usd("1.00"), AOV: usd("1.00"), Segment: "lost", FirstOrder: t0, LastOrder: t0, ComputedAt: t0}
		if err := db.ReplaceInsights(ctx, b.ID, ritorno.ShopInsight{ComputedAt: t0}, []ritorno.CustomerInsight{ins}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.CustomerInsight(ctx, a.ID, 42); got.Orders != 1 {
			t.Fatalf("B's insights replaced A's: %+v", got)
		}
	},
	"ShopInsight": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.ShopInsight(ctx, b.ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's shop insight: %v", err)
		}
	},
	"CustomerInsight": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if _, err := db.CustomerInsight(ctx, b.ID, 42); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B reads A's customer insight: %v", err)
		}
	},
	"ListCustomerInsights": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, total, err := db.ListCustomerInsights(ctx, b.ID, store.InsightFilter{}); err != nil || len(list) != 0 || total != 0 {
			t.Fatalf("B lists %d (%d) of A's customers, %v", len(list), total, err)
		}
	},
	"SegmentSummaries": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, err := db.SegmentSummaries(ctx, b.ID, "USD"); err != nil || len(list) != 0 {
			t.Fatalf("B sees A's segments: %+v, %v", list, err)
		}
	},
	"MarkDataRequestExported": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if err := db.MarkDataRequestExported(ctx, b.ID, 1); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B marks A's request: %v", err)
		}
	},
	"EachPurchase": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		n := 0
		if err := db.EachPurchase(ctx, b.ID, func(ritorno.Purchase) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("B streams %d of A's purchases, %v", n, err)
		}
	},
	"PurchasesChangedSince": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		changed, removed, next, err := db.PurchasesChangedSince(ctx, b.ID, time.Time{}, 0)
		if err != nil || len(changed) != 0 || len(removed) != 0 || !next.IsZero() {
			t.Fatalf("B sees A's orders change: %+v, %v, next %v, %v", changed, removed, next, err)
		}
	},
	"ProductsChangedSince": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if list, next, err := db.ProductsChangedSince(ctx, b.ID, time.Time{}, 0); err != nil || len(list) != 0 || !next.IsZero() {
			t.Fatalf("B sees %d of A's products change, next %v, %v", len(list), next, err)
		}
	},
	"RecommendControls": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		// A's controls are set by the fixture.
		if got, err := db.RecommendControls(ctx, b.ID); err != nil || !reflect.DeepEqual(got, ritorno.RecommendControls{}) {
			t.Fatalf("B reads A's recommendation controls: %+v, %v", got, err)
		}
	},
	"SetRecommendControls": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		// The snapshot proves that A's controls (set by the fixture) stay as they were.
		if err := db.SetRecommendControls(ctx, b.ID, ritorno.RecommendControls{Pins: map[int64][]int64{7: {1}}, MinEvidence: 9}); err != nil {
			t.Fatal(err)
		}
	},
	"OrderWindow": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		if w, err := db.OrderWindow(ctx, b.ID, time.Time{}); err != nil || w.Orders != 0 || !w.Latest.IsZero() {
			t.Fatalf("B's window counts A's orders: %+v, %v", w, err)
		}
	},
	"ChangedBuyers": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		buyers, w, err := db.ChangedBuyers(ctx, b.ID, time.Time{}, time.Time{})
		if err != nil || len(buyers) != 0 || w.Orders != 0 {
			t.Fatalf("B sees A's changed buyers: %v, %+v, %v", buyers, w, err)
		}
	},
	"EachCountedOrderOf": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		err := db.EachCountedOrderOf(ctx, b.ID, []ritorno.Buyer{ritorno.BuyerFor(42, "")}, func(key, order int64, at time.Time, net int64, _ string) error {
			t.Errorf("B reads A's order %d", order)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	},
	"UpdateInsights": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		ins := ritorno.CustomerInsight{Key: 42, Orders: 9, NetSpent: usd("9.00"), AOV: usd("1.00"), Segment: "lost", FirstOrder: t0, LastOrder: t0, ComputedAt: t0}
		u := ritorno.InsightUpdate{Basis: t0, At: t0, Upsert: []ritorno.CustomerInsight{ins}}
		if err := db.UpdateInsights(ctx, b.ID, u); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("B updates without a computation of its own: %v", err)
		}
		if err := db.ReplaceInsights(ctx, b.ID, ritorno.ShopInsight{ComputedAt: t0}, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateInsights(ctx, b.ID, u); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateInsights(ctx, b.ID, ritorno.InsightUpdate{Basis: t0, At: t0, Delete: []int64{42}}); err != nil {
			t.Fatal(err)
		}
	},
	"RecordStorefrontEvents": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		click := ritorno.StorefrontEvent{Type: ritorno.StorefrontClick, ProductID: 7, Kind: "cross_sell", Placement: "product", BuyerKey: 42, OccurredAt: t0.Add(-time.Hour)}
		if err := db.RecordStorefrontEvents(ctx, b.ID, []ritorno.StorefrontEvent{click, click}); err != nil {
			t.Fatal(err)
		}
		if n := storetest.CountRows(t, db, "storefront_events", a.ID); n != 0 {
			t.Fatalf("B's events were recorded for A: %d", n)
		}
		p, err := db.RecommendationPerformance(ctx, a.ID, t0.Add(-2*time.Hour), t0.Add(time.Hour))
		if err != nil || p.Clicks != 0 || p.InfluencedOrders != 0 {
			t.Fatalf("B's clicks count for A's order 1001: %+v, %v", p, err)
		}
	},
	"RecommendationPerformance": func(t *testing.T, ctx context.Context, db *store.DB, a, b ritorno.Shop) {
		click := ritorno.StorefrontEvent{Type: ritorno.StorefrontClick, ProductID: 7, Kind: "cross_sell", Placement: "product", BuyerKey: 42, OccurredAt: t0.Add(-time.Hour)}
		if err := db.RecordStorefrontEvents(ctx, a.ID, []ritorno.StorefrontEvent{click}); err != nil {
			t.Fatal(err)
		}
		if p, err := db.RecommendationPerformance(ctx, a.ID, t0.Add(-2*time.Hour), t0.Add(time.Hour)); err != nil || p.InfluencedOrders != 1 {
			t.Fatalf("A's own attribution: %+v, %v", p, err) // the case must see A's data to prove B does not
		}
		p, err := db.RecommendationPerformance(ctx, b.ID, t0.Add(-2*time.Hour), t0.Add(time.Hour))
		if err != nil || p.Clicks != 0 || p.InfluencedOrders != 0 || !p.InfluencedRevenue.IsZero() {
			t.Fatalf("B sees A's events or orders: %+v, %v", p, err)
		}
	},
}

// notShopScoped are exported methods that do not act on one shop's data, with why.
var notShopScoped = map[string]string{
	"CreateShop":      "creates a new tenant; covered by every case's setup",
	"ListShops":       "operator listing of all tenants (CLI only)",
	"Dialect":         "no data",
	"Migrate":         "schema, not data",
	"MigrationStatus": "schema, not data",
	"Ready":           "health check",
	"Close":           "connection pool",
	"InTransaction":   "a transaction boundary; the methods called inside it are scoped and covered here",
	// The webhook inbox is one queue for all shops: deliveries are recorded before their
	// shop is known, and workers and operators drain it by delivery id. No request reaches
	// these with a shop identity; the webhook handlers only record.
	"RecordDelivery":   "inbox: receipt precedes shop resolution",
	"RecordDeliveries": "inbox: group commit of receipts",
	"Delivery":         "inbox: by delivery id, operator/worker only",
	"ClaimDeliveries":  "inbox: workers drain one queue",
	"FinishDelivery":   "inbox: by delivery id, worker only",
	"FinishDone":       "inbox: by delivery ids, worker only",
	"ExtendClaims":     "inbox: by delivery ids, worker only (heartbeat of its own claims)",
	"ListDeliveries":   "inbox: operator listing (filterable by shop)",
	"ReplayDeliveries": "inbox: operator command",
	"DeliveryCounts":   "inbox: operator totals",
	"PurgeDeliveries":  "inbox: retention of every shop's settled deliveries, by age",
	"InsertCeiling":    "benchmark scratch table, no shop data",
	// Backfill workers lease due backfills of any installed shop; what they then write is
	// scoped (SaveBackfill and the upserts have cases above).
	"ClaimBackfill": "backfill queue: workers claim any shop's due backfill",
	// The insight scheduler looks over every installed shop for what is due.
	"ShopsNeedingInsights": "scheduler: lists due shops, reads no shop data",
}

func TestTenantCasesCoverEveryMethod(t *testing.T) {
	typ := reflect.TypeOf(&store.DB{})
	var missing []string
	for i := 0; i < typ.NumMethod(); i++ {
		name := typ.Method(i).Name
		if _, ok := tenantCases[name]; ok {
			continue
		}
		if _, ok := notShopScoped[name]; ok {
			continue
		}
		missing = append(missing, name)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("store methods without a tenant-isolation case: %v", missing)
	}
	for name := range tenantCases {
		if _, ok := typ.MethodByName(name); !ok {
			t.Errorf("tenant case for %s, which is not a method", name)
		}
	}
}

// TestTenantIsolation gives shop A a full history, then runs every store method as shop B
// and checks that A's data is unseen and unchanged.
func TestTenantIsolation(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		names := make([]string, 0, len(tenantCases))
		for name := range tenantCases {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				a := mustShop(t, db, "a-"+slug(name)+".myshopify.com")
				b := mustShop(t, db, "b-"+slug(name)+".myshopify.com")
				if _, err := db.UpsertCustomer(ctx, a.ID, sampleCustomer(42)); err != nil {
					t.Fatal(err)
				}
				if _, err := db.UpsertProduct(ctx, a.ID, sampleProduct(7)); err != nil {
					t.Fatal(err)
				}
				if _, err := db.UpsertOrder(ctx, a.ID, sampleOrder(1001, 42)); err != nil {
					t.Fatal(err)
				}
				if err := db.RecordDataRequest(ctx, a.ID, ritorno.DataRequest{RequestID: 1, CustomerPlatformID: 42}); err != nil {
					t.Fatal(err)
				}
				if _, err := db.StartBackfill(ctx, a.ID); err != nil {
					t.Fatal(err)
				}
				aIns := ritorno.CustomerInsight{Key: 42, Orders: 1, NetSpent: usd("1.00"), AOV: usd("1.00"), Segment: "new", FirstOrder: t0, LastOrder: t0, ComputedAt: t0}
				if err := db.ReplaceInsights(ctx, a.ID, ritorno.ShopInsight{ComputedAt: t0, Customers: 1}, []ritorno.CustomerInsight{aIns}); err != nil {
					t.Fatal(err)
				}
				if err := db.SetRecommendControls(ctx, a.ID, ritorno.RecommendControls{Pins: map[int64][]int64{7: {8}}, ExcludedVendors: []string{"acme"}}); err != nil {
					t.Fatal(err)
				}
				if err := db.RedactCustomer(ctx, a.ID, 0, "gone@example.com", nil); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, ctx, db, a)
				tenantCases[name](t, ctx, db, a, b)
				if after := snapshot(t, ctx, db, a); !reflect.DeepEqual(before, after) {
					t.Fatalf("shop A changed while B called %s", name)
				}
			})
		}
	})
}

type shopSnapshot struct {
	Shop      ritorno.Shop
	Creds     ritorno.ShopCredentials
	Customers []ritorno.Customer
	Products  []ritorno.Product
	Orders    []ritorno.Order
	Requests  []ritorno.DataRequest
	Backfill  ritorno.Backfill
	Insight   ritorno.ShopInsight
	Customer  ritorno.CustomerInsight
	Controls  ritorno.RecommendControls
}

func snapshot(t *testing.T, ctx context.Context, db *store.DB, shop ritorno.Shop) shopSnapshot {
	t.Helper()
	var s shopSnapshot
	var err error
	if s.Shop, err = db.Shop(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if s.Creds, err = db.Credentials(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if s.Customers, err = db.ListCustomers(ctx, shop.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if s.Products, err = db.ListProducts(ctx, shop.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if s.Orders, err = db.ListOrders(ctx, shop.ID, store.OrderFilter{}); err != nil {
		t.Fatal(err)
	}
	if s.Requests, err = db.DataRequests(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if s.Backfill, err = db.Backfill(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if s.Insight, err = db.ShopInsight(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if s.Customer, err = db.CustomerInsight(ctx, shop.ID, 42); err != nil && ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		t.Fatal(err) // RedactCustomer (as B) must not reach A's row: the snapshot compares it
	}
	if s.Controls, err = db.RecommendControls(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	return s
}

func slug(name string) string {
	out := make([]byte, 0, len(name))
	for _, r := range []byte(name) {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		out = append(out, r)
	}
	return string(out)
}
