package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

// The webhook inbox. Its methods work across shops on purpose: receipt happens before the
// shop is known, and workers and operators drain one queue. Nothing here is reachable with
// a shop identity from a request.

type deliveryRow struct {
	ID            int64 `gorm:"primaryKey"`
	Platform      string
	ShopDomain    string
	ShopID        sql.NullInt64
	Topic         string
	WebhookID     sql.NullString
	EventID       string
	APIVersion    string `gorm:"column:api_version"`
	TriggeredAt   sql.NullTime
	Body          []byte
	ReceivedAt    time.Time
	Status        string
	Attempts      int64
	NextAttemptAt time.Time
	LockedUntil   sql.NullTime
	LastError     string
	ProcessedAt   sql.NullTime
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

func deliveryToRow(d ritorno.Delivery) deliveryRow {
	return deliveryRow{
		Platform:      string(d.Platform),
		ShopDomain:    d.ShopDomain,
		ShopID:        sql.NullInt64{Int64: d.ShopID, Valid: d.ShopID != 0},
		Topic:         d.Topic,
		WebhookID:     nullString(d.WebhookID),
		EventID:       d.EventID,
		APIVersion:    d.APIVersion,
		TriggeredAt:   nullTime(d.TriggeredAt),
		Body:          d.Body,
		ReceivedAt:    d.ReceivedAt.UTC().Truncate(time.Microsecond),
		Status:        string(d.Status),
		Attempts:      int64(d.Attempts),
		NextAttemptAt: d.NextAttemptAt.UTC().Truncate(time.Microsecond),
		LastError:     d.LastError,
		ProcessedAt:   nullTime(d.ProcessedAt),
	}
}

func deliveryFromRow(r deliveryRow) ritorno.Delivery {
	return ritorno.Delivery{
		ID:            r.ID,
		Platform:      ritorno.PlatformName(r.Platform),
		ShopDomain:    r.ShopDomain,
		ShopID:        r.ShopID.Int64,
		Topic:         r.Topic,
		WebhookID:     r.WebhookID.String,
		EventID:       r.EventID,
		APIVersion:    r.APIVersion,
		TriggeredAt:   fromNullTime(r.TriggeredAt),
		Body:          r.Body,
		ReceivedAt:    r.ReceivedAt.UTC(),
		Status:        ritorno.DeliveryStatus(r.Status),
		Attempts:      int(r.Attempts),
		NextAttemptAt: r.NextAttemptAt.UTC(),
		LastError:     r.LastError,
		ProcessedAt:   fromNullTime(r.ProcessedAt),
	}
}

// RecordDelivery commits a received delivery. A Shopify delivery whose webhook id is already
// stored for the shop is a duplicate: nothing is written and duplicate is true.
func (db *DB) RecordDelivery(ctx context.Context, d ritorno.Delivery) (id int64, duplicate bool, err error) {
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = db.now()
	}
	if d.NextAttemptAt.IsZero() {
		d.NextAttemptAt = d.ReceivedAt
	}
	row := deliveryToRow(d)
	if row.Body == nil {
		row.Body = []byte{}
	}
	err = db.gorm.WithContext(ctx).Create(&row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, translate(err, "delivery")
	}
	return row.ID, false, nil
}

// Delivery returns one delivery with its body.
func (db *DB) Delivery(ctx context.Context, id int64) (ritorno.Delivery, error) {
	var row deliveryRow
	err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	return deliveryFromRow(row), translate(err, "delivery")
}

// ClaimDeliveries takes up to limit due deliveries for processing: pending ones whose time
// has come, and processing ones whose worker's lease ran out (it crashed). Each claim counts
// as an attempt; the attempt number is the fencing token FinishDelivery checks. On
// PostgreSQL, SKIP LOCKED lets several replicas claim side by side without waiting.
func (db *DB) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]ritorno.Delivery, error) {
	now := db.now()
	lock := ""
	if db.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// Expired claims come first: they are the oldest work, and behind a backlog of pending
	// deliveries a batch long they were never reached (the soak test saw a killed server's
	// claims wait ten minutes). The status literals are in the text, not bound, so that the
	// planner can use the partial indexes (0003): both branches are short index range scans
	// that stop at limit.
	var rows []deliveryRow
	err := db.gorm.WithContext(ctx).Raw(`UPDATE webhook_deliveries
		SET status = 'processing', locked_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM (
			SELECT id FROM (SELECT id FROM webhook_deliveries WHERE status = 'processing' AND locked_until < ?
				ORDER BY locked_until LIMIT ?`+lock+`) expired
			UNION ALL
			SELECT id FROM (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id LIMIT ?`+lock+`) due
		) claimable LIMIT ?)
		RETURNING *`,
		now.Add(lease), now, limit, now, limit, limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "claim deliveries")
	}
	// RETURNING has no order; workers apply a shop's deliveries in the order received.
	slices.SortFunc(rows, func(a, b deliveryRow) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]ritorno.Delivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFromRow(r)
	}
	return out, nil
}

// MaxLastError bounds the error text kept with a delivery or a backfill, in bytes: enough
// for any message Ritorno writes, and a cap on whatever an error may carry (errors name
// the field and the problem, not the value, but a driver's or a platform's may not).
const MaxLastError = 500

