package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
)

const adminURLUsage = `Usage: ritorno admin-url --shop SHOP [--ttl DURATION]

Prints a link that opens a shop's admin page (RITORNO_APP_URL/admin) without Shopify: the
demo shop's, a WooCommerce store's, or a Shopify shop's when no Shopify admin is at hand.
The link carries a token for that one shop, signed with a key derived from the encryption
key (RITORNO_ENCRYPTION_KEY, or the key file of the embedded database), so only who holds
that key can make one; the server's admin API accepts it as it accepts a Shopify session
token, until it expires. Whoever has the link sees and changes that shop's admin until
then: share it as you would a password. A new encryption key revokes every link.
--shop takes the shop's id, its domain (Shopify) or its URL (WooCommerce, the demo).
`

// runAdminURL prints a signed admin link for one installed shop.
func runAdminURL(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("admin-url")
	shopArg := fs.String("shop", "", "the shop (id, domain or URL)")
	ttl := fs.Duration("ttl", time.Hour, "how long the link works (at most 24h)")
	if err := parseFlags(ctx, fs, args, stdout, adminURLUsage); err != nil {
		return err
	}
	if *shopArg == "" || fs.NArg() > 0 {
		return usageErrorf("admin-url needs --shop and nothing else (see ritorno admin-url --help)")
	}
	if *ttl <= 0 || *ttl > app.MaxAdminLinkTTL {
		return usageErrorf("admin-url: --ttl must be a positive duration of at most 24h, like 30m or 8h")
	}
	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	if shop.Status != ritorno.ShopInstalled {
		return ritorno.Errorf(ritorno.ECONFLICT, "shop %s is %s: its admin opens only while it is installed", shop.Domain, shop.Status)
	}
	link, expires, err := adminLink(cfg, shop, time.Now(), *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, link)
	fmt.Fprintf(stdout, "valid until %s for %s (%s)\n", expires.UTC().Format(time.RFC3339), shop.Domain, shop.Platform)
	return nil
}

// adminLink signs the admin page's link for shop; the encryption key must be resolved.
func adminLink(cfg Config, shop ritorno.Shop, now time.Time, ttl time.Duration) (string, time.Time, error) {
	token, err := app.SignAdminLink(cfg.stateKey(), shop.Platform, shop.Domain, now, ttl)
	if err != nil {
		return "", time.Time{}, err
	}
	return app.AdminLinkURL(cfg.AppURL, token), now.Add(ttl), nil
}
