package shopify

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// Webhook bodies are REST resources. Ids are JSON numbers up to int64, decoded through
// json.Number and never through float64; money is a decimal string ("199.00"), accepted as
// a JSON number only through its exact text; times are RFC 3339 with the shop's offset.

// moneySet is Shopify's pair of amounts in shop and presentment currency.
type moneySet struct {
	ShopMoney struct {
		Amount       payload.Decimal `json:"amount"`
		CurrencyCode string          `json:"currency_code"`
	} `json:"shop_money"`
}

// pick prefers the shop-money amount of a *_set field when present: plain fields of
// multi-currency orders can be in the presentment currency on some API versions.
func pick(plain payload.Decimal, set *moneySet) payload.Decimal {
	if set != nil && set.ShopMoney.Amount != "" {
		return set.ShopMoney.Amount
	}
	return plain
}

type timestamp time.Time

func (t *timestamp) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "time is not a string")
	}
	if s == nil || *s == "" {
		*t = timestamp{}
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "a time is not RFC 3339")
	}
	*t = timestamp(parsed.UTC())
	return nil
}

func (t timestamp) time() time.Time { return time.Time(t) }

type orderPayload struct {
	ID                  payload.ID       `json:"id"`
	Name                string           `json:"name"`
	Email               string           `json:"email"`
	ContactEmail        string           `json:"contact_email"`
	Customer            *customerRef     `json:"customer"`
	Currency            string           `json:"currency"`
	PresentmentCurrency string           `json:"presentment_currency"`
	SubtotalPrice       payload.Decimal  `json:"subtotal_price"`
	SubtotalPriceSet    *moneySet        `json:"subtotal_price_set"`
	TotalDiscounts      payload.Decimal  `json:"total_discounts"`
	TotalDiscountsSet   *moneySet        `json:"total_discounts_set"`
	TotalTax            payload.Decimal  `json:"total_tax"`
	TotalTaxSet         *moneySet        `json:"total_tax_set"`
	TotalPrice          payload.Decimal  `json:"total_price"`
	TotalPriceSet       *moneySet        `json:"total_price_set"`
	TotalShippingSet    *moneySet        `json:"total_shipping_price_set"`
	ShippingLines       []shippingLine   `json:"shipping_lines"`
	FinancialStatus     string           `json:"financial_status"`
	FulfillmentStatus   *string          `json:"fulfillment_status"`
	SourceName          string           `json:"source_name"`
	Test                bool             `json:"test"`
	Tags                string           `json:"tags"`
	CreatedAt           timestamp        `json:"created_at"`
	ProcessedAt         timestamp        `json:"processed_at"`
	CancelledAt         timestamp        `json:"cancelled_at"`
	CancelReason        *string          `json:"cancel_reason"`
	UpdatedAt           timestamp        `json:"updated_at"`
	LineItems           []lineItem       `json:"line_items"`
	Refunds             *[]refundPayload `json:"refunds"` // nil: not in the payload
}

type customerRef struct {
	ID    payload.ID `json:"id"`
	Email string     `json:"email"`
}

type shippingLine struct {
	Price    payload.Decimal `json:"price"`
	PriceSet *moneySet       `json:"price_set"`
}

type lineItem struct {
	ID               payload.ID      `json:"id"`
	ProductID        payload.ID      `json:"product_id"`
	VariantID        payload.ID      `json:"variant_id"`
	Title            string          `json:"title"`
	VariantTitle     *string         `json:"variant_title"`
	SKU              *string         `json:"sku"`
	Vendor           *string         `json:"vendor"`
	Quantity         int64           `json:"quantity"`
	Price            payload.Decimal `json:"price"`
	PriceSet         *moneySet       `json:"price_set"`
	TotalDiscount    payload.Decimal `json:"total_discount"`
	TotalDiscountSet *moneySet       `json:"total_discount_set"`
	GiftCard         bool            `json:"gift_card"`
}

