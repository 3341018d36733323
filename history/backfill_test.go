package history_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/jobs"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// backfillStore binds page writes to one transaction, as cmd/ritorno wires it.
type backfillStore struct{ *store.DB }

func (s backfillStore) InBackfillTransaction(ctx context.Context, fn func(history.BackfillWriter) error) error {
	return s.DB.InTransaction(ctx, func(tx *store.DB) error { return fn(tx) })
}

// deadStore is a process that died: from the moment it is killed, it writes nothing more.
type deadStore struct {
	backfillStore
	mu     sync.Mutex
	killed bool
}

func (s *deadStore) kill() { s.mu.Lock(); s.killed = true; s.mu.Unlock() }

func (s *deadStore) dead() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.killed }

func (s *deadStore) RenewBackfill(ctx context.Context, shopID int64, owner string, until time.Time) error {
	if s.dead() {
		return nil
	}
	return s.backfillStore.RenewBackfill(ctx, shopID, owner, until)
}

func (s *deadStore) ReleaseBackfill(ctx context.Context, owner string, b ritorno.Backfill) error {
	if s.dead() {
		return nil
	}
	return s.backfillStore.ReleaseBackfill(ctx, owner, b)
}

func (s *deadStore) InBackfillTransaction(ctx context.Context, fn func(history.BackfillWriter) error) error {
	if s.dead() {
		return context.Canceled
	}
	return s.backfillStore.InBackfillTransaction(ctx, fn)
}

// fakeSource serves a fixed past in pages of pageSize, with the index of the next object
// as cursor. Hooks let a test fail or stop it at a given page.
type fakeSource struct {
	products  []ritorno.Product
	customers []ritorno.Customer
	orders    []ritorno.Order
	pageSize  int
	// beforePage runs before each page is handed over; its error ends the step.
	beforePage func(step string, page int) error

	mu      sync.Mutex
	emitted map[string]int // objects handed over per step, re-reads included
}

func (f *fakeSource) Steps() []string {
	return []string{ritorno.StepProducts, ritorno.StepCustomers, ritorno.StepOrders}
}

func (f *fakeSource) RunStep(ctx context.Context, step, cursor string, page func(ritorno.BackfillPage) error) error {
	n := map[string]int{ritorno.StepProducts: len(f.products), ritorno.StepCustomers: len(f.customers), ritorno.StepOrders: len(f.orders)}[step]
	start := 0
	if cursor != "" {
		var err error
		if start, err = strconv.Atoi(cursor); err != nil {
			return fmt.Errorf("bad cursor %q", cursor)
		}
	}
	for i := start; i < n; i += f.pageSize {
		if f.beforePage != nil {
			if err := f.beforePage(step, i/f.pageSize); err != nil {
				return err
			}
		}
		end := min(i+f.pageSize, n)
		p := ritorno.BackfillPage{Cursor: strconv.Itoa(end), Objects: int64(end - i), StepTotal: int64(n)}
		switch step {
		case ritorno.StepProducts:
			p.Products = f.products[i:end]
		case ritorno.StepCustomers:
			p.Customers = f.customers[i:end]
		case ritorno.StepOrders:
			p.Orders = f.orders[i:end]
			p.Limit = "only the last 60 days of orders"
		}
		f.mu.Lock()
		f.emitted[step] += end - i
		f.mu.Unlock()
		if err := page(p); err != nil {
			return err
		}
	}
	return nil
}