// boundError cuts s to MaxLastError bytes at a character boundary, marked with "…", and
// drops what the database cannot store (a NUL would fail the very write that records the
// failure).
func boundError(s string) string {
	s = ritorno.CleanText(s)
	if len(s) <= MaxLastError {
		return s
	}
	cut := MaxLastError - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// FinishDelivery records how attempt number attempt ended: done, pending again (a retry at
// nextAttemptAt), failed (retrying cannot help) or dead (out of attempts). If the delivery was claimed
// again meanwhile (this worker's lease ran out), the outcome is dropped and stale is true.
// A done delivery's body is cleared: it holds personal data that the histories now have.
func (db *DB) FinishDelivery(ctx context.Context, id int64, attempt int, status ritorno.DeliveryStatus, lastError string, nextAttemptAt time.Time) (stale bool, err error) {
	updates := map[string]any{
		"status":       string(status),
		"locked_until": nil,
		"last_error":   boundError(lastError),
	}
	switch status {
	case ritorno.DeliveryDone:
		updates["processed_at"] = db.now()
		updates["body"] = []byte{}
	case ritorno.DeliveryPending:
		updates["next_attempt_at"] = nextAttemptAt.UTC().Truncate(time.Microsecond)
	case ritorno.DeliveryFailed, ritorno.DeliveryDead:
		updates["processed_at"] = db.now()
	default:
		return false, ritorno.Errorf(ritorno.EINVALID, "cannot finish a delivery as %q", status)
	}
	res := db.gorm.WithContext(ctx).Model(&deliveryRow{}).
		Where("id = ? AND status = ? AND attempts = ?", id, string(ritorno.DeliveryProcessing), attempt).Updates(updates)
	if res.Error != nil {
		return false, translate(res.Error, "delivery")
	}
	return res.RowsAffected == 0, nil
}

// DeliveryFilter narrows ListDeliveries.
type DeliveryFilter struct {
	Status ritorno.DeliveryStatus // "" for any
	ShopID int64                  // 0 for any
	After  int64                  // ids above this
	Limit  int
}

// ListDeliveries lists deliveries without their bodies, oldest first.
func (db *DB) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]ritorno.Delivery, error) {
	q := db.gorm.WithContext(ctx).Model(&deliveryRow{}).Omit("body").Where("id > ?", f.After)
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.ShopID != 0 {
		q = q.Where("shop_id = ?", f.ShopID)
	}
	var rows []deliveryRow
	if err := q.Order("id").Limit(pageSize(f.Limit)).Find(&rows).Error; err != nil {
		return nil, translate(err, "deliveries")
	}
	out := make([]ritorno.Delivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFromRow(r)
	}
	return out, nil
}

// ReplayDeliveries puts final deliveries back in the queue with a fresh attempt count: the
// ones with the given ids, or every one with the given status. Done deliveries cannot be
// replayed (their bodies are gone); pending and processing ones are already queued.
func (db *DB) ReplayDeliveries(ctx context.Context, ids []int64, status ritorno.DeliveryStatus) (int64, error) {
	q := db.gorm.WithContext(ctx).Model(&deliveryRow{}).
		Where("status IN ?", []string{string(ritorno.DeliveryDead), string(ritorno.DeliveryFailed), string(ritorno.DeliveryIgnored)})
	switch {
	case len(ids) > 0:
		q = q.Where("id IN ?", ids)
	case status != "":
		q = q.Where("status = ?", string(status))
	default:
		return 0, ritorno.Errorf(ritorno.EINVALID, "name delivery ids or a status to replay")
	}
	res := q.Updates(map[string]any{
		"status": string(ritorno.DeliveryPending), "attempts": 0, "next_attempt_at": db.now(),
		"last_error": "", "processed_at": nil, "locked_until": nil,
	})
	return res.RowsAffected, translate(res.Error, "deliveries")
}

// DeliveryCounts counts deliveries by status, of one shop or (shopID 0) of all.
func (db *DB) DeliveryCounts(ctx context.Context, shopID int64) (map[ritorno.DeliveryStatus]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	q := db.gorm.WithContext(ctx).Model(&deliveryRow{})
	if shopID != 0 {
		q = q.Where("shop_id = ?", shopID)
	}
	if err := q.Select("status, count(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, translate(err, "delivery counts")
	}
	out := map[ritorno.DeliveryStatus]int64{}
	for _, r := range rows {
		out[ritorno.DeliveryStatus(r.Status)] = r.N
	}
	return out, nil
}

// releaseParked queues a new shop's parked deliveries; it runs inside CreateShop's transaction.
func releaseParked(tx *gorm.DB, shop shopRow, now time.Time) error {
	return tx.Model(&deliveryRow{}).
		Where("platform = ? AND shop_domain = ? AND status = ?", shop.Platform, shop.Domain, string(ritorno.DeliveryParked)).
		Updates(map[string]any{"status": string(ritorno.DeliveryPending), "shop_id": shop.ID, "next_attempt_at": now}).Error
}

// settledStatuses are the deliveries nothing will apply any more (done, ignored, failed,
// dead), and parked ones, whose shop may never appear.
var settledStatuses = []string{string(ritorno.DeliveryDone), string(ritorno.DeliveryIgnored), string(ritorno.DeliveryFailed),
	string(ritorno.DeliveryDead), string(ritorno.DeliveryParked)}

// PurgeDeliveries deletes up to limit settled or parked deliveries received before
// cutoff, oldest first, and reports how many it deleted. Bounded, so that one call never
// holds the inbox long; the walk is in id (receipt) order, where the old rows are.
func (db *DB) PurgeDeliveries(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	if limit <= 0 {
		return 0, ritorno.Errorf(ritorno.EINVALID, "purge limit must be positive")
	}
	var deleted int64
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		old := tx.Model(&deliveryRow{}).Select("id").Where("received_at < ? AND status IN ?", cutoff.UTC(), settledStatuses).
			Order("id").Limit(limit)
		res := tx.Where("id IN (?)", old).Delete(&deliveryRow{})
		deleted = res.RowsAffected
		return res.Error
	})
	return deleted, translate(err, "deliveries")
}
