package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// ScheduleStore is what the Scheduler needs of storage.
type ScheduleStore interface {
	IncrementalStore
	ShopsNeedingInsights(ctx context.Context, staleBefore time.Time) ([]int64, error)
}

// Scheduler keeps every installed shop's insights current. Each Tick (serve runs one every
// 10 s) looks for the shops whose orders changed since their last computation and updates
// just the buyers concerned (UpdateBuyers: milliseconds, so new orders show within a tick).
// It recomputes a whole shop (Compute: segments, quintiles, model refit) when the shop was
// never computed, every MaxAge (recency and scores move with time alone), and when the
// buyers updated since the last full computation exceed Options.FullShare of the shop's,
// as the quintiles drift away from the frame the updates are scored against.
type Scheduler struct {
	Store   ScheduleStore
	Options ComputeOptions
	MaxAge  time.Duration // recompute every shop fully at least this often (6 h)
	Log     *slog.Logger
}

// Tick updates or recomputes the shops that are due now. A shop that fails is logged and
// tried again next tick; only a failure to list the due shops is returned.
func (s *Scheduler) Tick(ctx context.Context) error {
	maxAge, log := s.MaxAge, s.Log
	if maxAge <= 0 {
		maxAge = 6 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt := s.Options.withDefaults()
	staleBefore := opt.Now().Add(-maxAge)
	ids, err := s.Store.ShopsNeedingInsights(ctx, staleBefore)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("list shops needing insights: %w", err)
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		if s.fullDue(ctx, id, staleBefore, opt) {
			ins, st, err := Compute(ctx, s.Store, id, opt)
			if err != nil {
				log.Error("compute insights", "shop", id, "err", err)
				continue
			}
			log.Info("insights computed", "shop", id, "customers", ins.Customers, "orders", ins.Orders, "fallback", ins.Fallback,
				"load_ms", st.Load.Milliseconds(), "fit_ms", st.Fit.Milliseconds(), "store_ms", st.Store.Milliseconds(),
				"total_ms", st.Total().Milliseconds())
			continue
		}
		u, err := UpdateBuyers(ctx, s.Store, id, opt)
		if err != nil {
			log.Error("update insights", "shop", id, "err", err)
			continue
		}
		log.Info("insights updated", "shop", id, "full", u.Full, "buyers", u.Buyers, "removed", u.Removed,
			"total_ms", u.Elapsed.Milliseconds())
	}
	return nil
}

// fullDue reports whether the shop needs a full computation rather than an incremental
// update. UpdateBuyers makes the same choice for a shop without a frame or with many
// changed buyers; this covers age and the updates accumulated since the last one.
func (s *Scheduler) fullDue(ctx context.Context, shopID int64, staleBefore time.Time, opt ComputeOptions) bool {
	ins, err := s.Store.ShopInsight(ctx, shopID)
	if err != nil {
		return true // never computed (or unreadable: Compute reports why)
	}
	return ins.ComputedAt.Before(staleBefore) || float64(ins.BuyersSinceFull) > opt.FullShare*float64(max(ins.Customers, 1))
}
