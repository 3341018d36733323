package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/store"
)

// The operator's inspection commands: the webhook inbox, a buyer's history, data requests.

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
		fs := newFlagSet("webhooks list")
		status := fs.String("status", "", "pending, processing, done, ignored, parked, failed or dead")
		shopArg := fs.String("shop", "", "only this shop (domain, URL or id)")
		limit := fs.Int("limit", 100, "at most this many")
		asJSON := fs.Bool("json", false, "print JSON")
		if err := parseFlags(ctx, fs, args[1:], stdout, webhooksUsage); err != nil {
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
	case "replay":
		fs := newFlagSet("webhooks replay")
		status := fs.String("status", "", "replay every delivery with this status (dead, failed or ignored)")
		if err := parseFlags(ctx, fs, reorderFlags(args[1:]), stdout, webhooksUsage); err != nil {
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
	return usageErrorf("unknown webhooks subcommand %q (list, replay)", args[0])
}

const webhooksUsage = `Usage:
  ritorno webhooks list [--status STATUS] [--shop SHOP] [--limit N] [--json]
  ritorno webhooks replay ID [ID…] | --status dead|failed|ignored

Lists the webhook inbox, or queues final deliveries again (dead-lettered, failed or
ignored ones; a replayed delivery starts with a fresh attempt count).
`

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

// historyView is what `ritorno history` prints.
type historyView struct {
	Shop     string        `json:"shop"`
	Currency string        `json:"currency"`
	Customer *customerView `json:"customer,omitempty"`
	Buyer    string        `json:"buyer"`
	Summary  summaryView   `json:"summary"`
	Orders   []orderView   `json:"orders"`
}

type customerView struct {
	ID        int64    `json:"id"`
	Email     string   `json:"email"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	State     string   `json:"state"`
	Tags      []string `json:"tags,omitempty"`
	CreatedAt string   `json:"created_at,omitempty"`
	UpdatedAt string   `json:"updated_at,omitempty"`
	DeletedAt string   `json:"deleted_at,omitempty"`
	Redacted  string   `json:"redacted_at,omitempty"`
}

type summaryView struct {
	OrderCount int    `json:"order_count"`
	NetSpent   string `json:"net_spent"` // of the orders in the shop's currency (historyView.Currency)
	// ByCurrency totals each currency the buyer paid in, the shop's included: an order in
	// another currency is shown in its own, never converted.
	ByCurrency []currencyTotalView `json:"net_spent_by_currency"`
	FirstOrder string              `json:"first_order_at,omitempty"`
	LastOrder  string              `json:"last_order_at,omitempty"`
}

type currencyTotalView struct {
	Currency   string `json:"currency"`
	OrderCount int    `json:"order_count"`
	NetSpent   string `json:"net_spent"`
}

type orderView struct {
	ID              int64          `json:"id"`
	Name            string         `json:"name"`
	PlacedAt        string         `json:"placed_at"`
	Currency        string         `json:"currency"` // of its amounts: the order's own
	Total           string         `json:"total"`
	Refunded        string         `json:"refunded"`
	Net             string         `json:"net"`
	FinancialStatus string         `json:"financial_status"`
	CancelledAt     string         `json:"cancelled_at,omitempty"`
	DeletedAt       string         `json:"deleted_at,omitempty"`
	Test            bool           `json:"test"`
	Counts          bool           `json:"counts"`
	LineItems       []lineItemView `json:"line_items"`
	Refunds         []refundView   `json:"refunds,omitempty"`
}

type lineItemView struct {
	ID        int64  `json:"id"`
	ProductID int64  `json:"product_id"`
	VariantID int64  `json:"variant_id"`
	Title     string `json:"title"`
	Quantity  int64  `json:"quantity"`
	Price     string `json:"price"`
}

type refundView struct {
	ID          int64  `json:"id"`
	Amount      string `json:"amount"`
	ProcessedAt string `json:"processed_at,omitempty"`
}

func newOrderView(o ritorno.Order) orderView {
	v := orderView{ID: o.PlatformID, Name: o.Name, PlacedAt: formatTime(o.PlacedAt()), Currency: o.Total.Currency, Total: o.Total.Decimal(),
		Refunded: o.RefundedAmount.Decimal(), Net: o.NetTotal().Decimal(), FinancialStatus: string(o.FinancialStatus),
		CancelledAt: formatTime(o.CancelledAt), DeletedAt: formatTime(o.DeletedAt), Test: o.Test, Counts: o.Counts(),
		LineItems: []lineItemView{}}
	for _, li := range o.LineItems {
		v.LineItems = append(v.LineItems, lineItemView{ID: li.PlatformID, ProductID: li.ProductPlatformID, VariantID: li.VariantPlatformID,
			Title: li.Title, Quantity: li.Quantity, Price: li.Price.Decimal()})
	}
	for _, r := range o.Refunds {
		v.Refunds = append(v.Refunds, refundView{ID: r.PlatformID, Amount: r.Amount.Decimal(), ProcessedAt: formatTime(r.ProcessedAt)})
	}
	return v
}

func newCustomerView(c ritorno.Customer) *customerView {
	return &customerView{ID: c.PlatformID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, State: c.State,
		Tags: c.Tags, CreatedAt: formatTime(c.PlatformCreatedAt), UpdatedAt: formatTime(c.PlatformUpdatedAt),
		DeletedAt: formatTime(c.DeletedAt), Redacted: formatTime(c.RedactedAt)}
}

// buildHistory assembles a buyer's history: a customer's by id, or a guest's by e-mail.
func buildHistory(ctx context.Context, db *store.DB, shop ritorno.Shop, customerID int64, email string, extraOrders []int64) (historyView, error) {
	v := historyView{Shop: shop.Domain, Currency: shop.Currency, Orders: []orderView{}}
	var buyer ritorno.Buyer
	if customerID > 0 {
		c, err := db.Customer(ctx, shop.ID, customerID)
		switch {
		case err == nil:
			v.Customer = newCustomerView(c)
		case ritorno.ErrorCode(err) != ritorno.ENOTFOUND:
			return historyView{}, err
		}
		buyer = ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: customerID}
	} else {
		buyer = ritorno.BuyerFor(0, email)
		if buyer.Kind != ritorno.BuyerGuest {
			return historyView{}, usageErrorf("name a customer id or an e-mail address")
		}
	}
	v.Buyer = buyer.Key()
	var orders []ritorno.Order
	for after := int64(0); ; {
		page, err := db.ListOrders(ctx, shop.ID, store.OrderFilter{Buyer: buyer, After: after})
		if err != nil {
			return historyView{}, err
		}
		orders = append(orders, page...)
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].PlatformID
	}
	seen := map[int64]bool{}
	for _, o := range orders {
		seen[o.PlatformID] = true
	}
	for _, id := range extraOrders {
		if seen[id] {
			continue
		}
		o, err := db.Order(ctx, shop.ID, id)
		if err == nil {
			orders = append(orders, o)
		} else if ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			return historyView{}, err
		}
	}
	sum, err := history.Summarize(orders, shop.Currency)
	if err != nil {
		return historyView{}, err
	}
	v.Summary = summaryView{OrderCount: sum.OrderCount, NetSpent: sum.NetSpent.Decimal(), ByCurrency: []currencyTotalView{},
		FirstOrder: formatTime(sum.FirstOrder), LastOrder: formatTime(sum.LastOrder)}
	for _, ct := range sum.ByCurrency {
		v.Summary.ByCurrency = append(v.Summary.ByCurrency, currencyTotalView{Currency: ct.Net.Currency, OrderCount: ct.Orders, NetSpent: ct.Net.Decimal()})
	}
	for _, o := range orders {
		v.Orders = append(v.Orders, newOrderView(o))
	}
	return v, nil
}

func runHistory(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("history")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	customer := fs.Int64("customer", 0, "the customer's platform id")
	email := fs.String("email", "", "a guest buyer's e-mail address (instead of --customer)")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno history --shop SHOP (--customer ID | --email ADDRESS)\n\nPrints a buyer's purchase history as JSON: identity, orders with line items and\nrefunds, and a summary (orders that count, net spent, first and last order). A buyer\nthe shop has neither a customer record nor an order of is an error (exit status 1).\n"); err != nil {
		return err
	}
	if *shopArg == "" || (*customer == 0) == (*email == "") {
		return usageErrorf("history needs --shop and one of --customer or --email")
	}
	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	shop, err := findShop(ctx, db, *shopArg)
	if err != nil {
		return err
	}
	v, err := buildHistory(ctx, db, shop, *customer, *email, nil)
	if err != nil {
		return err
	}
	if v.Customer == nil && len(v.Orders) == 0 {
		if *customer != 0 {
			return ritorno.Errorf(ritorno.ENOTFOUND, "no customer %d in shop %s", *customer, shop.Domain)
		}
		return ritorno.Errorf(ritorno.ENOTFOUND, "no orders by that e-mail address in shop %s", shop.Domain)
	}
	return writeJSON(stdout, v)
}

func runGDPR(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	const gdprUsage = "Usage:\n  ritorno gdpr requests --shop SHOP\n  ritorno gdpr export --shop SHOP --request ID\n\nLists customers' data requests (customers/data_request), or prints the export of one as\nJSON — what Ritorno holds about the customer and the requested orders — for the merchant\nto hand over. Exporting records the time.\n"
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
	db, err := openMigrated(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	shop, err := findShop(ctx, db, *shopArg)
	if err != nil {
		return err
	}
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
			v, err := buildHistory(ctx, db, shop, r.CustomerPlatformID, "", r.OrdersRequested)
			if err != nil {
				return err
			}
			export := struct {
				RequestID  int64       `json:"request_id"`
				ReceivedAt string      `json:"received_at"`
				ExportedAt string      `json:"exported_at"`
				Data       historyView `json:"data"`
			}{r.RequestID, formatTime(r.ReceivedAt), formatTime(time.Now()), v}
			if err := writeJSON(stdout, export); err != nil {
				return err
			}
			return db.MarkDataRequestExported(ctx, shop.ID, r.RequestID)
		}
		return ritorno.Errorf(ritorno.ENOTFOUND, "data request %d not found for %s", *requestID, shop.Domain)
	}
	return usageErrorf("unknown gdpr subcommand %q (requests, export)", strings.TrimSpace(args[0]))
}

// openMigrated opens the database and applies pending migrations (operator commands work
// on a fresh data folder too).
func openMigrated(ctx context.Context, cfg *Config) (*store.DB, error) {
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}
