package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// line is a line item of a test order: id, product, variant, quantity, unit price.
func line(id, product, variant, qty int64, price string) ritorno.LineItem {
	return ritorno.LineItem{PlatformID: id, ProductPlatformID: product, VariantPlatformID: variant, Quantity: qty,
		Price: usd(price), TotalDiscount: usd("0")}
}

// purchaseOrder is a counted order of buyer with lines and no refund.
func purchaseOrder(id int64, buyer ritorno.Buyer, lines ...ritorno.LineItem) ritorno.Order {
	return ritorno.Order{PlatformID: id, Name: "#" + strconv.FormatInt(id, 10), Buyer: buyer, Currency: "USD",
		Subtotal: usd("0"), TotalDiscounts: usd("0"), TotalTax: usd("0"), TotalShipping: usd("0"), Total: usd("10.00"),
		RefundedAmount: usd("0"), FinancialStatus: ritorno.FinancialPaid, PlatformCreatedAt: t0, ProcessedAt: t0.Add(time.Minute),
		PlatformUpdatedAt: t0.Add(time.Hour), LineItems: lines, RefundsComplete: true}
}

// refund takes back quantities of lines: line id, quantity, line id, quantity…
func refund(id int64, lineQty ...int64) ritorno.Refund {
	r := ritorno.Refund{PlatformID: id, CreatedAt: t0.Add(2 * time.Hour), ProcessedAt: t0.Add(2 * time.Hour), Amount: usd("1.00")}
	for i := 0; i+1 < len(lineQty); i += 2 {
		r.LineItems = append(r.LineItems, ritorno.RefundLineItem{LineItemPlatformID: lineQty[i], Quantity: lineQty[i+1], Subtotal: usd("1.00")})
	}
	return r
}

func withRefunds(o ritorno.Order, refunds ...ritorno.Refund) ritorno.Order {
	o.Refunds = refunds
	o.RefundedAmount = usd(fmt.Sprintf("%d.00", len(refunds)))
	return o
}

func mustUpsertOrders(t testing.TB, db *store.DB, shopID int64, orders ...ritorno.Order) {
	t.Helper()
	for part := range slices.Chunk(orders, 1000) {
		if _, err := db.UpsertOrders(context.Background(), shopID, part); err != nil {
			t.Fatal(err)
		}
	}
}

