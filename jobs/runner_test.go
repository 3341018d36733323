package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/jobs"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// scripted processes deliveries by topic: "ok" succeeds, "invalid" can never apply,
// "flaky" fails its first failures attempts, "slow" blocks until released.
type scripted struct {
	failures atomic.Int32
	calls    sync.Map // delivery id → *atomic.Int32
	release  chan struct{}
	started  chan int64
}

func (s *scripted) Process(ctx context.Context, d ritorno.Delivery) error {
	n, _ := s.calls.LoadOrStore(d.ID, new(atomic.Int32))
	call := n.(*atomic.Int32).Add(1)
	switch d.Topic {
	case "invalid":
		return ritorno.Errorf(ritorno.EINVALID, "cannot decode")
	case "flaky":
		if call <= s.failures.Load() {
			return errors.New("database hiccup")
		}
	case "slow":
		s.started <- d.ID
		<-s.release
	}
	return nil
}

func enqueue(t *testing.T, db *store.DB, shop ritorno.Shop, topic string) int64 {
	t.Helper()
	id, _, err := db.RecordDelivery(context.Background(), ritorno.Delivery{Platform: ritorno.Shopify, ShopDomain: shop.Domain,
		ShopID: shop.ID, Topic: topic, Body: []byte(`{}`), Status: ritorno.DeliveryPending})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustShop(t *testing.T, db *store.DB) ritorno.Shop {
	t.Helper()
	shop, err := db.CreateShop(context.Background(), ritorno.Shop{Platform: ritorno.Shopify, Domain: "jobs.myshopify.com",
		Status: ritorno.ShopInstalled, Currency: "USD", Timezone: "UTC"}, ritorno.ShopCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

func status(t *testing.T, db *store.DB, id int64) ritorno.Delivery {
	t.Helper()
	d, err := db.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newRunner(db *store.DB, p jobs.Processor, cfg jobs.Config) *jobs.Runner {
	return jobs.NewRunner(db, p, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
}

func TestRunnerOutcomes(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		p := &scripted{}
		p.failures.Store(2)
		r := newRunner(db, p, jobs.Config{MaxAttempts: 4, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 5 * time.Millisecond})
		ok := enqueue(t, db, shop, "ok")
		invalid := enqueue(t, db, shop, "invalid")
		flaky := enqueue(t, db, shop, "flaky")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		waitFor(t, "all three to settle", func() bool {
			return status(t, db, ok).Status == ritorno.DeliveryDone &&
				status(t, db, invalid).Status == ritorno.DeliveryFailed &&
				status(t, db, flaky).Status == ritorno.DeliveryDone
		})
		if d := status(t, db, invalid); d.Attempts != 1 || d.LastError == "" {
			t.Fatalf("invalid delivery: %+v (must fail at once, with its reason)", d)
		}
		if d := status(t, db, flaky); d.Attempts != 3 {
			t.Fatalf("flaky delivery took %d attempts, want 3", d.Attempts)
		}

		// Always failing: dead after MaxAttempts, then replayable.
		p.failures.Store(1000)
		dead := enqueue(t, db, shop, "flaky")
		r.Notify()
		waitFor(t, "dead letter", func() bool { return status(t, db, dead).Status == ritorno.DeliveryDead })
		if d := status(t, db, dead); d.Attempts != 4 || d.LastError != "database hiccup" {
			t.Fatalf("dead delivery: %+v", d)
		}
		p.failures.Store(0)
		if n, err := db.ReplayDeliveries(context.Background(), []int64{dead}, ""); err != nil || n != 1 {
			t.Fatalf("replay = %d, %v", n, err)
		}
		r.Notify()
		waitFor(t, "replayed delivery done", func() bool { return status(t, db, dead).Status == ritorno.DeliveryDone })
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	r := newRunner(nil, nil, jobs.Config{BaseBackoff: time.Second, MaxBackoff: 10 * time.Second})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 10 * time.Second} {
		got := r.Backoff(n)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("Backoff(%d) = %v, want %v ±20%%", n, got, want)
		}
	}
}

// TestStopFinishesClaimedWork stops the runner while a delivery is being applied: Run
// waits for it, and the delivery ends done.
func TestStopFinishesClaimedWork(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		p := &scripted{release: make(chan struct{}), started: make(chan int64, 1)}
		r := newRunner(db, p, jobs.Config{PollInterval: 5 * time.Millisecond})
		id := enqueue(t, db, shop, "slow")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		<-p.started
		cancel()
		select {
		case <-done:
			t.Fatal("Run returned while a delivery was being applied")
		case <-time.After(50 * time.Millisecond):
		}
		close(p.release)
		<-done
		if d := status(t, db, id); d.Status != ritorno.DeliveryDone {
			t.Fatalf("after stop, delivery is %s", d.Status)
		}
	})
}

// TestCrashBetweenAckAndProcessing: a worker claims a delivery and dies (its lease runs
// out without a finish); a runner started afterwards processes it.
func TestCrashBetweenAckAndProcessing(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		id := enqueue(t, db, shop, "ok")
		if c, err := db.ClaimDeliveries(context.Background(), 10, 10*time.Millisecond); err != nil || len(c) != 1 {
			t.Fatalf("crashed worker's claim = %v, %v", c, err)
		}
		// The process is gone; a new one starts.
		r := newRunner(db, &scripted{}, jobs.Config{PollInterval: 5 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "the orphaned delivery to be processed", func() bool { return status(t, db, id).Status == ritorno.DeliveryDone })
		if d := status(t, db, id); d.Attempts != 2 {
			t.Fatalf("attempts = %d, want 2 (one lost with the crash)", d.Attempts)
		}
	})
}

