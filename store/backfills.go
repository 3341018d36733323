package store

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

// backfillRow mirrors migrations/*/0004_backfills.sql.
type backfillRow struct {
	ShopID        int64 `gorm:"primaryKey;autoIncrement:false"`
	Status        string
	Step          string
	ResumeCursor  string
	Done          int64
	StepDone      int64
	StepTotal     int64
	Inserted      int64
	Updated       int64
	Unchanged     int64
	Skipped       int64
	OrdersFrom    sql.NullTime
	OrdersTo      sql.NullTime
	LimitNote     string
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	LeaseOwner    string
	LockedUntil   sql.NullTime
	StartedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    sql.NullTime
}

func (backfillRow) TableName() string { return "backfills" }

func backfillFromRow(r backfillRow) ritorno.Backfill {
	return ritorno.Backfill{
		ShopID: r.ShopID, Status: ritorno.BackfillStatus(r.Status), Step: r.Step, Cursor: r.ResumeCursor,
		Done: r.Done, StepDone: r.StepDone, StepTotal: r.StepTotal,
		Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged, Skipped: r.Skipped,
		OrdersFrom: fromNullTime(r.OrdersFrom), OrdersTo: fromNullTime(r.OrdersTo), Limit: r.LimitNote,
		Attempts: r.Attempts, Error: r.LastError, NextAttemptAt: r.NextAttemptAt.UTC(),
		StartedAt: r.StartedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), FinishedAt: fromNullTime(r.FinishedAt),
	}
}

// progressColumns are what SaveBackfill writes: everything but the key, the lease and
// the start time.
func progressColumns(b ritorno.Backfill, now time.Time) map[string]any {
	return map[string]any{
		"status": string(b.Status), "step": b.Step, "resume_cursor": b.Cursor,
		"done": b.Done, "step_done": b.StepDone, "step_total": b.StepTotal,
		"inserted": b.Inserted, "updated": b.Updated, "unchanged": b.Unchanged, "skipped": b.Skipped,
		"orders_from": nullTime(b.OrdersFrom), "orders_to": nullTime(b.OrdersTo), "limit_note": b.Limit,
		"attempts": b.Attempts, "last_error": boundError(b.Error), "next_attempt_at": b.NextAttemptAt.UTC().Truncate(time.Microsecond),
		"finished_at": nullTime(b.FinishedAt), "updated_at": now,
	}
}

// StartBackfill schedules the import of the shop's past, now. A backfill that is pending
// or running is returned as it is; a finished or failed one starts over from the first
// step (upserts are idempotent, so a repeated import only refreshes what is stored).
func (db *DB) StartBackfill(ctx context.Context, shopID int64) (ritorno.Backfill, error) {
	now := db.now()
	var out backfillRow
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var row backfillRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("shop_id = ?", shopID).Take(&row).Error
		switch {
		case err == nil && (row.Status == string(ritorno.BackfillPending) || row.Status == string(ritorno.BackfillRunning)):
			out = row
			return nil
		case err == nil:
			out = backfillRow{ShopID: shopID, Status: string(ritorno.BackfillPending), NextAttemptAt: now, StartedAt: now, UpdatedAt: now}
			return tx.Select("*").Save(&out).Error
		case err == gorm.ErrRecordNotFound:
			if err := tx.Where("id = ?", shopID).Take(&shopRow{}).Error; err != nil {
				return err
			}
			out = backfillRow{ShopID: shopID, Status: string(ritorno.BackfillPending), NextAttemptAt: now, StartedAt: now, UpdatedAt: now}
			return tx.Create(&out).Error
		default:
			return err
		}
	})
	if err != nil {
		return ritorno.Backfill{}, translate(err, "backfill")
	}
	return backfillFromRow(out), nil
}

// Backfill returns the shop's backfill; ENOTFOUND when none was ever started.
func (db *DB) Backfill(ctx context.Context, shopID int64) (ritorno.Backfill, error) {
	var row backfillRow
	err := db.scoped(ctx, shopID, &backfillRow{}).Take(&row).Error
	return backfillFromRow(row), translate(err, "backfill")
}

// ClaimBackfill leases one due, unfinished backfill of an installed shop to owner until
// until, and reports whether there was one. A lease that expired (its process died) can
// be claimed again, which is how a crashed backfill resumes.
func (db *DB) ClaimBackfill(ctx context.Context, owner string, until time.Time) (ritorno.Backfill, bool, error) {
	now := db.now()
	for attempt := 0; attempt < 3; attempt++ {
		var candidate backfillRow
		err := db.gorm.WithContext(ctx).
			Where("status IN ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)",
				[]string{string(ritorno.BackfillPending), string(ritorno.BackfillRunning)}, now, now).
			Where("shop_id IN (?)", db.gorm.Model(&shopRow{}).Select("id").Where("status = ?", string(ritorno.ShopInstalled))).
			Order("next_attempt_at").Take(&candidate).Error
		if err == gorm.ErrRecordNotFound {
			return ritorno.Backfill{}, false, nil
		}
		if err != nil {
			return ritorno.Backfill{}, false, translate(err, "backfill")
		}
		// The condition repeats the lease test, so of two claimers only one wins.
		res := db.gorm.WithContext(ctx).Model(&backfillRow{}).
			Where("shop_id = ? AND (locked_until IS NULL OR locked_until < ?)", candidate.ShopID, now).
			Updates(map[string]any{"lease_owner": owner, "locked_until": nullTime(until), "status": string(ritorno.BackfillRunning), "updated_at": now})
		if res.Error != nil {
			return ritorno.Backfill{}, false, translate(res.Error, "backfill")
		}
		if res.RowsAffected == 1 {
			candidate.Status = string(ritorno.BackfillRunning)
			return backfillFromRow(candidate), true, nil
		}
	}
	return ritorno.Backfill{}, false, nil
}

// RenewBackfill extends owner's lease; ECONFLICT when owner no longer holds it.
func (db *DB) RenewBackfill(ctx context.Context, shopID int64, owner string, until time.Time) error {
	return db.leased(ctx, shopID, owner, map[string]any{"locked_until": nullTime(until)})
}

// SaveBackfill writes the backfill's progress while owner holds its lease (ECONFLICT
// otherwise: another process took it over and its progress must not be overwritten).
func (db *DB) SaveBackfill(ctx context.Context, owner string, b ritorno.Backfill) error {
	return db.leased(ctx, b.ShopID, owner, progressColumns(b, db.now()))
}

// ReleaseBackfill saves the backfill's progress and gives up owner's lease, so that it
// runs again at its NextAttemptAt in whichever process claims it (or never, once done or
// failed).
func (db *DB) ReleaseBackfill(ctx context.Context, owner string, b ritorno.Backfill) error {
	cols := progressColumns(b, db.now())
	cols["lease_owner"], cols["locked_until"] = "", nil
	return db.leased(ctx, b.ShopID, owner, cols)
}

func (db *DB) leased(ctx context.Context, shopID int64, owner string, cols map[string]any) error {
	var res *gorm.DB
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		res = tx.Model(&backfillRow{}).Scopes(shopScope(shopID)).Where("lease_owner = ?", owner).Updates(cols)
		return res.Error
	})
	if err != nil {
		return translate(err, "backfill")
	}
	if res.RowsAffected == 0 {
		return ritorno.Errorf(ritorno.ECONFLICT, "the backfill of shop %d is leased to another process", shopID)
	}
	return nil
}
