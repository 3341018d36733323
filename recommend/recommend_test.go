package recommend

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

var (
	day  = 24 * time.Hour
	t0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now0 = t0.Add(200 * day)
)

func gbp(pence int64) ritorno.Money { return ritorno.Money{Amount: pence, Currency: "GBP"} }

// mustProduct is a sellable product with one untracked variant; edit applies changes.
func mustProduct(t *testing.T, id int64, price int64, edit ...func(*ritorno.Product)) ritorno.Product {
	t.Helper()
	p := ritorno.Product{ShopID: 1, PlatformID: id, Title: fmt.Sprintf("P%d", id), Handle: fmt.Sprintf("p%d", id),
		Status: ritorno.ProductActive, PublishedAt: t0, Variants: []ritorno.Variant{{PlatformID: id * 10, Position: 1, Price: gbp(price)}}}
	for _, e := range edit {
		e(&p)
	}
	return p
}

func purchase(order, buyer int64, at time.Time, products ...int64) ritorno.Purchase {
	p := ritorno.Purchase{OrderID: order, Buyer: buyer, At: at, UpdatedAt: at}
	for _, id := range products {
		p.Items = append(p.Items, ritorno.PurchasedItem{ProductID: id, VariantID: id * 10, Quantity: 1, UnitPrice: gbp(100)})
	}
	return p
}

func ids(items []Item) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ProductID
	}
	return out
}

// mustCatalog is products 1..n at 10.00 each.
func mustCatalog(t *testing.T, n int64) []ritorno.Product {
	t.Helper()
	var c []ritorno.Product
	for id := int64(1); id <= n; id++ {
		c = append(c, mustProduct(t, id, 1000))
	}
	return c
}

// togetherHistory: 5 buyers bought 1 with 2, 3 bought 1 with 3, 4 bought 4 and 5 alone, a
// single buyer 1 with 6.
func togetherHistory() []ritorno.Purchase {
	var ps []ritorno.Purchase
	o := int64(100)
	add := func(buyer int64, products ...int64) {
		o++
		ps = append(ps, purchase(o, buyer, t0.Add(time.Duration(o)*time.Hour), products...))
	}
	for b := int64(1); b <= 5; b++ {
		add(b, 1, 2)
	}
	for b := int64(6); b <= 8; b++ {
		add(b, 1, 3)
	}
	for b := int64(9); b <= 12; b++ {
		add(b, 4, 5)
	}
	add(13, 1, 6)
	for b := int64(20); b <= 40; b++ {
		add(b, 7) // a best-seller bought alone
	}
	return ps
}

func TestCrossSell(t *testing.T) {
	m := Build(1, togetherHistory(), mustCatalog(t, 7), ritorno.RecommendControls{}, Options{}, now0)
	tests := []struct {
		name    string
		req     Request
		want    []int64
		sources []string
		reason  string
	}{
		{"product page: co-bought first, then best-sellers", Request{Placement: PlacementProduct, ProductID: 1, Limit: 3, Only: KindCrossSell},
			[]int64{2, 3, 7}, []string{"cross_sell", "cross_sell", "shop_best_sellers"}, "bought together with \"P1\" by 5 customers"},
		{"cart combines its items", Request{Placement: PlacementCart, Cart: []int64{4, 1}, Limit: 3},
			[]int64{5, 2, 3}, []string{"cross_sell", "cross_sell", "cross_sell"}, "bought together with \"P4\" by 4 customers"},
		{"a pair of one buyer is not evidence", Request{Placement: PlacementProduct, ProductID: 6, Limit: 2, Only: KindCrossSell},
			[]int64{7, 1}, []string{"shop_best_sellers", "shop_best_sellers"}, "a best-seller in this shop: bought by 21 customers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := m.Recommend(tc.req.withNow())
			if got := ids(resp.Items); !slices.Equal(got, tc.want) {
				t.Fatalf("items = %v, want %v (%+v)", got, tc.want, resp)
			}
			for i, it := range resp.Items {
				if it.Source != tc.sources[i] {
					t.Errorf("item %d source = %s, want %s", i, it.Source, tc.sources[i])
				}
			}
			if !strings.Contains(resp.Items[0].Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", resp.Items[0].Reason, tc.reason)
			}
		})
	}
	resp := m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 1, Now: now0})
	if ev := resp.Items[0].Evidence; ev.Buyers != 5 || ev.Lift <= 1 || !strings.Contains(resp.Items[0].Reason, "× more often than chance") {
		t.Errorf("evidence = %+v, reason %q", ev, resp.Items[0].Reason)
	}
}

