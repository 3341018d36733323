package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/jobs"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// The purge deletes what is past retention in bounded batches until none is left, and
// refuses to run without a retention (it would delete the whole inbox).
func TestPurgerDeletesInBatchesPastRetention(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 7 {
			d := ritorno.Delivery{Platform: ritorno.Shopify, ShopDomain: "p.myshopify.com", Topic: "carts/update",
				WebhookID: "wh-" + string(rune('a'+i)), Body: []byte{}, Status: ritorno.DeliveryIgnored,
				ReceivedAt: time.Now().Add(-48 * time.Hour)}
			if i == 6 {
				d.ReceivedAt = time.Now() // within retention
			}
			if _, _, err := db.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		var logs bytes.Buffer
		p := &jobs.Purger{Store: db, Retention: 24 * time.Hour, Batch: 2, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		if err := p.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "deliveries=6") {
			t.Errorf("purge logged %q; want the 6 old deliveries", logs.String())
		}
		if left, err := db.ListDeliveries(ctx, store.DeliveryFilter{}); err != nil || len(left) != 1 {
			t.Fatalf("left %d deliveries, %v; want the recent one", len(left), err)
		}
		if err := (&jobs.Purger{Store: db}).Purge(ctx); err == nil {
			t.Fatal("a purge without retention ran")
		}
	})
}
