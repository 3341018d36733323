package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/jobs"
)

// The lease is renewed while work runs, a failed renewal is tried again, and work ends
// without the lease lost.
func TestKeepLeaseRenewsWhileWorkRuns(t *testing.T) {
	var renewals atomic.Int32
	renew := func(context.Context) error {
		if renewals.Add(1) == 2 {
			return errors.New("database slow") // the next renewal tries again
		}
		return nil
	}
	lost, err := jobs.KeepLease(context.Background(), 30*time.Millisecond, renew, nil, func(ctx context.Context) error {
		waitFor(t, "four renewals", func() bool { return renewals.Load() >= 4 })
		return ctx.Err()
	})
	if lost || err != nil {
		t.Fatalf("KeepLease = %v, %v; want kept", lost, err)
	}
}

// When another process holds the lease, work's context ends and the lease is reported lost.
func TestKeepLeaseStopsWorkWhenTheLeaseIsTaken(t *testing.T) {
	renew := func(context.Context) error { return ritorno.Errorf(ritorno.ECONFLICT, "claimed by another owner") }
	lost, err := jobs.KeepLease(context.Background(), 30*time.Millisecond, renew, nil, func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("work was not stopped")
		}
	})
	if !lost || !errors.Is(err, context.Canceled) {
		t.Fatalf("KeepLease = %v, %v; want lost and work cancelled", lost, err)
	}
}