func (r Request) withNow() Request {
	if r.Now.IsZero() {
		r.Now = now0
	}
	return r
}

func TestUpSell(t *testing.T) {
	mug := func(p *ritorno.Product) { p.ProductType = "Mug" }
	catalog := []ritorno.Product{
		mustProduct(t, 1, 1000, mug),
		mustProduct(t, 2, 1500, mug), // in band, co-bought with 1
		mustProduct(t, 3, 1800, mug), // in band, popular
		mustProduct(t, 4, 2500, mug), // above 2×
		mustProduct(t, 5, 800, mug),  // cheaper: never
		mustProduct(t, 6, 1500, func(p *ritorno.Product) { p.ProductType = "Tea" }), // other type
	}
	var ps []ritorno.Purchase
	o := int64(0)
	for b := int64(1); b <= 4; b++ {
		o++
		ps = append(ps, purchase(o, b, t0.Add(time.Duration(o)*day), 1, 2))
	}
	for b := int64(10); b <= 20; b++ {
		for _, p := range []int64{3, 4, 5, 6} {
			o++
			ps = append(ps, purchase(o, b, t0.Add(time.Duration(o)*time.Hour), p))
		}
	}
	m := Build(1, ps, catalog, ritorno.RecommendControls{}, Options{}, now0)
	resp := m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 5, Only: KindUpSell, Now: now0})
	if got := ids(resp.Items); !slices.Equal(got, []int64{2, 3}) {
		t.Fatalf("up-sells = %v, want [2 3] (%+v)", got, resp)
	}
	if it := resp.Items[0]; it.Kind != KindUpSell || it.Evidence.PriceRatio != 1.5 || !strings.Contains(it.Reason, "1.5× the price") {
		t.Errorf("first up-sell = %+v", it)
	}
	m.SetControls(ritorno.RecommendControls{UpsellMinPercent: 160, UpsellMaxPercent: 300})
	resp = m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 5, Only: KindUpSell, Now: now0})
	if got := ids(resp.Items); !slices.Equal(got, []int64{3, 4}) {
		t.Fatalf("up-sells in a 1.6×–3× band = %v, want [3 4]", got)
	}
}

func TestBuyAgain(t *testing.T) {
	var ps []ritorno.Purchase
	// Customer 1 buys coffee (1) every 30 days; tea (2) once. Others repeat coffee too, so
	// it is a consumable.
	for k := 0; k < 3; k++ {
		ps = append(ps, purchase(int64(10+k), 1, t0.Add(time.Duration(30*k)*day), 1))
	}
	ps = append(ps, purchase(20, 1, t0.Add(5*day), 2))
	for b := int64(2); b <= 4; b++ {
		ps = append(ps, purchase(100+b, b, t0, 1), purchase(200+b, b, t0.Add(30*day), 1))
	}
	now := t0.Add(94 * day) // last coffee 34 days ago
	m := Build(1, ps, mustCatalog(t, 3), ritorno.RecommendControls{}, Options{}, now)
	resp := m.Recommend(Request{Placement: PlacementForYou, Customer: 1, Limit: 3, Now: now, Only: KindBuyAgain})
	if got := ids(resp.Items); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("buy again = %v (%+v)", got, resp)
	}
	if r := resp.Items[0].Reason; r != "you buy this about every 30 days; last 34 days ago" {
		t.Errorf("reason = %q", r)
	}
	// On a product page the customer is not offered tea again (owned, not a consumable),
	// but coffee stays possible.
	resp = m.Recommend(Request{Placement: PlacementCart, Cart: []int64{3}, Customer: 1, Limit: 5, Now: now})
	if slices.Contains(ids(resp.Items), 2) || !slices.Contains(ids(resp.Items), 1) {
		t.Errorf("cart for customer 1 = %v: owned tea must go, coffee may stay", ids(resp.Items))
	}
	// An unknown customer gets best-sellers.
	resp = m.Recommend(Request{Placement: PlacementForYou, Customer: 999, Limit: 1, Now: now})
	if len(resp.Items) != 1 || resp.Items[0].Source != ritorno.SourceShopBestSeller {
		t.Errorf("new customer = %+v", resp)
	}
}

