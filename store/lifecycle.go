package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

// AddRefund stores one refund of an order (refunds/create) and recomputes the order's
// refunded amount. The order's platform update time is raised to the refund's time: the
// platform bumps the order when it refunds, so an order payload older than the refund must
// not replace the refund list. An unknown order is ENOTFOUND (its webhook may come later).
func (db *DB) AddRefund(ctx context.Context, shopID, orderPlatformID int64, r ritorno.Refund) error {
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		var order orderRow
		if err := tx.Scopes(shopScope(shopID)).Clauses(lockingClause(db)...).Where("platform_id = ?", orderPlatformID).Take(&order).Error; err != nil {
			return err
		}
		if r.Amount.Currency != order.Currency {
			return ritorno.Errorf(ritorno.EINVALID, "refund %d is in %s, its order in %s", r.PlatformID, r.Amount.Currency, order.Currency)
		}
		o := ritorno.Order{PlatformID: orderPlatformID, Refunds: []ritorno.Refund{r}}
		_, _, refunds, refundLines := orderToRows(shopID, o)
		for _, model := range []any{&refundLineItemRow{}, &refundRow{}} {
			if err := tx.Scopes(shopScope(shopID)).Where("order_platform_id = ? AND "+refundKeyColumn(model)+" = ?", orderPlatformID, r.PlatformID).Delete(model).Error; err != nil {
				return err
			}
		}
		if err := createAll(tx, refunds); err != nil {
			return err
		}
		if err := createAll(tx, refundLines); err != nil {
			return err
		}
		var total int64
		if err := tx.Model(&refundRow{}).Scopes(shopScope(shopID)).Where("order_platform_id = ?", orderPlatformID).
			Select("COALESCE(SUM(amount_minor), 0)").Scan(&total).Error; err != nil {
			return err
		}
		updates := map[string]any{"refunded_minor": total, "updated_at": db.now()}
		if at := r.ProcessedAt; !at.IsZero() && (!order.PlatformUpdatedAt.Valid || order.PlatformUpdatedAt.Time.Before(at)) {
			updates["platform_updated_at"] = nullTime(at)
		}
		return tx.Model(&orderRow{}).Scopes(shopScope(shopID)).Where("platform_id = ?", orderPlatformID).Updates(updates).Error
	}), "order")
}

func refundKeyColumn(model any) string {
	if _, ok := model.(*refundRow); ok {
		return "platform_id"
	}
	return "refund_platform_id"
}

// lockingClause locks the selected row for the transaction on PostgreSQL; SQLite's
// transactions already hold the database's write lock (BEGIN IMMEDIATE).
func lockingClause(db *DB) []clause.Expression {
	if db.dialect == "postgres" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}

// MarkOrderDeleted records that the platform deleted an order at time at. An order not
// stored yet gets a tombstone, so that an older create arriving late does not revive it.
func (db *DB) MarkOrderDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "orders", platformID, at, func(shop shopRow) any {
		return &orderRow{ShopID: shopID, PlatformID: platformID, BuyerKind: string(ritorno.BuyerUnknown), Currency: shop.Currency}
	})
}

// MarkProductDeleted is MarkOrderDeleted for products.
func (db *DB) MarkProductDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "products", platformID, at, func(shopRow) any {
		return &productRow{ShopID: shopID, PlatformID: platformID, Status: string(ritorno.ProductArchived), Tags: "[]", Collections: "[]"}
	})
}

// MarkCustomerDeleted is MarkOrderDeleted for customers.
func (db *DB) MarkCustomerDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "customers", platformID, at, func(shopRow) any {
		return &customerRow{ShopID: shopID, PlatformID: platformID, Tags: "[]"}
	})
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

// UninstallShop marks the shop uninstalled and drops its access tokens; its data stays
// until the platform asks for redaction.
func (db *DB) UninstallShop(ctx context.Context, shopID int64, at time.Time) error {
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&shopRow{}).Where("id = ?", shopID).
			Updates(map[string]any{"status": string(ritorno.ShopUninstalled), "uninstalled_at": nullTime(at), "updated_at": db.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return tx.Model(&shopCredentialsRow{}).Scopes(shopScope(shopID)).Updates(map[string]any{
			"access_token_sealed": "", "refresh_token_sealed": "", "access_token_expires_at": nil,
			"refresh_token_expires_at": nil, "updated_at": db.now(),
		}).Error
	}), "shop")
}

// RedactCustomer erases a customer's personal data (customers/redact): the account's
// e-mail, names and tags, the e-mail hash on the account and on its orders and on the
// listed orders, and every stored delivery body of the shop that names the customer.
// Amounts and line items stay as anonymous aggregates. The erasure leaves tombstones
// (privacy.go), so that a re-delivered create or update writes nothing back: the
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
