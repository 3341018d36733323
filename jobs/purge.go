package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Purges is what the inbox purge needs of storage.
type Purges interface {
	// PurgeDeliveries deletes up to limit settled or parked deliveries received before
	// cutoff and reports how many it deleted.
	PurgeDeliveries(ctx context.Context, cutoff time.Time, limit int) (int64, error)
}

// Purger deletes old inbox deliveries: done and final ones (ignored, failed, dead) and
// parked ones whose shop never appeared, once they are older than Retention. Delivery
// bodies hold customers' personal data, so the inbox must not keep them without end.
type Purger struct {
	Store     Purges
	Retention time.Duration // deliveries older than this go
	Interval  time.Duration // time between purges [1h]
	Batch     int           // deliveries deleted per statement [1000]
	Log       *slog.Logger
	now       func() time.Time
}

// Run purges at once and then every Interval until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	interval := p.Interval
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := p.Purge(ctx); err != nil && ctx.Err() == nil {
			p.Log.Error("purge inbox", "err", err)
		} else if n > 0 {
			p.Log.Info("inbox purged", "deliveries", n, "older_than", p.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge deletes every delivery past retention, in batches (each one short statement, so
// that receipt and claims are never held up for long), and reports how many it deleted.
func (p *Purger) Purge(ctx context.Context) (int64, error) {
	if p.Retention <= 0 {
		return 0, errors.New("inbox retention must be positive")
	}
	batch := p.Batch
	if batch <= 0 {
		batch = 1000
	}
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	cutoff := now().Add(-p.Retention)
	var total int64
	for ctx.Err() == nil {
		n, err := p.Store.PurgeDeliveries(ctx, cutoff, batch)
		total += n
		if err != nil || n < int64(batch) {
			return total, err
		}
	}
	return total, ctx.Err()
}
