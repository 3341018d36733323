package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/transactions"
	"github.com/ritorno/ritorno/woocommerce"
)

const importUsage = `Usage: ritorno import --shop SHOP [options] FILE

Imports past orders into a shop's histories, through the same upsert as webhooks (an
order imported twice, or later changed by a webhook, is stored once, newest wins).
FILE is one of (each also gzip-compressed):
  a transactions CSV with a header, one line item per row;
  a WooCommerce orders export: a JSON array of REST API v3 order objects;
  a Shopify bulk export (JSONL of bulkOperationRunQuery, e.g. of the products, customers
  or orders queries Ritorno's backfill runs), children joined to parents by __parentId.

CSV columns (default names; rename with the flags):
  --customer-col customer_id  --order-col order_id  --date-col date
  --product-col product_id    --quantity-col quantity  --price-col unit_price
  --currency-col currency     (or --currency CODE when the file has none)
  --date-format LAYOUT        Go layout of the dates (default 2006-01-02)
  --preset online-retail      the UCI Online Retail data set's columns and rules
Rows of one order must be consecutive. A row that cannot be read is reported with its
line number and skipped; so are returns (quantity <= 0) and the preset's cancellation
invoices. Orders without a customer are kept, counted for the shop, never for a customer.
Each product of the CSV's lines that the shop does not have yet becomes a catalog entry
(title and price of its latest line), so that recommendations can show it; a product the
platform sent is never overwritten, and the platform's version replaces the entry later.
Prints a summary as JSON, skipped rows counted by reason; progress goes to standard error.
Exit status 1 when the file has no rows, when a CSV or WooCommerce file gives no order, or
when more than half of its rows are refused (what was written stays written).
`

// importSummary is what `ritorno import` prints.
type importSummary struct {
	File   string               `json:"file"`
	Format string               `json:"format"`
	Shop   string               `json:"shop"`
	Lines  int64                `json:"lines_read"`
	Orders history.ImportCounts `json:"orders"`
	// Products come in a Shopify bulk export, or are made from a CSV's lines (inserted:
	// new catalog entries; unchanged: products the shop had already, left as they are).
	// Customers come only in a Shopify bulk export.
	Products  *history.ImportCounts `json:"products,omitempty"`
	Customers *history.ImportCounts `json:"customers,omitempty"`
	Skipped   int64                 `json:"skipped"`
	Reasons   map[string]int64      `json:"skipped_by_reason,omitempty"`
	Examples  []string              `json:"skipped_examples,omitempty"`
	Seconds   float64               `json:"seconds"`
	PerSec    float64               `json:"orders_per_second"`
	Range     *importRange          `json:"date_range,omitempty"`
	// Currencies counts the orders taken by currency; Notes say what a currency other
	// than the shop's means for them.
	Currencies map[string]int64 `json:"orders_by_currency,omitempty"`
	Notes      []string         `json:"notes,omitempty"`
}

// took counts an order taken, by its currency.
func (s *importSummary) took(currency string) {
	if s.Currencies == nil {
		s.Currencies = map[string]int64{}
	}
	s.Currencies[currency]++
}

// noteCurrencies says what orders in another currency than the shop's become: they keep
// their own, and the shop's figures leave them out.
func (s *importSummary) noteCurrencies(shopCurrency string) {
	codes := make([]string, 0, len(s.Currencies))
	for c := range s.Currencies {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if c != shopCurrency {
			s.Notes = append(s.Notes, fmt.Sprintf("%d orders are in %s, not the shop's currency %s: they keep %s (history shows them so), "+
				"and analytics leave them out and say so; if the shop's currency is %s, run ritorno shops set %s --currency %s",
				s.Currencies[c], c, shopCurrency, c, c, s.Shop, c))
		}
	}
}

type importRange struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

const maxSkipExamples = 20

// skip counts an unreadable record; where says which ("line 12", "element 3", an object id).
func (s *importSummary) skip(where string, err error) {
	s.Skipped++
	reason, key := ritorno.ErrorMessage(err), ""
	var le *transactions.LineError
	if errors.As(err, &le) {
		reason, key = le.Err.Error(), transactions.Reason(le.Err)
	} else {
		key = skipKey(reason)
	}
	if s.Reasons == nil {
		s.Reasons = map[string]int64{}
	}
	s.Reasons[key]++
	if len(s.Examples) < maxSkipExamples {
		s.Examples = append(s.Examples, where+": "+reason)
	}
}

func (s *importSummary) saw(t time.Time) {
	if s.Range == nil {
		s.Range = &importRange{First: t, Last: t}
		return
	}
	if t.Before(s.Range.First) {
		s.Range.First = t
	}
	if t.After(s.Range.Last) {
		s.Range.Last = t
	}
}

