package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

// Platforms deliver events at least once and in no particular order, so every upsert of a
// platform entity is guarded by its platform update time: a payload older than what is
// stored is ignored (the upsert reports applied=false), an equal or newer one replaces it.

var (
	customerColumns = []string{"email", "email_hash", "first_name", "last_name", "state", "tags",
		"platform_created_at", "platform_updated_at", "deleted_at", "redacted_at", "updated_at"}
	productColumns = []string{"title", "handle", "product_type", "vendor", "tags", "collections", "status",
		"published_at", "image_url", "platform_created_at", "platform_updated_at", "deleted_at", "updated_at"}
	orderColumns = []string{"name", "buyer_kind", "customer_platform_id", "email_hash", "currency",
		"presentment_currency", "subtotal_minor", "total_discounts_minor", "total_tax_minor",
		"total_shipping_minor", "total_minor", "refunded_minor", "financial_status", "fulfillment_status",
		"source_name", "test", "tags", "platform_created_at", "processed_at", "cancelled_at",
		"cancel_reason", "platform_updated_at", "deleted_at", "redacted_at", "updated_at"}
)

// lockBuyer serializes, per shop and e-mail hash, the two sides of the guest merge: a
// guest order looking for its account and a new account adopting guest orders. Without it,
// on PostgreSQL each could miss the other's uncommitted row and leave the order a guest.
// SQLite's write transactions are serialized already (BEGIN IMMEDIATE).
func (db *DB) lockBuyer(tx *gorm.DB, shopID int64, emailHash string) error {
	if db.dialect != "postgres" || emailHash == "" {
		return nil
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "buyer:%d:%s", shopID, emailHash)
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())).Error
}

// orderColumnsKeepingRefunds is orderColumns without the refunded total.
var orderColumnsKeepingRefunds = func() []string {
	var out []string
	for _, c := range orderColumns {
		if c != "refunded_minor" {
			out = append(out, c)
		}
	}
	return out
}()

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

// UpsertProduct stores a product with its variants (replacing the stored variants) unless a
// newer version is stored already.
func (db *DB) UpsertProduct(ctx context.Context, shopID int64, p ritorno.Product) (applied bool, err error) {
	if p.PlatformID <= 0 {
		return false, ritorno.Errorf(ritorno.EINVALID, "product id must be positive")
	}
	row, variants := productToRows(shopID, p)
	now := db.now()
	row.CreatedAt, row.UpdatedAt = now, now
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		if applied, err = upsertIfNewer(tx, "products", &row, clause.AssignmentColumns(productColumns)); err != nil || !applied {
			return err
		}
		if err := tx.Scopes(shopScope(shopID)).Where("product_platform_id = ?", p.PlatformID).Delete(&variantRow{}).Error; err != nil {
			return err
		}
		if len(variants) > 0 {
			return tx.Create(&variants).Error
		}
		return nil
	})
	return applied, translate(err, "product")
}

// AddProductsIfAbsent stores the products (with their variants) that the shop does not
// have yet and leaves every stored one as it is; it returns how many it added. It is for
// catalog entries made from imported order lines: such an entry never replaces what the
// platform sent, and having no platform time it is replaced by the platform's version of
// the product whenever that comes (UpsertProduct's guard lets any version over a
// timeless one). A variant id the shop already uses elsewhere is left out.
func (db *DB) AddProductsIfAbsent(ctx context.Context, shopID int64, products []ritorno.Product) (int, error) {
	added := 0
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		now := db.now()
		for _, p := range products {
			if p.PlatformID <= 0 {
				return ritorno.Errorf(ritorno.EINVALID, "product id must be positive")
			}
			row, variants := productToRows(shopID, p)
			row.CreatedAt, row.UpdatedAt = now, now
			res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "shop_id"}, {Name: "platform_id"}}, DoNothing: true}).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue // the shop has it: the stored version stays
			}
			added++
			for i := range variants {
				if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "shop_id"}, {Name: "platform_id"}}, DoNothing: true}).
					Create(&variants[i]).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, translate(err, "products")
}

