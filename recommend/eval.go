package recommend

import (
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// EvalLine is one purchase line of an evaluation data set.
type EvalLine struct {
	Customer  int64 // 0 = unknown (e.g. a basket file)
	Order     int64
	At        time.Time
	Product   int64
	Title     string
	UnitPrice ritorno.Money
}

// EvalOptions say how to evaluate.
type EvalOptions struct {
	K     int       // list length scored (default 10)
	Split time.Time // train on lines before it, test on lines at or after it
	// Engine and Controls are the engine's settings (their defaults when zero): the
	// evaluation scores the engine as a shop would run it.
	Engine   Options
	Controls ritorno.RecommendControls
}

// UserMetrics are next-period figures averaged over customers.
type UserMetrics struct {
	HR     float64 `json:"hr"`
	Recall float64 `json:"recall"`
	NDCG   float64 `json:"ndcg"`
	Users  int     `json:"users"`
}

// CaseMetrics are basket-completion figures averaged over hidden items.
type CaseMetrics struct {
	HR       float64 `json:"hr"`
	NDCG     float64 `json:"ndcg"`
	Coverage float64 `json:"coverage"` // distinct products recommended ÷ products in training
	Cases    int     `json:"cases"`
}

// NextPeriod is the next-period protocol's result, on all target items and on new ones.
type NextPeriod struct {
	All map[string]UserMetrics `json:"all"`
	New map[string]UserMetrics `json:"new"`
}

// EvalSetup describes the data an evaluation ran on.
type EvalSetup struct {
	K              int       `json:"k"`
	Split          time.Time `json:"split"`
	TrainLines     int       `json:"train_lines"`
	TestLines      int       `json:"test_lines"`
	TrainOrders    int       `json:"train_orders"`
	TestOrders     int       `json:"test_orders"`
	TrainProducts  int       `json:"train_products"`
	TrainCustomers int       `json:"train_customers"`
	Engine         Options   `json:"-"`
	BuildSeconds   float64   `json:"build_seconds"`
	EvalSeconds    float64   `json:"eval_seconds"`
}

// EvalReport is what Evaluate returns (and `ritorno recommend eval` prints).
type EvalReport struct {
	NextPeriod       *NextPeriod            `json:"next_period,omitempty"`
	BasketCompletion map[string]CaseMetrics `json:"basket_completion"`
	Setup            EvalSetup              `json:"setup"`
	Notes            []string               `json:"notes,omitempty"`
}

// Strategy and baseline names in an EvalReport.
const (
	EvalPopularity  = "popularity"
	EvalPersonalTop = "personal_top_frequency"
	EvalForYou      = "for_you"
	EvalCrossSell   = "cross_sell"
	EvalUpSell      = "up_sell"
	evalShopID      = 1
	defaultEvalK    = 10
)

// Evaluate trains the engine on the lines before opts.Split and scores it, with the
// baselines, on the lines after it (see docs/recommendations.md for the exact protocols).
func Evaluate(lines []EvalLine, opts EvalOptions) EvalReport {
	if opts.K <= 0 {
		opts.K = defaultEvalK
	}
	rep := EvalReport{Setup: EvalSetup{K: opts.K, Split: opts.Split, Engine: opts.Engine.withDefaults()}}
	var train, test []EvalLine
	for _, l := range lines {
		if l.At.Before(opts.Split) {
			train = append(train, l)
		} else {
			test = append(test, l)
		}
	}
	rep.Setup.TrainLines, rep.Setup.TestLines = len(train), len(test)
	start := time.Now()
	purchases, catalog := evalPurchases(train)
	rep.Setup.TrainOrders, rep.Setup.TrainProducts = len(purchases), len(catalog)
	model := Build(evalShopID, purchases, catalog, opts.Controls, opts.Engine, opts.Split)
	rep.Setup.BuildSeconds = time.Since(start).Seconds()
	start = time.Now()

	pop := popularity(train)
	testOrders := groupOrders(test)
	rep.Setup.TestOrders = len(testOrders)
	rep.BasketCompletion = basketCompletion(model, testOrders, pop, opts, len(catalog))

	trainBy := byCustomer(train)
	rep.Setup.TrainCustomers = len(trainBy)
	if len(trainBy) == 0 {
		rep.Notes = append(rep.Notes, "no customer ids: the next-period protocol needs them and was skipped")
	} else {
		rep.NextPeriod = nextPeriod(model, trainBy, byCustomer(test), pop, opts)
	}
	rep.Setup.EvalSeconds = time.Since(start).Seconds()
	return rep
}

// evalPurchases groups training lines into purchases and builds a catalog from them: every
// product active, published, untracked stock, priced at its most recent unit price and
// titled by its most recent description.
func evalPurchases(lines []EvalLine) ([]ritorno.Purchase, []ritorno.Product) {
	type last struct {
		at    time.Time
		price ritorno.Money
		title string
	}
	seen := map[int64]*last{}
	byOrder := map[int64]*ritorno.Purchase{}
	var order []int64
	for _, l := range lines {
		p := byOrder[l.Order]
		if p == nil {
			p = &ritorno.Purchase{OrderID: l.Order, Buyer: l.Customer, At: l.At, UpdatedAt: l.At}
			byOrder[l.Order] = p
			order = append(order, l.Order)
		}
		p.Items = append(p.Items, ritorno.PurchasedItem{ProductID: l.Product, Quantity: 1, UnitPrice: l.UnitPrice})
		s := seen[l.Product]
		if s == nil {
			s = &last{}
			seen[l.Product] = s
		}
		if !l.At.Before(s.at) {
			s.at, s.price = l.At, l.UnitPrice
			if l.Title != "" {
				s.title = l.Title
			}
		}
	}
	purchases := make([]ritorno.Purchase, 0, len(order))
	for _, id := range order {
		purchases = append(purchases, *byOrder[id])
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	catalog := make([]ritorno.Product, 0, len(ids))
	published := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range ids {
		s := seen[id]
		catalog = append(catalog, ritorno.Product{ShopID: evalShopID, PlatformID: id, Title: s.title, Status: ritorno.ProductActive,
			PublishedAt: published, Variants: []ritorno.Variant{{PlatformID: id, Position: 1, Price: s.price}}})
	}
	return purchases, catalog
}

// popularity ranks products by distinct buyers in the lines (an unknown customer's order
// is its own buyer), ties by product id.
func popularity(lines []EvalLine) []int64 {
	buyers := map[int64]map[int64]bool{}
	for _, l := range lines {
		b := buyers[l.Product]
		if b == nil {
			b = map[int64]bool{}
			buyers[l.Product] = b
		}
		key := l.Customer
		if key == 0 {
			key = -l.Order - 1
		}
		b[key] = true
	}
	ids := make([]int64, 0, len(buyers))
	for id := range buyers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool {
		if na, nb := len(buyers[ids[a]]), len(buyers[ids[b]]); na != nb {
			return na > nb
		}
		return ids[a] < ids[b]
	})
	return ids
}

type testOrder struct {
	id       int64
	customer int64
	items    []int64 // distinct, in first-seen order
}

func groupOrders(lines []EvalLine) []testOrder {
	idx := map[int64]int{}
	var out []testOrder
	seen := map[[2]int64]bool{}
	for _, l := range lines {
		k, ok := idx[l.Order]
		if !ok {
			k = len(out)
			idx[l.Order] = k
			out = append(out, testOrder{id: l.Order, customer: l.Customer})
		}
		if !seen[[2]int64{l.Order, l.Product}] {
			seen[[2]int64{l.Order, l.Product}] = true
			out[k].items = append(out[k].items, l.Product)
		}
	}
	return out
}

// parallel runs f(i) for i in [0, n) on GOMAXPROCS goroutines.
func parallel(n int, f func(worker, i int)) int {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range next {
				f(w, i)
			}
		}(w)
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return workers
}

