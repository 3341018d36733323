package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

// Storefront events: what shoppers did with recommended items, and the attribution of
// orders to them (migrations/*/0009_storefront_events.sql).

type storefrontEventRow struct {
	ID                int64 `gorm:"primaryKey"`
	ShopID            int64
	Type              string
	ProductPlatformID int64
	VariantPlatformID int64
	Kind              string
	Placement         string
	BuyerKey          int64
	OccurredAt        time.Time
	Token             *string // nil for events stored before tokens were kept (0011)
}

func (storefrontEventRow) TableName() string { return "storefront_events" }

// RecordStorefrontEvents stores a batch of the shop's storefront events in one statement.
// A batch with an invalid event stores nothing. An event whose token already has an event
// of its type (in the store or earlier in the batch) is skipped: a replayed token counts
// once, and so does everything that follows from it (attribution reads these rows).
func (db *DB) RecordStorefrontEvents(ctx context.Context, shopID int64, events []ritorno.StorefrontEvent) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]storefrontEventRow, len(events))
	for i, e := range events {
		if err := e.Validate(); err != nil {
			return err
		}
		rows[i] = storefrontEventRow{ShopID: shopID, Type: string(e.Type), ProductPlatformID: e.ProductID,
			VariantPlatformID: e.VariantID, Kind: e.Kind, Placement: e.Placement, BuyerKey: e.BuyerKey,
			OccurredAt: e.OccurredAt.UTC().Truncate(time.Microsecond)}
		if e.Token != "" {
			rows[i].Token = &e.Token
		}
	}
	return translate(db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error, "storefront events")
}

// attributionLine is one product line of a counted order placed in the period whose
// product was clicked from a recommendation in the period or the window before it.
type attributionLine struct {
	order    int64
	at       time.Time
	buyer    int64 // ritorno.BuyerKey of the order
	net      int64 // order total less refunds, ≥ 0
	currency string
	product  int64
}

// attributionLinesSQL selects attributionLine candidates; its arguments are the shop, the
// counted-order arguments, the period twice (processed_at, else platform_created_at, as
// EachCountedOrder places an order), the two click types, and the event window.
const attributionLinesSQL = `SELECT o.platform_id, o.buyer_kind, o.customer_platform_id, o.email_hash, o.total_minor,
	o.refunded_minor, o.currency, o.processed_at, o.platform_created_at, li.product_platform_id
FROM orders o JOIN line_items li ON li.shop_id = o.shop_id AND li.order_platform_id = o.platform_id
WHERE o.shop_id = ? AND o.test = ? AND o.cancelled_at IS NULL AND o.deleted_at IS NULL AND o.financial_status <> ?
	AND ((o.processed_at >= ? AND o.processed_at < ?)
		OR (o.processed_at IS NULL AND o.platform_created_at >= ? AND o.platform_created_at < ?))
	AND li.product_platform_id <> 0
	AND EXISTS (SELECT 1 FROM storefront_events e WHERE e.shop_id = li.shop_id
		AND e.product_platform_id = li.product_platform_id AND e.type IN (?, ?)
		AND e.occurred_at >= ? AND e.occurred_at < ?)`

// RecommendationPerformance reports the shop's storefront events in [from, to) (counts by
// kind) and the counted orders placed in [from, to) that recommendations influenced: an
// order is influenced when one of its product lines was clicked or added to the cart from
// a recommendation before the order was placed, within ritorno.AttributionWindow by the
// same logged-in buyer, or within ritorno.AnonymousAttributionWindow by an anonymous
// shopper. Events of another logged-in buyer never count. Revenue is the orders' net total.
//
// The candidate lines (orders of the period holding a product clicked in the period or
// the week before) are read into memory; the clicks then stream in time order past them,
// keeping only the last click per product and buyer within the window, so memory follows
// the candidates and one week of distinct clicks, not the whole event history.
func (db *DB) RecommendationPerformance(ctx context.Context, shopID int64, from, to time.Time) (ritorno.RecommendationPerformance, error) {
	from, to = from.UTC().Truncate(time.Microsecond), to.UTC().Truncate(time.Microsecond)
	if !from.Before(to) {
		return ritorno.RecommendationPerformance{}, ritorno.Errorf(ritorno.EINVALID, "the period must end after it starts")
	}
	shop, err := db.Shop(ctx, shopID)
	if err != nil {
		return ritorno.RecommendationPerformance{}, err
	}
	p := ritorno.RecommendationPerformance{From: from, To: to, InfluencedRevenue: ritorno.Zero(shop.Currency)}
	if err := db.countStorefrontEvents(ctx, shopID, &p); err != nil {
		return ritorno.RecommendationPerformance{}, err
	}
	lines, err := db.attributionLines(ctx, shopID, from, to)
	if err != nil || len(lines) == 0 {
		return p, err
	}
	influenced, err := db.influencedOrders(ctx, shopID, from, to, lines)
	if err != nil {
		return ritorno.RecommendationPerformance{}, err
	}
	other := ritorno.CurrencyTotals{}
	for _, l := range influenced {
		if l.currency != shop.Currency { // never relabelled as the shop's: counted apart
			if err := other.Add(ritorno.Money{Amount: l.net, Currency: l.currency}); err != nil {
				return ritorno.RecommendationPerformance{}, err
			}
			continue
		}
		sum, err := p.InfluencedRevenue.Add(ritorno.Money{Amount: l.net, Currency: l.currency})
		if err != nil {
			return ritorno.RecommendationPerformance{}, err
		}
		p.InfluencedOrders, p.InfluencedRevenue = p.InfluencedOrders+1, sum
	}
	p.OtherCurrencies = other.Sorted()
	return p, nil
}

