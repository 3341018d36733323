package store_test

import (
	"context"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// BenchmarkUpsertOrders: new orders (two lines, one refund) in batches of 1,000.
func BenchmarkUpsertOrders(b *testing.B) {
	storetest.BenchDialects(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		shop := mustShop(b, db, "bench.myshopify.com")
		batch := make([]ritorno.Order, 1000)
		next := int64(1)
		b.ResetTimer()
		for b.Loop() {
			for i := range batch {
				batch[i] = sampleOrder(next, next%500+1)
				next++
			}
			if _, err := db.UpsertOrders(ctx, shop.ID, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "orders/s")
	})
}
