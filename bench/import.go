package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/migrations"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/transactions"
)

// ImportReport is what `ritorno bench import` prints.
type ImportReport struct {
	Machine  Machine         `json:"machine"`
	Database Database        `json:"database"`
	File     ImportFile      `json:"file"`
	Import   ImportResult    `json:"import"`
	Memory   ImportMemory    `json:"memory"`
	Baseline *ImportBaseline `json:"baseline,omitempty"`
	Profile  string          `json:"cpu_profile,omitempty"`
}

type Database struct {
	Dialect  string            `json:"dialect"`
	Version  string            `json:"version"`
	Settings map[string]string `json:"settings"`
}

type ImportFile struct {
	Path      string  `json:"path"`
	Bytes     int64   `json:"bytes"`
	Generated bool    `json:"generated"`
	Orders    int64   `json:"orders,omitempty"` // when generated
	Lines     int64   `json:"lines,omitempty"`
	Seconds   float64 `json:"generate_seconds,omitempty"`
	PerSecond float64 `json:"generate_orders_per_second,omitempty"`
}

type ImportResult struct {
	Shop           string               `json:"shop"`
	Batch          int                  `json:"batch"`
	Orders         int64                `json:"orders"`
	Counts         history.ImportCounts `json:"counts"`
	LinesRead      int64                `json:"lines_read"`
	Skipped        int64                `json:"skipped"`
	OrdersStored   int64                `json:"orders_stored"`
	LineItems      int64                `json:"line_items_stored"`
	Seconds        float64              `json:"seconds"`
	OrdersPerSec   float64              `json:"orders_per_second"`
	LineItemsPerSc float64              `json:"line_items_per_second"`
}

type ImportMemory struct {
	PeakRSSMB      float64   `json:"peak_rss_mb"` // VmHWM: the process's peak, generation included
	Samples        []float64 `json:"rss_samples_mb"`
	SampleEvery    string    `json:"sample_every"`
	MaxFirstHalfMB float64   `json:"rss_max_first_half_mb"`
	MaxLastHalfMB  float64   `json:"rss_max_second_half_mb"`
}

// ImportBaseline compares, on the first orders of the file, each in a fresh shop: the
// reading side alone, the import as it was (statements, reading and writing in turn) and
// as it is (this database's path, reading overlapping writing).
type ImportBaseline struct {
	Orders     int64  `json:"orders"`
	ParseOnly  Speed  `json:"parse_only"`
	Before     Speed  `json:"before"`
	After      Speed  `json:"after"`
	Definition string `json:"definition"`
}

type Speed struct {
	Seconds      float64 `json:"seconds"`
	OrdersPerSec float64 `json:"orders_per_second"`
	LinesPerSec  float64 `json:"line_items_per_second"`
}

// ImportOptions are the import benchmark's settings (the flags of `ritorno bench import`).
type ImportOptions struct {
	Orders         int64  // orders in the generated file
	File           string // import this file: reused if it exists, else generated there
	Keep           bool   // keep the imported shops and the generated file
	Source         string // the online retail CSV the file is made from
	Batch          int    // orders per write
	BaselineOrders int64  // orders of the baselines (0 skips them)
	CPUProfile     string // CPU profile of this process during the import ("": none)
	// OpenSource opens Source, with the errors of the other commands' input files.
	OpenSource func(path string) (*os.File, error)
	// Open opens the migrated database, once the file is ready.
	Open func(context.Context) (*store.DB, error)
	// Import is `ritorno import --shop SHOP --preset online-retail --batch BATCH PATH`,
	// writing its JSON summary to stdout and its progress to stderr.
	Import func(ctx context.Context, shop, path string, batch int, stdout io.Writer) error
}

