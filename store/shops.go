// Shops: a shop's row and its sealed credentials, its currency, and its life from
// install to uninstall, reinstall and deletion.

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno"
)

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

// CreateShop stores a new shop with its credentials (sealed) in one transaction and
// returns it with its id. A shop with the same platform and domain is a conflict.
func (db *DB) CreateShop(ctx context.Context, shop ritorno.Shop, creds ritorno.ShopCredentials) (ritorno.Shop, error) {
	if err := shop.Validate(); err != nil {
		return ritorno.Shop{}, err
	}
	now := db.now()
	shop.ID, shop.CreatedAt, shop.UpdatedAt = 0, now, now
	row := shopToRow(shop)
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return translate(err, fmt.Sprintf("shop %s", shop.Domain))
		}
		credRow, err := db.sealCredentials(row.ID, creds)
		if err != nil {
			return err
		}
		if err := tx.Create(&credRow).Error; err != nil {
			return translate(err, "shop credentials")
		}
		// Deliveries that arrived before the shop was connected are processed now.
		return translate(releaseParked(tx, row, now), "parked deliveries")
	})
	if err != nil {
		return ritorno.Shop{}, err
	}
	return shopFromRow(row), nil
}

// SetShopCurrency corrects a shop's currency (ISO 4217). Stored orders keep their own
// currency: from now on the figures count the orders in the new one and report the
// others apart. The shop's insights, computed in the old currency, go in the same
// transaction, so that no reader labels their sums with the new code; the scheduler
// (or ritorno analytics --compute) computes them again.
func (db *DB) SetShopCurrency(ctx context.Context, shopID int64, currency string) (ritorno.Shop, error) {
	if err := ritorno.ValidateCurrency(currency); err != nil {
		return ritorno.Shop{}, err
	}
	var row shopRow
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", shopID).Take(&row).Error; err != nil {
			return err
		}
		if row.Currency == currency {
			return nil
		}
		row.Currency, row.UpdatedAt = currency, db.now()
		if err := tx.Model(&shopRow{}).Where("id = ?", shopID).Updates(map[string]any{"currency": currency, "updated_at": row.UpdatedAt}).Error; err != nil {
			return err
		}
		if err := tx.Scopes(shopScope(shopID)).Delete(&customerInsightRow{}).Error; err != nil {
			return err
		}
		return tx.Scopes(shopScope(shopID)).Delete(&shopInsightRow{}).Error
	})
	if err != nil {
		return ritorno.Shop{}, translate(err, "shop")
	}
	return shopFromRow(row), nil
}

// Shop returns the shop with the id.
func (db *DB) Shop(ctx context.Context, shopID int64) (ritorno.Shop, error) {
	var row shopRow
	err := db.gorm.WithContext(ctx).Where("id = ?", shopID).Take(&row).Error
	return shopFromRow(row), translate(err, "shop")
}

// ShopByDomain finds a shop by its platform and domain (Shopify) or URL (WooCommerce).
func (db *DB) ShopByDomain(ctx context.Context, platform ritorno.PlatformName, domain string) (ritorno.Shop, error) {
	if !lookupText(domain) {
		return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
	}
	var row shopRow
	err := db.gorm.WithContext(ctx).Where("platform = ? AND domain = ?", string(platform), domain).Take(&row).Error
	return shopFromRow(row), translate(err, fmt.Sprintf("shop %s", domain))
}

// ShopByConnectionKey finds the WooCommerce shop whose webhook URL carries key.
func (db *DB) ShopByConnectionKey(ctx context.Context, key string) (ritorno.Shop, error) {
	if key == "" || !lookupText(key) {
		return ritorno.Shop{}, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
	}
	var row shopRow
	err := db.gorm.WithContext(ctx).Where("connection_key = ?", key).Take(&row).Error
	return shopFromRow(row), translate(err, "shop")
}

// ListShops returns every shop, oldest first.
func (db *DB) ListShops(ctx context.Context) ([]ritorno.Shop, error) {
	var rows []shopRow
	if err := db.gorm.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err, "shops")
	}
	shops := make([]ritorno.Shop, len(rows))
	for i, r := range rows {
		shops[i] = shopFromRow(r)
	}
	return shops, nil
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

// ReinstallShop marks a shop installed again (after an uninstall, or a redaction that
// left only its tombstone). Its credentials are set apart, by SetCredentials.
func (db *DB) ReinstallShop(ctx context.Context, shopID int64, at time.Time) (ritorno.Shop, error) {
	var row shopRow
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&shopRow{}).Where("id = ?", shopID).Updates(map[string]any{
			"status": string(ritorno.ShopInstalled), "installed_at": nullTime(at), "uninstalled_at": nil, "updated_at": db.now(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return tx.Where("id = ?", shopID).Take(&row).Error
	})
	if err != nil {
		return ritorno.Shop{}, translate(err, "shop")
	}
	return shopFromRow(row), nil
}

// DeleteShop removes a shop and, through the schema's cascades, all of its data.
func (db *DB) DeleteShop(ctx context.Context, shopID int64) error {
	return db.transaction(ctx, func(tx *gorm.DB) error {
		if err := deleteShopData(tx, shopID); err != nil {
			return translate(err, "shop data")
		}
		if err := tx.Scopes(shopScope(shopID)).Delete(&deliveryRow{}).Error; err != nil {
			return translate(err, "shop deliveries")
		}
		if err := deleteUnattachedDeliveries(tx, shopID); err != nil {
			return translate(err, "shop deliveries")
		}
		res := tx.Where("id = ?", shopID).Delete(&shopRow{})
		if res.Error != nil {
			return translate(res.Error, "shop")
		}
		if res.RowsAffected == 0 {
			return ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
		}
		return nil
	})
}

