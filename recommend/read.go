package recommend

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// Placement is where a widget shows recommendations.
type Placement string

// Placements.
const (
	PlacementProduct  Placement = "product"
	PlacementCart     Placement = "cart"
	PlacementThankYou Placement = "thank_you"
	PlacementForYou   Placement = "for_you"
)

// Kind is what an item is to the shopper.
type Kind string

// Kinds of items.
const (
	KindCrossSell Kind = "cross_sell"
	KindUpSell    Kind = "up_sell"
	KindBuyAgain  Kind = "buy_again"
)

// Sources beyond the ritorno.Source* fallback chain.
const (
	SourceUpSell   = "up_sell"
	SourceBuyAgain = "buy_again"
)

// DefaultLimit is the number of items when a request does not say.
const DefaultLimit = 8

// maxUpSellSeeds bounds the cart items whose alternatives are looked for, which bounds the
// read cost of a large cart.
const maxUpSellSeeds = 10

// maxOwnedSeeds bounds the customer's products a for_you answer starts from.
const maxOwnedSeeds = 100

// MaxLimit bounds a request's Limit.
const MaxLimit = 50

// Request asks for recommendations.
type Request struct {
	Placement Placement
	ProductID int64   // the viewed product (product placement)
	Cart      []int64 // products in the cart, or the order just placed (thank_you)
	Customer  int64   // ritorno.BuyerKey; 0 = anonymous
	Limit     int     // default DefaultLimit, at most MaxLimit
	Now       time.Time
	// ExcludeOwned drops everything the customer bought (the evaluation's "new items").
	ExcludeOwned bool
	// Only restricts the answer to one kind (cross_sell = the fallback chain without
	// up-sells or buy-again); empty means the placement's mix.
	Only Kind
}

// Evidence holds the numbers behind an item's reason.
type Evidence struct {
	Buyers       int     // distinct customers behind the item
	Orders       int     // orders behind the item
	Lift         float64 // co-purchase rate ÷ the rate by chance
	PriceRatio   float64 // up-sell price ÷ the viewed product's
	IntervalDays float64 // typical days between purchases
	DaysSince    float64 // days since the customer's last purchase
	Anchor       int64   // the product the evidence relates to
}

// Item is one recommended product with the variant to show.
type Item struct {
	ProductID, VariantID int64
	Title, Handle        string
	ImageURL             string
	Price                ritorno.Money
	Kind                 Kind
	Source               string
	Score                float64
	Reason               string
	Evidence             Evidence
}

// Response is the answer to a Request.
type Response struct {
	Items []Item
	Notes []string
}

type controls struct {
	raw                  ritorno.RecommendControls
	pins                 map[int64][]int64
	excluded             map[int64]bool
	tags, vendors        map[string]bool
	chain                []string
	upMin, upMax, minEvi int
}

func compileControls(c ritorno.RecommendControls) controls {
	cc := controls{raw: c, pins: c.Pins, excluded: map[int64]bool{}, tags: map[string]bool{}, vendors: map[string]bool{},
		chain: c.FallbackChain, upMin: c.UpsellMinPercent, upMax: c.UpsellMaxPercent, minEvi: c.MinEvidence}
	for _, p := range c.ExcludedProducts {
		cc.excluded[p] = true
	}
	for _, t := range c.ExcludedTags {
		cc.tags[strings.ToLower(strings.TrimSpace(t))] = true
	}
	for _, v := range c.ExcludedVendors {
		cc.vendors[strings.ToLower(strings.TrimSpace(v))] = true
	}
	if len(cc.chain) == 0 {
		cc.chain = ritorno.DefaultFallbackChain
	}
	if cc.upMin <= 0 {
		cc.upMin = ritorno.DefaultUpsellMinPercent
	}
	if cc.upMax <= 0 {
		cc.upMax = ritorno.DefaultUpsellMaxPercent
	}
	if cc.upMax < cc.upMin {
		cc.upMax = cc.upMin
	}
	if cc.minEvi <= 0 {
		cc.minEvi = ritorno.DefaultMinEvidence
	}
	return cc
}