func mustPurchases(t *testing.T, db *store.DB, shopID int64) []ritorno.Purchase {
	t.Helper()
	var out []ritorno.Purchase
	if err := db.EachPurchase(context.Background(), shopID, func(p ritorno.Purchase) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutUpdatedAt checks that every purchase has its row time and clears it, for
// comparisons with expectations built from the orders.
func withoutUpdatedAt(t *testing.T, ps []ritorno.Purchase) []ritorno.Purchase {
	t.Helper()
	out := slices.Clone(ps)
	for i := range out {
		if out[i].UpdatedAt.IsZero() {
			t.Fatalf("purchase %d has no UpdatedAt", out[i].OrderID)
		}
		out[i].UpdatedAt = time.Time{}
	}
	return out
}

// expectedPurchase is the rule of EachPurchase written over a domain order.
func expectedPurchase(o ritorno.Order) (ritorno.Purchase, bool) {
	if !o.Counts() || o.PlacedAt().IsZero() {
		return ritorno.Purchase{}, false
	}
	refunded := map[int64]int64{}
	for _, r := range o.Refunds {
		for _, rl := range r.LineItems {
			refunded[rl.LineItemPlatformID] += rl.Quantity
		}
	}
	lines := slices.Clone(o.LineItems)
	slices.SortFunc(lines, func(a, b ritorno.LineItem) int { return int(a.PlatformID - b.PlatformID) })
	p := ritorno.Purchase{OrderID: o.PlatformID, Buyer: ritorno.BuyerKey(o.Buyer), At: o.PlacedAt().UTC().Truncate(time.Microsecond)}
	for _, li := range lines {
		if li.ProductPlatformID == 0 || li.GiftCard || li.Quantity-refunded[li.PlatformID] <= 0 {
			continue
		}
		p.Items = append(p.Items, ritorno.PurchasedItem{ProductID: li.ProductPlatformID, VariantID: li.VariantPlatformID,
			Quantity: li.Quantity - refunded[li.PlatformID], UnitPrice: li.Price})
	}
	return p, len(p.Items) > 0
}

func TestEachPurchase(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "purchases.myshopify.com")
		other := mustShop(t, db, "other.myshopify.com")
		ada, guest := ritorno.BuyerFor(42, "ada@example.com"), ritorno.BuyerFor(0, "guest@example.com")
		start := time.Now().Add(-time.Second) // the rows' write times come after it

		cancelled := purchaseOrder(1003, ada, line(1, 7, 71, 1, "5.00"))
		cancelled.CancelledAt = t0.Add(time.Hour)
		test := purchaseOrder(1004, ada, line(1, 7, 71, 1, "5.00"))
		test.Test = true
		voided := purchaseOrder(1005, ada, line(1, 7, 71, 1, "5.00"))
		voided.FinancialStatus = ritorno.FinancialVoided
		deleted := purchaseOrder(1006, ada, line(1, 7, 71, 1, "5.00"))
		created := purchaseOrder(1008, ada, line(1, 9, 91, 1, "3.00"))
		created.ProcessedAt = time.Time{}
		never := purchaseOrder(1009, ada, line(1, 9, 91, 1, "3.00"))
		never.ProcessedAt, never.PlatformCreatedAt = time.Time{}, time.Time{}
		giftCard := line(3, 8, 81, 1, "25.00")
		giftCard.GiftCard = true
		mustUpsertOrders(t, db, shop.ID,
			// Line 1: 3 bought, 1 + 1 refunded in two refunds → 1; line 2 untouched.
			withRefunds(purchaseOrder(1001, ada, line(1, 7, 71, 3, "12.50"), line(2, 7, 72, 1, "39.90")), refund(9001, 1, 1), refund(9002, 1, 1)),
			// Everything left out: a line refunded in full, a gift card, a custom item.
			withRefunds(purchaseOrder(1002, ada, line(1, 7, 71, 2, "12.50"), giftCard, line(4, 0, 0, 1, "9.00")), refund(9003, 1, 2)),
			cancelled, test, voided, deleted,
			purchaseOrder(1007, guest, line(1, 9, 91, 2, "3.00")),
			created, never,
		)
		if err := db.MarkOrderDeleted(ctx, shop.ID, 1006, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		mustUpsertOrders(t, db, other.ID, purchaseOrder(1010, ada, line(1, 7, 71, 1, "5.00")))

		want := []ritorno.Purchase{
			{OrderID: 1001, Buyer: 42, At: t0.Add(time.Minute), Items: []ritorno.PurchasedItem{
				{ProductID: 7, VariantID: 71, Quantity: 1, UnitPrice: usd("12.50")},
				{ProductID: 7, VariantID: 72, Quantity: 1, UnitPrice: usd("39.90")}}},
			{OrderID: 1007, Buyer: ritorno.BuyerKey(guest), At: t0.Add(time.Minute), Items: []ritorno.PurchasedItem{
				{ProductID: 9, VariantID: 91, Quantity: 2, UnitPrice: usd("3.00")}}},
			{OrderID: 1008, Buyer: 42, At: t0, Items: []ritorno.PurchasedItem{{ProductID: 9, VariantID: 91, Quantity: 1, UnitPrice: usd("3.00")}}},
		}
		got := mustPurchases(t, db, shop.ID)
		if g := withoutUpdatedAt(t, got); !reflect.DeepEqual(g, want) {
			t.Fatalf("EachPurchase =\n%+v\nwant\n%+v", g, want)
		}
		if at := got[0].UpdatedAt; at.Before(start) || at.After(time.Now()) {
			t.Fatalf("UpdatedAt %v is not the row's write time (after %v)", at, start)
		}

		t.Run("stops at fn's error", func(t *testing.T) {
			stop := fmt.Errorf("enough")
			n := 0
			err := db.EachPurchase(ctx, shop.ID, func(ritorno.Purchase) error { n++; return stop })
			if err != stop || n != 1 {
				t.Fatalf("EachPurchase = %v after %d calls, want fn's error after 1", err, n)
			}
		})
		t.Run("refuses a transaction", func(t *testing.T) {
			err := db.InTransaction(ctx, func(tx *store.DB) error {
				return tx.EachPurchase(ctx, shop.ID, func(ritorno.Purchase) error { return nil })
			})
			if err == nil {
				t.Fatal("EachPurchase ran inside InTransaction")
			}
		})
	})
}

