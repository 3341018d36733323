package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
)

// ritorno shops list and show: what is connected, without its secrets.

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
