package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
)

// The PostgreSQL bulk path of UpsertOrders. Multi-row INSERT statements cost PostgreSQL a
// parse, a plan and the binding of up to 30,000 parameters per statement, and cost us
// boxing every value for database/sql. COPY in PostgreSQL's binary format skips all of
// that (`ritorno bench import` measures both): the orders go into a temporary staging
// table and reach the orders table through one INSERT … SELECT … ON CONFLICT per refund
// mode (the same guard and RETURNING as the statement path), and the children of the
// orders written go straight into their tables (the children of updated orders are
// deleted first, so no conflict is possible).
//
// It runs on its own pooled connection and transaction, so it applies only outside
// InTransaction: a bound DB (the webhook batches) keeps the statements, which join the
// caller's transaction as a savepoint.

// copyApplies reports whether UpsertOrders takes the COPY path: PostgreSQL, not bound by
// InTransaction (InTransaction clears sql).
func (db *DB) copyApplies() bool {
	return db.dialect == migrations.Postgres && db.sql != nil
}

// orderStage is the session's staging table for a batch of orders: the insert columns of
// orders plus whether the payload listed every refund. ON COMMIT DELETE ROWS empties it
// at the end of each batch; it lives as long as the pooled connection.
const orderStage = "ritorno_orders_stage"

var (
	createOrderStage = "CREATE TEMP TABLE IF NOT EXISTS " + orderStage + " ON COMMIT DELETE ROWS AS SELECT " +
		strings.Join(orderWriter.columns, ", ") + ", TRUE AS refunds_complete FROM orders WITH NO DATA"
	copyOrderStage = copyStatement(orderStage, append(slices.Clone(orderWriter.columns), "refunds_complete"))
	// upsertFromStage[complete] moves the staged orders of one refund mode into orders.
	upsertFromStage = map[bool]string{
		true:  stageUpsert(true, orderColumns),
		false: stageUpsert(false, orderColumnsKeepingRefunds),
	}
	copyLineItems   = copyStatement(lineItemWriter.table, lineItemWriter.columns)
	copyRefunds     = copyStatement(refundWriter.table, refundWriter.columns)
	copyRefundLines = copyStatement(refundLineWriter.table, refundLineWriter.columns)
)

// stageUpsert is upsertOrderRows' statement with the staged rows of one refund mode as
// its source.
func stageUpsert(complete bool, columns []string) string {
	cols := strings.Join(orderWriter.columns, ", ")
	where := "refunds_complete"
	if !complete {
		where = "NOT refunds_complete"
	}
	return "INSERT INTO orders (" + cols + ") SELECT " + cols + " FROM " + orderStage + " WHERE " + where +
		" ON CONFLICT (shop_id, platform_id) DO UPDATE SET " + orderAssignments(columns) +
		" WHERE excluded.platform_updated_at IS NULL OR orders.platform_updated_at IS NULL OR orders.platform_updated_at <= excluded.platform_updated_at" +
		" RETURNING platform_id, (xmax = 0)"
}

// copyOrder is a winning order of a batch, converted, with the index of its result.
type copyOrder struct {
	index       int
	row         orderRow
	complete    bool // the payload listed every refund
	applied     bool // the upsert wrote it
	lines       []lineItemRow
	refunds     []refundRow
	refundLines []refundLineItemRow
}

// upsertOrdersCopy is UpsertOrders on the COPY path; the orders are valid.
func (db *DB) upsertOrdersCopy(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error) {
	result := make([]ritorno.Write, len(orders))
	winner := newestVersions(orders)
	now := db.now()
	batch := make([]copyOrder, 0, len(winner))
	var guestHashes []string
	for i, o := range orders {
		if winner[o.PlatformID] != i {
			continue
		}
		c := copyOrder{index: i, complete: o.RefundsComplete}
		c.row, c.lines, c.refunds, c.refundLines = orderToRows(shopID, o)
		c.row.CreatedAt, c.row.UpdatedAt = now, now
		if c.row.BuyerKind == string(ritorno.BuyerGuest) && c.row.EmailHash != "" {
			guestHashes = append(guestHashes, c.row.EmailHash)
		}
		batch = append(batch, c)
	}
	slices.Sort(guestHashes)
	guestHashes = slices.Compact(guestHashes)

	err := db.pgxTransaction(ctx, func(tx pgx.Tx) error {
		return db.copyOrders(ctx, tx, shopID, batch, guestHashes, result, now)
	})
	if err != nil {
		return nil, translate(err, "order")
	}
	return result, nil
}

