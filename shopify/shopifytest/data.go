package shopifytest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// OrderFromWebhook turns an orders/* webhook body (a REST Order, or one wrapped in
// {"order": …} as the public samples are) into a shop order, decoded by the product's own
// decoder, so a test can seed the fake with the real sample payloads and compare what a
// backfill imports with what the webhook gives.
func OrderFromWebhook(body []byte) (Order, error) {
	var wrapped struct {
		Order json.RawMessage `json:"order"`
	}
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Order) > 0 && wrapped.Order[0] == '{' {
		body = wrapped.Order
	}
	o, err := shopify.DecodeOrder(body)
	if err != nil {
		return Order{}, err
	}
	// The domain keeps the buyer's address only hashed; Order.email needs it whole, found
	// where DecodeOrder looks for it.
	var addr struct {
		Email        string `json:"email"`
		ContactEmail string `json:"contact_email"`
		Customer     *struct {
			Email string `json:"email"`
		} `json:"customer"`
	}
	json.Unmarshal(body, &addr) // DecodeOrder accepted the body: it is a JSON object
	email := addr.Email
	if email == "" {
		email = addr.ContactEmail
	}
	if email == "" && addr.Customer != nil {
		email = addr.Customer.Email
	}
	return Order{Order: o, Email: email}, nil
}

// Id ranges of generated objects, in the size of real Shopify ids.
const (
	genCustomerID = 6200000000
	genProductID  = 8100000000
	genVariantID  = 44000000000
	genOrderID    = 5500000000
	genLineID     = 13000000000
	genRefundID   = 910000000
)

var (
	genFirst = []string{"Alex", "Sam", "Robin", "Kim", "Noa", "Jules", "Toni", "Mika"}
	genLast  = []string{"Meyer", "Rossi", "Dubois", "Novak", "Larsen", "Silva", "Kowalski", "Jansen"}
	genAdj   = []string{"Classic", "Organic", "Everyday", "Premium", "Travel", "Vintage"}
	genNoun  = []string{"Mug", "Tote", "Candle", "Tea", "Socks", "Notebook", "Soap", "Scarf"}
)