func TestFilters(t *testing.T) {
	type edit = func(*ritorno.Product)
	tests := []struct {
		name     string
		edit     edit
		controls ritorno.RecommendControls
		cart     []int64
		gone     bool
	}{
		{"sellable stays", nil, ritorno.RecommendControls{}, nil, false},
		{"draft", func(p *ritorno.Product) { p.Status = ritorno.ProductDraft }, ritorno.RecommendControls{}, nil, true},
		{"unpublished", func(p *ritorno.Product) { p.PublishedAt = time.Time{} }, ritorno.RecommendControls{}, nil, true},
		{"deleted", func(p *ritorno.Product) { p.DeletedAt = t0 }, ritorno.RecommendControls{}, nil, true},
		{"out of stock", func(p *ritorno.Product) { p.Variants[0].InventoryTracked = true }, ritorno.RecommendControls{}, nil, true},
		{"out of stock but continue selling", func(p *ritorno.Product) {
			p.Variants[0].InventoryTracked, p.Variants[0].ContinueSellingWhenOutOfStock = true, true
		}, ritorno.RecommendControls{}, nil, false},
		{"gift card", func(p *ritorno.Product) { p.Variants[0].GiftCard = true }, ritorno.RecommendControls{}, nil, true},
		{"zero price", func(p *ritorno.Product) { p.Variants[0].Price.Amount = 0 }, ritorno.RecommendControls{}, nil, true},
		{"in cart", nil, ritorno.RecommendControls{}, []int64{2}, true},
		{"excluded product", nil, ritorno.RecommendControls{ExcludedProducts: []int64{2}}, nil, true},
		{"excluded tag", func(p *ritorno.Product) { p.Tags = []string{"Clearance"} }, ritorno.RecommendControls{ExcludedTags: []string{"clearance"}}, nil, true},
		{"excluded vendor", func(p *ritorno.Product) { p.Vendor = "ACME" }, ritorno.RecommendControls{ExcludedVendors: []string{"acme "}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			catalog := mustCatalog(t, 7)
			if tc.edit != nil {
				tc.edit(&catalog[1])
			}
			m := Build(1, togetherHistory(), catalog, tc.controls, Options{}, now0)
			req := Request{Placement: PlacementProduct, ProductID: 1, Limit: 10, Now: now0}
			if tc.cart != nil {
				req = Request{Placement: PlacementCart, Cart: append([]int64{1}, tc.cart...), Limit: 10, Now: now0}
			}
			got := ids(m.Recommend(req).Items)
			if slices.Contains(got, 2) == tc.gone {
				t.Errorf("items = %v; product 2 gone = %v, want %v", got, !slices.Contains(got, 2), tc.gone)
			}
			if slices.Contains(got, 1) {
				t.Errorf("the viewed product was recommended: %v", got)
			}
		})
	}
}

func TestVariantChoiceAndStockUpdate(t *testing.T) {
	catalog := mustCatalog(t, 7)
	catalog[1].Variants = []ritorno.Variant{
		{PlatformID: 23, Position: 3, Price: gbp(1300)},
		{PlatformID: 21, Position: 1, Price: gbp(1100), InventoryTracked: true},
		{PlatformID: 22, Position: 2, Price: gbp(1200), InventoryTracked: true, InventoryQuantity: 4},
	}
	m := Build(1, togetherHistory(), catalog, ritorno.RecommendControls{}, Options{}, now0)
	req := Request{Placement: PlacementProduct, ProductID: 1, Limit: 1, Now: now0}
	if it := m.Recommend(req).Items[0]; it.ProductID != 2 || it.VariantID != 22 || it.Price != gbp(1200) {
		t.Fatalf("item = %+v, want product 2 variant 22 at 12.00", it)
	}
	sold := catalog[1]
	sold.Variants = slices.Clone(sold.Variants)
	sold.Variants[0].InventoryTracked, sold.Variants[2].InventoryQuantity = true, 0
	m.UpsertProduct(sold)
	if got := ids(m.Recommend(req).Items); slices.Contains(got, 2) {
		t.Errorf("sold-out product still recommended: %v", got)
	}
}