// copyOrders writes the batch in tx and sets the results of the orders it wrote.
func (db *DB) copyOrders(ctx context.Context, tx pgx.Tx, shopID int64, batch []copyOrder, guestHashes []string, result []ritorno.Write, now time.Time) error {
	if len(guestHashes) > 0 {
		// adoptGuests' locks, in the same (sorted) order, in one round trip.
		keys := make([]int64, len(guestHashes))
		for i, h := range guestHashes {
			keys[i] = buyerLockKey(shopID, h)
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS u(k)", keys); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT email_hash, MIN(platform_id) FROM customers WHERE shop_id = $1 AND deleted_at IS NULL"+
			" AND email_hash = ANY($2::text[]) GROUP BY email_hash", shopID, guestHashes)
		if err != nil {
			return err
		}
		owners := map[string]int64{}
		var h string
		var id int64
		if _, err := pgx.ForEachRow(rows, []any{&h, &id}, func() error { owners[h] = id; return nil }); err != nil {
			return err
		}
		for i := range batch {
			r := &batch[i].row
			if owner, ok := owners[r.EmailHash]; ok && r.BuyerKind == string(ritorno.BuyerGuest) {
				r.BuyerKind, r.CustomerPlatformID = string(ritorno.BuyerCustomer), owner
			}
		}
	}

	// Orders of an erased customer or address are written without the address's hash.
	rows := make([]*orderRow, len(batch))
	for i := range batch {
		rows[i] = &batch[i].row
	}
	query := func(q string, args ...any) (rowScanner, func(), error) {
		res, err := tx.Query(ctx, migrations.Postgres.Rebind(q), args...)
		if err != nil {
			return nil, nil, err
		}
		return res, res.Close, nil
	}
	if err := db.forgetErased(query, shopID, rows, now); err != nil {
		return err
	}

	if _, err := tx.Exec(ctx, createOrderStage); err != nil {
		return err
	}
	i := 0
	err := copyIn(ctx, tx, copyOrderStage, func(e *copyEncoder) bool {
		if i == len(batch) {
			return false
		}
		encodeOrder(e, &batch[i].row, batch[i].complete)
		i++
		return true
	})
	if err != nil {
		return err
	}
	modes := map[bool]bool{}
	for _, c := range batch {
		modes[c.complete] = true
	}
	// written maps each order written to whether it was new (then it has no children to
	// replace); PostgreSQL tells by the row's xmax, as in upsertOrderRows.
	written := make(map[int64]bool, len(batch))
	for _, complete := range []bool{true, false} {
		if !modes[complete] {
			continue
		}
		rows, err := tx.Query(ctx, upsertFromStage[complete])
		if err != nil {
			return err
		}
		var id int64
		var isNew bool
		if _, err := pgx.ForEachRow(rows, []any{&id, &isNew}, func() error { written[id] = isNew; return nil }); err != nil {
			return err
		}
	}

	var replacedIDs, refundsReplaced []int64
	var nLines, nRefunds, nRefundLines int
	for i := range batch {
		c := &batch[i]
		isNew, ok := written[c.row.PlatformID]
		if !ok {
			continue
		}
		c.applied = true
		result[c.index] = ritorno.WriteInserted
		if !isNew {
			result[c.index] = ritorno.WriteUpdated
			replacedIDs = append(replacedIDs, c.row.PlatformID)
			if c.complete {
				refundsReplaced = append(refundsReplaced, c.row.PlatformID)
			}
		}
		nLines += len(c.lines)
		forgetRefundNotes(&c.row, c.refunds)
		if c.complete {
			nRefunds, nRefundLines = nRefunds+len(c.refunds), nRefundLines+len(c.refundLines)
		}
	}
	// Refund lines go with their refunds (ON DELETE CASCADE).
	for _, del := range []struct {
		table string
		ids   []int64
	}{{"refunds", refundsReplaced}, {"line_items", replacedIDs}} {
		if len(del.ids) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+del.table+" WHERE shop_id = $1 AND order_platform_id = ANY($2::bigint[])", shopID, del.ids); err != nil {
			return err
		}
	}
	// The children of the orders written; refunds only where the payload listed them.
	if nLines > 0 {
		lines := func(c *copyOrder) []lineItemRow { return c.lines }
		if err := copyIn(ctx, tx, copyLineItems, childRows(batch, lines, encodeLineItem)); err != nil {
			return err
		}
	}
	if nRefunds > 0 {
		refunds := func(c *copyOrder) []refundRow { return ifComplete(c, c.refunds) }
		if err := copyIn(ctx, tx, copyRefunds, childRows(batch, refunds, encodeRefund)); err != nil {
			return err
		}
	}
	if nRefundLines > 0 {
		refundLines := func(c *copyOrder) []refundLineItemRow { return ifComplete(c, c.refundLines) }
		if err := copyIn(ctx, tx, copyRefundLines, childRows(batch, refundLines, encodeRefundLine)); err != nil {
			return err
		}
	}
	return nil
}