// caseSums accumulates basket-completion results of one strategy on one worker.
type caseSums struct {
	hits, ndcg float64
	cases      int
	shown      map[int64]bool
}

func (s *caseSums) score(list []int64, hidden int64) {
	s.cases++
	for r, id := range list {
		s.shown[id] = true
		if id == hidden {
			s.hits++
			s.ndcg += 1 / math.Log2(float64(r)+2)
		}
	}
}

func basketCompletion(m *Model, orders []testOrder, pop []int64, opts EvalOptions, catalog int) map[string]CaseMetrics {
	names := []string{EvalPopularity, EvalCrossSell, EvalUpSell}
	workers := runtime.GOMAXPROCS(0)
	sums := make([][]caseSums, workers)
	for w := range sums {
		sums[w] = make([]caseSums, len(names))
		for k := range sums[w] {
			sums[w][k].shown = map[int64]bool{}
		}
	}
	parallel(len(orders), func(w, oi int) {
		o := orders[oi]
		if len(o.items) < 2 {
			return
		}
		rest := make([]int64, 0, len(o.items)-1)
		for h, hidden := range o.items {
			rest = append(rest[:0], o.items[:h]...)
			rest = append(rest, o.items[h+1:]...)
			in := make(map[int64]bool, len(rest))
			for _, id := range rest {
				in[id] = true
			}
			sums[w][0].score(topExcluding(pop, in, opts.K), hidden)
			for k, only := range []Kind{KindCrossSell, KindUpSell} {
				resp := m.Recommend(Request{Placement: PlacementCart, Cart: rest, Limit: opts.K, Now: opts.Split, Only: only})
				sums[w][k+1].score(itemIDs(resp.Items), hidden)
			}
		}
	})
	out := map[string]CaseMetrics{}
	for k, name := range names {
		var total caseSums
		total.shown = map[int64]bool{}
		for w := range sums {
			s := sums[w][k]
			total.hits += s.hits
			total.ndcg += s.ndcg
			total.cases += s.cases
			for id := range s.shown {
				total.shown[id] = true
			}
		}
		cm := CaseMetrics{Cases: total.cases}
		if total.cases > 0 {
			cm.HR = total.hits / float64(total.cases)
			cm.NDCG = total.ndcg / float64(total.cases)
		}
		if catalog > 0 {
			cm.Coverage = float64(len(total.shown)) / float64(catalog)
		}
		out[name] = cm
	}
	return out
}

