package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/woocommerce"
)

// ritorno shops add: connect a shop, its details read from the platform.

// shopsAdd connects a shop; net is how the platform is reached (fakes in tests).
func shopsAdd(ctx context.Context, db *store.DB, cfg Config, net platformHTTP, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops add")
	var a shopAddFlags
	fs.StringVar(&a.platform, "platform", "", "shopify or woocommerce")
	fs.StringVar(&a.domain, "domain", "", "Shopify: NAME.myshopify.com")
	fs.StringVar(&a.accessToken, "access-token", "", "Shopify: Admin API access token of a custom app")
	fs.StringVar(&a.scopes, "scopes", "", "Shopify: the token's granted scopes, comma-separated")
	fs.StringVar(&a.storeURL, "url", "", "WooCommerce: the site's https URL")
	fs.StringVar(&a.consumerKey, "consumer-key", "", "WooCommerce: REST API consumer key (ck_…)")
	fs.StringVar(&a.consumerSecret, "consumer-secret", "", "WooCommerce: REST API consumer secret (cs_…)")
	fs.StringVar(&a.webhookSecret, "webhook-secret", "", "WooCommerce: the secret its webhooks are signed with")
	fs.BoolVar(&a.allowHTTP, "allow-http", false, "WooCommerce: accept a plain http URL (local test stores only)")
	fs.StringVar(&a.name, "name", "", "display name (default: the domain)")
	noBackfill := fs.Bool("no-backfill", false, "do not import the shop's past from the platform")
	fs.StringVar(&a.currency, "currency", "", "the shop's currency, ISO 4217, when the platform cannot be read (required then)")
	fs.StringVar(&a.timezone, "timezone", "UTC", "the shop's IANA time zone, e.g. Europe/Rome, when the platform cannot be read")
	if err := parseFlags(ctx, fs, args, stdout, shopsUsage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("shops add: unexpected argument %q", fs.Arg(0))
	}
	p, err := ritorno.ParsePlatformName(a.platform)
	if err != nil {
		return usageErrorf("shops add: --platform must be shopify or woocommerce")
	}
	in := bufio.NewReader(stdin)
	for _, secret := range []*string{&a.accessToken, &a.consumerKey, &a.consumerSecret, &a.webhookSecret} {
		if *secret == "-" {
			line, err := in.ReadString('\n')
			if err != nil && line == "" {
				return usageErrorf("shops add: expected a secret on standard input")
			}
			*secret = strings.TrimSpace(line)
		}
	}
	shop, creds, err := a.shop(p, time.Now().UTC())
	if err != nil {
		return err
	}
	if _, err := db.ShopByDomain(ctx, shop.Platform, shop.Domain); err == nil {
		return ritorno.Errorf(ritorno.ECONFLICT, "shop %s already exists", shop.Domain) // as CreateShop would say, without a call to the platform
	} else if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		return err
	}
	if err := shopDetailsFromPlatform(ctx, cfg, net, a.allowHTTP, &shop, creds, stdout); err != nil {
		return err
	}
	if shop.Name == "" {
		shop.Name = shop.Domain
	}
	created, err := db.CreateShop(ctx, shop, creds)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added shop %d: %s %s\n", created.ID, created.Platform, created.Domain)
	if created.Platform == ritorno.WooCommerce {
		fmt.Fprintf(stdout, "webhook delivery URL: %s/webhooks/woocommerce/%s\n", cfg.AppURL, created.ConnectionKey)
	}
	if !*noBackfill {
		if _, err := db.StartBackfill(ctx, created.ID); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "history import scheduled: ritorno serve runs it; follow it with ritorno shops show")
	}
	return nil
}

// shopAddFlags is what shops add is told about the shop.
type shopAddFlags struct {
	platform, domain, accessToken, scopes                string // Shopify
	storeURL, consumerKey, consumerSecret, webhookSecret string // WooCommerce
	name, currency, timezone                             string
	allowHTTP                                            bool
}

