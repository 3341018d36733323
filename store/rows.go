package store

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/ritorno/ritorno"
)

// Row structs mirror migrations/*/0001_init.sql. They never leave this package: callers get
// domain types from the converters below.

type shopRow struct {
	ID            int64 `gorm:"primaryKey"`
	Platform      string
	Domain        string
	Name          string
	Status        string
	Currency      string
	Timezone      string
	ConnectionKey sql.NullString
	InstalledAt   sql.NullTime
	UninstalledAt sql.NullTime
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (shopRow) TableName() string { return "shops" }

type shopCredentialsRow struct {
	ShopID                int64 `gorm:"primaryKey;autoIncrement:false"`
	AccessTokenSealed     string
	AccessTokenExpiresAt  sql.NullTime
	RefreshTokenSealed    string
	RefreshTokenExpiresAt sql.NullTime
	Scopes                string
	ConsumerKeySealed     string
	ConsumerSecretSealed  string
	WebhookSecretSealed   string
	UpdatedAt             time.Time
}

func (shopCredentialsRow) TableName() string { return "shop_credentials" }

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

type productRow struct {
	ID                int64 `gorm:"primaryKey"`
	ShopID            int64
	PlatformID        int64
	Title             string
	Handle            string
	ProductType       string
	Vendor            string
	Tags              string
	Collections       string
	Status            string
	PublishedAt       sql.NullTime
	ImageURL          string `gorm:"column:image_url"`
	PlatformCreatedAt sql.NullTime
	PlatformUpdatedAt sql.NullTime
	DeletedAt         sql.NullTime
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (productRow) TableName() string { return "products" }

type variantRow struct {
	ID                  int64 `gorm:"primaryKey"`
	ShopID              int64
	ProductPlatformID   int64
	PlatformID          int64
	Title               string
	SKU                 string `gorm:"column:sku"`
	Position            int64
	Currency            string
	PriceMinor          int64
	CompareAtPriceMinor int64
	InventoryTracked    bool
	InventoryQuantity   int64
	ContinueSelling     bool
	GiftCard            bool
}

func (variantRow) TableName() string { return "variants" }

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

// nullTime stores the zero time as NULL, in UTC at PostgreSQL's microsecond precision so
// that both dialects give back the same instant.
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // a []string always marshals
	return string(b)
}

func decodeList(s string) []string {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil || len(list) == 0 {
		return nil
	}
	return list
}

func shopToRow(s ritorno.Shop) shopRow {
	return shopRow{
		ID:            s.ID,
		Platform:      string(s.Platform),
		Domain:        s.Domain,
		Name:          s.Name,
		Status:        string(s.Status),
		Currency:      s.Currency,
		Timezone:      s.Timezone,
		ConnectionKey: nullString(s.ConnectionKey),
		InstalledAt:   nullTime(s.InstalledAt),
		UninstalledAt: nullTime(s.UninstalledAt),
		CreatedAt:     s.CreatedAt,
		UpdatedAt:     s.UpdatedAt,
	}
}

func shopFromRow(r shopRow) ritorno.Shop {
	return ritorno.Shop{
		ID:            r.ID,
		Platform:      ritorno.PlatformName(r.Platform),
		Domain:        r.Domain,
		Name:          r.Name,
		Status:        ritorno.ShopStatus(r.Status),
		Currency:      r.Currency,
		Timezone:      r.Timezone,
		ConnectionKey: r.ConnectionKey.String,
		InstalledAt:   fromNullTime(r.InstalledAt),
		UninstalledAt: fromNullTime(r.UninstalledAt),
		CreatedAt:     r.CreatedAt.UTC(),
		UpdatedAt:     r.UpdatedAt.UTC(),
	}
}

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

func productToRows(shopID int64, p ritorno.Product) (productRow, []variantRow) {
	row := productRow{
		ShopID:            shopID,
		PlatformID:        p.PlatformID,
		Title:             p.Title,
		Handle:            p.Handle,
		ProductType:       p.ProductType,
		Vendor:            p.Vendor,
		Tags:              encodeList(p.Tags),
		Collections:       encodeList(p.Collections),
		Status:            string(p.Status),
		PublishedAt:       nullTime(p.PublishedAt),
		ImageURL:          p.ImageURL,
		PlatformCreatedAt: nullTime(p.PlatformCreatedAt),
		PlatformUpdatedAt: nullTime(p.PlatformUpdatedAt),
		DeletedAt:         nullTime(p.DeletedAt),
	}
	variants := make([]variantRow, 0, len(p.Variants))
	for _, v := range p.Variants {
		variants = append(variants, variantRow{
			ShopID:              shopID,
			ProductPlatformID:   p.PlatformID,
			PlatformID:          v.PlatformID,
			Title:               v.Title,
			SKU:                 v.SKU,
			Position:            int64(v.Position),
			Currency:            v.Price.Currency,
			PriceMinor:          v.Price.Amount,
			CompareAtPriceMinor: v.CompareAtPrice.Amount,
			InventoryTracked:    v.InventoryTracked,
			InventoryQuantity:   v.InventoryQuantity,
			ContinueSelling:     v.ContinueSellingWhenOutOfStock,
			GiftCard:            v.GiftCard,
		})
	}
	return row, variants
}

func productFromRows(r productRow, variants []variantRow) ritorno.Product {
	p := ritorno.Product{
		ShopID:            r.ShopID,
		PlatformID:        r.PlatformID,
		Title:             r.Title,
		Handle:            r.Handle,
		ProductType:       r.ProductType,
		Vendor:            r.Vendor,
		Tags:              decodeList(r.Tags),
		Collections:       decodeList(r.Collections),
		Status:            ritorno.ProductStatus(r.Status),
		PublishedAt:       fromNullTime(r.PublishedAt),
		ImageURL:          r.ImageURL,
		PlatformCreatedAt: fromNullTime(r.PlatformCreatedAt),
		PlatformUpdatedAt: fromNullTime(r.PlatformUpdatedAt),
		DeletedAt:         fromNullTime(r.DeletedAt),
	}
	for _, v := range variants {
		p.Variants = append(p.Variants, ritorno.Variant{
			PlatformID:                    v.PlatformID,
			Title:                         v.Title,
			SKU:                           v.SKU,
			Position:                      int(v.Position),
			Price:                         ritorno.Money{Amount: v.PriceMinor, Currency: v.Currency},
			CompareAtPrice:                ritorno.Money{Amount: v.CompareAtPriceMinor, Currency: v.Currency},
			InventoryTracked:              v.InventoryTracked,
			InventoryQuantity:             v.InventoryQuantity,
			ContinueSellingWhenOutOfStock: v.ContinueSelling,
			GiftCard:                      v.GiftCard,
		})
	}
	return p
}

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
