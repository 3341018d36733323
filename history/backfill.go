package history

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/jobs"
)

// Backfills bring a shop's past (products, customers, orders) from its platform, which
// webhooks cannot: they only carry what changes after install. A platform source reads
// the past step by step in pages; the Backfiller stores each page with the source's resume
// cursor in one transaction, through the same upserts as webhooks, so a crash resumes
// from the last stored page and a webhook and a backfill row for the same order agree
// (the newer platform version wins, whichever arrives first).

// BackfillSource reads one shop's past from its platform.
type BackfillSource interface {
	// Steps lists the steps to run, in order (ritorno.Step*).
	Steps() []string
	// RunStep imports step from cursor ("" = from the start), calling page for each batch
	// in order; it returns nil once the step is complete. page's error stops it and is
	// returned as it is.
	RunStep(ctx context.Context, step, cursor string, page func(ritorno.BackfillPage) error) error
}

// SourceFactory builds the source for a shop. wake receives a value when the platform
// says an export of the shop finished (Shopify's bulk_operations/finish webhook), so the
// source need not wait for its next poll.
type SourceFactory func(ctx context.Context, shop ritorno.Shop, wake <-chan struct{}) (BackfillSource, error)

// BackfillStore is what running backfills needs of storage.
type BackfillStore interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	ClaimBackfill(ctx context.Context, owner string, until time.Time) (ritorno.Backfill, bool, error)
	RenewBackfill(ctx context.Context, shopID int64, owner string, until time.Time) error
	ReleaseBackfill(ctx context.Context, owner string, b ritorno.Backfill) error
	// InBackfillTransaction runs fn with writes bound to one transaction.
	InBackfillTransaction(ctx context.Context, fn func(BackfillWriter) error) error
}

// BackfillWriter stores one page and the progress it makes, in one transaction.
type BackfillWriter interface {
	UpsertProducts(ctx context.Context, shopID int64, products []ritorno.Product) ([]ritorno.Write, error)
	UpsertCustomers(ctx context.Context, shopID int64, customers []ritorno.Customer) ([]ritorno.Write, error)
	UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error)
	SaveBackfill(ctx context.Context, owner string, b ritorno.Backfill) error
}

// BackfillConfig tunes a Backfiller; zero values take the defaults.
type BackfillConfig struct {
	Lease       time.Duration // how long a claim holds without renewal (1 min)
	MaxAttempts int           // failed attempts before a backfill is marked failed (8)
	RetryBase   time.Duration // first retry delay, doubled per attempt up to 30 min (30 s)
	Owner       string        // lease owner name; "" = random per process
	Now         func() time.Time
	Log         *slog.Logger
}

