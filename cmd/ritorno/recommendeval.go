package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/transactions"
)

const recommendEvalUsage = `Usage: ritorno recommend eval --transactions FILE [--preset online-retail | column flags]
       [--format transactions|baskets] [--split-date YYYY-MM-DD] [--k 10]

Measures the recommendation engine on a purchase file and prints JSON with two protocols,
each for the engine's strategies and for baselines computed by the same harness
(docs/recommendations.md gives the exact rules):
  next_period        train on lines before the split date; for customers present in both
                     periods, rank K products and compare with what they bought on or after
                     it: "all" target items and "new" ones (not bought before). Strategies:
                     popularity, personal_top_frequency, for_you.
  basket_completion  for every order after the split, hide each item in turn and ask for K
                     items given the rest. Strategies: popularity, cross_sell, up_sell.
--format transactions (default) reads a CSV with a header, one line item per row, with the
column flags of ritorno import (--customer-col customer_id --order-col order_id
--date-col date --product-col product_id --quantity-col quantity --price-col unit_price
--currency-col currency | --currency CODE, --date-format LAYOUT, --description-col NAME);
--preset online-retail reads the UCI Online Retail data set. Kept rows have a customer id,
a quantity and a unit price above zero and an order id not starting with the preset's
cancellation prefix ("C"); the others are counted as skipped.
--format baskets reads one basket per line, comma-separated item labels, no header and no
customers or dates (e.g. the groceries data): baskets are dated one minute apart in file
order, so the default split keeps the last 20% of baskets for the test, and only
basket_completion is computed.
Without --split-date the split is the date before which 80% of the orders fall.
Exit status 1 when no purchase line can be read from the file (the error names the most
common reason rows were skipped).
`

// recommendEvalInput is what the evaluation read, printed beside the report.
type recommendEvalInput struct {
	File    string           `json:"file"`
	Format  string           `json:"format"`
	Rows    int64            `json:"rows_read"`
	Kept    int              `json:"lines_kept"`
	Skipped map[string]int64 `json:"skipped_by_reason,omitempty"`
}

