package transactions_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/transactions"
)

const sample = `order_id,customer_id,date,product_id,quantity,unit_price,currency
1001,7,2026-01-05,A-1,2,9.99,EUR
1001,7,2026-01-05,B-2,1,0.50,EUR
1002,,2026-01-06,A-1,1,9.99,EUR
1003,8,2026-01-07,A-1,-1,9.99,EUR
1004,8,05/01/2026,A-1,1,9.99,EUR
1005,8,2026-01-08,A-1,1,9.999,EUR
1006,8,2026-01-09,C-3,3,1,JPY
`

func readAll(t *testing.T, r io.Reader, opts transactions.Options) ([]transactions.Order, []*transactions.LineError) {
	t.Helper()
	rd, err := transactions.NewReader(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	var orders []transactions.Order
	var bad []*transactions.LineError
	g := transactions.NewGroup(func(o transactions.Order) error { orders = append(orders, o); return nil })
	for {
		l, err := rd.Next()
		if err == io.EOF {
			break
		}
		var le *transactions.LineError
		if errors.As(err, &le) {
			bad = append(bad, le)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	return orders, bad
}

func TestReadGroupAndConvert(t *testing.T) {
	orders, bad := readAll(t, strings.NewReader(sample), transactions.Options{Columns: transactions.DefaultColumns})
	var rows []int
	for _, b := range bad {
		rows = append(rows, b.Row)
	}
	// Line 5: a return; 6: a date in another layout; 7: more decimals than the currency has.
	if len(rows) != 3 || rows[0] != 5 || rows[1] != 6 || rows[2] != 7 {
		t.Fatalf("bad rows = %v (%v), want 5, 6, 7", rows, bad)
	}
	if len(orders) != 3 {
		t.Fatalf("%d orders, want 3", len(orders))
	}
	o, err := orders[0].Domain()
	if err != nil {
		t.Fatal(err)
	}
	if o.PlatformID != 1001 || o.Buyer.CustomerPlatformID != 7 || len(o.LineItems) != 2 || o.Total.Amount != 2048 || o.Currency != "EUR" {
		t.Fatalf("order 1001 = %+v", o)
	}
	if !o.ProcessedAt.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)) || o.LineItems[1].SKU != "B-2" {
		t.Fatalf("order 1001 date or SKU: %v %q", o.ProcessedAt, o.LineItems[1].SKU)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	guest, _ := orders[1].Domain()
	if guest.Buyer.Kind != ritorno.BuyerUnknown {
		t.Fatalf("an order without a customer: %+v", guest.Buyer)
	}
	yen, _ := orders[2].Domain()
	if yen.Total.Amount != 3 || yen.Currency != "JPY" {
		t.Fatalf("zero-decimal currency: %+v", yen.Total)
	}
}

func TestMissingColumnsAndCurrency(t *testing.T) {
	_, err := transactions.NewReader(strings.NewReader("order,customer_id\n"), transactions.Options{Columns: transactions.DefaultColumns})
	if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "--order-col") {
		t.Fatalf("missing column: %v", err)
	}
	noCurrency := "order_id,customer_id,date,product_id,quantity,unit_price\n1,1,2026-01-01,P,1,1.00\n"
	if _, err := transactions.NewReader(strings.NewReader(noCurrency), transactions.Options{Columns: transactions.DefaultColumns}); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Fatalf("no currency at all: %v", err)
	}
	orders, bad := readAll(t, strings.NewReader(noCurrency), transactions.Options{Columns: transactions.DefaultColumns, Currency: "USD"})
	if len(orders) != 1 || len(bad) != 0 || orders[0].Lines[0].UnitPrice.Currency != "USD" {
		t.Fatalf("default currency: %+v %v", orders, bad)
	}
}

func TestIDs(t *testing.T) {
	if transactions.ID("536365") != 536365 {
		t.Fatal("a numeric id must be itself")
	}
	a, b := transactions.ID("85123A"), transactions.ID("85123B")
	if a <= 0 || b <= 0 || a == b || a != transactions.ID("85123A") || a < 1<<62 {
		t.Fatalf("hashed ids: %d %d", a, b)
	}
	if transactions.ID("0") <= 0 || transactions.ID("-5") <= 0 {
		t.Fatal("ids must be positive")
	}
}

// The preset reads the real data set (gzip) as published: the first invoices.
func TestOnlineRetailPreset(t *testing.T) {
	raw, err := os.ReadFile("../testdata/online-retail/online_retail.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(zr, head)
	head = head[:bytes.LastIndexByte(head[:n], '\n')+1]
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(head)
	w.Close()

	opts, err := transactions.Preset("online-retail")
	if err != nil {
		t.Fatal(err)
	}
	orders, bad := readAll(t, &gz, opts)
	if len(orders) == 0 || orders[0].ID != "536365" || len(orders[0].Lines) != 7 || orders[0].CustomerID != "17850" {
		t.Fatalf("first invoice = %+v", orders[0])
	}
	o, err := orders[0].Domain()
	if err != nil || o.Currency != "GBP" || o.Total.Amount != 13912 { // 15.30+20.34+22.00+20.34+20.34+15.30+25.50
		t.Fatalf("first invoice total = %v, %v", o.Total, err)
	}
	for _, b := range bad {
		if !errors.Is(b, transactions.ErrCancellation) && !strings.Contains(b.Error(), "quantity") {
			t.Errorf("unexpected bad line: %v", b)
		}
	}
	if _, err := transactions.Preset("nope"); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Fatal("unknown preset accepted")
	}
}
