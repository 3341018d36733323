package shopify

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// Bulk results are GraphQL objects, not REST resources: ids are GIDs, enums are upper
// case, tags are lists and amounts are MoneyBags. The decoders here turn them into the
// same domain values the webhook decoders (payloads.go) produce for the same entity, so
// that a backfilled order and a later webhook for it agree field by field; the tests
// hold the two side by side. What GraphQL cannot carry, and how that is handled:
//   - Order.RefundsComplete: refund line items are not in the bulk export (a connection
//     inside a list); a refunded order is incomplete until DecodeOrderRefunds fills it.
//     Store upserts keep the stored refunds and refunded total of an incomplete order.
//   - Refund.Amount: REST sums the refund's successful transactions, falling back to
//     line subtotals and tax when it has none (a restock without money back); GraphQL's
//     totalRefundedSet is the transactions' total, 0 in that fallback case.
//   - Order.FulfillmentStatus: displayFulfillmentStatus has more states than REST's
//     fulfillment_status; those without a REST counterpart (ON_HOLD, IN_PROGRESS…) map
//     to "" (REST's null). PENDING_FULFILLMENT is taken as REST's "pending" (seen in
//     test notifications; unverified against a live shop).
//   - Product.Collections: neither REST payloads nor the bulk query carry them.

// gqlMoneyBag is a MoneyBag read in shop money.
type gqlMoneyBag struct {
	ShopMoney struct {
		Amount       payload.Decimal `json:"amount"`
		CurrencyCode string          `json:"currencyCode"`
	} `json:"shopMoney"`
}

// money parses a bag in the order's currency; an absent bag is zero like an absent REST
// amount, and a bag in another currency is refused rather than mixed in.
func (b *gqlMoneyBag) money(currency, field string) (ritorno.Money, error) {
	if b == nil {
		return ritorno.Zero(currency), nil
	}
	if c := b.ShopMoney.CurrencyCode; c != "" && !strings.EqualFold(c, currency) {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s is not in the shop currency %s", field, currency)
	}
	return b.ShopMoney.Amount.Money(currency, field)
}

// gidRef is a selected object of which only the id is read ({ id }).
type gidRef struct {
	ID string `json:"id"`
}

// refID is the numeric id of an optional reference; null is 0 (a deleted product).
func refID(r *gidRef, typ string) (int64, error) {
	if r == nil {
		return 0, nil
	}
	return gidID(r.ID, typ)
}

// gidType is the type of a GID ("gid://shopify/LineItem/1" → "LineItem"); "" when id is
// not a Shopify GID.
func gidType(gid string) string {
	rest, ok := strings.CutPrefix(gid, "gid://shopify/")
	if !ok {
		return ""
	}
	typ, _, _ := strings.Cut(rest, "/")
	return typ
}

// gidID returns the numeric tail of a GID of type typ, the id the REST payloads carry
// ("gid://shopify/Order/450789469" → 450789469). "" is 0; any other shape is EINVALID.
func gidID(gid, typ string) (int64, error) {
	if gid == "" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(gid, "gid://shopify/"+typ+"/")
	rest, _, _ = strings.Cut(rest, "?") // GIDs may carry parameters
	n, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || n <= 0 {
		return 0, ritorno.Errorf(ritorno.EINVALID, "an id is not a %s GID", typ)
	}
	return n, nil
}

// joinTags gives a GraphQL tag list the treatment SplitTags gives REST's tag string.
func joinTags(tags []string) []string { return ritorno.SplitTags(strings.Join(tags, ",")) }

// lowerEnum turns a GraphQL enum into REST's spelling (PARTIALLY_REFUNDED →
// partially_refunded, CUSTOMER → customer); null is "".
func lowerEnum(p *string) string { return strings.ToLower(str(p)) }

// restFulfillment maps displayFulfillmentStatus onto REST's fulfillment_status values.
var restFulfillment = map[string]string{"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked",
	"PENDING_FULFILLMENT": "pending"}