// randomOrders makes orders of every kind EachPurchase tells apart, reproducibly.
func randomOrders(seed uint64, n int, firstID int64) []ritorno.Order {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]ritorno.Order, 0, n)
	for i := range n {
		id := firstID + int64(i)
		var lines []ritorno.LineItem
		for l := range r.IntN(5) {
			li := line(int64(l+1), int64(1+r.IntN(20)), int64(100+r.IntN(50)), int64(1+r.IntN(3)), fmt.Sprintf("%d.%02d", 1+r.IntN(50), r.IntN(100)))
			switch r.IntN(10) {
			case 0:
				li.ProductPlatformID, li.VariantPlatformID = 0, 0
			case 1:
				li.GiftCard = true
			}
			lines = append(lines, li)
		}
		o := purchaseOrder(id, ritorno.BuyerFor(int64(r.IntN(30)), fmt.Sprintf("g%d@example.com", r.IntN(10))), lines...)
		switch r.IntN(12) {
		case 0:
			o.Test = true
		case 1:
			o.CancelledAt = t0
		case 2:
			o.FinancialStatus = ritorno.FinancialVoided
		case 3:
			o.DeletedAt = t0
		case 4:
			o.ProcessedAt = time.Time{}
		case 5:
			o.ProcessedAt, o.PlatformCreatedAt = time.Time{}, time.Time{}
		}
		if len(lines) > 0 && r.IntN(3) == 0 {
			var refunds []ritorno.Refund
			for k := range 1 + r.IntN(2) {
				li := lines[r.IntN(len(lines))]
				refunds = append(refunds, refund(id*10+int64(k), li.PlatformID, 1+r.Int64N(li.Quantity)))
			}
			o = withRefunds(o, refunds...)
		}
		out = append(out, o)
	}
	return out
}

// TestPurchasesMatchTheRule checks EachPurchase and a full paging of PurchasesChangedSince
// against the rule written over the domain orders, on orders of every kind.
func TestPurchasesMatchTheRule(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "rule.myshopify.com")
		orders := randomOrders(6, 400, 5000)
		// Three batches: groups of rows sharing one updated_at.
		mustUpsertOrders(t, db, shop.ID, orders[:150]...)
		mustUpsertOrders(t, db, shop.ID, orders[150:170]...)
		mustUpsertOrders(t, db, shop.ID, orders[170:]...)
		var want []ritorno.Purchase
		var wantRemoved []int64
		for _, o := range orders {
			if p, ok := expectedPurchase(o); ok {
				want = append(want, p)
			} else {
				wantRemoved = append(wantRemoved, o.PlatformID)
			}
		}
		if len(want) < 100 || len(wantRemoved) < 50 {
			t.Fatalf("generator gave %d purchases and %d others; both kinds must be well represented", len(want), len(wantRemoved))
		}
		all := mustPurchases(t, db, shop.ID)
		if got := withoutUpdatedAt(t, all); !reflect.DeepEqual(got, want) {
			t.Fatalf("EachPurchase differs from the rule:\n got %+v\nwant %+v", got, want)
		}

		for _, limit := range []int{1, 7, 150, 1000} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				changed, removed := map[int64]ritorno.Purchase{}, map[int64]bool{}
				since := time.Time{}
				for range 1000 {
					ch, rm, next, err := db.PurchasesChangedSince(ctx, shop.ID, since, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(ch)+len(rm) == 0 {
						if !next.Equal(since) {
							t.Fatalf("an empty page moved the watermark from %v to %v", since, next)
						}
						break
					}
					if !next.After(since) {
						t.Fatalf("a page of %d did not move the watermark past %v", len(ch)+len(rm), since)
					}
					for _, p := range ch {
						if _, dup := changed[p.OrderID]; dup || p.UpdatedAt.Before(since) || !p.UpdatedAt.Before(next) {
							t.Fatalf("order %d (updated %v) repeated or outside [%v, %v)", p.OrderID, p.UpdatedAt, since, next)
						}
						changed[p.OrderID] = p
					}
					for _, id := range rm {
						if removed[id] {
							t.Fatalf("order %d removed twice", id)
						}
						removed[id] = true
					}
					since = next
				}
				if len(changed) != len(all) || len(removed) != len(wantRemoved) {
					t.Fatalf("paging gave %d purchases and %d removals, want %d and %d", len(changed), len(removed), len(all), len(wantRemoved))
				}
				for _, p := range all {
					if !reflect.DeepEqual(changed[p.OrderID], p) {
						t.Fatalf("order %d: paging gave %+v, EachPurchase %+v", p.OrderID, changed[p.OrderID], p)
					}
				}
				for _, id := range wantRemoved {
					if !removed[id] {
						t.Fatalf("order %d not reported removed", id)
					}
				}
			})
		}
	})
}

