package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
)

// Recommendations: what the engine learns from (purchases, and the orders and products
// changed since a watermark) and the merchant's controls (migrations/*/0006_recommend.sql).

// countedOrderSQL is ritorno.Order.Counts in SQL; its arguments are countedOrderArgs.
const countedOrderSQL = "test = ? AND cancelled_at IS NULL AND deleted_at IS NULL AND financial_status <> ?"

var countedOrderArgs = []any{false, string(ritorno.FinancialVoided)}

// purchaseOrderColumns are what a Purchase needs of an order, plus what tells whether it counts.
const purchaseOrderColumns = "platform_id, buyer_kind, customer_platform_id, email_hash, currency, processed_at, platform_created_at, updated_at"

// purchaseLine is a line item as a Purchase reads it; refunded is filled in afterwards.
type purchaseLine struct {
	order, id, product, variant, quantity, price int64
}

// refundedLine is one refund's quantity of a line item.
type refundedLine struct {
	order, line, quantity int64
}

// purchaseLineSQL selects the lines a Purchase can hold: a product, not a gift card.
const purchaseLineSQL = "SELECT order_platform_id, platform_id, product_platform_id, variant_platform_id, quantity, price_minor FROM line_items WHERE shop_id = ? AND product_platform_id <> 0 AND gift_card = ?"

// purchaseOf builds the Purchase of a counted order from its lines (in platform id order)
// and the quantities refunded per line. ok is false when the order has no time to count
// at or no line left after refunds: it teaches nothing, and PurchasesChangedSince reports
// it removed.
func purchaseOf(o orderRow, lines []purchaseLine, refunded map[int64]int64) (p ritorno.Purchase, ok bool) {
	at := fromNullTime(o.ProcessedAt)
	if at.IsZero() {
		at = fromNullTime(o.PlatformCreatedAt)
	}
	if at.IsZero() {
		return p, false // never placed as far as the platform says (as EachCountedOrder)
	}
	var items []ritorno.PurchasedItem
	for _, l := range lines {
		if net := l.quantity - refunded[l.id]; net > 0 {
			if items == nil {
				items = make([]ritorno.PurchasedItem, 0, len(lines))
			}
			items = append(items, ritorno.PurchasedItem{ProductID: l.product, VariantID: l.variant, Quantity: net,
				UnitPrice: ritorno.Money{Amount: l.price, Currency: o.Currency}})
		}
	}
	if len(items) == 0 {
		return p, false
	}
	buyer := ritorno.Buyer{Kind: ritorno.BuyerKind(o.BuyerKind), CustomerPlatformID: o.CustomerPlatformID, EmailHash: o.EmailHash}
	return ritorno.Purchase{OrderID: o.PlatformID, Buyer: ritorno.BuyerKey(buyer), At: at, UpdatedAt: o.UpdatedAt.UTC(), Items: items}, true
}

// rowSource is what the merge reads of a result set: *sql.Rows and pgx.Rows both are one.
type rowSource interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// stream is one ordered result set read a row ahead, so that several can be merged.
type stream[T any] struct {
	rows rowSource
	row  T
	more bool // row holds a row not consumed yet
	scan func(rowSource, *T) error
	key  func(*T) int64 // the order the row belongs to; rows come in its ascending order
}

func (s *stream[T]) advance() error {
	if s.more = s.rows.Next(); !s.more {
		return s.rows.Err()
	}
	return s.scan(s.rows, &s.row)
}