func TestPinsAndMinEvidence(t *testing.T) {
	catalog := mustCatalog(t, 7)
	catalog[4].Status = ritorno.ProductDraft // pin 5 is not sellable
	controls := ritorno.RecommendControls{Pins: map[int64][]int64{1: {6, 5, 4}}, MinEvidence: 4,
		FallbackChain: []string{ritorno.SourcePinned, ritorno.SourceCrossSell}}
	m := Build(1, togetherHistory(), catalog, controls, Options{}, now0)
	resp := m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 5, Now: now0})
	if got := ids(resp.Items); !slices.Equal(got, []int64{6, 4, 2}) {
		t.Fatalf("items = %v, want pins 6, 4 then 2 (3 has 3 buyers < 4)", got)
	}
	if resp.Items[0].Source != ritorno.SourcePinned || resp.Items[2].Source != ritorno.SourceCrossSell {
		t.Errorf("sources = %+v", resp.Items)
	}
	if len(resp.Notes) == 0 || !strings.Contains(strings.Join(resp.Notes, "; "), "fewer than 4 buyers") {
		t.Errorf("notes = %v", resp.Notes)
	}
}

func TestTenantIsolation(t *testing.T) {
	other := mustProduct(t, 2, 999, func(p *ritorno.Product) { p.ShopID = 2; p.Title = "other shop's" })
	catalog := append([]ritorno.Product{other}, mustCatalog(t, 7)[2:]...)
	catalog = append(catalog, mustProduct(t, 1, 1000))
	a := Build(1, togetherHistory(), catalog, ritorno.RecommendControls{}, Options{}, now0)
	b := Build(2, nil, []ritorno.Product{other}, ritorno.RecommendControls{}, Options{}, now0)
	// Shop 1 knows product 2 from its orders but has no catalog entry for it: never shown.
	if got := ids(a.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 10, Now: now0}).Items); slices.Contains(got, 2) {
		t.Errorf("shop 1 shows shop 2's product: %v", got)
	}
	a.UpsertProduct(other) // a product of another shop is ignored
	if got := ids(a.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 10, Now: now0}).Items); slices.Contains(got, 2) {
		t.Errorf("upsert of shop 2's product reached shop 1: %v", got)
	}
	if s := b.Stats(); s.Orders != 0 || s.Catalog != 1 {
		t.Errorf("shop 2 stats = %+v", s)
	}
}

// snapshot is everything a model's answers depend on, by product id.
func snapshot(m *Model) map[string]any {
	out := map[string]any{}
	for _, p := range m.products {
		if p.orders == 0 && len(p.cross) == 0 {
			continue
		}
		var cross []string
		for _, e := range p.cross {
			cross = append(cross, fmt.Sprintf("%d:%.12g:%d:%d", m.products[e.p].id, e.score, e.buyers, e.orders))
		}
		out[fmt.Sprint("p", p.id)] = fmt.Sprint(p.orders, p.buyers, p.w, p.gapSum, p.gapN, cross)
	}
	lists := func(g *group) []int64 {
		var l []int64
		for _, e := range g.top {
			l = append(l, m.products[e.p].id)
		}
		return l
	}
	out["shop"] = lists(&m.shop)
	for _, g := range m.groups {
		out[g.name] = lists(g)
	}
	for id, b := range m.buyers {
		var owned []string
		for i, ow := range b.items {
			owned = append(owned, fmt.Sprint(m.products[i].id, len(ow.ords), ow.w, ow.first.Unix(), ow.last.Unix()))
		}
		slices.Sort(owned)
		out[fmt.Sprint("b", id)] = owned
	}
	out["units"] = m.units
	return out
}

