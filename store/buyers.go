// Buyers: a guest order (an e-mail, no account) belongs to the account with the same
// e-mail hash, whichever of the two is stored first. The guest merge and the lock that
// keeps its two sides apart live here, for the statement and COPY paths alike.

package store

import (
	"context"
	"fmt"
	"hash/fnv"

	"gorm.io/gorm"
)

// lockBuyer serializes, per shop and e-mail hash, the two sides of the guest merge: a
// guest order looking for its account and a new account adopting guest orders. Without it,
// on PostgreSQL each could miss the other's uncommitted row and leave the order a guest.
// SQLite's write transactions are serialized already (BEGIN IMMEDIATE).
func (db *DB) lockBuyer(tx *gorm.DB, shopID int64, emailHash string) error {
	if db.dialect != "postgres" || emailHash == "" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", buyerLockKey(shopID, emailHash)).Error
}

// buyerLockKey is the advisory lock key of a buyer; the bulk path and the statement path
// both take it, so that they exclude each other (TestCopyPathTakesTheGuestMergeLock).
func buyerLockKey(shopID int64, emailHash string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "buyer:%d:%s", shopID, emailHash)
	return int64(h.Sum64())
}

// adoptGuests takes the guest-merge locks for the e-mail hashes (sorted, so that two
// batches cannot deadlock on them) and returns the account that owns each hash, if any:
// the lowest platform id among the shop's live customers with that address.
func (db *DB) adoptGuests(ctx context.Context, tx *gorm.DB, shopID int64, hashes []string) (map[string]int64, error) {
	for _, h := range hashes {
		if err := db.lockBuyer(tx, shopID, h); err != nil {
			return nil, err
		}
	}
	owners := map[string]int64{}
	for _, part := range chunks(hashes, 1, db.paramLimit()-1) {
		args := []any{shopID}
		for _, h := range part {
			args = append(args, h)
		}
		q := "SELECT email_hash, MIN(platform_id) FROM customers WHERE shop_id = ? AND deleted_at IS NULL AND email_hash IN " +
			inList(len(part)) + " GROUP BY email_hash"
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, db.dialect.Rebind(q), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h string
			var id int64
			if err := rows.Scan(&h, &id); err != nil {
				rows.Close()
				return nil, err
			}
			owners[h] = id
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return owners, nil
}