// take calls use for each row of order id, after skipping rows of orders before it (those
// of orders that do not count).
func (s *stream[T]) take(id int64, use func(*T)) error {
	for s.more && s.key(&s.row) < id {
		if err := s.advance(); err != nil {
			return err
		}
	}
	for s.more && s.key(&s.row) == id {
		use(&s.row)
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nil
}

// The three queries of EachPurchase, each in order id order; their arguments are
// purchaseArgs.
var purchaseQueries = [3]string{
	"SELECT " + purchaseOrderColumns + " FROM orders WHERE shop_id = ? AND " + countedOrderSQL + " ORDER BY platform_id",
	purchaseLineSQL + " ORDER BY order_platform_id, platform_id",
	"SELECT order_platform_id, line_item_platform_id, quantity FROM refund_line_items WHERE shop_id = ? ORDER BY order_platform_id",
}

func purchaseArgs(shopID int64) [3][]any {
	return [3][]any{append([]any{shopID}, countedOrderArgs...), {shopID, false}, {shopID}}
}

// EachPurchase streams the shop's purchases in order id order: every order that counts
// (as EachCountedOrder: not test, cancelled, voided or deleted, placed at processed_at or
// else the platform's creation time, skipped when it has neither) with its product lines
// net of refunded quantities; gift cards, custom items and lines refunded in full are
// left out, and so is an order left with no line. fn may keep the Purchase.
//
// Orders, line items and refunded quantities are three queries, each in order id order,
// merged here: a million orders stream in one pass with one order's lines in memory. On
// PostgreSQL they are read through pgx itself, whose binary rows cost a fraction of
// database/sql's per-value conversions (measured: about twice the lines per second). The three
// read at slightly different moments, so an order written meanwhile may come with its
// old or new lines; a caller that then reads PurchasesChangedSince from a watermark taken
// before the call gets it again, whole. It cannot run inside InTransaction (its three
// queries need connections of their own).
func (db *DB) EachPurchase(ctx context.Context, shopID int64, fn func(ritorno.Purchase) error) error {
	if db.sql == nil {
		return errBoundDB
	}
	ctx, cancel := context.WithCancel(ctx) // an early return stops the queries
	defer cancel()
	args := purchaseArgs(shopID)
	if db.dialect == migrations.Postgres {
		return withPgxConns(ctx, db, len(purchaseQueries), func(conns []*pgx.Conn) error {
			var sources [3]rowSource
			for i, q := range purchaseQueries {
				rows, err := conns[i].Query(ctx, db.dialect.Rebind(q), args[i]...)
				if err != nil {
					return translate(err, "purchases")
				}
				defer rows.Close()
				sources[i] = rows
			}
			err := mergePurchases(sources, fn)
			cancel() // before the deferred Close, which would otherwise read the rest of the rows
			return err
		})
	}
	var sources [3]rowSource
	for i, q := range purchaseQueries {
		rows, err := db.sql.QueryContext(ctx, db.dialect.Rebind(q), args[i]...)
		if err != nil {
			return translate(err, "purchases")
		}
		defer rows.Close()
		sources[i] = rows
	}
	return mergePurchases(sources, fn)
}

// mergePurchases reads the results of purchaseQueries (orders, lines, refunded lines) and
// calls fn with each order's Purchase.
func mergePurchases(sources [3]rowSource, fn func(ritorno.Purchase) error) error {
	lines := stream[purchaseLine]{rows: sources[1], key: func(l *purchaseLine) int64 { return l.order },
		scan: func(r rowSource, l *purchaseLine) error {
			return r.Scan(&l.order, &l.id, &l.product, &l.variant, &l.quantity, &l.price)
		}}
	refunds := stream[refundedLine]{rows: sources[2], key: func(l *refundedLine) int64 { return l.order },
		scan: func(r rowSource, l *refundedLine) error { return r.Scan(&l.order, &l.line, &l.quantity) }}
	if err := lines.advance(); err != nil {
		return translate(err, "line items")
	}
	if err := refunds.advance(); err != nil {
		return translate(err, "refunds")
	}
	var (
		o        orderRow
		own      []purchaseLine
		refunded = map[int64]int64{}
		orders   = sources[0]
	)
	for orders.Next() {
		if err := orders.Scan(&o.PlatformID, &o.BuyerKind, &o.CustomerPlatformID, &o.EmailHash, &o.Currency,
			&o.ProcessedAt, &o.PlatformCreatedAt, &o.UpdatedAt); err != nil {
			return translate(err, "orders")
		}
		own = own[:0]
		clear(refunded)
		if err := lines.take(o.PlatformID, func(l *purchaseLine) { own = append(own, *l) }); err != nil {
			return translate(err, "line items")
		}
		if err := refunds.take(o.PlatformID, func(r *refundedLine) { refunded[r.line] += r.quantity }); err != nil {
			return translate(err, "refunds")
		}
		if p, ok := purchaseOf(o, own, refunded); ok {
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return translate(orders.Err(), "orders")
}

// The watermark rule of PurchasesChangedSince and ProductsChangedSince. Rows are read in
// (updated_at, platform_id) order, and a page never splits a group of rows that share one
// updated_at (a batch written in one transaction shares it): when the limit falls inside
// a group, the page stops before it and next is the group's time, so the group comes
// whole on the next call; when one group alone is longer than the limit, the page holds
// all of it (and is longer than limit), so that paging always moves on. Every row with
// updated_at < next has then been returned, and next > since whenever the page is not
// empty. Stored times have microsecond precision, so "after the last group" is its time
// plus a microsecond.
//
// A row becomes visible when its transaction commits, a little after its updated_at was
// taken; a row committed late could have a time below a watermark already handed out.
// A caller that polls should therefore start each round from the watermark less a margin
// longer than its longest write transaction, and apply what it reads idempotently: rows
// from within the margin come again.

// watermarkPage applies the rule to rows read with LIMIT limit+1. It returns how many rows
// form the page and the next watermark; whole means the first row's group filled the
// read, and the caller must add the rest of the group and then take next as its time
// plus a microsecond.
func watermarkPage(stamps []time.Time, limit int, since time.Time) (keep int, next time.Time, whole bool) {
	n := len(stamps)
	switch {
	case n == 0:
		return 0, since, false
	case n <= limit:
		return n, stamps[n-1].Add(time.Microsecond), false
	}
	last := stamps[limit-1]
	if !stamps[limit].Equal(last) {
		return limit, stamps[limit], false
	}
	start := limit - 1
	for start > 0 && stamps[start-1].Equal(last) {
		start--
	}
	if start > 0 {
		return start, last, false
	}
	return limit, last, true
}

// watermark normalizes a caller's time to the stored precision, rounding down so that no
// row at the boundary is missed.
func watermark(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// changedRows reads the page of a shop's rows of model changed since, by the watermark
// rule; columns are the columns to read (they must include platform_id and updated_at).
func changedRows[T any](ctx context.Context, db *DB, shopID int64, model any, columns string, since time.Time, limit int,
	stamp func(*T) time.Time, id func(*T) int64) ([]T, time.Time, error) {
	limit = pageSize(limit)
	var rows []T
	err := db.scoped(ctx, shopID, model).Select(columns).Where("updated_at >= ?", since).
		Order("updated_at, platform_id").Limit(limit + 1).Find(&rows).Error
	if err != nil {
		return nil, since, err
	}
	stamps := make([]time.Time, len(rows))
	for i := range rows {
		stamps[i] = stamp(&rows[i]).UTC()
	}
	keep, next, whole := watermarkPage(stamps, limit, since)
	rows = rows[:keep]
	if whole {
		var rest []T
		err := db.scoped(ctx, shopID, model).Select(columns).Where("updated_at = ? AND platform_id > ?", next, id(&rows[keep-1])).
			Order("platform_id").Find(&rest).Error
		if err != nil {
			return nil, since, err
		}
		rows, next = append(rows, rest...), next.Add(time.Microsecond)
	}
	return rows, next, nil
}

// PurchasesChangedSince returns the shop's orders whose row changed at or after since
// (updated_at, which every write of an order, its refunds, its deletion, its buyer's
// adoption of a guest order or a redaction raises), in (updated_at, order id) order, at
// most limit (1–1000; 0 means 1000) by the watermark rule above. Orders that count and
// hold a line come back as Purchases, as EachPurchase builds them; the others (cancelled,
// voided, deleted, test, never placed, no line left after refunds) as removed order ids.
// next is the watermark for the following call; it equals since when nothing changed.
func (db *DB) PurchasesChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) (changed []ritorno.Purchase, removed []int64, next time.Time, err error) {
	since = watermark(since)
	orders, next, err := changedRows(ctx, db, shopID, &orderRow{},
		purchaseOrderColumns+", test, cancelled_at, deleted_at, financial_status", since, limit,
		func(o *orderRow) time.Time { return o.UpdatedAt }, func(o *orderRow) int64 { return o.PlatformID })
	if err != nil {
		return nil, nil, since, translate(err, "orders")
	}
	var counted []int64
	for _, o := range orders {
		if counts(o) {
			counted = append(counted, o.PlatformID)
		}
	}
	// Line item ids are unique within an order only, so refunds are summed per order and line.
	type lineKey struct{ order, line int64 }
	lines := map[int64][]purchaseLine{}
	refundedBy := map[lineKey]int64{}
	for _, part := range chunks(counted, 1, db.paramLimit()-2) {
		rows, err := db.gorm.WithContext(ctx).Raw(purchaseLineSQL+" AND order_platform_id IN ? ORDER BY order_platform_id, platform_id",
			shopID, false, part).Rows()
		if err != nil {
			return nil, nil, since, translate(err, "line items")
		}
		for rows.Next() {
			var l purchaseLine
			if err := rows.Scan(&l.order, &l.id, &l.product, &l.variant, &l.quantity, &l.price); err != nil {
				rows.Close()
				return nil, nil, since, translate(err, "line items")
			}
			lines[l.order] = append(lines[l.order], l)
		}
		if err := closeRows(rows); err != nil {
			return nil, nil, since, translate(err, "line items")
		}
		var refundLines []refundLineItemRow
		if err := db.scoped(ctx, shopID, &refundLineItemRow{}).Select("order_platform_id, line_item_platform_id, quantity").
			Where("order_platform_id IN ?", part).Find(&refundLines).Error; err != nil {
			return nil, nil, since, translate(err, "refunds")
		}
		for _, r := range refundLines {
			refundedBy[lineKey{r.OrderPlatformID, r.LineItemPlatformID}] += r.Quantity
		}
	}
	refunded := map[int64]int64{}
	for _, o := range orders {
		if counts(o) {
			clear(refunded)
			for _, l := range lines[o.PlatformID] {
				refunded[l.id] = refundedBy[lineKey{o.PlatformID, l.id}]
			}
			if p, ok := purchaseOf(o, lines[o.PlatformID], refunded); ok {
				changed = append(changed, p)
				continue
			}
		}
		removed = append(removed, o.PlatformID)
	}
	return changed, removed, next, nil
}

// counts is ritorno.Order.Counts on a row.
func counts(o orderRow) bool {
	return !o.Test && !o.CancelledAt.Valid && !o.DeletedAt.Valid && o.FinancialStatus != string(ritorno.FinancialVoided)
}

// closeRows closes rows and reports the error that ended their iteration, if any.
func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// ProductsChangedSince returns the shop's products (with their variants in position
// order) whose row changed at or after since, in (updated_at, product id) order, at most
// limit (1–1000; 0 means 1000) by the watermark rule above, and the next watermark. Every
// write of a product or its variants (UpsertProduct replaces both) and MarkProductDeleted
// raise updated_at. Deleted products are included, with DeletedAt set, so that the engine
// drops them.
func (db *DB) ProductsChangedSince(ctx context.Context, shopID int64, since time.Time, limit int) ([]ritorno.Product, time.Time, error) {
	since = watermark(since)
	rows, next, err := changedRows(ctx, db, shopID, &productRow{}, "*", since, limit,
		func(p *productRow) time.Time { return p.UpdatedAt }, func(p *productRow) int64 { return p.PlatformID })
	if err != nil {
		return nil, since, translate(err, "products")
	}
	if len(rows) == 0 {
		return nil, next, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.PlatformID
	}
	byProduct := map[int64][]variantRow{}
	for _, part := range chunks(ids, 1, db.paramLimit()-1) {
		var variants []variantRow
		if err := db.scoped(ctx, shopID, &variantRow{}).Where("product_platform_id IN ?", part).
			Order("position, platform_id").Find(&variants).Error; err != nil {
			return nil, since, translate(err, "product variants")
		}
		for _, v := range variants {
			byProduct[v.ProductPlatformID] = append(byProduct[v.ProductPlatformID], v)
		}
	}
	out := make([]ritorno.Product, len(rows))
	for i, r := range rows {
		out[i] = productFromRows(r, byProduct[r.PlatformID])
	}
	return out, next, nil
}

type recommendControlsRow struct {
	ShopID           int64 `gorm:"primaryKey;autoIncrement:false"`
	ExcludedProducts string
	ExcludedTags     string
	ExcludedVendors  string
	FallbackChain    string
	UpsellMinPercent int
	UpsellMaxPercent int
	MinEvidence      int
	UpdatedAt        time.Time
}

func (recommendControlsRow) TableName() string { return "recommend_controls" }

type recommendPinRow struct {
	ShopID            int64 `gorm:"primaryKey;autoIncrement:false"`
	ProductPlatformID int64 `gorm:"primaryKey;autoIncrement:false"`
	Position          int   `gorm:"primaryKey;autoIncrement:false"`
	PinnedPlatformID  int64
}

func (recommendPinRow) TableName() string { return "recommend_pins" }

// RecommendControls returns the merchant's controls of the shop's recommendations, as
// set (Normalized gives the effective values); the zero value when none were ever set.
func (db *DB) RecommendControls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error) {
	var rows []recommendControlsRow
	if err := db.scoped(ctx, shopID, &recommendControlsRow{}).Limit(1).Find(&rows).Error; err != nil {
		return ritorno.RecommendControls{}, translate(err, "recommendation controls")
	}
	if len(rows) == 0 {
		return ritorno.RecommendControls{}, nil
	}
	r := rows[0]
	var pins []recommendPinRow
	if err := db.scoped(ctx, shopID, &recommendPinRow{}).Order("product_platform_id, position").Find(&pins).Error; err != nil {
		return ritorno.RecommendControls{}, translate(err, "recommendation pins")
	}
	c := ritorno.RecommendControls{ExcludedTags: decodeList(r.ExcludedTags), ExcludedVendors: decodeList(r.ExcludedVendors),
		FallbackChain: decodeList(r.FallbackChain), UpsellMinPercent: r.UpsellMinPercent, UpsellMaxPercent: r.UpsellMaxPercent,
		MinEvidence: r.MinEvidence, UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.ExcludedProducts), &c.ExcludedProducts); err != nil {
		return ritorno.RecommendControls{}, translate(err, "recommendation controls")
	}
	if len(c.ExcludedProducts) == 0 {
		c.ExcludedProducts = nil
	}
	for _, p := range pins {
		if c.Pins == nil {
			c.Pins = map[int64][]int64{}
		}
		c.Pins[p.ProductPlatformID] = append(c.Pins[p.ProductPlatformID], p.PinnedPlatformID)
	}
	return c, nil
}

// SetRecommendControls validates the shop's controls (ritorno.RecommendControls.Validate:
// EINVALID with the reason) and replaces the stored ones; pins keep their order. c's
// UpdatedAt is ignored: the stored controls take the time of this write. An unknown shop
// is ENOTFOUND.
func (db *DB) SetRecommendControls(ctx context.Context, shopID int64, c ritorno.RecommendControls) error {
	if err := c.Validate(); err != nil {
		return err
	}
	excluded, err := json.Marshal(c.ExcludedProducts)
	if err != nil || len(c.ExcludedProducts) == 0 {
		excluded = []byte("[]")
	}
	row := recommendControlsRow{ShopID: shopID, ExcludedProducts: string(excluded), ExcludedTags: encodeList(c.ExcludedTags),
		ExcludedVendors: encodeList(c.ExcludedVendors), FallbackChain: encodeList(c.FallbackChain),
		UpsellMinPercent: c.UpsellMinPercent, UpsellMaxPercent: c.UpsellMaxPercent, MinEvidence: c.MinEvidence, UpdatedAt: db.now()}
	var pins []recommendPinRow
	for product, list := range c.Pins {
		for i, pinned := range list {
			pins = append(pins, recommendPinRow{ShopID: shopID, ProductPlatformID: product, Position: i, PinnedPlatformID: pinned})
		}
	}
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", shopID).Take(&shopRow{}).Error; err != nil {
			return err
		}
		// Pins first: they reference the controls row.
		for _, model := range []any{&recommendPinRow{}, &recommendControlsRow{}} {
			if err := tx.Scopes(shopScope(shopID)).Delete(model).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return createAll(tx, pins)
	}), "shop")
}
