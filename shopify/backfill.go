package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// BackfillConfig configures a BackfillSource for one shop.
type BackfillConfig struct {
	Client       *GraphQLClient // the shop's Admin API; give it a TokenSource for expiring tokens
	ShopCurrency string         // the currency of product prices, which the export does not name
	// Scopes are the granted access scopes (comma-separated). Without read_all_orders,
	// Shopify exports only the last 60 days of orders, and the orders pages say so.
	Scopes   string
	Poll     time.Duration   // how often to ask for the operation's status (0: 5 s)
	Wake     <-chan struct{} // optional: a bulk_operations/finish webhook for the shop arrived; poll now
	PageSize int             // roots per page (0: 500)
	TempDir  string          // where results are downloaded ("": os.TempDir()); each file is removed after its step
	HTTP     *http.Client    // downloads results (nil: a client with connect and header timeouts)
	// Sleep waits between polls (nil: a timer); a Wake cuts it short by cancelling its
	// context. Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// BackfillSource imports a Shopify shop's products, customers and orders through bulk
// operations, one per step. It matches history's backfill source interface.
//
// Each step starts an export and hands over its id at once as a page without objects, so
// that a restart after a crash waits for the same export instead of starting another. The
// finished result is downloaded to a temporary file and read backwards (ReadBulkReverse),
// PageSize roots per page, each page's cursor saying where to continue in the same file.
type BackfillSource struct {
	cfg BackfillConfig
}

// NewBackfillSource returns a source with cfg's defaults filled in.
func NewBackfillSource(cfg BackfillConfig) *BackfillSource {
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.HTTP == nil {
		cfg.HTTP = downloadHTTP
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepTimer
	}
	return &BackfillSource{cfg: cfg}
}

// downloadHTTP bounds connecting and waiting for headers but not the whole download,
// which may be gigabytes; the step's context bounds that.
var downloadHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   15 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	IdleConnTimeout:       90 * time.Second,
}}

func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bulkSteps are the steps in order, with their exports.
var bulkSteps = []struct{ step, query string }{
	{ritorno.StepProducts, BulkProductsQuery},
	{ritorno.StepCustomers, BulkCustomersQuery},
	{ritorno.StepOrders, BulkOrdersQuery},
}

// Steps lists products, customers, orders: the order history runs them in.
func (s *BackfillSource) Steps() []string {
	out := make([]string, len(bulkSteps))
	for i, b := range bulkSteps {
		out[i] = b.step
	}
	return out
}

// bulkCursor is a step's resume point: the export, and once its result is being read,
// the result's size and where to continue reading backwards (End) after skipping the
// Skip roots handed over already from there (see ReadBulkReverse).
type bulkCursor struct {
	Step string `json:"step"`
	Op   string `json:"op"`
	Size int64  `json:"size,omitempty"`
	End  int64  `json:"end,omitempty"`
	Skip int    `json:"skip,omitempty"`
}

func (c bulkCursor) String() string {
	b, _ := json.Marshal(c) // strings and integers: cannot fail
	return string(b)
}

