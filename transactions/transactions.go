// Package transactions reads purchase histories from transaction files: a CSV with a
// header, one line item per row (customer, order, date, product, quantity, unit price,
// currency), with columns renamable and presets for known data sets. Import, the lifetime
// value fit and the recommendation evaluation all read files through it, so that the same
// file means the same thing everywhere.
package transactions

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ritorno/ritorno"
)

// Columns names the CSV columns (by header name) that hold each field.
type Columns struct {
	Customer, Order, Date, Product, Quantity, Price, Currency string
	// Description is optional: the product title when present.
	Description string
}

// DefaultColumns are the column names used when no flag renames them.
var DefaultColumns = Columns{Customer: "customer_id", Order: "order_id", Date: "date", Product: "product_id",
	Quantity: "quantity", Price: "unit_price", Currency: "currency"}

// Options say how to read a file.
type Options struct {
	Columns    Columns
	DateLayout string         // Go layout; default 2006-01-02
	Location   *time.Location // for dates without a zone; default UTC
	// Currency is used when the file has no currency column (or the cell is empty).
	Currency string
	// CancellationPrefix, when set, marks orders whose id starts with it as cancellations
	// (the online retail data set's "C" invoices), which are skipped: they do not name the
	// order they cancel.
	CancellationPrefix string
}

// Preset returns the options for a known data set.
func Preset(name string) (Options, error) {
	switch name {
	case "online-retail":
		// UCI Online Retail (testdata/online-retail at the repository's root): InvoiceNo, StockCode, Description,
		// Quantity, InvoiceDate, UnitPrice (GBP), CustomerID, Country.
		return Options{
			Columns: Columns{Customer: "CustomerID", Order: "InvoiceNo", Date: "InvoiceDate", Product: "StockCode",
				Quantity: "Quantity", Price: "UnitPrice", Description: "Description"},
			DateLayout: "2006-01-02 15:04:05", Currency: "GBP", CancellationPrefix: "C",
		}, nil
	}
	return Options{}, ritorno.Errorf(ritorno.EINVALID, "unknown preset %q (known: online-retail)", name)
}

// Line is one row: one product bought in one order.
type Line struct {
	Row         int // 1-based line number in the file, the header being line 1
	CustomerID  string
	OrderID     string
	Date        time.Time
	ProductID   string
	Description string
	Quantity    int64
	UnitPrice   ritorno.Money
}

// LineError is a row that cannot be read; the reader skips it and goes on.
type LineError struct {
	Row int
	Err error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Row, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// rowError is what is wrong with one row. Its reason names the field and the kind of
// problem and is the same for every row with that problem, so a summary can count rows by
// it; the message adds counts but never the cell's text (it may be anything, even binary).
type rowError struct{ reason, msg string }

func (e *rowError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.reason
}

func rowErrorf(reason string) error { return &rowError{reason: reason} }

// Reason is the kind of a row's problem, without the row's values: a key to count skipped
// rows by. Errors that are not a row's problem give their message.
func Reason(err error) string {
	var re *rowError
	switch {
	case errors.As(err, &re):
		return re.reason
	case errors.Is(err, ErrCancellation):
		return "cancellation order"
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return "malformed CSV quoting"
	}
	return err.Error()
}

// ErrCancellation marks a row of a cancellation order (see Options.CancellationPrefix).
var ErrCancellation = errors.New("cancellation order (it does not name the order it cancels)")

// Reader reads Lines from a CSV.
type Reader struct {
	csv   *csv.Reader
	opts  Options
	index map[string]int // column name → position
	row   int
	width int // columns of the header
}

// NewReader reads the header and checks that every needed column is there. A gzip
// stream is unpacked on the fly.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, ritorno.Errorf(ritorno.EINVALID, "gzip: %v", err)
		}
		src = gz
	}
	if opts.DateLayout == "" {
		opts.DateLayout = "2006-01-02"
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	c := csv.NewReader(src)
	c.ReuseRecord = true
	c.FieldsPerRecord = -1 // a short row is reported as that row's error, not the file's
	header, err := c.Read()
	if err != nil {
		if err == io.EOF {
			return nil, ritorno.Errorf(ritorno.EINVALID, "the file is empty: a CSV needs a header line")
		}
		return nil, ritorno.Errorf(ritorno.EINVALID, "the header line is not CSV: %s", Reason(err))
	}
	index := map[string]int{}
	for i, name := range header {
		if !printable(name) {
			// Never echo it: a binary file's bytes would land in the error.
			return nil, ritorno.Errorf(ritorno.EINVALID, "the file is not a CSV: its first line holds binary data")
		}
		index[strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))] = i
	}
	need := []struct{ flag, name string }{{"--customer-col", opts.Columns.Customer}, {"--order-col", opts.Columns.Order},
		{"--date-col", opts.Columns.Date}, {"--product-col", opts.Columns.Product}, {"--quantity-col", opts.Columns.Quantity},
		{"--price-col", opts.Columns.Price}}
	for _, n := range need {
		if _, ok := index[n.name]; !ok {
			return nil, ritorno.Errorf(ritorno.EINVALID, "the header has no column %q (rename with %s; the header has: %s)",
				n.name, n.flag, headerList(header))
		}
	}
	if _, ok := index[opts.Columns.Currency]; !ok {
		if opts.Currency == "" {
			return nil, ritorno.Errorf(ritorno.EINVALID, "the header has no column %q and no default currency was given (--currency-col, --currency)", opts.Columns.Currency)
		}
		opts.Columns.Currency = ""
	}
	if err := ritorno.ValidateCurrency(opts.Currency); opts.Currency != "" && err != nil {
		return nil, err
	}
	return &Reader{csv: c, opts: opts, index: index, row: 1, width: len(header)}, nil
}

