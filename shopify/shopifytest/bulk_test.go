package shopifytest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

// bulkLine is one object of a bulk result.
type bulkLine struct {
	obj    map[string]json.RawMessage
	id     string
	parent string
}

// mustExport runs query to its end with our bulk functions and returns the final status
// and the result's objects in file order (none when the operation gave no URL).
func mustExport(t *testing.T, s *shopifytest.Server, c *shopify.GraphQLClient, query string) (shopify.BulkStatus, []bulkLine) {
	t.Helper()
	ctx := context.Background()
	id, err := shopify.RunBulkQuery(ctx, c, query)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	st, err := shopify.WaitBulk(ctx, c, id, time.Second)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if st.URL == "" {
		return st, nil
	}
	resp, err := s.Client().Get(st.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var lines []bulkLine
	err = shopify.ReadBulkJSONL(resp.Body, func(obj map[string]json.RawMessage, parent string) error {
		var id string
		if err := json.Unmarshal(obj["id"], &id); err != nil {
			return err
		}
		lines = append(lines, bulkLine{obj: obj, id: id, parent: parent})
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return st, lines
}

// checkOrder fails unless every child follows its parent, and returns how many children
// are not right after their parent (or a sibling of theirs) and the children per parent.
func checkOrder(t *testing.T, lines []bulkLine) (apart int, children map[string]int) {
	t.Helper()
	seen := map[string]int{}
	children = map[string]int{}
	for i, l := range lines {
		if l.parent == "" {
			seen[l.id] = i
			continue
		}
		at, ok := seen[l.parent]
		if !ok {
			t.Fatalf("line %d (%s) comes before its parent %s", i+1, l.id, l.parent)
		}
		children[l.parent]++
		if prev := lines[i-1]; i-1 != at && prev.parent != l.parent {
			apart++
		}
	}
	return apart, children
}

// field decodes one field of a bulk object.
func field[T any](t *testing.T, l bulkLine, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(l.obj[name], &v); err != nil {
		t.Fatalf("%s.%s: %v", l.id, name, err)
	}
	return v
}

type moneyBag struct {
	ShopMoney struct{ Amount, CurrencyCode string }
}

func TestBulkExport(t *testing.T) {
	data := shopifytest.GenerateShop(7, t0, "EUR", 15, 6, 80)
	s, clk := mustServer(t, shopifytest.ShopOptions{Currency: "EUR", Data: data,
		Scopes: []string{"read_products", "read_customers", "read_orders", "read_all_orders"}})
	c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)

	variants := 0
	for _, p := range data.Products {
		variants += len(p.Variants)
	}
	lineItems := 0
	for _, o := range data.Orders {
		lineItems += len(o.LineItems)
	}
	cases := []struct {
		name            string
		query           string
		roots, children int
		rootKind        string
	}{
		{"products with variants", shopify.BulkProductsQuery, len(data.Products), variants, "gid://shopify/Product/"},
		{"customers", shopify.BulkCustomersQuery, len(data.Customers), 0, "gid://shopify/Customer/"},
		{"orders with line items", shopify.BulkOrdersQuery, len(data.Orders), lineItems, "gid://shopify/Order/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, lines := mustExport(t, s, c, tc.query)
			if st.Status != "COMPLETED" || st.ObjectCount != int64(len(lines)) || len(lines) != tc.roots+tc.children {
				t.Fatalf("status %+v with %d lines, want %d roots and %d children", st, len(lines), tc.roots, tc.children)
			}
			apart, _ := checkOrder(t, lines)
			if tc.children > 0 && apart == 0 {
				t.Fatal("every child is right after its parent: the fake must interleave them")
			}
			for _, l := range lines {
				if l.parent == "" && !strings.HasPrefix(l.id, tc.rootKind) {
					t.Fatalf("root object %s", l.id)
				}
			}
		})
	}

	t.Run("order fields", func(t *testing.T) {
		_, lines := mustExport(t, s, c, shopify.BulkOrdersQuery)
		_, children := checkOrder(t, lines)
		byID := map[string]bulkLine{}
		for _, l := range lines {
			byID[l.id] = l
		}
		for _, o := range data.Orders {
			l, ok := byID["gid://shopify/Order/"+strconv.FormatInt(o.PlatformID, 10)]
			if !ok {
				t.Fatalf("order %d missing", o.PlatformID)
			}
			if children[l.id] != len(o.LineItems) {
				t.Errorf("%s: %d line items, want %d", l.id, children[l.id], len(o.LineItems))
			}
			total := field[moneyBag](t, l, "totalPriceSet")
			refunded := field[moneyBag](t, l, "totalRefundedSet")
			if total.ShopMoney.Amount != o.Total.Decimal() || total.ShopMoney.CurrencyCode != "EUR" || refunded.ShopMoney.Amount != o.RefundedAmount.Decimal() {
				t.Errorf("%s: total %+v refunded %+v, want %s and %s", l.id, total, refunded, o.Total, o.RefundedAmount)
			}
			if got := field[time.Time](t, l, "processedAt"); !got.Equal(o.ProcessedAt) {
				t.Errorf("%s: processedAt %v, want %v", l.id, got, o.ProcessedAt)
			}
			customer := field[*struct{ ID string }](t, l, "customer")
			if (customer != nil) != (o.Buyer.Kind == ritorno.BuyerCustomer) || field[string](t, l, "email") != o.Email {
				t.Errorf("%s: customer %v email %s, want buyer %+v", l.id, customer, field[string](t, l, "email"), o.Buyer)
			}
			if refunds := field[[]map[string]any](t, l, "refunds"); len(refunds) != len(o.Refunds) {
				t.Errorf("%s: %d refunds, want %d", l.id, len(refunds), len(o.Refunds))
			}
			if want := strings.ToUpper(string(o.FinancialStatus)); field[string](t, l, "displayFinancialStatus") != want {
				t.Errorf("%s: financial status, want %s", l.id, want)
			}
		}
		for _, l := range lines {
			if l.parent != "" && (field[moneyBag](t, l, "originalUnitPriceSet").ShopMoney.Amount == "" || field[*struct{ ID string }](t, l, "variant") == nil) {
				t.Fatalf("line item %s lacks its price or variant", l.id)
			}
		}
	})
	if st := s.Stats(); st.BulkStarted != 4 || st.BulkDownloads != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBulkOrderWindow(t *testing.T) {
	data := shopifytest.GenerateShop(3, t0, "USD", 5, 4, 60)
	recent := 0
	var old shopifytest.Order
	for _, o := range data.Orders {
		if o.ProcessedAt.After(t0.Add(-60 * 24 * time.Hour)) {
			recent++
		} else {
			old = o
		}
	}
	if recent == 0 || recent == len(data.Orders) {
		t.Fatalf("the data set needs orders on both sides of the window: %d of %d recent", recent, len(data.Orders))
	}
	cases := []struct {
		name   string
		scopes []string
		want   int
	}{
		{"without read_all_orders only 60 days", nil, recent},
		{"with read_all_orders everything", []string{"read_orders", "read_all_orders"}, len(data.Orders)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := mustServer(t, shopifytest.ShopOptions{Data: data, Scopes: tc.scopes})
			c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)
			st, lines := mustExport(t, s, c, shopify.BulkOrdersQuery)
			roots := 0
			for _, l := range lines {
				if l.parent == "" {
					roots++
				}
			}
			if roots != tc.want {
				t.Fatalf("%d orders exported (%+v), want %d", roots, st, tc.want)
			}
			// An order outside the window is not readable one by one either.
			var out struct{ Node *struct{ ID string } }
			err := c.Do(context.Background(), shopify.OrderRefundsQuery, map[string]any{"id": "gid://shopify/Order/" + strconv.FormatInt(old.PlatformID, 10)}, &out)
			if err != nil || (out.Node != nil) != (tc.want == len(data.Orders)) {
				t.Fatalf("old order by id: %+v, %v", out.Node, err)
			}
		})
	}
}

