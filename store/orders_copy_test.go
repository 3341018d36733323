package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// On PostgreSQL, UpsertOrders outside a transaction takes the COPY path and inside
// InTransaction the statement path. The same randomized batches (repeated ids, older and
// newer versions, guests with and without accounts, refunds listed or not, odd text) must
// give the same verdicts and leave the same rows either way. On SQLite both are the
// statement path, and the test checks that InTransaction does not change it.
func TestCopyPathMatchesStatementPath(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fast, slow := mustShop(t, db, "copy.myshopify.com"), mustShop(t, db, "statements.myshopify.com")
		customers := []ritorno.Customer{
			customerWith(1, "one@example.com", false), customerWith(2, "two@example.com", false),
			customerWith(9, "two@example.com", false), // a second account with the address: the lowest id owns it
			customerWith(3, "gone@example.com", true), // deleted: adopts nothing
		}
		for _, s := range []ritorno.Shop{fast, slow} {
			for _, c := range customers {
				if _, err := db.UpsertCustomer(ctx, s.ID, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 42))
			for b := range 8 {
				batch := randomBatch(rng, 1+rng.IntN(80))
				got, err := db.UpsertOrders(ctx, fast.ID, batch)
				if err != nil {
					t.Fatalf("seed %d batch %d, copy path: %v", seed, b, err)
				}
				var want []ritorno.Write
				err = db.InTransaction(ctx, func(tx *store.DB) error {
					want, err = tx.UpsertOrders(ctx, slow.ID, batch)
					return err
				})
				if err != nil {
					t.Fatalf("seed %d batch %d, statement path: %v", seed, b, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("seed %d batch %d: verdicts differ\ncopy       %v\nstatements %v", seed, b, got, want)
				}
			}
			if seed == 2 {
				// An account created between imports adopts the guest orders stored so far,
				// and later batches find it.
				for _, s := range []ritorno.Shop{fast, slow} {
					if _, err := db.UpsertCustomer(ctx, s.ID, customerWith(4, "guest1@example.com", false)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for _, table := range []string{"orders", "line_items", "refunds", "refund_line_items"} {
			a, b := comparableRows(t, db, table, fast.ID), comparableRows(t, db, table, slow.ID)
			if a != b {
				t.Errorf("%s differ:\ncopy path:\n%s\nstatement path:\n%s", table, a, b)
			}
			if a == "" {
				t.Errorf("%s: nothing stored", table)
			}
		}
	})
}

// The COPY path takes the guest-merge lock of the statement path (lockBuyer): a guest
// order waits for a transaction that is creating the account with its address, and then
// belongs to that account.
func TestCopyPathTakesTheGuestMergeLock(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != "postgres" {
			t.Skip("SQLite serializes writers; there is no lock to share")
		}
		ctx := context.Background()
		shop := mustShop(t, db, "lock.myshopify.com")
		guest := sampleOrder(1, 0)
		guest.Buyer = ritorno.BuyerFor(0, "ada@example.com")
		done := make(chan error, 1)
		err := db.InTransaction(ctx, func(tx *store.DB) error {
			if _, err := tx.UpsertCustomer(ctx, shop.ID, sampleCustomer(42)); err != nil {
				return err
			}
			go func() {
				_, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{guest})
				done <- err
			}()
			// The import must be waiting on an advisory lock before the account commits.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var waiting int
				if err := store.RawQueryRow(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"+
					" AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").Scan(&waiting); err != nil {
					return err
				}
				if waiting > 0 {
					return nil
				}
				select {
				case err := <-done:
					t.Fatalf("the guest order was written while the account's transaction held the lock (err %v)", err)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("the guest order never waited for the guest-merge lock")
				}
				time.Sleep(5 * time.Millisecond) // polling pg_locks, not waiting for an event
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		o, err := db.Order(ctx, shop.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if o.Buyer.Kind != ritorno.BuyerCustomer || o.Buyer.CustomerPlatformID != 42 {
			t.Fatalf("the guest order did not join the account created before it: %+v", o.Buyer)
		}
	})
}

// A failing batch on the COPY path writes nothing and leaves its connection usable.
func TestCopyPathRollsBackAFailingBatch(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(t, db, "rollback.myshopify.com")
		bad := sampleOrder(2, 42)
		bad.LineItems[1].PlatformID = bad.LineItems[0].PlatformID // two lines with one id
		if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{sampleOrder(1, 42), bad}); err == nil {
			t.Fatal("a batch with a duplicate line item was accepted")
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 0 {
			t.Fatalf("%d orders of a failed batch were committed", got)
		}
		for range 3 { // more batches than a pool keeps idle connections would not tell
			if _, err := db.UpsertOrders(ctx, shop.ID, []ritorno.Order{sampleOrder(1, 42), sampleOrder(3, 42)}); err != nil {
				t.Fatalf("a batch after a failed one: %v", err)
			}
		}
		if got := storetest.CountRows(t, db, "line_items", shop.ID); got != 4 {
			t.Fatalf("%d line items, want 4", got)
		}
	})
}

// BenchmarkUpsertOrdersPaths compares, per batch size, the COPY path (PostgreSQL outside
// a transaction) with the statement path (the same call inside InTransaction), for new
// orders with 25 lines each, like an import of the online retail data set.
func BenchmarkUpsertOrdersPaths(b *testing.B) {
	storetest.BenchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		for _, size := range []int{1, 100, 1000} {
			for _, path := range []string{"copy", "statements"} {
				b.Run(fmt.Sprintf("%s/batch=%d", path, size), func(b *testing.B) {
					shop := mustShop(b, db, fmt.Sprintf("bench-%s-%d.myshopify.com", path, size))
					batch := make([]ritorno.Order, size)
					next := int64(1)
					for b.Loop() {
						for i := range batch {
							batch[i] = importLikeOrder(next)
							next++
						}
						var err error
						if path == "copy" {
							_, err = db.UpsertOrders(ctx, shop.ID, batch)
						} else {
							err = db.InTransaction(ctx, func(tx *store.DB) error {
								_, err := tx.UpsertOrders(ctx, shop.ID, batch)
								return err
							})
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "orders/s")
				})
			}
		}
	})
}