// ifComplete returns rows when the order's payload listed every refund: the stored
// refunds of the others stay.
func ifComplete[T any](c *copyOrder, rows []T) []T {
	if !c.complete {
		return nil
	}
	return rows
}

// childRows returns the next-row function over the children (of) of the applied orders.
func childRows[T any](batch []copyOrder, of func(*copyOrder) []T, encode func(*copyEncoder, *T)) func(*copyEncoder) bool {
	o, r := 0, 0
	return func(e *copyEncoder) bool {
		for o < len(batch) {
			c := &batch[o]
			if c.applied {
				if rows := of(c); r < len(rows) {
					encode(e, &rows[r])
					r++
					return true
				}
			}
			o, r = o+1, 0
		}
		return false
	}
}

// The encoders below write the columns of orderWriter, lineItemWriter, refundWriter and
// refundLineWriter, in their order.

func encodeOrder(e *copyEncoder, r *orderRow, refundsComplete bool) {
	e.row(len(orderWriter.columns) + 1)
	e.int(r.ShopID)
	e.int(r.PlatformID)
	e.text(r.Name)
	e.text(r.BuyerKind)
	e.int(r.CustomerPlatformID)
	e.text(r.EmailHash)
	e.text(r.Currency)
	e.text(r.PresentmentCurrency)
	e.int(r.SubtotalMinor)
	e.int(r.TotalDiscountsMinor)
	e.int(r.TotalTaxMinor)
	e.int(r.TotalShippingMinor)
	e.int(r.TotalMinor)
	e.int(r.RefundedMinor)
	e.text(r.FinancialStatus)
	e.text(r.FulfillmentStatus)
	e.text(r.SourceName)
	e.bool(r.Test)
	e.text(r.Tags)
	e.nullTime(r.PlatformCreatedAt)
	e.nullTime(r.ProcessedAt)
	e.nullTime(r.CancelledAt)
	e.text(r.CancelReason)
	e.nullTime(r.PlatformUpdatedAt)
	e.nullTime(r.DeletedAt)
	e.nullTime(r.RedactedAt)
	e.time(r.CreatedAt)
	e.time(r.UpdatedAt)
	e.bool(refundsComplete)
}

func encodeLineItem(e *copyEncoder, r *lineItemRow) {
	e.row(len(lineItemWriter.columns))
	e.int(r.ShopID)
	e.int(r.OrderPlatformID)
	e.int(r.PlatformID)
	e.int(r.ProductPlatformID)
	e.int(r.VariantPlatformID)
	e.text(r.Title)
	e.text(r.VariantTitle)
	e.text(r.SKU)
	e.text(r.Vendor)
	e.int(r.Quantity)
	e.int(r.PriceMinor)
	e.int(r.TotalDiscountMinor)
	e.bool(r.GiftCard)
}

func encodeRefund(e *copyEncoder, r *refundRow) {
	e.row(len(refundWriter.columns))
	e.int(r.ShopID)
	e.int(r.OrderPlatformID)
	e.int(r.PlatformID)
	e.nullTime(r.PlatformCreatedAt)
	e.nullTime(r.ProcessedAt)
	e.int(r.AmountMinor)
	e.text(r.Note)
}

func encodeRefundLine(e *copyEncoder, r *refundLineItemRow) {
	e.row(len(refundLineWriter.columns))
	e.int(r.ShopID)
	e.int(r.OrderPlatformID)
	e.int(r.RefundPlatformID)
	e.int(r.LineItemPlatformID)
	e.int(r.Quantity)
	e.int(r.SubtotalMinor)
}