// TestPurchasesWatermarkEqualTimes pins the page boundaries of the watermark rule on
// groups of orders written in one batch (so sharing one updated_at): 5, then 3, then 1.
func TestPurchasesWatermarkEqualTimes(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "groups.myshopify.com")
		batch := func(ids ...int64) {
			var orders []ritorno.Order
			for _, id := range ids {
				orders = append(orders, purchaseOrder(id, ritorno.BuyerFor(42, ""), line(1, 7, 71, 1, "1.00")))
			}
			mustUpsertOrders(t, db, shop.ID, orders...)
		}
		batch(15, 11, 14, 12, 13) // platform ids break the tie within a group
		batch(23, 21, 22)
		batch(31)
		all := mustPurchases(t, db, shop.ID)
		at := map[int64]time.Time{}
		for _, p := range all {
			at[p.OrderID] = p.UpdatedAt
		}
		t1, t2, t3 := at[11], at[21], at[31]
		if !t1.Before(t2) || !t2.Before(t3) || !at[15].Equal(t1) || !at[23].Equal(t2) {
			t.Fatalf("batches did not get one time each: %v", at)
		}
		us := time.Microsecond
		for _, tc := range []struct {
			name  string
			limit int
			pages [][]int64 // order ids per page
			nexts []time.Time
		}{
			{"a group longer than the limit comes whole", 3, [][]int64{{11, 12, 13, 14, 15}, {21, 22, 23}, {31}}, []time.Time{t1.Add(us), t3, t3.Add(us)}},
			{"a limit inside a group stops before it", 6, [][]int64{{11, 12, 13, 14, 15}, {21, 22, 23, 31}}, []time.Time{t2, t3.Add(us)}},
			{"one page", 1000, [][]int64{{11, 12, 13, 14, 15, 21, 22, 23, 31}}, []time.Time{t3.Add(us)}},
			{"limit one", 1, [][]int64{{11, 12, 13, 14, 15}, {21, 22, 23}, {31}}, []time.Time{t1.Add(us), t2.Add(us), t3.Add(us)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				since := t0.AddDate(-1, 0, 0)
				for i, wantIDs := range tc.pages {
					ch, rm, next, err := db.PurchasesChangedSince(ctx, shop.ID, since, tc.limit)
					if err != nil || len(rm) != 0 {
						t.Fatalf("page %d: removed %v, %v", i, rm, err)
					}
					var ids []int64
					for _, p := range ch {
						ids = append(ids, p.OrderID)
					}
					if !slices.Equal(ids, wantIDs) || !next.Equal(tc.nexts[i]) {
						t.Fatalf("page %d = %v, next %v; want %v, next %v", i, ids, next, wantIDs, tc.nexts[i])
					}
					since = next
				}
				ch, rm, next, err := db.PurchasesChangedSince(ctx, shop.ID, since, tc.limit)
				if err != nil || len(ch)+len(rm) != 0 || !next.Equal(since) {
					t.Fatalf("after the last page: %d, %d, next %v, %v", len(ch), len(rm), next, err)
				}
			})
		}
	})
}

