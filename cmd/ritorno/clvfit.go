package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/clv"
)

const clvUsage = `Usage: ritorno clv fit --transactions FILE [--preset online-retail]
       [--customer-col NAME] [--date-col NAME] [--amount-col NAME | --quantity-col NAME --price-col NAME]
       [--date-format LAYOUT] [--currency CODE] [--calibration-end DATE] [--time-unit day|week]

Fits the BG/NBD (purchase frequency and dropout) and Gamma-Gamma (spend per purchase)
models to a transactions CSV with a header (plain or gzip) and prints JSON: the parameters
with standard errors and log-likelihoods (sums over customers), the customers, the
model-free figures, and notes (e.g. a parameter at its boundary). Rows are purchases:
a customer, a date (Go layout, default 2006-01-02) and an amount (a decimal in the
currency, default USD), or a quantity and a unit price whose product is the amount.
Purchases on one day are one purchase occasion; rows without a customer and rows with an
amount of zero or less are skipped and counted. With --calibration-end the models are fitted
to purchases up to that day and the rest is a holdout: predicted and actual repeat
purchases in it are printed, in total and by frequency.
--preset online-retail reads the UCI Online Retail data set (CustomerID, InvoiceDate,
Quantity × UnitPrice in GBP; cancellation invoices "C…" skipped).
Exit status 1 when no purchase can be read from the file (the error names the most
common reason rows were skipped).
`

// clvInput is what clv fit read, printed beside the report.
type clvInput struct {
	File           string         `json:"file"`
	Rows           int64          `json:"rows_read"`
	Purchases      int            `json:"purchases"`
	Skipped        map[string]int `json:"skipped,omitempty"`
	First          time.Time      `json:"first_purchase"`
	Last           time.Time      `json:"last_purchase"`
	CalibrationEnd time.Time      `json:"calibration_end"`
	TimeUnit       string         `json:"time_unit"`
	Currency       string         `json:"currency"`
	MoneyUnit      string         `json:"money_unit"`
}

func runCLV(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("clv needs a subcommand: fit (ritorno clv --help)")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, clvUsage)
		return nil
	}
	if err := subcommand("clv", args[0]); err != nil {
		return err
	}
	args = args[1:]
	fs := newFlagSet("clv fit")
	path := fs.String("transactions", "", "the transactions CSV")
	preset := fs.String("preset", "", "online-retail")
	customerCol := fs.String("customer-col", "customer_id", "customer column")
	dateCol := fs.String("date-col", "date", "date column")
	amountCol := fs.String("amount-col", "", "amount column (or --quantity-col and --price-col)")
	quantityCol := fs.String("quantity-col", "", "quantity column")
	priceCol := fs.String("price-col", "", "unit price column")
	layout := fs.String("date-format", "2006-01-02", "Go layout of the dates")
	currency := fs.String("currency", "USD", "currency of the amounts (for their decimals)")
	calEnd := fs.String("calibration-end", "", "last day of the calibration period (YYYY-MM-DD); default: the last purchase day")
	unitName := fs.String("time-unit", "day", "day or week")
	if err := parseFlags(ctx, fs, args, stdout, clvUsage); err != nil {
		return err
	}
	if *path == "" || fs.NArg() > 0 {
		return usageErrorf("clv fit needs --transactions FILE and no other arguments")
	}
	cancelPrefix := ""
	if *preset != "" {
		if *preset != "online-retail" {
			return usageErrorf("clv fit: unknown preset %q (online-retail)", *preset)
		}
		*customerCol, *dateCol, *quantityCol, *priceCol = "CustomerID", "InvoiceDate", "Quantity", "UnitPrice"
		*layout, *currency, cancelPrefix = "2006-01-02 15:04:05", "GBP", "C"
	}
	if (*amountCol == "") == (*quantityCol == "" || *priceCol == "") {
		return usageErrorf("clv fit: give --amount-col, or --quantity-col and --price-col")
	}
	unit := map[string]clv.TimeUnit{"day": clv.Day, "week": clv.Week}[*unitName]
	if unit == 0 {
		return usageErrorf("clv fit: --time-unit must be day or week")
	}
	cur := strings.ToUpper(*currency)
	if err := ritorno.ValidateCurrency(cur); err != nil {
		return err
	}

	in := clvInput{File: *path, Skipped: map[string]int{}, TimeUnit: *unitName, Currency: cur, MoneyUnit: "minor units of " + cur}
	purchases, err := readCLVPurchases(*path, clvColumns{customer: *customerCol, date: *dateCol, amount: *amountCol,
		quantity: *quantityCol, price: *priceCol, invoice: "InvoiceNo", cancelPrefix: cancelPrefix}, *layout, cur, &in)
	if err != nil {
		return err
	}
	return reportCLV(stdout, purchases, in, *calEnd, unit)
}

