package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
	"github.com/ritorno/ritorno/transactions"
)

// TestImportThenRecommend: the bundled Online Retail sample imported into a shop with no
// catalog gives recommendations straight away (the import made the catalog entries from
// its lines); a second import leaves them as they are; before any catalog, the notes say
// the catalog is missing.
func TestImportThenRecommend(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "retail.myshopify.com", Currency: "GBP"}, ritorno.ShopCredentials{})
		heart := transactions.ID("85123A") // WHITE HANGING HEART T-LIGHT HOLDER, the sample's best-seller
		recommendFor := func() recommendView {
			t.Helper()
			code, out, errOut := runCLI(t, env, "", "recommend", "--shop", shop.Domain, "--product", strconv.FormatInt(heart, 10))
			if code != 0 {
				t.Fatalf("recommend = %d: %s", code, errOut)
			}
			var v recommendView
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("recommend output: %v\n%s", err, out)
			}
			return v
		}

		// The orders without their catalog (as an import made them before): the notes say why.
		sample := "demo/online_retail_sample.csv.gz"
		lines, err := readSampleOrders(sample)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.UpsertOrders(context.Background(), shop.ID, lines[:50]); err != nil {
			t.Fatal(err)
		}
		if v := recommendFor(); len(v.Items) != 0 || !strings.Contains(strings.Join(v.Notes, "; "), "the catalog is missing") ||
			strings.Contains(strings.Join(v.Notes, "; "), "evidence") {
			t.Fatalf("without a catalog: %d items, notes %q", len(v.Items), v.Notes)
		}

		var sum importSummary
		for round := range 2 {
			code, out, errOut := runCLI(t, env, "", "import", "--shop", shop.Domain, "--preset", "online-retail", sample)
			if code != 0 {
				t.Fatalf("import = %d: %s", code, errOut)
			}
			sum = importSummary{}
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Products == nil || (round == 0 && sum.Products.Inserted < 100) || (round == 1 && sum.Products.Inserted != 0) {
				t.Fatalf("round %d: products = %+v", round+1, sum.Products)
			}
		}
		p, err := s.db.Product(context.Background(), shop.ID, heart)
		if err != nil || !strings.Contains(p.Title, "HEART") || len(p.Variants) != 1 || p.Variants[0].SKU != "85123A" ||
			p.Variants[0].Price.Currency != "GBP" || p.Variants[0].Price.Amount <= 0 {
			t.Fatalf("catalog entry of 85123A = %+v, %v", p, err)
		}
		v := recommendFor()
		if len(v.Items) == 0 || v.Model.Catalog < 100 {
			t.Fatalf("after the import: %d items (catalog %d), notes %q", len(v.Items), v.Model.Catalog, v.Notes)
		}
		for _, it := range v.Items {
			if it.Title == "" || it.Price.Currency != "GBP" || it.Reason == "" {
				t.Errorf("item without a title, price or reason: %+v", it)
			}
		}
		if strings.Contains(strings.Join(v.Notes, "; "), "catalog is missing") {
			t.Errorf("notes still say the catalog is missing: %q", v.Notes)
		}
	})
}

// readSampleOrders reads a transactions file of the online-retail preset into orders.
func readSampleOrders(path string) ([]ritorno.Order, error) {
	opts, _ := transactions.Preset("online-retail")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := transactions.NewReader(f, opts)
	if err != nil {
		return nil, err
	}
	var out []ritorno.Order
	group := transactions.NewGroup(func(o transactions.Order) error {
		if order, err := o.Domain(); err == nil {
			out = append(out, order)
		}
		return nil
	})
	for {
		l, err := rd.Next()
		if err != nil {
			if _, ok := err.(*transactions.LineError); ok {
				continue
			}
			break
		}
		if err := group.Add(l); err != nil {
			return nil, err
		}
	}
	return out, group.Flush()
}
