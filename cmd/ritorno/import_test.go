package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

const sampleImportCSV = `InvoiceNo,Customer,When,Sku,Qty,Price
5001,7,2026-01-05 10:00,A-1,2,9.99
5001,7,2026-01-05 10:00,B-2,1,0.50
5002,7,2026-02-05 11:30,A-1,1,9.99
5003,8,2026-02-06 09:00,A-1,-1,9.99
5004,,2026-02-07 09:00,A-1,1,9.99
`

func TestImportCSVAndWooCommerceExport(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "import.myshopify.com", Currency: "EUR"}, ritorno.ShopCredentials{})
		dir := t.TempDir()
		csvPath := filepath.Join(dir, "tx.csv")
		if err := os.WriteFile(csvPath, []byte(sampleImportCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"import", "--shop", shop.Domain, "--order-col", "InvoiceNo", "--customer-col", "Customer",
			"--date-col", "When", "--product-col", "Sku", "--quantity-col", "Qty", "--price-col", "Price",
			"--currency", "EUR", "--date-format", "2006-01-02 15:04", csvPath}
		var sum importSummary
		for round, want := range []struct{ inserted, updated int64 }{{3, 0}, {0, 3}} {
			code, out, errOut := runCLI(t, env, "", args...)
			if code != 0 {
				t.Fatalf("import = %d: %s", code, errOut)
			}
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("summary is not JSON: %v\n%s", err, out)
			}
			if sum.Orders.Inserted != want.inserted || sum.Orders.Updated != want.updated || sum.Skipped != 1 || sum.Lines != 5 {
				t.Fatalf("round %d summary = %+v", round+1, sum)
			}
		}
		if len(sum.Examples) != 1 || !strings.HasPrefix(sum.Examples[0], "line 5:") {
			t.Fatalf("the skipped row is not reported by its line: %v", sum.Examples)
		}
		h := s.history("--shop", shop.Domain, "--customer", "7")
		if h.Summary.OrderCount != 2 || h.Summary.NetSpent != "30.47" {
			t.Fatalf("history after import = %+v", h.Summary)
		}
		o, err := s.db.Order(context.Background(), shop.ID, 5004)
		if err != nil || o.Buyer.Kind != ritorno.BuyerUnknown {
			t.Fatalf("order without a customer: %+v, %v", o.Buyer, err)
		}

		// A WooCommerce export: a JSON array of REST orders.
		raw, err := os.ReadFile("../../testdata/platform-samples/woocommerce-order.json")
		if err != nil {
			t.Fatal(err)
		}
		wooPath := filepath.Join(dir, "orders.json")
		os.WriteFile(wooPath, []byte("["+string(raw)+", {\"id\": \"not-a-number\"}]"), 0o600)
		woo := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: "https://woo.example", Currency: "USD", ConnectionKey: "import-key"}, ritorno.ShopCredentials{})
		code, out, errOut := runCLI(t, env, "", "import", "--shop", woo.Domain, wooPath)
		if code != 0 {
			t.Fatalf("import woo = %d: %s", code, errOut)
		}
		json.Unmarshal([]byte(out), &sum)
		if sum.Format != "woocommerce-orders-json" || sum.Orders.Inserted != 1 || sum.Skipped != 1 {
			t.Fatalf("woo summary = %+v", sum)
		}

		// A Shopify bulk export of products, customers and orders in one file, gzipped,
		// with a line that is not one of them.
		var jsonl []byte
		for _, name := range []string{"bulk_products.jsonl", "bulk_customers.jsonl", "bulk_orders.jsonl"} {
			b, err := os.ReadFile(filepath.Join("../../shopify/testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			jsonl = append(jsonl, b...)
		}
		jsonl = append(jsonl, []byte(`{"id":"gid://shopify/Collection/9","title":"not imported"}`+"\n")...)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(jsonl)
		zw.Close()
		bulkPath := filepath.Join(dir, "export.jsonl.gz")
		os.WriteFile(bulkPath, gz.Bytes(), 0o600)
		bulkShop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "bulk.myshopify.com", Currency: "USD"}, ritorno.ShopCredentials{})
		for round, wantInserted := range []int64{2, 0} {
			code, out, errOut = runCLI(t, env, "", "import", "--shop", bulkShop.Domain, bulkPath)
			if code != 0 {
				t.Fatalf("import bulk = %d: %s", code, errOut)
			}
			sum = importSummary{}
			json.Unmarshal([]byte(out), &sum)
			if sum.Format != "shopify-bulk-jsonl" || sum.Orders.Inserted != wantInserted || sum.Products == nil || sum.Products.Inserted != wantInserted ||
				sum.Customers == nil || sum.Customers.Inserted != wantInserted || sum.Skipped != 1 || sum.Lines != 17 {
				t.Fatalf("round %d bulk summary = %s", round+1, out)
			}
		}
		if len(sum.Examples) != 1 || !strings.Contains(sum.Examples[0], "gid://shopify/Collection/9") {
			t.Errorf("skipped example: %v", sum.Examples)
		}
		o, err = s.db.Order(context.Background(), bulkShop.ID, 450789469)
		if err != nil || len(o.LineItems) == 0 || o.Buyer.CustomerPlatformID != 207119551 {
			t.Fatalf("imported bulk order = %+v, %v", o, err)
		}
		if p, err := s.db.Product(context.Background(), bulkShop.ID, 632910392); err != nil || len(p.Variants) == 0 {
			t.Fatalf("imported bulk product = %+v, %v", p, err)
		}

		code, _, errOut = runCLI(t, env, "", "import", "--shop", shop.Domain, csvPath)
		if code != exitFailure || !strings.Contains(errOut, "--customer-col") {
			t.Fatalf("wrong columns = %d: %s", code, errOut)
		}
	})
}
