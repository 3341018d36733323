package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/woocommerce"
)

const shopsUsage = `Usage:
  ritorno shops add --platform shopify --domain NAME.myshopify.com --access-token TOKEN [--scopes S]
  ritorno shops add --platform woocommerce --url https://SHOP --consumer-key ck_… --consumer-secret cs_…
                    --webhook-secret SECRET [--allow-http]
         (either: [--currency CODE] [--timezone ZONE] [--name NAME] [--no-backfill])
  ritorno shops set DOMAIN|URL|ID --currency CODE
  ritorno shops list [--json]
  ritorno shops show DOMAIN|URL|ID [--json]
  ritorno shops backfill DOMAIN|URL|ID
  ritorno shops remove DOMAIN|URL|ID --yes

Connects a store without the install flow (a Shopify custom app's Admin API token, or
WooCommerce REST keys), lists and inspects connected shops, or removes a shop with all of
its data. Adding a shop schedules the import of its past (products, customers, orders),
which the server (ritorno serve) runs; show prints its progress, and backfill starts it
again. The shop's currency and time zone are read from the platform; --currency and
--timezone are used only when the platform cannot be read (then --currency is required:
amounts are never labelled with a guessed currency). set corrects the currency; stored
orders keep their own, and figures count the orders in the shop's currency and report
the others apart. Secrets are stored encrypted and never printed. A secret flag given as "-" is read
from standard input (one line), which keeps it out of the shell history.
`

func runShops(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("shops needs a subcommand: add, set, list, show, backfill or remove")
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprint(stdout, shopsUsage)
		return nil
	}
	if err := subcommand("shops", sub); err != nil {
		return err
	}
	run := map[string]func(context.Context, *store.DB, Config, []string, io.Reader, io.Writer) error{
		"add": func(ctx context.Context, db *store.DB, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
			return shopsAdd(ctx, db, cfg, platformHTTP{}, args, stdin, stdout)
		},
		"set": shopsSet, "list": shopsList, "show": shopsShow, "remove": shopsRemove, "backfill": shopsBackfill,
	}[sub]
	if run == nil {
		return fmt.Errorf("shops %s is in the command table but not dispatched", sub)
	}
	// --help needs no database: the subcommand prints its flags before it would use one.
	if wantsHelp(rest) {
		return run(ctx, nil, cfg, rest, stdin, stdout)
	}
	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return run(ctx, db, cfg, rest, stdin, stdout)
}

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

// shopsSet corrects a shop's currency. Stored orders keep their own currency; the figures
// count the orders in the new one and report the others apart.
func shopsSet(ctx context.Context, db *store.DB, _ Config, args []string, _ io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops set")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id); or give it as the argument")
	currency := fs.String("currency", "", "the shop's currency, ISO 4217 (e.g. GBP)")
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:] // "set SHOP --currency X" (reorderFlags would take X for the shop)
	}
	if err := parseFlags(ctx, fs, args, stdout, shopsUsage); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && target == "":
		target = fs.Arg(0)
	case fs.NArg() > 0:
		return usageErrorf("shops set: unexpected argument %q", fs.Arg(0))
	}
	if *shopArg != "" && target != "" {
		return usageErrorf("shops set: give the shop once, as the argument or with --shop")
	}
	if target += *shopArg; target == "" {
		return usageErrorf("shops set needs one shop (its domain, URL or id) and --currency CODE")
	}
	if *currency == "" {
		return usageErrorf("shops set needs --currency CODE (ISO 4217): the only setting it corrects")
	}
	shop, err := findShop(ctx, db, target)
	if err != nil {
		return err
	}
	code := strings.ToUpper(strings.TrimSpace(*currency))
	if err := ritorno.ValidateCurrency(code); err != nil {
		return err
	}
	if code == shop.Currency {
		fmt.Fprintf(stdout, "shop %s: currency already %s\n", shop.Domain, code)
		return nil
	}
	if _, err := db.SetShopCurrency(ctx, shop.ID, code); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shop %s: currency %s (was %s). Stored orders keep their own currency: figures now count the orders in %s\n"+
		"and report the others apart; the shop's insights are computed again (ritorno serve does it, or ritorno analytics --compute).\n",
		shop.Domain, code, shop.Currency, code)
	return nil
}

