package woocommerce

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// Bodies are REST v3 resources. Ids are JSON numbers (decoded through json.Number, never
// float64); money is decimal strings; *_gmt times carry no offset and are UTC.

// roundedMoney parses an amount WooCommerce computed by division (a line's unit price, sent
// as a JSON number that may carry binary noise such as 9.9900000000000002): exact decimal
// arithmetic, rounded half-even to the currency's minor unit. Only used where the platform
// itself rounds.
func roundedMoney(d payload.Decimal, currency, field string) (ritorno.Money, error) {
	if d == "" {
		return ritorno.Zero(currency), nil
	}
	// Plain decimals only: an exponent ("1e999999999") would make big.Rat allocate without bound.
	if !plainDecimal.MatchString(string(d)) {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s is not a plain decimal number", field)
	}
	r, ok := new(big.Rat).SetString(string(d))
	if !ok {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s is not a number", field)
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ritorno.CurrencyExponent(currency))), nil))
	r.Mul(r, scale)
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2))
	if c := twice.Cmp(r.Denom()); c > 0 || (c == 0 && q.Bit(0) == 1) {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s is out of range", field)
	}
	return ritorno.Money{Amount: q.Int64(), Currency: currency}, nil
}

var plainDecimal = regexp.MustCompile(`^-?[0-9]{1,18}(\.[0-9]{1,40})?$`)

type gmt time.Time

func (t *gmt) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "time is not a string")
	}
	if s == nil || *s == "" {
		*t = gmt{}
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339Nano} {
		if parsed, err := time.Parse(layout, *s); err == nil {
			*t = gmt(parsed.UTC())
			return nil
		}
	}
	return ritorno.Errorf(ritorno.EINVALID, "a time is not ISO 8601")
}

func (t gmt) time() time.Time { return time.Time(t) }

type orderPayload struct {
	ID              payload.ID      `json:"id"`
	Number          string          `json:"number"`
	Status          string          `json:"status"`
	Currency        string          `json:"currency"`
	CreatedVia      string          `json:"created_via"`
	DateCreatedGMT  gmt             `json:"date_created_gmt"`
	DateModifiedGMT gmt             `json:"date_modified_gmt"`
	DatePaidGMT     gmt             `json:"date_paid_gmt"`
	DiscountTotal   payload.Decimal `json:"discount_total"`
	ShippingTotal   payload.Decimal `json:"shipping_total"`
	TotalTax        payload.Decimal `json:"total_tax"`
	Total           payload.Decimal `json:"total"`
	CustomerID      payload.ID      `json:"customer_id"`
	Billing         struct {
		Email string `json:"email"`
	} `json:"billing"`
	LineItems []struct {
		ID          payload.ID      `json:"id"`
		Name        string          `json:"name"`
		ProductID   payload.ID      `json:"product_id"`
		VariationID payload.ID      `json:"variation_id"`
		Quantity    int64           `json:"quantity"`
		Subtotal    payload.Decimal `json:"subtotal"`
		Total       payload.Decimal `json:"total"`
		SKU         string          `json:"sku"`
		Price       payload.Decimal `json:"price"`
	} `json:"line_items"`
	Refunds *[]struct {
		ID     payload.ID      `json:"id"`
		Reason string          `json:"reason"`
		Total  payload.Decimal `json:"total"`
	} `json:"refunds"` // nil: not in the payload
}

// Status mapping (WooCommerce order status → Ritorno):
//
//	pending, on-hold, checkout-draft → pending (not paid yet)
//	processing, completed            → paid (completed also fulfilled)
//	refunded                         → refunded
//	cancelled                        → cancelled at the modification time (stops counting)
//	failed                           → voided (payment failed; never counts)
//	trash                            → deleted at the modification time
var financialByStatus = map[string]ritorno.FinancialStatus{
	"pending": ritorno.FinancialPending, "on-hold": ritorno.FinancialPending, "checkout-draft": ritorno.FinancialPending,
	"processing": ritorno.FinancialPaid, "completed": ritorno.FinancialPaid, "refunded": ritorno.FinancialRefunded,
	"cancelled": ritorno.FinancialPending, "failed": ritorno.FinancialVoided, "trash": ritorno.FinancialPending,
}