// TestSlowBatchKeepsItsClaim: a delivery applied for several lease lengths is renewed by
// its runner and never claimed by a second runner meanwhile.
func TestSlowBatchKeepsItsClaim(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		p := &scripted{release: make(chan struct{}), started: make(chan int64, 2)}
		cfg := jobs.Config{Lease: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond}
		id := enqueue(t, db, shop, "slow")
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Add(1)
		go func() { defer wg.Done(); newRunner(db, p, cfg).Run(ctx) }()
		<-p.started
		wg.Add(1)
		go func() { defer wg.Done(); newRunner(db, p, cfg).Run(ctx) }()
		select {
		case <-p.started:
			close(p.release) // let both runners stop
			t.Fatal("a second runner claimed a delivery that is still being applied")
		case <-time.After(5 * cfg.Lease):
		}
		close(p.release)
		waitFor(t, "the slow delivery to finish", func() bool { return status(t, db, id).Status == ritorno.DeliveryDone })
		if d := status(t, db, id); d.Attempts != 1 {
			t.Fatalf("attempts = %d, want 1", d.Attempts)
		}
	})
}

// TestKilledWorkersClaimsReturnWithinALease: deliveries claimed by a worker that died are
// applied by another runner about one lease after the claim, not before.
func TestKilledWorkersClaimsReturnWithinALease(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		const lease = 2 * time.Second
		var ids []int64
		for range 40 {
			ids = append(ids, enqueue(t, db, shop, "ok"))
		}
		claimedAt := time.Now()
		if c, err := db.ClaimDeliveries(context.Background(), 100, lease); err != nil || len(c) != len(ids) {
			t.Fatalf("killed worker's claim = %d, %v", len(c), err)
		}
		r := newRunner(db, &scripted{}, jobs.Config{Lease: lease, PollInterval: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "the killed worker's deliveries", func() bool {
			counts, err := db.DeliveryCounts(context.Background(), shop.ID)
			return err == nil && counts[ritorno.DeliveryDone] == int64(len(ids))
		})
		// The upper bound leaves room for a loaded test machine; the old 2-minute lease
		// is far beyond it either way.
		if took := time.Since(claimedAt); took < lease || took > lease+5*time.Second {
			t.Fatalf("drained %v after the crash, want about one lease (%v)", took, lease)
		}
	})
}

// perShop records how many deliveries of each shop are being applied at once.
type perShop struct {
	mu      sync.Mutex
	active  map[int64]int
	overlap atomic.Bool
	applied atomic.Int32
}

func (p *perShop) Process(ctx context.Context, d ritorno.Delivery) error {
	p.mu.Lock()
	p.active[d.ShopID]++
	if p.active[d.ShopID] > 1 {
		p.overlap.Store(true)
	}
	p.mu.Unlock()
	time.Sleep(time.Millisecond) // hold the shop long enough for another worker to overlap
	p.mu.Lock()
	p.active[d.ShopID]--
	p.mu.Unlock()
	p.applied.Add(1)
	return nil
}

// TestOneShopOneWorker: a shop's deliveries are never applied by two workers at once (on
// PostgreSQL two workers upserting one shop's customers in different orders deadlocked),
// while two shops are applied side by side.
func TestOneShopOneWorker(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		a := mustShop(t, db)
		b, err := db.CreateShop(context.Background(), ritorno.Shop{Platform: ritorno.Shopify, Domain: "jobs-b.myshopify.com",
			Status: ritorno.ShopInstalled, Currency: "USD", Timezone: "UTC"}, ritorno.ShopCredentials{})
		if err != nil {
			t.Fatal(err)
		}
		for range 60 {
			enqueue(t, db, a, "ok")
			enqueue(t, db, b, "ok")
		}
		p := &perShop{active: map[int64]int{}}
		r := newRunner(db, p, jobs.Config{Workers: 2, ApplyBatch: 4, PollInterval: 10 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "every delivery", func() bool { return p.applied.Load() == 120 })
		if p.overlap.Load() {
			t.Fatal("two workers applied one shop's deliveries at the same time")
		}
	})
}
