package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// RecordDeliveries commits several deliveries in one statement (group commit for the
// webhook receiver). It reports, per delivery, whether it was a duplicate of a stored
// Shopify webhook id (or of an earlier one in the same batch), and its own error: when the
// statement fails, each delivery is recorded alone, so that one row the database refuses
// fails only itself and its neighbours are still committed.
func (db *DB) RecordDeliveries(ctx context.Context, ds []ritorno.Delivery) (duplicate []bool, errs []error) {
	errs = make([]error, len(ds))
	duplicate, err := db.insertDeliveries(ctx, ds)
	if err == nil {
		return duplicate, errs
	}
	duplicate = make([]bool, len(ds))
	if len(ds) == 1 || ctx.Err() != nil || errors.Is(err, errBoundDB) {
		for i := range errs {
			errs[i] = err
		}
		return duplicate, errs
	}
	// The failed statement stored nothing (a statement is atomic), so recording each alone
	// cannot store one twice. If the database is down, each fails quickly or at ctx's
	// deadline, which bounds the fallback.
	for i := range ds {
		if err := ctx.Err(); err != nil {
			errs[i] = translate(err, "delivery")
			continue
		}
		dup, err := db.insertDeliveries(ctx, ds[i:i+1])
		if err != nil {
			errs[i] = err
			continue
		}
		duplicate[i] = dup[0]
	}
	return duplicate, errs
}

// insertDeliveries is RecordDeliveries' one statement: all are committed or none is.
func (db *DB) insertDeliveries(ctx context.Context, ds []ritorno.Delivery) (duplicate []bool, err error) {
	if len(ds) == 0 {
		return nil, nil
	}
	if db.sql == nil {
		return nil, errBoundDB
	}
	now := db.now()
	var q strings.Builder
	q.WriteString(`INSERT INTO webhook_deliveries (platform, shop_domain, shop_id, topic, webhook_id, event_id, api_version,
		triggered_at, body, received_at, status, attempts, next_attempt_at, last_error) VALUES `)
	args := make([]any, 0, len(ds)*14)
	for i, d := range ds {
		if d.ReceivedAt.IsZero() {
			d.ReceivedAt = now
		}
		if d.NextAttemptAt.IsZero() {
			d.NextAttemptAt = d.ReceivedAt
		}
		r := deliveryToRow(d)
		if r.Body == nil {
			r.Body = []byte{}
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		q.WriteString(strings.TrimSuffix(strings.Repeat("?, ", 14), ", "))
		q.WriteString(")")
		args = append(args, r.Platform, r.ShopDomain, r.ShopID, r.Topic, r.WebhookID, r.EventID, r.APIVersion,
			r.TriggeredAt, r.Body, r.ReceivedAt, r.Status, r.Attempts, r.NextAttemptAt, r.LastError)
	}
	q.WriteString(" ON CONFLICT (platform, shop_domain, webhook_id) DO NOTHING RETURNING platform, shop_domain, webhook_id")
	query := db.dialect.Rebind(q.String())
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err, "deliveries")
	}
	defer rows.Close()
	type key struct{ platform, domain, webhookID string }
	inserted := map[key]int{}
	others := 0 // rows without a webhook id are always inserted
	for rows.Next() {
		var k key
		var wid sql.NullString
		if err := rows.Scan(&k.platform, &k.domain, &wid); err != nil {
			return nil, translate(err, "deliveries")
		}
		if !wid.Valid {
			others++
			continue
		}
		k.webhookID = wid.String
		inserted[k]++
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "deliveries")
	}
	duplicate = make([]bool, len(ds))
	for i, d := range ds {
		if d.WebhookID == "" {
			continue
		}
		k := key{string(d.Platform), d.ShopDomain, d.WebhookID}
		if inserted[k] > 0 {
			inserted[k]-- // the first in the batch was stored; later ones are duplicates
		} else {
			duplicate[i] = true
		}
	}
	return duplicate, nil
}

// FinishDone marks deliveries done in one statement: ids[i] at attempt attempts[i]. Like
// FinishDelivery it fences each by its attempt number and clears the body; it returns the
// ids whose claim had moved on (stale), whose outcome was dropped.
func (db *DB) FinishDone(ctx context.Context, ids []int64, attempts []int) (stale []int64, err error) {
	return db.updateClaims(ctx, "status = ?, locked_until = NULL, last_error = '', processed_at = ?, body = ?",
		[]any{string(ritorno.DeliveryDone), db.now(), []byte{}}, ids, attempts)
}

// ExtendClaims renews the lease of deliveries a worker still holds — ids[i] at attempt
// attempts[i] — to lease from now, and returns the ids whose claim had moved on (finished,
// or claimed again by another worker after the lease ran out). The attempt number fences
// it like FinishDone: a worker that lost its claim cannot extend the next one's.
func (db *DB) ExtendClaims(ctx context.Context, ids []int64, attempts []int, lease time.Duration) (lost []int64, err error) {
	return db.updateClaims(ctx, "locked_until = ?", []any{db.now().Add(lease)}, ids, attempts)
}

// updateClaims sets columns (set, with its arguments) on the deliveries still claimed at
// the given attempts, in one statement, and returns the ids whose claim had moved on.
func (db *DB) updateClaims(ctx context.Context, set string, setArgs []any, ids []int64, attempts []int) (missed []int64, err error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if db.sql == nil {
		return nil, errBoundDB
	}
	var q strings.Builder
	args := append(setArgs, string(ritorno.DeliveryProcessing))
	q.WriteString("UPDATE webhook_deliveries SET " + set + " WHERE status = ? AND (id, attempts) IN (")
	for i := range ids {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, ids[i], attempts[i])
	}
	q.WriteString(") RETURNING id")
	rows, err := db.sql.QueryContext(ctx, db.dialect.Rebind(q.String()), args...)
	if err != nil {
		return nil, translate(err, "deliveries")
	}
	defer rows.Close()
	updated := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err, "deliveries")
		}
		updated[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "deliveries")
	}
	for _, id := range ids {
		if !updated[id] {
			missed = append(missed, id)
		}
	}
	return missed, nil
}