// Product returns the shop's product with the platform id, with its variants in position order.
func (db *DB) Product(ctx context.Context, shopID, platformID int64) (ritorno.Product, error) {
	var row productRow
	if err := db.scoped(ctx, shopID, &productRow{}).Where("platform_id = ?", platformID).Take(&row).Error; err != nil {
		return ritorno.Product{}, translate(err, "product")
	}
	var variants []variantRow
	if err := db.scoped(ctx, shopID, &variantRow{}).Where("product_platform_id = ?", platformID).
		Order("position, platform_id").Find(&variants).Error; err != nil {
		return ritorno.Product{}, translate(err, "product variants")
	}
	return productFromRows(row, variants), nil
}

// ProductByReference finds the shop's product a person names: by its platform id, its
// handle or one of its variants' SKU, in that order (an operator knows a product by any of
// them). Handles and SKUs match exactly; the lowest platform id wins a tie.
func (db *DB) ProductByReference(ctx context.Context, shopID int64, ref string) (ritorno.Product, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "product reference is empty")
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		p, err := db.Product(ctx, shopID, id)
		if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			return p, err
		}
	}
	var ids []int64
	if err := db.scoped(ctx, shopID, &productRow{}).Where("handle = ?", ref).
		Order("platform_id").Limit(1).Pluck("platform_id", &ids).Error; err != nil {
		return ritorno.Product{}, translate(err, "product")
	}
	if len(ids) == 0 {
		if err := db.scoped(ctx, shopID, &variantRow{}).Where("sku = ?", ref).
			Order("product_platform_id").Limit(1).Pluck("product_platform_id", &ids).Error; err != nil {
			return ritorno.Product{}, translate(err, "product")
		}
	}
	if len(ids) == 0 {
		return ritorno.Product{}, ritorno.Errorf(ritorno.ENOTFOUND, "product not found by id, handle or SKU")
	}
	return db.Product(ctx, shopID, ids[0])
}

// ProductSold reports whether any of the shop's order lines is of the product: a product
// can be known from sales before (or without) its catalog entry.
func (db *DB) ProductSold(ctx context.Context, shopID, productID int64) (bool, error) {
	var ids []int64
	if err := db.scoped(ctx, shopID, &lineItemRow{}).Where("product_platform_id = ?", productID).
		Limit(1).Pluck("product_platform_id", &ids).Error; err != nil {
		return false, translate(err, "order lines")
	}
	return len(ids) > 0, nil
}

// ListProducts returns up to limit products (with variants) with a platform id above after.
func (db *DB) ListProducts(ctx context.Context, shopID, after int64, limit int) ([]ritorno.Product, error) {
	var rows []productRow
	if err := db.scoped(ctx, shopID, &productRow{}).Where("platform_id > ?", after).
		Order("platform_id").Limit(pageSize(limit)).Find(&rows).Error; err != nil {
		return nil, translate(err, "products")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.PlatformID
	}
	var variants []variantRow
	if err := db.scoped(ctx, shopID, &variantRow{}).Where("product_platform_id IN ?", ids).
		Order("position, platform_id").Find(&variants).Error; err != nil {
		return nil, translate(err, "product variants")
	}
	byProduct := map[int64][]variantRow{}
	for _, v := range variants {
		byProduct[v.ProductPlatformID] = append(byProduct[v.ProductPlatformID], v)
	}
	out := make([]ritorno.Product, len(rows))
	for i, r := range rows {
		out[i] = productFromRows(r, byProduct[r.PlatformID])
	}
	return out, nil
}

// UpsertOrder stores an order with its line items and refunds (replacing the stored ones)
// unless a newer version is stored already. It is UpsertOrders for one order.
func (db *DB) UpsertOrder(ctx context.Context, shopID int64, o ritorno.Order) (applied bool, err error) {
	written, err := db.UpsertOrders(ctx, shopID, []ritorno.Order{o})
	if err != nil {
		return false, err
	}
	return written[0].Applied(), nil
}

