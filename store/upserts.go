// Platforms deliver events at least once and in no particular order, so every upsert of a
// platform entity is guarded by its platform update time: a payload older than what is
// stored is ignored (the upsert reports applied=false), an equal or newer one replaces it.
//
// The guards, batches and tombstones below are shared by customers, the catalog and orders.

package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

// upsertIfNewer inserts row, or updates columns of the stored row with the same
// (shop_id, platform_id) unless the stored row is newer. It reports whether it wrote.
func upsertIfNewer(tx *gorm.DB, table string, row any, assignments clause.Set) (bool, error) {
	guard := fmt.Sprintf("excluded.platform_updated_at IS NULL OR %[1]s.platform_updated_at IS NULL OR %[1]s.platform_updated_at <= excluded.platform_updated_at", table)
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shop_id"}, {Name: "platform_id"}},
		DoUpdates: assignments,
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: guard}}},
	}).Create(row)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// upsertEach runs one upsert per id inside one transaction; which ids existed before is
// read once, so that an applied write can be told apart as an insert or an update.
func (db *DB) upsertEach(ctx context.Context, shopID int64, model any, ids []int64, upsert func(db *DB, i int) (bool, error)) ([]ritorno.Write, error) {
	out := make([]ritorno.Write, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := db.InTransaction(ctx, func(tx *DB) error {
		existed := map[int64]bool{}
		for _, chunk := range chunks(ids, 1, db.paramLimit()-1) {
			var found []int64
			if err := tx.scoped(ctx, shopID, model).Where("platform_id IN ?", chunk).Pluck("platform_id", &found).Error; err != nil {
				return translate(err, "existing rows")
			}
			for _, id := range found {
				existed[id] = true
			}
		}
		for i, id := range ids {
			applied, err := upsert(tx, i)
			if err != nil {
				return err
			}
			switch {
			case !applied:
				out[i] = ritorno.WriteUnchanged
			case existed[id]:
				out[i] = ritorno.WriteUpdated
			default:
				out[i] = ritorno.WriteInserted
				existed[id] = true // a repeated id in the same batch is an update
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) markDeleted(ctx context.Context, shopID int64, table string, platformID int64, at time.Time, tombstone func(shopRow) any) error {
	if at.IsZero() {
		at = db.now()
	}
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Table(table).Scopes(shopScope(shopID)).Where("platform_id = ?", platformID).
			Updates(map[string]any{"deleted_at": nullTime(at), "updated_at": db.now()})
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		var shop shopRow
		if err := tx.Where("id = ?", shopID).Take(&shop).Error; err != nil {
			return err
		}
		row := tombstone(shop)
		now := db.now()
		switch r := row.(type) {
		case *orderRow:
			r.DeletedAt, r.PlatformUpdatedAt, r.CreatedAt, r.UpdatedAt = nullTime(at), nullTime(at), now, now
		case *productRow:
			r.DeletedAt, r.PlatformUpdatedAt, r.CreatedAt, r.UpdatedAt = nullTime(at), nullTime(at), now, now
		case *customerRow:
			r.DeletedAt, r.PlatformUpdatedAt, r.CreatedAt, r.UpdatedAt = nullTime(at), nullTime(at), now, now
		}
		return tx.Create(row).Error
	}), table)
}

// lockingClause locks the selected row for the transaction on PostgreSQL; SQLite's
// transactions already hold the database's write lock (BEGIN IMMEDIATE).
func lockingClause(db *DB) []clause.Expression {
	if db.dialect == "postgres" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}