// DecodeOrder decodes an order.* body. The embedded refund list has ids, reasons and
// (negative) totals but no dates or lines; RefundedAmount is their sum.
func DecodeOrder(body []byte) (ritorno.Order, error) {
	var p orderPayload
	if err := payload.Decode(body, &p, "order"); err != nil {
		return ritorno.Order{}, err
	}
	if p.ID == 0 {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order has no id")
	}
	cur := strings.ToUpper(p.Currency)
	if err := ritorno.ValidateCurrency(cur); err != nil {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order currency: %s", ritorno.ErrorMessage(err))
	}
	fin, ok := financialByStatus[p.Status]
	if !ok {
		fin = ritorno.FinancialPending // plugin-defined statuses: not known to be paid
	}
	o := ritorno.Order{
		PlatformID: int64(p.ID), Name: "#" + p.Number, Buyer: ritorno.BuyerFor(int64(p.CustomerID), p.Billing.Email),
		Currency: cur, PresentmentCurrency: cur, FinancialStatus: fin, SourceName: p.CreatedVia,
		PlatformCreatedAt: p.DateCreatedGMT.time(), ProcessedAt: p.DatePaidGMT.time(), PlatformUpdatedAt: p.DateModifiedGMT.time(),
	}
	if o.ProcessedAt.IsZero() {
		o.ProcessedAt = o.PlatformCreatedAt
	}
	switch p.Status {
	case "completed":
		o.FulfillmentStatus = "fulfilled"
	case "cancelled":
		o.CancelledAt = o.PlatformUpdatedAt
	case "trash":
		o.DeletedAt = o.PlatformUpdatedAt
	}
	var err error
	for _, f := range []struct {
		dst  *ritorno.Money
		val  payload.Decimal
		name string
	}{
		{&o.TotalDiscounts, p.DiscountTotal, "discount_total"},
		{&o.TotalShipping, p.ShippingTotal, "shipping_total"},
		{&o.TotalTax, p.TotalTax, "total_tax"},
		{&o.Total, p.Total, "total"},
	} {
		if *f.dst, err = f.val.Money(cur, f.name); err != nil {
			return ritorno.Order{}, err
		}
	}
	o.Subtotal = ritorno.Zero(cur)
	for _, li := range p.LineItems {
		if li.Quantity < 0 {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "line item quantity is negative")
		}
		subtotal, err := li.Subtotal.Money(cur, "line_items.subtotal")
		if err != nil {
			return ritorno.Order{}, err
		}
		total, err := li.Total.Money(cur, "line_items.total")
		if err != nil {
			return ritorno.Order{}, err
		}
		// The unit price is exact when the subtotal divides by the quantity; otherwise
		// WooCommerce's own rounded price is used.
		var price ritorno.Money
		if li.Quantity > 0 && subtotal.Amount%li.Quantity == 0 {
			price = ritorno.Money{Amount: subtotal.Amount / li.Quantity, Currency: cur}
		} else if price, err = roundedMoney(li.Price, cur, "line_items.price"); err != nil {
			return ritorno.Order{}, err
		}
		discount, _ := subtotal.Sub(total)
		if o.Subtotal, err = o.Subtotal.Add(total); err != nil {
			return ritorno.Order{}, err
		}
		o.LineItems = append(o.LineItems, ritorno.LineItem{
			PlatformID: int64(li.ID), ProductPlatformID: int64(li.ProductID), VariantPlatformID: int64(li.VariationID),
			Title: li.Name, SKU: li.SKU, Quantity: li.Quantity, Price: price, TotalDiscount: discount,
		})
	}
	var refunds []struct {
		ID     payload.ID      `json:"id"`
		Reason string          `json:"reason"`
		Total  payload.Decimal `json:"total"`
	}
	if p.Refunds != nil {
		o.RefundsComplete, refunds = true, *p.Refunds
	}
	for _, r := range refunds {
		amount, err := r.Total.Money(cur, "refunds.total")
		if err != nil {
			return ritorno.Order{}, err
		}
		if amount.Amount < 0 {
			amount.Amount = -amount.Amount
		}
		o.Refunds = append(o.Refunds, ritorno.Refund{PlatformID: int64(r.ID), Amount: amount, Note: r.Reason})
	}
	if o.RefundedAmount, err = o.SumRefunds(); err != nil {
		return ritorno.Order{}, err
	}
	switch {
	case p.Status == "refunded" && o.RefundedAmount.IsZero():
		o.RefundedAmount = o.Total // refunded outside WooCommerce's refund records
	case fin == ritorno.FinancialPaid && o.RefundedAmount.Amount > 0 && o.RefundedAmount.Amount < o.Total.Amount:
		o.FinancialStatus = ritorno.FinancialPartiallyRefunded
	case fin == ritorno.FinancialPaid && o.RefundedAmount.Amount > 0:
		o.FinancialStatus = ritorno.FinancialRefunded
	}
	o.Sanitize(time.Now())
	if err := o.Validate(); err != nil {
		return ritorno.Order{}, err
	}
	return o, nil
}

