package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
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
	ShopID            int64 `gorm:"primaryKey;autoIncrement:false"`
	ComputedAt        time.Time
	Seconds           float64
	Customers         int
	Orders            int
	HorizonDays       int
	Model             string
	Fallback          bool
	Notes             string
	Frame             string
	WindowFrom        sql.NullTime
	WindowOrders      int
	WindowLatest      sql.NullTime
	IncrementalAt     sql.NullTime
	IncrementalBuyers int
	BuyersSinceFull   int
}

func (shopInsightRow) TableName() string { return "shop_insights" }

func shopInsightToRow(shopID int64, s ritorno.ShopInsight) shopInsightRow {
	return shopInsightRow{ShopID: shopID, ComputedAt: s.ComputedAt.UTC().Truncate(time.Microsecond), Seconds: s.Seconds,
		Customers: s.Customers, Orders: s.Orders, HorizonDays: s.HorizonDays, Model: s.Model, Fallback: s.Fallback,
		Notes: strings.Join(s.Notes, "\n"), Frame: s.Frame, WindowFrom: nullTime(s.Window.From), WindowOrders: s.Window.Orders,
		WindowLatest: nullTime(s.Window.Latest), IncrementalAt: nullTime(s.IncrementalAt), IncrementalBuyers: s.IncrementalBuyers,
		BuyersSinceFull: s.BuyersSinceFull}
}

