package transactions

import (
	"fmt"
	"time"

	"github.com/ritorno/ritorno"
)

// Order is the lines of one order, as consecutive rows of a file give them.
type Order struct {
	ID         string
	CustomerID string
	Date       time.Time
	FirstRow   int
	Lines      []Line
}

// Group collects consecutive lines of the same order id into orders. Files list an order's
// rows together; an id seen again later starts another Order with the same id (an import
// then replaces the first with it).
type Group struct {
	cur  *Order
	emit func(Order) error
}

// NewGroup calls emit for each complete order.
func NewGroup(emit func(Order) error) *Group { return &Group{emit: emit} }

// Add takes the next line.
func (g *Group) Add(l Line) error {
	if g.cur != nil && g.cur.ID == l.OrderID {
		g.cur.Lines = append(g.cur.Lines, l)
		return nil
	}
	if err := g.Flush(); err != nil {
		return err
	}
	g.cur = &Order{ID: l.OrderID, CustomerID: l.CustomerID, Date: l.Date, FirstRow: l.Row, Lines: []Line{l}}
	return nil
}

// Flush emits the order being collected, if any.
func (g *Group) Flush() error {
	if g.cur == nil {
		return nil
	}
	o := *g.cur
	g.cur = nil
	return g.emit(o)
}

// Domain turns the order into Ritorno's order: paid, with the lines' sum as its total, a
// customer's when the file names one (otherwise of an unknown buyer: it counts toward the
// shop's revenue, never toward a customer), dated by its first line.
func (o Order) Domain() (ritorno.Order, error) {
	if len(o.Lines) == 0 {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order %s has no lines", o.ID)
	}
	currency := o.Lines[0].UnitPrice.Currency
	total := ritorno.Money{Currency: currency}
	lines := make([]ritorno.LineItem, 0, len(o.Lines))
	for i, l := range o.Lines {
		if l.UnitPrice.Currency != currency {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order %s mixes %s and %s (line %d)", o.ID, currency, l.UnitPrice.Currency, l.Row)
		}
		if l.CustomerID != o.CustomerID {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order %s names customers %q and %q (line %d)", o.ID, o.CustomerID, l.CustomerID, l.Row)
		}
		amount, err := l.UnitPrice.Mul(l.Quantity)
		if err == nil {
			total, err = total.Add(amount)
		}
		if err != nil {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order %s line %d: %s", o.ID, l.Row, ritorno.ErrorMessage(err))
		}
		lines = append(lines, ritorno.LineItem{
			PlatformID:        int64(i + 1),
			ProductPlatformID: ID(l.ProductID),
			Title:             l.Description,
			SKU:               l.ProductID,
			Quantity:          l.Quantity,
			Price:             l.UnitPrice,
			TotalDiscount:     ritorno.Money{Currency: currency},
		})
	}
	buyer := ritorno.Buyer{Kind: ritorno.BuyerUnknown}
	if o.CustomerID != "" {
		buyer = ritorno.BuyerFor(ID(o.CustomerID), "")
	}
	zero := ritorno.Money{Currency: currency}
	return ritorno.Order{
		PlatformID:          ID(o.ID),
		Name:                fmt.Sprintf("#%s", o.ID),
		Buyer:               buyer,
		Currency:            currency,
		PresentmentCurrency: currency,
		Subtotal:            total,
		TotalDiscounts:      zero,
		TotalTax:            zero,
		TotalShipping:       zero,
		Total:               total,
		RefundedAmount:      zero,
		FinancialStatus:     ritorno.FinancialPaid,
		SourceName:          "import",
		PlatformCreatedAt:   o.Date,
		ProcessedAt:         o.Date,
		PlatformUpdatedAt:   o.Date,
		LineItems:           lines,
	}, nil
}