func newPast(shopID int64, products, customers, orders int) *fakeSource {
	f := &fakeSource{pageSize: 3, emitted: map[string]int{}}
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range products {
		f.products = append(f.products, ritorno.Product{PlatformID: int64(100 + i), Title: fmt.Sprintf("Product %d", i),
			Status: ritorno.ProductActive, PlatformUpdatedAt: base,
			Variants: []ritorno.Variant{{PlatformID: int64(1000 + i), Price: ritorno.Money{Amount: 1250, Currency: "EUR"}}}})
	}
	for i := range customers {
		f.customers = append(f.customers, ritorno.Customer{PlatformID: int64(200 + i), Email: fmt.Sprintf("c%d@example.com", i),
			EmailHash: ritorno.HashEmail(fmt.Sprintf("c%d@example.com", i)), PlatformUpdatedAt: base})
	}
	for i := range orders {
		eur := func(a int64) ritorno.Money { return ritorno.Money{Amount: a, Currency: "EUR"} }
		f.orders = append(f.orders, ritorno.Order{PlatformID: int64(300 + i), Name: fmt.Sprintf("#%d", 1000+i), Currency: "EUR",
			Buyer: ritorno.BuyerFor(int64(200+i%max(customers, 1)), ""), Subtotal: eur(2500), TotalDiscounts: eur(0), TotalTax: eur(0),
			TotalShipping: eur(0), Total: eur(2500), RefundedAmount: eur(0), FinancialStatus: ritorno.FinancialPaid,
			ProcessedAt: base.AddDate(0, 0, i), PlatformCreatedAt: base.AddDate(0, 0, i), PlatformUpdatedAt: base.AddDate(0, 0, i),
			LineItems: []ritorno.LineItem{{PlatformID: int64(5000 + i), ProductPlatformID: 100, Quantity: 2, Price: eur(1250), TotalDiscount: eur(0)}}})
	}
	return f
}

func mustBackfillShop(t *testing.T, db *store.DB, domain string) ritorno.Shop {
	t.Helper()
	shop, err := db.CreateShop(context.Background(), ritorno.Shop{Platform: ritorno.Shopify, Domain: domain,
		Status: ritorno.ShopInstalled, Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

// runUntil runs a Backfiller as serve does (a background task with two workers, polling
// quickly) until cond holds (or fails the test at the deadline), then stops it and waits
// for it.
func runUntil(t *testing.T, b *history.Backfiller, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	task := jobs.Task{Name: "backfill", Every: 10 * time.Millisecond, Workers: 2, Wake: b.Due(), Step: b.RunDue}
	go func() { defer close(done); task.Run(ctx, nil) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached before the deadline")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for an event
	}
}

func backfillOf(t *testing.T, db *store.DB, shopID int64) ritorno.Backfill {
	t.Helper()
	bf, err := db.Backfill(context.Background(), shopID)
	if err != nil {
		t.Fatal(err)
	}
	return bf
}

// fastConfig retries quickly; its lease is long enough that a page slowed by a
// loaded CI machine (race detector, parallel packages) does not lose it to another owner.
func fastConfig(owner string) history.BackfillConfig {
	return history.BackfillConfig{Owner: owner, Lease: 2 * time.Second, RetryBase: 50 * time.Millisecond}
}

func TestBackfillImportsEveryStepAndRecordsProgress(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "past.myshopify.com")
		other := mustBackfillShop(t, db, "other.myshopify.com")
		src := newPast(shop.ID, 4, 5, 7)
		sources := func(_ context.Context, s ritorno.Shop, _ <-chan struct{}) (history.BackfillSource, error) {
			if s.ID != shop.ID {
				return nil, fmt.Errorf("unexpected shop %d", s.ID)
			}
			return src, nil
		}
		if _, err := db.StartBackfill(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		b := history.NewBackfiller(backfillStore{db}, sources, fastConfig("a"))
		runUntil(t, b, func() bool { return backfillOf(t, db, shop.ID).Status == ritorno.BackfillDone })

		bf := backfillOf(t, db, shop.ID)
		if bf.Done != 16 || bf.Inserted != 16 || bf.Updated != 0 || bf.Unchanged != 0 || bf.Step != ritorno.StepOrders || bf.StepDone != 7 || bf.StepTotal != 7 {
			t.Errorf("progress = %+v", bf)
		}
		if want := src.orders[0].ProcessedAt; !bf.OrdersFrom.Equal(want) || !bf.OrdersTo.Equal(src.orders[6].ProcessedAt) {
			t.Errorf("orders range %s – %s, want %s – %s", bf.OrdersFrom, bf.OrdersTo, want, src.orders[6].ProcessedAt)
		}
		if bf.Limit == "" || bf.Error != "" || bf.FinishedAt.IsZero() {
			t.Errorf("limit %q error %q finished %s", bf.Limit, bf.Error, bf.FinishedAt)
		}
		for table, want := range map[string]int64{"products": 4, "variants": 4, "customers": 5, "orders": 7, "line_items": 7} {
			if got := storetest.CountRows(t, db, table, shop.ID); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
			if got := storetest.CountRows(t, db, table, other.ID); got != 0 {
				t.Errorf("%s: the other shop got %d rows", table, got)
			}
		}
		if _, err := db.Backfill(ctx, other.ID); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Errorf("the other shop's backfill: %v, want not found", err)
		}

		// Starting again re-reads everything; nothing is new and nothing is duplicated.
		if bf, err := db.StartBackfill(ctx, shop.ID); err != nil || bf.Status != ritorno.BackfillPending || bf.Done != 0 {
			t.Fatalf("restart: %+v, %v", bf, err)
		}
		runUntil(t, b, func() bool { return backfillOf(t, db, shop.ID).Status == ritorno.BackfillDone })
		if bf := backfillOf(t, db, shop.ID); bf.Inserted != 0 || bf.Updated+bf.Unchanged != 16 {
			t.Errorf("second run: %+v", bf)
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 7 {
			t.Errorf("orders after the second run: %d", got)
		}
	})
}

func TestBackfillResumesAfterACrashWithoutDuplicates(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "crash.myshopify.com")
		src := newPast(shop.ID, 2, 4, 10)
		dying := &deadStore{backfillStore: backfillStore{db}}
		crashed := make(chan struct{})
		src.beforePage = func(step string, page int) error {
			if step == ritorno.StepOrders && page == 2 && !dying.dead() {
				dying.kill() // the process dies here: pages 0 and 1 of the orders are stored
				close(crashed)
				return context.Canceled
			}
			return nil
		}
		sources := func(context.Context, ritorno.Shop, <-chan struct{}) (history.BackfillSource, error) { return src, nil }
		if _, err := db.StartBackfill(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		first := history.NewBackfiller(dying, sources, fastConfig("first"))
		runUntil(t, first, func() bool {
			select {
			case <-crashed:
				return true
			default:
				return false
			}
		})
		bf := backfillOf(t, db, shop.ID)
		if bf.Status != ritorno.BackfillRunning || bf.Step != ritorno.StepOrders || bf.Cursor != "6" || bf.Done != 12 {
			t.Fatalf("after the crash: %+v", bf)
		}

		// A new process takes over once the dead one's lease has expired.
		second := history.NewBackfiller(backfillStore{db}, sources, fastConfig("second"))
		runUntil(t, second, func() bool { return backfillOf(t, db, shop.ID).Status == ritorno.BackfillDone })
		bf = backfillOf(t, db, shop.ID)
		if bf.Done != 16 || bf.Inserted != 16 || bf.Updated != 0 || bf.Unchanged != 0 || bf.Attempts != 0 {
			t.Errorf("after resuming: %+v", bf)
		}
		if src.emitted[ritorno.StepProducts] != 2 || src.emitted[ritorno.StepCustomers] != 4 {
			t.Errorf("finished steps were read again: %v", src.emitted)
		}
		// Pages 0 and 1 were stored before the crash; page 2 was never handed over.
		if src.emitted[ritorno.StepOrders] != 10 {
			t.Errorf("orders handed over %d times for 10 orders", src.emitted[ritorno.StepOrders])
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != 10 {
			t.Errorf("orders stored: %d", got)
		}
	})
}

