// Package jobs is the one home of background work. Task runs a periodic step (with a
// period, jitter, backoff after failures, and a wake for "run now") and Start runs a
// group of them until a context ends; KeepLease holds a lease while work runs. serve lists
// every task it runs in one place; the engines expose steps and keep no loops of their own.
//
// The Runner drains the durable webhook inbox: one claimer takes due deliveries in
// batches, a pool of workers applies them, and each outcome is recorded — done, retried
// later with exponential backoff, failed for good (input that can never apply), or
// dead-lettered after the attempt limit. A stop lets claimed work finish; a crash leaves it
// claimed until its lease runs out, when it is claimed again. A live runner renews the
// leases of everything it holds, so the lease can be short: it bounds how long a crashed
// worker's deliveries wait, not how long a batch may take.
package jobs

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ritorno/ritorno"
)

// Queue is what the runner needs of the inbox.
type Queue interface {
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]ritorno.Delivery, error)
	FinishDelivery(ctx context.Context, id int64, attempt int, status ritorno.DeliveryStatus, lastError string, nextAttemptAt time.Time) (stale bool, err error)
	// FinishDone records many successes at once (ids[i] at attempts[i]) and returns the
	// ids whose claim had moved on.
	FinishDone(ctx context.Context, ids []int64, attempts []int) (stale []int64, err error)
	// ExtendClaims renews the leases of claims still held (ids[i] at attempts[i]) and
	// returns the ids whose claim had moved on.
	ExtendClaims(ctx context.Context, ids []int64, attempts []int, lease time.Duration) (lost []int64, err error)
}

// Processor applies one delivery. An EINVALID error means retrying cannot help.
type Processor interface {
	Process(ctx context.Context, d ritorno.Delivery) error
}

// BatchProcessor is a Processor that can apply several deliveries together (sharing one
// commit). It returns one error per delivery, in order, with Process's meaning.
type BatchProcessor interface {
	Processor
	ProcessBatch(ctx context.Context, ds []ritorno.Delivery) []error
}

// Config tunes a Runner; zero fields take the defaults in brackets.
type Config struct {
	Workers      int           // concurrent processors [2]
	Batch        int           // deliveries claimed at once [256]
	ApplyBatch   int           // deliveries a worker applies together, with a BatchProcessor [128]
	Lease        time.Duration // how long a claim holds without renewal before another worker may take it [20s]
	ApplyTimeout time.Duration // longest a chunk may be applied; its claims are renewed until then [2m]
	MaxAttempts  int           // attempts before a delivery is dead [10]
	BaseBackoff  time.Duration // wait after the first failure, doubling each time [2s]
	MaxBackoff   time.Duration // longest wait between attempts [1h]
	PollInterval time.Duration // how often an idle runner looks for due retries [1s]
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Workers, 2)
	def(&c.Batch, 256)
	def(&c.ApplyBatch, 128)
	def(&c.MaxAttempts, 10)
	// Renewed every third of a lease, so two missed renewals in a row (a slow database)
	// still keep it; after a crash, the backlog waits at most one lease.
	defD(&c.Lease, 20*time.Second)
	defD(&c.ApplyTimeout, 2*time.Minute)
	defD(&c.BaseBackoff, 2*time.Second)
	defD(&c.MaxBackoff, time.Hour)
	defD(&c.PollInterval, time.Second)
	return c
}

