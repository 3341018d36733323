package history

import (
	"context"

	"github.com/ritorno/ritorno"
)

// RecordWriter is what importing products and customers needs of storage: the upserts
// webhooks use, so that an imported record and a later webhook for it agree.
type RecordWriter interface {
	UpsertProducts(ctx context.Context, shopID int64, products []ritorno.Product) ([]ritorno.Write, error)
	UpsertCustomers(ctx context.Context, shopID int64, customers []ritorno.Customer) ([]ritorno.Write, error)
}

// RecordImporter writes the products and customers of a file (a Shopify bulk export) in
// pages of one transaction each; orders go through an Importer. Used by one goroutine.
type RecordImporter struct {
	store     RecordWriter
	shopID    int64
	size      int
	products  []ritorno.Product
	customers []ritorno.Customer
	// Nil until a record of the kind is written, so that a summary tells "none in the
	// file" from "none new".
	productCounts, customerCounts *ImportCounts
}

// DefaultRecordPage is the products and customers written per transaction.
const DefaultRecordPage = 500

// NewRecordImporter returns a RecordImporter for the shop; size <= 0 takes
// DefaultRecordPage.
func NewRecordImporter(store RecordWriter, shopID int64, size int) *RecordImporter {
	if size <= 0 {
		size = DefaultRecordPage
	}
	return &RecordImporter{store: store, shopID: shopID, size: size}
}

// AddProduct queues a product and writes the page when it is full.
func (ri *RecordImporter) AddProduct(ctx context.Context, p ritorno.Product) error {
	ri.products = append(ri.products, p)
	return ri.flushFull(ctx)
}

// AddCustomer queues a customer and writes the page when it is full.
func (ri *RecordImporter) AddCustomer(ctx context.Context, c ritorno.Customer) error {
	ri.customers = append(ri.customers, c)
	return ri.flushFull(ctx)
}

func (ri *RecordImporter) flushFull(ctx context.Context) error {
	if len(ri.products)+len(ri.customers) >= ri.size {
		return ri.Flush(ctx)
	}
	return nil
}

// Flush writes what is queued.
func (ri *RecordImporter) Flush(ctx context.Context) error {
	if len(ri.products) > 0 {
		ws, err := ri.store.UpsertProducts(ctx, ri.shopID, ri.products)
		if err != nil {
			return err
		}
		ri.productCounts = counted(ri.productCounts, ws)
		ri.products = ri.products[:0]
	}
	if len(ri.customers) > 0 {
		ws, err := ri.store.UpsertCustomers(ctx, ri.shopID, ri.customers)
		if err != nil {
			return err
		}
		ri.customerCounts = counted(ri.customerCounts, ws)
		ri.customers = ri.customers[:0]
	}
	return nil
}

// Counts is what was written of each kind; nil for a kind of which nothing was written.
func (ri *RecordImporter) Counts() (products, customers *ImportCounts) {
	return ri.productCounts, ri.customerCounts
}

func counted(c *ImportCounts, ws []ritorno.Write) *ImportCounts {
	if c == nil {
		c = &ImportCounts{}
	}
	c.add(ws)
	return c
}