// TestChangesRaiseUpdatedAt checks that every write that changes what an order teaches
// makes it come back from PurchasesChangedSince, as a changed purchase or a removal.
func TestChangesRaiseUpdatedAt(t *testing.T) {
	guest := ritorno.BuyerFor(0, "later@example.com")
	for _, tc := range []struct {
		name        string
		change      func(ctx context.Context, db *store.DB, shopID int64) error
		wantChanged *ritorno.Purchase // nil: the order comes back removed
	}{
		{"partial refund", func(ctx context.Context, db *store.DB, shopID int64) error {
			return db.AddRefund(ctx, shopID, 1001, refund(9100, 1, 1))
		}, &ritorno.Purchase{OrderID: 1001, Buyer: ritorno.BuyerKey(guest), At: t0.Add(time.Minute), Items: []ritorno.PurchasedItem{
			{ProductID: 7, VariantID: 71, Quantity: 1, UnitPrice: usd("5.00")}, {ProductID: 8, VariantID: 81, Quantity: 1, UnitPrice: usd("7.00")}}}},
		{"refund of every line", func(ctx context.Context, db *store.DB, shopID int64) error {
			return db.AddRefund(ctx, shopID, 1001, refund(9100, 1, 2, 2, 1))
		}, nil},
		{"cancellation", func(ctx context.Context, db *store.DB, shopID int64) error {
			o := laterOrder(guest)
			o.CancelledAt, o.PlatformUpdatedAt = t0.Add(5*time.Hour), t0.Add(5*time.Hour)
			_, err := db.UpsertOrder(ctx, shopID, o)
			return err
		}, nil},
		{"deletion", func(ctx context.Context, db *store.DB, shopID int64) error {
			return db.MarkOrderDeleted(ctx, shopID, 1001, t0.Add(5*time.Hour))
		}, nil},
		{"redaction of the buyer", func(ctx context.Context, db *store.DB, shopID int64) error {
			return db.RedactCustomer(ctx, shopID, 0, "later@example.com", nil)
		}, &ritorno.Purchase{OrderID: 1001, Buyer: 0, At: t0.Add(time.Minute), Items: []ritorno.PurchasedItem{
			{ProductID: 7, VariantID: 71, Quantity: 2, UnitPrice: usd("5.00")}, {ProductID: 8, VariantID: 81, Quantity: 1, UnitPrice: usd("7.00")}}}},
		{"the guest opens an account", func(ctx context.Context, db *store.DB, shopID int64) error {
			c := sampleCustomer(77)
			c.Email = "later@example.com"
			_, err := db.UpsertCustomer(ctx, shopID, c)
			return err
		}, &ritorno.Purchase{OrderID: 1001, Buyer: 77, At: t0.Add(time.Minute), Items: []ritorno.PurchasedItem{
			{ProductID: 7, VariantID: 71, Quantity: 2, UnitPrice: usd("5.00")}, {ProductID: 8, VariantID: 81, Quantity: 1, UnitPrice: usd("7.00")}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Dialects(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				shop := mustShop(t, db, "changes.myshopify.com")
				mustUpsertOrders(t, db, shop.ID, laterOrder(guest))
				mustUpsertOrders(t, db, shop.ID, purchaseOrder(1002, ritorno.BuyerFor(5, ""), line(1, 9, 91, 1, "1.00")))
				_, _, since, err := db.PurchasesChangedSince(ctx, shop.ID, time.Time{}, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.change(ctx, db, shop.ID); err != nil {
					t.Fatal(err)
				}
				ch, rm, _, err := db.PurchasesChangedSince(ctx, shop.ID, since, 0)
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantChanged == nil {
					if len(ch) != 0 || !slices.Equal(rm, []int64{1001}) {
						t.Fatalf("changed %+v, removed %v; want order 1001 removed", ch, rm)
					}
					return
				}
				if len(rm) != 0 || len(ch) != 1 {
					t.Fatalf("changed %+v, removed %v; want order 1001 changed", ch, rm)
				}
				if got := withoutUpdatedAt(t, ch); !reflect.DeepEqual(got[0], *tc.wantChanged) {
					t.Fatalf("changed %+v, want %+v", got[0], *tc.wantChanged)
				}
			})
		})
	}
}

// laterOrder is order 1001 of buyer: 2 of product 7 and 1 of product 8.
func laterOrder(buyer ritorno.Buyer) ritorno.Order {
	return purchaseOrder(1001, buyer, line(1, 7, 71, 2, "5.00"), line(2, 8, 81, 1, "7.00"))
}

func TestProductsChangedSince(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "catalog.myshopify.com")
		other := mustShop(t, db, "other-catalog.myshopify.com")
		if _, err := db.UpsertProducts(ctx, shop.ID, []ritorno.Product{sampleProduct(1), sampleProduct(2), sampleProduct(3)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertProduct(ctx, other.ID, sampleProduct(4)); err != nil {
			t.Fatal(err)
		}
		ids := func(ps []ritorno.Product) []int64 {
			var out []int64
			for _, p := range ps {
				out = append(out, p.PlatformID)
			}
			return out
		}
		var all []int64
		since := time.Time{}
		for range 10 {
			page, next, err := db.ProductsChangedSince(ctx, shop.ID, since, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				if want := sampleProduct(p.PlatformID); len(p.Variants) != 2 || !reflect.DeepEqual(p.Variants, want.Variants) || p.ShopID != shop.ID {
					t.Fatalf("product %d comes with %+v", p.PlatformID, p.Variants)
				}
			}
			all, since = append(all, ids(page)...), next
		}
		slices.Sort(all)
		if !slices.Equal(all, []int64{1, 2, 3}) {
			t.Fatalf("paging gave products %v, want 1 2 3 once each", all)
		}

		for _, tc := range []struct {
			name   string
			change func() error
			want   []int64
			check  func(ritorno.Product) bool
		}{
			{"nothing changed", func() error { return nil }, nil, nil},
			{"an older payload changes nothing", func() error {
				p := sampleProduct(2)
				p.Title, p.PlatformUpdatedAt = "Stale", t0
				_, err := db.UpsertProduct(ctx, shop.ID, p)
				return err
			}, nil, nil},
			{"a variant's price and stock", func() error {
				p := sampleProduct(2)
				p.PlatformUpdatedAt = t0.Add(3 * time.Hour)
				p.Variants[0].Price, p.Variants[0].InventoryQuantity = usd("13.00"), 0
				_, err := db.UpsertProduct(ctx, shop.ID, p)
				return err
			}, []int64{2}, func(p ritorno.Product) bool {
				return p.Variants[0].Price == usd("13.00") && p.Variants[0].InventoryQuantity == 0
			}},
			{"a status change", func() error {
				p := sampleProduct(3)
				p.PlatformUpdatedAt, p.Status = t0.Add(3*time.Hour), ritorno.ProductDraft
				_, err := db.UpsertProduct(ctx, shop.ID, p)
				return err
			}, []int64{3}, func(p ritorno.Product) bool { return p.Status == ritorno.ProductDraft }},
			{"a deletion", func() error { return db.MarkProductDeleted(ctx, shop.ID, 1, t0.Add(4*time.Hour)) },
				[]int64{1}, func(p ritorno.Product) bool { return p.DeletedAt.Equal(t0.Add(4 * time.Hour)) }},
			{"a deletion of a product never seen", func() error { return db.MarkProductDeleted(ctx, shop.ID, 99, t0.Add(4*time.Hour)) },
				[]int64{99}, func(p ritorno.Product) bool { return !p.DeletedAt.IsZero() && len(p.Variants) == 0 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.change(); err != nil {
					t.Fatal(err)
				}
				page, next, err := db.ProductsChangedSince(ctx, shop.ID, since, 0)
				if err != nil || !slices.Equal(ids(page), tc.want) {
					t.Fatalf("changed = %v, %v; want %v", ids(page), err, tc.want)
				}
				for _, p := range page {
					if !tc.check(p) {
						t.Fatalf("product %+v does not show the change", p)
					}
				}
				since = next
			})
		}
	})
}