// Runner drains a Queue with a Processor.
type Runner struct {
	queue     Queue
	processor Processor
	cfg       Config
	log       *slog.Logger
	wake      chan struct{}
	now       func() time.Time
	held      heldClaims

	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewRunner builds a runner and registers its metrics with reg.
func NewRunner(q Queue, p Processor, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Runner {
	r := &Runner{
		queue: q, processor: p, cfg: cfg.withDefaults(), log: log,
		wake: make(chan struct{}, 1), now: time.Now,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ritorno_webhook_processing_total", Help: "Processing attempts of webhook deliveries by platform, topic and outcome.",
		}, []string{"platform", "topic", "outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ritorno_webhook_processing_lag_seconds", Help: "Time from receipt to successful processing.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
	}
	reg.MustRegister(r.outcomes, r.latency)
	return r
}

// Notify tells an idle runner that new work is queued. It never blocks.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run processes deliveries until ctx ends, then waits for claimed work to finish. Work is
// applied with a context that outlives ctx, so a stop never cuts a delivery in half;
// the caller bounds the wait (Main's shutdown timeout).
func (r *Runner) Run(ctx context.Context) {
	// One queue per worker, and each shop's deliveries always to the same worker: two
	// workers applying one shop's customers and orders in different orders deadlocked on
	// PostgreSQL (hundreds of times a minute in the soak test), and a shop's deliveries
	// are applied in the order received.
	work := make([]chan []ritorno.Delivery, r.cfg.Workers)
	done := make(chan ritorno.Delivery, r.cfg.Batch)
	finished := make(chan struct{})
	go func() { r.finishDone(done); close(finished) }()
	stopRenewing, renewed := make(chan struct{}), make(chan struct{})
	go func() { r.renewLeases(stopRenewing); close(renewed) }()
	var wg sync.WaitGroup
	for w := range work {
		work[w] = make(chan []ritorno.Delivery)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range work[w] {
				r.handleChunk(chunk, done)
			}
		}()
	}
	defer func() {
		for _, w := range work {
			close(w)
		}
		wg.Wait()
		close(done)
		<-finished
		close(stopRenewing) // everything claimed is recorded: nothing is held
		<-renewed
	}()

	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	for {
		batch, err := r.queue.ClaimDeliveries(ctx, r.cfg.Batch, r.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			r.log.Error("claim deliveries", "err", err)
		}
		r.held.add(batch)
		// Hand every claimed delivery to a worker, even while stopping: it is claimed.
		for w, share := range byWorker(batch, len(work)) {
			for rest := share; len(rest) > 0; {
				n := min(len(rest), r.cfg.ApplyBatch)
				work[w] <- rest[:n:n]
				rest = rest[n:]
			}
		}
		if len(batch) == r.cfg.Batch && ctx.Err() == nil {
			continue // more may be due right now
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-poll.C:
		}
	}
}

// byWorker splits a claimed batch into one share per worker, by shop, keeping the claim
// order within each share.
func byWorker(batch []ritorno.Delivery, workers int) [][]ritorno.Delivery {
	shares := make([][]ritorno.Delivery, workers)
	for _, d := range batch {
		w := int(uint64(d.ShopID) % uint64(workers))
		shares[w] = append(shares[w], d)
	}
	return shares
}

// finishDone records successes in groups: whatever has finished while the previous group
// was being written goes in the next statement, so that recording costs one round trip per
// group rather than one per delivery. It returns when done is closed and drained.
func (r *Runner) finishDone(done <-chan ritorno.Delivery) {
	var ids []int64
	var attempts []int
	for d := range done {
		ids, attempts = append(ids[:0], d.ID), append(attempts[:0], d.Attempts)
	collect:
		for len(ids) < r.cfg.Batch {
			select {
			case more, ok := <-done:
				if !ok {
					break collect
				}
				ids, attempts = append(ids, more.ID), append(attempts, more.Attempts)
			default:
				break collect
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ApplyTimeout)
		stale, err := r.queue.FinishDone(ctx, ids, attempts)
		cancel()
		r.held.remove(ids, attempts)
		switch {
		case err != nil:
			// The leases run out and the deliveries are applied again (idempotently).
			r.log.Error("record deliveries done", "deliveries", len(ids), "err", err)
		case len(stale) > 0:
			r.log.Warn("deliveries were claimed again before their attempt finished; outcome dropped", "delivery_ids", stale)
		}
	}
}

// handleChunk applies claimed deliveries, together when the processor can, and records
// each outcome; successes go to done.
func (r *Runner) handleChunk(ds []ritorno.Delivery, done chan<- ritorno.Delivery) {
	// Detached from the run context on purpose (see Run); bounded by ApplyTimeout, after
	// which the claims are no longer renewed either.
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ApplyTimeout)
	defer cancel()
	r.held.start(ds, r.now().Add(r.cfg.ApplyTimeout))
	var errs []error
	if bp, ok := r.processor.(BatchProcessor); ok {
		errs = bp.ProcessBatch(ctx, ds)
	} else {
		errs = make([]error, len(ds))
		for i, d := range ds {
			errs[i] = r.processor.Process(ctx, d)
		}
	}
	for i, d := range ds {
		r.record(ctx, d, errs[i], done)
	}
}

// record files the outcome of one delivery's attempt.
func (r *Runner) record(ctx context.Context, d ritorno.Delivery, err error, done chan<- ritorno.Delivery) {
	log := r.log.With("delivery_id", d.ID, "platform", string(d.Platform), "topic", d.Topic, "shop", d.ShopDomain, "attempt", d.Attempts)
	status, next, msg := ritorno.DeliveryDone, time.Time{}, ""
	switch {
	case err == nil:
		r.latency.Observe(r.now().Sub(d.ReceivedAt).Seconds())
	case ritorno.ErrorCode(err) == ritorno.EINVALID:
		status, msg = ritorno.DeliveryFailed, err.Error()
		log.Warn("delivery cannot be applied", "err", err)
	case d.Attempts >= r.cfg.MaxAttempts:
		status, msg = ritorno.DeliveryDead, err.Error()
		log.Error("delivery dead-lettered", "err", err)
	default:
		status, msg, next = ritorno.DeliveryPending, err.Error(), r.now().Add(r.Backoff(d.Attempts))
		log.Warn("delivery will be retried", "err", err, "next_attempt_at", next)
	}
	r.outcomes.WithLabelValues(string(d.Platform), d.Topic, string(status)).Inc()
	if status == ritorno.DeliveryDone {
		done <- d
		return
	}
	stale, ferr := r.queue.FinishDelivery(ctx, d.ID, d.Attempts, status, msg, next)
	r.held.remove([]int64{d.ID}, []int{d.Attempts})
	switch {
	case ferr != nil:
		// The lease runs out and the delivery is claimed again: nothing is lost.
		log.Error("record delivery outcome", "err", ferr)
	case stale:
		log.Warn("delivery was claimed again before this attempt finished; outcome dropped")
	}
}

// Backoff is the wait before attempt n+1 after n failed attempts: BaseBackoff doubling
// each time, capped at MaxBackoff, with ±20 % jitter so that retries of a burst spread out.
func (r *Runner) Backoff(n int) time.Duration {
	d := r.cfg.BaseBackoff
	for i := 1; i < n && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.cfg.MaxBackoff)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// heldClaims are the deliveries this runner has claimed and not yet recorded: waiting for
// a worker, being applied, or waiting for their outcome to be written. Their leases are
// renewed until then.
type heldClaims struct {
	mu     sync.Mutex
	claims map[int64]heldClaim
}

type heldClaim struct {
	attempt int
	until   time.Time // renewal stops after this (zero: not started yet)
}

func (h *heldClaims) add(ds []ritorno.Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.claims == nil {
		h.claims = map[int64]heldClaim{}
	}
	for _, d := range ds {
		h.claims[d.ID] = heldClaim{attempt: d.Attempts}
	}
}

// start marks deliveries as being applied until until: a processor stuck past it loses its
// claims when their lease runs out, and the attempt number fences its late outcome.
func (h *heldClaims) start(ds []ritorno.Delivery, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ds {
		if c, ok := h.claims[d.ID]; ok {
			c.until = until
			h.claims[d.ID] = c
		}
	}
}

// remove forgets claims ids[i] at attempts[i]: recorded, or lost. A later claim of the
// same delivery (a retry claimed meanwhile) has another attempt number and stays held.
func (h *heldClaims) remove(ids []int64, attempts []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, id := range ids {
		if c, ok := h.claims[id]; ok && c.attempt == attempts[i] {
			delete(h.claims, id)
		}
	}
}

// renewable lists the claims to renew now, in one statement's worth.
func (h *heldClaims) renewable(now time.Time) (ids []int64, attempts []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, c := range h.claims {
		if c.until.IsZero() || now.Before(c.until) {
			ids, attempts = append(ids, id), append(attempts, c.attempt)
		}
	}
	return ids, attempts
}

// renewLeases extends the leases of the held claims every third of a lease until stop.
func (r *Runner) renewLeases(stop <-chan struct{}) {
	tick := time.NewTicker(r.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		ids, attempts := r.held.renewable(r.now())
		for len(ids) > 0 {
			n := min(len(ids), r.cfg.Batch)
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Lease/3)
			lost, err := r.queue.ExtendClaims(ctx, ids[:n], attempts[:n], r.cfg.Lease)
			cancel()
			switch {
			case err != nil:
				// The next tick tries again, well before the lease runs out.
				r.log.Error("renew delivery leases", "deliveries", n, "err", err)
			case len(lost) > 0:
				// Finished meanwhile (removed just after), or claimed again by another
				// worker: either way not ours to renew; the attempt fences our outcome.
				lostAttempts := make([]int, 0, len(lost))
				for _, id := range lost {
					lostAttempts = append(lostAttempts, attempts[slices.Index(ids, id)])
				}
				r.held.remove(lost, lostAttempts)
			}
			ids, attempts = ids[n:], attempts[n:]
		}
	}
}