// reader answers one request under the read lock.
type reader struct {
	m       *Model
	req     Request
	limit   int
	blocked map[int32]bool // cart, viewed product, owned (when excluded)
	picked  map[int32]bool
	buyer   *buyer
	out     []Item
	scr     *scratch
	notes   []string
	thin    int // data-driven candidates dropped for too little evidence
	// uncataloged are the candidates dropped because the catalog has no entry for them (no
	// title, price or variant to show): not a matter of evidence. Made on the first one.
	uncataloged map[int32]bool
}

// Recommend answers a request from the precomputed lists. It never fails: an unknown
// product or customer gets best-sellers, and Notes say why a list is short.
func (m *Model) Recommend(req Request) Response {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	r := &reader{m: m, req: req, limit: req.Limit, blocked: map[int32]bool{}, picked: map[int32]bool{}}
	if r.limit <= 0 {
		r.limit = DefaultLimit
	}
	r.limit = min(r.limit, MaxLimit)
	if req.Customer != 0 {
		r.buyer = m.buyers[req.Customer]
	}
	var seeds []int32
	if req.Placement == PlacementProduct {
		if i, ok := m.index[req.ProductID]; ok {
			seeds = append(seeds, i)
			r.blocked[i] = true
		}
	}
	for _, id := range req.Cart {
		if i, ok := m.index[id]; ok {
			if !r.blocked[i] {
				seeds = append(seeds, i)
			}
			r.blocked[i] = true
		}
	}
	if r.buyer != nil {
		for i := range r.buyer.items {
			// Personalisation: what a customer owns is not offered again unless it is a
			// consumable they may run out of (buy-again handles those in for_you).
			if req.ExcludeOwned || (req.Placement != PlacementForYou && !m.consumable(i)) {
				r.blocked[i] = true
			}
		}
	}
	switch req.Placement {
	case PlacementForYou:
		r.forYou()
	default:
		r.forSeeds(seeds)
	}
	if r.scr != nil {
		scratchPool.Put(r.scr)
	}
	if len(r.out) < r.limit {
		switch {
		case m.cataloged == 0 && len(m.products) > 0:
			r.note(fmt.Sprintf("the catalog is missing: none of the %d products in the shop's orders has a catalog entry (title, price), "+
				"so none can be shown; the platform's backfill or an import brings it", len(m.products)))
		case len(r.uncataloged) > 0:
			r.note(fmt.Sprintf("%d candidate items are missing from the catalog (no title or price) and were left out", len(r.uncataloged)))
		}
		if r.thin > 0 {
			r.note(fmt.Sprintf("%d candidate items had too little evidence (fewer than %d buyers) and were left out", r.thin, m.controls.minEvi))
		}
		r.note(fmt.Sprintf("only %d of %d items could be recommended", len(r.out), r.limit))
	}
	return Response{Items: r.out, Notes: r.notes}
}

func (r *reader) note(s string) { r.notes = append(r.notes, s) }

func (r *reader) full() bool { return len(r.out) >= r.limit }

// consumable reports whether a product is bought again by the same customers often enough
// to offer it again: at least 3 repeat purchases and one per five buyers.
func (m *Model) consumable(i int32) bool {
	p := m.products[i]
	return p.gapN >= 3 && p.gapN*5 >= int64(p.buyers)
}

// allowed applies the filters every item passes.
func (r *reader) allowed(i int32) bool {
	if r.blocked[i] || r.picked[i] {
		return false
	}
	p := r.m.products[i]
	if p.cat == nil {
		if r.uncataloged == nil {
			r.uncataloged = map[int32]bool{}
		}
		r.uncataloged[i] = true
		return false
	}
	if !p.sellable || p.price.Amount <= 0 {
		return false
	}
	c := &r.m.controls
	if c.excluded[p.id] || c.vendors[strings.ToLower(strings.TrimSpace(p.cat.Vendor))] {
		return false
	}
	if len(c.tags) > 0 {
		for _, t := range p.cat.Tags {
			if c.tags[strings.ToLower(strings.TrimSpace(t))] {
				return false
			}
		}
	}
	return true
}

func (r *reader) add(i int32, kind Kind, source string, score float64, reason string, ev Evidence) {
	p := r.m.products[i]
	v := p.cat.Variants[p.variant]
	r.picked[i] = true
	r.out = append(r.out, Item{ProductID: p.id, VariantID: v.PlatformID, Title: p.cat.Title, Handle: p.cat.Handle,
		ImageURL: p.cat.ImageURL, Price: p.price, Kind: kind, Source: source, Score: score, Reason: reason, Evidence: ev})
}

