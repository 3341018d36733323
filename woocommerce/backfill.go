package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// The backfill imports a store's existing products, customers and orders through the REST
// API, after registering the webhooks that bring every later change.
//
// Each collection is read in id order (orderby=id&order=asc), 100 items a request. New
// items get higher ids and land at the end, so the read needs no snapshot; webhooks bring
// the ones created after it passed. Deletions are the hard case: an item deleted (or
// trashed) behind the read shifts every later item one position back, and a plain
// page-number walk would skip one item per deletion, silently. The walk therefore goes by
// offset, re-reads the last item it handed over at the start of each request, and checks
// that it is still there: if it is not, items moved back, and the walk steps back until it
// finds the boundary again. The cursor is "offset:lastID"; a resumed step re-reads one
// item and hands over nothing twice. An item restored from the trash behind the read is
// not handed over: its order.restored or product.restored webhook (registered in the
// first step) brings it.

// BackfillConfig is what a store's backfill needs.
type BackfillConfig struct {
	Client        *Client
	ShopCurrency  string // the store's currency (StoreDetails): product prices are in it
	DeliveryURL   string // where the store's webhooks deliver (/webhooks/woocommerce/{connection key})
	WebhookSecret string // the secret they are signed with
	// Log receives one warning per item skipped because it does not decode: resource, id
	// and error code, never the item's contents. Nil discards them.
	Log *slog.Logger
}

// BackfillSource reads one store's history for the history package's backfill runner.
type BackfillSource struct {
	cfg BackfillConfig
	log *slog.Logger

	mu      sync.Mutex
	skipped map[string]int64
}

// NewBackfillSource returns the backfill source of the store cfg.Client calls.
func NewBackfillSource(cfg BackfillConfig) *BackfillSource {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &BackfillSource{cfg: cfg, log: log, skipped: map[string]int64{}}
}

// Steps lists the steps in the order they run: webhooks first, so that nothing changed
// during the import is lost; products before orders, customers before orders.
func (s *BackfillSource) Steps() []string {
	return []string{ritorno.StepWebhooks, ritorno.StepProducts, ritorno.StepCustomers, ritorno.StepOrders}
}

// Skipped counts the items skipped so far because they did not decode, by resource
// ("products", "variations", "customers", "orders", "refunds").
func (s *BackfillSource) Skipped() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.skipped))
	for k, v := range s.skipped {
		out[k] = v
	}
	return out
}

// webhooksDone is the webhooks step's only cursor.
const webhooksDone = "done"

// RunStep imports step from cursor ("" = from the start), calling page for each batch in
// order; it returns nil once the step is complete. page's error stops it and is returned
// as is. An item that does not decode is skipped, counted and logged, never fatal.
func (s *BackfillSource) RunStep(ctx context.Context, step, cursor string, page func(ritorno.BackfillPage) error) error {
	if s.cfg.Client == nil {
		return ritorno.Errorf(ritorno.EINVALID, "woocommerce backfill: no client")
	}
	switch step {
	case ritorno.StepWebhooks:
		if cursor == webhooksDone {
			return nil
		}
		err := s.cfg.Client.EnsureWebhooks(ctx, s.cfg.DeliveryURL, s.cfg.WebhookSecret, DefaultWebhookTopics)
		switch code := ritorno.ErrorCode(err); {
		case err == nil:
			return page(ritorno.BackfillPage{Cursor: webhooksDone})
		case code == ritorno.EUNAUTHORIZED || code == ritorno.EFORBIDDEN:
			// A read-only key (given by hand to shops add) may read the past but not create
			// webhooks: import anyway, and say that the webhooks must be set up in the store.
			return page(ritorno.BackfillPage{Cursor: webhooksDone,
				Limit: "the key may not create webhooks: add them in WooCommerce → Settings → Advanced → Webhooks with the delivery URL that ritorno shops show prints"})
		default:
			return err
		}
	case ritorno.StepProducts:
		if err := ritorno.ValidateCurrency(s.cfg.ShopCurrency); err != nil {
			return ritorno.Errorf(ritorno.EINVALID, "woocommerce backfill: shop currency: %s", ritorno.ErrorMessage(err))
		}
		return s.walk(ctx, "products", url.Values{"status": {"any"}}, cursor, page, s.products)
	case ritorno.StepCustomers:
		// role=all: the default lists only the "customer" role, and shoppers registered as
		// subscribers (or staff who bought) would be missing. Accounts without orders come
		// along too; analytics count buyers, not accounts.
		return s.walk(ctx, "customers", url.Values{"role": {"all"}}, cursor, page, s.customers)
	case ritorno.StepOrders:
		// status=any: every status but trash; cancelled, failed and refunded orders are
		// kept, and analytics leave them out.
		return s.walk(ctx, "orders", url.Values{"status": {"any"}}, cursor, page, s.orders)
	}
	return ritorno.Errorf(ritorno.EINVALID, "woocommerce backfill: unknown step %.40q", step)
}

