package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// orderWriters are the store's ways of writing orders: one at a time, a batch (on
// PostgreSQL through COPY), and a batch inside a caller's transaction (the webhook
// batches; statements).
var orderWriters = map[string]func(ctx context.Context, db *store.DB, shopID int64, o ritorno.Order) error{
	"UpsertOrder": func(ctx context.Context, db *store.DB, shopID int64, o ritorno.Order) error {
		_, err := db.UpsertOrder(ctx, shopID, o)
		return err
	},
	"UpsertOrders": func(ctx context.Context, db *store.DB, shopID int64, o ritorno.Order) error {
		_, err := db.UpsertOrders(ctx, shopID, []ritorno.Order{o, o})
		return err
	},
	"UpsertOrders in a transaction": func(ctx context.Context, db *store.DB, shopID int64, o ritorno.Order) error {
		return db.InTransaction(ctx, func(tx *store.DB) error {
			_, err := tx.UpsertOrders(ctx, shopID, []ritorno.Order{o, o})
			return err
		})
	},
}

// assertNothingPersonal fails if any row of the shop still holds one of the values.
func assertNothingPersonal(t *testing.T, db *store.DB, shopID int64, values ...string) {
	t.Helper()
	for _, table := range append(storetest.ShopTables, "data_requests") {
		raw := storetest.AllRows(t, db, table, shopID)
		for _, v := range values {
			if v != "" && strings.Contains(strings.ToLower(raw), strings.ToLower(v)) {
				t.Errorf("%s still holds %q after the erasure", table, v)
			}
		}
	}
}

// A customers/redact is not undone by the platform delivering the customer and their
// orders again, with the same update time (at least once) or a later one.
func TestRedactionSurvivesRedelivery(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		for name, write := range orderWriters {
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				shop := mustShop(t, db, strings.ReplaceAll(strings.ToLower(name), " ", "-")+".myshopify.com")
				c := sampleCustomer(51)
				if _, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil {
					t.Fatal(err)
				}
				o := sampleOrder(1001, 51)
				o.Refunds[0].Note = "Ada Lovelace sent it back" // the merchant's free text
				if err := write(ctx, db, shop.ID, o); err != nil {
					t.Fatal(err)
				}
				if err := db.RedactCustomer(ctx, shop.ID, 51, "ada@example.com", []int64{1001}); err != nil {
					t.Fatal(err)
				}
				// Re-deliveries: equal versions, then newer ones; a new order of the customer.
				later := o
				later.PlatformUpdatedAt = later.PlatformUpdatedAt.Add(time.Hour)
				laterC := c
				laterC.PlatformUpdatedAt = laterC.PlatformUpdatedAt.Add(time.Hour)
				if _, err := db.UpsertCustomer(ctx, shop.ID, c); err != nil {
					t.Fatal(err)
				}
				if _, err := db.UpsertCustomers(ctx, shop.ID, []ritorno.Customer{laterC}); err != nil {
					t.Fatal(err)
				}
				for _, again := range []ritorno.Order{o, later, sampleOrder(1002, 51)} {
					if err := write(ctx, db, shop.ID, again); err != nil {
						t.Fatal(err)
					}
				}
				got, err := db.Customer(ctx, shop.ID, 51)
				if err != nil {
					t.Fatal(err)
				}
				if got.Email != "" || got.EmailHash != "" || got.FirstName != "" || got.LastName != "" || len(got.Tags) != 0 || got.RedactedAt.IsZero() {
					t.Errorf("customer after re-deliveries = %+v; want still redacted", got)
				}
				if got.PlatformUpdatedAt != laterC.PlatformUpdatedAt {
					t.Errorf("the newer version's other fields were not applied: updated_at %v", got.PlatformUpdatedAt)
				}
				for _, id := range []int64{1001, 1002} {
					if got, err := db.Order(ctx, shop.ID, id); err != nil || got.Buyer.EmailHash != "" {
						t.Errorf("order %d after re-deliveries: hash %q, %v", id, got.Buyer.EmailHash, err)
					}
				}
				assertNothingPersonal(t, db, shop.ID, "ada@example.com", "Lovelace", ritorno.HashEmail("ada@example.com"))
			})
		}
	})
}

// A customer erased before it was stored stays erased when its create arrives late, and
// a guest erased by address stays anonymous in later orders with that address; the
// address is remembered only as a keyed marker.
func TestErasureBeforeStoreAndGuestsByAddress(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		for name, write := range orderWriters {
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				shop := mustShop(t, db, strings.ReplaceAll(strings.ToLower(name), " ", "-")+".myshopify.com")
				if err := db.RedactCustomer(ctx, shop.ID, 77, "late@example.com", nil); err != nil {
					t.Fatal(err)
				}
				late := sampleCustomer(77)
				late.Email, late.FirstName, late.LastName = "late@example.com", "Late", "Comer"
				if applied, err := db.UpsertCustomer(ctx, shop.ID, late); err != nil || !applied {
					t.Fatalf("late create: %v, %v", applied, err)
				}
				if got, _ := db.Customer(ctx, shop.ID, 77); got.Email != "" || got.FirstName != "" || got.RedactedAt.IsZero() || got.State != "enabled" {
					t.Errorf("late create after the erasure = %+v", got)
				}

				guest := sampleOrder(2001, 0)
				guest.Buyer = ritorno.BuyerFor(0, "guest@example.com")
				if err := write(ctx, db, shop.ID, guest); err != nil {
					t.Fatal(err)
				}
				if err := db.RedactCustomer(ctx, shop.ID, 0, "Guest@Example.com", []int64{2001}); err != nil {
					t.Fatal(err)
				}
				again := sampleOrder(2002, 0)
				again.Buyer = ritorno.BuyerFor(0, "guest@example.com")
				for _, o := range []ritorno.Order{guest, again} {
					if err := write(ctx, db, shop.ID, o); err != nil {
						t.Fatal(err)
					}
					if got, err := db.Order(ctx, shop.ID, o.PlatformID); err != nil || got.Buyer.EmailHash != "" {
						t.Errorf("guest order %d after the erasure: hash %q, %v", o.PlatformID, got.Buyer.EmailHash, err)
					}
				}
				// Another guest is not affected.
				other := sampleOrder(2003, 0)
				other.Buyer = ritorno.BuyerFor(0, "other@example.com")
				if err := write(ctx, db, shop.ID, other); err != nil {
					t.Fatal(err)
				}
				if got, _ := db.Order(ctx, shop.ID, 2003); got.Buyer.EmailHash != ritorno.HashEmail("other@example.com") {
					t.Errorf("an unrelated guest lost their hash: %+v", got.Buyer)
				}
				if n := storetest.CountRows(t, db, "erased_emails", shop.ID); n != 2 {
					t.Errorf("erased_emails has %d rows, want 2", n)
				}
				assertNothingPersonal(t, db, shop.ID, "late@example.com", "Comer", ritorno.HashEmail("late@example.com"),
					"guest@example.com", ritorno.HashEmail("guest@example.com"))
			})
		}
	})
}