func (r *reader) title(i int32) string {
	if p := r.m.products[i]; p.cat != nil && p.cat.Title != "" {
		return fmt.Sprintf("%q", p.cat.Title)
	}
	return "this product"
}

// forSeeds fills product, cart and thank-you placements: the fallback chain, with up-sell
// slots on a product page and buy-again after a purchase.
func (r *reader) forSeeds(seeds []int32) {
	switch r.req.Only {
	case KindUpSell:
		r.upSells(seeds, r.limit)
		return
	case KindBuyAgain:
		r.buyAgain(r.limit)
		return
	}
	upSlots := 0
	if r.req.Only == "" && r.req.Placement == PlacementProduct {
		upSlots = r.limit / 4
		if r.highValue() {
			upSlots = r.limit / 2 // segment tilt: premium alternatives for big spenders
		}
	}
	for _, src := range r.m.controls.chain {
		if r.full() {
			break
		}
		switch src {
		case ritorno.SourcePinned:
			r.pins(seeds)
		case ritorno.SourceCrossSell:
			r.crossSell(seeds, nil, r.limit-upSlots)
			if upSlots > 0 {
				r.upSells(seeds, len(r.out)+upSlots)
			}
			if r.req.Only == "" && r.req.Placement == PlacementThankYou {
				r.buyAgain(r.limit)
			}
		case ritorno.SourceCollectionBestSeller:
			r.bestSellers(r.seedGroups(seeds), ritorno.SourceCollectionBestSeller)
		case ritorno.SourceShopBestSeller:
			r.bestSellers([]*group{&r.m.shop}, ritorno.SourceShopBestSeller)
		}
	}
}

// highValue reports whether the customer has bought more often than nine in ten buyers'
// typical count: a proxy for value that needs no money conversion.
func (r *reader) highValue() bool {
	return r.buyer != nil && r.buyer.orders >= 4
}

func (r *reader) pins(seeds []int32) {
	for _, s := range seeds {
		for _, id := range r.m.controls.pins[r.m.products[s].id] {
			if r.full() {
				return
			}
			if i, ok := r.m.index[id]; ok && r.allowed(i) {
				r.add(i, KindCrossSell, ritorno.SourcePinned, 0, "chosen by the shop to go with "+r.title(s), Evidence{Anchor: r.m.products[s].id})
			}
		}
	}
}

type cand struct {
	p      int32
	score  float64
	best   float64 // the largest single contribution, whose pair explains the item
	anchor int32
	e      entry
	// up-sell only
	ratio  float64
	byPair bool
	group  int32 // the seed's group it was found in; -1 its cross-sell list, -2 the shop
}

