// Customers: the customer row and its converters, upserts, reads and tombstone.

package store

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

type customerRow struct {
	ID                int64 `gorm:"primaryKey"`
	ShopID            int64
	PlatformID        int64
	Email             string
	EmailHash         string
	FirstName         string
	LastName          string
	State             string
	Tags              string
	PlatformCreatedAt sql.NullTime
	PlatformUpdatedAt sql.NullTime
	DeletedAt         sql.NullTime
	RedactedAt        sql.NullTime
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (customerRow) TableName() string { return "customers" }

func customerToRow(shopID int64, c ritorno.Customer) customerRow {
	hash := c.EmailHash
	if hash == "" {
		hash = ritorno.HashEmail(c.Email)
	}
	return customerRow{
		ShopID:            shopID,
		PlatformID:        c.PlatformID,
		Email:             c.Email,
		EmailHash:         hash,
		FirstName:         c.FirstName,
		LastName:          c.LastName,
		State:             c.State,
		Tags:              encodeList(c.Tags),
		PlatformCreatedAt: nullTime(c.PlatformCreatedAt),
		PlatformUpdatedAt: nullTime(c.PlatformUpdatedAt),
		DeletedAt:         nullTime(c.DeletedAt),
		RedactedAt:        nullTime(c.RedactedAt),
	}
}

func customerFromRow(r customerRow) ritorno.Customer {
	return ritorno.Customer{
		ShopID:            r.ShopID,
		PlatformID:        r.PlatformID,
		Email:             r.Email,
		EmailHash:         r.EmailHash,
		FirstName:         r.FirstName,
		LastName:          r.LastName,
		State:             r.State,
		Tags:              decodeList(r.Tags),
		PlatformCreatedAt: fromNullTime(r.PlatformCreatedAt),
		PlatformUpdatedAt: fromNullTime(r.PlatformUpdatedAt),
		DeletedAt:         fromNullTime(r.DeletedAt),
		RedactedAt:        fromNullTime(r.RedactedAt),
	}
}

// customerColumns are the customer columns an upsert writes.
var customerColumns = []string{"email", "email_hash", "first_name", "last_name", "state", "tags",
	"platform_created_at", "platform_updated_at", "deleted_at", "redacted_at", "updated_at"}

// UpsertCustomer stores a customer unless a newer version is stored already.
func (db *DB) UpsertCustomer(ctx context.Context, shopID int64, c ritorno.Customer) (applied bool, err error) {
	if c.PlatformID <= 0 {
		return false, ritorno.Errorf(ritorno.EINVALID, "customer id must be positive")
	}
	row := customerToRow(shopID, c)
	now := db.now()
	row.CreatedAt, row.UpdatedAt = now, now
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		if err := db.lockBuyer(tx, shopID, row.EmailHash); err != nil {
			return err
		}
		// A redacted customer stays redacted (privacy.go): its personal fields are not
		// written (the upsert's assignments make sure of it even against a concurrent
		// redaction), and it adopts no guest orders.
		var erased int64
		if err := tx.Model(&customerRow{}).Scopes(shopScope(shopID)).
			Where("platform_id = ? AND redacted_at IS NOT NULL", c.PlatformID).Count(&erased).Error; err != nil {
			return err
		}
		if erased > 0 {
			row.Email, row.EmailHash, row.FirstName, row.LastName, row.Tags = "", "", "", "", "[]"
		}
		if applied, err = upsertIfNewer(tx, "customers", &row, customerAssignments); err != nil || !applied || row.EmailHash == "" {
			return err
		}
		// A guest who now has an account: their guest orders become the customer's (a
		// change of buyer, so updated_at moves for PurchasesChangedSince).
		return tx.Model(&orderRow{}).Scopes(shopScope(shopID)).
			Where("buyer_kind = ? AND email_hash = ?", string(ritorno.BuyerGuest), row.EmailHash).
			Updates(map[string]any{"buyer_kind": string(ritorno.BuyerCustomer), "customer_platform_id": c.PlatformID, "updated_at": now}).Error
	})
	return applied, translate(err, "customer")
}

// UpsertCustomers stores customers as UpsertCustomer does, one by one in one transaction,
// and reports for each whether it was new, replaced an older version, or was older.
func (db *DB) UpsertCustomers(ctx context.Context, shopID int64, customers []ritorno.Customer) ([]ritorno.Write, error) {
	ids := make([]int64, len(customers))
	for i, c := range customers {
		ids[i] = c.PlatformID
	}
	return db.upsertEach(ctx, shopID, &customerRow{}, ids, func(db *DB, i int) (bool, error) {
		return db.UpsertCustomer(ctx, shopID, customers[i])
	})
}

// Customer returns the shop's customer with the platform id.
func (db *DB) Customer(ctx context.Context, shopID, platformID int64) (ritorno.Customer, error) {
	var row customerRow
	err := db.scoped(ctx, shopID, &customerRow{}).Where("platform_id = ?", platformID).Take(&row).Error
	return customerFromRow(row), translate(err, "customer")
}

// ListCustomers returns up to limit customers with a platform id above after, in id
// order (keyset paging: pass the last id of a page to get the next).
func (db *DB) ListCustomers(ctx context.Context, shopID, after int64, limit int) ([]ritorno.Customer, error) {
	var rows []customerRow
	err := db.scoped(ctx, shopID, &customerRow{}).Where("platform_id > ?", after).
		Order("platform_id").Limit(pageSize(limit)).Find(&rows).Error
	if err != nil {
		return nil, translate(err, "customers")
	}
	out := make([]ritorno.Customer, len(rows))
	for i, r := range rows {
		out[i] = customerFromRow(r)
	}
	return out, nil
}

// MarkCustomerDeleted is MarkOrderDeleted for customers.
func (db *DB) MarkCustomerDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "customers", platformID, at, func(shopRow) any {
		return &customerRow{ShopID: shopID, PlatformID: platformID, Tags: "[]"}
	})
}