// TestIncrementalEqualsRebuild applies random histories in random order, replaces and
// removes orders, and compares every list with a full rebuild on the final data.
func TestIncrementalEqualsRebuild(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			nProducts := 5 + rng.Intn(25)
			var catalog []ritorno.Product
			for id := int64(1); id <= int64(nProducts); id++ {
				p := mustProduct(t, id, 500+rng.Int63n(3000))
				p.Collections = []string{fmt.Sprint("c", rng.Intn(3))}
				catalog = append(catalog, p)
			}
			randomOrder := func(id int64) ritorno.Purchase {
				buyer := int64(rng.Intn(12)) // 0 = unknown buyer
				n := 1 + rng.Intn(5)
				var prods []int64
				for k := 0; k < n; k++ {
					prods = append(prods, 1+int64(rng.Intn(nProducts)))
				}
				return purchase(id, buyer, t0.Add(time.Duration(rng.Intn(400*24))*time.Hour), prods...)
			}
			final := map[int64]ritorno.Purchase{}
			var ops []ritorno.Purchase
			for id := int64(1); id <= int64(20+rng.Intn(80)); id++ {
				p := randomOrder(id)
				final[id], ops = p, append(ops, p)
			}
			rng.Shuffle(len(ops), func(a, b int) { ops[a], ops[b] = ops[b], ops[a] })
			opts := Options{K: 1 + rng.Intn(6), GroupListLen: 1 + rng.Intn(8)}
			start := rng.Intn(len(ops) + 1)
			inc := Build(1, ops[:start], catalog, ritorno.RecommendControls{}, opts, now0)
			for k, p := range ops[start:] {
				inc.ApplyPurchase(p)
				switch rng.Intn(5) {
				case 0: // replace an order already applied
					id := ops[rng.Intn(start+k+1)].OrderID
					np := randomOrder(id)
					final[id] = np
					inc.ApplyPurchase(np)
				case 1: // remove one
					id := ops[rng.Intn(start+k+1)].OrderID
					delete(final, id)
					if rng.Intn(2) == 0 {
						inc.RemovePurchase(id)
					} else {
						inc.ApplyPurchase(ritorno.Purchase{OrderID: id})
					}
				}
			}
			var all []ritorno.Purchase
			for _, p := range final {
				all = append(all, p)
			}
			full := Build(1, all, catalog, ritorno.RecommendControls{}, opts, now0)
			if a, b := snapshot(inc), snapshot(full); !reflect.DeepEqual(a, b) {
				for k := range b {
					if !reflect.DeepEqual(a[k], b[k]) {
						t.Errorf("%s: incremental %v, rebuild %v", k, a[k], b[k])
					}
				}
				for k := range a {
					if _, ok := b[k]; !ok {
						t.Errorf("%s only in the incremental model: %v", k, a[k])
					}
				}
			}
			// And the answers agree.
			for id := int64(1); id <= int64(nProducts); id++ {
				req := Request{Placement: PlacementProduct, ProductID: id, Limit: 5, Now: now0}
				if a, b := inc.Recommend(req), full.Recommend(req); !reflect.DeepEqual(a, b) {
					t.Fatalf("product %d: incremental %+v, rebuild %+v", id, a, b)
				}
			}
		})
	}
}

func TestConcurrentReadsDuringUpdates(t *testing.T) {
	m := Build(1, togetherHistory(), mustCatalog(t, 7), ritorno.RecommendControls{}, Options{}, now0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := int64(0); k < 200; k++ {
			m.ApplyPurchase(purchase(1000+k, k%7, now0, 1+k%7, 1+(k+3)%7))
			if k%10 == 0 {
				m.UpsertProduct(mustProduct(t, 1+k%7, 1000+k))
			}
		}
	}()
	for {
		select {
		case <-done:
			if s := m.Stats(); s.Orders != 234 {
				t.Errorf("orders = %d", s.Orders)
			}
			return
		default:
			m.Recommend(Request{Placement: PlacementCart, Cart: []int64{1, 2}, Customer: 3, Now: now0})
			m.Recommend(Request{Placement: PlacementForYou, Customer: 3, Now: now0})
		}
	}
}