func (c BackfillConfig) withDefaults() BackfillConfig {
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.Owner == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.Owner = "backfiller-" + hex.EncodeToString(b)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Backfiller runs due backfills: claimed with a lease, resumed from their cursor, retried
// with backoff, given up after MaxAttempts or at once when the platform refuses access.
type Backfiller struct {
	store   BackfillStore
	sources SourceFactory
	cfg     BackfillConfig
	notify  chan struct{}

	mu    sync.Mutex
	wakes map[int64]chan struct{}
}

// NewBackfiller returns a Backfiller; RunDue runs its due backfills.
func NewBackfiller(store BackfillStore, sources SourceFactory, cfg BackfillConfig) *Backfiller {
	return &Backfiller{store: store, sources: sources, cfg: cfg.withDefaults(), notify: make(chan struct{}, 1), wakes: map[int64]chan struct{}{}}
}

// Notify says a backfill was started: look for due ones now.
func (b *Backfiller) Notify() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// WakeShop says the platform finished an export of the shop: its running source should
// look now rather than at its next poll. Without a running backfill it is a no-op.
func (b *Backfiller) WakeShop(shopID int64) {
	b.mu.Lock()
	ch := b.wakes[shopID]
	b.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Due receives a value when a backfill was started or a claimed one found: its worker
// should look for due backfills now rather than at its next poll.
func (b *Backfiller) Due() <-chan struct{} { return b.notify }

// RunDue claims due backfills one after another and runs each to its end or its next
// failure, until none is due. Several may run at once (serve's backfill task has a worker
// per concurrent backfill). When ctx ends, the running backfill saves its progress and
// RunDue returns.
func (b *Backfiller) RunDue(ctx context.Context) error {
	for ctx.Err() == nil {
		bf, ok, err := b.store.ClaimBackfill(ctx, b.cfg.Owner, b.cfg.Now().Add(b.cfg.Lease))
		if err != nil || !ok {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		b.Notify() // another may be due too: an idle worker looks at once
		b.runOne(ctx, bf)
	}
	return nil
}

// runOne runs a claimed backfill from where it stands to its end or its next failure.
func (b *Backfiller) runOne(parent context.Context, bf ritorno.Backfill) {
	log := b.cfg.Log.With("shop", bf.ShopID, "job", "backfill")
	wake := make(chan struct{}, 1)
	b.mu.Lock()
	b.wakes[bf.ShopID] = wake
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.wakes, bf.ShopID)
		b.mu.Unlock()
	}()

	renew := func(ctx context.Context) error {
		return b.store.RenewBackfill(ctx, bf.ShopID, b.cfg.Owner, b.cfg.Now().Add(b.cfg.Lease))
	}
	lost, err := jobs.KeepLease(parent, b.cfg.Lease, renew, log, func(ctx context.Context) error {
		return b.steps(ctx, &bf, wake, log)
	})
	if lost {
		log.Warn("backfill lease lost; another process continues it")
		return
	}
	release := func(bf ritorno.Backfill) {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
		defer rcancel()
		if err := b.store.ReleaseBackfill(rctx, b.cfg.Owner, bf); err != nil {
			log.Error("save backfill", "err", err)
		}
	}
	now := b.cfg.Now()
	switch {
	case err == nil:
		bf.Status, bf.Error, bf.FinishedAt, bf.NextAttemptAt = ritorno.BackfillDone, "", now, now
		log.Info("backfill done", "objects", bf.Done, "inserted", bf.Inserted, "updated", bf.Updated, "unchanged", bf.Unchanged)
	case parent.Err() != nil:
		// Shutdown: not a failure. The next start resumes at once from the saved cursor.
		bf.NextAttemptAt = now
		log.Info("backfill paused by shutdown", "step", bf.Step)
	default:
		bf.Attempts++
		bf.Error = ritorno.ErrorMessage(err)
		code := ritorno.ErrorCode(err)
		if code == ritorno.EUNAUTHORIZED || code == ritorno.EFORBIDDEN || bf.Attempts >= b.cfg.MaxAttempts {
			bf.Status, bf.FinishedAt = ritorno.BackfillFailed, now
			log.Error("backfill failed", "step", bf.Step, "attempts", bf.Attempts, "err", err)
		} else {
			bf.NextAttemptAt = now.Add(b.retryDelay(bf.Attempts))
			log.Warn("backfill attempt failed; retrying", "step", bf.Step, "attempts", bf.Attempts, "retry_at", bf.NextAttemptAt, "err", err)
		}
	}
	release(bf)
}

// steps runs the source's steps from bf.Step on; bf follows the stored progress.
func (b *Backfiller) steps(ctx context.Context, bf *ritorno.Backfill, wake <-chan struct{}, log *slog.Logger) error {
	shop, err := b.store.Shop(ctx, bf.ShopID)
	if err != nil {
		return err
	}
	src, err := b.sources(ctx, shop, wake)
	if err != nil {
		return err
	}
	steps := src.Steps()
	first := slices.Index(steps, bf.Step)
	if first < 0 {
		first = 0
	}
	for _, step := range steps[first:] {
		if bf.Step != step {
			next := *bf
			next.Step, next.Cursor, next.StepDone, next.StepTotal = step, "", 0, 0
			if err := b.save(ctx, shop.ID, &next, ritorno.BackfillPage{}); err != nil {
				return err
			}
			*bf = next
		}
		log.Info("backfill step", "step", step, "resume", bf.Cursor != "")
		err := src.RunStep(ctx, step, bf.Cursor, func(p ritorno.BackfillPage) error {
			next := *bf
			if err := b.save(ctx, shop.ID, &next, p); err != nil {
				return err
			}
			*bf = next
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// save stores a page's objects and the progress they make in one transaction; next is
// the progress before the page and becomes the progress after it.
func (b *Backfiller) save(ctx context.Context, shopID int64, next *ritorno.Backfill, p ritorno.BackfillPage) error {
	// Whatever the source decoded, text and times are mended before they are stored (see
	// ritorno.Order.Sanitize): one bad record must not fail its page on every retry.
	now := time.Now()
	for i := range p.Products {
		p.Products[i].Sanitize(now)
	}
	for i := range p.Customers {
		p.Customers[i].Sanitize(now)
	}
	for i := range p.Orders {
		p.Orders[i].Sanitize(now)
	}
	return b.store.InBackfillTransaction(ctx, func(w BackfillWriter) error {
		var writes []ritorno.Write
		if len(p.Products) > 0 {
			ws, err := w.UpsertProducts(ctx, shopID, p.Products)
			if err != nil {
				return err
			}
			writes = append(writes, ws...)
		}
		if len(p.Customers) > 0 {
			ws, err := w.UpsertCustomers(ctx, shopID, p.Customers)
			if err != nil {
				return err
			}
			writes = append(writes, ws...)
		}
		next.Skipped += p.Skipped
		// An order that breaks a rule is skipped alone; it must not fail its page forever.
		orders := make([]ritorno.Order, 0, len(p.Orders))
		for _, o := range p.Orders {
			if o.Validate() != nil {
				next.Skipped++
				continue
			}
			orders = append(orders, o)
		}
		if len(orders) > 0 {
			ws, err := w.UpsertOrders(ctx, shopID, orders)
			if err != nil {
				return err
			}
			writes = append(writes, ws...)
			for _, o := range orders {
				at := o.PlacedAt()
				if at.IsZero() {
					continue
				}
				if next.OrdersFrom.IsZero() || at.Before(next.OrdersFrom) {
					next.OrdersFrom = at
				}
				if at.After(next.OrdersTo) {
					next.OrdersTo = at
				}
			}
		}
		for _, wr := range writes {
			switch wr {
			case ritorno.WriteInserted:
				next.Inserted++
			case ritorno.WriteUpdated:
				next.Updated++
			default:
				next.Unchanged++
			}
		}
		if p.Cursor != "" {
			next.Cursor = p.Cursor
		}
		next.Done += p.Objects
		next.StepDone += p.Objects
		if p.StepTotal > 0 {
			next.StepTotal = p.StepTotal
		}
		if p.Limit != "" {
			next.Limit = p.Limit
		}
		next.Status = ritorno.BackfillRunning
		return w.SaveBackfill(ctx, b.cfg.Owner, *next)
	})
}

// retryDelay doubles from RetryBase per attempt, capped at 30 minutes.
func (b *Backfiller) retryDelay(attempts int) time.Duration {
	d := b.cfg.RetryBase
	for i := 1; i < attempts && d < 30*time.Minute; i++ {
		d *= 2
	}
	return min(d, 30*time.Minute)
}
