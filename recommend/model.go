// Package recommend computes a shop's recommendations — cross-sell (frequently bought
// together), up-sell (a better alternative), buy again (replenishment) and a personal
// "for you" mix — from its purchases and catalog. It precomputes top-K lists per product
// and per collection, updates them incrementally as orders and products arrive, and
// answers a request by reading those lists and filtering them (ARCHITECTURE rule 9).
//
// Recency weighting is exact under incremental updates: an order's weight is a fixed-point
// integer 2^(24 + (At − epoch)/HalfLife), clamped to [1, 2^40], where the epoch is the
// `now` given to Build. Sums of integers do not depend on the order in which orders are
// added or removed, so an incrementally updated model holds the same sums, and therefore
// the same lists, as a full rebuild with the same `now`. Scores are ratios of such sums
// (cosine), so the common factor 2^((now − epoch)/HalfLife) cancels at scoring time.
package recommend

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// Options tune a model. Zero values mean the documented defaults, which are fixed (not fitted
// to one store) and explained in docs/recommendations.md.
type Options struct {
	// K is the length of each precomputed per-product list (default 50).
	K int
	// HalfLife is the age at which an order counts half (default 180 days: two seasons, so
	// that last year's season still counts a quarter). Negative disables recency weighting.
	HalfLife time.Duration
	// Shrinkage is the number of distinct co-buyers at which a pair's similarity counts half
	// (default 2): small counts are noise in a small store.
	Shrinkage float64
	// GroupListLen is the length of each precomputed best-seller list per collection, product
	// type and the whole shop (default 4K).
	GroupListLen int
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = 50
	}
	if o.HalfLife == 0 {
		o.HalfLife = 180 * 24 * time.Hour
	}
	if o.Shrinkage <= 0 {
		o.Shrinkage = 2
	}
	if o.GroupListLen <= 0 {
		o.GroupListLen = 4 * o.K
	}
	return o
}

const (
	weightScaleExp = 24 // an order at the epoch weighs 2^24
	weightMaxExp   = 40 // 2^40 × a million orders stays below 2^64
)

// pair is what two products share: orders containing both, distinct buyer units that bought
// both in one order, and the recency-weighted sum of those orders.
type pair struct {
	orders, buyers int32
	w              uint64
}

// entry is one item of a precomputed list.
type entry struct {
	p      int32
	score  float64
	buyers int32 // the pair's co-buyers when the list was computed (cross-sell)
	orders int32
}

type product struct {
	id     int64
	cat    *ritorno.Product // nil until the catalog names it
	groups []int32          // collection and product-type groups
	// read-time facts, recomputed on UpsertProduct
	sellable bool
	variant  int // index into cat.Variants of the variant shown, -1 when none
	price    ritorno.Money
	// purchase statistics
	orders int32
	buyers int32
	w      uint64
	gapSum int64 // seconds between first and last purchase, summed over buyers
	gapN   int64 // repeat purchases, summed over buyers
	pairs  map[int32]*pair
	cross  []entry
	// inCross holds the products whose cross-sell list contains this one: when this
	// product's weight grows, only those lists can change.
	inCross map[int32]struct{}
}

type order struct {
	id    int64
	buyer int64 // 0 = unknown: the order is its own buyer unit
	at    time.Time
	w     uint64
	items []int32 // sorted, distinct
	price []ritorno.Money
}

// owned is what one buyer's orders say about one product.
type owned struct {
	ords        []*order // the buyer's orders containing the product
	first, last time.Time
	w           uint64
}

type buyer struct {
	orders int
	items  map[int32]*owned
}

type group struct {
	name    string
	members []int32
	top     []entry // by weighted orders, then product id
}

// Model is a shop's precomputed recommendations. Many goroutines may call Recommend and
// Stats while one goroutine applies updates.
type Model struct {
	mu       sync.RWMutex
	shopID   int64
	opts     Options
	epoch    time.Time
	controls controls

	index    map[int64]int32
	products []*product
	orders   map[int64]*order
	buyers   map[int64]*buyer
	units    int64 // buyer units (known buyers plus orders of unknown buyers)
	groupIdx map[string]int32
	groups   []*group
	shop     group // every product
	currency string
}

