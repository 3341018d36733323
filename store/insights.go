package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

// Insights: what analytics computed per buyer and per shop (migrations/*/0005_insights.sql).

type customerInsightRow struct {
	ShopID             int64
	BuyerKey           int64
	CustomerPlatformID int64
	Orders             int
	Currency           string
	NetSpentMinor      int64
	AOVMinor           int64 `gorm:"column:aov_minor"`
	FirstOrderAt       time.Time
	LastOrderAt        time.Time
	MeanDaysBetween    float64
	RecencyDays        int64
	RScore             int
	FScore             int
	MScore             int
	Segment            string
	Predicted          bool
	PAlive             float64
	ExpectedPurchases  float64
	ExpectedValueMinor int64
	NextOrderAt        sql.NullTime
	ComputedAt         time.Time
}

func (customerInsightRow) TableName() string { return "customer_insights" }

type shopInsightRow struct {
	ShopID      int64 `gorm:"primaryKey;autoIncrement:false"`
	ComputedAt  time.Time
	Seconds     float64
	Customers   int
	Orders      int
	HorizonDays int
	Model       string
	Fallback    bool
	Notes       string
}

func (shopInsightRow) TableName() string { return "shop_insights" }

var insightWriter = rowWriter[customerInsightRow]{
	table: "customer_insights",
	columns: []string{"shop_id", "buyer_key", "customer_platform_id", "orders", "currency", "net_spent_minor", "aov_minor",
		"first_order_at", "last_order_at", "mean_days_between", "recency_days", "r_score", "f_score", "m_score", "segment",
		"predicted", "p_alive", "expected_purchases", "expected_value_minor", "next_order_at", "computed_at"},
	values: func(r customerInsightRow) []any {
		return []any{r.ShopID, r.BuyerKey, r.CustomerPlatformID, r.Orders, r.Currency, r.NetSpentMinor, r.AOVMinor,
			r.FirstOrderAt, r.LastOrderAt, r.MeanDaysBetween, r.RecencyDays, r.RScore, r.FScore, r.MScore, r.Segment,
			r.Predicted, r.PAlive, r.ExpectedPurchases, r.ExpectedValueMinor, r.NextOrderAt, r.ComputedAt}
	},
}

func insightToRow(shopID int64, c ritorno.CustomerInsight) customerInsightRow {
	return customerInsightRow{ShopID: shopID, BuyerKey: c.Key, CustomerPlatformID: c.CustomerPlatformID, Orders: c.Orders,
		Currency: c.NetSpent.Currency, NetSpentMinor: c.NetSpent.Amount, AOVMinor: c.AOV.Amount,
		FirstOrderAt: c.FirstOrder.UTC().Truncate(time.Microsecond), LastOrderAt: c.LastOrder.UTC().Truncate(time.Microsecond),
		MeanDaysBetween: c.MeanDaysBetween, RecencyDays: c.RecencyDays, RScore: c.R, FScore: c.F, MScore: c.M,
		Segment: c.Segment, Predicted: c.Predicted, PAlive: c.PAlive, ExpectedPurchases: c.ExpectedPurchases,
		ExpectedValueMinor: c.ExpectedValue.Amount, NextOrderAt: nullTime(c.NextOrder), ComputedAt: c.ComputedAt.UTC().Truncate(time.Microsecond)}
}

func insightFromRow(r customerInsightRow) ritorno.CustomerInsight {
	money := func(a int64) ritorno.Money { return ritorno.Money{Amount: a, Currency: r.Currency} }
	return ritorno.CustomerInsight{ShopID: r.ShopID, Key: r.BuyerKey, CustomerPlatformID: r.CustomerPlatformID, Orders: r.Orders,
		NetSpent: money(r.NetSpentMinor), AOV: money(r.AOVMinor), FirstOrder: r.FirstOrderAt.UTC(), LastOrder: r.LastOrderAt.UTC(),
		MeanDaysBetween: r.MeanDaysBetween, RecencyDays: r.RecencyDays, R: r.RScore, F: r.FScore, M: r.MScore, Segment: r.Segment,
		Predicted: r.Predicted, PAlive: r.PAlive, ExpectedPurchases: r.ExpectedPurchases, ExpectedValue: money(r.ExpectedValueMinor),
		NextOrder: fromNullTime(r.NextOrderAt), ComputedAt: r.ComputedAt.UTC()}
}