// walkCursor is where a step resumes: how many items of the collection, in id order, were
// handed over, and the id of the last of them.
type walkCursor struct {
	offset int
	lastID int64
}

func parseWalkCursor(s string) (walkCursor, error) {
	if s == "" {
		return walkCursor{}, nil
	}
	off, last, ok := strings.Cut(s, ":")
	o, err1 := strconv.Atoi(off)
	l, err2 := strconv.ParseInt(last, 10, 64)
	if !ok || err1 != nil || err2 != nil || o < 0 || l < 0 {
		return walkCursor{}, ritorno.Errorf(ritorno.EINVALID, "woocommerce backfill: cursor %.40q is not offset:lastID", s)
	}
	return walkCursor{offset: o, lastID: l}, nil
}

func (c walkCursor) String() string {
	return strconv.Itoa(c.offset) + ":" + strconv.FormatInt(c.lastID, 10)
}

// maxForward bounds the requests in a row that find only items already handed over.
// Items restored from the trash cause one or two; many mean the store ignores offset.
const maxForward = 10

// walk reads resource in id order from cursor (see the comment at the top of this file)
// and hands each batch of new items, converted by build, to page.
func (s *BackfillSource) walk(ctx context.Context, resource string, params url.Values, cursor string, page func(ritorno.BackfillPage) error,
	build func(context.Context, []json.RawMessage, *ritorno.BackfillPage) error) error {
	cur, err := parseWalkCursor(cursor)
	if err != nil {
		return err
	}
	q := cloneValues(params)
	q.Set("orderby", "id")
	q.Set("order", "asc")
	off := cur.offset
	if cur.lastID > 0 {
		off = max(cur.offset-1, 0) // re-read the last item handed over: it shows whether items moved
	}
	forward := 0
	for {
		q.Set("offset", strconv.Itoa(off))
		items, _, total, err := s.cfg.Client.Page(ctx, resource, 1, maxPerPage, q)
		if err != nil {
			return err
		}
		ids := make([]int64, len(items))
		for i, raw := range items {
			ids[i] = itemID(raw)
			if i > 0 && ids[i] != 0 && ids[i-1] != 0 && ids[i] <= ids[i-1] {
				return ritorno.Errorf(ritorno.EINVALID, "woocommerce %s: the store does not list items in id order (does a plugin override orderby?)", resource)
			}
		}
		seen := 0 // items at the start of the window that were already handed over
		for seen < len(ids) && cur.lastID > 0 && ids[seen] <= cur.lastID {
			seen++
		}
		switch {
		case len(items) == 0 && (off == 0 || cur.lastID == 0 || forward > 0):
			return nil // the end
		case len(items) == 0:
			// Past the end: items before the cursor were deleted. Look at the tail.
			if total > 0 && total < off {
				off = max(total-maxPerPage, 0)
			} else {
				off = max(off-maxPerPage, 0)
			}
			continue
		case seen == len(items) && len(items) < maxPerPage:
			return nil // only items already handed over, up to the end
		case seen == len(items):
			// All handed over already: items were restored behind the cursor.
			if forward++; forward > maxForward {
				return ritorno.Errorf(ritorno.EINVALID, "woocommerce %s: the store does not page by offset", resource)
			}
			off += len(items)
			continue
		case seen == 0 && off > 0 && cur.lastID > 0 && forward == 0:
			// The last item handed over is not where it was: items were deleted behind the
			// cursor, and items not handed over yet may now sit before this window. (After
			// a window of handed-over items, this one starts right at the boundary.)
			off = max(off-maxPerPage, 0)
			continue
		}
		forward = 0
		bp := ritorno.BackfillPage{StepTotal: int64(max(total, 0))}
		skippedBefore := s.Skipped()[resource]
		if err := build(ctx, items[seen:], &bp); err != nil {
			return err
		}
		bp.Skipped = s.Skipped()[resource] - skippedBefore
		cur.offset = off + len(items)
		for _, id := range ids {
			cur.lastID = max(cur.lastID, id)
		}
		bp.Cursor = cur.String()
		if err := page(bp); err != nil {
			return err
		}
		if len(items) < maxPerPage || (total >= 0 && cur.offset >= total) {
			return nil
		}
		off = cur.offset - 1
	}
}

