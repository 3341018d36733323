package bench

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
)

// The benchmark shop of this file is the one of bench_test.go, built separately because the
// writer below changes the model it runs against.
var (
	updateShopOnce  sync.Once
	updateShop      Synthetic
	updateModelOnce sync.Once
	updateModel     *recommend.Model
)

func mustUpdateModel(b *testing.B) (*recommend.Model, Synthetic) {
	b.Helper()
	updateShopOnce.Do(func() { updateShop = SyntheticShop(1, 1, 50_000, 1_000_000) })
	updateModelOnce.Do(func() {
		updateModel = recommend.Build(1, updateShop.Purchases, updateShop.Catalog, ritorno.RecommendControls{}, recommend.Options{}, updateShop.Now)
	})
	return updateModel, updateShop
}

// BenchmarkRecommendDuringUpdates measures read latency (p50, p99, max) per placement while
// one goroutine applies new orders back to back, as the Service does when orders arrive
// faster than it can apply them. The orders are copies of random historic orders with new
// ids, so popular products (the expensive case) arrive as often as they sell.
func BenchmarkRecommendDuringUpdates(b *testing.B) {
	m, shop := mustUpdateModel(b)
	var nextID atomic.Int64
	nextID.Store(20_000_000)
	for _, placement := range []recommend.Placement{recommend.PlacementProduct, recommend.PlacementCart, recommend.PlacementForYou} {
		b.Run(string(placement), func(b *testing.B) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var applied atomic.Int64
			var applying atomic.Int64 // nanoseconds spent in ApplyPurchase
			wg.Go(func() {
				r := rand.New(rand.NewPCG(7, 8))
				for {
					select {
					case <-stop:
						return
					default:
					}
					src := shop.Purchases[r.IntN(len(shop.Purchases))]
					t := time.Now()
					m.ApplyPurchase(ritorno.Purchase{OrderID: nextID.Add(1), Buyer: src.Buyer, At: shop.Now.Add(-time.Hour), Items: src.Items})
					applying.Add(int64(time.Since(t)))
					applied.Add(1)
				}
			})
			r := rand.New(rand.NewPCG(5, 6))
			lat := make([]time.Duration, 0, 1<<16)
			b.ResetTimer()
			for b.Loop() {
				req := benchRequest(placement, shop.Purchases[r.IntN(len(shop.Purchases))], shop.Now)
				t := time.Now()
				m.Recommend(req)
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
				b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
			}
			if n := applied.Load(); n > 0 {
				b.ReportMetric(float64(applying.Load())/float64(n)/1e6, "ms/order")
			}
		})
	}
}