// DecodeCustomer decodes a customer.* body.
func DecodeCustomer(body []byte) (ritorno.Customer, error) {
	var p struct {
		ID              payload.ID `json:"id"`
		Email           string     `json:"email"`
		FirstName       string     `json:"first_name"`
		LastName        string     `json:"last_name"`
		DateCreatedGMT  gmt        `json:"date_created_gmt"`
		DateModifiedGMT gmt        `json:"date_modified_gmt"`
	}
	if err := payload.Decode(body, &p, "customer"); err != nil {
		return ritorno.Customer{}, err
	}
	if p.ID == 0 {
		return ritorno.Customer{}, ritorno.Errorf(ritorno.EINVALID, "customer has no id")
	}
	c := ritorno.Customer{PlatformID: int64(p.ID), Email: p.Email, EmailHash: ritorno.HashEmail(p.Email),
		FirstName: p.FirstName, LastName: p.LastName, State: "enabled",
		PlatformCreatedAt: p.DateCreatedGMT.time(), PlatformUpdatedAt: p.DateModifiedGMT.time()}
	c.Sanitize(time.Now())
	return c, nil
}

type productPayload struct {
	ID              payload.ID      `json:"id"`
	ParentID        payload.ID      `json:"parent_id"`
	Name            string          `json:"name"`
	Slug            string          `json:"slug"`
	Type            string          `json:"type"`
	Status          string          `json:"status"`
	SKU             string          `json:"sku"`
	Price           payload.Decimal `json:"price"`
	RegularPrice    payload.Decimal `json:"regular_price"`
	SalePrice       payload.Decimal `json:"sale_price"`
	OnSale          bool            `json:"on_sale"`
	ManageStock     any             `json:"manage_stock"` // bool, or "parent" on variations
	StockQuantity   *int64          `json:"stock_quantity"`
	StockStatus     string          `json:"stock_status"`
	Backorders      string          `json:"backorders"`
	DateCreatedGMT  gmt             `json:"date_created_gmt"`
	DateModifiedGMT gmt             `json:"date_modified_gmt"`
	Categories      []struct {
		Name string `json:"name"`
		Slug string `json:"slug"`
	} `json:"categories"`
	Tags []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Images []struct {
		Src string `json:"src"`
	} `json:"images"`
}

// Product status mapping: publish → active; draft, pending, private → draft; trash →
// archived. WooCommerce has no publication date: a published product counts as published
// since its creation.
var productStatus = map[string]ritorno.ProductStatus{
	"publish": ritorno.ProductActive, "draft": ritorno.ProductDraft, "pending": ritorno.ProductDraft,
	"private": ritorno.ProductDraft, "trash": ritorno.ProductArchived, "future": ritorno.ProductDraft,
}

