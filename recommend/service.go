package recommend

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// Store is what the Service needs of storage; every method is scoped to shopID.
type Store interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	EachPurchase(ctx context.Context, shopID int64, fn func(ritorno.Purchase) error) error
	ListProducts(ctx context.Context, shopID, after int64, limit int) ([]ritorno.Product, error)
	PurchasesChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) ([]ritorno.Purchase, []int64, time.Time, error)
	ProductsChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) ([]ritorno.Product, time.Time, error)
	RecommendControls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error)
}

// Service keeps one Model per shop in memory. A shop's model is built from storage in the
// background the first time the shop is asked for (or when Warm names it), brought up to
// date by each Refresh (serve runs one every 2 s) with the orders, products and controls
// changed since (so a product going out of stock or back to draft shows within seconds, on
// every replica), and rebuilt
// from scratch every Rebuild (recency weights move with time alone). Requests only read a
// model and never wait for a build: until the first build ends they get an empty answer
// that says so.
type Service struct {
	Store   Store
	Options Options
	Rebuild time.Duration // how often a shop is rebuilt in full (default 6 h)
	// Overlap is how far behind its watermark each refresh starts reading (default 30 s):
	// storage stamps a row's updated_at before its transaction commits, so a row can
	// become visible after a later stamp was read (SQLite's busy timeout, the longest
	// wait, is 10 s). Rows read twice are recognised and not applied twice.
	Overlap time.Duration
	Log     *slog.Logger
	Now     func() time.Time

	mu    sync.Mutex
	shops map[int64]*shopModel
	wake  chan struct{}
}

// shopModel is one shop's model and what has been applied to it. Only Refresh (one at a
// time) writes the marks; model is swapped under Service.mu.
type shopModel struct {
	model     *Model
	builtAt   time.Time
	purchases time.Time // watermark of the order changes applied
	products  time.Time // watermark of the product changes applied
	controls  time.Time // UpdatedAt of the controls applied
	lastErr   error
	// applied remembers, for the orders and products read in the overlap window, the
	// version applied, so that reading them again does not apply them again: applying an
	// order recomputes the lists of its products under the model's write lock.
	appliedOrders   map[int64]time.Time      // order id → UpdatedAt
	appliedProducts map[int64]appliedProduct // product id → the version applied
}

// appliedProduct is a product version applied to a model, and the watermark of the round
// that read it (products carry no storage stamp of their own).
type appliedProduct struct {
	product ritorno.Product
	round   time.Time
}

// changesPerRead bounds one refresh's read of changed orders or products.
const changesPerRead = 1000

// Status describes a shop's model for operators and the admin.
type Status struct {
	Ready   bool
	BuiltAt time.Time
	Stats   Stats
	Error   string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// state returns the shop's entry, creating it (not built) when new.
func (s *Service) state(shopID int64) *shopModel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shops == nil {
		s.shops = map[int64]*shopModel{}
	}
	st, ok := s.shops[shopID]
	if !ok {
		st = &shopModel{}
		s.shops[shopID] = st
		s.signal()
	}
	return st
}

