// The catalog: product and variant rows and their converters, upserts, lookups (by id,
// SKU or handle) and tombstones.

package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ritorno/ritorno"
)

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

// productColumns are the product columns an upsert writes.
var productColumns = []string{"title", "handle", "product_type", "vendor", "tags", "collections", "status",
	"published_at", "image_url", "platform_created_at", "platform_updated_at", "deleted_at", "updated_at"}

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

// UpsertProducts stores products with their variants as UpsertProduct does, in one
// transaction, and reports what each write did.
func (db *DB) UpsertProducts(ctx context.Context, shopID int64, products []ritorno.Product) ([]ritorno.Write, error) {
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.PlatformID
	}
	return db.upsertEach(ctx, shopID, &productRow{}, ids, func(db *DB, i int) (bool, error) {
		return db.UpsertProduct(ctx, shopID, products[i])
	})
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

// MarkProductDeleted is MarkOrderDeleted for products.
func (db *DB) MarkProductDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error {
	return db.markDeleted(ctx, shopID, "products", platformID, at, func(shopRow) any {
		return &productRow{ShopID: shopID, PlatformID: platformID, Status: string(ritorno.ProductArchived), Tags: "[]", Collections: "[]"}
	})
}