func TestRecommendControls(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "controls.myshopify.com")
		if got, err := db.RecommendControls(ctx, shop.ID); err != nil || !reflect.DeepEqual(got, ritorno.RecommendControls{}) {
			t.Fatalf("controls never set = %+v, %v; want the zero value", got, err)
		}
		set := ritorno.RecommendControls{
			Pins:             map[int64][]int64{7: {9, 3, 5}, 8: {7}},
			ExcludedProducts: []int64{11, 4},
			ExcludedTags:     []string{"Sample", "b-stock"},
			ExcludedVendors:  []string{"Acme"},
			FallbackChain:    []string{ritorno.SourceCrossSell, ritorno.SourcePinned},
			UpsellMinPercent: 120, UpsellMaxPercent: 150, MinEvidence: 3,
			UpdatedAt: t0, // ignored: the write sets it
		}
		before := time.Now().Add(-time.Second)
		if err := db.SetRecommendControls(ctx, shop.ID, set); err != nil {
			t.Fatal(err)
		}
		got, err := db.RecommendControls(ctx, shop.ID)
		if err != nil || got.UpdatedAt.Before(before) {
			t.Fatalf("RecommendControls = %+v, %v; UpdatedAt must be the write's time", got, err)
		}
		want := set
		want.UpdatedAt = got.UpdatedAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("RecommendControls =\n%+v\nwant\n%+v", got, want)
		}

		replaced := ritorno.RecommendControls{Pins: map[int64][]int64{8: {3, 2}}}
		if err := db.SetRecommendControls(ctx, shop.ID, replaced); err != nil {
			t.Fatal(err)
		}
		got, err = db.RecommendControls(ctx, shop.ID)
		replaced.UpdatedAt = got.UpdatedAt
		if err != nil || !reflect.DeepEqual(got, replaced) {
			t.Fatalf("after replacing: %+v, %v; want %+v", got, err, replaced)
		}

		for _, tc := range []struct {
			name string
			c    ritorno.RecommendControls
			msg  string
		}{
			{"unknown fallback source", ritorno.RecommendControls{FallbackChain: []string{"trending"}}, `fallback source "trending" is not one of`},
			{"repeated fallback source", ritorno.RecommendControls{FallbackChain: []string{ritorno.SourcePinned, ritorno.SourcePinned}}, "listed twice"},
			{"negative minimum percent", ritorno.RecommendControls{UpsellMinPercent: -1}, "up-sell minimum percent must be from 0"},
			{"negative maximum percent", ritorno.RecommendControls{UpsellMaxPercent: -5}, "up-sell maximum percent must be from 0"},
			{"negative evidence", ritorno.RecommendControls{MinEvidence: -2}, "minimum evidence must be from 0"},
			// Issue 13, defect 5: beyond the INTEGER columns is bad input, not a database error.
			{"evidence beyond int4", ritorno.RecommendControls{MinEvidence: 1 << 31}, "minimum evidence must be from 0"},
			{"maximum percent beyond int4", ritorno.RecommendControls{UpsellMaxPercent: 1 << 32}, "up-sell maximum percent must be from 0"},
			{"minimum percent beyond int4", ritorno.RecommendControls{UpsellMinPercent: 1<<31 + 7}, "up-sell minimum percent must be from 0"},
			{"a tag with NUL", ritorno.RecommendControls{ExcludedTags: []string{"sale\x00"}}, "excluded tag is not UTF-8 text"},
			{"min above max", ritorno.RecommendControls{UpsellMinPercent: 180, UpsellMaxPercent: 150}, "minimum percent 180 is above the maximum 150"},
			{"min above the default max", ritorno.RecommendControls{UpsellMinPercent: 250}, "minimum percent 250 is above the maximum 200"},
			{"up-sell cheaper than the product", ritorno.RecommendControls{UpsellMinPercent: 90}, "never cheaper"},
			{"pinned to itself", ritorno.RecommendControls{Pins: map[int64][]int64{7: {3, 7}}}, "product 7 is pinned to itself"},
			{"pinned twice", ritorno.RecommendControls{Pins: map[int64][]int64{7: {3, 3}}}, "product 3 is pinned twice to product 7"},
			{"pin of a bad id", ritorno.RecommendControls{Pins: map[int64][]int64{7: {0}}}, "must be positive"},
			{"pins of a bad id", ritorno.RecommendControls{Pins: map[int64][]int64{-1: {3}}}, "must be positive"},
			{"excluded bad id", ritorno.RecommendControls{ExcludedProducts: []int64{0}}, "must be positive"},
			{"empty tag", ritorno.RecommendControls{ExcludedTags: []string{" "}}, "an excluded tag is empty"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := db.SetRecommendControls(ctx, shop.ID, tc.c)
				if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), tc.msg) {
					t.Fatalf("SetRecommendControls = %v; want EINVALID saying %q", err, tc.msg)
				}
				if got, _ := db.RecommendControls(ctx, shop.ID); !reflect.DeepEqual(got, replaced) {
					t.Fatalf("a refused write changed the controls: %+v", got)
				}
			})
		}

		if err := db.SetRecommendControls(ctx, 999999, set); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("controls of an unknown shop: %v, want ENOTFOUND", err)
		}
		if err := db.RedactShop(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"recommend_controls", "recommend_pins"} {
			if n := storetest.CountRows(t, db, table, shop.ID); n != 0 {
				t.Fatalf("RedactShop left %d rows in %s", n, table)
			}
		}
	})
}

