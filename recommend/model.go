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
	buyers int32 // the pair's co-buyers when the list was computed (cross-sell)
	orders int32
	score  float64
	// w is the pair's weighted orders when the list was computed (cross-sell): while the
	// pair is unchanged the entry can be rescored without looking the pair up.
	w uint64
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
	// spare is the array cross used before the last update published a new one: no reader
	// can still hold it, so the writer builds the next list in it instead of allocating.
	spare []entry
	// inCross holds the products whose cross-sell list contains this one: when this
	// product's weight grows, only those lists can change. Only the writer reads it.
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
// Stats while updates are applied; updates run one at a time.
//
// An update holds the read-write lock only while it changes the purchase statistics and,
// later, while it swaps in the lists it recomputed; it recomputes them between the two with
// the lock released, so readers keep answering from the previous lists meanwhile (at most
// one update stale). That is safe because only the writer mutates anything, and the
// recomputation writes only into arrays no reader can see.
type Model struct {
	wmu sync.Mutex   // serialises writers for the whole update, recomputation included
	mu  sync.RWMutex // readers against the writer's mutations and swaps

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

	// cataloged counts the products with a catalog entry: none means the catalog is missing.
	cataloged int

	// flags is the writer's per-product scratch (flag* bits), guarded by wmu and zero
	// between updates.
	flags []uint8
	// recomputing, when set, is called by the writer after it released the lock and before
	// it recomputes lists; tests use it to hold an update there.
	recomputing func()
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
	m.growFlags()
	for i := range m.products {
		list := m.crossList(int32(i), nil)
		m.products[i].cross = list
		m.reindex(int32(i), nil, list)
	}
	m.shop.top = m.groupList(&m.shop)
	for _, g := range m.groups {
		g.top = m.groupList(g)
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
	if p.cat == nil {
		m.cataloged++
	}
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

// Bits of Model.flags.
const (
	flagTouched  = 1 << iota // in an order the update added or removed
	flagUp                   // touched, and its weight grew
	flagDown                 // touched, and its weight fell
	flagAffected             // its cross-sell list is to be checked (not touched)
	flagMark                 // transient: in the list being merged or reindexed
)

// change records the products an update's orders touched, with their weights before it:
// only their lists, and the lists their changed weights reach, can differ afterwards.
type change struct {
	touched []int32
	before  []uint64
}

// touch records product i before an order changes its statistics (ch nil: Build).
func (m *Model) touch(ch *change, i int32) {
	if ch == nil {
		return
	}
	m.growFlags()
	if m.flags[i]&flagTouched != 0 {
		return
	}
	m.flags[i] |= flagTouched
	ch.touched = append(ch.touched, i)
	ch.before = append(ch.before, m.products[i].w)
}

func (m *Model) growFlags() {
	if n := len(m.products) - len(m.flags); n > 0 {
		m.flags = append(m.flags, make([]uint8, n)...)
	}
}

// addOrder adds a purchase's statistics, recording the products it touches in ch; lists
// are recomputed afterwards.
func (m *Model) addOrder(pu ritorno.Purchase, ch *change) {
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
		m.touch(ch, i)
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
}

// removeOrder subtracts an order's statistics, recording the products it touches in ch.
func (m *Model) removeOrder(id int64, ch *change) {
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
		m.touch(ch, i)
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
func (m *Model) similarity(i, j int32, pp *pair) float64 { return m.cosine(i, j, pp.w, pp.buyers) }

// cosine is similarity given the pair's weighted orders and co-buyers.
func (m *Model) cosine(i, j int32, w uint64, buyers int32) float64 {
	wi, wj := float64(m.products[i].w), float64(m.products[j].w)
	if wi == 0 || wj == 0 {
		return 0
	}
	b := float64(buyers)
	return float64(w) / math.Sqrt(wi*wj) * b / (b + m.opts.Shrinkage)
}

// pairEntry is j's entry in i's cross-sell list.
func (m *Model) pairEntry(i, j int32, pp *pair) entry {
	return entry{p: j, score: m.similarity(i, j, pp), buyers: pp.buyers, orders: pp.orders, w: pp.w}
}

func better(a, b entry, ids []*product) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return ids[a.p].id < ids[b.p].id
}

// crossList computes product i's cross-sell list from all its pairs, building it in buf's
// array when buf has one.
func (m *Model) crossList(i int32, buf []entry) []entry {
	p := m.products[i]
	list := buf[:0]
	if list == nil {
		list = make([]entry, 0, min(len(p.pairs), m.opts.K+1))
	}
	for j, pp := range p.pairs {
		if pp.buyers <= 0 {
			continue
		}
		list = m.offer(list, m.pairEntry(i, j, pp), m.opts.K)
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// offer inserts e into list (best first) when it ranks among the best n.
func (m *Model) offer(list []entry, e entry, n int) []entry {
	if len(list) >= n && !better(e, list[n-1], m.products) {
		return list
	}
	k := sort.Search(len(list), func(k int) bool { return better(e, list[k], m.products) })
	list = slices.Insert(list, k, e)
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// shiftedCross is product j's list after an update whose orders did not contain j: j's
// pairs and weight are as before, so only the scores of products whose weight changed
// moved. It keeps the other entries, rescores those products and merges them back in.
// That equals a full recomputation unless the old K-th entry lost ground: products left
// out of the old list ranked below it and may now rank above the new K-th, so ok is false
// and the caller recomputes (the returned slice is then only a buffer). moved is false when
// the list holds the same products as before, only rescored and reordered.
func (m *Model) shiftedCross(j int32, down []int32) (list []entry, ok, moved bool) {
	p := m.products[j]
	old, k := p.cross, m.opts.K
	list = p.spare[:0]
	for _, e := range old {
		if m.flags[e.p]&(flagUp|flagDown) == 0 {
			list = append(list, e)
		}
	}
	for _, e := range old {
		if m.flags[e.p]&(flagUp|flagDown) != 0 {
			e.score = m.cosine(j, e.p, e.w, e.buyers) // the pair is as it was
			list = m.offer(list, e, k)
		}
	}
	// A product whose weight fell rose in every list it has a pair in, so it may enter.
	// (One whose weight grew fell, so it stays out.)
	if len(down) > 0 {
		for _, e := range old {
			m.flags[e.p] |= flagMark
		}
		enter := func(c int32, pp *pair) {
			if pp == nil || pp.buyers <= 0 {
				return
			}
			if e := m.pairEntry(j, c, pp); len(list) < k || better(e, list[k-1], m.products) {
				moved = true
				list = m.offer(list, e, k)
			}
		}
		if len(down) <= len(p.pairs) {
			for _, c := range down {
				if m.flags[c]&flagMark == 0 {
					enter(c, p.pairs[c])
				}
			}
		} else {
			for c, pp := range p.pairs {
				if m.flags[c]&(flagDown|flagMark) == flagDown {
					enter(c, pp)
				}
			}
		}
		for _, e := range old {
			m.flags[e.p] &^= flagMark
		}
	}
	if len(old) == k && (len(list) < k || better(old[k-1], list[k-1], m.products)) {
		return list, false, true
	}
	moved = moved || len(list) != len(old)
	if len(list) == 0 {
		return nil, true, moved
	}
	return list, true, moved
}

// reindex keeps inCross in step with product i's list changing from old to list.
func (m *Model) reindex(i int32, old, list []entry) {
	for _, e := range list {
		m.flags[e.p] |= flagMark
	}
	for _, e := range old {
		if m.flags[e.p]&flagMark == 0 {
			delete(m.products[e.p].inCross, i)
		}
	}
	for _, e := range list {
		m.flags[e.p] &^= flagMark
	}
	for _, e := range old {
		m.flags[e.p] |= flagMark
	}
	for _, e := range list {
		if m.flags[e.p]&flagMark == 0 {
			m.products[e.p].inCross[i] = struct{}{}
		}
	}
	for _, e := range old {
		m.flags[e.p] &^= flagMark
	}
}

func (m *Model) popEntry(i int32) entry {
	p := m.products[i]
	return entry{p: i, score: float64(p.w), buyers: p.buyers, orders: p.orders}
}

// groupList computes a best-seller list from all the group's members.
func (m *Model) groupList(g *group) []entry {
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
	return slices.Clip(list)
}

// shiftedGroup is g's best-seller list after an update that changed the statistics of the
// touched members cands and of no other product: the other entries are kept and cands
// merged back in. As in shiftedCross, ok is false when the old last entry lost ground.
func (m *Model) shiftedGroup(g *group, cands []int32) (list []entry, ok bool) {
	old, n := g.top, m.opts.GroupListLen
	list = make([]entry, 0, min(n, len(old)+len(cands))+1)
	for _, e := range old {
		if m.flags[e.p]&flagTouched == 0 {
			list = append(list, e)
		}
	}
	for _, c := range cands {
		if m.products[c].orders > 0 {
			list = m.offer(list, m.popEntry(c), n)
		}
	}
	if len(old) == n && (len(list) < n || better(old[n-1], list[n-1], m.products)) {
		return nil, false
	}
	return slices.Clip(list), true
}

type crossSwap struct {
	i     int32
	list  []entry
	moved bool // the list's products may differ from the old list's (inCross to update)
}

type groupSwap struct {
	g   *group
	top []entry
}

// refreshLists recomputes the lists an update may have changed and publishes them. The
// caller holds wmu but not mu: readers use the old lists until the brief swap at the end.
func (m *Model) refreshLists(ch *change) {
	if len(ch.touched) == 0 {
		return
	}
	if m.recomputing != nil {
		m.recomputing()
	}
	m.growFlags()
	var down []int32
	for k, i := range ch.touched {
		switch w := m.products[i].w; {
		case w > ch.before[k]:
			m.flags[i] |= flagUp
		case w < ch.before[k]:
			m.flags[i] |= flagDown
			down = append(down, i)
		}
	}
	var swaps []crossSwap
	publish := func(i int32, list []entry, moved bool) {
		if !slices.Equal(list, m.products[i].cross) {
			swaps = append(swaps, crossSwap{i, list, moved})
		}
	}
	// A product in the update's orders has new pairs or a new weight: recompute its list.
	for _, i := range ch.touched {
		publish(i, m.crossList(i, m.products[i].spare), true)
	}
	// Another product's list changes only through the scores of products whose weight
	// changed: those in it, and (weight fell) those it has a pair with.
	var affected []int32
	mark := func(j int32) {
		if m.flags[j]&(flagTouched|flagAffected) == 0 {
			m.flags[j] |= flagAffected
			affected = append(affected, j)
		}
	}
	for _, c := range ch.touched {
		f := m.flags[c]
		if f&(flagUp|flagDown) == 0 {
			continue
		}
		for j := range m.products[c].inCross {
			mark(j)
		}
		if f&flagDown != 0 {
			for j := range m.products[c].pairs {
				mark(j)
			}
		}
	}
	for _, j := range affected {
		list, ok, moved := m.shiftedCross(j, down)
		if !ok {
			list = m.crossList(j, list)
		}
		publish(j, list, moved)
	}
	groups := m.groupUpdates(ch.touched)

	m.mu.Lock()
	for _, s := range swaps {
		p := m.products[s.i]
		p.cross, p.spare = s.list, p.cross
	}
	for _, s := range groups {
		s.g.top = s.top
	}
	m.mu.Unlock()
	for _, s := range swaps {
		if s.moved {
			m.reindex(s.i, m.products[s.i].spare, s.list)
		}
	}
	for _, i := range ch.touched {
		m.flags[i] = 0
	}
	for _, j := range affected {
		m.flags[j] = 0
	}
}

// groupUpdates computes the best-seller lists holding a touched product: the shop's and
// those of the touched products' groups.
func (m *Model) groupUpdates(touched []int32) []groupSwap {
	if len(touched) == 0 {
		return nil
	}
	cands := map[*group][]int32{&m.shop: touched}
	order := []*group{&m.shop}
	for _, c := range touched {
		for _, g := range m.products[c].groups {
			gr := m.groups[g]
			if _, ok := cands[gr]; !ok {
				order = append(order, gr)
			}
			cands[gr] = append(cands[gr], c)
		}
	}
	out := make([]groupSwap, 0, len(order))
	for _, g := range order {
		top, ok := m.shiftedGroup(g, cands[g])
		if !ok {
			top = m.groupList(g)
		}
		out = append(out, groupSwap{g, top})
	}
	return out
}

// ApplyPurchase adds an order, or replaces an order already applied (idempotent by
// OrderID); an order with no items removes it.
func (m *Model) ApplyPurchase(p ritorno.Purchase) { m.ApplyPurchases([]ritorno.Purchase{p}) }

// ApplyPurchases applies several orders, recomputing each affected list once. Readers wait
// only while the statistics change and while the new lists are swapped in.
func (m *Model) ApplyPurchases(ps []ritorno.Purchase) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	ch := &change{}
	m.mu.Lock()
	for _, p := range ps {
		m.removeOrder(p.OrderID, ch)
		if len(p.Items) > 0 {
			m.addOrder(p, ch)
		}
	}
	m.mu.Unlock()
	m.refreshLists(ch)
}

// RemovePurchase removes an order (cancelled, fully refunded, deleted).
func (m *Model) RemovePurchase(orderID int64) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	ch := &change{}
	m.mu.Lock()
	m.removeOrder(orderID, ch)
	m.mu.Unlock()
	m.refreshLists(ch)
}

// UpsertProduct records a catalog change; status, stock, price and variants take effect on
// the next read (they are read-time filters), collections and type move the product between
// best-seller lists at once.
func (m *Model) UpsertProduct(p ritorno.Product) {
	if p.ShopID != 0 && p.ShopID != m.shopID {
		return
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.Lock()
	changed := m.setProduct(p)
	m.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	tops := make([][]entry, len(changed))
	for k, g := range changed {
		tops[k] = m.groupList(m.groups[g])
	}
	m.mu.Lock()
	for k, g := range changed {
		m.groups[g].top = tops[k]
	}
	m.mu.Unlock()
}

// SetControls replaces the merchant's controls; the next read applies them.
func (m *Model) SetControls(c ritorno.RecommendControls) {
	cc := compileControls(c)
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.Lock()
	m.controls = cc
	m.mu.Unlock()
}

// Stats describe a model's size.
type Stats struct {
	ShopID   int64
	Products int
	Catalog  int
	Orders   int
	Buyers   int
	Pairs    int
	// Bytes is an estimate of the memory the model holds (maps counted at ~48 bytes per
	// entry beyond their key and value).
	Bytes int64
}

// Stats returns the model's size.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Stats{ShopID: m.shopID, Products: len(m.products), Orders: len(m.orders), Buyers: len(m.buyers)}
	const mapEntry = 48
	const entrySize = 32 // bytes of an entry
	var bytes int64
	for _, p := range m.products {
		if p.cat != nil {
			s.Catalog++
			bytes += 512 + int64(len(p.cat.Variants))*160
		}
		s.Pairs += len(p.pairs)
		// inCross is the writer's alone; it holds one entry per list entry, so the lists'
		// lengths add up to its size.
		bytes += 200 + int64(len(p.pairs))*(mapEntry+12) + int64(len(p.cross))*(mapEntry+4) + int64(cap(p.cross)+cap(p.spare))*entrySize
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
		bytes += int64(len(g.members))*4 + int64(cap(g.top))*entrySize
	}
	bytes += int64(cap(m.shop.top)) * entrySize
	s.Bytes = bytes
	return s
}