func runImport(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	preset := fs.String("preset", "", "a known data set's columns and rules (online-retail)")
	cols := transactions.DefaultColumns
	fs.StringVar(&cols.Customer, "customer-col", cols.Customer, "customer id column")
	fs.StringVar(&cols.Order, "order-col", cols.Order, "order id column")
	fs.StringVar(&cols.Date, "date-col", cols.Date, "order date column")
	fs.StringVar(&cols.Product, "product-col", cols.Product, "product id column")
	fs.StringVar(&cols.Quantity, "quantity-col", cols.Quantity, "quantity column")
	fs.StringVar(&cols.Price, "price-col", cols.Price, "unit price column")
	fs.StringVar(&cols.Currency, "currency-col", cols.Currency, "currency column")
	dateFormat := fs.String("date-format", "", "Go layout of the dates (default 2006-01-02)")
	currency := fs.String("currency", "", "currency of every row when the file has no currency column")
	batch := fs.Int("batch", history.DefaultImportBatch, "orders written per batch")
	if err := parseFlags(ctx, fs, args, stdout, importUsage); err != nil {
		return err
	}
	if *shopArg == "" || fs.NArg() != 1 {
		return usageErrorf("import needs --shop and one FILE (see ritorno import --help)")
	}
	path := fs.Arg(0)
	opts, err := transactionOptions(fs, cols, *preset, *dateFormat, *currency)
	if err != nil {
		return usageErrorf("import: %s", ritorno.ErrorMessage(err))
	}

	f, err := openInput(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, _ := f.Stat()

	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	if loc, err := time.LoadLocation(shop.Timezone); err == nil && shop.Timezone != "" {
		opts.Location = loc // dates without a zone are the shop's local time
	}

	sum := &importSummary{File: path, Shop: shop.Domain}
	im := history.NewImporter(db, shop.ID, *batch)
	prog := newProgress(stderr, info.Size())
	start := time.Now()

	err = importFile(ctx, f, db, shop, opts, im, sum, prog)
	if err == nil {
		err = im.Flush(ctx)
	}
	prog.done()
	sum.noteCurrencies(shop.Currency)
	sum.Orders = im.Counts()
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.PerSec = float64(sum.Orders.Inserted+sum.Orders.Updated+sum.Orders.Unchanged) / sum.Seconds
	}
	if err != nil {
		writeJSON(stdout, sum) // what was written before the failure stays written
		return err
	}
	if err := writeJSON(stdout, sum); err != nil {
		return err
	}
	return sum.verdict()
}

// importFile imports the file in the format its first bytes show.
func importFile(ctx context.Context, f *os.File, db *store.DB, shop ritorno.Shop, opts transactions.Options, im *history.Importer,
	sum *importSummary, prog *progress) (err error) {
	// Progress is the share of the file read (compressed bytes for a gzip file).
	counted := &countingReader{r: f}
	br := bufio.NewReaderSize(counted, 1<<16)
	first, _ := br.Peek(512)
	switch {
	case isShopifyJSONL(first) || (isGzip(first) && isShopifyJSONL(gunzipPeek(first))):
		sum.Format = "shopify-bulk-jsonl"
		err = importShopifyJSONL(ctx, f, db, shop, im, sum, prog)
	case bytes.HasPrefix(bytes.TrimLeft(first, " \t\r\n\ufeff"), []byte("[")):
		sum.Format = "woocommerce-orders-json"
		err = importWooJSON(ctx, br, counted, im, sum, prog)
	default:
		sum.Format = "transactions-csv"
		var catalog history.LineCatalog
		err = importCSV(ctx, br, counted, opts, im, &catalog, sum, prog)
		if err == nil {
			err = im.Flush(ctx)
		}
		if err == nil && catalog.Len() > 0 {
			var products history.ImportCounts
			products, err = catalog.Write(ctx, db, shop.ID)
			sum.Products = &products
		}
	}
	return err
}

// verdict fails an import that refused its file: no row read, no order written from a CSV
// or WooCommerce file, or more than half of the rows refused. The summary is printed first,
// so the reasons are there to read.
func (s *importSummary) verdict() error {
	written := s.Orders.Inserted + s.Orders.Updated + s.Orders.Unchanged
	switch {
	case s.Lines == 0:
		return ritorno.Errorf(ritorno.EINVALID, "file %s has no rows to import", s.File)
	case s.Skipped*2 > s.Lines || (written == 0 && s.Format != "shopify-bulk-jsonl"):
		return ritorno.Errorf(ritorno.EINVALID, "file %s: %d of %d rows refused (most often: %s), %d orders written; the summary lists the reasons",
			s.File, s.Skipped, s.Lines, mostCommon(s.Reasons), written)
	}
	return nil
}

// skipKey groups messages that differ only in their values ("order 12: …" and "order 13:
// …"): numbers become N and quoted text "…", so the key stays a readable sentence.
func skipKey(msg string) string {
	msg = quotedText.ReplaceAllString(msg, "\"…\"")
	return numbers.ReplaceAllString(msg, "N")
}