// scratch is per-request working memory indexed by product, reused through a pool so that
// combining many lists costs no map operations or allocations.
type scratch struct {
	stamp   []uint32
	gen     uint32
	cands   []cand
	touched []int32
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

// reset prepares the scratch for n products and a new accumulation.
func (s *scratch) reset(n int) {
	if len(s.stamp) < n {
		s.stamp = make([]uint32, n+n/4)
		s.cands = make([]cand, n+n/4)
		s.gen = 0
	}
	s.gen++
	if s.gen == 0 {
		clear(s.stamp)
		s.gen = 1
	}
	s.touched = s.touched[:0]
}

// at returns product p's accumulator, zeroed on first touch.
func (s *scratch) at(p int32) *cand {
	c := &s.cands[p]
	if s.stamp[p] != s.gen {
		s.stamp[p] = s.gen
		*c = cand{p: p}
		s.touched = append(s.touched, p)
	}
	return c
}

func (r *reader) scratch() *scratch {
	if r.scr == nil {
		r.scr = scratchPool.Get().(*scratch)
	}
	r.scr.reset(len(r.m.products))
	return r.scr
}

// top returns the n best allowed candidates touched, best first (score, then product id).
func (r *reader) top(s *scratch, n int) []*cand {
	if n <= 0 {
		return nil
	}
	less := func(a, b *cand) bool { // a ranks below b
		if a.score != b.score {
			return a.score < b.score
		}
		return r.m.products[a.p].id > r.m.products[b.p].id
	}
	best := newBestN(n, less)
	for _, p := range s.touched {
		c := &s.cands[p]
		if c.score <= 0 || !best.admits(c) || !r.allowed(p) {
			continue
		}
		best.offer(c)
	}
	return best.sorted()
}

// crossSell adds the combined cross-sell lists of the seeds, each weighted (nil = 1), up to n items.
func (r *reader) crossSell(seeds []int32, weights []float64, n int) {
	if len(seeds) == 0 || len(r.out) >= n {
		return
	}
	minEvi := int32(r.m.controls.minEvi)
	s := r.scratch()
	for k, seed := range seeds {
		wt := 1.0
		if weights != nil {
			wt = weights[k]
		}
		for _, e := range r.m.products[seed].cross {
			if e.buyers < minEvi {
				if r.m.products[e.p].cat != nil { // else missing from the catalog, whatever the evidence
					r.thin++
				}
				continue
			}
			c := s.at(e.p)
			v := wt * e.score
			c.score += v
			if v > c.best {
				c.best, c.anchor, c.e = v, seed, e
			}
		}
	}
	for _, c := range r.top(s, n-len(r.out)) {
		lift := r.m.lift(c.anchor, c.p, c.e.orders)
		reason := fmt.Sprintf("bought together with %s by %d customers; %.1f× more often than chance", r.title(c.anchor), c.e.buyers, lift)
		r.add(c.p, KindCrossSell, ritorno.SourceCrossSell, c.score, reason,
			Evidence{Buyers: int(c.e.buyers), Orders: int(c.e.orders), Lift: round2(lift), Anchor: r.m.products[c.anchor].id})
	}
}

// lift is how many times more often two products share an order than if they were bought
// independently.
func (m *Model) lift(i, j int32, both int32) float64 {
	n := int64(len(m.orders))
	pi, pj := m.products[i].orders, m.products[j].orders
	if pi == 0 || pj == 0 || n == 0 {
		return 0
	}
	return float64(both) * float64(n) / (float64(pi) * float64(pj))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func (r *reader) seedGroups(seeds []int32) []*group {
	var gs []*group
	for _, s := range seeds {
		for _, g := range r.m.products[s].groups {
			if gr := r.m.groups[g]; !slices.Contains(gs, gr) {
				gs = append(gs, gr)
			}
		}
	}
	return gs
}

// bestSellers fills from best-seller lists, merged by weighted orders.
func (r *reader) bestSellers(gs []*group, source string) {
	if r.full() || len(gs) == 0 {
		return
	}
	minEvi := int32(r.m.controls.minEvi)
	pos := make([]int, len(gs))
	for !r.full() {
		bestG := -1
		var best entry
		for k, g := range gs {
			for pos[k] < len(g.top) && (!r.allowed(g.top[pos[k]].p) || g.top[pos[k]].buyers < minEvi) {
				if g.top[pos[k]].buyers < minEvi && r.allowed(g.top[pos[k]].p) {
					r.thin++
				}
				pos[k]++
			}
			if pos[k] < len(g.top) && (bestG < 0 || better(g.top[pos[k]], best, r.m.products)) {
				bestG, best = k, g.top[pos[k]]
			}
		}
		if bestG < 0 {
			return
		}
		pos[bestG]++
		where := "this shop"
		if source == ritorno.SourceCollectionBestSeller {
			where = "the " + strings.SplitN(gs[bestG].name, ":", 2)[1] + " " + strings.SplitN(gs[bestG].name, ":", 2)[0]
		}
		reason := fmt.Sprintf("a best-seller in %s: bought by %d customers", where, best.buyers)
		r.add(best.p, KindCrossSell, source, best.score*r.m.decayAt(r.req.Now), reason, Evidence{Buyers: int(best.buyers), Orders: int(best.orders)})
	}
}

// upSells adds pricier alternatives to the seeds, up to n items in all: same collection or
// product type (any product when a seed has neither), price within the band, ranked by
// co-purchase with the seed (1 + cosine), then by popularity relative to the seed (< 1).
func (r *reader) upSells(seeds []int32, n int) {
	c := &r.m.controls
	minEvi := int32(c.minEvi)
	s := r.scratch()
	if len(seeds) > maxUpSellSeeds {
		seeds = seeds[len(seeds)-maxUpSellSeeds:] // the items added last
	}
	for _, seed := range seeds {
		sp := r.m.products[seed]
		if sp.price.Amount <= 0 {
			continue
		}
		lo, hi := sp.price.Amount*int64(c.upMin), sp.price.Amount*int64(c.upMax)
		consider := func(j int32, g int32) {
			jp := r.m.products[j]
			if j == seed || jp.price.Amount*100 < lo || jp.price.Amount*100 > hi || jp.price.Currency != sp.price.Currency {
				return
			}
			if g == -1 && !sharesGroup(sp, jp) {
				return
			}
			var score float64
			var e entry
			byPair := false
			if pp := sp.pairs[j]; pp != nil && pp.buyers >= minEvi {
				score, byPair = 1+r.m.similarity(seed, j, pp), true
				e = entry{buyers: pp.buyers, orders: pp.orders}
			} else if jp.buyers >= minEvi {
				score = float64(jp.w) / float64(max(sp.w, jp.w, 1))
				e = entry{buyers: jp.buyers, orders: jp.orders}
			} else {
				r.thin++
				return
			}
			if cd := s.at(j); score > cd.score {
				cd.score, cd.best, cd.anchor, cd.e, cd.byPair, cd.group = score, score, seed, e, byPair, g
				cd.ratio = float64(jp.price.Amount) / float64(sp.price.Amount)
			}
		}
		for _, e := range sp.cross {
			consider(e.p, -1)
		}
		if len(sp.groups) == 0 {
			for _, e := range r.m.shop.top {
				consider(e.p, -2)
			}
		}
		for _, g := range sp.groups {
			for _, e := range r.m.groups[g].top {
				consider(e.p, g)
			}
		}
	}
	for _, u := range r.top(s, n-len(r.out)) {
		var reason string
		if u.byPair {
			reason = fmt.Sprintf("%d customers who bought %s also bought this (%.1f× the price)", u.e.buyers, r.title(u.anchor), u.ratio)
		} else {
			where := "this shop"
			if u.group >= 0 {
				where = "the " + strings.Replace(r.m.groups[u.group].name, ":", " ", 1)
			}
			reason = fmt.Sprintf("a step up from %s (%.1f× the price), bought by %d customers in %s", r.title(u.anchor), u.ratio, u.e.buyers, where)
		}
		r.add(u.p, KindUpSell, SourceUpSell, u.score, reason,
			Evidence{Buyers: int(u.e.buyers), Orders: int(u.e.orders), PriceRatio: round2(u.ratio), Anchor: r.m.products[u.anchor].id})
	}
}

// sharesGroup reports whether two products share a collection or type; a product with
// neither (a catalog without them) shares with everything.
func sharesGroup(a, b *product) bool {
	if len(a.groups) == 0 {
		return true
	}
	for _, g := range a.groups {
		if _, ok := slices.BinarySearch(b.groups, g); ok {
			return true
		}
	}
	return false
}

// again is a buy-again candidate.
type again struct {
	p                     int32
	score                 float64
	interval, since, ords float64
}

// againList scores the customer's own products by recency-weighted purchase count (orders
// as counted now), ties broken by the share of customers who buy the product. The interval
// (the customer's own, shrunk towards the product's typical one) explains the item and
// decides, in buyAgain, whether it is due.
func (r *reader) againList(n int) []again {
	if r.buyer == nil {
		return nil
	}
	decay := r.m.decayAt(r.req.Now)
	// worse reports whether x ranks below y.
	worse := func(x, y again) bool {
		if x.score != y.score {
			return x.score < y.score
		}
		return r.m.products[x.p].id > r.m.products[y.p].id
	}
	best := newBestN(min(n, len(r.buyer.items)), worse)
	for i, ow := range r.buyer.items {
		p := r.m.products[i]
		// Ties (items of one order) go to what more customers buy.
		a := again{p: i, score: float64(ow.w)*decay + float64(p.buyers)/float64(r.m.units+1)}
		best.offer(a)
	}
	h := best.sorted()
	for k := range h {
		a := &h[k]
		ow := r.buyer.items[a.p]
		p := r.m.products[a.p]
		a.ords, a.since = float64(len(ow.ords)), r.req.Now.Sub(ow.last).Hours()/24
		ownN := float64(len(ow.ords) - 1)
		ownSum := ow.last.Sub(ow.first).Hours() / 24
		if p.gapN >= 2 {
			prodMean := float64(p.gapSum) / 86400 / float64(p.gapN)
			a.interval = (ownSum + 2*prodMean) / (ownN + 2)
		} else if ownN > 0 {
			a.interval = ownSum / ownN
		}
	}
	return h
}

func (r *reader) addAgain(a again) {
	var reason string
	if a.interval >= 1 && a.ords >= 2 {
		reason = fmt.Sprintf("you buy this about every %.0f days; last %.0f days ago", a.interval, a.since)
	} else if a.ords >= 2 {
		reason = fmt.Sprintf("you bought this %.0f times; last %.0f days ago", a.ords, a.since)
	} else {
		reason = fmt.Sprintf("you bought this %.0f days ago", a.since)
	}
	r.add(a.p, KindBuyAgain, SourceBuyAgain, a.score, reason, Evidence{Buyers: 1, Orders: int(a.ords), IntervalDays: round2(a.interval), DaysSince: round2(a.since)})
}

// buyAgain adds the customer's products that are due (elapsed ≥ 80% of the interval), up to n.
func (r *reader) buyAgain(n int) {
	for _, a := range r.againList(maxOwnedSeeds) {
		if len(r.out) >= n {
			return
		}
		if a.interval > 0 && a.since >= 0.8*a.interval && r.m.consumable(a.p) && r.allowed(a.p) {
			r.addAgain(a)
		}
	}
}

// forYou is the personal mix: the customer's own products (buy again), then cross-sell from
// their history weighted by recency, then best-sellers. A new customer gets best-sellers.
func (r *reader) forYou() {
	if r.buyer == nil {
		r.bestSellers([]*group{&r.m.shop}, ritorno.SourceShopBestSeller)
		return
	}
	own := r.againList(maxOwnedSeeds)
	if r.req.Only == "" || r.req.Only == KindBuyAgain {
		for _, a := range own {
			if r.full() {
				break
			}
			if r.allowed(a.p) {
				r.addAgain(a)
			}
		}
	}
	if r.req.Only == KindBuyAgain {
		return
	}
	// Cross-sell from the customer's strongest products (recency-weighted), which bounds
	// the read cost for customers who own thousands.
	seeds := make([]int32, len(own))
	var total float64
	weights := make([]float64, len(own))
	for k, a := range own {
		seeds[k] = a.p
		weights[k] = float64(r.buyer.items[a.p].w)
		total += weights[k]
	}
	for k := range weights {
		weights[k] /= total
	}
	r.crossSell(seeds, weights, r.limit)
	r.bestSellers([]*group{&r.m.shop}, ritorno.SourceShopBestSeller)
}

// bestN keeps the n best values offered: a min-heap whose root is the worst value kept,
// so a value that does not beat it is refused in one comparison.
type bestN[T any] struct {
	h     []T
	n     int
	worse func(a, b T) bool // a ranks below b
}

func newBestN[T any](n int, worse func(a, b T) bool) *bestN[T] {
	return &bestN[T]{h: make([]T, 0, n+1), n: n, worse: worse}
}

// admits reports whether offer would keep v.
func (b *bestN[T]) admits(v T) bool { return b.n > 0 && (len(b.h) < b.n || b.worse(b.h[0], v)) }

func (b *bestN[T]) offer(v T) {
	if !b.admits(v) {
		return
	}
	h := b.h
	if len(h) < b.n {
		h = append(h, v)
		for k := len(h) - 1; k > 0 && b.worse(h[k], h[(k-1)/2]); k = (k - 1) / 2 {
			h[k], h[(k-1)/2] = h[(k-1)/2], h[k]
		}
		b.h = h
		return
	}
	h[0] = v
	for k := 0; ; {
		l, r, m := 2*k+1, 2*k+2, k
		if l < len(h) && b.worse(h[l], h[m]) {
			m = l
		}
		if r < len(h) && b.worse(h[r], h[m]) {
			m = r
		}
		if m == k {
			break
		}
		h[k], h[m] = h[m], h[k]
		k = m
	}
}

// sorted returns the values kept, best first.
func (b *bestN[T]) sorted() []T {
	sort.Slice(b.h, func(x, y int) bool { return b.worse(b.h[y], b.h[x]) })
	return b.h
}