func TestBackfillRetriesThenFailsOnRefusedAccess(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "retry.myshopify.com")
		src := newPast(shop.ID, 1, 1, 4)
		failures := 1
		src.beforePage = func(step string, page int) error {
			if step == ritorno.StepOrders && page == 1 && failures > 0 {
				failures--
				return ritorno.Errorf(ritorno.EUNAVAILABLE, "Shopify answered 503")
			}
			return nil
		}
		sources := func(context.Context, ritorno.Shop, <-chan struct{}) (history.BackfillSource, error) { return src, nil }
		if _, err := db.StartBackfill(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		b := history.NewBackfiller(backfillStore{db}, sources, fastConfig("retry"))
		var sawRetry bool
		runUntil(t, b, func() bool {
			bf := backfillOf(t, db, shop.ID)
			sawRetry = sawRetry || (bf.Attempts == 1 && bf.Error == "Shopify answered 503")
			return bf.Status == ritorno.BackfillDone
		})
		if bf := backfillOf(t, db, shop.ID); bf.Attempts != 1 || bf.Error != "" || bf.Done != 6 || bf.Inserted != 6 {
			t.Errorf("after the retry: %+v (saw the retry: %v)", bf, sawRetry)
		}

		src.beforePage = func(step string, page int) error {
			return ritorno.Errorf(ritorno.EUNAUTHORIZED, "the shop's token was revoked")
		}
		if _, err := db.StartBackfill(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		runUntil(t, b, func() bool { return backfillOf(t, db, shop.ID).Status == ritorno.BackfillFailed })
		if bf := backfillOf(t, db, shop.ID); bf.Attempts != 1 || bf.Error != "the shop's token was revoked" || bf.FinishedAt.IsZero() {
			t.Errorf("refused access: %+v", bf)
		}
	})
}