func topExcluding(ranked []int64, skip map[int64]bool, k int) []int64 {
	out := make([]int64, 0, k)
	for _, id := range ranked {
		if len(out) == k {
			break
		}
		if !skip[id] {
			out = append(out, id)
		}
	}
	return out
}

func itemIDs(items []Item) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	return ids
}

// history is one customer's lines in a period: distinct orders per product.
type history map[int64]map[int64]bool

func byCustomer(lines []EvalLine) map[int64]history {
	out := map[int64]history{}
	for _, l := range lines {
		if l.Customer == 0 {
			continue
		}
		h := out[l.Customer]
		if h == nil {
			h = history{}
			out[l.Customer] = h
		}
		if h[l.Product] == nil {
			h[l.Product] = map[int64]bool{}
		}
		h[l.Product][l.Order] = true
	}
	return out
}

type userSums struct{ hr, recall, ndcg float64 }

func (s *userSums) score(list []int64, target map[int64]bool, k int) {
	hits := 0
	var dcg, idcg float64
	for r, id := range list {
		if target[id] {
			hits++
			dcg += 1 / math.Log2(float64(r)+2)
		}
	}
	for r := 0; r < min(len(target), k); r++ {
		idcg += 1 / math.Log2(float64(r)+2)
	}
	if hits > 0 {
		s.hr++
	}
	s.recall += float64(hits) / float64(len(target))
	if idcg > 0 {
		s.ndcg += dcg / idcg
	}
}

func nextPeriod(m *Model, train, test map[int64]history, pop []int64, opts EvalOptions) *NextPeriod {
	rank := make(map[int64]int, len(pop))
	for r, id := range pop {
		rank[id] = r
	}
	var users []int64
	for c := range test {
		if train[c] != nil {
			users = append(users, c)
		}
	}
	sort.Slice(users, func(a, b int) bool { return users[a] < users[b] })
	allNames := []string{EvalPopularity, EvalPersonalTop, EvalForYou}
	newNames := []string{EvalPopularity, EvalForYou}
	workers := runtime.GOMAXPROCS(0)
	type acc struct {
		all, new []userSums
		nAll     int
		nNew     int
	}
	accs := make([]acc, workers)
	for w := range accs {
		accs[w] = acc{all: make([]userSums, len(allNames)), new: make([]userSums, len(newNames))}
	}
	parallel(len(users), func(w, ui int) {
		c := users[ui]
		a := &accs[w]
		owned := map[int64]bool{}
		for id := range train[c] {
			owned[id] = true
		}
		target, targetNew := map[int64]bool{}, map[int64]bool{}
		for id := range test[c] {
			target[id] = true
			if !owned[id] {
				targetNew[id] = true
			}
		}
		a.nAll++
		a.all[0].score(topExcluding(pop, nil, opts.K), target, opts.K)
		a.all[1].score(personalTop(train[c], rank, opts.K), target, opts.K)
		resp := m.Recommend(Request{Placement: PlacementForYou, Customer: c, Limit: opts.K, Now: opts.Split})
		a.all[2].score(itemIDs(resp.Items), target, opts.K)
		if len(targetNew) == 0 {
			return
		}
		a.nNew++
		a.new[0].score(topExcluding(pop, owned, opts.K), targetNew, opts.K)
		resp = m.Recommend(Request{Placement: PlacementForYou, Customer: c, Limit: opts.K, Now: opts.Split, ExcludeOwned: true})
		a.new[1].score(itemIDs(resp.Items), targetNew, opts.K)
	})
	np := &NextPeriod{All: map[string]UserMetrics{}, New: map[string]UserMetrics{}}
	fold := func(names []string, pick func(acc) ([]userSums, int), dst map[string]UserMetrics) {
		for k, name := range names {
			var s userSums
			n := 0
			for _, a := range accs {
				sums, cnt := pick(a)
				s.hr += sums[k].hr
				s.recall += sums[k].recall
				s.ndcg += sums[k].ndcg
				n += cnt
			}
			um := UserMetrics{Users: n}
			if n > 0 {
				um.HR, um.Recall, um.NDCG = s.hr/float64(n), s.recall/float64(n), s.ndcg/float64(n)
			}
			dst[name] = um
		}
	}
	fold(allNames, func(a acc) ([]userSums, int) { return a.all, a.nAll }, np.All)
	fold(newNames, func(a acc) ([]userSums, int) { return a.new, a.nNew }, np.New)
	return np
}

// personalTop ranks a customer's own products by distinct orders, ties by global
// popularity, then product id; it does not fill up with other products.
func personalTop(h history, rank map[int64]int, k int) []int64 {
	ids := make([]int64, 0, len(h))
	for id := range h {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool {
		if na, nb := len(h[ids[a]]), len(h[ids[b]]); na != nb {
			return na > nb
		}
		if ra, rb := rank[ids[a]], rank[ids[b]]; ra != rb {
			return ra < rb
		}
		return ids[a] < ids[b]
	})
	if len(ids) > k {
		ids = ids[:k]
	}
	return ids
}
