package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
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

// RedactCustomer erases a customer's personal data (customers/redact): the account's
// e-mail, names and tags, the e-mail hash on the account and on its orders and on the
// listed orders, and every stored delivery body of the shop that names the customer.
// Amounts and line items stay as anonymous aggregates. The erasure leaves tombstones
// (above), so that a re-delivered create or update writes nothing back: the
// customer row keeps redacted_at (a row is made for a customer not stored yet), so do the
// orders, and the address is remembered as a keyed marker.
func (db *DB) RedactCustomer(ctx context.Context, shopID, customerPlatformID int64, email string, orderIDs []int64) error {
	hash := ritorno.HashEmail(email)
	now := db.now()
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		if customerPlatformID > 0 {
			var c customerRow
			err := tx.Scopes(shopScope(shopID)).Where("platform_id = ?", customerPlatformID).Take(&c).Error
			if err == nil && hash == "" {
				hash = c.EmailHash
			}
			// Before any row lock, as the upserts take it (no lock-order deadlock).
			if err := db.lockBuyer(tx, shopID, hash); err != nil {
				return err
			}
			res := tx.Model(&customerRow{}).Scopes(shopScope(shopID)).Where("platform_id = ?", customerPlatformID).Updates(map[string]any{
				"email": "", "email_hash": "", "first_name": "", "last_name": "", "tags": "[]", "redacted_at": now, "updated_at": now,
			})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				// Erased before it was stored: its late create must find the tombstone.
				if err := tx.Create(&customerRow{ShopID: shopID, PlatformID: customerPlatformID, Tags: "[]",
					RedactedAt: nullTime(now), CreatedAt: now, UpdatedAt: now}).Error; err != nil {
					return err
				}
			}
		}
		if hash != "" {
			if customerPlatformID <= 0 {
				if err := db.lockBuyer(tx, shopID, hash); err != nil {
					return err
				}
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&erasedEmailRow{ShopID: shopID,
				Marker: db.emailMarker(shopID, hash), ErasedAt: now}).Error; err != nil {
				return err
			}
		}
		var cond string
		var args []any
		switch {
		case customerPlatformID > 0 && hash != "":
			cond, args = "customer_platform_id = ? OR email_hash = ? OR platform_id IN ?", []any{customerPlatformID, hash, append(orderIDs, 0)}
		case customerPlatformID > 0:
			cond, args = "customer_platform_id = ? OR platform_id IN ?", []any{customerPlatformID, append(orderIDs, 0)}
		case hash != "":
			cond, args = "email_hash = ? OR platform_id IN ?", []any{hash, append(orderIDs, 0)}
		default:
			cond, args = "platform_id IN ?", []any{append(orderIDs, 0)}
		}
		// Refund notes are the merchant's free text about the order, and may name the buyer.
		// They go first: once the orders lose their e-mail hash, the condition finds fewer.
		if err := tx.Model(&refundRow{}).Scopes(shopScope(shopID)).Where("order_platform_id IN (?)",
			tx.Model(&orderRow{}).Scopes(shopScope(shopID)).Where(cond, args...).Select("platform_id")).
			Update("note", "").Error; err != nil {
			return err
		}
		if err := tx.Model(&orderRow{}).Scopes(shopScope(shopID)).Where(cond, args...).
			Updates(map[string]any{"email_hash": "", "redacted_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		// What was computed about the buyer goes too; the next computation sees only
		// anonymous orders.
		keys := []int64{customerPlatformID}
		if hash != "" {
			keys = append(keys, ritorno.BuyerKey(ritorno.Buyer{Kind: ritorno.BuyerGuest, EmailHash: hash}))
		}
		if err := tx.Scopes(shopScope(shopID)).Where("buyer_key IN ?", keys).Delete(&customerInsightRow{}).Error; err != nil {
			return err
		}
		// Raw deliveries still holding the customer's data lose their bodies.
		var needles []string
		if email != "" {
			needles = append(needles, email, ritorno.NormalizeEmail(email))
		}
		if customerPlatformID > 0 {
			id := formatID(customerPlatformID)
			needles = append(needles, `"id":`+id, `"id": `+id, `"customer_id":`+id, `"customer_id": `+id)
		}
		contains := "instr(body, CAST(? AS BLOB)) > 0"
		if db.dialect == "postgres" {
			contains = "position(convert_to(?, 'UTF8') in body) > 0"
		}
		for _, n := range needles {
			// Only settled deliveries: a queued one still has to be applied (and is
			// applied long before a redaction request, which comes days later).
			if err := tx.Model(&deliveryRow{}).Scopes(shopScope(shopID)).Where(contains, n).Where("status NOT IN ?", queuedStatuses).
				Updates(map[string]any{"body": []byte{}}).Error; err != nil {
				return err
			}
		}
		return nil
	}), "customer")
}