// EachCountedOrder streams the shop's orders that count (ritorno.Order.Counts: not test,
// cancelled, voided or deleted) as analytics reads them: the buyer's key (ritorno.BuyerKey),
// the order id, when it was placed and its net total in minor units. Only these columns
// are read, so a shop's million orders stream in a second or two.
func (db *DB) EachCountedOrder(ctx context.Context, shopID int64, fn func(buyerKey, orderID int64, placedAt time.Time, net int64) error) error {
	rows, err := db.scoped(ctx, shopID, &orderRow{}).
		Select("buyer_kind, customer_platform_id, email_hash, platform_id, processed_at, platform_created_at, total_minor, refunded_minor").
		Where("test = ? AND cancelled_at IS NULL AND deleted_at IS NULL AND financial_status <> ?", false, string(ritorno.FinancialVoided)).
		Rows()
	if err != nil {
		return translate(err, "orders")
	}
	defer rows.Close()
	var (
		kind, hash         string
		customer, id       int64
		processed, created sql.NullTime
		total, refunded    int64
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &customer, &hash, &id, &processed, &created, &total, &refunded); err != nil {
			return translate(err, "orders")
		}
		at := fromNullTime(processed)
		if at.IsZero() {
			at = fromNullTime(created)
		}
		if at.IsZero() {
			continue // never placed as far as the platform says: no time to count it at
		}
		key := ritorno.BuyerKey(ritorno.Buyer{Kind: ritorno.BuyerKind(kind), CustomerPlatformID: customer, EmailHash: hash})
		if err := fn(key, id, at, max(total-refunded, 0)); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "orders")
}

// ReplaceInsights stores a shop's new insights in one transaction, replacing the previous
// computation's, so that readers see either the old set or the new one.
func (db *DB) ReplaceInsights(ctx context.Context, shopID int64, shop ritorno.ShopInsight, customers []ritorno.CustomerInsight) error {
	rows := make([]customerInsightRow, len(customers))
	for i, c := range customers {
		rows[i] = insightToRow(shopID, c)
	}
	srow := shopInsightRow{ShopID: shopID, ComputedAt: shop.ComputedAt.UTC().Truncate(time.Microsecond), Seconds: shop.Seconds,
		Customers: shop.Customers, Orders: shop.Orders, HorizonDays: shop.HorizonDays, Model: shop.Model,
		Fallback: shop.Fallback, Notes: strings.Join(shop.Notes, "\n")}
	if db.copyApplies() {
		return translate(db.replaceInsightsCopy(ctx, shopID, srow, rows), "insights")
	}
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", shopID).Take(&shopRow{}).Error; err != nil {
			return err
		}
		if err := tx.Scopes(shopScope(shopID)).Delete(&customerInsightRow{}).Error; err != nil {
			return err
		}
		if err := insertAll(ctx, tx, db, insightWriter, rows); err != nil {
			return err
		}
		if err := tx.Scopes(shopScope(shopID)).Delete(&shopInsightRow{}).Error; err != nil {
			return err
		}
		return tx.Create(&srow).Error
	}), "insights")
}

// ShopInsight returns the shop's last computation; ENOTFOUND before the first.
func (db *DB) ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error) {
	var r shopInsightRow
	if err := db.scoped(ctx, shopID, &shopInsightRow{}).Take(&r).Error; err != nil {
		return ritorno.ShopInsight{}, translate(err, "insights")
	}
	var notes []string
	if r.Notes != "" {
		notes = strings.Split(r.Notes, "\n")
	}
	return ritorno.ShopInsight{ShopID: r.ShopID, ComputedAt: r.ComputedAt.UTC(), Seconds: r.Seconds, Customers: r.Customers,
		Orders: r.Orders, HorizonDays: r.HorizonDays, Model: r.Model, Fallback: r.Fallback, Notes: notes}, nil
}

// CustomerInsight returns what was computed about one buyer of the shop.
func (db *DB) CustomerInsight(ctx context.Context, shopID, buyerKey int64) (ritorno.CustomerInsight, error) {
	var r customerInsightRow
	err := db.scoped(ctx, shopID, &customerInsightRow{}).Where("buyer_key = ?", buyerKey).Take(&r).Error
	return insightFromRow(r), translate(err, "customer")
}