func TestOrderRefundsQuery(t *testing.T) {
	data := shopifytest.GenerateShop(11, t0, "EUR", 5, 4, 80)
	var refunded shopifytest.Order
	for _, o := range data.Orders {
		if len(o.Refunds) > 0 {
			refunded = o
		}
	}
	if refunded.PlatformID == 0 {
		t.Fatal("the data set has no refund")
	}
	s, clk := mustServer(t, shopifytest.ShopOptions{Currency: "EUR", Data: data, Scopes: []string{"read_orders", "read_all_orders"}})
	c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)
	var out struct {
		Node struct {
			ID      string
			Refunds []struct {
				ID               string
				Note             string
				TotalRefundedSet moneyBag
				RefundLineItems  struct {
					PageInfo struct{ HasNextPage bool }
					Nodes    []struct {
						LineItem    struct{ ID string }
						Quantity    int64
						SubtotalSet moneyBag
					}
				}
			}
		}
	}
	id := "gid://shopify/Order/" + strconv.FormatInt(refunded.PlatformID, 10)
	if err := c.Do(context.Background(), shopify.OrderRefundsQuery, map[string]any{"id": id}, &out); err != nil {
		t.Fatal(err)
	}
	want := refunded.Refunds[0]
	if out.Node.ID != id || len(out.Node.Refunds) != 1 {
		t.Fatalf("node %+v", out.Node)
	}
	r := out.Node.Refunds[0]
	if r.ID != "gid://shopify/Refund/"+strconv.FormatInt(want.PlatformID, 10) || r.TotalRefundedSet.ShopMoney.Amount != want.Amount.Decimal() ||
		r.RefundLineItems.PageInfo.HasNextPage || len(r.RefundLineItems.Nodes) != 1 {
		t.Fatalf("refund %+v, want %+v", r, want)
	}
	n := r.RefundLineItems.Nodes[0]
	if n.LineItem.ID != "gid://shopify/LineItem/"+strconv.FormatInt(want.LineItems[0].LineItemPlatformID, 10) ||
		n.Quantity != want.LineItems[0].Quantity || n.SubtotalSet.ShopMoney.Amount != want.LineItems[0].Subtotal.Decimal() {
		t.Fatalf("refund line %+v, want %+v", n, want.LineItems[0])
	}
}