func shopsBackfill(ctx context.Context, db *store.DB, _ Config, args []string, _ io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops backfill")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno shops backfill DOMAIN|URL|ID\n\nStarts the import of a shop's past again (ritorno serve runs it).\n"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("shops backfill needs one shop: its domain, URL or id")
	}
	shop, err := findShop(ctx, db, fs.Arg(0))
	if err != nil {
		return err
	}
	if shop.Status != ritorno.ShopInstalled {
		return ritorno.Errorf(ritorno.ECONFLICT, "shop %s is %s: its platform would refuse the import", shop.Domain, shop.Status)
	}
	bf, err := db.StartBackfill(ctx, shop.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "history import of %s: %s (ritorno serve runs it)\n", shop.Domain, bf.Status)
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

// shopView is what list and show print: an allowlist, so no secret can appear.
type shopView struct {
	ID            int64  `json:"id"`
	Platform      string `json:"platform"`
	Domain        string `json:"domain"`
	Name          string `json:"name"`
	Status        string `json:"status"`
	Currency      string `json:"currency"`
	Timezone      string `json:"timezone"`
	InstalledAt   string `json:"installed_at,omitempty"`
	UninstalledAt string `json:"uninstalled_at,omitempty"`
	WebhookURL    string `json:"webhook_url,omitempty"`
	// Credentials says which secrets are set, never their values.
	Credentials map[string]string `json:"credentials,omitempty"`
	Backfill    *backfillView     `json:"backfill,omitempty"`
}

// backfillView is the import of the shop's past, as show prints it.
type backfillView struct {
	Status        string `json:"status"`
	Step          string `json:"step,omitempty"`
	Done          int64  `json:"objects_done"`
	StepDone      int64  `json:"step_done"`
	StepTotal     int64  `json:"step_total,omitempty"`
	Inserted      int64  `json:"inserted"`
	Updated       int64  `json:"updated"`
	Unchanged     int64  `json:"unchanged"`
	Skipped       int64  `json:"skipped"`
	OrdersFrom    string `json:"orders_from,omitempty"`
	OrdersTo      string `json:"orders_to,omitempty"`
	Limit         string `json:"limit,omitempty"`
	Attempts      int    `json:"attempts,omitempty"`
	Error         string `json:"error,omitempty"`
	NextAttemptAt string `json:"next_attempt_at,omitempty"`
	StartedAt     string `json:"started_at"`
	FinishedAt    string `json:"finished_at,omitempty"`
}

func newBackfillView(b ritorno.Backfill) *backfillView {
	v := &backfillView{Status: string(b.Status), Step: b.Step, Done: b.Done, StepDone: b.StepDone, StepTotal: b.StepTotal,
		Inserted: b.Inserted, Updated: b.Updated, Unchanged: b.Unchanged, Skipped: b.Skipped, OrdersFrom: formatTime(b.OrdersFrom),
		OrdersTo: formatTime(b.OrdersTo), Limit: b.Limit, Attempts: b.Attempts, Error: b.Error,
		StartedAt: formatTime(b.StartedAt), FinishedAt: formatTime(b.FinishedAt)}
	if b.Status == ritorno.BackfillRunning && b.Attempts > 0 {
		v.NextAttemptAt = formatTime(b.NextAttemptAt)
	}
	return v
}

// progress is the backfill in one line: "running, orders 1,200/5,000 (24 %)".
func (v *backfillView) progress() string {
	s := v.Status
	if v.Step != "" && v.Status != string(ritorno.BackfillDone) {
		s += ", " + v.Step + " " + fmt.Sprint(v.StepDone)
		if v.StepTotal > 0 {
			s += fmt.Sprintf("/%d (%d %%)", v.StepTotal, min(100, v.StepDone*100/v.StepTotal))
		}
	}
	s += fmt.Sprintf("; %d objects: %d new, %d updated, %d unchanged", v.Done, v.Inserted, v.Updated, v.Unchanged)
	if v.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped (unreadable)", v.Skipped)
	}
	return s
}

func newShopView(s ritorno.Shop, cfg Config) shopView {
	v := shopView{ID: s.ID, Platform: string(s.Platform), Domain: s.Domain, Name: s.Name, Status: string(s.Status),
		Currency: s.Currency, Timezone: s.Timezone, InstalledAt: formatTime(s.InstalledAt), UninstalledAt: formatTime(s.UninstalledAt)}
	if s.ConnectionKey != "" {
		v.WebhookURL = cfg.AppURL + "/webhooks/woocommerce/" + s.ConnectionKey
	}
	return v
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func shopsList(ctx context.Context, db *store.DB, cfg Config, args []string, _ io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno shops list [--json]\n\nLists the connected shops.\n"); err != nil {
		return err
	}
	shops, err := db.ListShops(ctx)
	if err != nil {
		return err
	}
	views := make([]shopView, len(shops))
	for i, s := range shops {
		views[i] = newShopView(s, cfg)
	}
	if *asJSON {
		return writeJSON(stdout, views)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLATFORM\tDOMAIN\tSTATUS\tCURRENCY\tTIMEZONE\tINSTALLED")
	for _, v := range views {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Platform, v.Domain, v.Status, v.Currency, v.Timezone, v.InstalledAt)
	}
	return tw.Flush()
}

