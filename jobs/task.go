package jobs

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Task is one piece of background work. Most are periodic: Step runs at once, then again
// Every after it returns (sooner when Wake receives, later after failures). Work that
// paces itself (the inbox runner, woken by each delivery) gives Loop instead.
type Task struct {
	Name    string
	Every   time.Duration // wait between steps; 0: Step runs once
	Jitter  time.Duration // up to this much is added at random to each wait, so replicas spread out
	Backoff time.Duration // longest wait after failed steps, doubling from Every [5m, never less than Every]
	Workers int           // steps run at once, each worker on its own schedule [1]
	Wake    <-chan struct{}
	Step    func(ctx context.Context) error
	Loop    func(ctx context.Context) // instead of Step: runs once, until ctx ends
}

// Run runs the task until ctx ends and returns once its running steps have returned. A
// failed step is logged and retried after the backoff.
func (t Task) Run(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if t.Loop != nil {
		t.Loop(ctx)
		return
	}
	var wg sync.WaitGroup
	for range max(t.Workers, 1) {
		wg.Add(1)
		go func() { defer wg.Done(); t.work(ctx, log) }()
	}
	wg.Wait()
}

// work is one worker's schedule.
func (t Task) work(ctx context.Context, log *slog.Logger) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		err := t.Step(ctx)
		if ctx.Err() != nil {
			return
		}
		if t.Every <= 0 {
			if err != nil {
				log.Error("background step failed", "err", err)
			}
			return
		}
		wait := t.Every
		if err != nil {
			failures++
			wait = t.backoff(failures)
			log.Error("background step failed", "err", err, "retry_in", wait.String())
		} else {
			failures = 0
		}
		if t.Jitter > 0 {
			wait += rand.N(t.Jitter)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.Wake:
		case <-timer.C:
		}
	}
}

// backoff is the wait after n failed steps in a row: Every doubling, capped.
func (t Task) backoff(n int) time.Duration {
	limit := t.Backoff
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	limit = max(limit, t.Every)
	d := t.Every
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Group is a set of tasks started together.
type Group struct {
	done chan struct{}

	mu      sync.Mutex
	running []string
}

// Start runs each task in its own goroutine until ctx ends, logging when each starts and
// stops.
func Start(ctx context.Context, log *slog.Logger, tasks ...Task) *Group {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Group{done: make(chan struct{})}
	var wg sync.WaitGroup
	for _, t := range tasks {
		g.running = append(g.running, t.Name)
		tlog := log.With("task", t.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if t.Loop != nil {
				tlog.Info("background task started")
			} else {
				tlog.Info("background task started", "every", t.Every.String())
			}
			t.Run(ctx, tlog)
			g.mu.Lock()
			if i := slices.Index(g.running, t.Name); i >= 0 {
				g.running = slices.Delete(g.running, i, i+1)
			}
			g.mu.Unlock()
			tlog.Info("background task stopped")
		}()
	}
	go func() { wg.Wait(); close(g.done) }()
	return g
}

// Done is closed once every task has stopped.
func (g *Group) Done() <-chan struct{} { return g.done }

// Running names the tasks not stopped yet.
func (g *Group) Running() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.running)
}