// withoutEmptyGroups drops the best-seller lists of groups left empty: an incremental
// model keeps a collection that lost its last product, a rebuild never creates it.
func withoutEmptyGroups(s map[string]any) map[string]any {
	for k, v := range s {
		if l, ok := v.([]int64); ok && len(l) == 0 {
			delete(s, k)
		}
	}
	return s
}

// TestIncrementalBatchesEqualRebuild covers what the single-order property test does not:
// batches mixing new, replaced, identically re-sent and removed orders (so that weights
// rise, fall or stay within one update), and products moving between collections, with
// short lists so that the K-th entry is often the one that moves.
func TestIncrementalBatchesEqualRebuild(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			nProducts := 5 + rng.Intn(35)
			catalog := map[int64]ritorno.Product{}
			setCollection := func(id int64) ritorno.Product {
				p := mustProduct(t, id, 500+rng.Int63n(3000))
				p.Collections = []string{fmt.Sprint("c", rng.Intn(4))}
				catalog[id] = p
				return p
			}
			var initial []ritorno.Product
			for id := int64(1); id <= int64(nProducts); id++ {
				initial = append(initial, setCollection(id))
			}
			randomOrder := func(id int64) ritorno.Purchase {
				var prods []int64
				for k := 0; k < 1+rng.Intn(5); k++ {
					prods = append(prods, 1+int64(rng.Intn(nProducts)))
				}
				return purchase(id, int64(rng.Intn(10)), t0.Add(time.Duration(rng.Intn(400*24))*time.Hour), prods...)
			}
			final := map[int64]ritorno.Purchase{}
			var start []ritorno.Purchase
			for id := int64(1); id <= int64(10+rng.Intn(60)); id++ {
				p := randomOrder(id)
				final[id], start = p, append(start, p)
			}
			opts := Options{K: 1 + rng.Intn(5), GroupListLen: 1 + rng.Intn(6)}
			inc := Build(1, start, initial, ritorno.RecommendControls{}, opts, now0)
			nextID := int64(1000)
			anyID := func() int64 { // an order applied at some point, perhaps removed since
				k := rng.Int63n(nextID - 1000 + int64(len(start)))
				if k < int64(len(start)) {
					return start[k].OrderID
				}
				return 1001 + k - int64(len(start))
			}
			for round := 0; round < 40; round++ {
				var batch []ritorno.Purchase
				for k := 0; k < 1+rng.Intn(6); k++ {
					switch rng.Intn(6) {
					case 0, 1: // a new order
						nextID++
						p := randomOrder(nextID)
						final[p.OrderID], batch = p, append(batch, p)
					case 2: // replaced with other items
						p := randomOrder(anyID())
						final[p.OrderID], batch = p, append(batch, p)
					case 3: // sent again unchanged: no weight moves
						if p, ok := final[anyID()]; ok {
							batch = append(batch, p)
						}
					case 4: // removed inside the batch
						id := anyID()
						delete(final, id)
						batch = append(batch, ritorno.Purchase{OrderID: id})
					case 5: // removed on its own, after the batch so far
						inc.ApplyPurchases(batch)
						batch = nil
						id := anyID()
						delete(final, id)
						inc.RemovePurchase(id)
					}
				}
				inc.ApplyPurchases(batch)
				if rng.Intn(4) == 0 {
					inc.UpsertProduct(setCollection(1 + rng.Int63n(int64(nProducts))))
				}
			}
			var all []ritorno.Purchase
			for _, p := range final {
				all = append(all, p)
			}
			var cat []ritorno.Product
			for _, p := range catalog {
				cat = append(cat, p)
			}
			full := Build(1, all, cat, ritorno.RecommendControls{}, opts, now0)
			if a, b := withoutEmptyGroups(snapshot(inc)), withoutEmptyGroups(snapshot(full)); !reflect.DeepEqual(a, b) {
				for k := range b {
					if !reflect.DeepEqual(a[k], b[k]) {
						t.Errorf("%s: incremental %v, rebuild %v", k, a[k], b[k])
					}
				}
				for k := range a {
					if _, ok := b[k]; !ok {
						t.Errorf("%s only in the incremental model: %v", k, a[k])
					}
				}
			}
			for id := int64(1); id <= int64(nProducts); id++ {
				req := Request{Placement: PlacementProduct, ProductID: id, Limit: 5, Now: now0}
				if a, b := inc.Recommend(req), full.Recommend(req); !reflect.DeepEqual(a, b) {
					t.Fatalf("product %d: incremental %+v, rebuild %+v", id, a, b)
				}
			}
		})
	}
}