// signal makes Due receive; s.mu is held.
func (s *Service) signal() {
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Recommend answers a request for a shop from its model. Before the shop's first build has
// finished the answer is empty with a note; Refresh builds it.
func (s *Service) Recommend(ctx context.Context, shopID int64, req Request) (Response, error) {
	st := s.state(shopID)
	s.mu.Lock()
	m := st.model
	s.mu.Unlock()
	if m == nil {
		return Response{Notes: []string{"recommendations for this shop are being prepared; try again shortly"}}, nil
	}
	if req.Now.IsZero() {
		req.Now = s.now()
	}
	return m.Recommend(req), nil
}

// Status reports a shop's model.
func (s *Service) Status(shopID int64) Status {
	st := s.state(shopID)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Status{Ready: st.model != nil, BuiltAt: st.builtAt}
	if st.model != nil {
		out.Stats = st.model.Stats()
	}
	if st.lastErr != nil {
		out.Error = st.lastErr.Error()
	}
	return out
}

// Warm asks for shops' models to be built now rather than on their first request.
func (s *Service) Warm(shopIDs ...int64) {
	for _, id := range shopIDs {
		s.state(id)
	}
}

// ControlsChanged makes the next refresh reload the shop's controls at once (the admin calls
// it after saving them; other replicas notice by the controls' UpdatedAt).
func (s *Service) ControlsChanged(shopID int64) {
	st := s.state(shopID)
	s.mu.Lock()
	st.controls = time.Time{}
	s.signal()
	s.mu.Unlock()
}

// Due receives a value when a shop's model is wanted (first asked for, warmed, or its
// controls changed): Refresh should run now rather than at its next period.
func (s *Service) Due() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	return s.wake
}

// Refresh keeps every known shop's model current: it builds the models of shops that have
// none or whose last build is Rebuild old, and applies the changes since the last refresh
// to the others. A shop that fails is logged, reported by Status and tried again next
// time, so Refresh itself never fails; calls must not overlap.
func (s *Service) Refresh(ctx context.Context) error {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.shops))
	for id := range s.shops {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	rebuild := s.Rebuild
	if rebuild <= 0 {
		rebuild = 6 * time.Hour
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return nil
		}
		st := s.state(id)
		s.mu.Lock()
		m, builtAt := st.model, st.builtAt
		s.mu.Unlock()
		shop, err := s.Store.Shop(ctx, id)
		if err == nil && shop.Status != ritorno.ShopInstalled {
			s.forget(id) // uninstalled or redacted: nothing to serve, and its memory goes
			continue
		}
		switch {
		case err != nil:
		case m == nil || s.now().Sub(builtAt) >= rebuild:
			err = s.build(ctx, id, st)
		default:
			err = s.refresh(ctx, id, st, m)
		}
		s.mu.Lock()
		st.lastErr = err
		s.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			s.log().Error("recommendations: update failed", "shop", id, "err", err)
		}
	}
	return nil
}

// forget drops a shop's model; a later request for the shop starts it again.
func (s *Service) forget(shopID int64) {
	s.mu.Lock()
	delete(s.shops, shopID)
	s.mu.Unlock()
}

// build reads the shop's whole history and catalog into a new model and swaps it in. The
// watermarks are taken before reading, so changes made during the read are applied again
// by the next refresh (applying an order or product twice is harmless).
func (s *Service) build(ctx context.Context, shopID int64, st *shopModel) error {
	start := s.now()
	// Watermarks are wall-clock times, as storage's stamps are (s.Now is the model's clock).
	mark := time.Now()
	controls, err := s.Store.RecommendControls(ctx, shopID)
	if err != nil {
		return err
	}
	var purchases []ritorno.Purchase
	if err := s.Store.EachPurchase(ctx, shopID, func(p ritorno.Purchase) error {
		purchases = append(purchases, p)
		return nil
	}); err != nil {
		return err
	}
	var catalog []ritorno.Product
	for after := int64(0); ; {
		page, err := s.Store.ListProducts(ctx, shopID, after, 500)
		if err != nil {
			return err
		}
		catalog = append(catalog, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].PlatformID
	}
	m := Build(shopID, purchases, catalog, controls, s.Options, s.now())
	// What the build already holds and the next refresh will read again (its window starts
	// Overlap before it) is marked applied, so that a shop just imported is
	// not applied a second time, order by order, under the model's write lock.
	st.appliedOrders, st.appliedProducts = map[int64]time.Time{}, map[int64]appliedProduct{}
	for _, p := range purchases {
		if !p.UpdatedAt.Before(mark.Add(-2 * s.overlap())) {
			st.appliedOrders[p.OrderID] = p.UpdatedAt
		}
	}
	for _, p := range catalog {
		st.appliedProducts[p.PlatformID] = appliedProduct{product: p, round: mark}
	}
	s.mu.Lock()
	st.model, st.builtAt = m, start
	st.purchases, st.products, st.controls = mark, mark, controls.UpdatedAt
	s.mu.Unlock()
	s.log().Info("recommendations: built", "shop", shopID, "orders", len(purchases), "products", len(catalog),
		"seconds", s.now().Sub(start).Seconds())
	return nil
}