func TestBulkLifecycle(t *testing.T) {
	ctx := context.Background()

	t.Run("one bulk query at a time", func(t *testing.T) {
		s, clk := mustServer(t, shopifytest.ShopOptions{BulkPolls: 3})
		c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)
		id, err := shopify.RunBulkQuery(ctx, c, shopify.BulkProductsQuery)
		if err != nil {
			t.Fatal(err)
		}
		_, err = shopify.RunBulkQuery(ctx, c, shopify.BulkCustomersQuery)
		if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "already in progress") {
			t.Fatalf("second operation: %v", err)
		}
		var statuses []string
		for range 3 {
			st, err := shopify.BulkOperation(ctx, c, id)
			if err != nil {
				t.Fatal(err)
			}
			statuses = append(statuses, st.Status)
		}
		if strings.Join(statuses, ",") != "RUNNING,RUNNING,COMPLETED" {
			t.Fatalf("statuses %v", statuses)
		}
		// Nothing to export: completed without a URL, as Shopify does.
		if st, _ := shopify.BulkOperation(ctx, c, id); st.URL != "" || st.ObjectCount != 0 {
			t.Fatalf("empty result %+v", st)
		}
		if _, err := shopify.RunBulkQuery(ctx, c, shopify.BulkCustomersQuery); err != nil {
			t.Fatalf("after the first ended: %v", err)
		}
		if _, err := shopify.BulkOperation(ctx, mustClient(t, s, clk, s.IssueToken(testShop, false).AccessToken), "gid://shopify/BulkOperation/1"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("unknown operation: %v", err)
		}
	})

	t.Run("FailBulk", func(t *testing.T) {
		s, clk := mustServer(t, shopifytest.ShopOptions{Data: shopifytest.GenerateShop(1, t0, "USD", 3, 0, 0)})
		c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)
		s.FailBulk(testShop, "ACCESS_DENIED")
		id, err := shopify.RunBulkQuery(ctx, c, shopify.BulkCustomersQuery)
		if err != nil {
			t.Fatal(err)
		}
		st, err := shopify.WaitBulk(ctx, c, id, time.Second)
		if ritorno.ErrorCode(err) != ritorno.EFORBIDDEN || st.Status != "FAILED" || st.ErrorCode != "ACCESS_DENIED" || st.URL != "" {
			t.Fatalf("%+v, %v", st, err)
		}
		// Only the next operation fails.
		if st, _ := mustExport(t, s, c, shopify.BulkCustomersQuery); st.Status != "COMPLETED" || st.ObjectCount != 3 {
			t.Fatalf("the operation after: %+v", st)
		}
	})

	t.Run("the finish webhook", func(t *testing.T) {
		s, clk := mustServer(t, shopifytest.ShopOptions{Data: shopifytest.GenerateShop(1, t0, "USD", 4, 0, 0)})
		type delivery struct {
			topic, shop string
			body        []byte
		}
		got := make(chan delivery, 1)
		verifier := shopify.NewVerifier(testSecret, "")
		app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if !verifier.VerifyWebhook(body, r.Header.Get("X-Shopify-Hmac-Sha256")) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			got <- delivery{r.Header.Get("X-Shopify-Topic"), r.Header.Get("X-Shopify-Shop-Domain"), body}
		}))
		t.Cleanup(app.Close)
		s.SetWebhookURL(app.URL)
		c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)
		id, err := shopify.RunBulkQuery(ctx, c, shopify.BulkCustomersQuery)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if fin := s.FinishBulk(testShop); fin != id {
			t.Fatalf("FinishBulk ended %q, want %q", fin, id)
		}
		var d delivery
		select {
		case d = <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("no bulk_operations/finish delivery")
		}
		var p struct {
			ID          string  `json:"admin_graphql_api_id"`
			CompletedAt string  `json:"completed_at"`
			CreatedAt   string  `json:"created_at"`
			ErrorCode   *string `json:"error_code"`
			Status      string  `json:"status"`
			Type        string  `json:"type"`
		}
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatal(err)
		}
		want := p
		want.ID, want.CreatedAt, want.CompletedAt = id, t0.Format(time.RFC3339), t0.Add(time.Minute).Format(time.RFC3339)
		want.ErrorCode, want.Status, want.Type = nil, "completed", "query"
		if d.topic != "bulk_operations/finish" || d.shop != testShop || p != want {
			t.Fatalf("delivery %s for %s: %s", d.topic, d.shop, d.body)
		}
		if st, err := shopify.BulkOperation(ctx, c, id); err != nil || st.Status != "COMPLETED" || st.URL == "" || st.ObjectCount != 4 {
			t.Fatalf("after the webhook: %+v, %v", st, err)
		}
		waitFor(t, func() bool { return s.Stats().WebhooksSent == 1 })
	})
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the deadline")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fixture reads a public sample and unwraps its REST envelope ({"order": …}).
func fixture(t *testing.T, name, key string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("../../testdata/platform-samples", name))
	if err != nil {
		t.Fatal(err)
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrapped); err != nil || wrapped[key] == nil {
		t.Fatalf("%s: no %q envelope (%v)", name, key, err)
	}
	return wrapped[key]
}

