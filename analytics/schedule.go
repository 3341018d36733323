package analytics

import (
	"context"
	"log/slog"
	"time"
)

// ScheduleStore is what the Scheduler needs of storage.
type ScheduleStore interface {
	InsightStore
	ShopsNeedingInsights(ctx context.Context, staleBefore time.Time) ([]int64, error)
}

// Scheduler keeps every installed shop's insights current: it recomputes a shop whose
// orders changed since its last computation (so new orders show within Interval) and,
// in any case, every MaxAge (recency and scores move with time alone). A full computation
// takes well under a second for 100,000 buyers, which is why changes are not applied
// buyer by buyer: the scores are quintiles of the whole shop and the models are fitted to
// all of it, so one buyer's order can move everyone's figures.
type Scheduler struct {
	Store    ScheduleStore
	Options  ComputeOptions
	Interval time.Duration // how often to look for shops to recompute (1 min)
	MaxAge   time.Duration // recompute at least this often (6 h)
	Log      *slog.Logger
}

// Run recomputes due shops until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	interval, maxAge, log := s.Interval, s.MaxAge, s.Log
	if interval <= 0 {
		interval = time.Minute
	}
	if maxAge <= 0 {
		maxAge = 6 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.RunOnce(ctx, maxAge, log)
		t.Reset(interval)
	}
}

// RunOnce recomputes the shops that are due now and reports how many it computed.
func (s *Scheduler) RunOnce(ctx context.Context, maxAge time.Duration, log *slog.Logger) int {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if s.Options.Now != nil {
		now = s.Options.Now
	}
	ids, err := s.Store.ShopsNeedingInsights(ctx, now().Add(-maxAge))
	if err != nil {
		if ctx.Err() == nil {
			log.Error("list shops needing insights", "err", err)
		}
		return 0
	}
	done := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		ins, st, err := Compute(ctx, s.Store, id, s.Options)
		if err != nil {
			log.Error("compute insights", "shop", id, "err", err)
			continue
		}
		done++
		log.Info("insights computed", "shop", id, "customers", ins.Customers, "orders", ins.Orders, "fallback", ins.Fallback,
			"load_ms", st.Load.Milliseconds(), "fit_ms", st.Fit.Milliseconds(), "store_ms", st.Store.Milliseconds(),
			"total_ms", st.Total().Milliseconds())
	}
	return done
}