// reportCLV fits the models to the purchases read and prints the report.
func reportCLV(stdout io.Writer, purchases []clv.Purchase, in clvInput, calEnd string, unit clv.TimeUnit) error {
	if len(purchases) == 0 {
		skipped := map[string]int64{}
		for k, v := range in.Skipped {
			skipped[k] = int64(v)
		}
		if in.Rows == 0 {
			return ritorno.Errorf(ritorno.EINVALID, "file %s has a header but no rows", in.File)
		}
		return ritorno.Errorf(ritorno.EINVALID, "no purchases could be read from %s: all %d rows skipped (most often: %s)",
			in.File, in.Rows, mostCommon(skipped))
	}
	end := in.Last
	if calEnd != "" {
		var err error
		if end, err = time.ParseInLocation("2006-01-02", calEnd, time.UTC); err != nil {
			return usageErrorf("clv fit: --calibration-end %q is not YYYY-MM-DD", calEnd)
		}
	}
	in.CalibrationEnd = end
	summaries := clv.Summarize(purchases, end, unit)
	var holdout *clv.Holdout
	if in.Last.After(end) && calEnd != "" {
		h := clv.SummarizeHoldout(purchases, end, in.Last, unit)
		holdout = &h
	}
	report, err := clv.Analyze(summaries, holdout, clv.FitOptions{})
	if err != nil {
		return err
	}
	return writeJSON(stdout, struct {
		clv.Report
		Input clvInput `json:"input"`
	}{report, in})
}

type clvColumns struct {
	customer, date, amount, quantity, price, invoice, cancelPrefix string
}

// readCLVPurchases reads the purchases of a transactions CSV, plain or gzip.
func readCLVPurchases(path string, cols clvColumns, layout, currency string, in *clvInput) ([]clv.Purchase, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr, header, err := openCLVCSV(f, path)
	if err != nil {
		return nil, err
	}
	idx, err := cols.index(path, header)
	if err != nil {
		return nil, err
	}
	var out []clv.Purchase
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		in.Rows++
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			in.Skipped["malformed row"]++
			continue
		} else if err != nil {
			return nil, ritorno.Errorf(ritorno.EINVALID, "read %s: %v", path, err)
		}
		if len(rec) < len(header) {
			in.Skipped["row has fewer columns than the header"]++
			continue
		}
		p, skip := idx.purchase(rec, cols.cancelPrefix, layout, currency)
		if skip != "" {
			in.Skipped[skip]++
			continue
		}
		if in.First.IsZero() || p.At.Before(in.First) {
			in.First = p.At
		}
		if p.At.After(in.Last) {
			in.Last = p.At
		}
		out = append(out, p)
	}
	in.Purchases = len(out)
	return out, nil
}

// openCLVCSV reads the header of a transactions CSV, plain or gzip.
func openCLVCSV(f io.Reader, path string) (*csv.Reader, []string, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if head, _ := br.Peek(2); isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, ritorno.Errorf(ritorno.EINVALID, "gzip: %v", err)
		}
		r = zr
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, ritorno.Errorf(ritorno.EINVALID, "file %s has no CSV header line", path)
	}
	for _, h := range header {
		if !utf8.ValidString(h) || strings.ContainsFunc(h, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
			return nil, nil, ritorno.Errorf(ritorno.EINVALID, "file %s is not a CSV: its first line holds binary data", path)
		}
	}
	// The header is kept: ReuseRecord reuses the slice of the next row only.
	return cr, slices.Clone(header), nil
}

// clvIndex is where each column is in a row; -1 for one not read.
type clvIndex struct{ customer, date, amount, quantity, price, invoice int }

// index finds the columns in the header.
func (cols clvColumns) index(path string, header []string) (clvIndex, error) {
	byName := map[string]int{}
	for i, h := range header {
		byName[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	col := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := byName[name]
		if !ok {
			cols := strings.Join(header, ", ")
			if r := []rune(cols); len(r) > 200 {
				cols = string(r[:200]) + "…"
			}
			return 0, ritorno.Errorf(ritorno.EINVALID, "file %s has no column %q (columns: %s)", path, name, cols)
		}
		return i, nil
	}
	idx := clvIndex{invoice: -1}
	var err error
	for _, c := range []struct {
		dst  *int
		name string
	}{{&idx.customer, cols.customer}, {&idx.date, cols.date}, {&idx.amount, cols.amount}, {&idx.quantity, cols.quantity}, {&idx.price, cols.price}} {
		if *c.dst, err = col(c.name); err != nil {
			return idx, err
		}
	}
	if cols.cancelPrefix != "" {
		if idx.invoice, err = col(cols.invoice); err != nil {
			return idx, err
		}
	}
	return idx, nil
}

// purchase reads a row, or says why it is skipped.
func (idx clvIndex) purchase(rec []string, cancelPrefix, layout, currency string) (clv.Purchase, string) {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	if idx.invoice >= 0 && strings.HasPrefix(field(idx.invoice), cancelPrefix) {
		return clv.Purchase{}, "cancellation"
	}
	customer := field(idx.customer)
	if customer == "" {
		return clv.Purchase{}, "no customer"
	}
	at, err := time.ParseInLocation(layout, field(idx.date), time.UTC)
	if err != nil {
		return clv.Purchase{}, "bad date"
	}
	var amount int64
	if idx.amount >= 0 {
		m, err := ritorno.ParseMoney(field(idx.amount), currency)
		if err != nil {
			return clv.Purchase{}, "bad amount"
		}
		amount = m.Amount
	} else {
		m, err := ritorno.ParseMoney(field(idx.price), currency)
		var qty int64
		if err == nil {
			_, err = fmt.Sscan(field(idx.quantity), &qty)
		}
		if err != nil {
			return clv.Purchase{}, "bad quantity or price"
		}
		amount = m.Amount * qty
	}
	if amount <= 0 {
		return clv.Purchase{}, "amount not positive"
	}
	return clv.Purchase{Customer: customer, At: at, Amount: amount}, ""
}
