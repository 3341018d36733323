package wootest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// Data is what a fake store holds, as REST v3 JSON objects exactly as the API returns them
// (and as webhooks deliver them). Variations and refunds are keyed by their parent product
// or order, because the older REST shapes of both do not name their parent.
type Data struct {
	Products   []json.RawMessage
	Variations map[int64][]json.RawMessage // by parent product id
	Customers  []json.RawMessage           // "role" missing counts as "customer"
	Orders     []json.RawMessage
	Refunds    map[int64][]json.RawMessage // full refund resources, by order id
}

// FromSamples builds Data from published sample payloads (an order, a product, a
// customer, each a REST v3 object). The caller reads the files: this package never reads
// the repository's fixtures itself.
func FromSamples(order, product, customer []byte) (Data, error) {
	var d Data
	for _, s := range []struct {
		what string
		raw  []byte
		dst  *[]json.RawMessage
	}{{"order", order, &d.Orders}, {"product", product, &d.Products}, {"customer", customer, &d.Customers}} {
		if len(bytes.TrimSpace(s.raw)) == 0 {
			continue
		}
		if _, err := parseItem(s.raw); err != nil {
			return Data{}, fmt.Errorf("wootest: sample %s: %w", s.what, err)
		}
		*s.dst = append(*s.dst, append(json.RawMessage(nil), s.raw...))
	}
	return d, nil
}

// Gen says what Generate makes.
type Gen struct {
	Seed      uint64
	Products  int    // the first (and every seventh) is variable, with three variations
	Customers int    // every tenth has the role "subscriber" instead of "customer"
	Orders    int    // every fourth is a guest order (customer_id 0); see Generate
	Currency  string // ["USD"]
}

// Id ranges of generated objects, apart so that a test can tell them at a glance.
const (
	firstProductID   = 101
	firstVariationID = 100001
	firstCustomerID  = 1
	firstOrderID     = 200001
	firstRefundID    = 300001
	firstLineID      = 400001
)

// genEpoch is when generated histories start; objects are created in id order after it.
var genEpoch = time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)

