package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ritorno/ritorno"
)

// KeepLease runs work while renewing its lease every third of length, so that two
// renewals in a row may fail (a slow database) before the lease runs out; work holds the
// lease for as long as it runs, however long that is, and a crash frees it within one
// length. renew extends the lease by length; an ECONFLICT error from it means another
// process holds the lease now: work's context is then cancelled and KeepLease reports the
// lease lost. Other renewal errors are logged and the next renewal tries again.
func KeepLease(ctx context.Context, length time.Duration, renew func(context.Context) error, log *slog.Logger, work func(context.Context) error) (lost bool, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lostCh, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(length / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := renew(ctx)
			switch {
			case err == nil:
			case ritorno.ErrorCode(err) == ritorno.ECONFLICT:
				close(lostCh)
				cancel()
				return
			case !errors.Is(err, context.Canceled):
				log.Warn("renew lease", "err", err)
			}
		}
	}()
	err = work(ctx)
	cancel()
	<-stopped
	select {
	case <-lostCh:
		return true, err
	default:
		return false, err
	}
}