// mustRecommendWithin answers req, failing the test if that takes longer than d (a reader
// blocked behind the writer would never return while the writer is held).
func mustRecommendWithin(t *testing.T, m *Model, req Request, d time.Duration) Response {
	t.Helper()
	got := make(chan Response, 1)
	go func() { got <- m.Recommend(req) }()
	select {
	case r := <-got:
		return r
	case <-time.After(d):
		t.Fatalf("Recommend did not return within %v while the writer recomputed lists", d)
		return Response{}
	}
}

// TestReadersDoNotWaitForRecomputation holds an update between its statistics change and
// its list swap: reads answer meanwhile, from the lists before the update, and see the new
// lists once it finishes.
func TestReadersDoNotWaitForRecomputation(t *testing.T) {
	m := Build(1, togetherHistory(), mustCatalog(t, 7), ritorno.RecommendControls{}, Options{}, now0)
	req := Request{Placement: PlacementProduct, ProductID: 1, Limit: 3, Only: KindCrossSell, Now: now0}
	before := ids(m.Recommend(req).Items) // 2, 3, then the best-seller 7
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	m.recomputing = func() {
		close(held)
		<-release
	}
	// Six buyers now buy 1 with 6: 6 overtakes 2 and 3 in product 1's list.
	var batch []ritorno.Purchase
	for b := int64(50); b < 56; b++ {
		batch = append(batch, purchase(500+b, b, now0.Add(-day), 1, 6))
	}
	go func() {
		defer close(done)
		m.ApplyPurchases(batch)
	}()
	<-held
	if got := ids(mustRecommendWithin(t, m, req, 10*time.Second).Items); !slices.Equal(got, before) {
		t.Errorf("during the update: %v, want the previous answer %v", got, before)
	}
	if s := m.Stats(); s.Orders != len(togetherHistory())+len(batch) {
		t.Errorf("during the update: orders = %d, want the new statistics", s.Orders)
	}
	close(release)
	<-done
	if got := ids(m.Recommend(req).Items); len(got) == 0 || got[0] != 6 {
		t.Errorf("after the update: %v, want 6 first", got)
	}
}

// TestNotesNameAMissingCatalog: purchases without catalog entries give no items, and the
// notes say the catalog is missing rather than blaming evidence; with part of the
// catalog, the notes count the candidates it lacks.
func TestNotesNameAMissingCatalog(t *testing.T) {
	controls := ritorno.RecommendControls{MinEvidence: 4}
	m := Build(1, togetherHistory(), nil, controls, Options{}, now0)
	resp := m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 5, Now: now0})
	notes := strings.Join(resp.Notes, "; ")
	if len(resp.Items) != 0 || !strings.Contains(notes, "the catalog is missing: none of the 7 products") || strings.Contains(notes, "evidence") {
		t.Fatalf("no catalog: items %v, notes %q", ids(resp.Items), notes)
	}

	m = Build(1, togetherHistory(), mustCatalog(t, 7)[4:], controls, Options{}, now0) // products 5, 6, 7 only
	resp = m.Recommend(Request{Placement: PlacementProduct, ProductID: 1, Limit: 5, Now: now0})
	notes = strings.Join(resp.Notes, "; ")
	if !strings.Contains(notes, "candidate items are missing from the catalog") || strings.Contains(notes, "the catalog is missing") {
		t.Fatalf("part of a catalog: items %v, notes %q", ids(resp.Items), notes)
	}
}