// Build precomputes a shop's top-K lists from its purchases and catalog.
func Build(shopID int64, purchases []ritorno.Purchase, catalog []ritorno.Product, controls ritorno.RecommendControls, opts Options, now time.Time) *Model {
	m := &Model{shopID: shopID, opts: opts.withDefaults(), epoch: now,
		index: map[int64]int32{}, orders: map[int64]*order{}, buyers: map[int64]*buyer{}, groupIdx: map[string]int32{}}
	m.shop.name = "shop"
	m.controls = compileControls(controls)
	for i := range catalog {
		if catalog[i].ShopID != 0 && catalog[i].ShopID != shopID {
			continue // another tenant's product never enters this model
		}
		m.setProduct(catalog[i])
	}
	for _, p := range purchases {
		if len(p.Items) == 0 {
			continue
		}
		if _, dup := m.orders[p.OrderID]; dup {
			m.removeOrder(p.OrderID, nil)
		}
		m.addOrder(p, nil)
	}
	for i := range m.products {
		m.computeCross(int32(i))
	}
	m.recomputeGroup(&m.shop)
	for _, g := range m.groups {
		m.recomputeGroup(g)
	}
	return m
}

func (m *Model) weight(t time.Time) uint64 {
	if m.opts.HalfLife < 0 {
		return 1
	}
	x := weightScaleExp + float64(t.Sub(m.epoch))/float64(m.opts.HalfLife)
	switch {
	case x <= 0:
		return 1
	case x >= weightMaxExp:
		return 1 << weightMaxExp
	}
	return uint64(math.Exp2(x))
}

// decayAt is the factor that turns a sum of weights into "orders as counted at now".
func (m *Model) decayAt(now time.Time) float64 {
	if m.opts.HalfLife < 0 {
		return 1
	}
	x := weightScaleExp + float64(now.Sub(m.epoch))/float64(m.opts.HalfLife)
	return math.Exp2(-x)
}

func (m *Model) intern(id int64) int32 {
	if i, ok := m.index[id]; ok {
		return i
	}
	i := int32(len(m.products))
	m.index[id] = i
	m.products = append(m.products, &product{id: id, variant: -1, pairs: map[int32]*pair{}, inCross: map[int32]struct{}{}})
	m.shop.members = append(m.shop.members, i)
	return i
}

func (m *Model) groupOf(name string) int32 {
	if g, ok := m.groupIdx[name]; ok {
		return g
	}
	g := int32(len(m.groups))
	m.groupIdx[name] = g
	m.groups = append(m.groups, &group{name: name})
	return g
}

// setProduct records a catalog product and returns the groups whose membership changed.
func (m *Model) setProduct(cp ritorno.Product) []int32 {
	i := m.intern(cp.PlatformID)
	p := m.products[i]
	c := cp
	c.Variants = slices.Clone(cp.Variants)
	sort.SliceStable(c.Variants, func(a, b int) bool { return c.Variants[a].Position < c.Variants[b].Position })
	p.cat = &c
	p.variant = -1
	p.price = ritorno.Money{}
	for vi, v := range c.Variants {
		if v.InStock() && !v.GiftCard && v.Price.Amount > 0 {
			p.variant, p.price = vi, v.Price
			break
		}
	}
	p.sellable = c.IsSellable() && p.variant >= 0
	if p.price.Currency != "" && m.currency == "" {
		m.currency = p.price.Currency
	}
	var groups []int32
	for _, col := range c.Collections {
		if col = strings.ToLower(strings.TrimSpace(col)); col != "" {
			groups = append(groups, m.groupOf("collection:"+col))
		}
	}
	if t := strings.ToLower(strings.TrimSpace(c.ProductType)); t != "" {
		groups = append(groups, m.groupOf("type:"+t))
	}
	slices.Sort(groups)
	groups = slices.Compact(groups)
	if slices.Equal(groups, p.groups) {
		return nil
	}
	changed := append(slices.Clone(p.groups), groups...)
	for _, g := range p.groups {
		gr := m.groups[g]
		gr.members = slices.DeleteFunc(gr.members, func(x int32) bool { return x == i })
	}
	for _, g := range groups {
		m.groups[g].members = append(m.groups[g].members, i)
	}
	p.groups = groups
	slices.Sort(changed)
	return slices.Compact(changed)
}