func TestRecommendControlsNormalized(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   ritorno.RecommendControls
		want ritorno.RecommendControls
	}{
		{"zero means the defaults", ritorno.RecommendControls{}, ritorno.RecommendControls{FallbackChain: ritorno.DefaultFallbackChain,
			UpsellMinPercent: ritorno.DefaultUpsellMinPercent, UpsellMaxPercent: ritorno.DefaultUpsellMaxPercent, MinEvidence: ritorno.DefaultMinEvidence}},
		{"set values stay; lists are folded", ritorno.RecommendControls{
			Pins: map[int64][]int64{1: {2}}, ExcludedProducts: []int64{5, 5, 4}, ExcludedTags: []string{" Sale ", "sale", "NEW"},
			ExcludedVendors: []string{"Acme"}, FallbackChain: []string{ritorno.SourceShopBestSeller}, UpsellMinPercent: 100, UpsellMaxPercent: 300, MinEvidence: 1,
		}, ritorno.RecommendControls{
			Pins: map[int64][]int64{1: {2}}, ExcludedProducts: []int64{5, 4}, ExcludedTags: []string{"sale", "new"},
			ExcludedVendors: []string{"acme"}, FallbackChain: []string{ritorno.SourceShopBestSeller}, UpsellMinPercent: 100, UpsellMaxPercent: 300, MinEvidence: 1,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.in.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tc.in.Normalized(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Normalized = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// BenchmarkEachPurchase streams a generated shop: RITORNO_BENCH_ORDERS orders (default
// 100,000) of 1 to 9 lines (5 on average), a tenth of them with a refunded line.
//
//	RITORNO_TEST_POSTGRES_URL=… go test ./store -run '^$' -bench EachPurchase -benchtime 3x
func BenchmarkEachPurchase(b *testing.B) {
	n := 100_000
	if s := os.Getenv("RITORNO_BENCH_ORDERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	storetest.BenchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(b, db, "bench-purchases.myshopify.com")
		orders := make([]ritorno.Order, 0, 1000)
		lines := 0
		for i := range n {
			id := int64(i + 1)
			var items []ritorno.LineItem
			for l := range 1 + i%9 {
				items = append(items, line(int64(l+1), int64(1+(i*7+l*13)%50_000), int64(1+(i*7+l*13)%50_000)*10, 1+int64(l%3), "9.99"))
			}
			lines += len(items)
			o := purchaseOrder(id, ritorno.BuyerFor(int64(1+i%20_000), ""), items...)
			if i%10 == 0 {
				o = withRefunds(o, refund(id, 1, 1))
			}
			if orders = append(orders, o); len(orders) == cap(orders) || i == n-1 {
				mustUpsertOrders(b, db, shop.ID, orders...)
				orders = orders[:0]
			}
		}
		// Statistics, as autovacuum keeps them on a live database: without them PostgreSQL
		// may sort the line items instead of reading them in index order.
		if rows, err := store.RawQuery(db, "ANALYZE"); err != nil {
			b.Fatal(err)
		} else {
			rows.Close()
		}
		b.ResetTimer()
		for b.Loop() {
			got := 0
			if err := db.EachPurchase(ctx, shop.ID, func(p ritorno.Purchase) error { got += len(p.Items); return nil }); err != nil {
				b.Fatal(err)
			}
			if got == 0 {
				b.Fatal("no purchase")
			}
		}
		secs := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(n)/secs, "orders/s")
		b.ReportMetric(float64(lines)/secs, "lines/s")
	})
}