// Import runs the import benchmark on the database opts.Open opens.
func Import(ctx context.Context, o ImportOptions) (ImportReport, error) {
	var rep ImportReport
	rep.Machine = machineInfo()

	// The file: reused, or generated as it is written.
	path := o.File
	if _, err := os.Stat(path); path == "" || errors.Is(err, os.ErrNotExist) {
		if path == "" {
			f, err := os.CreateTemp("", "ritorno-bench-import-*.csv")
			if err != nil {
				return rep, err
			}
			f.Close()
			path = f.Name()
			if !o.Keep {
				defer os.Remove(path)
			}
		}
		gen, err := generateOrdersFile(ctx, o.OpenSource, o.Source, path, o.Orders)
		if err != nil {
			return rep, err
		}
		rep.File = gen
	}
	info, err := os.Stat(path)
	if err != nil {
		return rep, ritorno.Errorf(ritorno.EINVALID, "bench import: %v", err)
	}
	rep.File.Path, rep.File.Bytes = path, info.Size()

	db, err := o.Open(ctx)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if rep.Database, err = describeDatabase(db); err != nil {
		return rep, err
	}
	newShop := func(kind string) (ritorno.Shop, error) {
		return db.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: fmt.Sprintf("bench-import-%s-%d.myshopify.com", kind, time.Now().UnixNano()),
			Name: "bench import", Status: ritorno.ShopInstalled, Currency: "GBP", Timezone: "Europe/London", InstalledAt: time.Now()}, ritorno.ShopCredentials{})
	}
	var shops []ritorno.Shop
	defer func() {
		if !o.Keep {
			for _, s := range shops {
				db.DeleteShop(context.Background(), s.ID)
			}
		}
	}()

	if o.BaselineOrders > 0 {
		p := &ImportBaseline{Orders: o.BaselineOrders, Definition: "the first orders of the file, each run in a fresh shop: " +
			"parse_only reads, groups and converts them and writes nothing; before is the import before the COPY path and " +
			"pipelining (the statement path, each batch written before the next is read); after is the import as it is now"}
		writers := []struct {
			speed      *Speed
			sequential bool
			writer     func(ritorno.Shop) history.OrderWriter
		}{
			{&p.ParseOnly, false, func(ritorno.Shop) history.OrderWriter { return discardWriter{} }},
			{&p.Before, true, func(ritorno.Shop) history.OrderWriter { return statementWriter{db} }},
			{&p.After, false, func(ritorno.Shop) history.OrderWriter { return db }},
		}
		for _, w := range writers {
			shop, err := newShop("baseline")
			if err != nil {
				return rep, err
			}
			shops = append(shops, shop)
			n, lines, secs, err := importPrefix(ctx, path, w.writer(shop), shop.ID, o.Batch, o.BaselineOrders, w.sequential)
			if err != nil {
				return rep, fmt.Errorf("baseline: %w", err)
			}
			*w.speed = Speed{Seconds: secs, OrdersPerSec: float64(n) / secs, LinesPerSec: float64(lines) / secs}
		}
		rep.Baseline = p
	}

	// The import itself, through `ritorno import`.
	shop, err := newShop("run")
	if err != nil {
		return rep, err
	}
	shops = append(shops, shop)
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return rep, err
	}
	defer stopProfile()
	rep.Profile = o.CPUProfile
	sampler := startRSSSampler(time.Second)
	var out bytes.Buffer
	start := time.Now()
	err = o.Import(ctx, shop.Domain, path, o.Batch, &out)
	elapsed := time.Since(start)
	samples := sampler.stop()
	stopProfile()
	if err != nil {
		return rep, fmt.Errorf("import: %w", err)
	}
	var sum struct {
		Lines   int64                `json:"lines_read"`
		Orders  history.ImportCounts `json:"orders"`
		Skipped int64                `json:"skipped"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return rep, fmt.Errorf("import summary: %w", err)
	}
	r := &rep.Import
	r.Shop, r.Batch, r.Counts, r.LinesRead, r.Skipped = shop.Domain, o.Batch, sum.Orders, sum.Lines, sum.Skipped
	r.Orders = sum.Orders.Inserted + sum.Orders.Updated + sum.Orders.Unchanged
	if err := store.RawQueryRow(db, "SELECT count(*) FROM orders WHERE shop_id = ?", shop.ID).Scan(&r.OrdersStored); err != nil {
		return rep, err
	}
	if err := store.RawQueryRow(db, "SELECT count(*) FROM line_items WHERE shop_id = ?", shop.ID).Scan(&r.LineItems); err != nil {
		return rep, err
	}
	r.Seconds = elapsed.Seconds()
	r.OrdersPerSec, r.LineItemsPerSc = float64(r.Orders)/r.Seconds, float64(r.LineItems)/r.Seconds
	rep.Memory = memoryReport(samples, time.Second)

	return rep, nil
}

// describeDatabase names the database, its version and the settings that decide how
// fast a durable write can be.
func describeDatabase(db *store.DB) (Database, error) {
	d := Database{Dialect: string(db.Dialect()), Settings: map[string]string{}}
	if db.Dialect() == migrations.Postgres {
		if err := store.RawQueryRow(db, "SHOW server_version").Scan(&d.Version); err != nil {
			return d, err
		}
		for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "checkpoint_timeout"} {
			var v string
			if err := store.RawQueryRow(db, "SELECT current_setting(?)", name).Scan(&v); err != nil {
				return d, err
			}
			d.Settings[name] = v
		}
		return d, nil
	}
	if err := store.RawQueryRow(db, "SELECT sqlite_version()").Scan(&d.Version); err != nil {
		return d, err
	}
	for _, name := range []string{"journal_mode", "synchronous"} {
		var v string
		if err := store.RawQueryRow(db, "PRAGMA "+name).Scan(&v); err != nil {
			return d, err
		}
		d.Settings[name] = v
	}
	if d.Settings["synchronous"] == "1" {
		d.Settings["synchronous"] = "1 (NORMAL: WAL synced at checkpoints, not at each commit)"
	}
	return d, nil
}

// discardWriter writes nothing: it leaves the reading side alone to be measured.
type discardWriter struct{}

func (discardWriter) UpsertOrders(_ context.Context, _ int64, orders []ritorno.Order) ([]ritorno.Write, error) {
	return make([]ritorno.Write, len(orders)), nil
}

// statementWriter writes each batch inside its own transaction, where UpsertOrders takes
// the statement path it took before the COPY path existed.
type statementWriter struct{ db *store.DB }

func (w statementWriter) UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) (res []ritorno.Write, err error) {
	err = w.db.InTransaction(ctx, func(tx *store.DB) error {
		res, err = tx.UpsertOrders(ctx, shopID, orders)
		return err
	})
	return res, err
}

// importPrefix imports the first limit orders of the file as `ritorno import` reads
// them. Sequential waits for each batch before reading on, as the importer did before it
// overlapped the two. It returns the orders and line items imported and the seconds taken.
func importPrefix(ctx context.Context, path string, w history.OrderWriter, shopID int64, batch int, limit int64, sequential bool) (orders, lines int64, secs float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	opts, _ := transactions.Preset("online-retail")
	opts.Location, _ = time.LoadLocation("Europe/London")
	start := time.Now()
	rd, err := transactions.NewReader(f, opts)
	if err != nil {
		return 0, 0, 0, err
	}
	im := history.NewImporter(w, shopID, batch)
	errEnough := errors.New("enough")
	group := transactions.NewGroup(func(o transactions.Order) error {
		if orders == limit {
			return errEnough
		}
		order, err := o.Domain()
		if err != nil {
			return nil
		}
		if err := im.Add(ctx, order); err != nil {
			return err
		}
		orders++
		lines += int64(len(order.LineItems))
		if sequential && orders%int64(batch) == 0 {
			return im.Flush(ctx)
		}
		return nil
	})
	for err == nil {
		var l transactions.Line
		if l, err = rd.Next(); err == nil {
			err = group.Add(l)
		} else if le := (*transactions.LineError)(nil); errors.As(err, &le) {
			err = nil
		}
	}
	if err == io.EOF {
		err = group.Flush()
	}
	if errors.Is(err, errEnough) {
		err = nil
	}
	if err == nil {
		err = im.Flush(ctx)
	}
	return orders, lines, time.Since(start).Seconds(), err
}

// generateOrdersFile writes a transactions CSV of n orders to path from the online retail
// data set: its invoices' importable lines again and again, each repetition with new
// invoice ids, customer ids offset by 100,000 per repetition and dates one more year back.
// Every invoice written is one order to the importer.
func generateOrdersFile(ctx context.Context, openInput func(string) (*os.File, error), source, path string, n int64) (ImportFile, error) {
	out := ImportFile{Path: path, Generated: true}
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return out, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write([]string{"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"}); err != nil {
		return out, err
	}
	opts, _ := transactions.Preset("online-retail")
	const dateLayout = "2006-01-02 15:04:05"
	var valid []bool // per invoice of the source, in file order: does it import as an order?
	record := make([]string, 7)
	for rep := 0; out.Orders < n; rep++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		src, err := openInput(source)
		if err != nil {
			return out, ritorno.Errorf(ritorno.EINVALID, "the online retail data set (--source): %s", ritorno.ErrorMessage(err))
		}
		rd, err := transactions.NewReader(src, opts)
		if err != nil {
			src.Close()
			return out, err
		}
		invoice, before := 0, out.Orders
		errDone := errors.New("done")
		group := transactions.NewGroup(func(o transactions.Order) error {
			i := invoice
			invoice++
			if rep == 0 {
				_, err := o.Domain()
				valid = append(valid, err == nil)
			}
			if !valid[i] {
				return nil
			}
			record[0] = strconv.FormatInt(1_000_000+out.Orders, 10)
			record[6] = ""
			if o.CustomerID != "" {
				id, err := strconv.ParseInt(o.CustomerID, 10, 64)
				if err != nil {
					return ritorno.Errorf(ritorno.EINVALID, "customer id %q is not a number", o.CustomerID)
				}
				record[6] = strconv.FormatInt(id+100_000*int64(rep+1), 10)
			}
			for _, l := range o.Lines {
				record[1], record[2], record[3] = l.ProductID, l.Description, strconv.FormatInt(l.Quantity, 10)
				record[4], record[5] = l.Date.AddDate(-rep, 0, 0).Format(dateLayout), l.UnitPrice.Decimal()
				if err := w.Write(record); err != nil {
					return err
				}
				out.Lines++
			}
			if out.Orders++; out.Orders == n {
				return errDone
			}
			return nil
		})
		for err == nil {
			var l transactions.Line
			if l, err = rd.Next(); err == nil {
				err = group.Add(l)
			} else if le := (*transactions.LineError)(nil); errors.As(err, &le) {
				err = nil // returns, cancellations, unreadable rows: not purchases
			}
		}
		if err == io.EOF {
			err = group.Flush()
		}
		src.Close()
		if err != nil && !errors.Is(err, errDone) {
			return out, err
		}
		if out.Orders == before {
			return out, ritorno.Errorf(ritorno.EINVALID, "%s has no importable order", source)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return out, err
	}
	if err := bw.Flush(); err != nil {
		return out, err
	}
	if err := f.Close(); err != nil {
		return out, err
	}
	out.Seconds = time.Since(start).Seconds()
	out.PerSecond = float64(out.Orders) / out.Seconds
	return out, nil
}

// rssSampler reads the process's resident set size at a fixed interval.
type rssSampler struct {
	stopOnce sync.Once
	quit     chan struct{}
	done     chan []float64
}

func startRSSSampler(every time.Duration) *rssSampler {
	s := &rssSampler{quit: make(chan struct{}), done: make(chan []float64, 1)}
	go func() {
		var samples []float64
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if mb, ok := procStatusMB("VmRSS"); ok {
				samples = append(samples, mb)
			}
			select {
			case <-s.quit:
				s.done <- samples
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() []float64 {
	s.stopOnce.Do(func() { close(s.quit) })
	return <-s.done
}

// procStatusMB reads a kB field of /proc/self/status (Linux) in MB.
func procStatusMB(field string) (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

// memoryReport keeps at most 20 evenly spread samples and the maximum of each half of
// the run, which tells whether memory grows with the file.
func memoryReport(samples []float64, every time.Duration) ImportMemory {
	m := ImportMemory{SampleEvery: every.String()}
	m.PeakRSSMB, _ = procStatusMB("VmHWM")
	step := max(1, (len(samples)+19)/20)
	for i := 0; i < len(samples); i += step {
		m.Samples = append(m.Samples, round1(samples[i]))
	}
	for i, s := range samples {
		if i < len(samples)/2 {
			m.MaxFirstHalfMB = max(m.MaxFirstHalfMB, s)
		} else {
			m.MaxLastHalfMB = max(m.MaxLastHalfMB, s)
		}
	}
	m.PeakRSSMB, m.MaxFirstHalfMB, m.MaxLastHalfMB = round1(m.PeakRSSMB), round1(m.MaxFirstHalfMB), round1(m.MaxLastHalfMB)
	return m
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