// dirty collects the lists an update must recompute.
type dirty map[int32]struct{}

func (d dirty) add(i int32) {
	if d != nil {
		d[i] = struct{}{}
	}
}

// addOrder adds a purchase's statistics. With d nil (Build) lists are computed afterwards;
// otherwise the lists that may change are marked in d and best-seller lists are kept up to
// date as each product's weight grows.
func (m *Model) addOrder(pu ritorno.Purchase, d dirty) {
	o := &order{id: pu.OrderID, buyer: pu.Buyer, at: pu.At, w: m.weight(pu.At)}
	seen := map[int32]int{}
	for _, it := range pu.Items {
		if it.ProductID == 0 || it.Quantity <= 0 {
			continue
		}
		i := m.intern(it.ProductID)
		if k, ok := seen[i]; ok {
			if it.UnitPrice.Amount > o.price[k].Amount {
				o.price[k] = it.UnitPrice
			}
			continue
		}
		seen[i] = len(o.items)
		o.items = append(o.items, i)
		o.price = append(o.price, it.UnitPrice)
	}
	if len(o.items) == 0 {
		return
	}
	// Sort items and prices together.
	idx := make([]int, len(o.items))
	for k := range idx {
		idx[k] = k
	}
	sort.Slice(idx, func(a, b int) bool { return o.items[idx[a]] < o.items[idx[b]] })
	items, prices := make([]int32, len(idx)), make([]ritorno.Money, len(idx))
	for k, j := range idx {
		items[k], prices[k] = o.items[j], o.price[j]
	}
	o.items, o.price = items, prices
	m.orders[o.id] = o

	var b *buyer
	if o.buyer != 0 {
		b = m.buyers[o.buyer]
		if b == nil {
			b = &buyer{items: map[int32]*owned{}}
			m.buyers[o.buyer] = b
			m.units++
		}
	} else {
		m.units++
	}
	prior := b.coboughtMatrix(o.items, nil)
	n := len(o.items)
	for x, i := range o.items {
		p := m.products[i]
		p.orders++
		p.w += o.w
		if b == nil {
			p.buyers++ // a known buyer is counted by setOwned
		}
		for y := x + 1; y < n; y++ {
			j := o.items[y]
			pp := p.pairs[j]
			if pp == nil {
				pp = &pair{}
				p.pairs[j] = pp
				m.products[j].pairs[i] = pp
			}
			pp.orders++
			pp.w += o.w
			if prior == nil || !prior[x*n+y] {
				pp.buyers++
			}
		}
	}
	if b != nil {
		b.orders++
		for _, i := range o.items {
			m.own(b, i, o)
		}
	}
	if d != nil {
		for _, i := range o.items {
			d.add(i)
		}
		for _, j := range o.items {
			// j's weight grew, so its score fell in every list holding it; other lists
			// do not change.
			for i := range m.products[j].inCross {
				if _, ok := d[i]; !ok {
					m.lowered(i, j, d)
				}
			}
			m.raiseInGroups(j)
		}
	}
}

