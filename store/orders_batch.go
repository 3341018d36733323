package store

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
)

// Orders arrive in bulk (a claimed batch of webhooks, a backfill page, an import file), so
// they are written a batch at a time: a few multi-row statements whatever the count,
// instead of half a dozen round trips per order. UpsertOrder is the batch of one.

// newestVersions maps each platform id of a batch to the index of its newest version (the
// later one on a tie), as if the versions were applied in turn; both write paths use it.
func newestVersions(orders []ritorno.Order) map[int64]int {
	winner := make(map[int64]int, len(orders))
	for i, o := range orders {
		if j, seen := winner[o.PlatformID]; seen {
			prev := orders[j].PlatformUpdatedAt
			if !prev.IsZero() && !o.PlatformUpdatedAt.IsZero() && o.PlatformUpdatedAt.Before(prev) {
				continue
			}
		}
		winner[o.PlatformID] = i
	}
	return winner
}

// UpsertOrders stores orders of one shop with their line items and refunds, each by
// UpsertOrder's rules: a payload older than the stored order changes nothing, a guest
// order placed with the address of an existing account belongs to it, and the stored
// refunds stay when a payload did not list them. It reports per order what it wrote. An
// order given twice is applied once, in its newest version (the later one on a tie), as if
// the two were applied in turn; the other reports WriteUnchanged.
func (db *DB) UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) (result []ritorno.Write, err error) {
	for i := range orders {
		if err := orders[i].Validate(); err != nil {
			if len(orders) == 1 {
				return nil, err
			}
			return nil, ritorno.Errorf(ritorno.ErrorCode(err), "order %d of %d: %s", i+1, len(orders), ritorno.ErrorMessage(err))
		}
	}
	// PostgreSQL outside InTransaction: the same rules through COPY (orders_copy.go).
	// Inside InTransaction (the webhook batches) the statements below join the caller's
	// transaction.
	if db.copyApplies() {
		return db.upsertOrdersCopy(ctx, shopID, orders)
	}
	result = make([]ritorno.Write, len(orders))
	winner := newestVersions(orders)
	now := db.now()
	// Each winning order is converted once; its children wait for the upsert's verdict.
	type children struct {
		lines       []lineItemRow
		refunds     []refundRow
		refundLines []refundLineItemRow
	}
	rows := make([]orderRow, len(orders))
	kids := make([]children, len(orders))
	var guestHashes []string
	for i, o := range orders {
		if winner[o.PlatformID] != i {
			continue
		}
		rows[i], kids[i].lines, kids[i].refunds, kids[i].refundLines = orderToRows(shopID, o)
		rows[i].CreatedAt, rows[i].UpdatedAt = now, now
		if rows[i].BuyerKind == string(ritorno.BuyerGuest) && rows[i].EmailHash != "" {
			guestHashes = append(guestHashes, rows[i].EmailHash)
		}
	}
	slices.Sort(guestHashes)
	guestHashes = slices.Compact(guestHashes)

	err = db.transaction(ctx, func(tx *gorm.DB) error {
		if len(guestHashes) > 0 {
			owners, err := db.adoptGuests(ctx, tx, shopID, guestHashes)
			if err != nil {
				return err
			}
			for i := range rows {
				if owner, ok := owners[rows[i].EmailHash]; ok && rows[i].BuyerKind == string(ritorno.BuyerGuest) && winner[orders[i].PlatformID] == i {
					rows[i].BuyerKind, rows[i].CustomerPlatformID = string(ritorno.BuyerCustomer), owner
				}
			}
		}
		// Orders of an erased customer or address are written without the address's hash.
		var winners []*orderRow
		for i, o := range orders {
			if winner[o.PlatformID] == i {
				winners = append(winners, &rows[i])
			}
		}
		if err := db.forgetErased(db.sqlQuery(ctx, tx.Statement.ConnPool), shopID, winners, now); err != nil {
			return err
		}
		// Two statements at most: payloads that list refunds replace them (and the refunded
		// total); the others leave both as stored. written maps each order written to
		// whether it was new (then it has no children to replace).
		written := map[int64]bool{}
		for _, complete := range []bool{true, false} {
			var group []orderRow
			for i, o := range orders {
				if winner[o.PlatformID] == i && o.RefundsComplete == complete {
					group = append(group, rows[i])
				}
			}
			columns := orderColumns
			if !complete {
				columns = orderColumnsKeepingRefunds
			}
			if err := db.upsertOrderRows(ctx, tx, group, columns, written); err != nil {
				return err
			}
		}
		var replacedIDs, refundsReplaced []int64
		var lines []lineItemRow
		var refunds []refundRow
		var refundLines []refundLineItemRow
		for i, o := range orders {
			isNew, ok := written[o.PlatformID]
			if winner[o.PlatformID] != i || !ok {
				continue
			}
			result[i] = ritorno.WriteInserted
			if !isNew {
				result[i] = ritorno.WriteUpdated
				replacedIDs = append(replacedIDs, o.PlatformID)
				if o.RefundsComplete {
					refundsReplaced = append(refundsReplaced, o.PlatformID)
				}
			}
			lines = append(lines, kids[i].lines...)
			forgetRefundNotes(&rows[i], kids[i].refunds)
			if o.RefundsComplete {
				refunds, refundLines = append(refunds, kids[i].refunds...), append(refundLines, kids[i].refundLines...)
			}
		}
		// Refund lines go with their refunds (ON DELETE CASCADE; foreign keys are on in
		// both dialects).
		if err := db.deleteChildren(ctx, tx, "refunds", shopID, refundsReplaced); err != nil {
			return err
		}
		if err := db.deleteChildren(ctx, tx, "line_items", shopID, replacedIDs); err != nil {
			return err
		}
		if err := insertAll(ctx, tx, db, lineItemWriter, lines); err != nil {
			return err
		}
		if err := insertAll(ctx, tx, db, refundWriter, refunds); err != nil {
			return err
		}
		return insertAll(ctx, tx, db, refundLineWriter, refundLines)
	})
	if err != nil {
		return nil, translate(err, "order")
	}
	return result, nil
}