var queuedStatuses = []string{string(ritorno.DeliveryPending), string(ritorno.DeliveryProcessing)}

// RedactShop erases everything of a shop (shop/redact) and keeps the shop row as a
// tombstone with status redacted, so that late deliveries for it are recognised.
func (db *DB) RedactShop(ctx context.Context, shopID int64) error {
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		if err := deleteShopData(tx, shopID); err != nil {
			return err
		}
		if err := tx.Model(&deliveryRow{}).Scopes(shopScope(shopID)).Updates(map[string]any{"body": []byte{}}).Error; err != nil {
			return err
		}
		if err := deleteUnattachedDeliveries(tx, shopID); err != nil {
			return err
		}
		res := tx.Model(&shopRow{}).Where("id = ?", shopID).Updates(map[string]any{"status": string(ritorno.ShopRedacted), "updated_at": db.now()})
		if res.Error == nil && res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return res.Error
	}), "shop")
}

type dataRequestRow struct {
	ID                 int64 `gorm:"primaryKey"`
	ShopID             int64
	RequestID          int64
	CustomerPlatformID int64
	OrdersRequested    string
	ReceivedAt         time.Time
	ExportedAt         sql.NullTime
}

func (dataRequestRow) TableName() string { return "data_requests" }

// RecordDataRequest stores a data request; a repeated request id is kept once.
func (db *DB) RecordDataRequest(ctx context.Context, shopID int64, r ritorno.DataRequest) error {
	ids, _ := json.Marshal(r.OrdersRequested)
	if r.OrdersRequested == nil {
		ids = []byte("[]")
	}
	row := dataRequestRow{ShopID: shopID, RequestID: r.RequestID, CustomerPlatformID: r.CustomerPlatformID,
		OrdersRequested: string(ids), ReceivedAt: db.now()}
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	})
	return translate(err, "data request")
}

// DataRequests lists a shop's data requests, newest first.
func (db *DB) DataRequests(ctx context.Context, shopID int64) ([]ritorno.DataRequest, error) {
	var rows []dataRequestRow
	if err := db.scoped(ctx, shopID, &dataRequestRow{}).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, translate(err, "data requests")
	}
	out := make([]ritorno.DataRequest, len(rows))
	for i, r := range rows {
		var ids []int64
		_ = json.Unmarshal([]byte(r.OrdersRequested), &ids)
		out[i] = ritorno.DataRequest{RequestID: r.RequestID, CustomerPlatformID: r.CustomerPlatformID,
			OrdersRequested: ids, ReceivedAt: r.ReceivedAt.UTC(), ExportedAt: fromNullTime(r.ExportedAt)}
	}
	return out, nil
}

// MarkDataRequestExported records that a request's export was produced.
func (db *DB) MarkDataRequestExported(ctx context.Context, shopID, requestID int64) error {
	res := db.scoped(ctx, shopID, &dataRequestRow{}).Where("request_id = ?", requestID).Update("exported_at", db.now())
	if res.Error == nil && res.RowsAffected == 0 {
		return ritorno.Errorf(ritorno.ENOTFOUND, "data request not found")
	}
	return translate(res.Error, "data request")
}