// lowered updates list i after j's score in it fell (only j's weight changed since the list
// was exact): j moves down in place while it stays ahead of the last entry; otherwise an
// item outside the list may now beat it, and the list is recomputed.
func (m *Model) lowered(i, j int32, d dirty) {
	list := m.products[i].cross
	k := slices.IndexFunc(list, func(e entry) bool { return e.p == j })
	if k < 0 {
		return
	}
	e := list[k]
	e.score = m.similarity(i, j, m.products[i].pairs[j])
	last := len(list) - 1
	if len(list) == m.opts.K && (k == last || !better(e, list[last], m.products)) {
		d.add(i)
		return
	}
	list = slices.Delete(list, k, k+1)
	at := sort.Search(len(list), func(x int) bool { return better(e, list[x], m.products) })
	m.products[i].cross = slices.Insert(list, at, e)
}

// removeOrder subtracts an order's statistics; d marks every list that may change.
func (m *Model) removeOrder(id int64, d dirty) {
	o := m.orders[id]
	if o == nil {
		return
	}
	delete(m.orders, id)
	var b *buyer
	if o.buyer != 0 {
		b = m.buyers[o.buyer]
		b.orders--
	}
	prior := b.coboughtMatrix(o.items, o)
	n := len(o.items)
	for x, i := range o.items {
		p := m.products[i]
		p.orders--
		p.w -= o.w
		for y := x + 1; y < n; y++ {
			j := o.items[y]
			pp := p.pairs[j]
			pp.orders--
			pp.w -= o.w
			if prior == nil || !prior[x*n+y] {
				pp.buyers--
			}
			if pp.orders == 0 {
				delete(p.pairs, j)
				delete(m.products[j].pairs, i)
			}
		}
	}
	for _, i := range o.items {
		if b == nil {
			m.products[i].buyers--
		} else {
			m.disown(b, i, o)
		}
	}
	if b == nil {
		m.units--
	} else if b.orders == 0 {
		delete(m.buyers, o.buyer)
		m.units--
	}
	if d != nil {
		for _, i := range o.items {
			p := m.products[i]
			d.add(i)
			for j := range p.pairs {
				d.add(j)
			}
			for j := range p.inCross {
				d.add(j)
			}
		}
		for _, i := range o.items {
			m.lowerInGroups(i)
		}
	}
}

// coboughtMatrix marks, for each pair of positions (x < y) in items, whether another of the
// buyer's orders (not skip) contains both products: the pair's buyer count changes only
// when none does. It walks only the buyer's orders that share a product with items.
func (b *buyer) coboughtMatrix(items []int32, skip *order) []bool {
	if b == nil || len(items) < 2 {
		return nil
	}
	var shared map[*order][]int
	for x, i := range items {
		ow := b.items[i]
		if ow == nil {
			continue
		}
		for _, o := range ow.ords {
			if o == skip {
				continue
			}
			if shared == nil {
				shared = map[*order][]int{}
			}
			shared[o] = append(shared[o], x)
		}
	}
	if shared == nil {
		return nil
	}
	n := len(items)
	prior := make([]bool, n*n)
	for _, pos := range shared {
		for a := range pos {
			for c := a + 1; c < len(pos); c++ {
				prior[pos[a]*n+pos[c]] = true
			}
		}
	}
	return prior
}

// own records that the buyer's order o contains product i, keeping the product's buyer count
// and reorder-interval sums in step.
func (m *Model) own(b *buyer, i int32, o *order) {
	p := m.products[i]
	ow := b.items[i]
	if ow == nil {
		ow = &owned{first: o.at, last: o.at}
		b.items[i] = ow
		p.buyers++
	} else {
		p.gapSum -= ow.gapSeconds()
		p.gapN -= int64(len(ow.ords) - 1)
	}
	ow.ords = append(ow.ords, o)
	ow.w += o.w
	if o.at.Before(ow.first) {
		ow.first = o.at
	}
	if o.at.After(ow.last) {
		ow.last = o.at
	}
	p.gapSum += ow.gapSeconds()
	p.gapN += int64(len(ow.ords) - 1)
}