// createAll inserts rows in batches; an empty slice is a no-op (gorm refuses it).
func createAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, 500).Error
}

// Order returns the shop's order with the platform id, with line items and refunds.
func (db *DB) Order(ctx context.Context, shopID, platformID int64) (ritorno.Order, error) {
	var row orderRow
	if err := db.scoped(ctx, shopID, &orderRow{}).Where("platform_id = ?", platformID).Take(&row).Error; err != nil {
		return ritorno.Order{}, translate(err, "order")
	}
	orders, err := db.withOrderChildren(ctx, shopID, []orderRow{row})
	if err != nil {
		return ritorno.Order{}, err
	}
	return orders[0], nil
}

// OrderFilter narrows ListOrders.
type OrderFilter struct {
	// Buyer, when its Kind is set, keeps only that buyer's orders (a customer's by id, a
	// guest's by e-mail hash).
	Buyer ritorno.Buyer
	After int64 // keyset paging: platform ids above this
	Limit int   // at most this many (default and maximum 1000)
}

// ListOrders returns the shop's orders matching the filter, in platform id order.
func (db *DB) ListOrders(ctx context.Context, shopID int64, f OrderFilter) ([]ritorno.Order, error) {
	q := db.scoped(ctx, shopID, &orderRow{}).Where("platform_id > ?", f.After)
	switch f.Buyer.Kind {
	case ritorno.BuyerCustomer:
		q = q.Where("customer_platform_id = ?", f.Buyer.CustomerPlatformID)
	case ritorno.BuyerGuest:
		q = q.Where("buyer_kind = ? AND email_hash = ?", string(ritorno.BuyerGuest), f.Buyer.EmailHash)
	case "":
	default:
		return nil, ritorno.Errorf(ritorno.EINVALID, "cannot list orders of buyer kind %q", f.Buyer.Kind)
	}
	var rows []orderRow
	if err := q.Order("platform_id").Limit(pageSize(f.Limit)).Find(&rows).Error; err != nil {
		return nil, translate(err, "orders")
	}
	return db.withOrderChildren(ctx, shopID, rows)
}

// withOrderChildren loads line items and refunds for a page of orders in three queries.
func (db *DB) withOrderChildren(ctx context.Context, shopID int64, rows []orderRow) ([]ritorno.Order, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.PlatformID
	}
	var lines []lineItemRow
	var refunds []refundRow
	var refundLines []refundLineItemRow
	for _, load := range []struct {
		dst   any
		order string
	}{
		{&lines, "order_platform_id, id"},
		{&refunds, "order_platform_id, platform_id"},
		{&refundLines, "order_platform_id, refund_platform_id, id"},
	} {
		if err := db.gorm.WithContext(ctx).Scopes(shopScope(shopID)).Where("order_platform_id IN ?", ids).
			Order(load.order).Find(load.dst).Error; err != nil {
			return nil, translate(err, "order details")
		}
	}
	linesBy := map[int64][]lineItemRow{}
	for _, l := range lines {
		linesBy[l.OrderPlatformID] = append(linesBy[l.OrderPlatformID], l)
	}
	refundsBy := map[int64][]refundRow{}
	for _, r := range refunds {
		refundsBy[r.OrderPlatformID] = append(refundsBy[r.OrderPlatformID], r)
	}
	refundLinesBy := map[int64][]refundLineItemRow{}
	for _, rl := range refundLines {
		refundLinesBy[rl.OrderPlatformID] = append(refundLinesBy[rl.OrderPlatformID], rl)
	}
	out := make([]ritorno.Order, len(rows))
	for i, r := range rows {
		out[i] = orderFromRows(r, linesBy[r.PlatformID], refundsBy[r.PlatformID], refundLinesBy[r.PlatformID])
	}
	return out, nil
}

const maxPage = 1000

func pageSize(limit int) int {
	if limit <= 0 || limit > maxPage {
		return maxPage
	}
	return limit
}