// InsightFilter selects and orders a page of a shop's buyers.
type InsightFilter struct {
	Segment string // "" = every segment
	// Sort is one of "value" (expected value, then net spent), "spent", "orders",
	// "recent" (last order) — all descending — or "" for value.
	Sort   string
	Limit  int // 1–500, 0 = 50
	Offset int
}

var insightOrder = map[string]string{
	"":       "expected_value_minor DESC, net_spent_minor DESC, buyer_key",
	"value":  "expected_value_minor DESC, net_spent_minor DESC, buyer_key",
	"spent":  "net_spent_minor DESC, buyer_key",
	"orders": "orders DESC, net_spent_minor DESC, buyer_key",
	"recent": "last_order_at DESC, buyer_key",
}

// ListCustomerInsights returns a page of the shop's buyers and how many match in all.
func (db *DB) ListCustomerInsights(ctx context.Context, shopID int64, f InsightFilter) ([]ritorno.CustomerInsight, int64, error) {
	order, ok := insightOrder[f.Sort]
	if !ok {
		return nil, 0, ritorno.Errorf(ritorno.EINVALID, "sort %q is not one of value, spent, orders, recent", f.Sort)
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 || f.Offset < 0 {
		return nil, 0, ritorno.Errorf(ritorno.EINVALID, "a page holds 1 to 500 customers from offset 0 on")
	}
	q := db.scoped(ctx, shopID, &customerInsightRow{})
	if f.Segment != "" {
		q = q.Where("segment = ?", f.Segment)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate(err, "customers")
	}
	var rows []customerInsightRow
	if err := q.Order(order).Limit(limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, 0, translate(err, "customers")
	}
	out := make([]ritorno.CustomerInsight, len(rows))
	for i, r := range rows {
		out[i] = insightFromRow(r)
	}
	return out, total, nil
}

// SegmentSummary is one RFM segment of a shop: its buyers, what they spent and their
// mean predicted value.
type SegmentSummary struct {
	Segment            string
	Customers          int64
	NetSpent           ritorno.Money
	MeanExpectedValue  ritorno.Money // rounded to a minor unit; zero when nothing was predicted
	PredictedCustomers int64
}

// SegmentSummaries sums the shop's buyers by segment, largest first.
func (db *DB) SegmentSummaries(ctx context.Context, shopID int64, currency string) ([]SegmentSummary, error) {
	var rows []struct {
		Segment   string
		Customers int64
		Spent     int64
		Value     int64
		Predicted int64
	}
	err := db.scoped(ctx, shopID, &customerInsightRow{}).
		Select("segment, COUNT(*) AS customers, COALESCE(SUM(net_spent_minor), 0) AS spent, " +
			"COALESCE(SUM(CASE WHEN predicted THEN expected_value_minor ELSE 0 END), 0) AS value, " +
			"COALESCE(SUM(CASE WHEN predicted THEN 1 ELSE 0 END), 0) AS predicted").
		Group("segment").Order("customers DESC, segment").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "segments")
	}
	out := make([]SegmentSummary, len(rows))
	for i, r := range rows {
		s := SegmentSummary{Segment: r.Segment, Customers: r.Customers, NetSpent: ritorno.Money{Amount: r.Spent, Currency: currency},
			MeanExpectedValue: ritorno.Zero(currency), PredictedCustomers: r.Predicted}
		if r.Predicted > 0 {
			s.MeanExpectedValue.Amount = (2*r.Value + r.Predicted) / (2 * r.Predicted) // half up; values are not negative
		}
		out[i] = s
	}
	return out, nil
}

// ShopsNeedingInsights lists the installed shops whose insights are missing, older than
// staleBefore, or older than a change to one of their orders.
func (db *DB) ShopsNeedingInsights(ctx context.Context, staleBefore time.Time) ([]int64, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Raw(`SELECT s.id FROM shops s LEFT JOIN shop_insights i ON i.shop_id = s.id
		WHERE s.status = ? AND (i.shop_id IS NULL OR i.computed_at < ?
			OR EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = s.id AND o.updated_at > i.computed_at))
		ORDER BY s.id`, string(ritorno.ShopInstalled), staleBefore.UTC()).Scan(&ids).Error
	return ids, translate(err, "shops")
}