// disown removes order o from what the buyer's orders say about product i.
func (m *Model) disown(b *buyer, i int32, o *order) {
	p := m.products[i]
	ow := b.items[i]
	p.gapSum -= ow.gapSeconds()
	p.gapN -= int64(len(ow.ords) - 1)
	ow.ords = slices.DeleteFunc(ow.ords, func(x *order) bool { return x == o })
	if len(ow.ords) == 0 {
		delete(b.items, i)
		p.buyers--
		return
	}
	ow.w -= o.w
	ow.first, ow.last = ow.ords[0].at, ow.ords[0].at
	for _, x := range ow.ords {
		if x.at.Before(ow.first) {
			ow.first = x.at
		}
		if x.at.After(ow.last) {
			ow.last = x.at
		}
	}
	p.gapSum += ow.gapSeconds()
	p.gapN += int64(len(ow.ords) - 1)
}

func (ow *owned) gapSeconds() int64 { return int64(ow.last.Sub(ow.first) / time.Second) }

// similarity is the cross-sell score of j for i: the cosine of the two products' weighted
// order vectors, shrunk towards zero for few co-buyers. Cosine divides by both products'
// weights, so a best-seller does not top every list merely by being everywhere.
func (m *Model) similarity(i, j int32, pp *pair) float64 {
	wi, wj := float64(m.products[i].w), float64(m.products[j].w)
	if wi == 0 || wj == 0 {
		return 0
	}
	b := float64(pp.buyers)
	return float64(pp.w) / math.Sqrt(wi*wj) * b / (b + m.opts.Shrinkage)
}

func better(a, b entry, ids []*product) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return ids[a.p].id < ids[b.p].id
}

// computeCross recomputes product i's cross-sell list from all its pairs.
func (m *Model) computeCross(i int32) {
	p := m.products[i]
	for _, e := range p.cross {
		delete(m.products[e.p].inCross, i)
	}
	list := make([]entry, 0, min(len(p.pairs), m.opts.K+1))
	for j, pp := range p.pairs {
		if pp.buyers <= 0 {
			continue
		}
		e := entry{p: j, score: m.similarity(i, j, pp), buyers: pp.buyers, orders: pp.orders}
		if len(list) == m.opts.K && !better(e, list[len(list)-1], m.products) {
			continue
		}
		k := sort.Search(len(list), func(k int) bool { return better(e, list[k], m.products) })
		list = slices.Insert(list, k, e)
		if len(list) > m.opts.K {
			list = list[:m.opts.K]
		}
	}
	if len(list) == 0 {
		list = nil
	}
	p.cross = list
	for _, e := range list {
		m.products[e.p].inCross[i] = struct{}{}
	}
}

func (m *Model) popEntry(i int32) entry {
	p := m.products[i]
	return entry{p: i, score: float64(p.w), buyers: p.buyers, orders: p.orders}
}

func (m *Model) recomputeGroup(g *group) {
	list := make([]entry, 0, len(g.members))
	for _, i := range g.members {
		if m.products[i].orders > 0 {
			list = append(list, m.popEntry(i))
		}
	}
	sort.Slice(list, func(a, b int) bool { return better(list[a], list[b], m.products) })
	if len(list) > m.opts.GroupListLen {
		list = list[:m.opts.GroupListLen]
	}
	g.top = slices.Clip(list)
}

// raise keeps a best-seller list exact after product i's weight grew (no other changed).
func (m *Model) raise(g *group, i int32) {
	e := m.popEntry(i)
	k := slices.IndexFunc(g.top, func(x entry) bool { return x.p == i })
	if k >= 0 {
		g.top = slices.Delete(g.top, k, k+1)
	} else if len(g.top) >= m.opts.GroupListLen && !better(e, g.top[len(g.top)-1], m.products) {
		return
	}
	at := sort.Search(len(g.top), func(x int) bool { return better(e, g.top[x], m.products) })
	g.top = slices.Insert(g.top, at, e)
	if len(g.top) > m.opts.GroupListLen {
		g.top = g.top[:m.opts.GroupListLen]
	}
}