// Generate makes a deterministic store history from g.Seed, in the REST v3 shapes. Among
// the orders (when there are enough): order #3 of every twenty is refunded in full (with a
// refund record carrying its line items), #6 partially refunded, #8 cancelled, #12 failed,
// #14 pending and #18 on hold; the rest are completed or processing. Dates are in UTC and
// the store's local dates equal them.
func Generate(g Gen) Data {
	cur := strings.ToUpper(g.Currency)
	if cur == "" {
		cur = "USD"
	}
	r := rand.New(rand.NewPCG(g.Seed, g.Seed^0x9e3779b97f4a7c15))
	money := func(minor int64) string { return ritorno.Money{Amount: minor, Currency: cur}.Decimal() }
	unit := int64(1)
	for range ritorno.CurrencyExponent(cur) {
		unit *= 10
	}
	d := Data{Variations: map[int64][]json.RawMessage{}, Refunds: map[int64][]json.RawMessage{}}

	type sellable struct {
		productID, variationID int64
		name, sku              string
		price                  int64
	}
	var catalog [][]sellable // per product: what an order line can be
	categories := []struct {
		id         int
		name, slug string
	}{{15, "Coffee", "coffee"}, {16, "Tea", "tea"}, {17, "Accessories", "accessories"}, {18, "Books", "books"}}
	at := genEpoch
	nextVariation := int64(firstVariationID)
	for i := range g.Products {
		id := int64(firstProductID + i)
		at = at.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		price := int64(5+r.IntN(95))*unit + unit*99/100
		cat := categories[r.IntN(len(categories))]
		name := fmt.Sprintf("%s item %d", cat.name, i+1)
		variable := i == 0 || i%7 == 6
		status := "publish"
		if i%11 == 10 {
			status = "draft"
		}
		p := map[string]any{
			"id": id, "name": name, "slug": slugOf(name), "permalink": "https://store.example/product/" + slugOf(name) + "/",
			"date_created": wpTime(at), "date_created_gmt": wpTime(at), "date_modified": wpTime(at.Add(time.Hour)), "date_modified_gmt": wpTime(at.Add(time.Hour)),
			"type": "simple", "status": status, "featured": false, "catalog_visibility": "visible", "description": "", "short_description": "",
			"sku": fmt.Sprintf("SKU-%d", id), "price": money(price), "regular_price": money(price), "sale_price": "", "on_sale": false,
			"purchasable": true, "total_sales": 0, "virtual": false, "downloadable": false, "tax_status": "taxable", "tax_class": "",
			"manage_stock": false, "stock_quantity": nil, "stock_status": "instock", "backorders": "no", "parent_id": 0,
			"categories": []any{map[string]any{"id": cat.id, "name": cat.name, "slug": cat.slug}}, "tags": []any{}, "images": []any{},
			"attributes": []any{}, "variations": []any{}, "related_ids": []any{}, "upsell_ids": []any{}, "cross_sell_ids": []any{}, "meta_data": []any{},
		}
		var sells []sellable
		if variable {
			sizes := []string{"Small", "Medium", "Large"}
			var ids []int64
			p["type"], p["sku"], p["price"], p["regular_price"] = "variable", "", money(price), ""
			p["attributes"] = []any{map[string]any{"id": 0, "name": "Size", "position": 0, "visible": true, "variation": true, "options": sizes}}
			for k, size := range sizes {
				vid := nextVariation
				nextVariation++
				vprice := price + int64(k)*2*unit
				v := map[string]any{
					"id": vid, "parent_id": id, "name": name + " - " + size, "type": "variation",
					"date_created": wpTime(at), "date_created_gmt": wpTime(at), "date_modified": wpTime(at.Add(time.Hour)), "date_modified_gmt": wpTime(at.Add(time.Hour)),
					"description": "", "permalink": "https://store.example/product/" + slugOf(name) + "/?attribute_size=" + size,
					"sku": fmt.Sprintf("SKU-%d-%s", id, strings.ToUpper(size[:1])), "price": money(vprice), "regular_price": money(vprice), "sale_price": "",
					"on_sale": false, "status": "publish", "purchasable": true, "virtual": false, "downloadable": false,
					"manage_stock": true, "stock_quantity": 10 + k, "stock_status": "instock", "backorders": "no",
					"attributes": []any{map[string]any{"id": 0, "name": "Size", "option": size}}, "menu_order": k, "meta_data": []any{},
				}
				d.Variations[id] = append(d.Variations[id], mustJSON(v))
				ids = append(ids, vid)
				sells = append(sells, sellable{id, vid, name + " - " + size, v["sku"].(string), vprice})
			}
			p["variations"] = ids
		} else {
			sells = append(sells, sellable{id, 0, name, p["sku"].(string), price})
		}
		catalog = append(catalog, sells)
		d.Products = append(d.Products, mustJSON(p))
	}

	firstNames := []string{"Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Femi", "Greta", "Hiro"}
	lastNames := []string{"Rossi", "Novak", "Okafor", "Larsen", "Sato", "Moreau", "Silva", "Weber"}
	type person struct {
		first, last, email string
	}
	customers := make([]person, g.Customers)
	for i := range g.Customers {
		id := int64(firstCustomerID + i)
		at = at.Add(time.Duration(1+r.IntN(24)) * time.Hour)
		c := person{firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], fmt.Sprintf("customer%d@example.com", id)}
		customers[i] = c
		role := "customer"
		if i%10 == 9 {
			role = "subscriber" // bought while registered as something else: only role=all lists them
		}
		d.Customers = append(d.Customers, mustJSON(map[string]any{
			"id": id, "date_created": wpTime(at), "date_created_gmt": wpTime(at), "date_modified": wpTime(at), "date_modified_gmt": wpTime(at),
			"email": c.email, "first_name": c.first, "last_name": c.last, "role": role, "username": fmt.Sprintf("customer%d", id),
			"billing": address(c.first, c.last, c.email), "shipping": address(c.first, c.last, ""), "is_paying_customer": true,
			"avatar_url": "", "meta_data": []any{},
		}))
	}

	at = genEpoch.Add(24 * time.Hour)
	nextRefund, nextLine := int64(firstRefundID), int64(firstLineID)
	for i := range g.Orders {
		id := int64(firstOrderID + i)
		at = at.Add(time.Duration(2+r.IntN(40)) * time.Hour)
		status := "completed"
		switch i % 20 {
		case 2:
			status = "refunded"
		case 7:
			status = "cancelled"
		case 11:
			status = "failed"
		case 13:
			status = "pending"
		case 17:
			status = "on-hold"
		default:
			if i%3 == 0 {
				status = "processing"
			}
		}
		customerID := int64(0)
		buyer := person{firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], fmt.Sprintf("guest%d@example.com", id)}
		if i%4 != 3 && g.Customers > 0 {
			k := r.IntN(g.Customers)
			customerID, buyer = int64(firstCustomerID+k), customers[k]
		}
		type line struct {
			id, qty, subtotal, total int64
			s                        sellable
		}
		var lines []line
		for range 1 + r.IntN(3) {
			var s sellable
			if len(catalog) == 0 {
				s = sellable{name: "Custom item", price: 10 * unit}
			} else {
				choices := catalog[r.IntN(len(catalog))]
				s = choices[r.IntN(len(choices))]
			}
			qty := int64(1 + r.IntN(3))
			sub := s.price * qty
			total := sub
			if r.IntN(5) == 0 {
				total = sub - sub/10 // a 10% coupon
			}
			lines = append(lines, line{nextLine, qty, sub, total, s})
			nextLine++
		}
		var discount, sum int64
		var items []any
		for _, l := range lines {
			discount += l.subtotal - l.total
			sum += l.total
			items = append(items, map[string]any{
				"id": l.id, "name": l.s.name, "product_id": l.s.productID, "variation_id": l.s.variationID, "quantity": l.qty,
				"tax_class": "", "subtotal": money(l.subtotal), "subtotal_tax": money(0), "total": money(l.total), "total_tax": money(0),
				"taxes": []any{}, "meta_data": []any{}, "sku": l.s.sku, "price": json.Number(money(l.subtotal / l.qty)),
			})
		}
		shipping := int64(0)
		if r.IntN(2) == 0 {
			shipping = 5 * unit
		}
		total := sum + shipping
		paid := status == "completed" || status == "processing" || status == "refunded"
		modified := at.Add(2 * time.Hour)
		var summaries []any
		refund := func(amount int64, refunded []line, when time.Time) {
			rid := nextRefund
			nextRefund++
			summaries = append(summaries, map[string]any{"id": rid, "reason": "Customer request", "total": money(-amount)})
			var rlines []any
			for _, l := range refunded {
				rlines = append(rlines, map[string]any{
					"id": nextLine, "name": l.s.name, "product_id": l.s.productID, "variation_id": l.s.variationID, "quantity": -l.qty,
					"tax_class": "", "subtotal": money(-l.subtotal), "subtotal_tax": money(0), "total": money(-l.total), "total_tax": money(0),
					"taxes": []any{}, "sku": l.s.sku, "price": json.Number(money(-(l.subtotal / l.qty))),
					"meta_data": []any{map[string]any{"id": nextLine, "key": "_refunded_item_id", "value": strconv.FormatInt(l.id, 10)}},
				})
				nextLine++
			}
			if rlines == nil {
				rlines = []any{}
			}
			d.Refunds[id] = append(d.Refunds[id], mustJSON(map[string]any{
				"id": rid, "date_created": wpTime(when), "date_created_gmt": wpTime(when), "amount": money(amount),
				"reason": "Customer request", "refunded_by": 1, "refunded_payment": false, "meta_data": []any{}, "line_items": rlines,
			}))
			modified = when
		}
		switch {
		case status == "refunded":
			refund(total, lines, at.Add(72*time.Hour))
		case i%20 == 5:
			l := lines[0]
			l.qty, l.subtotal, l.total = 1, l.subtotal/l.qty, l.total/l.qty
			refund(l.total, []line{l}, at.Add(48*time.Hour))
		}
		if summaries == nil {
			summaries = []any{}
		}
		o := map[string]any{
			"id": id, "parent_id": 0, "number": strconv.FormatInt(id, 10), "order_key": fmt.Sprintf("wc_order_%d", id), "created_via": "checkout",
			"version": "9.0.0", "status": status, "currency": cur, "prices_include_tax": false,
			"date_created": wpTime(at), "date_created_gmt": wpTime(at), "date_modified": wpTime(modified), "date_modified_gmt": wpTime(modified),
			"discount_total": money(discount), "discount_tax": money(0), "shipping_total": money(shipping), "shipping_tax": money(0),
			"cart_tax": money(0), "total": money(total), "total_tax": money(0), "customer_id": customerID,
			"billing": address(buyer.first, buyer.last, buyer.email), "shipping": address(buyer.first, buyer.last, ""),
			"payment_method": "bacs", "payment_method_title": "Direct bank transfer", "transaction_id": "",
			"date_paid": nil, "date_paid_gmt": nil, "date_completed": nil, "date_completed_gmt": nil,
			"meta_data": []any{}, "line_items": items, "tax_lines": []any{}, "shipping_lines": []any{}, "fee_lines": []any{},
			"coupon_lines": []any{}, "refunds": summaries,
		}
		if paid {
			o["date_paid"], o["date_paid_gmt"] = wpTime(at.Add(time.Minute)), wpTime(at.Add(time.Minute))
		}
		if status == "completed" {
			o["date_completed"], o["date_completed_gmt"] = wpTime(at.Add(time.Hour)), wpTime(at.Add(time.Hour))
		}
		d.Orders = append(d.Orders, mustJSON(o))
	}
	return d
}

func address(first, last, email string) map[string]any {
	a := map[string]any{"first_name": first, "last_name": last, "company": "", "address_1": "1 Example Street", "address_2": "",
		"city": "Springfield", "state": "", "postcode": "00000", "country": "US"}
	if email != "" {
		a["email"], a["phone"] = email, ""
	}
	return a
}

func wpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

func slugOf(name string) string { return strings.ToLower(strings.ReplaceAll(name, " ", "-")) }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of plain values are marshalled here
	}
	return b
}
