// Orders: the rows of an order, its line items, refunds and refund lines, with their
// converters; the single upsert, the reads, refunds and tombstones. The batch upsert is
// orders_batch.go, its PostgreSQL COPY path orders_copy.go, the guest merge buyers.go.

package store

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

type orderRow struct {
	ID                  int64 `gorm:"primaryKey"`
	ShopID              int64
	PlatformID          int64
	Name                string
	BuyerKind           string
	CustomerPlatformID  int64
	EmailHash           string
	Currency            string
	PresentmentCurrency string
	SubtotalMinor       int64
	TotalDiscountsMinor int64
	TotalTaxMinor       int64
	TotalShippingMinor  int64
	TotalMinor          int64
	RefundedMinor       int64
	FinancialStatus     string
	FulfillmentStatus   string
	SourceName          string
	Test                bool
	Tags                string
	PlatformCreatedAt   sql.NullTime
	ProcessedAt         sql.NullTime
	CancelledAt         sql.NullTime
	CancelReason        string
	PlatformUpdatedAt   sql.NullTime
	DeletedAt           sql.NullTime
	RedactedAt          sql.NullTime // erased on request: a tombstone for its e-mail hash
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (orderRow) TableName() string { return "orders" }

type lineItemRow struct {
	ID                 int64 `gorm:"primaryKey"`
	ShopID             int64
	OrderPlatformID    int64
	PlatformID         int64
	ProductPlatformID  int64
	VariantPlatformID  int64
	Title              string
	VariantTitle       string
	SKU                string `gorm:"column:sku"`
	Vendor             string
	Quantity           int64
	PriceMinor         int64
	TotalDiscountMinor int64
	GiftCard           bool
}

func (lineItemRow) TableName() string { return "line_items" }

type refundRow struct {
	ID                int64 `gorm:"primaryKey"`
	ShopID            int64
	OrderPlatformID   int64
	PlatformID        int64
	PlatformCreatedAt sql.NullTime
	ProcessedAt       sql.NullTime
	AmountMinor       int64
	Note              string
}

func (refundRow) TableName() string { return "refunds" }

type refundLineItemRow struct {
	ID                 int64 `gorm:"primaryKey"`
	ShopID             int64
	OrderPlatformID    int64
	RefundPlatformID   int64
	LineItemPlatformID int64
	Quantity           int64
	SubtotalMinor      int64
}

func (refundLineItemRow) TableName() string { return "refund_line_items" }

func orderToRows(shopID int64, o ritorno.Order) (orderRow, []lineItemRow, []refundRow, []refundLineItemRow) {
	row := orderRow{
		ShopID:              shopID,
		PlatformID:          o.PlatformID,
		Name:                o.Name,
		BuyerKind:           string(o.Buyer.Kind),
		CustomerPlatformID:  o.Buyer.CustomerPlatformID,
		EmailHash:           o.Buyer.EmailHash,
		Currency:            o.Currency,
		PresentmentCurrency: o.PresentmentCurrency,
		SubtotalMinor:       o.Subtotal.Amount,
		TotalDiscountsMinor: o.TotalDiscounts.Amount,
		TotalTaxMinor:       o.TotalTax.Amount,
		TotalShippingMinor:  o.TotalShipping.Amount,
		TotalMinor:          o.Total.Amount,
		RefundedMinor:       o.RefundedAmount.Amount,
		FinancialStatus:     string(o.FinancialStatus),
		FulfillmentStatus:   o.FulfillmentStatus,
		SourceName:          o.SourceName,
		Test:                o.Test,
		Tags:                encodeList(o.Tags),
		PlatformCreatedAt:   nullTime(o.PlatformCreatedAt),
		ProcessedAt:         nullTime(o.ProcessedAt),
		CancelledAt:         nullTime(o.CancelledAt),
		CancelReason:        o.CancelReason,
		PlatformUpdatedAt:   nullTime(o.PlatformUpdatedAt),
		DeletedAt:           nullTime(o.DeletedAt),
	}
	lines := make([]lineItemRow, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		lines = append(lines, lineItemRow{
			ShopID:             shopID,
			OrderPlatformID:    o.PlatformID,
			PlatformID:         li.PlatformID,
			ProductPlatformID:  li.ProductPlatformID,
			VariantPlatformID:  li.VariantPlatformID,
			Title:              li.Title,
			VariantTitle:       li.VariantTitle,
			SKU:                li.SKU,
			Vendor:             li.Vendor,
			Quantity:           li.Quantity,
			PriceMinor:         li.Price.Amount,
			TotalDiscountMinor: li.TotalDiscount.Amount,
			GiftCard:           li.GiftCard,
		})
	}
	var refunds []refundRow
	var refundLines []refundLineItemRow
	for _, r := range o.Refunds {
		refunds = append(refunds, refundRow{
			ShopID:            shopID,
			OrderPlatformID:   o.PlatformID,
			PlatformID:        r.PlatformID,
			PlatformCreatedAt: nullTime(r.CreatedAt),
			ProcessedAt:       nullTime(r.ProcessedAt),
			AmountMinor:       r.Amount.Amount,
			Note:              r.Note,
		})
		for _, rl := range r.LineItems {
			refundLines = append(refundLines, refundLineItemRow{
				ShopID:             shopID,
				OrderPlatformID:    o.PlatformID,
				RefundPlatformID:   r.PlatformID,
				LineItemPlatformID: rl.LineItemPlatformID,
				Quantity:           rl.Quantity,
				SubtotalMinor:      rl.Subtotal.Amount,
			})
		}
	}
	return row, lines, refunds, refundLines
}

func orderFromRows(r orderRow, lines []lineItemRow, refunds []refundRow, refundLines []refundLineItemRow) ritorno.Order {
	money := func(amount int64) ritorno.Money { return ritorno.Money{Amount: amount, Currency: r.Currency} }
	o := ritorno.Order{
		ShopID:     r.ShopID,
		PlatformID: r.PlatformID,
		Name:       r.Name,
		Buyer: ritorno.Buyer{
			Kind:               ritorno.BuyerKind(r.BuyerKind),
			CustomerPlatformID: r.CustomerPlatformID,
			EmailHash:          r.EmailHash,
		},
		Currency:            r.Currency,
		PresentmentCurrency: r.PresentmentCurrency,
		Subtotal:            money(r.SubtotalMinor),
		TotalDiscounts:      money(r.TotalDiscountsMinor),
		TotalTax:            money(r.TotalTaxMinor),
		TotalShipping:       money(r.TotalShippingMinor),
		Total:               money(r.TotalMinor),
		RefundedAmount:      money(r.RefundedMinor),
		FinancialStatus:     ritorno.FinancialStatus(r.FinancialStatus),
		FulfillmentStatus:   r.FulfillmentStatus,
		SourceName:          r.SourceName,
		Test:                r.Test,
		Tags:                decodeList(r.Tags),
		PlatformCreatedAt:   fromNullTime(r.PlatformCreatedAt),
		ProcessedAt:         fromNullTime(r.ProcessedAt),
		CancelledAt:         fromNullTime(r.CancelledAt),
		CancelReason:        r.CancelReason,
		PlatformUpdatedAt:   fromNullTime(r.PlatformUpdatedAt),
		DeletedAt:           fromNullTime(r.DeletedAt),
	}
	for _, li := range lines {
		o.LineItems = append(o.LineItems, ritorno.LineItem{
			PlatformID:        li.PlatformID,
			ProductPlatformID: li.ProductPlatformID,
			VariantPlatformID: li.VariantPlatformID,
			Title:             li.Title,
			VariantTitle:      li.VariantTitle,
			SKU:               li.SKU,
			Vendor:            li.Vendor,
			Quantity:          li.Quantity,
			Price:             money(li.PriceMinor),
			TotalDiscount:     money(li.TotalDiscountMinor),
			GiftCard:          li.GiftCard,
		})
	}
	byRefund := map[int64][]ritorno.RefundLineItem{}
	for _, rl := range refundLines {
		byRefund[rl.RefundPlatformID] = append(byRefund[rl.RefundPlatformID], ritorno.RefundLineItem{
			LineItemPlatformID: rl.LineItemPlatformID,
			Quantity:           rl.Quantity,
			Subtotal:           money(rl.SubtotalMinor),
		})
	}
	o.RefundsComplete = true // the stored list is the whole list Ritorno knows
	for _, rf := range refunds {
		o.Refunds = append(o.Refunds, ritorno.Refund{
			PlatformID:  rf.PlatformID,
			CreatedAt:   fromNullTime(rf.PlatformCreatedAt),
			ProcessedAt: fromNullTime(rf.ProcessedAt),
			Amount:      money(rf.AmountMinor),
			Note:        rf.Note,
			LineItems:   byRefund[rf.PlatformID],
		})
	}
	return o
}

// orderColumns are the order columns an upsert writes.
var orderColumns = []string{"name", "buyer_kind", "customer_platform_id", "email_hash", "currency",
	"presentment_currency", "subtotal_minor", "total_discounts_minor", "total_tax_minor",
	"total_shipping_minor", "total_minor", "refunded_minor", "financial_status", "fulfillment_status",
	"source_name", "test", "tags", "platform_created_at", "processed_at", "cancelled_at",
	"cancel_reason", "platform_updated_at", "deleted_at", "redacted_at", "updated_at"}

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

var (
	orderWriter = rowWriter[orderRow]{
		table: "orders",
		columns: []string{"shop_id", "platform_id", "name", "buyer_kind", "customer_platform_id", "email_hash",
			"currency", "presentment_currency", "subtotal_minor", "total_discounts_minor", "total_tax_minor",
			"total_shipping_minor", "total_minor", "refunded_minor", "financial_status", "fulfillment_status",
			"source_name", "test", "tags", "platform_created_at", "processed_at", "cancelled_at", "cancel_reason",
			"platform_updated_at", "deleted_at", "redacted_at", "created_at", "updated_at"},
		values: func(r orderRow) []any {
			return []any{r.ShopID, r.PlatformID, r.Name, r.BuyerKind, r.CustomerPlatformID, r.EmailHash,
				r.Currency, r.PresentmentCurrency, r.SubtotalMinor, r.TotalDiscountsMinor, r.TotalTaxMinor,
				r.TotalShippingMinor, r.TotalMinor, r.RefundedMinor, r.FinancialStatus, r.FulfillmentStatus,
				r.SourceName, r.Test, r.Tags, r.PlatformCreatedAt, r.ProcessedAt, r.CancelledAt, r.CancelReason,
				r.PlatformUpdatedAt, r.DeletedAt, r.RedactedAt, r.CreatedAt, r.UpdatedAt}
		},
	}
	lineItemWriter = rowWriter[lineItemRow]{
		table: "line_items",
		columns: []string{"shop_id", "order_platform_id", "platform_id", "product_platform_id", "variant_platform_id",
			"title", "variant_title", "sku", "vendor", "quantity", "price_minor", "total_discount_minor", "gift_card"},
		values: func(r lineItemRow) []any {
			return []any{r.ShopID, r.OrderPlatformID, r.PlatformID, r.ProductPlatformID, r.VariantPlatformID,
				r.Title, r.VariantTitle, r.SKU, r.Vendor, r.Quantity, r.PriceMinor, r.TotalDiscountMinor, r.GiftCard}
		},
	}
	refundWriter = rowWriter[refundRow]{
		table:   "refunds",
		columns: []string{"shop_id", "order_platform_id", "platform_id", "platform_created_at", "processed_at", "amount_minor", "note"},
		values: func(r refundRow) []any {
			return []any{r.ShopID, r.OrderPlatformID, r.PlatformID, r.PlatformCreatedAt, r.ProcessedAt, r.AmountMinor, r.Note}
		},
	}
	refundLineWriter = rowWriter[refundLineItemRow]{
		table:   "refund_line_items",
		columns: []string{"shop_id", "order_platform_id", "refund_platform_id", "line_item_platform_id", "quantity", "subtotal_minor"},
		values: func(r refundLineItemRow) []any {
			return []any{r.ShopID, r.OrderPlatformID, r.RefundPlatformID, r.LineItemPlatformID, r.Quantity, r.SubtotalMinor}
		},
	}
)

// UpsertOrder stores an order with its line items and refunds (replacing the stored ones)
// unless a newer version is stored already. It is UpsertOrders for one order.
func (db *DB) UpsertOrder(ctx context.Context, shopID int64, o ritorno.Order) (applied bool, err error) {
	written, err := db.UpsertOrders(ctx, shopID, []ritorno.Order{o})
	if err != nil {
		return false, err
	}
	return written[0].Applied(), nil
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

// MarkOrderDeleted records that the platform deleted an order at time at. An order not
// stored yet gets a tombstone, so that an older create arriving late does not revive it.
func (db *DB) MarkOrderDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "orders", platformID, at, func(shop shopRow) any {
		return &orderRow{ShopID: shopID, PlatformID: platformID, BuyerKind: string(ritorno.BuyerUnknown), Currency: shop.Currency}
	})
}