func shopInsightFromRow(r shopInsightRow) ritorno.ShopInsight {
	var notes []string
	if r.Notes != "" {
		notes = strings.Split(r.Notes, "\n")
	}
	return ritorno.ShopInsight{ShopID: r.ShopID, ComputedAt: r.ComputedAt.UTC(), Seconds: r.Seconds, Customers: r.Customers,
		Orders: r.Orders, HorizonDays: r.HorizonDays, Model: r.Model, Fallback: r.Fallback, Notes: notes, Frame: r.Frame,
		Window:        ritorno.OrderWindow{From: fromNullTime(r.WindowFrom), Orders: r.WindowOrders, Latest: fromNullTime(r.WindowLatest)},
		IncrementalAt: fromNullTime(r.IncrementalAt), IncrementalBuyers: r.IncrementalBuyers, BuyersSinceFull: r.BuyersSinceFull}
}

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
// the order id, when it was placed, its net total in minor units and the currency of that
// total (analytics leaves out the orders in another currency than the shop's, never
// relabelling them). Only these columns are read, so a shop's million orders stream in a
// second or two.
func (db *DB) EachCountedOrder(ctx context.Context, shopID int64, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error {
	if db.dialect == migrations.Postgres && db.sql != nil {
		// pgx's binary rows read a million orders in about half the time of database/sql's.
		return withPgxConns(ctx, db, 1, func(conns []*pgx.Conn) error {
			rows, err := conns[0].Query(ctx, countedOrdersPG, shopID, false, string(ritorno.FinancialVoided))
			if err != nil {
				return translate(err, "orders")
			}
			defer rows.Close()
			return scanCountedOrdersPG(rows, fn)
		})
	}
	return eachCountedOrder(db.scoped(ctx, shopID, &orderRow{}), fn)
}

// scanCountedOrdersPG is scanCountedOrders for pgx rows. Its times are pgtype's: pgx scans
// into sql.NullTime through the database/sql Scanner interface, which took two thirds of
// the time of reading a million orders.
func scanCountedOrdersPG(rows pgx.Rows, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error {
	var (
		kind, hash         string
		customer, id       int64
		processed, created pgtype.Timestamptz
		total, refunded    int64
		code               pgtype.DriverBytes // valid until the next row: interned below
		cur                currencyIntern
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &customer, &hash, &id, &processed, &created, &total, &refunded, &code); err != nil {
			return translate(err, "orders")
		}
		at := processed
		if !at.Valid {
			at = created
		}
		if !at.Valid {
			continue // as in scanCountedOrders
		}
		key := ritorno.BuyerKey(ritorno.Buyer{Kind: ritorno.BuyerKind(kind), CustomerPlatformID: customer, EmailHash: hash})
		if err := fn(key, id, at.Time.UTC(), max(total-refunded, 0), cur.of(code)); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "orders")
}

// countedOrdersPG is eachCountedOrder's query for pgx.
const countedOrdersPG = "SELECT " + countedOrderColumns + " FROM orders WHERE shop_id = $1 AND test = $2 AND cancelled_at IS NULL" +
	" AND deleted_at IS NULL AND financial_status <> $3"

// ReplaceInsights stores a shop's new insights in one transaction, replacing the previous
// computation's, so that readers see either the old set or the new one. It is a full
// computation: the shop's incremental figures start again from zero.
func (db *DB) ReplaceInsights(ctx context.Context, shopID int64, shop ritorno.ShopInsight, customers []ritorno.CustomerInsight) error {
	rows := make([]customerInsightRow, len(customers))
	for i, c := range customers {
		rows[i] = insightToRow(shopID, c)
	}
	shop.IncrementalAt, shop.IncrementalBuyers, shop.BuyersSinceFull = time.Time{}, 0, 0
	srow := shopInsightToRow(shopID, shop)
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
	return shopInsightFromRow(r), nil
}

// listedInsightRow is a buyer's insight with their customer account's name and e-mail.
type listedInsightRow struct {
	Insight   customerInsightRow `gorm:"embedded"`
	FirstName string
	LastName  string
	Email     string
}

func (r listedInsightRow) insight() ritorno.CustomerInsight {
	ci := insightFromRow(r.Insight)
	ci.FirstName, ci.LastName, ci.Email = r.FirstName, r.LastName, r.Email
	return ci
}

// listedColumns read a buyer's insight and their account's personal fields, which a
// redacted account no longer has (they are blanked too; this is the second lock).
const listedColumns = "ci.*, " +
	"CASE WHEN c.redacted_at IS NULL THEN COALESCE(c.first_name, '') ELSE '' END AS first_name, " +
	"CASE WHEN c.redacted_at IS NULL THEN COALESCE(c.last_name, '') ELSE '' END AS last_name, " +
	"CASE WHEN c.redacted_at IS NULL THEN COALESCE(c.email, '') ELSE '' END AS email"

// listedInsights starts a query on a shop's buyers joined with their accounts. The shop
// filter names its table because both tables have a shop_id.
func (db *DB) listedInsights(ctx context.Context, shopID int64) *gorm.DB {
	return db.gorm.WithContext(ctx).Table("customer_insights AS ci").
		Joins("LEFT JOIN customers c ON c.shop_id = ci.shop_id AND c.platform_id = ci.customer_platform_id AND ci.customer_platform_id > 0").
		Where("ci.shop_id = ?", shopID)
}

// CustomerInsight returns what was computed about one buyer of the shop, with the name
// and e-mail of their customer account (empty for a guest or a redacted customer).
func (db *DB) CustomerInsight(ctx context.Context, shopID, buyerKey int64) (ritorno.CustomerInsight, error) {
	var rows []listedInsightRow
	err := db.listedInsights(ctx, shopID).Select(listedColumns).Where("ci.buyer_key = ?", buyerKey).Limit(1).Scan(&rows).Error
	if err == nil && len(rows) == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return ritorno.CustomerInsight{}, translate(err, "customer")
	}
	return rows[0].insight(), nil
}

// MaxInsightQuery is the longest search text ListCustomerInsights accepts, in characters.
const MaxInsightQuery = 200

// InsightFilter selects and orders a page of a shop's buyers.
type InsightFilter struct {
	Segment string // "" = every segment
	// Query, when set, keeps the buyers whose customer account's name ("first last") or
	// e-mail contains it, ignoring case (Unicode case on PostgreSQL, ASCII case on
	// SQLite), whose customer id it is, or — for an e-mail address — the guest who ordered
	// with it. A redacted account matches on nothing personal.
	Query string
	// Sort is one of "value" (expected value, then net spent), "spent", "orders",
	// "recent" (last order) — all descending — or "" for value.
	Sort   string
	Limit  int // 1–500, 0 = 50
	Offset int
}