// shop is the shop and credentials the flags describe, checked before the platform is
// called: no request goes to a host that is not a shop, and a mistyped --currency is an
// error even when the platform would have answered.
func (a shopAddFlags) shop(p ritorno.PlatformName, now time.Time) (ritorno.Shop, ritorno.ShopCredentials, error) {
	shop := ritorno.Shop{Platform: p, Name: a.name, Status: ritorno.ShopInstalled, Currency: a.currency,
		Timezone: a.timezone, InstalledAt: now}
	var creds ritorno.ShopCredentials
	switch p {
	case ritorno.Shopify:
		if a.storeURL != "" || a.consumerKey != "" || a.consumerSecret != "" || a.webhookSecret != "" {
			return shop, creds, usageErrorf("shops add: --url and the WooCommerce keys are for --platform woocommerce")
		}
		if a.domain == "" || a.accessToken == "" {
			return shop, creds, usageErrorf("shops add: Shopify needs --domain and --access-token")
		}
		shop.Domain = strings.ToLower(strings.TrimSpace(a.domain))
		creds = ritorno.ShopCredentials{AccessToken: a.accessToken, Scopes: a.scopes}
	case ritorno.WooCommerce:
		if a.domain != "" || a.accessToken != "" {
			return shop, creds, usageErrorf("shops add: --domain and --access-token are for --platform shopify")
		}
		if a.storeURL == "" || a.consumerKey == "" || a.consumerSecret == "" || a.webhookSecret == "" {
			return shop, creds, usageErrorf("shops add: WooCommerce needs --url, --consumer-key, --consumer-secret and --webhook-secret")
		}
		normalized, err := ritorno.NormalizeStoreURL(a.storeURL, a.allowHTTP)
		if err != nil {
			return shop, creds, err
		}
		shop.Domain = normalized
		if shop.ConnectionKey, err = newConnectionKey(); err != nil {
			return shop, creds, err
		}
		creds = ritorno.ShopCredentials{ConsumerKey: a.consumerKey, ConsumerSecret: a.consumerSecret, WebhookSecret: a.webhookSecret}
	}
	if err := ritorno.ValidateShopifyDomain(shop.Domain); p == ritorno.Shopify && err != nil {
		return shop, creds, err
	}
	if shop.Currency = strings.ToUpper(strings.TrimSpace(shop.Currency)); shop.Currency != "" {
		if err := ritorno.ValidateCurrency(shop.Currency); err != nil {
			return shop, creds, err
		}
	}
	if _, err := time.LoadLocation(shop.Timezone); err != nil || shop.Timezone == "" {
		return shop, creds, ritorno.Errorf(ritorno.EINVALID, "--timezone is not an IANA time zone name (e.g. Europe/Rome)")
	}
	return shop, creds, nil
}

// platformReadTimeout bounds reading a shop's details while adding it: an operator waits.
const platformReadTimeout = 20 * time.Second

// shopDetailsFromPlatform sets the shop's currency and time zone (and its name, unless
// --name gave one) from the platform, as the install does. When the platform cannot be
// read (wrong credentials, no network, a store not reachable from here), the operator's
// --currency is required: a shop's amounts are never labelled with a guessed currency.
// Taking it from the first import instead was rejected: webhooks or a backfill may come
// first, and a currency that depends on which file came first is not a decision anyone made.
func shopDetailsFromPlatform(ctx context.Context, cfg Config, net platformHTTP, allowHTTP bool, shop *ritorno.Shop, creds ritorno.ShopCredentials, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, platformReadTimeout)
	defer cancel()
	var d app.ShopDetails
	var err error
	platform := "Shopify"
	switch shop.Platform {
	case ritorno.Shopify:
		auth := newShopifyAuth(cfg, net)
		c := auth.graphQL(shop.Domain, func(context.Context) (string, error) { return creds.AccessToken, nil })
		c.MaxRetries = 1 // an operator is waiting: one retry, not the backfill's patience
		var sd shopify.ShopDetails
		sd, err = shopify.ReadShopDetails(ctx, c)
		d = app.ShopDetails{Name: sd.Name, Currency: sd.Currency, Timezone: sd.Timezone}
	case ritorno.WooCommerce:
		platform = "WooCommerce"
		var c *woocommerce.Client
		c, err = wooConnector{allowHTTP: allowHTTP || cfg.WooAllowHTTP, allowPrivate: cfg.WooAllowPrivate, net: net}.client(shop.Domain, creds.ConsumerKey, creds.ConsumerSecret)
		if err == nil {
			c.MaxRetries = 1
			d.Name, d.Currency, d.Timezone, err = c.StoreDetails(ctx)
		}
	}
	given := shop.Currency // validated by the caller, or empty
	if err != nil {
		if given == "" {
			return usageErrorf("shops add: the shop's currency could not be read from %s (%s): give it with --currency CODE (ISO 4217)",
				platform, ritorno.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "could not read the shop's details from %s (%s): currency %s from --currency, time zone %s\n",
			platform, ritorno.ErrorMessage(err), shop.Currency, shop.Timezone)
		return nil
	}
	if given != "" && given != d.Currency {
		fmt.Fprintf(stdout, "%s says the shop's currency is %s: --currency %s is not used\n", platform, d.Currency, given)
	}
	shop.Currency, shop.Timezone = d.Currency, d.Timezone
	if shop.Name == "" {
		shop.Name = d.Name
	}
	fmt.Fprintf(stdout, "currency %s and time zone %s read from %s\n", shop.Currency, shop.Timezone, platform)
	return nil
}

// newConnectionKey makes the random key of a WooCommerce shop's webhook URL.
func newConnectionKey() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