func customerWith(id int64, email string, deleted bool) ritorno.Customer {
	c := sampleCustomer(id)
	c.Email = email
	if deleted {
		c.DeletedAt = t0
	}
	return c
}

// importLikeOrder is an order as a transactions file gives it: a customer, 25 lines, no
// refunds.
func importLikeOrder(id int64) ritorno.Order {
	o := sampleOrder(id, id%4000+1)
	o.Refunds, o.RefundsComplete = nil, false
	o.RefundedAmount = usd("0")
	o.LineItems = make([]ritorno.LineItem, 25)
	for i := range o.LineItems {
		o.LineItems[i] = ritorno.LineItem{PlatformID: int64(i + 1), ProductPlatformID: int64(i*37%4000 + 1),
			Title: "WHITE HANGING HEART T-LIGHT HOLDER", SKU: "85123A", Quantity: 6, Price: usd("2.55"), TotalDiscount: usd("0")}
	}
	return o
}

var oddTexts = []string{"", "#1001", `Café "quoted", with comma`, "tab\there", `back\slash`, "日本語 ü", "line\nbreak", "'single'"}

// randomBatch draws orders with ids from a small range, so that batches repeat orders,
// versions collide within a batch, and stored orders are both older and newer.
func randomBatch(rng *rand.Rand, n int) []ritorno.Order {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	emails := []string{"one@example.com", "TWO@example.com", "gone@example.com", "guest1@example.com", "guest2@example.com"}
	out := make([]ritorno.Order, n)
	for i := range out {
		id := int64(1 + rng.IntN(60))
		o := sampleOrder(id, 0)
		o.Name = pick(oddTexts)
		switch rng.IntN(4) {
		case 0:
			o.Buyer = ritorno.BuyerFor(int64(1+rng.IntN(3)), pick(emails))
		case 1, 2:
			o.Buyer = ritorno.BuyerFor(0, pick(emails))
		default:
			o.Buyer = ritorno.Buyer{Kind: ritorno.BuyerUnknown}
		}
		o.PlatformUpdatedAt = t0.Add(time.Duration(rng.IntN(6)) * time.Hour)
		if rng.IntN(10) == 0 {
			o.PlatformUpdatedAt = time.Time{} // no update time: always applied
		}
		if rng.IntN(5) == 0 {
			o.CancelledAt, o.CancelReason = t0.Add(time.Minute), pick(oddTexts)
		}
		o.Tags = []string{pick(oddTexts)}
		o.Test = rng.IntN(7) == 0
		o.LineItems = nil
		for l := range rng.IntN(5) {
			o.LineItems = append(o.LineItems, ritorno.LineItem{PlatformID: int64(100 + l), ProductPlatformID: int64(rng.IntN(9)),
				Title: pick(oddTexts), VariantTitle: pick(oddTexts), SKU: pick(oddTexts), Vendor: pick(oddTexts),
				Quantity: int64(rng.IntN(4)), Price: usd(fmt.Sprintf("%d.%02d", rng.IntN(100), rng.IntN(100))),
				TotalDiscount: usd("0.10"), GiftCard: rng.IntN(9) == 0})
		}
		o.RefundsComplete = rng.IntN(2) == 0
		o.Refunds = nil
		if o.RefundsComplete {
			for r := range rng.IntN(3) {
				ref := ritorno.Refund{PlatformID: int64(900 + r), CreatedAt: t0.Add(time.Duration(r) * time.Hour), Amount: usd("1.00"), Note: pick(oddTexts)}
				for _, li := range o.LineItems {
					if rng.IntN(2) == 0 {
						ref.LineItems = append(ref.LineItems, ritorno.RefundLineItem{LineItemPlatformID: li.PlatformID, Quantity: 1, Subtotal: usd("1.00")})
					}
				}
				o.Refunds = append(o.Refunds, ref)
			}
		}
		out[i] = o
	}
	return out
}

// Row ids, the shop and the write times differ between the two shops by construction.
var (
	rowIdentity = regexp.MustCompile(`^id=\d+ shop_id=\d+ `)
	writeTimes  = regexp.MustCompile(` created_at=.* updated_at=.*$`)
)

// comparableRows is storetest.AllRows without what differs by construction, sorted.
func comparableRows(t *testing.T, db *store.DB, table string, shopID int64) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(storetest.AllRows(t, db, table, shopID), "\n"), "\n")
	for i, l := range lines {
		lines[i] = writeTimes.ReplaceAllString(rowIdentity.ReplaceAllString(l, ""), "")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
