package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

// Incremental insight updates (analytics.UpdateBuyers): which buyers' orders changed since
// a shop's window, their counted orders, and the update of their rows.

// insightKeyChunk bounds the buyers named in one statement (each is one or two values).
const insightKeyChunk = 400

// OrderWindow counts the shop's orders stamped (orders.updated_at) at or after from, and
// finds the latest stamp: what a computation that starts reading now has to remember of
// its window (ritorno.OrderWindow).
func (db *DB) OrderWindow(ctx context.Context, shopID int64, from time.Time) (ritorno.OrderWindow, error) {
	w := ritorno.OrderWindow{From: from.UTC().Truncate(time.Microsecond)}
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var n int64
		q := func() *gorm.DB {
			return tx.Model(&orderRow{}).Scopes(shopScope(shopID)).Where("updated_at >= ?", w.From)
		}
		if err := q().Count(&n).Error; err != nil || n == 0 {
			return err
		}
		w.Orders = int(n)
		var latest []time.Time
		if err := q().Order("updated_at DESC").Limit(1).Pluck("updated_at", &latest).Error; err != nil {
			return err
		}
		if len(latest) == 1 {
			w.Latest = latest[0].UTC()
		}
		return nil
	})
	return w, translate(err, "orders")
}

// ChangedBuyers returns the buyers of the shop's orders stamped at or after since, counted
// or not (a cancellation changes its buyer's figures), each once, and the window from
// windowFrom (≥ since) as this same read saw it. An order of a customer account that
// carries an e-mail hash also names the guest of that hash: the order may have been the
// guest's before the account adopted it. Orders of unknown buyers name nobody.
func (db *DB) ChangedBuyers(ctx context.Context, shopID int64, since, windowFrom time.Time) ([]ritorno.Buyer, ritorno.OrderWindow, error) {
	w := ritorno.OrderWindow{From: windowFrom.UTC().Truncate(time.Microsecond)}
	rows, err := db.scoped(ctx, shopID, &orderRow{}).Select("buyer_kind, customer_platform_id, email_hash, updated_at").
		Where("updated_at >= ?", since.UTC().Truncate(time.Microsecond)).Rows()
	if err != nil {
		return nil, w, translate(err, "orders")
	}
	defer rows.Close()
	seen := make(map[ritorno.Buyer]bool)
	var out []ritorno.Buyer
	add := func(b ritorno.Buyer) {
		if ritorno.BuyerKey(b) != 0 && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	var (
		kind, hash string
		customer   int64
		stamp      time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &customer, &hash, &stamp); err != nil {
			return nil, w, translate(err, "orders")
		}
		if !stamp.Before(w.From) {
			w.Orders++
			if stamp.After(w.Latest) {
				w.Latest = stamp.UTC()
			}
		}
		switch ritorno.BuyerKind(kind) {
		case ritorno.BuyerCustomer:
			add(ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: customer})
			if hash != "" {
				add(ritorno.Buyer{Kind: ritorno.BuyerGuest, EmailHash: hash})
			}
		case ritorno.BuyerGuest:
			add(ritorno.Buyer{Kind: ritorno.BuyerGuest, EmailHash: hash})
		}
	}
	return out, w, translate(rows.Err(), "orders")
}

