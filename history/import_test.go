package history_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// gatedWriter is an OrderWriter whose writes each wait for the test to release them. It
// records the batches, how many writes ran at once, and whether a batch changed while
// its write was running.
type gatedWriter struct {
	started chan int   // the number of each write, when it starts
	release chan error // one value per write: the error it returns

	mu          sync.Mutex
	batches     [][]int64
	inFlight    int
	maxInFlight int
	changed     bool
}

func newGatedWriter() *gatedWriter {
	return &gatedWriter{started: make(chan int, 16), release: make(chan error, 16)}
}

func (w *gatedWriter) UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error) {
	ids := orderIDs(orders)
	w.mu.Lock()
	w.inFlight++
	w.maxInFlight = max(w.maxInFlight, w.inFlight)
	n := len(w.batches)
	w.batches = append(w.batches, ids)
	w.mu.Unlock()
	w.started <- n
	err := <-w.release
	w.mu.Lock()
	w.inFlight--
	w.changed = w.changed || !slices.Equal(ids, orderIDs(orders))
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]ritorno.Write, len(orders))
	for i, o := range orders {
		out[i] = ritorno.Write(o.PlatformID % 3) // unchanged, inserted, updated by id
	}
	return out, nil
}

func orderIDs(orders []ritorno.Order) []int64 {
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.PlatformID
	}
	return ids
}

func importOrder(id int64) ritorno.Order {
	gbp := ritorno.Money{Currency: "GBP"}
	return ritorno.Order{PlatformID: id, Buyer: ritorno.BuyerFor(id%7+1, ""), Currency: "GBP", Subtotal: gbp,
		TotalDiscounts: gbp, TotalTax: gbp, TotalShipping: gbp, Total: gbp, RefundedAmount: gbp,
		FinancialStatus: ritorno.FinancialPaid, ProcessedAt: time.Date(2011, 1, 2, 3, 4, 5, 0, time.UTC),
		LineItems: []ritorno.LineItem{{PlatformID: 1, Quantity: 2, Price: ritorno.MustParseMoney("2.55", "GBP"), TotalDiscount: gbp}}}
}

