package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
)

// ritorno gdpr requests|export: customers' data requests, and their exports.

const gdprUsage = `Usage:
  ritorno gdpr requests --shop SHOP
  ritorno gdpr export --shop SHOP --request ID

Lists customers' data requests (customers/data_request), or prints the export of one as
JSON — what Ritorno holds about the customer and the requested orders — for the merchant
to hand over. Exporting records the time.
`

func runGDPR(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("gdpr needs a subcommand: requests or export (ritorno gdpr --help)")
	}
	if wantsHelp(args[:1]) {
		fmt.Fprint(stdout, gdprUsage)
		return nil
	}
	if err := subcommand("gdpr", args[0]); err != nil {
		return err
	}
	fs := newFlagSet("gdpr " + args[0])
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	var requestID *int64
	if args[0] == "export" {
		requestID = fs.Int64("request", 0, "the data request id")
	}
	if err := parseFlags(ctx, fs, args[1:], stdout, gdprUsage); err != nil {
		return err
	}
	if *shopArg == "" || (requestID != nil && *requestID <= 0) {
		return usageErrorf("gdpr %s needs --shop%s", args[0], map[bool]string{true: " and --request"}[requestID != nil])
	}
	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	requests, err := db.DataRequests(ctx, shop.ID)
	if err != nil {
		return err
	}
	switch args[0] {
	case "requests":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REQUEST\tCUSTOMER\tORDERS\tRECEIVED\tEXPORTED")
		for _, r := range requests {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\n", r.RequestID, r.CustomerPlatformID, len(r.OrdersRequested), formatTime(r.ReceivedAt), formatTime(r.ExportedAt))
		}
		return tw.Flush()
	case "export":
		for _, r := range requests {
			if r.RequestID != *requestID {
				continue
			}
			if r.CustomerPlatformID <= 0 {
				return usageErrorf("name a customer id or an e-mail address")
			}
			buyer := ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: r.CustomerPlatformID}
			h, err := history.HistoryOf(ctx, historyStore{db}, shop, buyer, r.OrdersRequested)
			if err != nil {
				return err
			}
			export := struct {
				RequestID  int64       `json:"request_id"`
				ReceivedAt string      `json:"received_at"`
				ExportedAt string      `json:"exported_at"`
				Data       historyView `json:"data"`
			}{r.RequestID, formatTime(r.ReceivedAt), formatTime(time.Now()), newHistoryView(shop, h)}
			if err := writeJSON(stdout, export); err != nil {
				return err
			}
			return db.MarkDataRequestExported(ctx, shop.ID, r.RequestID)
		}
		return ritorno.Errorf(ritorno.ENOTFOUND, "data request %d not found for %s", *requestID, shop.Domain)
	}
	return usageErrorf("unknown gdpr subcommand %q (requests, export)", strings.TrimSpace(args[0]))
}