func TestBackfillWakesTheSourceAndSkipsUninstalledShops(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "wake.myshopify.com")
		gone := mustBackfillShop(t, db, "gone.myshopify.com")
		if err := db.UninstallShop(ctx, gone.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		woke := make(chan struct{})
		var b *history.Backfiller
		sources := func(_ context.Context, s ritorno.Shop, wake <-chan struct{}) (history.BackfillSource, error) {
			if s.ID != shop.ID {
				return nil, fmt.Errorf("an uninstalled shop was claimed")
			}
			src := newPast(s.ID, 1, 0, 0)
			src.beforePage = func(string, int) error {
				b.WakeShop(s.ID)
				select {
				case <-wake:
					close(woke)
					return nil
				case <-time.After(10 * time.Second):
					return fmt.Errorf("no wake")
				}
			}
			return src, nil
		}
		for _, id := range []int64{shop.ID, gone.ID} {
			if _, err := db.StartBackfill(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		b = history.NewBackfiller(backfillStore{db}, sources, fastConfig("wake"))
		runUntil(t, b, func() bool { return backfillOf(t, db, shop.ID).Status == ritorno.BackfillDone })
		select {
		case <-woke:
		default:
			t.Error("the source was not woken")
		}
		if bf := backfillOf(t, db, gone.ID); bf.Status != ritorno.BackfillPending {
			t.Errorf("uninstalled shop's backfill: %+v", bf)
		}
	})
}

// claimRecorder notes the lease owner of every claim.
type claimRecorder struct {
	backfillStore
	mu     sync.Mutex
	owners []string
}

func (s *claimRecorder) ClaimBackfill(ctx context.Context, owner string, until time.Time) (ritorno.Backfill, bool, error) {
	bf, ok, err := s.backfillStore.ClaimBackfill(ctx, owner, until)
	if ok {
		s.mu.Lock()
		s.owners = append(s.owners, owner)
		s.mu.Unlock()
	}
	return bf, ok, err
}

// TestEachClaimHasItsOwnLeaseName: the workers of one process share its owner name, so each
// claim holds the lease under a name of its own. With a shared name, a worker whose lease
// lapsed and was claimed again by its neighbour still passed the lease checks of its late
// writes, and put an old cursor back over a finished backfill (seen under load).
func TestEachClaimHasItsOwnLeaseName(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := &claimRecorder{backfillStore: backfillStore{db}}
		var shops []ritorno.Shop
		for _, d := range []string{"one.myshopify.com", "two.myshopify.com"} {
			shop := mustBackfillShop(t, db, d)
			if _, err := db.StartBackfill(ctx, shop.ID); err != nil {
				t.Fatal(err)
			}
			shops = append(shops, shop)
		}
		sources := func(_ context.Context, s ritorno.Shop, _ <-chan struct{}) (history.BackfillSource, error) {
			return newPast(s.ID, 1, 1, 1), nil
		}
		b := history.NewBackfiller(rec, sources, fastConfig("host-1"))
		runUntil(t, b, func() bool {
			return backfillOf(t, db, shops[0].ID).Status == ritorno.BackfillDone && backfillOf(t, db, shops[1].ID).Status == ritorno.BackfillDone
		})
		rec.mu.Lock()
		defer rec.mu.Unlock()
		seen := map[string]bool{}
		for _, o := range rec.owners {
			if seen[o] || !strings.HasPrefix(o, "host-1#") {
				t.Fatalf("claims held as %q; want a name of its own for each, from the process's", rec.owners)
			}
			seen[o] = true
		}
		if len(seen) < 2 {
			t.Fatalf("claims held as %q; want one for each backfill at least", rec.owners)
		}
	})
}
