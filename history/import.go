package history

import (
	"context"

	"github.com/ritorno/ritorno"
)

// OrderWriter is what importing needs of storage: the batch upsert that webhook
// processing uses too, so that an imported order and a later webhook for it agree.
type OrderWriter interface {
	UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error)
}

// ImportCounts sums up what an import wrote.
type ImportCounts struct {
	Inserted  int64 `json:"inserted"`  // orders that were new
	Updated   int64 `json:"updated"`   // orders that replaced a stored version
	Unchanged int64 `json:"unchanged"` // orders whose stored version is newer
}

// Importer writes orders of one shop in batches (files, backfills). Memory holds one batch.
type Importer struct {
	store  OrderWriter
	shopID int64
	size   int
	batch  []ritorno.Order
	counts ImportCounts
}

// DefaultImportBatch orders per statement group: large enough that round trips vanish,
// small enough to keep a transaction short.
const DefaultImportBatch = 1000

// NewImporter returns an Importer for the shop; size <= 0 takes DefaultImportBatch.
func NewImporter(store OrderWriter, shopID int64, size int) *Importer {
	if size <= 0 {
		size = DefaultImportBatch
	}
	return &Importer{store: store, shopID: shopID, size: size, batch: make([]ritorno.Order, 0, size)}
}

// Add queues an order and writes the batch when it is full. An invalid order is refused
// here, alone, so that it cannot fail the batch it would have joined.
func (im *Importer) Add(ctx context.Context, o ritorno.Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	im.batch = append(im.batch, o)
	if len(im.batch) >= im.size {
		return im.Flush(ctx)
	}
	return nil
}

// Flush writes what is queued.
func (im *Importer) Flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	results, err := im.store.UpsertOrders(ctx, im.shopID, im.batch)
	if err != nil {
		return err
	}
	for _, r := range results {
		switch r {
		case ritorno.WriteInserted:
			im.counts.Inserted++
		case ritorno.WriteUpdated:
			im.counts.Updated++
		default:
			im.counts.Unchanged++
		}
	}
	im.batch = im.batch[:0]
	return nil
}

// Counts is what the flushed batches wrote.
func (im *Importer) Counts() ImportCounts { return im.counts }
