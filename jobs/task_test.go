package jobs_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno/jobs"
)

// runTask runs t in the background; the returned stop cancels it and waits for Run.
func runTask(t *testing.T, task jobs.Task) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); task.Run(ctx, nil) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// A task steps at once, then every period; a wake steps it at once, whatever the period.
func TestTaskStepsAtOnceEveryPeriodAndOnWake(t *testing.T) {
	var steps atomic.Int32
	step := func(context.Context) error { steps.Add(1); return nil }
	runTask(t, jobs.Task{Name: "often", Every: time.Millisecond, Step: step})
	waitFor(t, "three steps", func() bool { return steps.Load() >= 3 })

	var woken atomic.Int32
	wake := make(chan struct{}, 1)
	runTask(t, jobs.Task{Name: "rare", Every: time.Hour, Wake: wake, Step: func(context.Context) error { woken.Add(1); return nil }})
	waitFor(t, "the first step", func() bool { return woken.Load() == 1 })
	wake <- struct{}{}
	waitFor(t, "the woken step", func() bool { return woken.Load() == 2 })

	var once atomic.Int32
	stop := runTask(t, jobs.Task{Name: "once", Step: func(context.Context) error { once.Add(1); return nil }})
	waitFor(t, "the single step", func() bool { return once.Load() == 1 })
	stop() // returns: the task had already ended
	if n := once.Load(); n != 1 {
		t.Errorf("a task without a period stepped %d times", n)
	}
}

// Failed steps wait longer and longer, up to the backoff; a success goes back to the period.
func TestTaskBacksOffAfterFailures(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	step := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
		if len(at) <= 4 {
			return errors.New("database away")
		}
		return nil
	}
	runTask(t, jobs.Task{Name: "flaky", Every: 10 * time.Millisecond, Backoff: 40 * time.Millisecond, Step: step})
	waitFor(t, "six steps", func() bool { mu.Lock(); defer mu.Unlock(); return len(at) >= 6 })
	mu.Lock()
	defer mu.Unlock()
	// Timers never fire early, so the gaps are at least the waits: 20, 40, 40, 40 ms after
	// the four failures (doubling from the period, capped), then the period again.
	for i, want := range []time.Duration{20, 40, 40, 40, 10} {
		if gap := at[i+1].Sub(at[i]); gap < want*time.Millisecond {
			t.Errorf("wait after step %d: %s, want at least %d ms", i+1, gap, want)
		}
	}
}

// A stop lets the running step finish: Run returns only after it has.
func TestTaskStopWaitsForTheRunningStep(t *testing.T) {
	entered, release := make(chan struct{}, 2), make(chan struct{})
	var finished atomic.Int32
	step := func(ctx context.Context) error {
		entered <- struct{}{}
		<-release
		finished.Add(1)
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// Two workers: both step at once.
	go func() {
		defer close(done)
		jobs.Task{Name: "slow", Every: time.Hour, Workers: 2, Step: step}.Run(ctx, nil)
	}()
	<-entered
	<-entered
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while its steps were running")
	case <-time.After(20 * time.Millisecond): // a grace for a wrong return to show, not a wait for an event
	}
	close(release)
	<-done
	if n := finished.Load(); n != 2 {
		t.Errorf("%d steps finished, want 2", n)
	}
}

// A group runs every task, says which are still running, and is done when all stopped.
func TestGroupStartsAndStopsEveryTask(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	var loopStopped atomic.Bool
	g := jobs.Start(ctx, nil,
		jobs.Task{Name: "loop", Loop: func(ctx context.Context) { <-ctx.Done(); loopStopped.Store(true) }},
		jobs.Task{Name: "slow", Every: time.Hour, Step: func(context.Context) error { <-release; return nil }},
		jobs.Task{Name: "once", Step: func(context.Context) error { return nil }},
	)
	waitFor(t, "the one-shot task to end", func() bool { return !slices.Contains(g.Running(), "once") })
	cancel()
	waitFor(t, "the loop to stop", func() bool { return !slices.Contains(g.Running(), "loop") })
	if got := g.Running(); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("running = %v, want the slow step's task", got)
	}
	select {
	case <-g.Done():
		t.Fatal("done while a step was running")
	default:
	}
	close(release)
	<-g.Done()
	if !loopStopped.Load() || len(g.Running()) != 0 {
		t.Errorf("after Done: loop stopped %v, running %v", loopStopped.Load(), g.Running())
	}
}