func (p productPayload) variant(shopCurrency string, platformID int64) (ritorno.Variant, error) {
	// WooCommerce sends "" for a price that is not set (a product being drafted, a
	// variable product's parent): no price, as the zero amount says.
	priceText := p.Price.Unset()
	if priceText == "" {
		priceText = p.RegularPrice.Unset()
	}
	price, err := priceText.Money(shopCurrency, "price")
	if err != nil {
		return ritorno.Variant{}, err
	}
	regular, err := p.RegularPrice.Unset().Money(shopCurrency, "regular_price")
	if err != nil {
		return ritorno.Variant{}, err
	}
	v := ritorno.Variant{PlatformID: platformID, Title: p.Name, SKU: p.SKU, Price: price, CompareAtPrice: ritorno.Zero(shopCurrency),
		ContinueSellingWhenOutOfStock: p.Backorders != "" && p.Backorders != "no"}
	if p.OnSale && regular.Amount > price.Amount {
		v.CompareAtPrice = regular
	}
	switch {
	case p.ManageStock == true:
		v.InventoryTracked = true
		if p.StockQuantity != nil {
			v.InventoryQuantity = *p.StockQuantity
		}
	case p.StockStatus == "outofstock":
		// Not counted, but marked out of stock by hand: tracked with nothing left.
		v.InventoryTracked, v.InventoryQuantity = true, 0
	}
	return v, nil
}

// DecodeProduct decodes a product.* body of a simple, grouped or external product (one
// variant, the product itself) or a variable product (no variants here: its variations
// are separate resources, decoded by DecodeVariation when their own deliveries arrive).
func DecodeProduct(body []byte, shopCurrency string) (ritorno.Product, error) {
	var p productPayload
	if err := payload.Decode(body, &p, "product"); err != nil {
		return ritorno.Product{}, err
	}
	if p.ID == 0 {
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "product has no id")
	}
	status, ok := productStatus[p.Status]
	if !ok {
		status = ritorno.ProductDraft
	}
	prod := ritorno.Product{PlatformID: int64(p.ID), Title: p.Name, Handle: p.Slug, Status: status,
		PlatformCreatedAt: p.DateCreatedGMT.time(), PlatformUpdatedAt: p.DateModifiedGMT.time()}
	if status == ritorno.ProductActive {
		prod.PublishedAt = p.DateCreatedGMT.time()
	}
	for _, c := range p.Categories {
		prod.Collections = append(prod.Collections, c.Slug)
	}
	if len(p.Categories) > 0 {
		prod.ProductType = p.Categories[0].Name
	}
	for _, t := range p.Tags {
		prod.Tags = append(prod.Tags, t.Name)
	}
	if len(p.Images) > 0 {
		prod.ImageURL = p.Images[0].Src
	}
	if p.Type != "variable" {
		v, err := p.variant(shopCurrency, int64(p.ID))
		if err != nil {
			return ritorno.Product{}, err
		}
		prod.Variants = []ritorno.Variant{v}
	}
	prod.Sanitize(time.Now())
	return prod, nil
}

// DecodeVariation decodes a variation's body (type "variation", parent_id set).
func DecodeVariation(body []byte, shopCurrency string) (productID int64, v ritorno.Variant, err error) {
	var p productPayload
	if err := payload.Decode(body, &p, "variation"); err != nil {
		return 0, ritorno.Variant{}, err
	}
	if p.ID == 0 || p.ParentID == 0 {
		return 0, ritorno.Variant{}, ritorno.Errorf(ritorno.EINVALID, "variation has no id or parent id")
	}
	v, err = p.variant(shopCurrency, int64(p.ID))
	v.Sanitize()
	return int64(p.ParentID), v, err
}

// isVariation tells a variation's body from a product's without decoding it all.
func isVariation(body []byte) bool {
	var p struct {
		Type     string     `json:"type"`
		ParentID payload.ID `json:"parent_id"`
	}
	return json.Unmarshal(body, &p) == nil && (p.Type == "variation" || p.ParentID > 0)
}

// DecodeDeletion decodes the {"id": N} body of *.deleted topics.
func DecodeDeletion(body []byte) (int64, error) {
	var p struct {
		ID payload.ID `json:"id"`
	}
	if err := payload.Decode(body, &p, "deletion"); err != nil {
		return 0, err
	}
	if p.ID == 0 {
		return 0, ritorno.Errorf(ritorno.EINVALID, "deletion has no id")
	}
	return int64(p.ID), nil
}
