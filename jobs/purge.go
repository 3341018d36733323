package jobs

import (
	"context"
	"errors"
	"fmt"
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
// bodies hold customers' personal data, so the inbox must not keep them without end
// (serve purges every hour).
type Purger struct {
	Store     Purges
	Retention time.Duration // deliveries older than this go
	Batch     int           // deliveries deleted per statement [1000]
	Log       *slog.Logger
	now       func() time.Time
}

// Purge deletes every delivery past retention, in batches (each one short statement, so
// that receipt and claims are never held up for long), and logs how many it deleted.
func (p *Purger) Purge(ctx context.Context) error {
	if p.Retention <= 0 {
		return errors.New("inbox retention must be positive")
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
	defer func() {
		if total > 0 {
			p.Log.Info("inbox purged", "deliveries", total, "older_than", p.Retention.String())
		}
	}()
	for ctx.Err() == nil {
		n, err := p.Store.PurgeDeliveries(ctx, cutoff, batch)
		total += n
		if err != nil {
			return fmt.Errorf("purge inbox: %w", err)
		}
		if n < int64(batch) {
			return nil
		}
	}
	return nil
}