// headerList names a header's columns for an error, shortened when long.
func headerList(header []string) string {
	s := strings.Join(header, ", ")
	if len(header) == 1 && strings.Contains(s, ";") {
		s += " (one column: is the file separated by semicolons?)"
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// printable reports whether a header cell is text: valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' {
			return false
		}
	}
	return true
}

// Next returns the next line. A row that cannot be read comes back as a *LineError (go
// on reading); io.EOF ends the file.
func (r *Reader) Next() (Line, error) {
	rec, err := r.csv.Read()
	r.row++
	if err != nil {
		if err == io.EOF {
			return Line{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.row = pe.Line
			return Line{}, &LineError{Row: pe.Line, Err: &rowError{reason: Reason(pe.Err)}}
		}
		return Line{}, err
	}
	row, _ := r.csv.FieldPos(0)
	r.row = row
	l, err := r.parse(rec)
	if err != nil {
		return Line{}, &LineError{Row: row, Err: err}
	}
	l.Row = row
	return l, nil
}

func (r *Reader) cell(rec []string, col string) (string, error) {
	if col == "" {
		return "", nil
	}
	i := r.index[col]
	if i >= len(rec) {
		return "", &rowError{reason: "row has fewer columns than the header",
			msg: fmt.Sprintf("row has %d %s, expected %d", len(rec), plural(len(rec), "column"), r.width)}
	}
	return strings.TrimSpace(rec[i]), nil
}

func (r *Reader) parse(rec []string) (Line, error) {
	c := r.opts.Columns
	var l Line
	var err error
	var qty, price, date, currency string
	for _, f := range []struct {
		col string
		dst *string
	}{{c.Customer, &l.CustomerID}, {c.Order, &l.OrderID}, {c.Product, &l.ProductID}, {c.Description, &l.Description},
		{c.Quantity, &qty}, {c.Price, &price}, {c.Date, &date}, {c.Currency, &currency}} {
		if *f.dst, err = r.cell(rec, f.col); err != nil {
			return Line{}, err
		}
	}
	if l.OrderID == "" {
		return Line{}, rowErrorf("no order id")
	}
	if r.opts.CancellationPrefix != "" && strings.HasPrefix(l.OrderID, r.opts.CancellationPrefix) {
		return Line{}, ErrCancellation
	}
	if l.ProductID == "" {
		return Line{}, rowErrorf("no product id")
	}
	if l.Quantity, err = strconv.ParseInt(qty, 10, 64); err != nil {
		return Line{}, rowErrorf("quantity is not a whole number")
	}
	if l.Quantity <= 0 {
		return Line{}, rowErrorf("quantity is not positive (returns and adjustments are not purchases)")
	}
	if currency == "" {
		currency = r.opts.Currency
	}
	if l.UnitPrice, err = ritorno.ParseMoney(price, strings.ToUpper(currency)); err != nil {
		return Line{}, rowErrorf("unit price is not a decimal amount in its currency")
	}
	if l.UnitPrice.Amount < 0 {
		return Line{}, rowErrorf("unit price is negative")
	}
	if l.Date, err = time.ParseInLocation(r.opts.DateLayout, date, r.opts.Location); err != nil {
		return Line{}, rowErrorf("date does not match the layout " + r.opts.DateLayout + " (--date-format)")
	}
	// Data sets export integer ids as floats ("17850.0").
	l.CustomerID = strings.TrimSuffix(l.CustomerID, ".0")
	return l, nil
}

// ID maps a file's identifier to a platform id: a positive integer is itself, anything
// else (e.g. "85123A") a stable 63-bit hash of its text, so that the same text gives the
// same id in every import, evaluation and fit.
func ID(s string) int64 {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64()>>1) | 1<<62 // above any plausible numeric id, never 0
}