// GenerateShop returns a deterministic data set for seed: products with one to three
// variants, customers (example.com addresses), and orders placed over the year before
// now (so only some fall in the 60-day window), mostly by customers, some by guests, a
// few cancelled, test or (partly) refunded, all amounts in currency and consistent
// (total = subtotal + tax + shipping).
func GenerateShop(seed uint64, now time.Time, currency string, customers, products, orders int) Data {
	rng := rand.New(rand.NewPCG(seed, 0x5170f1))
	now = now.UTC().Truncate(time.Second)
	day := 24 * time.Hour
	money := func(amount int64) ritorno.Money { return ritorno.Money{Amount: amount, Currency: currency} }
	unit := int64(1) // prices are drawn in major units and scaled to the currency
	for range ritorno.CurrencyExponent(currency) {
		unit *= 10
	}
	var d Data

	for i := range products {
		created := now.Add(-time.Duration(400+rng.IntN(400)) * day)
		title := genAdj[rng.IntN(len(genAdj))] + " " + genNoun[rng.IntN(len(genNoun))]
		p := ritorno.Product{
			PlatformID: genProductID + int64(i) + 1, Title: title,
			Handle:      strings.ToLower(strings.ReplaceAll(title, " ", "-")) + fmt.Sprintf("-%d", i+1),
			ProductType: "Goods", Vendor: "Ritorno Test Goods", Status: ritorno.ProductActive,
			PublishedAt: created, PlatformCreatedAt: created, PlatformUpdatedAt: created.Add(time.Duration(rng.IntN(300)) * day),
		}
		if rng.IntN(3) == 0 {
			p.Tags = []string{"bestseller"}
		}
		sizes := []string{"Default Title"}
		if rng.IntN(2) == 0 {
			sizes = []string{"S", "M", "L"}[:1+rng.IntN(3)]
		}
		price := int64(5+rng.IntN(95)) * unit
		for j, size := range sizes {
			p.Variants = append(p.Variants, ritorno.Variant{
				PlatformID: genVariantID + int64(i)*10 + int64(j) + 1, Title: size,
				SKU: fmt.Sprintf("SKU-%d-%d", i+1, j+1), Position: j + 1, Price: money(price),
				InventoryTracked: true, InventoryQuantity: int64(rng.IntN(40)),
				ContinueSellingWhenOutOfStock: rng.IntN(4) == 0,
			})
		}
		d.Products = append(d.Products, p)
	}

	for i := range customers {
		created := now.Add(-time.Duration(rng.IntN(500*24)) * time.Hour)
		email := fmt.Sprintf("customer%d@example.com", i+1)
		c := ritorno.Customer{
			PlatformID: genCustomerID + int64(i) + 1, Email: email, EmailHash: ritorno.HashEmail(email),
			FirstName: genFirst[rng.IntN(len(genFirst))], LastName: genLast[rng.IntN(len(genLast))],
			State: "enabled", PlatformCreatedAt: created, PlatformUpdatedAt: created,
		}
		if rng.IntN(5) == 0 {
			c.Tags = []string{"vip"}
		}
		d.Customers = append(d.Customers, c)
	}

	// Placement times first, sorted, so that order names grow with time as in a shop.
	placed := make([]time.Time, orders)
	for i := range placed {
		placed[i] = now.Add(-time.Duration(1+rng.IntN(365*24*60)) * time.Minute)
	}
	slices.SortFunc(placed, func(a, b time.Time) int { return a.Compare(b) })
	lineID, refundID := int64(genLineID), int64(genRefundID)
	for i, at := range placed {
		o := Order{Order: ritorno.Order{
			PlatformID: genOrderID + int64(i) + 1, Name: fmt.Sprintf("#%d", 1001+i),
			Currency: currency, PresentmentCurrency: currency,
			FinancialStatus: ritorno.FinancialPaid, SourceName: "web",
			PlatformCreatedAt: at, ProcessedAt: at, PlatformUpdatedAt: at.Add(time.Hour),
			RefundsComplete: true,
		}}
		if len(d.Customers) > 0 && rng.IntN(5) != 0 {
			c := d.Customers[rng.IntN(len(d.Customers))]
			o.Email, o.Buyer = c.Email, ritorno.BuyerFor(c.PlatformID, c.Email)
		} else {
			o.Email = fmt.Sprintf("guest%d@example.com", i+1)
			o.Buyer = ritorno.BuyerFor(0, o.Email)
		}
		if rng.IntN(4) == 0 {
			o.SourceName = "pos"
		}
		if now.Sub(at) > 7*day {
			o.FulfillmentStatus = "fulfilled"
		}
		var subtotal, discounts int64
		for range 1 + rng.IntN(3) {
			if len(d.Products) == 0 {
				break
			}
			p := d.Products[rng.IntN(len(d.Products))]
			v := p.Variants[rng.IntN(len(p.Variants))]
			qty := int64(1 + rng.IntN(3))
			var disc int64
			if rng.IntN(5) == 0 {
				disc = v.Price.Amount * qty / 10
			}
			lineID++
			o.LineItems = append(o.LineItems, ritorno.LineItem{
				PlatformID: lineID, ProductPlatformID: p.PlatformID, VariantPlatformID: v.PlatformID,
				Title: p.Title, VariantTitle: v.Title, SKU: v.SKU, Vendor: p.Vendor, Quantity: qty,
				Price: v.Price, TotalDiscount: money(disc),
			})
			subtotal += v.Price.Amount*qty - disc
			discounts += disc
		}
		tax := subtotal / 10
		var shipping int64
		if subtotal < 50*unit {
			shipping = 5 * unit
		}
		o.Subtotal, o.TotalDiscounts, o.TotalTax = money(subtotal), money(discounts), money(tax)
		o.TotalShipping, o.Total = money(shipping), money(subtotal+tax+shipping)

		switch r := rng.IntN(100); {
		case r < 3:
			o.Test = true
		case r < 6 && now.Sub(at) > day:
			o.CancelledAt, o.CancelReason = at.Add(time.Hour), "customer"
			o.FinancialStatus = ritorno.FinancialVoided
			o.PlatformUpdatedAt = o.CancelledAt
		case r < 14 && len(o.LineItems) > 0 && now.Sub(at) > 2*day:
			li := o.LineItems[0]
			amount := li.Price.Amount*li.Quantity - li.TotalDiscount.Amount
			refundID++
			when := at.Add(day)
			o.Refunds = []ritorno.Refund{{
				PlatformID: refundID, CreatedAt: when, ProcessedAt: when, Amount: money(amount), Note: "returned",
				LineItems: []ritorno.RefundLineItem{{LineItemPlatformID: li.PlatformID, Quantity: li.Quantity, Subtotal: money(amount)}},
			}}
			o.FinancialStatus = ritorno.FinancialPartiallyRefunded
			if amount == o.Total.Amount {
				o.FinancialStatus = ritorno.FinancialRefunded
			}
			o.PlatformUpdatedAt = when
		}
		if rng.IntN(10) == 0 {
			o.Tags = []string{"gift"}
		}
		o.RefundedAmount, _ = o.SumRefunds() // one currency throughout: cannot fail
		d.Orders = append(d.Orders, o)
	}
	return d
}
