package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// The PostgreSQL path of ReplaceInsights. A shop of 200,000 buyers took 4–5 s to store
// with multi-row INSERTs, most of the whole computation; binary COPY takes a fraction of
// that (`ritorno analytics --compute` prints the stage times).

var copyInsights = copyStatement(insightWriter.table, insightWriter.columns)

// replaceInsightsCopy is ReplaceInsights' transaction on pgx, with the buyers' rows by COPY.
func (db *DB) replaceInsightsCopy(ctx context.Context, shopID int64, shop shopInsightRow, rows []customerInsightRow) error {
	return db.pgxTransaction(ctx, func(tx pgx.Tx) error {
		// Locks the shop row against a concurrent delete and fails with ErrNoRows when it is gone.
		var id int64
		if err := tx.QueryRow(ctx, "SELECT id FROM shops WHERE id = $1 FOR KEY SHARE", shopID).Scan(&id); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return gorm.ErrRecordNotFound
			}
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM customer_insights WHERE shop_id = $1", shopID); err != nil {
			return err
		}
		if len(rows) > 0 {
			i := 0
			err := copyIn(ctx, tx, copyInsights, func(e *copyEncoder) bool {
				if i == len(rows) {
					return false
				}
				encodeInsight(e, &rows[i])
				i++
				return true
			})
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO shop_insights (shop_id, computed_at, seconds, customers, orders, horizon_days, model, fallback, notes,"+
			" frame, window_from, window_orders, window_latest, incremental_at, incremental_buyers, buyers_since_full)"+
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"+
			" ON CONFLICT (shop_id) DO UPDATE SET computed_at = excluded.computed_at, seconds = excluded.seconds,"+
			" customers = excluded.customers, orders = excluded.orders, horizon_days = excluded.horizon_days,"+
			" model = excluded.model, fallback = excluded.fallback, notes = excluded.notes, frame = excluded.frame,"+
			" window_from = excluded.window_from, window_orders = excluded.window_orders, window_latest = excluded.window_latest,"+
			" incremental_at = excluded.incremental_at, incremental_buyers = excluded.incremental_buyers,"+
			" buyers_since_full = excluded.buyers_since_full",
			shopID, shop.ComputedAt, shop.Seconds, shop.Customers, shop.Orders, shop.HorizonDays, shop.Model, shop.Fallback, shop.Notes,
			shop.Frame, shop.WindowFrom, shop.WindowOrders, shop.WindowLatest, shop.IncrementalAt, shop.IncrementalBuyers, shop.BuyersSinceFull)
		return err
	})
}

// encodeInsight writes insightWriter's columns, in its order.
func encodeInsight(e *copyEncoder, r *customerInsightRow) {
	e.row(len(insightWriter.columns))
	e.int(r.ShopID)
	e.int(r.BuyerKey)
	e.int(r.CustomerPlatformID)
	e.int4(r.Orders)
	e.text(r.Currency)
	e.int(r.NetSpentMinor)
	e.int(r.AOVMinor)
	e.time(r.FirstOrderAt)
	e.time(r.LastOrderAt)
	e.float8(r.MeanDaysBetween)
	e.int(r.RecencyDays)
	e.int4(r.RScore)
	e.int4(r.FScore)
	e.int4(r.MScore)
	e.text(r.Segment)
	e.bool(r.Predicted)
	e.float8(r.PAlive)
	e.float8(r.ExpectedPurchases)
	e.int(r.ExpectedValueMinor)
	e.nullTime(r.NextOrderAt)
	e.time(r.ComputedAt)
}
