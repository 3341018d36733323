package recommend

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// The benchmark shop is generated, deterministically: 50,000 products in 500 collections of
// 100, popularity Zipf-like (exponent 1.1) over the whole catalog; 1,000,000 orders over
// two years from 300,000 customers whose order counts are long-tailed; 1 + geometric(0.45)
// distinct products per order (mean ≈ 2.2), each further item from the first item's
// collection with probability 0.7, else from the whole catalog.
const (
	benchProducts    = 50_000
	benchOrders      = 1_000_000
	benchCustomers   = 300_000
	benchCollections = 500
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

// zipf draws ranks in [0, n) with P(k) ∝ 1/(k+1)^s by inverting a precomputed CDF.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) *zipf {
	z := &zipf{cdf: make([]float64, n)}
	var sum float64
	for k := range n {
		sum += 1 / math.Pow(float64(k+1), s)
		z.cdf[k] = sum
	}
	for k := range z.cdf {
		z.cdf[k] /= sum
	}
	return z
}

func (z *zipf) draw(r *rand.Rand) int {
	k, _ := slices.BinarySearch(z.cdf, r.Float64())
	return min(k, len(z.cdf)-1)
}

func mustBenchShop(b *testing.B) benchShop {
	b.Helper()
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		benchData.now = start.Add(2 * 365 * 24 * time.Hour)
		// Popularity rank → product id, shuffled so that collections mix popular and rare.
		perm := r.Perm(benchProducts)
		for id := range benchProducts {
			benchData.catalog = append(benchData.catalog, ritorno.Product{ShopID: 1, PlatformID: int64(id + 1),
				Title: fmt.Sprintf("Product %d", id+1), Status: ritorno.ProductActive, PublishedAt: start,
				ProductType: fmt.Sprintf("type-%d", id%50), Collections: []string{fmt.Sprintf("c%d", id/(benchProducts/benchCollections))},
				Variants: []ritorno.Variant{{PlatformID: int64(id+1) * 10, Position: 1, Price: ritorno.Money{Amount: 500 + int64(r.IntN(9500)), Currency: "USD"}}}})
		}
		global := newZipf(benchProducts, 1.1)
		local := newZipf(benchProducts/benchCollections, 1.1)
		customers := newZipf(benchCustomers, 0.8)
		span := benchData.now.Sub(start)
		for o := range benchOrders {
			first := perm[global.draw(r)]
			items := []int64{int64(first + 1)}
			for r.Float64() < 0.55 && len(items) < 30 {
				var p int
				if r.Float64() < 0.7 {
					col := first / (benchProducts / benchCollections)
					p = col*(benchProducts/benchCollections) + local.draw(r)
				} else {
					p = perm[global.draw(r)]
				}
				items = append(items, int64(p+1))
			}
			pu := ritorno.Purchase{OrderID: int64(o + 1), Buyer: int64(customers.draw(r) + 1),
				At: start.Add(time.Duration(r.Int64N(int64(span))))}
			for _, id := range items {
				pu.Items = append(pu.Items, ritorno.PurchasedItem{ProductID: id, Quantity: 1, UnitPrice: ritorno.Money{Amount: 1000, Currency: "USD"}})
			}
			benchData.purchases = append(benchData.purchases, pu)
		}
	})
	return benchData
}

var (
	benchModelOnce sync.Once
	benchModel     *Model
)

func mustBenchModel(b *testing.B) *Model {
	b.Helper()
	d := mustBenchShop(b)
	benchModelOnce.Do(func() {
		benchModel = Build(1, d.purchases, d.catalog, ritorno.RecommendControls{}, Options{}, d.now)
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
		m := Build(1, d.purchases, d.catalog, ritorno.RecommendControls{}, Options{}, d.now)
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
	for _, placement := range []Placement{PlacementProduct, PlacementCart, PlacementForYou} {
		b.Run(string(placement), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			lat := make([]time.Duration, 0, 1<<16)
			b.ResetTimer()
			for b.Loop() {
				src := d.purchases[r.IntN(len(d.purchases))]
				req := Request{Placement: placement, Limit: 8, Now: d.now}
				switch placement {
				case PlacementProduct:
					req.ProductID = src.Items[0].ProductID
				case PlacementCart:
					for _, it := range src.Items {
						req.Cart = append(req.Cart, it.ProductID)
					}
				case PlacementForYou:
					req.Customer = src.Buyer
				}
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
