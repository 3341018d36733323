package main

import (
	"context"
	"io"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
)

// ritorno history: a buyer's purchase history, as JSON.

const historyUsage = `Usage: ritorno history --shop SHOP (--customer ID | --email ADDRESS)

Prints a buyer's purchase history as JSON: identity, orders with line items and
refunds, and a summary (orders that count, net spent, first and last order). A buyer
the shop has neither a customer record nor an order of is an error (exit status 1).
`

func runHistory(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("history")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	customer := fs.Int64("customer", 0, "the customer's platform id")
	email := fs.String("email", "", "a guest buyer's e-mail address (instead of --customer)")
	if err := parseFlags(ctx, fs, args, stdout, historyUsage); err != nil {
		return err
	}
	if *shopArg == "" || (*customer == 0) == (*email == "") {
		return usageErrorf("history needs --shop and one of --customer or --email")
	}
	buyer := ritorno.Buyer{Kind: ritorno.BuyerCustomer, CustomerPlatformID: *customer}
	if *customer == 0 {
		if buyer = ritorno.BuyerFor(0, *email); buyer.Kind != ritorno.BuyerGuest {
			return usageErrorf("name a customer id or an e-mail address")
		}
	}
	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := history.HistoryOf(ctx, historyStore{db}, shop, buyer, nil)
	if err != nil {
		return err
	}
	if h.Empty() {
		if *customer != 0 {
			return ritorno.Errorf(ritorno.ENOTFOUND, "no customer %d in shop %s", *customer, shop.Domain)
		}
		return ritorno.Errorf(ritorno.ENOTFOUND, "no orders by that e-mail address in shop %s", shop.Domain)
	}
	return writeJSON(stdout, newHistoryView(shop, h))
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

// newHistoryView is the JSON shape of a buyer's history.
func newHistoryView(shop ritorno.Shop, h history.BuyerHistory) historyView {
	v := historyView{Shop: shop.Domain, Currency: shop.Currency, Buyer: h.Buyer.Key(), Orders: []orderView{}}
	if h.Customer != nil {
		v.Customer = newCustomerView(*h.Customer)
	}
	sum := h.Summary
	v.Summary = summaryView{OrderCount: sum.OrderCount, NetSpent: sum.NetSpent.Decimal(), ByCurrency: []currencyTotalView{},
		FirstOrder: formatTime(sum.FirstOrder), LastOrder: formatTime(sum.LastOrder)}
	for _, ct := range sum.ByCurrency {
		v.Summary.ByCurrency = append(v.Summary.ByCurrency, currencyTotalView{Currency: ct.Net.Currency, OrderCount: ct.Orders, NetSpent: ct.Net.Decimal()})
	}
	for _, o := range h.Orders {
		v.Orders = append(v.Orders, newOrderView(o))
	}
	return v
}
