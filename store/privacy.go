package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Erasures stay erased. A customers/redact leaves tombstones: the customer row keeps its
// redaction time (a row is created for a customer not stored yet), each redacted order
// keeps its own, and an erased address is remembered as a keyed marker (erased_emails).
// Platforms deliver at least once, so every later write of that customer, of those orders,
// or of orders naming the customer or the address, writes no personal field back.

type erasedEmailRow struct {
	ShopID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Marker   string
	ErasedAt time.Time
}

func (erasedEmailRow) TableName() string { return "erased_emails" }

// emailMarker is the erased-address marker of an e-mail hash in a shop: keyed, so that
// the table cannot be tested against guessed addresses without the encryption key.
func (db *DB) emailMarker(shopID int64, emailHash string) string {
	return db.cipher.Mark(emailHash, "erased-email:shop:"+strconv.FormatInt(shopID, 10))
}

// personalCustomerColumns are the customer columns a redaction empties.
var personalCustomerColumns = map[string]bool{"email": true, "email_hash": true, "first_name": true, "last_name": true, "tags": true}

// keepErased returns the ON CONFLICT assignments of columns for table: a personal column
// keeps its stored (empty) value on a redacted row, and redacted_at is never cleared.
func keepErased(table string, columns []string, personal map[string]bool) []string {
	set := make([]string, len(columns))
	for i, c := range columns {
		switch {
		case c == "redacted_at":
			set[i] = c + " = COALESCE(" + table + ".redacted_at, excluded.redacted_at)"
		case personal[c]:
			set[i] = c + " = CASE WHEN " + table + ".redacted_at IS NULL THEN excluded." + c + " ELSE " + table + "." + c + " END"
		default:
			set[i] = c + " = excluded." + c
		}
	}
	return set
}

// customerAssignments is keepErased for customers, as gorm assignments.
var customerAssignments = func() clause.Set {
	set := keepErased("customers", customerColumns, personalCustomerColumns)
	out := make(clause.Set, len(set))
	for i, s := range set {
		col, expr, _ := strings.Cut(s, " = ")
		out[i] = clause.Assignment{Column: clause.Column{Name: col}, Value: clause.Expr{SQL: expr}}
	}
	return out
}()

// orderAssignments is keepErased for orders: an order's one personal column is its
// e-mail hash.
func orderAssignments(columns []string) string {
	return strings.Join(keepErased("orders", columns, map[string]bool{"email_hash": true}), ", ")
}

// rowScanner is what both drivers' result sets offer.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// queryFunc runs a query with "?" placeholders inside the caller's transaction; done
// closes the result set.
type queryFunc func(q string, args ...any) (rows rowScanner, done func(), err error)

// forgetErased blanks the e-mail hash of the rows (orders about to be written) that were
// erased themselves or whose buyer is a redacted customer of the shop or an erased
// address, and marks them redacted.
func (db *DB) forgetErased(query queryFunc, shopID int64, rows []*orderRow, now time.Time) error {
	var ids, orderIDs []any
	var markers []any
	markerOf := map[string]string{}
	for _, r := range rows {
		orderIDs = append(orderIDs, r.PlatformID)
		if r.CustomerPlatformID > 0 {
			ids = append(ids, r.CustomerPlatformID)
		}
		if r.EmailHash != "" {
			if _, ok := markerOf[r.EmailHash]; !ok {
				m := db.emailMarker(shopID, r.EmailHash)
				markerOf[r.EmailHash] = m
				markers = append(markers, m)
			}
		}
	}
	erasedCustomers := map[int64]bool{}
	erasedMarkers := map[string]bool{}
	erasedOrders := map[int64]bool{}
	lookups := []struct {
		q    string
		keys []any
		keep func(rowScanner) error
	}{
		{"SELECT platform_id FROM customers WHERE shop_id = ? AND redacted_at IS NOT NULL AND platform_id IN ", ids, func(r rowScanner) error {
			var id int64
			err := r.Scan(&id)
			erasedCustomers[id] = true
			return err
		}},
		{"SELECT marker FROM erased_emails WHERE shop_id = ? AND marker IN ", markers, func(r rowScanner) error {
			var m string
			err := r.Scan(&m)
			erasedMarkers[m] = true
			return err
		}},
		{"SELECT platform_id FROM orders WHERE shop_id = ? AND redacted_at IS NOT NULL AND platform_id IN ", orderIDs, func(r rowScanner) error {
			var id int64
			err := r.Scan(&id)
			erasedOrders[id] = true
			return err
		}},
	}
	for _, l := range lookups {
		for _, part := range chunks(l.keys, 1, db.paramLimit()-1) {
			res, done, err := query(l.q+inList(len(part)), append([]any{shopID}, part...)...)
			if err != nil {
				return err
			}
			for res.Next() {
				if err := l.keep(res); err != nil {
					done()
					return err
				}
			}
			err = res.Err()
			done()
			if err != nil {
				return err
			}
		}
	}
	if len(erasedCustomers) == 0 && len(erasedMarkers) == 0 && len(erasedOrders) == 0 {
		return nil
	}
	for _, r := range rows {
		if erasedCustomers[r.CustomerPlatformID] || erasedOrders[r.PlatformID] || (r.EmailHash != "" && erasedMarkers[markerOf[r.EmailHash]]) {
			r.EmailHash, r.RedactedAt = "", nullTime(now)
		}
	}
	return nil
}

// forgetRefundNotes blanks the notes of an erased order's refunds: a note is the
// merchant's free text about the order and may name the buyer.
func forgetRefundNotes(order *orderRow, refunds []refundRow) {
	if !order.RedactedAt.Valid {
		return
	}
	for i := range refunds {
		refunds[i].Note = ""
	}
}

// sqlQuery is a queryFunc over a database/sql-style connection pool.
func (db *DB) sqlQuery(ctx context.Context, pool interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}) queryFunc {
	return func(q string, args ...any) (rowScanner, func(), error) {
		rows, err := pool.QueryContext(ctx, db.dialect.Rebind(q), args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, func() { rows.Close() }, nil
	}
}
