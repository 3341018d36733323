package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
)

// ritorno webhooks list|replay: the operator's view of the webhook inbox.

func runWebhooks(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("webhooks needs a subcommand: list or replay (ritorno webhooks --help)")
	}
	if wantsHelp(args[:1]) {
		fmt.Fprint(stdout, webhooksUsage)
		return nil
	}
	if err := subcommand("webhooks", args[0]); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		return webhooksList(ctx, cfg, args[1:], stdout)
	case "replay":
		return webhooksReplay(ctx, cfg, args[1:], stdout)
	}
	return usageErrorf("unknown webhooks subcommand %q (list, replay)", args[0])
}

const webhooksUsage = `Usage:
  ritorno webhooks list [--status STATUS] [--shop SHOP] [--limit N] [--json]
  ritorno webhooks replay ID [ID…] | --status dead|failed|ignored

Lists the webhook inbox, or queues final deliveries again (dead-lettered, failed or
ignored ones; a replayed delivery starts with a fresh attempt count).
`

func webhooksList(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("webhooks list")
	status := fs.String("status", "", "pending, processing, done, ignored, parked, failed or dead")
	shopArg := fs.String("shop", "", "only this shop (domain, URL or id)")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(ctx, fs, args, stdout, webhooksUsage); err != nil {
		return err
	}
	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	f := store.DeliveryFilter{Limit: *limit}
	if *status != "" {
		if f.Status, err = ritorno.ParseDeliveryStatus(*status); err != nil {
			return usageErrorf("webhooks list: %s", ritorno.ErrorMessage(err))
		}
	}
	if *shopArg != "" {
		shop, err := findShop(ctx, db, *shopArg)
		if err != nil {
			return err
		}
		f.ShopID = shop.ID
	}
	list, err := db.ListDeliveries(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		views := make([]deliveryView, len(list))
		for i, d := range list {
			views[i] = newDeliveryView(d)
		}
		return writeJSON(stdout, views)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLATFORM\tSHOP\tTOPIC\tSTATUS\tATTEMPTS\tRECEIVED\tLAST ERROR")
	for _, d := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Platform, d.ShopDomain, d.Topic, d.Status, d.Attempts,
			formatTime(d.ReceivedAt), truncate(d.LastError, 80))
	}
	return tw.Flush()
}

func webhooksReplay(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("webhooks replay")
	status := fs.String("status", "", "replay every delivery with this status (dead, failed or ignored)")
	if err := parseFlags(ctx, fs, reorderFlags(args), stdout, webhooksUsage); err != nil {
		return err
	}
	var ids []int64
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return usageErrorf("webhooks replay: %q is not a delivery id", a)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var st ritorno.DeliveryStatus
	if *status != "" {
		var err error
		if st, err = ritorno.ParseDeliveryStatus(*status); err != nil {
			return usageErrorf("webhooks replay: %s", ritorno.ErrorMessage(err))
		}
	}
	if (len(ids) == 0) == (st == "") {
		return usageErrorf("webhooks replay needs delivery ids or --status, not both")
	}
	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ReplayDeliveries(ctx, ids, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "queued %d deliveries again; a running server processes them\n", n)
	if missing := int64(len(ids)) - n; len(ids) > 0 && missing > 0 {
		// Not found is an error: an id that is unknown or not final was not queued.
		return ritorno.Errorf(ritorno.ENOTFOUND, "%d of the %d deliveries named were not queued: unknown ids, or not dead, failed or ignored", missing, len(ids))
	}
	return nil
}

type deliveryView struct {
	ID         int64  `json:"id"`
	Platform   string `json:"platform"`
	Shop       string `json:"shop"`
	Topic      string `json:"topic"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	ReceivedAt string `json:"received_at"`
	LastError  string `json:"last_error,omitempty"`
	WebhookID  string `json:"webhook_id,omitempty"`
}

func newDeliveryView(d ritorno.Delivery) deliveryView {
	return deliveryView{ID: d.ID, Platform: string(d.Platform), Shop: d.ShopDomain, Topic: d.Topic, Status: string(d.Status),
		Attempts: d.Attempts, ReceivedAt: formatTime(d.ReceivedAt), LastError: d.LastError, WebhookID: d.WebhookID}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