// itemID reads an item's id without decoding the rest; 0 if it has none.
func itemID(raw json.RawMessage) int64 {
	var p struct {
		ID payload.ID `json:"id"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return 0
	}
	return int64(p.ID)
}

func (s *BackfillSource) skip(resource string, id int64, err error) {
	s.mu.Lock()
	s.skipped[resource]++
	s.mu.Unlock()
	s.log.Warn("woocommerce backfill: skipped an item that does not decode",
		"resource", resource, "id", id, "code", ritorno.ErrorCode(err))
}

// products decodes a page of products; a variable product gets its variations, read from
// products/{id}/variations, as its variants.
func (s *BackfillSource) products(ctx context.Context, items []json.RawMessage, bp *ritorno.BackfillPage) error {
	for _, raw := range items {
		p, err := DecodeProduct(raw, s.cfg.ShopCurrency)
		if err != nil {
			s.skip("products", itemID(raw), err)
			continue
		}
		var shape struct {
			Type       string             `json:"type"`
			Variations *[]json.RawMessage `json:"variations"`
		}
		_ = json.Unmarshal(raw, &shape)
		// Variable products, and plugin types built on them (variable-subscription),
		// list their variations' ids; a variable product without any has no variants.
		var variations int
		if shape.Type == "variable" || (shape.Variations != nil && len(*shape.Variations) > 0) {
			variants, err := s.variations(ctx, p.PlatformID)
			if err != nil {
				return err
			}
			if shape.Type == "variable" || len(variants) > 0 {
				p.Variants, variations = variants, len(variants)
			}
		}
		bp.Products = append(bp.Products, p)
		bp.Objects += 1 + int64(variations) // a simple product's own variant is not another object
	}
	return nil
}

// variations reads a product's variations. It decodes them like DecodeVariation but takes
// the parent from the route: WooCommerce before 8.x (or so) leaves parent_id and name out
// of the variations endpoint's answer, which DecodeVariation would refuse.
func (s *BackfillSource) variations(ctx context.Context, productID int64) ([]ritorno.Variant, error) {
	var out []ritorno.Variant
	route := "products/" + strconv.FormatInt(productID, 10) + "/variations"
	err := s.cfg.Client.Walk(ctx, route, nil, 1, func(_ int, items []json.RawMessage) error {
		for _, raw := range items {
			v, err := decodeVariationOf(raw, productID, s.cfg.ShopCurrency)
			if err != nil {
				s.skip("variations", itemID(raw), err)
				continue
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

func decodeVariationOf(body []byte, productID int64, shopCurrency string) (ritorno.Variant, error) {
	var p productPayload
	if err := payload.Decode(body, &p, "variation"); err != nil {
		return ritorno.Variant{}, err
	}
	if p.ID == 0 {
		return ritorno.Variant{}, ritorno.Errorf(ritorno.EINVALID, "variation has no id")
	}
	if p.ParentID != 0 && int64(p.ParentID) != productID {
		return ritorno.Variant{}, ritorno.Errorf(ritorno.EINVALID, "variation %d belongs to product %d, not %d", p.ID, p.ParentID, productID)
	}
	v, err := p.variant(shopCurrency, int64(p.ID))
	if err != nil {
		return ritorno.Variant{}, err
	}
	if v.Title == "" {
		// The older answer has no name: the chosen options ("Blue, Large") stand for it.
		var a struct {
			Attributes []struct {
				Option string `json:"option"`
			} `json:"attributes"`
		}
		_ = json.Unmarshal(body, &a)
		var opts []string
		for _, o := range a.Attributes {
			if o.Option != "" {
				opts = append(opts, o.Option)
			}
		}
		v.Title = strings.Join(opts, ", ")
	}
	v.Sanitize()
	return v, nil
}

func (s *BackfillSource) customers(_ context.Context, items []json.RawMessage, bp *ritorno.BackfillPage) error {
	for _, raw := range items {
		c, err := DecodeCustomer(raw)
		if err != nil {
			s.skip("customers", itemID(raw), err)
			continue
		}
		bp.Customers = append(bp.Customers, c)
		bp.Objects++
	}
	return nil
}

// orders decodes a page of orders. The order resource lists its refunds (id, reason,
// total), which DecodeOrder takes as the complete list; only an order whose answer lacks
// that list (a plugin filtering the response) has its refunds read from
// orders/{id}/refunds, so that RefundsComplete can still be true.
func (s *BackfillSource) orders(ctx context.Context, items []json.RawMessage, bp *ritorno.BackfillPage) error {
	for _, raw := range items {
		o, err := DecodeOrder(raw)
		if err != nil {
			s.skip("orders", itemID(raw), err)
			continue
		}
		if !o.RefundsComplete {
			if o, err = s.orderWithRefunds(ctx, raw, o); err != nil {
				return err
			}
		}
		bp.Orders = append(bp.Orders, o)
		bp.Objects++
	}
	return nil
}

// orderWithRefunds reads the order's refunds and decodes the order again with their
// summaries in place, so that DecodeOrder's refund and status rules apply unchanged; the
// refunds then get their dates and lines from the full records. A refund that does not
// decode leaves the order as it was (RefundsComplete false keeps the stored refunds).
func (s *BackfillSource) orderWithRefunds(ctx context.Context, raw json.RawMessage, o ritorno.Order) (ritorno.Order, error) {
	var refunds []ritorno.Refund
	bad := false
	route := "orders/" + strconv.FormatInt(o.PlatformID, 10) + "/refunds"
	err := s.cfg.Client.Walk(ctx, route, nil, 1, func(_ int, items []json.RawMessage) error {
		for _, r := range items {
			refund, err := decodeRefund(r, o.Currency)
			if err != nil {
				s.skip("refunds", itemID(r), err)
				bad = true
				continue
			}
			refunds = append(refunds, refund)
		}
		return nil
	})
	if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
		return o, nil // deleted since it was listed; its webhook will say so
	}
	if err != nil || bad {
		return o, err
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return o, nil
	}
	summaries := make([]map[string]string, 0, len(refunds))
	byID := map[int64]ritorno.Refund{}
	for _, r := range refunds {
		summaries = append(summaries, map[string]string{"id": strconv.FormatInt(r.PlatformID, 10), "reason": r.Note, "total": "-" + r.Amount.Decimal()})
		byID[r.PlatformID] = r
	}
	body["refunds"], _ = json.Marshal(summaries)
	patched, _ := json.Marshal(body)
	full, err := DecodeOrder(patched)
	if err != nil {
		s.skip("orders", o.PlatformID, err)
		return o, nil
	}
	for i, r := range full.Refunds {
		full.Refunds[i] = byID[r.PlatformID]
	}
	return full, nil
}

// refundPayload is an order refund resource (orders/{id}/refunds/{rid}).
type refundPayload struct {
	ID             payload.ID      `json:"id"`
	DateCreatedGMT gmt             `json:"date_created_gmt"`
	Amount         payload.Decimal `json:"amount"`
	Reason         string          `json:"reason"`
	LineItems      []struct {
		Quantity int64           `json:"quantity"` // negative: taken back
		Total    payload.Decimal `json:"total"`    // negative
		MetaData []struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		} `json:"meta_data"`
	} `json:"line_items"`
}

// decodeRefund decodes a refund resource in the order's currency. A refund line names the
// order line it refunds only in its _refunded_item_id meta; lines without it are left out.
func decodeRefund(body []byte, currency string) (ritorno.Refund, error) {
	var p refundPayload
	if err := payload.Decode(body, &p, "refund"); err != nil {
		return ritorno.Refund{}, err
	}
	if p.ID == 0 {
		return ritorno.Refund{}, ritorno.Errorf(ritorno.EINVALID, "refund has no id")
	}
	amount, err := p.Amount.Money(currency, "amount")
	if err != nil {
		return ritorno.Refund{}, err
	}
	if amount.Amount < 0 {
		amount.Amount = -amount.Amount
	}
	r := ritorno.Refund{PlatformID: int64(p.ID), CreatedAt: p.DateCreatedGMT.time(), ProcessedAt: p.DateCreatedGMT.time(),
		Amount: amount, Note: p.Reason}
	for _, li := range p.LineItems {
		var lineID payload.ID
		for _, m := range li.MetaData {
			if m.Key == "_refunded_item_id" {
				if err := json.Unmarshal(m.Value, &lineID); err != nil {
					return ritorno.Refund{}, fmt.Errorf("refund %d: %w", p.ID, err)
				}
			}
		}
		if lineID == 0 {
			continue
		}
		total, err := li.Total.Money(currency, "line_items.total")
		if err != nil {
			return ritorno.Refund{}, err
		}
		if total.Amount < 0 {
			total.Amount = -total.Amount
		}
		r.LineItems = append(r.LineItems, ritorno.RefundLineItem{LineItemPlatformID: int64(lineID), Quantity: max(li.Quantity, -li.Quantity), Subtotal: total})
	}
	r.Sanitize(time.Now())
	return r, nil
}
