package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ritorno/ritorno"
)

// Synthetic is a generated shop: its catalog, its purchases, and the moment the purchases
// lead up to (the `now` to build its model at).
type Synthetic struct {
	Catalog   []ritorno.Product
	Purchases []ritorno.Purchase
	Now       time.Time
}

// The shape of a synthetic shop, fixed so that a run of any size is the benchmark shop of
// the recommendation issue scaled down: collections of 100 products and 3 customers per 10
// orders (50,000 products in 500 collections, 1,000,000 orders from 300,000 customers).
const (
	syntheticCollectionSize     = 100
	syntheticPopularityExponent = 1.1
	syntheticCustomerExponent   = 0.8
)

// SyntheticShop generates a shop deterministically from seed: products in collections of
// 100, popularity Zipf-like (exponent 1.1) over the whole catalog; orders over two years
// from 0.3 × orders customers whose order counts are long-tailed (Zipf, exponent 0.8);
// 1 + geometric(0.45) products per order (mean ≈ 2.2), each further item from the first
// item's collection with probability 0.7, else from the whole catalog. Every product is
// active and published, has a handle, an image URL and one USD variant. SyntheticShop(1,
// 1, 50_000, 1_000_000) is the shop of the recommendation benchmarks
// (recommend_bench_test.go) and of `ritorno bench storefront`.
func SyntheticShop(shopID, seed int64, products, orders int) Synthetic {
	products, orders = max(products, 1), max(orders, 0)
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)+1))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := Synthetic{Now: start.Add(2 * 365 * 24 * time.Hour),
		Catalog: make([]ritorno.Product, 0, products), Purchases: make([]ritorno.Purchase, 0, orders)}
	colSize := min(syntheticCollectionSize, products)
	// Popularity rank → product index, shuffled so that collections mix popular and rare.
	perm := r.Perm(products)
	for id := range products {
		pid := int64(id + 1)
		out.Catalog = append(out.Catalog, ritorno.Product{ShopID: shopID, PlatformID: pid,
			Title: fmt.Sprintf("Product %d", pid), Handle: fmt.Sprintf("product-%d", pid),
			ImageURL: fmt.Sprintf("https://cdn.shopify.com/s/files/1/0000/0001/products/product-%d.jpg", pid),
			Status:   ritorno.ProductActive, PublishedAt: start,
			ProductType: fmt.Sprintf("type-%d", id%50), Collections: []string{fmt.Sprintf("c%d", id/colSize)},
			Variants: []ritorno.Variant{{PlatformID: pid * 10, Position: 1, Price: ritorno.Money{Amount: 500 + int64(r.IntN(9500)), Currency: "USD"}}}})
	}
	global := newZipf(products, syntheticPopularityExponent)
	local := newZipf(colSize, syntheticPopularityExponent)
	customers := newZipf(max(orders*3/10, 1), syntheticCustomerExponent)
	span := out.Now.Sub(start)
	for o := range orders {
		first := perm[global.draw(r)]
		items := []int64{int64(first + 1)}
		for r.Float64() < 0.55 && len(items) < 30 {
			var p int
			if r.Float64() < 0.7 {
				// The last collection is short when products is not a multiple of 100.
				p = ((first/colSize)*colSize + local.draw(r)) % products
			} else {
				p = perm[global.draw(r)]
			}
			items = append(items, int64(p+1))
		}
		pu := ritorno.Purchase{OrderID: int64(o + 1), Buyer: int64(customers.draw(r) + 1),
			At: start.Add(time.Duration(r.Int64N(int64(span)))), Items: make([]ritorno.PurchasedItem, 0, len(items))}
		for _, id := range items {
			pu.Items = append(pu.Items, ritorno.PurchasedItem{ProductID: id, Quantity: 1, UnitPrice: ritorno.Money{Amount: 1000, Currency: "USD"}})
		}
		out.Purchases = append(out.Purchases, pu)
	}
	return out
}

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
