package ritorno

import "time"

// FinancialStatus is the payment state of an order, in Shopify's vocabulary; the
// WooCommerce adapter maps its order statuses onto it.
type FinancialStatus string

// Financial statuses.
const (
	FinancialPending           FinancialStatus = "pending"
	FinancialAuthorized        FinancialStatus = "authorized"
	FinancialPartiallyPaid     FinancialStatus = "partially_paid"
	FinancialPaid              FinancialStatus = "paid"
	FinancialPartiallyRefunded FinancialStatus = "partially_refunded"
	FinancialRefunded          FinancialStatus = "refunded"
	FinancialVoided            FinancialStatus = "voided"
)

// Order is one purchase. All amounts are in Currency, the shop currency; the currency the
// shopper saw is PresentmentCurrency and is kept only for reference.
type Order struct {
	ShopID     int64
	PlatformID int64
	Name       string // shown to merchants, e.g. "#1001"
	Buyer      Buyer
	// Currency is the currency of every Money below (the shop's).
	Currency            string
	PresentmentCurrency string
	Subtotal            Money // line items after line discounts, before tax and shipping
	TotalDiscounts      Money
	TotalTax            Money
	TotalShipping       Money
	Total               Money // what the buyer was charged at checkout
	RefundedAmount      Money // the sum of Refunds, kept so that queries need not join them
	FinancialStatus     FinancialStatus
	FulfillmentStatus   string
	SourceName          string // "web", "pos", "checkout", an app name…
	Test                bool   // placed in test mode: never counted
	Tags                []string
	PlatformCreatedAt   time.Time
	ProcessedAt         time.Time // when the order was placed; the time analytics use
	CancelledAt         time.Time // zero unless cancelled
	CancelReason        string
	PlatformUpdatedAt   time.Time
	DeletedAt           time.Time // deleted on the platform; zero otherwise
	LineItems           []LineItem
	Refunds             []Refund
	// RefundsComplete says Refunds lists every refund of the order. A payload that does not
	// mention refunds leaves it false, and the stored refunds are kept.
	RefundsComplete bool
}

// LineItem is one product line of an order.
type LineItem struct {
	PlatformID        int64
	ProductPlatformID int64 // 0 for custom items and deleted products
	VariantPlatformID int64 // 0 likewise
	Title             string
	VariantTitle      string
	SKU               string
	Vendor            string
	Quantity          int64
	Price             Money // unit price before discounts
	TotalDiscount     Money // discounts allocated to the whole line
	GiftCard          bool
}

// Refund returns money (and possibly items) of an order.
type Refund struct {
	PlatformID  int64
	CreatedAt   time.Time
	ProcessedAt time.Time
	Amount      Money
	Note        string
	LineItems   []RefundLineItem
}

// RefundLineItem is a quantity of one line item taken back by a refund.
type RefundLineItem struct {
	LineItemPlatformID int64
	Quantity           int64
	Subtotal           Money
}

// PlacedAt is the time an order counts from: when it was processed, else when created.
func (o Order) PlacedAt() time.Time {
	if !o.ProcessedAt.IsZero() {
		return o.ProcessedAt
	}
	return o.PlatformCreatedAt
}

// Counts reports whether the order is real revenue from a buyer: not a test, not
// cancelled, not voided, not deleted. Retention figures count only such orders.
func (o Order) Counts() bool {
	return !o.Test && o.CancelledAt.IsZero() && o.DeletedAt.IsZero() && o.FinancialStatus != FinancialVoided
}

// NetTotal is what the shop kept: the total less refunds, never below zero.
func (o Order) NetTotal() Money {
	return Money{Amount: max(o.Total.Amount-o.RefundedAmount.Amount, 0), Currency: o.Currency}
}

// SumRefunds recomputes RefundedAmount from Refunds.
func (o Order) SumRefunds() (Money, error) {
	sum := Zero(o.Currency)
	for _, r := range o.Refunds {
		var err error
		if sum, err = sum.Add(r.Amount); err != nil {
			return Money{}, err
		}
	}
	return sum, nil
}

// Validate checks an order's internal consistency before it is stored.
func (o Order) Validate() error {
	if o.PlatformID <= 0 {
		return Errorf(EINVALID, "order id must be positive")
	}
	if err := ValidateCurrency(o.Currency); err != nil {
		return err
	}
	for _, m := range []Money{o.Subtotal, o.TotalDiscounts, o.TotalTax, o.TotalShipping, o.Total, o.RefundedAmount} {
		if m.Currency != o.Currency {
			return Errorf(EINVALID, "order %d mixes %s amounts into a %s order", o.PlatformID, m.Currency, o.Currency)
		}
	}
	for _, li := range o.LineItems {
		if li.Price.Currency != o.Currency || li.TotalDiscount.Currency != o.Currency {
			return Errorf(EINVALID, "order %d line %d is not in %s", o.PlatformID, li.PlatformID, o.Currency)
		}
		if li.Quantity < 0 {
			return Errorf(EINVALID, "order %d line %d has a negative quantity", o.PlatformID, li.PlatformID)
		}
	}
	for _, r := range o.Refunds {
		if r.Amount.Currency != o.Currency {
			return Errorf(EINVALID, "order %d refund %d is not in %s", o.PlatformID, r.PlatformID, o.Currency)
		}
	}
	switch o.Buyer.Kind {
	case BuyerCustomer:
		if o.Buyer.CustomerPlatformID <= 0 {
			return Errorf(EINVALID, "order %d names a customer without an id", o.PlatformID)
		}
	case BuyerGuest:
		if o.Buyer.EmailHash == "" {
			return Errorf(EINVALID, "order %d is a guest order without an e-mail hash", o.PlatformID)
		}
	case BuyerUnknown:
	default:
		return Errorf(EINVALID, "order %d has buyer kind %q", o.PlatformID, o.Buyer.Kind)
	}
	return nil
}

// BuyerFor builds the buyer identity of an order from the platform's customer id (0 for a
// guest) and the order's e-mail address.
func BuyerFor(customerPlatformID int64, email string) Buyer {
	hash := HashEmail(email)
	switch {
	case customerPlatformID > 0:
		return Buyer{Kind: BuyerCustomer, CustomerPlatformID: customerPlatformID, EmailHash: hash}
	case hash != "":
		return Buyer{Kind: BuyerGuest, EmailHash: hash}
	}
	return Buyer{Kind: BuyerUnknown}
}

// Write says what storing a platform entity did.
type Write int8

const (
	WriteUnchanged Write = iota // the stored version is newer; nothing written
	WriteInserted               // it was new
	WriteUpdated                // it replaced the stored version
)

// Applied reports whether anything was written.
func (w Write) Applied() bool { return w != WriteUnchanged }