func (db *DB) countStorefrontEvents(ctx context.Context, shopID int64, p *ritorno.RecommendationPerformance) error {
	rows, err := db.scoped(ctx, shopID, &storefrontEventRow{}).Select("kind, type, COUNT(*)").
		Where("occurred_at >= ? AND occurred_at < ?", p.From, p.To).Group("kind, type").Rows()
	if err != nil {
		return translate(err, "storefront events")
	}
	defer rows.Close()
	byKind := map[string]*ritorno.KindPerformance{}
	for rows.Next() {
		var kind, typ string
		var n int64
		if err := rows.Scan(&kind, &typ, &n); err != nil {
			return translate(err, "storefront events")
		}
		k := byKind[kind]
		if k == nil {
			k = &ritorno.KindPerformance{Kind: kind}
			byKind[kind] = k
		}
		switch ritorno.StorefrontEventType(typ) {
		case ritorno.StorefrontImpression:
			k.Impressions += n
			p.Impressions += n
		case ritorno.StorefrontClick:
			k.Clicks += n
			p.Clicks += n
		case ritorno.StorefrontAddToCart:
			k.AddToCarts += n
			p.AddToCarts += n
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "storefront events")
	}
	for _, k := range byKind {
		p.ByKind = append(p.ByKind, *k)
	}
	slices.SortFunc(p.ByKind, func(a, b ritorno.KindPerformance) int {
		if a.Kind < b.Kind {
			return -1
		} else if a.Kind > b.Kind {
			return 1
		}
		return 0
	})
	return nil
}

// clickTypes are the events that can influence an order; an impression alone does not.
var clickTypes = []any{string(ritorno.StorefrontClick), string(ritorno.StorefrontAddToCart)}

func (db *DB) attributionLines(ctx context.Context, shopID int64, from, to time.Time) ([]attributionLine, error) {
	args := []any{shopID, false, string(ritorno.FinancialVoided), from, to, from, to}
	args = append(args, clickTypes...)
	args = append(args, from.Add(-ritorno.AttributionWindow), to)
	rows, err := db.gorm.WithContext(ctx).Raw(attributionLinesSQL, args...).Rows()
	if err != nil {
		return nil, translate(err, "orders")
	}
	defer rows.Close()
	var lines []attributionLine
	for rows.Next() {
		var l attributionLine
		var kind, email string
		var customer, total, refunded int64
		var processed, created sql.NullTime
		if err := rows.Scan(&l.order, &kind, &customer, &email, &total, &refunded, &l.currency, &processed, &created, &l.product); err != nil {
			return nil, translate(err, "orders")
		}
		l.at = fromNullTime(processed)
		if l.at.IsZero() {
			l.at = fromNullTime(created)
		}
		l.buyer = ritorno.BuyerKey(ritorno.Buyer{Kind: ritorno.BuyerKind(kind), CustomerPlatformID: customer, EmailHash: email})
		l.net = max(total-refunded, 0)
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "orders")
	}
	slices.SortFunc(lines, func(a, b attributionLine) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return int(min(max(a.order-b.order, -1), 1))
	})
	return lines, nil
}

// clickKey names the last click on a product by a buyer (0 = anonymous).
type clickKey struct{ product, buyer int64 }

// influencedOrders sweeps the clicks in time order past the candidate lines (sorted by
// order time) and returns one line of each influenced order.
func (db *DB) influencedOrders(ctx context.Context, shopID int64, from, to time.Time, lines []attributionLine) ([]attributionLine, error) {
	rows, err := db.scoped(ctx, shopID, &storefrontEventRow{}).Select("product_platform_id, buyer_key, occurred_at").
		Where("type IN (?, ?) AND occurred_at >= ? AND occurred_at < ?", clickTypes[0], clickTypes[1], from.Add(-ritorno.AttributionWindow), to).
		Order("occurred_at, id").Rows()
	if err != nil {
		return nil, translate(err, "storefront events")
	}
	defer rows.Close()
	last := map[clickKey]time.Time{}
	var (
		pending   bool // a scanned click not yet applied
		click     clickKey
		clickAt   time.Time
		out       []attributionLine
		done      = map[int64]bool{}
		evictSize = 1024
	)
	for _, l := range lines {
		// Apply every click strictly before the order.
		for {
			if !pending {
				if !rows.Next() {
					break
				}
				if err := rows.Scan(&click.product, &click.buyer, &clickAt); err != nil {
					return nil, translate(err, "storefront events")
				}
				pending = true
			}
			if !clickAt.Before(l.at) {
				break
			}
			last[click] = clickAt
			pending = false
		}
		if len(last) > evictSize { // clicks older than the window can no longer count
			for k, at := range last {
				if at.Before(l.at.Add(-ritorno.AttributionWindow)) {
					delete(last, k)
				}
			}
			evictSize = max(1024, 2*len(last))
		}
		if done[l.order] {
			continue
		}
		known, ok := last[clickKey{l.product, l.buyer}]
		influenced := ok && l.buyer != 0 && !known.Before(l.at.Add(-ritorno.AttributionWindow))
		if anon, ok := last[clickKey{l.product, 0}]; ok && !anon.Before(l.at.Add(-ritorno.AnonymousAttributionWindow)) {
			influenced = true
		}
		if influenced {
			done[l.order] = true
			out = append(out, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "storefront events")
	}
	return out, nil
}