type refundPayload struct {
	ID              payload.ID `json:"id"`
	OrderID         payload.ID `json:"order_id"`
	CreatedAt       timestamp  `json:"created_at"`
	ProcessedAt     timestamp  `json:"processed_at"`
	Note            *string    `json:"note"`
	RefundLineItems []struct {
		LineItemID  payload.ID      `json:"line_item_id"`
		Quantity    int64           `json:"quantity"`
		Subtotal    payload.Decimal `json:"subtotal"`
		SubtotalSet *moneySet       `json:"subtotal_set"`
		TotalTax    payload.Decimal `json:"total_tax"`
		TotalTaxSet *moneySet       `json:"total_tax_set"`
	} `json:"refund_line_items"`
	Transactions []struct {
		Kind      string          `json:"kind"`
		Status    string          `json:"status"`
		Amount    payload.Decimal `json:"amount"`
		AmountSet *moneySet       `json:"amount_set"`
		Currency  string          `json:"currency"`
	} `json:"transactions"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// DecodeOrder decodes an orders/* body.
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
	o := ritorno.Order{
		PlatformID:          int64(p.ID),
		Name:                p.Name,
		Currency:            cur,
		PresentmentCurrency: strings.ToUpper(p.PresentmentCurrency),
		FinancialStatus:     ritorno.FinancialStatus(p.FinancialStatus),
		FulfillmentStatus:   str(p.FulfillmentStatus),
		SourceName:          p.SourceName,
		Test:                p.Test,
		Tags:                ritorno.SplitTags(p.Tags),
		PlatformCreatedAt:   p.CreatedAt.time(),
		ProcessedAt:         p.ProcessedAt.time(),
		CancelledAt:         p.CancelledAt.time(),
		CancelReason:        str(p.CancelReason),
		PlatformUpdatedAt:   p.UpdatedAt.time(),
	}
	email := p.Email
	if email == "" {
		email = p.ContactEmail
	}
	var customerID int64
	if p.Customer != nil {
		customerID = int64(p.Customer.ID)
		if email == "" {
			email = p.Customer.Email
		}
	}
	o.Buyer = ritorno.BuyerFor(customerID, email)

	var err error
	for _, f := range []struct {
		dst  *ritorno.Money
		val  payload.Decimal
		name string
	}{
		{&o.Subtotal, pick(p.SubtotalPrice, p.SubtotalPriceSet), "subtotal_price"},
		{&o.TotalDiscounts, pick(p.TotalDiscounts, p.TotalDiscountsSet), "total_discounts"},
		{&o.TotalTax, pick(p.TotalTax, p.TotalTaxSet), "total_tax"},
		{&o.Total, pick(p.TotalPrice, p.TotalPriceSet), "total_price"},
	} {
		if *f.dst, err = f.val.Money(cur, f.name); err != nil {
			return ritorno.Order{}, err
		}
	}
	// Shipping: the total set when present, else the sum of the shipping lines.
	if p.TotalShippingSet != nil && p.TotalShippingSet.ShopMoney.Amount != "" {
		if o.TotalShipping, err = p.TotalShippingSet.ShopMoney.Amount.Money(cur, "total_shipping_price_set"); err != nil {
			return ritorno.Order{}, err
		}
	} else {
		o.TotalShipping = ritorno.Zero(cur)
		for _, sl := range p.ShippingLines {
			m, err := pick(sl.Price, sl.PriceSet).Money(cur, "shipping_lines.price")
			if err != nil {
				return ritorno.Order{}, err
			}
			if o.TotalShipping, err = o.TotalShipping.Add(m); err != nil {
				return ritorno.Order{}, err
			}
		}
	}
	for _, li := range p.LineItems {
		price, err := pick(li.Price, li.PriceSet).Money(cur, "line_items.price")
		if err != nil {
			return ritorno.Order{}, err
		}
		disc, err := pick(li.TotalDiscount, li.TotalDiscountSet).Money(cur, "line_items.total_discount")
		if err != nil {
			return ritorno.Order{}, err
		}
		if li.Quantity < 0 {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "line item quantity is negative")
		}
		o.LineItems = append(o.LineItems, ritorno.LineItem{
			PlatformID: int64(li.ID), ProductPlatformID: int64(li.ProductID), VariantPlatformID: int64(li.VariantID),
			Title: li.Title, VariantTitle: str(li.VariantTitle), SKU: str(li.SKU), Vendor: str(li.Vendor),
			Quantity: li.Quantity, Price: price, TotalDiscount: disc, GiftCard: li.GiftCard,
		})
	}
	if p.Refunds != nil {
		o.RefundsComplete = true
		for _, rp := range *p.Refunds {
			r, err := rp.refund(cur)
			if err != nil {
				return ritorno.Order{}, err
			}
			o.Refunds = append(o.Refunds, r)
		}
	}
	if o.RefundedAmount, err = o.SumRefunds(); err != nil {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "refunds: %s", ritorno.ErrorMessage(err))
	}
	o.Sanitize(time.Now())
	if err := o.Validate(); err != nil {
		return ritorno.Order{}, err
	}
	return o, nil
}

// refund converts a refund payload. Its amount is what was paid back: the successful
// "refund" transactions (in shop money when the *_set field says so); a refund without
// such transactions (e.g. restock only, or an old payload) counts its line subtotals and
// their tax instead. An amount in a currency other than the shop's is refused rather than
// mixed in.
func (rp refundPayload) refund(currency string) (ritorno.Refund, error) {
	r := ritorno.Refund{PlatformID: int64(rp.ID), CreatedAt: rp.CreatedAt.time(), ProcessedAt: rp.ProcessedAt.time(),
		Amount: ritorno.Zero(currency), Note: str(rp.Note)}
	if r.ProcessedAt.IsZero() {
		r.ProcessedAt = r.CreatedAt
	}
	transactions := 0
	for _, t := range rp.Transactions {
		if t.Kind != "refund" || (t.Status != "success" && t.Status != "") {
			continue
		}
		amount := t.Amount
		if t.AmountSet != nil && t.AmountSet.ShopMoney.Amount != "" {
			amount = t.AmountSet.ShopMoney.Amount
		} else if t.Currency != "" && !strings.EqualFold(t.Currency, currency) {
			return ritorno.Refund{}, ritorno.Errorf(ritorno.EINVALID, "transactions.currency: a refund transaction is not in the order's currency")
		}
		m, err := amount.Money(currency, "transactions.amount")
		if err != nil {
			return ritorno.Refund{}, err
		}
		if r.Amount, err = r.Amount.Add(m); err != nil {
			return ritorno.Refund{}, err
		}
		transactions++
	}
	for _, rl := range rp.RefundLineItems {
		sub, err := pick(rl.Subtotal, rl.SubtotalSet).Money(currency, "refund_line_items.subtotal")
		if err != nil {
			return ritorno.Refund{}, err
		}
		r.LineItems = append(r.LineItems, ritorno.RefundLineItem{LineItemPlatformID: int64(rl.LineItemID), Quantity: rl.Quantity, Subtotal: sub})
		if transactions == 0 {
			tax, err := pick(rl.TotalTax, rl.TotalTaxSet).Money(currency, "refund_line_items.total_tax")
			if err != nil {
				return ritorno.Refund{}, err
			}
			if r.Amount, err = r.Amount.Add(sub); err != nil {
				return ritorno.Refund{}, err
			}
			if r.Amount, err = r.Amount.Add(tax); err != nil {
				return ritorno.Refund{}, err
			}
		}
	}
	if r.Amount.Amount < 0 {
		r.Amount.Amount = -r.Amount.Amount
	}
	return r, nil
}

// DecodeRefund decodes a refunds/create body; currency is the shop's.
func DecodeRefund(body []byte, currency string) (orderID int64, r ritorno.Refund, err error) {
	var p refundPayload
	if err := payload.Decode(body, &p, "refund"); err != nil {
		return 0, ritorno.Refund{}, err
	}
	if p.ID == 0 || p.OrderID == 0 {
		return 0, ritorno.Refund{}, ritorno.Errorf(ritorno.EINVALID, "refund has no id or order id")
	}
	r, err = p.refund(currency)
	r.Sanitize(time.Now())
	return int64(p.OrderID), r, err
}

type customerPayload struct {
	ID        payload.ID `json:"id"`
	Email     *string    `json:"email"`
	FirstName *string    `json:"first_name"`
	LastName  *string    `json:"last_name"`
	State     string     `json:"state"`
	Tags      string     `json:"tags"`
	CreatedAt timestamp  `json:"created_at"`
	UpdatedAt timestamp  `json:"updated_at"`
}

// DecodeCustomer decodes a customers/create or customers/update body. Since 2025-01 these
// payloads carry no tags; absent tags decode as none.
func DecodeCustomer(body []byte) (ritorno.Customer, error) {
	var p customerPayload
	if err := payload.Decode(body, &p, "customer"); err != nil {
		return ritorno.Customer{}, err
	}
	if p.ID == 0 {
		return ritorno.Customer{}, ritorno.Errorf(ritorno.EINVALID, "customer has no id")
	}
	c := ritorno.Customer{
		PlatformID: int64(p.ID), Email: str(p.Email), EmailHash: ritorno.HashEmail(str(p.Email)),
		FirstName: str(p.FirstName), LastName: str(p.LastName), State: p.State, Tags: ritorno.SplitTags(p.Tags),
		PlatformCreatedAt: p.CreatedAt.time(), PlatformUpdatedAt: p.UpdatedAt.time(),
	}
	c.Sanitize(time.Now())
	return c, nil
}

type productPayload struct {
	ID          payload.ID `json:"id"`
	Title       string     `json:"title"`
	Handle      string     `json:"handle"`
	ProductType string     `json:"product_type"`
	Vendor      string     `json:"vendor"`
	Tags        string     `json:"tags"`
	Status      string     `json:"status"`
	PublishedAt timestamp  `json:"published_at"`
	CreatedAt   timestamp  `json:"created_at"`
	UpdatedAt   timestamp  `json:"updated_at"`
	Image       *struct {
		Src string `json:"src"`
	} `json:"image"`
	Images []struct {
		Src string `json:"src"`
	} `json:"images"`
	Variants []struct {
		ID                  payload.ID      `json:"id"`
		Title               string          `json:"title"`
		SKU                 *string         `json:"sku"`
		Position            int             `json:"position"`
		Price               payload.Decimal `json:"price"`
		CompareAtPrice      payload.Decimal `json:"compare_at_price"`
		InventoryQuantity   int64           `json:"inventory_quantity"`
		InventoryManagement *string         `json:"inventory_management"`
		InventoryPolicy     string          `json:"inventory_policy"`
	} `json:"variants"`
}

// DecodeProduct decodes a products/create or products/update body. Prices are in the shop
// currency, which the payload does not name. Old payloads without status are active when
// published and drafts otherwise.
func DecodeProduct(body []byte, shopCurrency string) (ritorno.Product, error) {
	var p productPayload
	if err := payload.Decode(body, &p, "product"); err != nil {
		return ritorno.Product{}, err
	}
	if p.ID == 0 {
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "product has no id")
	}
	status := ritorno.ProductStatus(p.Status)
	switch status {
	case ritorno.ProductActive, ritorno.ProductDraft, ritorno.ProductArchived:
	case "":
		status = ritorno.ProductDraft
		if !p.PublishedAt.time().IsZero() {
			status = ritorno.ProductActive
		}
	default:
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "product status is unknown")
	}
	prod := ritorno.Product{
		PlatformID: int64(p.ID), Title: p.Title, Handle: p.Handle, ProductType: p.ProductType, Vendor: p.Vendor,
		Tags: ritorno.SplitTags(p.Tags), Status: status, PublishedAt: p.PublishedAt.time(),
		PlatformCreatedAt: p.CreatedAt.time(), PlatformUpdatedAt: p.UpdatedAt.time(),
	}
	if p.Image != nil && p.Image.Src != "" {
		prod.ImageURL = p.Image.Src
	} else if len(p.Images) > 0 {
		prod.ImageURL = p.Images[0].Src
	}
	giftCard := strings.EqualFold(p.ProductType, "gift card")
	for _, v := range p.Variants {
		price, err := v.Price.Money(shopCurrency, "variants.price")
		if err != nil {
			return ritorno.Product{}, err
		}
		// An empty compare-at price is none, as null is.
		compare, err := v.CompareAtPrice.Unset().Money(shopCurrency, "variants.compare_at_price")
		if err != nil {
			return ritorno.Product{}, err
		}
		prod.Variants = append(prod.Variants, ritorno.Variant{
			PlatformID: int64(v.ID), Title: v.Title, SKU: str(v.SKU), Position: v.Position, Price: price, CompareAtPrice: compare,
			InventoryTracked: str(v.InventoryManagement) != "", InventoryQuantity: v.InventoryQuantity,
			ContinueSellingWhenOutOfStock: v.InventoryPolicy == "continue", GiftCard: giftCard,
		})
	}
	prod.Sanitize(time.Now())
	return prod, nil
}

// DecodeDeletion decodes the {"id": N} body of orders/delete, products/delete and
// customers/delete.
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

type compliancePayload struct {
	ShopDomain string `json:"shop_domain"`
	Customer   *struct {
		ID    payload.ID `json:"id"`
		Email string     `json:"email"`
	} `json:"customer"`
	OrdersToRedact  []payload.ID `json:"orders_to_redact"`
	OrdersRequested []payload.ID `json:"orders_requested"`
	DataRequest     *struct {
		ID payload.ID `json:"id"`
	} `json:"data_request"`
}

// checkShape refuses a compliance body replayed under another compliance topic of the
// same shop: a customers/redact body (it names a customer) is no shop/redact.
func (p compliancePayload) checkShape(kind ritorno.EventKind) error {
	hasCustomer, hasRequest := p.Customer != nil, p.DataRequest != nil
	switch {
	case kind == ritorno.EventShopRedact && (hasCustomer || hasRequest || p.OrdersToRedact != nil || p.OrdersRequested != nil):
		return ritorno.Errorf(ritorno.EINVALID, "shop/redact body names a customer")
	case kind == ritorno.EventCustomerRedact && (!hasCustomer || hasRequest):
		return ritorno.Errorf(ritorno.EINVALID, "customers/redact body is not a redaction request")
	case kind == ritorno.EventDataRequest && !hasRequest:
		return ritorno.Errorf(ritorno.EINVALID, "data request has no id")
	}
	return nil
}

func (p compliancePayload) customer() (id int64, email string) {
	if p.Customer == nil {
		return 0, ""
	}
	return int64(p.Customer.ID), p.Customer.Email
}

func (p compliancePayload) requestID() int64 {
	if p.DataRequest == nil {
		return 0
	}
	return int64(p.DataRequest.ID)
}