func TestSeedFromFixtures(t *testing.T) {
	var orders []shopifytest.Order
	for _, name := range []string{"shopify-order-rest-resource.json", "shopify-order-go-shopify.json"} {
		o, err := shopifytest.OrderFromWebhook(fixture(t, name, "order"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		orders = append(orders, o)
	}
	customer, err := shopify.DecodeCustomer(fixture(t, "shopify-customer-rest-resource.json", "customer"))
	if err != nil {
		t.Fatal(err)
	}
	product, err := shopify.DecodeProduct(fixture(t, "shopify-product-rest-resource.json", "product"), "USD")
	if err != nil {
		t.Fatal(err)
	}
	// The samples are years old: only read_all_orders exports them.
	s, clk := mustServer(t, shopifytest.ShopOptions{Scopes: []string{"read_orders", "read_all_orders"}, Data: shopifytest.Data{
		Orders: orders, Customers: []ritorno.Customer{customer}, Products: []ritorno.Product{product}}})
	c := mustClient(t, s, clk, s.IssueToken(testShop, true).AccessToken)

	_, lines := mustExport(t, s, c, shopify.BulkOrdersQuery)
	_, children := checkOrder(t, lines)
	byID := map[string]bulkLine{}
	for _, l := range lines {
		byID[l.id] = l
	}
	bob, ok := byID["gid://shopify/Order/450789469"]
	if !ok {
		t.Fatalf("order 450789469 not exported: %d lines", len(lines))
	}
	if total := field[moneyBag](t, bob, "totalPriceSet"); total.ShopMoney.Amount != "409.94" || total.ShopMoney.CurrencyCode != "USD" ||
		field[string](t, bob, "email") != "bob.norman@hostmail.com" || field[string](t, bob, "name") != "#1001" || children[bob.id] != 3 {
		t.Fatalf("order #1001: %v with %d line items", bob.obj, children[bob.id])
	}
	if field[string](t, bob, "displayFinancialStatus") != "AUTHORIZED" || field[*struct{ ID string }](t, bob, "customer").ID != "gid://shopify/Customer/207119551" {
		t.Fatalf("order #1001: %v", bob.obj)
	}
	// The test notification sample: cancelled, test, a customer without an id.
	note := byID["gid://shopify/Order/123456"]
	if field[string](t, note, "cancelReason") != "CUSTOMER" || !field[bool](t, note, "test") || field[*struct{ ID string }](t, note, "customer") != nil ||
		field[string](t, note, "email") != "jon@doe.ca" {
		t.Fatalf("order #9999: %v", note.obj)
	}

	if _, lines := mustExport(t, s, c, shopify.BulkProductsQuery); len(lines) != 1+len(product.Variants) {
		t.Fatalf("%d product lines, want the product and its %d variants", len(lines), len(product.Variants))
	}
	if _, lines := mustExport(t, s, c, shopify.BulkCustomersQuery); len(lines) != 1 || field[struct{ EmailAddress string }](t, lines[0], "defaultEmailAddress").EmailAddress != customer.Email {
		t.Fatalf("customers %v", lines)
	}
}