var insightOrder = map[string]string{
	"":       "ci.expected_value_minor DESC, ci.net_spent_minor DESC, ci.buyer_key",
	"value":  "ci.expected_value_minor DESC, ci.net_spent_minor DESC, ci.buyer_key",
	"spent":  "ci.net_spent_minor DESC, ci.buyer_key",
	"orders": "ci.orders DESC, ci.net_spent_minor DESC, ci.buyer_key",
	"recent": "ci.last_order_at DESC, ci.buyer_key",
}

// likeEscaper escapes LIKE's wildcards and its escape character, so that a search for
// "50%_off" looks for those characters.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// searchCondition is the SQL condition and arguments of InsightFilter.Query.
func searchCondition(query string) (string, []any) {
	q := strings.TrimSpace(query)
	pattern := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
	cond := "(c.redacted_at IS NULL AND (lower(c.first_name || ' ' || c.last_name) LIKE ? ESCAPE '\\' OR lower(c.email) LIKE ? ESCAPE '\\'))"
	args := []any{pattern, pattern}
	if id, err := strconv.ParseInt(q, 10, 64); err == nil && id > 0 {
		cond += " OR ci.customer_platform_id = ?"
		args = append(args, id)
	}
	if strings.Contains(q, "@") {
		if hash := ritorno.HashEmail(q); hash != "" {
			cond += " OR ci.buyer_key = ?"
			args = append(args, ritorno.BuyerKey(ritorno.Buyer{Kind: ritorno.BuyerGuest, EmailHash: hash}))
		}
	}
	return "(" + cond + ")", args
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
	if utf8.RuneCountInString(f.Query) > MaxInsightQuery {
		return nil, 0, ritorno.Errorf(ritorno.EINVALID, "a search is at most %d characters", MaxInsightQuery)
	}
	q := db.listedInsights(ctx, shopID)
	if f.Segment != "" {
		q = q.Where("ci.segment = ?", f.Segment)
	}
	if strings.TrimSpace(f.Query) != "" {
		cond, args := searchCondition(f.Query)
		q = q.Where(cond, args...)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate(err, "customers")
	}
	var rows []listedInsightRow
	if err := q.Select(listedColumns).Order(order).Limit(limit).Offset(f.Offset).Scan(&rows).Error; err != nil {
		return nil, 0, translate(err, "customers")
	}
	out := make([]ritorno.CustomerInsight, len(rows))
	for i, r := range rows {
		out[i] = r.insight()
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

// ShopsNeedingInsights lists the installed shops whose insights are missing, fully
// computed before staleBefore, or behind a change to one of their orders: an order
// stamped later than the latest the last computation saw, or a different number of
// orders stamped within its window (ritorno.OrderWindow: a change committed late). Orders
// that the last computation saw do not make a shop due again, however recent.
func (db *DB) ShopsNeedingInsights(ctx context.Context, staleBefore time.Time) ([]int64, error) {
	var ids []int64
	// Rows from before migration 0007 have no window: their computation time stands in.
	err := db.gorm.WithContext(ctx).Raw(`SELECT s.id FROM shops s LEFT JOIN shop_insights i ON i.shop_id = s.id
		WHERE s.status = ? AND (i.shop_id IS NULL OR i.computed_at < ?
			OR EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = s.id
				AND o.updated_at > COALESCE(i.window_latest, i.window_from, i.computed_at))
			OR (SELECT COUNT(*) FROM orders o WHERE o.shop_id = s.id
				AND o.updated_at >= COALESCE(i.window_from, i.computed_at)) <> i.window_orders)
		ORDER BY s.id`, string(ritorno.ShopInstalled), staleBefore.UTC()).Scan(&ids).Error
	return ids, translate(err, "shops")
}