// EachCountedOrderOf is EachCountedOrder for some buyers of the shop only: their orders
// that count, by the same rules and with the same columns.
// A buyer named twice is read once.
func (db *DB) EachCountedOrderOf(ctx context.Context, shopID int64, buyers []ritorno.Buyer, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error {
	seen := make(map[ritorno.Buyer]bool, len(buyers))
	buyers = slices.DeleteFunc(slices.Clone(buyers), func(b ritorno.Buyer) bool {
		if b.Kind != ritorno.BuyerGuest {
			b.EmailHash = "" // a customer is their id
		}
		dup := seen[b]
		seen[b] = true
		return dup
	})
	for len(buyers) > 0 {
		part := buyers[:min(len(buyers), insightKeyChunk)]
		buyers = buyers[len(part):]
		var customers []int64
		var hashes []string
		for _, b := range part {
			switch {
			case b.Kind == ritorno.BuyerCustomer && b.CustomerPlatformID > 0:
				customers = append(customers, b.CustomerPlatformID)
			case b.Kind == ritorno.BuyerGuest && b.EmailHash != "":
				hashes = append(hashes, b.EmailHash)
			}
		}
		// One query per kind, so that each uses its index (an OR of the two scans the shop).
		if len(customers) > 0 {
			q := db.scoped(ctx, shopID, &orderRow{}).Where("customer_platform_id IN ? AND buyer_kind = ?", customers, string(ritorno.BuyerCustomer))
			if err := eachCountedOrder(q, fn); err != nil {
				return err
			}
		}
		if len(hashes) > 0 {
			q := db.scoped(ctx, shopID, &orderRow{}).Where("email_hash IN ? AND buyer_kind = ?", hashes, string(ritorno.BuyerGuest))
			if err := eachCountedOrder(q, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachCountedOrder runs EachCountedOrder's read on a query of orders.
func eachCountedOrder(q *gorm.DB, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error {
	rows, err := q.Select(countedOrderColumns).
		Where("test = ? AND cancelled_at IS NULL AND deleted_at IS NULL AND financial_status <> ?", false, string(ritorno.FinancialVoided)).
		Rows()
	if err != nil {
		return translate(err, "orders")
	}
	defer rows.Close()
	return scanCountedOrders(rows, fn)
}

// countedOrderColumns are what analytics reads of an order.
const countedOrderColumns = "buyer_kind, customer_platform_id, email_hash, platform_id, processed_at, platform_created_at, total_minor, refunded_minor, currency"

// scanCountedOrders calls fn with each row of countedOrderColumns.
func scanCountedOrders(rows rowSource, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error {
	var (
		kind, hash         string
		customer, id       int64
		processed, created sql.NullTime
		total, refunded    int64
		code               sql.RawBytes // valid until the next row: interned below
		cur                currencyIntern
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &customer, &hash, &id, &processed, &created, &total, &refunded, &code); err != nil {
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
		if err := fn(key, id, at, max(total-refunded, 0), cur.of(code)); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "orders")
}

// currencyIntern hands out one string per currency code while a shop's orders stream, so
// that a million rows in the same currency allocate it once.
type currencyIntern struct{ last string }

func (c *currencyIntern) of(code []byte) string {
	if string(code) != c.last { // no allocation: the compiler compares in place
		c.last = string(code)
	}
	return c.last
}

// insightUpsertSuffix makes insightWriter's INSERT replace a buyer's existing row.
var insightUpsertSuffix = func() string {
	set := make([]string, 0, len(insightWriter.columns))
	for _, c := range insightWriter.columns {
		if c != "shop_id" && c != "buyer_key" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return " ON CONFLICT (shop_id, buyer_key) DO UPDATE SET " + strings.Join(set, ", ")
}()

// UpdateInsights applies an incremental update of some buyers in one transaction: their
// rows are written or removed, and the shop's insight records the update and its window.
// It fails with ENOTFOUND before the shop's first full computation, and with ECONFLICT
// when the shop was fully recomputed after the computation the update is based on (the
// update's scores are then against an outdated frame; the new computation has them all).
func (db *DB) UpdateInsights(ctx context.Context, shopID int64, u ritorno.InsightUpdate) error {
	rows := make([]customerInsightRow, len(u.Upsert))
	for i, c := range u.Upsert {
		rows[i] = insightToRow(shopID, c)
	}
	touched := len(u.Upsert) + len(u.Delete)
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		var cur shopInsightRow
		if err := tx.Scopes(shopScope(shopID)).Clauses(lockingClause(db)...).Take(&cur).Error; err != nil {
			return err
		}
		if !cur.ComputedAt.Equal(u.Basis.UTC().Truncate(time.Microsecond)) {
			return ritorno.Errorf(ritorno.ECONFLICT, "the shop's insights were recomputed during the update")
		}
		for len(u.Delete) > 0 {
			part := u.Delete[:min(len(u.Delete), insightKeyChunk)]
			u.Delete = u.Delete[len(part):]
			if err := tx.Scopes(shopScope(shopID)).Where("buyer_key IN ?", part).Delete(&customerInsightRow{}).Error; err != nil {
				return err
			}
		}
		for _, part := range chunks(rows, len(insightWriter.columns), db.paramLimit()) {
			q, args := insightWriter.statement(part, insightUpsertSuffix)
			if _, err := tx.Statement.ConnPool.ExecContext(ctx, db.dialect.Rebind(q), args...); err != nil {
				return err
			}
		}
		return tx.Model(&shopInsightRow{}).Scopes(shopScope(shopID)).Updates(map[string]any{
			"window_from": nullTime(u.Window.From), "window_orders": u.Window.Orders, "window_latest": nullTime(u.Window.Latest),
			"incremental_at": nullTime(u.At), "incremental_buyers": touched, "buyers_since_full": cur.BuyersSinceFull + touched,
		}).Error
	}), "insights")
}
