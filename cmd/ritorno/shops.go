package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
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
