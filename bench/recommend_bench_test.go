package bench

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
)

// The benchmark shop is SyntheticShop(1, 1, 50_000, 1_000_000): 50,000 products in 500
// collections of 100, popularity Zipf-like over the whole catalog; 1,000,000 orders over two
// years from 300,000 customers with long-tailed order counts; about 2.2 products per order.
const (
	benchProducts = 50_000
	benchOrders   = 1_000_000
)

type benchShop struct {
	catalog   []ritorno.Product
	purchases []ritorno.Purchase
	now       time.Time
}

var (
	benchOnce sync.Once
	benchData benchShop
)

func mustBenchShop(b *testing.B) benchShop {
	b.Helper()
	benchOnce.Do(func() {
		s := SyntheticShop(1, 1, benchProducts, benchOrders)
		benchData = benchShop{catalog: s.Catalog, purchases: s.Purchases, now: s.Now}
	})
	return benchData
}

var (
	benchModelOnce sync.Once
	benchModel     *recommend.Model
)

func mustBenchModel(b *testing.B) *recommend.Model {
	b.Helper()
	d := mustBenchShop(b)
	benchModelOnce.Do(func() {
		benchModel = recommend.Build(1, d.purchases, d.catalog, ritorno.RecommendControls{}, recommend.Options{}, d.now)
	})
	return benchModel
}

// BenchmarkBuild is a full rebuild of the 50,000-product, 1,000,000-order shop.
func BenchmarkBuild(b *testing.B) {
	d := mustBenchShop(b)
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := recommend.Build(1, d.purchases, d.catalog, ritorno.RecommendControls{}, recommend.Options{}, d.now)
		runtime.GC()
		runtime.ReadMemStats(&after)
		s := m.Stats()
		b.ReportMetric(float64(s.Bytes)/(1<<20), "stats-MiB")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MiB")
		b.ReportMetric(float64(s.Pairs), "pairs")
		runtime.KeepAlive(m)
	}
}

// BenchmarkApplyPurchase is the cost of one new order applied to the built shop.
func BenchmarkApplyPurchase(b *testing.B) {
	m := mustBenchModel(b)
	d := mustBenchShop(b)
	r := rand.New(rand.NewPCG(3, 4))
	next := int64(10_000_000)
	b.ResetTimer()
	for b.Loop() {
		src := d.purchases[r.IntN(len(d.purchases))]
		next++
		m.ApplyPurchase(ritorno.Purchase{OrderID: next, Buyer: src.Buyer, At: d.now.Add(-time.Hour), Items: src.Items})
	}
}

// BenchmarkRecommend measures read latency per placement and reports p50 and p99.
func BenchmarkRecommend(b *testing.B) {
	m := mustBenchModel(b)
	d := mustBenchShop(b)
	for _, placement := range []recommend.Placement{recommend.PlacementProduct, recommend.PlacementCart, recommend.PlacementForYou} {
		b.Run(string(placement), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			lat := make([]time.Duration, 0, 1<<16)
			b.ResetTimer()
			for b.Loop() {
				req := benchRequest(placement, d.purchases[r.IntN(len(d.purchases))], d.now)
				t := time.Now()
				m.Recommend(req)
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}

// benchRequest asks for the placement as a shopper of src would: its first product's page,
// its basket as a cart, or its buyer's "for you".
func benchRequest(placement recommend.Placement, src ritorno.Purchase, now time.Time) recommend.Request {
	req := recommend.Request{Placement: placement, Limit: 8, Now: now}
	switch placement {
	case recommend.PlacementProduct:
		req.ProductID = src.Items[0].ProductID
	case recommend.PlacementCart:
		for _, it := range src.Items {
			req.Cart = append(req.Cart, it.ProductID)
		}
	case recommend.PlacementForYou:
		req.Customer = src.Buyer
	}
	return req
}