func (m *Model) raiseInGroups(i int32) {
	m.raise(&m.shop, i)
	for _, g := range m.products[i].groups {
		m.raise(m.groups[g], i)
	}
}

func (m *Model) lowerInGroups(i int32) {
	in := func(g *group) bool { return slices.ContainsFunc(g.top, func(x entry) bool { return x.p == i }) }
	if in(&m.shop) {
		m.recomputeGroup(&m.shop)
	}
	for _, g := range m.products[i].groups {
		if in(m.groups[g]) {
			m.recomputeGroup(m.groups[g])
		}
	}
}

func (m *Model) flush(d dirty) {
	for i := range d {
		m.computeCross(i)
	}
}

// ApplyPurchase adds an order, or replaces an order already applied (idempotent by
// OrderID); an order with no items removes it.
func (m *Model) ApplyPurchase(p ritorno.Purchase) { m.ApplyPurchases([]ritorno.Purchase{p}) }

// ApplyPurchases applies several orders, recomputing each affected list once.
func (m *Model) ApplyPurchases(ps []ritorno.Purchase) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := dirty{}
	for _, p := range ps {
		m.removeOrder(p.OrderID, d)
		if len(p.Items) > 0 {
			m.addOrder(p, d)
		}
	}
	m.flush(d)
}

// RemovePurchase removes an order (cancelled, fully refunded, deleted).
func (m *Model) RemovePurchase(orderID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := dirty{}
	m.removeOrder(orderID, d)
	m.flush(d)
}

// UpsertProduct records a catalog change; status, stock, price and variants take effect on
// the next read (they are read-time filters), collections and type move the product between
// best-seller lists at once.
func (m *Model) UpsertProduct(p ritorno.Product) {
	if p.ShopID != 0 && p.ShopID != m.shopID {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.setProduct(p) {
		m.recomputeGroup(m.groups[g])
	}
}

// SetControls replaces the merchant's controls; the next read applies them.
func (m *Model) SetControls(c ritorno.RecommendControls) {
	cc := compileControls(c)
	m.mu.Lock()
	m.controls = cc
	m.mu.Unlock()
}

// Stats describe a model's size.
type Stats struct {
	ShopID   int64 `json:"shop_id"`
	Products int   `json:"products"`
	Catalog  int   `json:"catalog"`
	Orders   int   `json:"orders"`
	Buyers   int   `json:"buyers"`
	Pairs    int   `json:"pairs"`
	// Bytes is an estimate of the memory the model holds (maps counted at ~48 bytes per
	// entry beyond their key and value).
	Bytes int64 `json:"approx_bytes"`
}

// Stats returns the model's size.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Stats{ShopID: m.shopID, Products: len(m.products), Orders: len(m.orders), Buyers: len(m.buyers)}
	const mapEntry = 48
	var bytes int64
	for _, p := range m.products {
		if p.cat != nil {
			s.Catalog++
			bytes += 512 + int64(len(p.cat.Variants))*160
		}
		s.Pairs += len(p.pairs)
		bytes += 200 + int64(len(p.pairs))*(mapEntry+12) + int64(len(p.inCross))*(mapEntry+4) + int64(cap(p.cross))*24
	}
	s.Pairs /= 2
	bytes += int64(s.Pairs) * 24 // pair structs (shared by both directions)
	for _, o := range m.orders {
		bytes += 96 + mapEntry + int64(len(o.items))*(4+24)
	}
	for _, b := range m.buyers {
		bytes += 64 + mapEntry + int64(len(b.items))*(mapEntry+64)
		for _, ow := range b.items {
			bytes += int64(cap(ow.ords)) * 8
		}
	}
	bytes += int64(len(m.index)) * (mapEntry + 12)
	for _, g := range m.groups {
		bytes += int64(len(g.members))*4 + int64(cap(g.top))*24
	}
	bytes += int64(cap(m.shop.top)) * 24
	s.Bytes = bytes
	return s
}
