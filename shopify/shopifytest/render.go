package shopifytest

import (
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// The domain's objects in the shapes of the Admin GraphQL API, with the field names the
// bulk queries of package shopify select: GIDs for ids, DateTime strings in UTC, enums in
// upper case, money as MoneyBag {shopMoney {amount currencyCode}} with a decimal string.

// ts renders a DateTime; nil for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// orNil renders "" as null.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// list renders a nil slice as [] (GraphQL lists of tags are never null).
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// enum renders a domain value ("partially_refunded") as a GraphQL enum value; "" is nil.
func enum(s string) any { return orNil(strings.ToUpper(s)) }

// decimal renders m as a decimal string, in cur when m carries no currency.
func decimal(m ritorno.Money, cur string) string {
	if m.Currency == "" {
		m.Currency = cur
	}
	return m.Decimal()
}

// moneyBag renders m as a MoneyBag in shop money.
func moneyBag(m ritorno.Money, cur string) map[string]any {
	if m.Currency != "" {
		cur = m.Currency
	}
	return map[string]any{"shopMoney": map[string]any{"amount": decimal(m, cur), "currencyCode": cur}}
}

// ref renders {id: gid} for a positive id, else null.
func ref(kind string, id int64) any {
	if id <= 0 {
		return nil
	}
	return map[string]any{"id": gid(kind, id)}
}

// productJSON is a product line of BulkProductsQuery.
func productJSON(p ritorno.Product) map[string]any {
	status := strings.ToUpper(string(p.Status))
	if status == "" {
		status = "ACTIVE"
	}
	var image any
	if p.ImageURL != "" {
		image = map[string]any{"url": p.ImageURL}
	}
	return map[string]any{
		"id": gid("Product", p.PlatformID), "title": p.Title, "handle": p.Handle,
		"productType": p.ProductType, "vendor": p.Vendor, "tags": list(p.Tags), "status": status,
		"createdAt": ts(p.PlatformCreatedAt), "updatedAt": ts(p.PlatformUpdatedAt),
		"publishedAt": ts(p.PublishedAt), "featuredImage": image,
	}
}

// variantJSON is a variant line of BulkProductsQuery.
func variantJSON(v ritorno.Variant, cur string) map[string]any {
	policy := "DENY"
	if v.ContinueSellingWhenOutOfStock {
		policy = "CONTINUE"
	}
	var compareAt any
	if v.CompareAtPrice.Amount != 0 {
		compareAt = decimal(v.CompareAtPrice, cur)
	}
	return map[string]any{
		"id": gid("ProductVariant", v.PlatformID), "title": v.Title, "sku": orNil(v.SKU), "position": v.Position,
		"price": decimal(v.Price, cur), "compareAtPrice": compareAt, "inventoryQuantity": v.InventoryQuantity,
		"inventoryPolicy": policy, "availableForSale": v.InStock(),
		"inventoryItem": map[string]any{"tracked": v.InventoryTracked},
	}
}

// customerJSON is a line of BulkCustomersQuery.
func customerJSON(c ritorno.Customer) map[string]any {
	var email any
	if c.Email != "" {
		email = map[string]any{"emailAddress": c.Email}
	}
	state := strings.ToUpper(c.State)
	if state == "" {
		state = "DISABLED"
	}
	return map[string]any{
		"id": gid("Customer", c.PlatformID), "defaultEmailAddress": email,
		"firstName": orNil(c.FirstName), "lastName": orNil(c.LastName), "tags": list(c.Tags),
		"state": state, "createdAt": ts(c.PlatformCreatedAt), "updatedAt": ts(c.PlatformUpdatedAt),
	}
}

// fulfillmentStatus maps the REST fulfillment_status the domain keeps onto
// Order.displayFulfillmentStatus.
func fulfillmentStatus(s string) string {
	switch s {
	case "":
		return "UNFULFILLED"
	case "partial":
		return "PARTIALLY_FULFILLED"
	case "pending":
		return "PENDING_FULFILLMENT"
	}
	return strings.ToUpper(s)
}

// refunded is what the order's refunds paid back.
func refunded(o Order, cur string) ritorno.Money {
	if o.RefundedAmount.Currency != "" {
		return o.RefundedAmount
	}
	o.Currency = cur
	sum, err := o.SumRefunds()
	if err != nil {
		return ritorno.Zero(cur)
	}
	return sum
}

// orderJSON is an order line of BulkOrdersQuery, refund headers included.
func orderJSON(o Order, cur string) map[string]any {
	presentment := o.PresentmentCurrency
	if presentment == "" {
		presentment = cur
	}
	var customer any
	if o.Buyer.Kind == ritorno.BuyerCustomer {
		var email any
		if o.Email != "" {
			email = map[string]any{"emailAddress": o.Email}
		}
		customer = map[string]any{"id": gid("Customer", o.Buyer.CustomerPlatformID), "defaultEmailAddress": email}
	}
	refunds := make([]map[string]any, 0, len(o.Refunds))
	for _, r := range o.Refunds {
		refunds = append(refunds, refundJSON(r, cur))
	}
	return map[string]any{
		"id": gid("Order", o.PlatformID), "name": o.Name, "email": orNil(o.Email),
		"createdAt": ts(o.PlatformCreatedAt), "updatedAt": ts(o.PlatformUpdatedAt),
		"processedAt": ts(o.PlacedAt()), "cancelledAt": ts(o.CancelledAt), "cancelReason": enum(o.CancelReason),
		"test": o.Test, "currencyCode": cur, "presentmentCurrencyCode": presentment,
		"displayFinancialStatus": enum(string(o.FinancialStatus)), "displayFulfillmentStatus": fulfillmentStatus(o.FulfillmentStatus),
		"tags": list(o.Tags), "sourceName": orNil(o.SourceName), "customer": customer,
		"subtotalPriceSet":      moneyBag(o.Subtotal, cur),
		"totalPriceSet":         moneyBag(o.Total, cur),
		"totalTaxSet":           moneyBag(o.TotalTax, cur),
		"totalDiscountsSet":     moneyBag(o.TotalDiscounts, cur),
		"totalShippingPriceSet": moneyBag(o.TotalShipping, cur),
		"totalRefundedSet":      moneyBag(refunded(o, cur), cur),
		"refunds":               refunds,
	}
}

// refundJSON is a refund header as BulkOrdersQuery selects it.
func refundJSON(r ritorno.Refund, cur string) map[string]any {
	return map[string]any{
		"id": gid("Refund", r.PlatformID), "createdAt": ts(r.CreatedAt), "processedAt": ts(r.ProcessedAt), "note": orNil(r.Note),
		"totalRefundedSet": moneyBag(r.Amount, cur),
	}
}

// lineItemJSON is a line item line of BulkOrdersQuery.
func lineItemJSON(li ritorno.LineItem, cur string) map[string]any {
	return map[string]any{
		"id": gid("LineItem", li.PlatformID), "title": li.Title, "variantTitle": orNil(li.VariantTitle),
		"sku": orNil(li.SKU), "vendor": orNil(li.Vendor), "quantity": li.Quantity,
		"originalUnitPriceSet": moneyBag(li.Price, cur), "totalDiscountSet": moneyBag(li.TotalDiscount, cur),
		"product": ref("Product", li.ProductPlatformID), "variant": ref("ProductVariant", li.VariantPlatformID),
		"isGiftCard": li.GiftCard,
	}
}

// maxRefundLines is the page size of OrderRefundsQuery's refundLineItems(first: 250).
const maxRefundLines = 250

// orderRefundsJSON answers OrderRefundsQuery for o.
func orderRefundsJSON(o Order, cur string) map[string]any {
	refunds := make([]map[string]any, 0, len(o.Refunds))
	for _, r := range o.Refunds {
		nodes := make([]map[string]any, 0, min(len(r.LineItems), maxRefundLines))
		for i, rl := range r.LineItems {
			if i == maxRefundLines {
				break
			}
			nodes = append(nodes, map[string]any{
				"lineItem": map[string]any{"id": gid("LineItem", rl.LineItemPlatformID)},
				"quantity": rl.Quantity, "subtotalSet": moneyBag(rl.Subtotal, cur),
			})
		}
		rj := refundJSON(r, cur)
		rj["refundLineItems"] = map[string]any{
			"pageInfo": map[string]any{"hasNextPage": len(r.LineItems) > maxRefundLines},
			"nodes":    nodes,
		}
		refunds = append(refunds, rj)
	}
	return map[string]any{"__typename": "Order", "id": gid("Order", o.PlatformID), "refunds": refunds}
}