// within fails the test unless ch yields a value before a generous deadline.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// The caller fills the next batch while the previous one is written, one write at a time,
// in order, and a batch in flight is never touched.
func TestImporterOverlapsReadingWithOneWrite(t *testing.T) {
	w := newGatedWriter()
	im := history.NewImporter(w, 1, 2)
	added := make(chan int64, 16)
	flushed := make(chan error, 1)
	go func() {
		for id := int64(1); id <= 5; id++ {
			if err := im.Add(context.Background(), importOrder(id)); err != nil {
				flushed <- err
				return
			}
			added <- id
		}
		flushed <- im.Flush(context.Background())
	}()

	if n := within(t, w.started, "the first write"); n != 0 {
		t.Fatalf("write %d started first", n)
	}
	// Orders 1–3 are taken while write 0 (orders 1 and 2) is still running.
	for want := int64(1); want <= 3; want++ {
		if got := within(t, added, "an Add while a write is in flight"); got != want {
			t.Fatalf("added %d, want %d", got, want)
		}
	}
	w.release <- nil
	within(t, w.started, "the second write")
	if got := within(t, added, "order 4"); got != 4 {
		t.Fatalf("added %d, want 4", got)
	}
	w.release <- nil
	within(t, w.started, "the last write")
	w.release <- nil
	if err := within(t, flushed, "Flush"); err != nil {
		t.Fatal(err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if want := [][]int64{{1, 2}, {3, 4}, {5}}; !slices.EqualFunc(w.batches, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", w.batches, want)
	}
	if w.maxInFlight != 1 {
		t.Errorf("%d writes ran at once, want 1", w.maxInFlight)
	}
	if w.changed {
		t.Error("a batch changed while it was being written")
	}
	// Ids mod 3: 1, 4 inserted; 2, 5 updated; 3 unchanged.
	if got, want := im.Counts(), (history.ImportCounts{Inserted: 2, Updated: 2, Unchanged: 1}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

func TestImporterErrors(t *testing.T) {
	boom := errors.New("database went away")
	cases := []struct {
		name       string
		outcomes   []error // of the writes, in turn
		orders     int64
		wantErr    error
		wantCounts history.ImportCounts
		wantWrites int
	}{
		{"all written", []error{nil, nil, nil}, 5, nil, history.ImportCounts{Inserted: 2, Updated: 2, Unchanged: 1}, 3},
		{"the second write fails", []error{nil, boom, nil}, 6, boom, history.ImportCounts{Inserted: 1, Updated: 1}, 2},
		{"the last write fails at Flush", []error{nil, nil, boom}, 5, boom, history.ImportCounts{Inserted: 2, Updated: 1, Unchanged: 1}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newGatedWriter()
			for _, err := range tc.outcomes {
				w.release <- err
			}
			im := history.NewImporter(w, 1, 2)
			var firstErr error
			for id := int64(1); id <= tc.orders; id++ {
				if err := im.Add(context.Background(), importOrder(id)); err != nil && firstErr == nil {
					firstErr = err
				}
			}
			if err := im.Flush(context.Background()); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Flush = %v, want %v", err, tc.wantErr)
			}
			if firstErr != nil && !errors.Is(firstErr, tc.wantErr) {
				t.Fatalf("Add returned %v, want %v", firstErr, tc.wantErr)
			}
			if tc.wantErr != nil {
				// The error sticks: nothing more is written.
				if err := im.Add(context.Background(), importOrder(99)); !errors.Is(err, tc.wantErr) {
					t.Fatalf("Add after a failed write = %v", err)
				}
				if err := im.Flush(context.Background()); !errors.Is(err, tc.wantErr) {
					t.Fatalf("second Flush = %v", err)
				}
			}
			if got := im.Counts(); got != tc.wantCounts {
				t.Errorf("counts = %+v, want %+v", got, tc.wantCounts)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.batches) != tc.wantWrites {
				t.Errorf("%d writes, want %d", len(w.batches), tc.wantWrites)
			}
		})
	}
}

// An invalid order is refused alone and never reaches the writer.
func TestImporterRefusesAnInvalidOrder(t *testing.T) {
	w := newGatedWriter()
	w.release <- nil
	im := history.NewImporter(w, 1, 10)
	bad := importOrder(2)
	bad.Currency = ""
	for _, o := range []ritorno.Order{importOrder(1), bad, importOrder(3)} {
		err := im.Add(context.Background(), o)
		if want := o.PlatformID == 2; (ritorno.ErrorCode(err) == ritorno.EINVALID) != want {
			t.Fatalf("Add(%d) = %v", o.PlatformID, err)
		}
	}
	if err := im.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := [][]int64{{1, 3}}; !slices.EqualFunc(w.batches, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", w.batches, want)
	}
}

// Through the real store on both dialects: everything is written once, a second import
// of the same orders updates each, and the counts say so.
func TestImporterWritesThroughTheStore(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		shop := mustBackfillShop(t, db, "import.myshopify.com")
		const n = 250
		for round, want := range []history.ImportCounts{{Inserted: n}, {Updated: n}} {
			im := history.NewImporter(db, shop.ID, 7)
			for id := int64(1); id <= n; id++ {
				if err := im.Add(ctx, importOrder(id)); err != nil {
					t.Fatal(err)
				}
			}
			if err := im.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := im.Counts(); got != want {
				t.Fatalf("round %d: counts = %+v, want %+v", round+1, got, want)
			}
		}
		if got := storetest.CountRows(t, db, "orders", shop.ID); got != n {
			t.Fatalf("%d orders stored, want %d", got, n)
		}
		if got := storetest.CountRows(t, db, "line_items", shop.ID); got != n {
			t.Fatalf("%d line items stored, want %d", got, n)
		}
	})
}
