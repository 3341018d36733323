package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/jobs"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// writesRaw applies a delivery by writing a customer whose name holds a NUL straight to
// the store, past the adapters' mending: the write PostgreSQL refuses with SQLSTATE 22021.
type writesRaw struct{ db *store.DB }

func (w writesRaw) Process(ctx context.Context, d ritorno.Delivery) error {
	_, err := w.db.UpsertCustomer(ctx, d.ShopID, ritorno.Customer{PlatformID: d.ID, FirstName: "A\x00da", State: "enabled"})
	return err
}

// A write the database refuses as such can never succeed: the delivery ends failed after
// one attempt, instead of being retried ten times over 17 minutes and dead-lettered.
func TestRefusedWriteFailsAtOnce(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		shop := mustShop(t, db)
		r := newRunner(db, writesRaw{db}, jobs.Config{MaxAttempts: 10, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 5 * time.Millisecond})
		id := enqueue(t, db, shop, "customers/create")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "the delivery to settle", func() bool {
			s := status(t, db, id).Status
			return s == ritorno.DeliveryDone || s == ritorno.DeliveryFailed || s == ritorno.DeliveryDead
		})
		d := status(t, db, id)
		switch {
		case d.Status == ritorno.DeliveryDone: // SQLite stores a NUL
		case d.Status != ritorno.DeliveryFailed || d.Attempts != 1:
			t.Fatalf("delivery %s after %d attempts (%s), want failed after 1", d.Status, d.Attempts, d.LastError)
		}
	})
}