// deleteShopData deletes every row of a shop's data, children first and explicitly: it
// must not depend on a connection having SQLite's foreign-key enforcement switched on.
func deleteShopData(tx *gorm.DB, shopID int64) error {
	for _, model := range []any{&refundLineItemRow{}, &refundRow{}, &lineItemRow{}, &orderRow{}, &variantRow{},
		&productRow{}, &customerRow{}, &shopCredentialsRow{}, &dataRequestRow{}, &backfillRow{}, &customerInsightRow{}, &shopInsightRow{},
		&recommendPinRow{}, &recommendControlsRow{}, &storefrontEventRow{}, &erasedEmailRow{}} {
		if err := tx.Scopes(shopScope(shopID)).Delete(model).Error; err != nil {
			return err
		}
	}
	return nil
}

// deleteUnattachedDeliveries deletes the deliveries that name the shop's domain but were
// never attached to it (parked before it was known, ignored topics, refused at receipt):
// an erasure by shop id alone would miss them.
func deleteUnattachedDeliveries(tx *gorm.DB, shopID int64) error {
	var shop shopRow
	if err := tx.Where("id = ?", shopID).Take(&shop).Error; err != nil {
		return err
	}
	return tx.Where("shop_id IS NULL AND platform = ? AND shop_domain = ?", shop.Platform, shop.Domain).Delete(&deliveryRow{}).Error
}

// Credentials returns the shop's secrets, opened.
func (db *DB) Credentials(ctx context.Context, shopID int64) (ritorno.ShopCredentials, error) {
	var row shopCredentialsRow
	if err := db.scoped(ctx, shopID, &shopCredentialsRow{}).Take(&row).Error; err != nil {
		return ritorno.ShopCredentials{}, translate(err, "shop credentials")
	}
	return db.openCredentials(row)
}

// SetCredentials replaces the shop's secrets (or sets them again after a redaction).
func (db *DB) SetCredentials(ctx context.Context, shopID int64, creds ritorno.ShopCredentials) error {
	row, err := db.sealCredentials(shopID, creds)
	if err != nil {
		return err
	}
	return translate(db.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Scopes(shopScope(shopID)).Model(&shopCredentialsRow{}).Select("*").Omit("shop_id").Updates(&row)
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		// No row: shop/redact erased it, and the shop is being installed again.
		if err := tx.Where("id = ?", shopID).Take(&shopRow{}).Error; err != nil {
			return err
		}
		return tx.Create(&row).Error
	}), "shop credentials")
}

// credentialAD binds a sealed value to its shop and field (see package secrets).
func credentialAD(shopID int64, field string) string {
	return "shop:" + strconv.FormatInt(shopID, 10) + ":" + field
}

func (db *DB) sealCredentials(shopID int64, c ritorno.ShopCredentials) (shopCredentialsRow, error) {
	row := shopCredentialsRow{
		ShopID:                shopID,
		AccessTokenExpiresAt:  nullTime(c.AccessTokenExpiresAt),
		RefreshTokenExpiresAt: nullTime(c.RefreshTokenExpiresAt),
		Scopes:                c.Scopes,
		UpdatedAt:             db.now(),
	}
	for _, f := range []struct {
		dst   *string
		plain string
		name  string
	}{
		{&row.AccessTokenSealed, c.AccessToken, "access_token"},
		{&row.RefreshTokenSealed, c.RefreshToken, "refresh_token"},
		{&row.ConsumerKeySealed, c.ConsumerKey, "consumer_key"},
		{&row.ConsumerSecretSealed, c.ConsumerSecret, "consumer_secret"},
		{&row.WebhookSecretSealed, c.WebhookSecret, "webhook_secret"},
	} {
		sealed, err := db.cipher.Seal(f.plain, credentialAD(shopID, f.name))
		if err != nil {
			return shopCredentialsRow{}, fmt.Errorf("seal %s: %w", f.name, err)
		}
		*f.dst = sealed
	}
	return row, nil
}

func (db *DB) openCredentials(row shopCredentialsRow) (ritorno.ShopCredentials, error) {
	c := ritorno.ShopCredentials{
		AccessTokenExpiresAt:  fromNullTime(row.AccessTokenExpiresAt),
		RefreshTokenExpiresAt: fromNullTime(row.RefreshTokenExpiresAt),
		Scopes:                row.Scopes,
	}
	for _, f := range []struct {
		dst    *string
		sealed string
		name   string
	}{
		{&c.AccessToken, row.AccessTokenSealed, "access_token"},
		{&c.RefreshToken, row.RefreshTokenSealed, "refresh_token"},
		{&c.ConsumerKey, row.ConsumerKeySealed, "consumer_key"},
		{&c.ConsumerSecret, row.ConsumerSecretSealed, "consumer_secret"},
		{&c.WebhookSecret, row.WebhookSecretSealed, "webhook_secret"},
	} {
		plain, err := db.cipher.Open(f.sealed, credentialAD(row.ShopID, f.name))
		if err != nil {
			return ritorno.ShopCredentials{}, fmt.Errorf("open %s of shop %d: %w", f.name, row.ShopID, err)
		}
		*f.dst = plain
	}
	return c, nil
}

// lookupText reports whether s can be compared with a text column: PostgreSQL refuses a
// NUL or bytes that are not UTF-8 with an error, where no stored value could match anyway
// (a key from a URL path, say), so such a lookup is "not found", not a failure.
func lookupText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