// parseBulkCursor reads a cursor of step; "" is the zero cursor (start an export).
func parseBulkCursor(s, step string) (bulkCursor, error) {
	var c bulkCursor
	if s == "" {
		return c, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	bad := func(why string) (bulkCursor, error) {
		return bulkCursor{}, ritorno.Errorf(ritorno.EINVALID, "backfill cursor of %s: %s", step, why)
	}
	if err := dec.Decode(&c); err != nil {
		return bad("not a cursor of this source")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("trailing data")
	}
	if c.Step != step {
		return bad(fmt.Sprintf("it belongs to step %.20q", c.Step))
	}
	if id, err := gidID(c.Op, "BulkOperation"); err != nil || id == 0 {
		return bad("no bulk operation id")
	}
	if c.Size < 0 || c.End < 0 || c.End > c.Size || c.Skip < 0 || (c.Size == 0 && c.Skip != 0) {
		return bad("offsets out of range")
	}
	return c, nil
}

// RunStep imports step from cursor ("" = from the start), calling page for each batch in
// order; it returns nil once the step is complete. page's error stops it and is returned
// as is. A cursor whose export is gone, expired, failed or cancelled starts a new export;
// an export that fails while waited for is an error (EFORBIDDEN for ACCESS_DENIED).
func (s *BackfillSource) RunStep(ctx context.Context, step, cursor string, page func(ritorno.BackfillPage) error) error {
	query := ""
	for _, b := range bulkSteps {
		if b.step == step {
			query = b.query
		}
	}
	if query == "" {
		return ritorno.Errorf(ritorno.EINVALID, "Shopify backfill has no step %.30q", step)
	}
	if s.cfg.Client == nil {
		return ritorno.Errorf(ritorno.EINVALID, "Shopify backfill has no GraphQL client")
	}
	cur, err := parseBulkCursor(cursor, step)
	if err != nil {
		return err
	}
	limit := s.limit(step)

	var st BulkStatus
	if cur.Op != "" {
		st, err = BulkOperation(ctx, s.cfg.Client, cur.Op)
		switch {
		case ritorno.ErrorCode(err) == ritorno.ENOTFOUND:
			cur = bulkCursor{}
		case err != nil:
			return err
		case st.Status == "EXPIRED" || st.Status == "FAILED" || st.Status == "CANCELED" || st.Status == "CANCELING":
			// Its result is gone or was never made: a retry is a new export.
			cur = bulkCursor{}
		}
	}
	if cur.Op == "" {
		id, err := RunBulkQuery(ctx, s.cfg.Client, query)
		if err != nil {
			return err
		}
		cur = bulkCursor{Step: step, Op: id}
		if err := page(ritorno.BackfillPage{Cursor: cur.String(), Limit: limit}); err != nil {
			return err
		}
		st = BulkStatus{ID: id, Status: "CREATED"}
	}
	if st, err = s.wait(ctx, st); err != nil {
		return err
	}
	if st.URL == "" {
		return nil // no objects at all
	}

	f, err := os.CreateTemp(s.cfg.TempDir, "ritorno-bulk-*.jsonl")
	if err != nil {
		return fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "no room for the bulk result"), err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	size, err := s.download(ctx, st.URL, f)
	if err != nil {
		return err
	}
	if cur.Size != size {
		// First read, or (never expected) a result that changed under the cursor: read
		// it all; stored objects make a repeat harmless.
		cur.Size, cur.End, cur.Skip = size, size, 0
	}
	return s.read(ctx, f, cur, st.ObjectCount, limit, page)
}

// limit says what Shopify withholds from the step.
func (s *BackfillSource) limit(step string) string {
	if step != ritorno.StepOrders {
		return ""
	}
	for _, sc := range strings.Split(s.cfg.Scopes, ",") {
		if strings.TrimSpace(sc) == "read_all_orders" {
			return ""
		}
	}
	return "only orders of the last 60 days: the read_all_orders scope is not granted"
}

// wait polls the operation until it ends, every Poll or at once on Wake.
func (s *BackfillSource) wait(ctx context.Context, st BulkStatus) (BulkStatus, error) {
	for {
		if ended, err := bulkEnded(st); ended {
			return st, err
		}
		if err := s.pause(ctx); err != nil {
			return st, err
		}
		var err error
		if st, err = BulkOperation(ctx, s.cfg.Client, st.ID); err != nil {
			return st, err
		}
	}
}

// pause sleeps for Poll, or until a Wake.
func (s *BackfillSource) pause(ctx context.Context) error {
	if s.cfg.Wake == nil {
		return s.cfg.Sleep(ctx, s.cfg.Poll)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.cfg.Sleep(sctx, s.cfg.Poll) }()
	select {
	case err := <-done:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	case <-s.cfg.Wake:
		cancel()
		<-done
		return ctx.Err()
	}
}

// download streams the result at url into f and returns its size. The URL is signed:
// it stays out of errors.
func (s *BackfillSource) download(ctx context.Context, resultURL string, f *os.File) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, resultURL, nil)
	if err != nil {
		return 0, ritorno.Errorf(ritorno.EINVALID, "bulk result URL is malformed")
	}
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the signed URL
		}
		return 0, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result download failed"), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result download: HTTP %d", resp.StatusCode)
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "bulk result download cut short after %d bytes", n), err)
	}
	return n, nil
}