type bulkOrderJSON struct {
	ID                       string    `json:"id"`
	Name                     string    `json:"name"`
	Email                    *string   `json:"email"`
	CreatedAt                timestamp `json:"createdAt"`
	UpdatedAt                timestamp `json:"updatedAt"`
	ProcessedAt              timestamp `json:"processedAt"`
	CancelledAt              timestamp `json:"cancelledAt"`
	CancelReason             *string   `json:"cancelReason"`
	Test                     bool      `json:"test"`
	CurrencyCode             string    `json:"currencyCode"`
	PresentmentCurrencyCode  *string   `json:"presentmentCurrencyCode"`
	DisplayFinancialStatus   *string   `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus *string   `json:"displayFulfillmentStatus"`
	Tags                     []string  `json:"tags"`
	SourceName               *string   `json:"sourceName"`
	Customer                 *struct {
		ID                  string `json:"id"`
		DefaultEmailAddress *struct {
			EmailAddress *string `json:"emailAddress"`
		} `json:"defaultEmailAddress"`
	} `json:"customer"`
	SubtotalPriceSet      *gqlMoneyBag      `json:"subtotalPriceSet"`
	TotalPriceSet         *gqlMoneyBag      `json:"totalPriceSet"`
	TotalTaxSet           *gqlMoneyBag      `json:"totalTaxSet"`
	TotalDiscountsSet     *gqlMoneyBag      `json:"totalDiscountsSet"`
	TotalShippingPriceSet *gqlMoneyBag      `json:"totalShippingPriceSet"`
	Refunds               *[]bulkRefundJSON `json:"refunds"` // nil: not selected
}

type bulkRefundJSON struct {
	ID               string       `json:"id"`
	CreatedAt        timestamp    `json:"createdAt"`
	ProcessedAt      timestamp    `json:"processedAt"`
	Note             *string      `json:"note"`
	TotalRefundedSet *gqlMoneyBag `json:"totalRefundedSet"`
	RefundLineItems  *struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Nodes []struct {
			LineItem    *gidRef      `json:"lineItem"`
			Quantity    int64        `json:"quantity"`
			SubtotalSet *gqlMoneyBag `json:"subtotalSet"`
		} `json:"nodes"`
	} `json:"refundLineItems"`
}

type bulkLineItemJSON struct {
	ID                   string       `json:"id"`
	ParentID             string       `json:"__parentId"`
	Title                string       `json:"title"`
	VariantTitle         *string      `json:"variantTitle"`
	SKU                  *string      `json:"sku"`
	Vendor               *string      `json:"vendor"`
	Quantity             int64        `json:"quantity"`
	OriginalUnitPriceSet *gqlMoneyBag `json:"originalUnitPriceSet"`
	TotalDiscountSet     *gqlMoneyBag `json:"totalDiscountSet"`
	Product              *gidRef      `json:"product"`
	Variant              *gidRef      `json:"variant"`
	IsGiftCard           bool         `json:"isGiftCard"`
}

// DecodeBulkOrder decodes an Order object of BulkOrdersQuery with its LineItem children
// (in file order). Refund headers become Refunds without line items: RefundsComplete is
// true only for an order without refunds; fetch the others with OrderRefundsQuery and
// DecodeOrderRefunds.
func DecodeBulkOrder(order json.RawMessage, lineItems []json.RawMessage) (ritorno.Order, error) {
	var p bulkOrderJSON
	if err := payload.Decode(order, &p, "bulk order"); err != nil {
		return ritorno.Order{}, err
	}
	id, err := gidID(p.ID, "Order")
	if err != nil {
		return ritorno.Order{}, err
	}
	if id == 0 {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "bulk order has no id")
	}
	cur := strings.ToUpper(p.CurrencyCode)
	if err := ritorno.ValidateCurrency(cur); err != nil {
		return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "order currency: %s", ritorno.ErrorMessage(err))
	}
	o := ritorno.Order{
		PlatformID:          id,
		Name:                p.Name,
		Currency:            cur,
		PresentmentCurrency: strings.ToUpper(str(p.PresentmentCurrencyCode)),
		FinancialStatus:     ritorno.FinancialStatus(lowerEnum(p.DisplayFinancialStatus)),
		FulfillmentStatus:   restFulfillment[str(p.DisplayFulfillmentStatus)],
		SourceName:          str(p.SourceName),
		Test:                p.Test,
		Tags:                joinTags(p.Tags),
		PlatformCreatedAt:   p.CreatedAt.time(),
		ProcessedAt:         p.ProcessedAt.time(),
		CancelledAt:         p.CancelledAt.time(),
		CancelReason:        lowerEnum(p.CancelReason),
		PlatformUpdatedAt:   p.UpdatedAt.time(),
	}
	// The buyer as DecodeOrder finds it: the order's address, else the customer's.
	email := str(p.Email)
	var customerID int64
	if p.Customer != nil {
		if customerID, err = gidID(p.Customer.ID, "Customer"); err != nil {
			return ritorno.Order{}, err
		}
		if email == "" && p.Customer.DefaultEmailAddress != nil {
			email = str(p.Customer.DefaultEmailAddress.EmailAddress)
		}
	}
	o.Buyer = ritorno.BuyerFor(customerID, email)

	for _, f := range []struct {
		dst  *ritorno.Money
		bag  *gqlMoneyBag
		name string
	}{
		{&o.Subtotal, p.SubtotalPriceSet, "subtotalPriceSet"},
		{&o.TotalDiscounts, p.TotalDiscountsSet, "totalDiscountsSet"},
		{&o.TotalTax, p.TotalTaxSet, "totalTaxSet"},
		{&o.Total, p.TotalPriceSet, "totalPriceSet"},
		{&o.TotalShipping, p.TotalShippingPriceSet, "totalShippingPriceSet"},
	} {
		if *f.dst, err = f.bag.money(cur, f.name); err != nil {
			return ritorno.Order{}, err
		}
	}
	for i, raw := range lineItems {
		li, err := decodeBulkLineItem(raw, p.ID, cur)
		if err != nil {
			return ritorno.Order{}, ritorno.Errorf(ritorno.EINVALID, "line item %d: %s", i+1, ritorno.ErrorMessage(err))
		}
		o.LineItems = append(o.LineItems, li)
	}
	if p.Refunds != nil {
		for _, rp := range *p.Refunds {
			r, _, err := rp.refund(cur)
			if err != nil {
				return ritorno.Order{}, err
			}
			o.Refunds = append(o.Refunds, r)
		}
		o.RefundsComplete = len(o.Refunds) == 0
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

func decodeBulkLineItem(raw json.RawMessage, orderGID, cur string) (ritorno.LineItem, error) {
	var li bulkLineItemJSON
	if err := payload.Decode(raw, &li, "bulk line item"); err != nil {
		return ritorno.LineItem{}, err
	}
	if li.ParentID != "" && li.ParentID != orderGID {
		return ritorno.LineItem{}, ritorno.Errorf(ritorno.EINVALID, "belongs to another order")
	}
	id, err := gidID(li.ID, "LineItem")
	if err != nil {
		return ritorno.LineItem{}, err
	}
	productID, err := refID(li.Product, "Product")
	if err != nil {
		return ritorno.LineItem{}, err
	}
	variantID, err := refID(li.Variant, "ProductVariant")
	if err != nil {
		return ritorno.LineItem{}, err
	}
	if li.Quantity < 0 {
		return ritorno.LineItem{}, ritorno.Errorf(ritorno.EINVALID, "quantity is negative")
	}
	price, err := li.OriginalUnitPriceSet.money(cur, "originalUnitPriceSet")
	if err != nil {
		return ritorno.LineItem{}, err
	}
	disc, err := li.TotalDiscountSet.money(cur, "totalDiscountSet")
	if err != nil {
		return ritorno.LineItem{}, err
	}
	return ritorno.LineItem{
		PlatformID: id, ProductPlatformID: productID, VariantPlatformID: variantID,
		Title: li.Title, VariantTitle: str(li.VariantTitle), SKU: str(li.SKU), Vendor: str(li.Vendor),
		Quantity: li.Quantity, Price: price, TotalDiscount: disc, GiftCard: li.IsGiftCard,
	}, nil
}

// refund converts a refund; complete is false when its line items were not selected or
// were cut at the page size.
func (rp bulkRefundJSON) refund(currency string) (r ritorno.Refund, complete bool, err error) {
	id, err := gidID(rp.ID, "Refund")
	if err != nil {
		return ritorno.Refund{}, false, err
	}
	amount, err := rp.TotalRefundedSet.money(currency, "refunds.totalRefundedSet")
	if err != nil {
		return ritorno.Refund{}, false, err
	}
	if amount.Amount < 0 {
		amount.Amount = -amount.Amount
	}
	r = ritorno.Refund{PlatformID: id, CreatedAt: rp.CreatedAt.time(), ProcessedAt: rp.ProcessedAt.time(), Amount: amount, Note: str(rp.Note)}
	if r.ProcessedAt.IsZero() {
		r.ProcessedAt = r.CreatedAt
	}
	if rp.RefundLineItems == nil {
		return r, false, nil
	}
	for _, n := range rp.RefundLineItems.Nodes {
		lineID, err := refID(n.LineItem, "LineItem")
		if err != nil {
			return ritorno.Refund{}, false, err
		}
		sub, err := n.SubtotalSet.money(currency, "refundLineItems.subtotalSet")
		if err != nil {
			return ritorno.Refund{}, false, err
		}
		r.LineItems = append(r.LineItems, ritorno.RefundLineItem{LineItemPlatformID: lineID, Quantity: n.Quantity, Subtotal: sub})
	}
	return r, !rp.RefundLineItems.PageInfo.HasNextPage, nil
}

// DecodeOrderRefunds decodes the data of an OrderRefundsQuery answer ({"node": …}) into
// the order's refunds with their line items; currency is the order's (the shop's).
// complete is false when a refund has more line items than the query reads: then the
// refunds are partial and the order must stay RefundsComplete = false. An order that no
// longer exists is ENOTFOUND.
func DecodeOrderRefunds(data json.RawMessage, currency string) (refunds []ritorno.Refund, complete bool, err error) {
	var p struct {
		Node *struct {
			ID      string            `json:"id"`
			Refunds *[]bulkRefundJSON `json:"refunds"`
		} `json:"node"`
	}
	if err := payload.Decode(data, &p, "order refunds"); err != nil {
		return nil, false, err
	}
	if p.Node == nil || p.Node.ID == "" {
		return nil, false, ritorno.Errorf(ritorno.ENOTFOUND, "order not found")
	}
	if p.Node.Refunds == nil {
		return nil, false, ritorno.Errorf(ritorno.EINVALID, "order refunds: refunds not selected")
	}
	complete = true
	for _, rp := range *p.Node.Refunds {
		r, ok, err := rp.refund(currency)
		if err != nil {
			return nil, false, err
		}
		r.Sanitize(time.Now())
		refunds = append(refunds, r)
		complete = complete && ok
	}
	return refunds, complete, nil
}

type bulkProductJSON struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Handle        string    `json:"handle"`
	ProductType   string    `json:"productType"`
	Vendor        string    `json:"vendor"`
	Tags          []string  `json:"tags"`
	Status        string    `json:"status"`
	CreatedAt     timestamp `json:"createdAt"`
	UpdatedAt     timestamp `json:"updatedAt"`
	PublishedAt   timestamp `json:"publishedAt"`
	FeaturedImage *struct {
		URL string `json:"url"`
	} `json:"featuredImage"`
}

type bulkVariantJSON struct {
	ID                string          `json:"id"`
	ParentID          string          `json:"__parentId"`
	Title             string          `json:"title"`
	SKU               *string         `json:"sku"`
	Position          int             `json:"position"`
	Price             payload.Decimal `json:"price"`
	CompareAtPrice    payload.Decimal `json:"compareAtPrice"`
	InventoryQuantity *int64          `json:"inventoryQuantity"`
	InventoryPolicy   string          `json:"inventoryPolicy"`
	InventoryItem     *struct {
		Tracked bool `json:"tracked"`
	} `json:"inventoryItem"`
}

// DecodeBulkProduct decodes a Product object of BulkProductsQuery with its ProductVariant
// children (in file order). Prices are in the shop currency, as in DecodeProduct, and a
// variant is a gift card by the same rule (product type "gift card").
func DecodeBulkProduct(product json.RawMessage, variants []json.RawMessage, shopCurrency string) (ritorno.Product, error) {
	var p bulkProductJSON
	if err := payload.Decode(product, &p, "bulk product"); err != nil {
		return ritorno.Product{}, err
	}
	id, err := gidID(p.ID, "Product")
	if err != nil {
		return ritorno.Product{}, err
	}
	if id == 0 {
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "bulk product has no id")
	}
	status := ritorno.ProductStatus(strings.ToLower(p.Status))
	switch status {
	case ritorno.ProductActive, ritorno.ProductDraft, ritorno.ProductArchived:
	default:
		return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "product status is unknown")
	}
	prod := ritorno.Product{
		PlatformID: id, Title: p.Title, Handle: p.Handle, ProductType: p.ProductType, Vendor: p.Vendor,
		Tags: joinTags(p.Tags), Status: status, PublishedAt: p.PublishedAt.time(),
		PlatformCreatedAt: p.CreatedAt.time(), PlatformUpdatedAt: p.UpdatedAt.time(),
	}
	if p.FeaturedImage != nil {
		prod.ImageURL = p.FeaturedImage.URL
	}
	giftCard := strings.EqualFold(p.ProductType, "gift card")
	for i, raw := range variants {
		var v bulkVariantJSON
		if err := payload.Decode(raw, &v, "bulk variant"); err != nil {
			return ritorno.Product{}, err
		}
		if v.ParentID != "" && v.ParentID != p.ID {
			return ritorno.Product{}, ritorno.Errorf(ritorno.EINVALID, "variant %d belongs to another product", i+1)
		}
		vid, err := gidID(v.ID, "ProductVariant")
		if err != nil {
			return ritorno.Product{}, err
		}
		price, err := v.Price.Money(shopCurrency, "variants.price")
		if err != nil {
			return ritorno.Product{}, err
		}
		// An empty compare-at price is none, as null is.
		compare, err := v.CompareAtPrice.Unset().Money(shopCurrency, "variants.compareAtPrice")
		if err != nil {
			return ritorno.Product{}, err
		}
		var qty int64
		if v.InventoryQuantity != nil {
			qty = *v.InventoryQuantity
		}
		prod.Variants = append(prod.Variants, ritorno.Variant{
			PlatformID: vid, Title: v.Title, SKU: str(v.SKU), Position: v.Position, Price: price, CompareAtPrice: compare,
			InventoryTracked: v.InventoryItem != nil && v.InventoryItem.Tracked, InventoryQuantity: qty,
			ContinueSellingWhenOutOfStock: v.InventoryPolicy == "CONTINUE", GiftCard: giftCard,
		})
	}
	prod.Sanitize(time.Now())
	return prod, nil
}

type bulkCustomerJSON struct {
	ID                  string `json:"id"`
	DefaultEmailAddress *struct {
		EmailAddress *string `json:"emailAddress"`
	} `json:"defaultEmailAddress"`
	FirstName *string   `json:"firstName"`
	LastName  *string   `json:"lastName"`
	Tags      []string  `json:"tags"`
	State     *string   `json:"state"`
	CreatedAt timestamp `json:"createdAt"`
	UpdatedAt timestamp `json:"updatedAt"`
}

// DecodeBulkCustomer decodes a Customer object of BulkCustomersQuery. Unlike customers/*
// webhooks since 2025-01, the export carries tags.
func DecodeBulkCustomer(customer json.RawMessage) (ritorno.Customer, error) {
	var p bulkCustomerJSON
	if err := payload.Decode(customer, &p, "bulk customer"); err != nil {
		return ritorno.Customer{}, err
	}
	id, err := gidID(p.ID, "Customer")
	if err != nil {
		return ritorno.Customer{}, err
	}
	if id == 0 {
		return ritorno.Customer{}, ritorno.Errorf(ritorno.EINVALID, "bulk customer has no id")
	}
	var email string
	if p.DefaultEmailAddress != nil {
		email = str(p.DefaultEmailAddress.EmailAddress)
	}
	c := ritorno.Customer{
		PlatformID: id, Email: email, EmailHash: ritorno.HashEmail(email),
		FirstName: str(p.FirstName), LastName: str(p.LastName), State: lowerEnum(p.State), Tags: joinTags(p.Tags),
		PlatformCreatedAt: p.CreatedAt.time(), PlatformUpdatedAt: p.UpdatedAt.time(),
	}
	c.Sanitize(time.Now())
	return c, nil
}