// overlap is Service.Overlap or its default.
func (s *Service) overlap() time.Duration {
	if s.Overlap > 0 {
		return s.Overlap
	}
	return 30 * time.Second
}

// refresh applies the orders, products and controls changed since the last round.
func (s *Service) refresh(ctx context.Context, shopID int64, st *shopModel, m *Model) error {
	overlap := s.overlap()
	// Everything stamped before the round's start is read by the end of the round (late
	// commits aside, which the next round's overlap catches): that is the next watermark.
	roundStart := time.Now()
	s.mu.Lock()
	pSince, cSince, ctlAt := st.purchases.Add(-overlap), st.products.Add(-overlap), st.controls
	s.mu.Unlock()
	if st.appliedOrders == nil {
		st.appliedOrders, st.appliedProducts = map[int64]time.Time{}, map[int64]appliedProduct{}
	}
	for {
		changed, removed, next, err := s.Store.PurchasesChangedSince(ctx, shopID, pSince, changesPerRead)
		if err != nil {
			return err
		}
		fresh := changed[:0]
		for _, p := range changed {
			if at, ok := st.appliedOrders[p.OrderID]; !ok || !at.Equal(p.UpdatedAt) {
				fresh = append(fresh, p)
				st.appliedOrders[p.OrderID] = p.UpdatedAt
			}
		}
		if len(fresh) > 0 {
			m.ApplyPurchases(fresh)
		}
		for _, id := range removed {
			if _, ok := st.appliedOrders[id]; !ok || !st.appliedOrders[id].IsZero() {
				m.RemovePurchase(id)
				st.appliedOrders[id] = time.Time{}
			}
		}
		pSince = next
		if len(changed)+len(removed) < changesPerRead {
			break
		}
	}
	for {
		products, next, err := s.Store.ProductsChangedSince(ctx, shopID, cSince, changesPerRead)
		if err != nil {
			return err
		}
		for _, p := range products {
			if last, ok := st.appliedProducts[p.PlatformID]; !ok || !reflect.DeepEqual(last.product, p) {
				m.UpsertProduct(p)
			}
			st.appliedProducts[p.PlatformID] = appliedProduct{product: p, round: roundStart}
		}
		cSince = next
		if len(products) < changesPerRead {
			break
		}
	}
	// Forget what fell out of the next round's window.
	horizon := roundStart.Add(-2 * overlap)
	for id, at := range st.appliedOrders {
		if at.Before(horizon) { // a removal's zero time included
			delete(st.appliedOrders, id)
		}
	}
	for id, ap := range st.appliedProducts {
		if ap.round.Before(horizon) {
			delete(st.appliedProducts, id)
		}
	}
	controls, err := s.Store.RecommendControls(ctx, shopID)
	if err != nil {
		return err
	}
	if ctlAt.IsZero() || !controls.UpdatedAt.Equal(ctlAt) {
		m.SetControls(controls)
		ctlAt = controls.UpdatedAt
	}
	s.mu.Lock()
	// A round's watermark never moves back (the window re-read before it would otherwise
	// walk it back a little each round), and moves on with time when nothing changes (or
	// the rows stamped just before a build would be re-read forever).
	st.purchases = laterOf(laterOf(st.purchases, pSince), roundStart)
	st.products = laterOf(laterOf(st.products, cSince), roundStart)
	st.controls = ctlAt
	s.mu.Unlock()
	return nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