// read hands the result over in pages, from cur.End backwards.
func (s *BackfillSource) read(ctx context.Context, f *os.File, cur bulkCursor, total int64, limit string, page func(ritorno.BackfillPage) error) error {
	pg := ritorno.BackfillPage{StepTotal: total, Limit: limit}
	roots := 0
	from, skip := cur.End, cur.Skip
	// prev and run locate the read in ReadBulkReverse's terms: roots handed over with the
	// same resume offset are handed over again by a restart from it.
	prev, run := cur.End, 0
	err := ReadBulkReverse(f, cur.End, func(root BulkObject, children []BulkObject, resume int64) error {
		if resume != prev {
			prev, run = resume, 0
		} else {
			run++
		}
		if resume == from && run <= skip {
			return nil // handed over before the restart
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.decode(ctx, cur.Step, root, children, &pg); err != nil {
			return err
		}
		pg.Objects += 1 + int64(len(children))
		roots++
		if roots < s.cfg.PageSize {
			return nil
		}
		cur.End, cur.Skip = resume, run
		pg.Cursor = cur.String()
		if err := page(pg); err != nil {
			return err
		}
		pg = ritorno.BackfillPage{StepTotal: total, Limit: limit}
		roots = 0
		return nil
	})
	if err != nil {
		return err
	}
	if roots == 0 {
		return nil
	}
	cur.End, cur.Skip = 0, 0
	pg.Cursor = cur.String()
	return page(pg)
}

// decode adds a root and its children to the page as a domain object of the step.
func (s *BackfillSource) decode(ctx context.Context, step string, root BulkObject, children []BulkObject, pg *ritorno.BackfillPage) error {
	childType := map[string]string{ritorno.StepProducts: "ProductVariant", ritorno.StepOrders: "LineItem"}[step]
	raws := make([]json.RawMessage, 0, len(children))
	for _, c := range children {
		if childType == "" || c.Type != childType || c.ParentID != root.ID {
			return ritorno.Errorf(ritorno.EINVALID, "bulk %s: %.60s has an unexpected child %.60s", step, root.ID, c.ID)
		}
		raws = append(raws, c.Raw)
	}
	wrap := func(err error) error {
		return fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.ErrorCode(err), "bulk %s: %.60s: %s", step, root.ID, ritorno.ErrorMessage(err)), err)
	}
	// An object that cannot be decoded is skipped and counted: retrying cannot fix it, and
	// failing the step for it would hold back the shop's whole past.
	decodeFailed := func(error) error {
		pg.Skipped++
		return nil
	}
	switch step {
	case ritorno.StepProducts:
		p, err := DecodeBulkProduct(root.Raw, raws, s.cfg.ShopCurrency)
		if err != nil {
			return decodeFailed(err)
		}
		pg.Products = append(pg.Products, p)
	case ritorno.StepCustomers:
		c, err := DecodeBulkCustomer(root.Raw)
		if err != nil {
			return decodeFailed(err)
		}
		pg.Customers = append(pg.Customers, c)
	default:
		o, err := DecodeBulkOrder(root.Raw, raws)
		if err != nil {
			return decodeFailed(err)
		}
		if !o.RefundsComplete && len(o.Refunds) > 0 {
			if err := s.completeRefunds(ctx, root.ID, &o); err != nil {
				return wrap(err)
			}
		}
		pg.Orders = append(pg.Orders, o)
	}
	return nil
}

// completeRefunds reads the refund line items the export could not carry, one call per
// refunded order, paced by the client's cost bucket. An order deleted since the export,
// or with a refund too long for one query, keeps its refund headers and stays incomplete
// (store upserts then keep what is stored).
func (s *BackfillSource) completeRefunds(ctx context.Context, orderGID string, o *ritorno.Order) error {
	var data json.RawMessage
	if err := s.cfg.Client.Do(ctx, OrderRefundsQuery, map[string]any{"id": orderGID}, &data); err != nil {
		return err
	}
	refunds, complete, err := DecodeOrderRefunds(bytes.TrimSpace(data), o.Currency)
	switch {
	case ritorno.ErrorCode(err) == ritorno.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case !complete:
		return nil
	}
	o.Refunds, o.RefundsComplete = refunds, true
	if o.RefundedAmount, err = o.SumRefunds(); err != nil {
		return err
	}
	return nil
}
