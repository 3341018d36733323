package history_test

import (
	"context"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
)

// pageWriter records the size of each page written; every product is new, every customer
// was there.
type pageWriter struct{ productPages, customerPages []int }

func (w *pageWriter) UpsertProducts(_ context.Context, _ int64, ps []ritorno.Product) ([]ritorno.Write, error) {
	w.productPages = append(w.productPages, len(ps))
	ws := make([]ritorno.Write, len(ps))
	for i := range ws {
		ws[i] = ritorno.WriteInserted
	}
	return ws, nil
}

func (w *pageWriter) UpsertCustomers(_ context.Context, _ int64, cs []ritorno.Customer) ([]ritorno.Write, error) {
	w.customerPages = append(w.customerPages, len(cs))
	return make([]ritorno.Write, len(cs)), nil // the zero Write: unchanged
}

func TestRecordImporter(t *testing.T) {
	ctx := context.Background()
	t.Run("pages of the size, counts by kind", func(t *testing.T) {
		w := &pageWriter{}
		ri := history.NewRecordImporter(w, 1, 3)
		for i := range 5 {
			if err := ri.AddProduct(ctx, ritorno.Product{PlatformID: int64(i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ri.AddCustomer(ctx, ritorno.Customer{PlatformID: 1}); err != nil {
			t.Fatal(err)
		}
		if err := ri.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		products, customers := ri.Counts()
		if len(w.productPages) != 2 || w.productPages[0] != 3 || w.productPages[1] != 2 || len(w.customerPages) != 1 {
			t.Fatalf("pages: products %v, customers %v", w.productPages, w.customerPages)
		}
		if products == nil || products.Inserted != 5 || customers == nil || customers.Unchanged != 1 {
			t.Fatalf("counts: products %+v, customers %+v", products, customers)
		}
	})
	t.Run("a kind the file has none of counts nil", func(t *testing.T) {
		ri := history.NewRecordImporter(&pageWriter{}, 1, 0)
		if err := ri.AddCustomer(ctx, ritorno.Customer{PlatformID: 1}); err != nil {
			t.Fatal(err)
		}
		if err := ri.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if products, customers := ri.Counts(); products != nil || customers == nil {
			t.Fatalf("counts: products %+v, customers %+v", products, customers)
		}
	})
}