// upsertOrderRows inserts rows, or updates columns of stored orders that are not newer,
// and records in written each platform id it wrote, with whether the row is new.
// PostgreSQL tells (a freshly inserted row has no xmax); on SQLite a lookup before the
// upsert does. New orders have no children to delete.
func (db *DB) upsertOrderRows(ctx context.Context, tx *gorm.DB, rows []orderRow, columns []string, written map[int64]bool) error {
	if len(rows) == 0 {
		return nil
	}
	suffix := " ON CONFLICT (shop_id, platform_id) DO UPDATE SET " + orderAssignments(columns) +
		" WHERE excluded.platform_updated_at IS NULL OR orders.platform_updated_at IS NULL OR orders.platform_updated_at <= excluded.platform_updated_at" +
		" RETURNING platform_id, " + db.insertedFlag()
	for _, part := range chunks(rows, len(orderWriter.columns), db.paramLimit()) {
		existing, err := db.existingOrders(ctx, tx, part)
		if err != nil {
			return err
		}
		q, args := orderWriter.statement(part, suffix)
		res, err := tx.Statement.ConnPool.QueryContext(ctx, db.dialect.Rebind(q), args...)
		if err != nil {
			return err
		}
		for res.Next() {
			var id int64
			var isNew bool
			if err := res.Scan(&id, &isNew); err != nil {
				res.Close()
				return err
			}
			written[id] = isNew && !existing[id]
		}
		if err := res.Close(); err != nil {
			return err
		}
	}
	return nil
}

// deleteChildren deletes the rows of table that belong to the shop's orders with the ids.
func (db *DB) deleteChildren(ctx context.Context, tx *gorm.DB, table string, shopID int64, orderIDs []int64) error {
	for _, part := range chunks(orderIDs, 1, db.paramLimit()-1) {
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, id := range part {
			args = append(args, id)
		}
		q := "DELETE FROM " + table + " WHERE shop_id = ? AND order_platform_id IN " + inList(len(part))
		if _, err := tx.Statement.ConnPool.ExecContext(ctx, db.dialect.Rebind(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// existingOrders returns, on SQLite, which of the rows' orders are stored already (on
// PostgreSQL the upsert itself tells; see insertedFlag). Inside the write transaction,
// SQLite's single writer makes the answer hold until the upsert.
func (db *DB) existingOrders(ctx context.Context, tx *gorm.DB, rows []orderRow) (map[int64]bool, error) {
	if db.dialect == migrations.Postgres || len(rows) == 0 {
		return nil, nil
	}
	args := []any{rows[0].ShopID}
	for _, r := range rows {
		args = append(args, r.PlatformID)
	}
	res, err := tx.Statement.ConnPool.QueryContext(ctx, db.dialect.Rebind(
		"SELECT platform_id FROM orders WHERE shop_id = ? AND platform_id IN "+inList(len(rows))), args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := map[int64]bool{}
	for res.Next() {
		var id int64
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, res.Err()
}