var (
	quotedText = regexp.MustCompile(`"[^"]*"`)
	numbers    = regexp.MustCompile(`-?\b\d+(\.\d+)?\b`)
)

func importCSV(ctx context.Context, r io.Reader, counted *countingReader, opts transactions.Options, im *history.Importer, catalog *history.LineCatalog,
	sum *importSummary, prog *progress) error {
	rd, err := transactions.NewReader(r, opts)
	if err != nil {
		return err
	}
	group := transactions.NewGroup(func(o transactions.Order) error {
		order, err := o.Domain()
		if err != nil {
			sum.skip(fmt.Sprintf("line %d", o.FirstRow), err)
			return nil
		}
		sum.saw(order.ProcessedAt)
		if err := im.Add(ctx, order); err != nil {
			if ritorno.ErrorCode(err) == ritorno.EINVALID {
				sum.skip(fmt.Sprintf("line %d", o.FirstRow), err)
				return nil
			}
			return err
		}
		sum.took(order.Currency)
		catalog.Add(order) // only orders that were taken: a refused one names no product
		return nil
	})
	for {
		line, err := rd.Next()
		if err == io.EOF {
			break
		}
		var le *transactions.LineError
		switch {
		case errors.As(err, &le):
			sum.Lines++
			sum.skip(fmt.Sprintf("line %d", le.Row), err)
			continue
		case err != nil:
			return err
		}
		sum.Lines++
		if err := group.Add(line); err != nil {
			return err
		}
		if sum.Lines%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			prog.update(counted.n, sum.Lines, im.Counts())
		}
	}
	return group.Flush()
}

// importWooJSON streams a JSON array of WooCommerce REST orders, one element at a time.
func importWooJSON(ctx context.Context, r io.Reader, counted *countingReader, im *history.Importer, sum *importSummary, prog *progress) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "not a JSON array: %v", err)
	}
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return ritorno.Errorf(ritorno.EINVALID, "element %d: %v", i, err)
		}
		sum.Lines++
		o, err := woocommerce.DecodeOrder(raw)
		if err == nil {
			sum.saw(o.ProcessedAt)
			if err = im.Add(ctx, o); err == nil {
				sum.took(o.Currency)
			}
		}
		if err != nil {
			if ritorno.ErrorCode(err) != ritorno.EINVALID {
				return err
			}
			sum.skip(fmt.Sprintf("element %d", i), err)
		}
		if i%1024 == 0 {
			prog.update(counted.n, sum.Lines, im.Counts())
		}
	}
	return nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress draws a bar on a terminal and prints a plain line every few seconds otherwise.
type progress struct {
	w        io.Writer
	total    int64
	terminal bool
	start    time.Time
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, total int64) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) update(done, lines int64, c history.ImportCounts) {
	now := time.Now()
	every := 5 * time.Second
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	orders := c.Inserted + c.Updated + c.Unchanged
	rate := float64(orders) / now.Sub(p.start).Seconds()
	pct := 0.0
	if p.total > 0 {
		pct = min(100, 100*float64(done)/float64(p.total))
	}
	if p.terminal {
		const width = 30
		filled := int(pct / 100 * width)
		fmt.Fprintf(p.w, "\r[%s%s] %5.1f%%  %d lines  %d orders  %.0f orders/s ", strings.Repeat("=", filled),
			strings.Repeat(" ", width-filled), pct, lines, orders, rate)
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "import: %.1f%% of the file, %d lines, %d orders written, %.0f orders/s\n", pct, lines, orders, rate)
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// overrideColumns sets the columns whose --*-col flags were given on the command line, over
// a preset's names.
func overrideColumns(fs *flag.FlagSet, cols *transactions.Columns) {
	for name, dst := range map[string]*string{"customer-col": &cols.Customer, "order-col": &cols.Order,
		"date-col": &cols.Date, "product-col": &cols.Product, "quantity-col": &cols.Quantity,
		"price-col": &cols.Price, "currency-col": &cols.Currency, "description-col": &cols.Description} {
		if f := fs.Lookup(name); f != nil && flagGiven(fs, name) {
			*dst = f.Value.String()
		}
	}
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// transactionOptions are the reading options of a transactions CSV from the shared flags:
// a preset (whose columns the --*-col flags given explicitly still rename) or the columns,
// then the date layout and currency when given.
func transactionOptions(fs *flag.FlagSet, cols transactions.Columns, preset, dateFormat, currency string) (transactions.Options, error) {
	opts := transactions.Options{Columns: cols}
	if preset != "" {
		p, err := transactions.Preset(preset)
		if err != nil {
			return opts, err
		}
		overrideColumns(fs, &p.Columns)
		opts = p
	}
	if dateFormat != "" {
		opts.DateLayout = dateFormat
	}
	if currency != "" {
		opts.Currency = strings.ToUpper(currency)
	}
	return opts, nil
}
