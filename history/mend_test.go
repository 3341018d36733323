package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// A file's order dated 2302 with a NUL in a line title (CSV import goes through the
// Importer) is stored, mended: placed at its creation time, the title without the NUL.
func TestImporterMendsTextAndTimes(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "mend.myshopify.com")
		created := time.Date(2011, 1, 2, 3, 4, 5, 0, time.UTC)
		o := importOrder(1)
		o.ProcessedAt, o.PlatformCreatedAt = time.Date(2302, 1, 1, 0, 0, 0, 0, time.UTC), created
		o.Name, o.LineItems[0].Title = "#1\x00", "Tea\x00 cup"
		im := history.NewImporter(db, shop.ID, 10)
		if err := im.Add(ctx, o); err != nil {
			t.Fatal(err)
		}
		if err := im.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := db.Order(ctx, shop.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !got.PlacedAt().Equal(created) || got.Name != "#1" || got.LineItems[0].Title != "Tea cup" {
			t.Errorf("stored placed %v, name %q, title %q", got.PlacedAt(), got.Name, got.LineItems[0].Title)
		}
	})
}

// A webhook delivery with a NUL in a customer's name is applied (not retried until dead),
// the name stored without it, on both databases.
func TestApplierStoresMendedText(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "nul.myshopify.com")
		a := history.NewApplier(db, shopify.NewPlatform())
		body := []byte(`{"id":51,"email":"ada@example.com","first_name":"A\u0000da","last_name":"Love\u0000lace","tags":"v\u0000ip",` +
			`"created_at":"2024-01-01T00:00:00Z","updated_at":"9999-12-31T23:59:59Z"}`)
		d := ritorno.Delivery{Platform: ritorno.Shopify, ShopID: shop.ID, ShopDomain: shop.Domain, Topic: "customers/create", Body: body}
		if err := a.Process(ctx, d); err != nil {
			t.Fatal(err)
		}
		c, err := db.Customer(ctx, shop.ID, 51)
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstName != "Ada" || c.LastName != "Lovelace" || len(c.Tags) != 1 || c.Tags[0] != "vip" || !c.PlatformUpdatedAt.IsZero() {
			t.Errorf("stored %q %q %q, updated %v", c.FirstName, c.LastName, c.Tags, c.PlatformUpdatedAt)
		}
	})
}