func shopsShow(ctx context.Context, db *store.DB, cfg Config, args []string, _ io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops show")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(ctx, fs, reorderFlags(args), stdout, "Usage: ritorno shops show DOMAIN|URL|ID [--json]\n\nPrints a shop, which of its secrets are set (never their values) and the progress of\nthe import of its past.\n"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("shops show needs one shop: its domain, URL or id")
	}
	shop, err := findShop(ctx, db, fs.Arg(0))
	if err != nil {
		return err
	}
	creds, err := db.Credentials(ctx, shop.ID)
	if err != nil {
		return err
	}
	v := newShopView(shop, cfg)
	v.Credentials = describeCredentials(shop.Platform, creds)
	if bf, err := db.Backfill(ctx, shop.ID); err == nil {
		v.Backfill = newBackfillView(bf)
	} else if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, v)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"id", fmt.Sprint(v.ID)}, {"platform", v.Platform}, {"domain", v.Domain}, {"name", v.Name},
		{"status", v.Status}, {"currency", v.Currency}, {"timezone", v.Timezone},
		{"installed at", v.InstalledAt}, {"uninstalled at", v.UninstalledAt}, {"webhook url", v.WebhookURL},
	} {
		if row[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
		}
	}
	for _, k := range []string{"access_token", "access_token_expires_at", "refresh_token", "scopes", "consumer_key", "consumer_secret", "webhook_secret"} {
		if val, ok := v.Credentials[k]; ok {
			fmt.Fprintf(tw, "%s:\t%s\n", strings.ReplaceAll(k, "_", " "), val)
		}
	}
	if b := v.Backfill; b != nil {
		rows := [][2]string{{"history import", b.progress()}, {"import started", b.StartedAt}, {"import finished", b.FinishedAt}}
		if b.OrdersFrom != "" {
			rows = append(rows, [2]string{"orders imported", b.OrdersFrom + " to " + b.OrdersTo})
		}
		rows = append(rows, [2]string{"import limit", b.Limit}, [2]string{"import error", b.Error}, [2]string{"import retry at", b.NextAttemptAt})
		for _, row := range rows {
			if row[1] != "" {
				fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
			}
		}
	}
	return tw.Flush()
}

// describeCredentials says which secrets are present; the values never leave the store.
func describeCredentials(p ritorno.PlatformName, c ritorno.ShopCredentials) map[string]string {
	set := func(s string) string {
		if s == "" {
			return "not set"
		}
		return "set (encrypted)"
	}
	if p == ritorno.WooCommerce {
		return map[string]string{"consumer_key": set(c.ConsumerKey), "consumer_secret": set(c.ConsumerSecret), "webhook_secret": set(c.WebhookSecret)}
	}
	out := map[string]string{"access_token": set(c.AccessToken), "refresh_token": set(c.RefreshToken), "scopes": c.Scopes}
	if !c.AccessTokenExpiresAt.IsZero() {
		out["access_token_expires_at"] = formatTime(c.AccessTokenExpiresAt)
	}
	return out
}

func shopsRemove(ctx context.Context, db *store.DB, _ Config, args []string, _ io.Reader, stdout io.Writer) error {
	fs := newFlagSet("shops remove")
	yes := fs.Bool("yes", false, "confirm: delete the shop and all of its data")
	if err := parseFlags(ctx, fs, reorderFlags(args), stdout, "Usage: ritorno shops remove DOMAIN|URL|ID --yes\n\nDeletes a shop with all of its customers, orders and products.\n"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("shops remove needs one shop: its domain, URL or id")
	}
	shop, err := findShop(ctx, db, fs.Arg(0))
	if err != nil {
		return err
	}
	if !*yes {
		return usageErrorf("shops remove deletes %s and all of its customers, orders and products: add --yes to confirm", shop.Domain)
	}
	if err := db.DeleteShop(ctx, shop.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed shop %d: %s %s\n", shop.ID, shop.Platform, shop.Domain)
	return nil
}

// reorderFlags moves flags before positional arguments, so "show DOMAIN --json" works
// (package flag stops at the first positional argument).
func reorderFlags(args []string) []string {
	var flags, positional []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			positional = append(positional, a)
		}
	}
	return append(flags, positional...)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
