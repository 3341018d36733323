package history

import (
	"context"
	"time"

	"github.com/ritorno/ritorno"
)

// OrderWriter is what importing needs of storage: the batch upsert that webhook
// processing uses too, so that an imported order and a later webhook for it agree. It
// must not keep the slice it is given after it returns: the Importer refills it.
type OrderWriter interface {
	UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error)
}

// ImportCounts sums up what an import wrote.
type ImportCounts struct {
	Inserted  int64 `json:"inserted"`  // orders that were new
	Updated   int64 `json:"updated"`   // orders that replaced a stored version
	Unchanged int64 `json:"unchanged"` // orders whose stored version is newer
}

// Importer writes orders of one shop in batches (files, backfills). A full batch is
// written in the background while the caller reads and fills the next one, so reading a
// file and writing to the database overlap; one batch at a time is in flight, so memory
// holds two batches at most and batches are written in the order they were filled. An
// Importer is used by one goroutine.
type Importer struct {
	store  OrderWriter
	shopID int64
	size   int
	batch  []ritorno.Order // being filled
	spare  []ritorno.Order // the other buffer, refilled once its write is done
	flight chan written    // the write in flight, nil if none
	err    error           // the first write error: every later call returns it
	counts ImportCounts
}

// written is the outcome of one background write.
type written struct {
	batch   []ritorno.Order
	results []ritorno.Write
	err     error
}

// DefaultImportBatch is the orders per write: large enough that round trips vanish, small
// enough to keep a transaction short and the two batches in memory small.
const DefaultImportBatch = 1000

// NewImporter returns an Importer for the shop; size <= 0 takes DefaultImportBatch.
func NewImporter(store OrderWriter, shopID int64, size int) *Importer {
	if size <= 0 {
		size = DefaultImportBatch
	}
	return &Importer{store: store, shopID: shopID, size: size, batch: make([]ritorno.Order, 0, size)}
}

// Add queues an order and starts writing the batch when it is full. An invalid order is
// refused here, alone, so that it cannot fail the batch it would have joined. A failed
// write of an earlier batch is returned by the Add that follows it (and by every later
// call); nothing more is written then.
func (im *Importer) Add(ctx context.Context, o ritorno.Order) error {
	if im.err != nil {
		return im.err
	}
	// Mended before it is queued (see ritorno.Order.Sanitize): a NUL in a title or a year
	// 2302 in a file must neither fail the batch nor stop the shop's analytics.
	o.Sanitize(time.Now())
	if err := o.Validate(); err != nil {
		return err
	}
	im.batch = append(im.batch, o)
	if len(im.batch) >= im.size {
		return im.send(ctx)
	}
	return nil
}

// Flush writes what is queued and waits for every write; it returns the first error.
func (im *Importer) Flush(ctx context.Context) error {
	if len(im.batch) > 0 {
		if err := im.send(ctx); err != nil {
			return err
		}
	}
	return im.wait()
}

// Counts is what the batches written so far wrote; after Flush, everything. It does not
// wait for the write in flight (progress reports call it while importing).
func (im *Importer) Counts() ImportCounts {
	if im.flight != nil {
		select {
		case w := <-im.flight:
			im.collect(w)
		default:
		}
	}
	return im.counts
}

// send waits for the write in flight, then starts writing the full batch and hands the
// caller the other buffer to fill.
func (im *Importer) send(ctx context.Context) error {
	if err := im.wait(); err != nil {
		return err
	}
	full := im.batch
	if im.spare == nil {
		im.spare = make([]ritorno.Order, 0, im.size)
	}
	im.batch, im.spare = im.spare[:0], nil
	done := make(chan written, 1)
	im.flight = done
	store, shopID := im.store, im.shopID
	go func() {
		results, err := store.UpsertOrders(ctx, shopID, full)
		done <- written{batch: full, results: results, err: err}
	}()
	return nil
}

// wait waits for the write in flight, if any, and returns the first error.
func (im *Importer) wait() error {
	if im.flight != nil {
		im.collect(<-im.flight)
	}
	return im.err
}

// collect takes in the outcome of the write in flight.
func (im *Importer) collect(w written) {
	im.flight = nil
	clear(w.batch) // the orders are written: let them go before the buffer is refilled
	im.spare = w.batch[:0]
	if w.err != nil {
		if im.err == nil {
			im.err = w.err
		}
		return
	}
	im.counts.add(w.results)
}

// add counts what each write did.
func (c *ImportCounts) add(ws []ritorno.Write) {
	for _, w := range ws {
		switch w {
		case ritorno.WriteInserted:
			c.Inserted++
		case ritorno.WriteUpdated:
			c.Updated++
		default:
			c.Unchanged++
		}
	}
}