func runRecommendEval(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("recommend eval")
	path := fs.String("transactions", "", "the transactions CSV or baskets file")
	format := fs.String("format", "transactions", "transactions or baskets")
	preset := fs.String("preset", "", "a known data set's columns and rules (online-retail)")
	splitArg := fs.String("split-date", "", "first day of the test period (YYYY-MM-DD)")
	k := fs.Int("k", 10, "list length scored")
	cols := transactions.DefaultColumns
	fs.StringVar(&cols.Customer, "customer-col", cols.Customer, "customer id column")
	fs.StringVar(&cols.Order, "order-col", cols.Order, "order id column")
	fs.StringVar(&cols.Date, "date-col", cols.Date, "order date column")
	fs.StringVar(&cols.Product, "product-col", cols.Product, "product id column")
	fs.StringVar(&cols.Quantity, "quantity-col", cols.Quantity, "quantity column")
	fs.StringVar(&cols.Price, "price-col", cols.Price, "unit price column")
	fs.StringVar(&cols.Currency, "currency-col", cols.Currency, "currency column")
	fs.StringVar(&cols.Description, "description-col", "", "product title column (optional)")
	dateFormat := fs.String("date-format", "", "Go layout of the dates (default 2006-01-02)")
	currency := fs.String("currency", "", "currency of every row when the file has no currency column")
	if err := parseFlags(ctx, fs, args, stdout, recommendEvalUsage); err != nil {
		return err
	}
	if *path == "" || fs.NArg() > 0 {
		return usageErrorf("recommend eval needs --transactions FILE and no other arguments (see ritorno recommend eval --help)")
	}
	if *k <= 0 || *k > recommend.MaxLimit {
		return usageErrorf("recommend eval: --k must be between 1 and %d", recommend.MaxLimit)
	}
	var split time.Time
	if *splitArg != "" {
		var err error
		if split, err = time.ParseInLocation("2006-01-02", *splitArg, time.UTC); err != nil {
			return usageErrorf("recommend eval: --split-date %q is not YYYY-MM-DD", *splitArg)
		}
	}
	f, err := openInput(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := recommendEvalInput{File: *path, Format: *format, Skipped: map[string]int64{}}
	var lines []recommend.EvalLine
	switch *format {
	case "baskets":
		lines, err = readBaskets(f, &in)
	case "transactions":
		opts, oerr := transactionOptions(fs, cols, *preset, *dateFormat, *currency)
		if oerr != nil {
			return usageErrorf("recommend eval: %s", ritorno.ErrorMessage(oerr))
		}
		lines, err = readEvalTransactions(f, opts, &in)
	default:
		return usageErrorf("recommend eval: --format must be transactions or baskets")
	}
	if err != nil {
		return err
	}
	in.Kept = len(lines)
	if len(lines) == 0 {
		if in.Rows == 0 {
			return ritorno.Errorf(ritorno.EINVALID, "file %s has no rows", *path)
		}
		return ritorno.Errorf(ritorno.EINVALID, "no purchase lines could be read from %s: all %d rows skipped (most often: %s)",
			*path, in.Rows, mostCommon(in.Skipped))
	}
	if split.IsZero() {
		split = defaultSplit(lines)
	}
	rep := recommend.Evaluate(lines, recommend.EvalOptions{K: *k, Split: split})
	return writeJSON(stdout, struct {
		recommend.EvalReport
		Input recommendEvalInput `json:"input"`
	}{rep, in})
}

// readEvalTransactions keeps the lines the protocol counts: a customer, a quantity and a
// unit price above zero, not a cancellation (the reader itself drops returns and
// cancellations and reports them as line errors).
func readEvalTransactions(r io.Reader, opts transactions.Options, in *recommendEvalInput) ([]recommend.EvalLine, error) {
	tr, err := transactions.NewReader(r, opts)
	if err != nil {
		return nil, err
	}
	var out []recommend.EvalLine
	for {
		l, err := tr.Next()
		if err == io.EOF {
			break
		}
		in.Rows++
		var le *transactions.LineError
		switch {
		case errors.Is(err, transactions.ErrCancellation):
			in.Skipped["cancellation"]++
			continue
		case errors.As(err, &le):
			in.Skipped[transactions.Reason(le.Err)]++
			continue
		case err != nil:
			return nil, ritorno.Errorf(ritorno.EINVALID, "read: %v", err)
		}
		if l.CustomerID == "" {
			in.Skipped["no customer"]++
			continue
		}
		if l.UnitPrice.Amount <= 0 {
			in.Skipped["unit price not positive"]++
			continue
		}
		out = append(out, recommend.EvalLine{Customer: transactions.ID(l.CustomerID), Order: transactions.ID(l.OrderID), At: l.Date,
			Product: transactions.ID(l.ProductID), Title: l.Description, UnitPrice: l.UnitPrice})
	}
	return out, nil
}

// basketEpoch dates the first basket of a baskets file; each next one is a minute later.
var basketEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// readBaskets reads one basket per line: comma-separated labels, whitespace stripped,
// repeated labels counted once. Items get a nominal price of one unit.
func readBaskets(r io.Reader, in *recommendEvalInput) ([]recommend.EvalLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	var out []recommend.EvalLine
	n := int64(0)
	for sc.Scan() {
		in.Rows++
		seen := map[string]bool{}
		at := basketEpoch.Add(time.Duration(n) * time.Minute)
		added := false
		for _, label := range strings.Split(sc.Text(), ",") {
			label = strings.TrimSpace(label)
			if label == "" || seen[label] {
				continue
			}
			seen[label] = true
			added = true
			out = append(out, recommend.EvalLine{Order: n + 1, At: at, Product: transactions.ID(label), Title: label,
				UnitPrice: ritorno.Money{Amount: 100, Currency: "XXX"}})
		}
		if !added {
			in.Skipped["empty basket"]++
			continue
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, ritorno.Errorf(ritorno.EINVALID, "read baskets: %v", err)
	}
	return out, nil
}

// defaultSplit is the first order date at or after which the last 20% of orders fall.
func defaultSplit(lines []recommend.EvalLine) time.Time {
	first := map[int64]time.Time{}
	for _, l := range lines {
		if t, ok := first[l.Order]; !ok || l.At.Before(t) {
			first[l.Order] = l.At
		}
	}
	dates := make([]time.Time, 0, len(first))
	for _, t := range first {
		dates = append(dates, t)
	}
	sort.Slice(dates, func(a, b int) bool { return dates[a].Before(dates[b]) })
	return dates[len(dates)*8/10]
}
