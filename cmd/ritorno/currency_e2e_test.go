package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify/shopifytest"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
	"github.com/ritorno/ritorno/woocommerce/wootest"
)

// TestShopsAddReadsTheCurrencyFromShopify: shops add takes the currency and time zone
// from Shopify (as the install does), over a --currency that disagrees, and says so.
func TestShopsAddReadsTheCurrencyFromShopify(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := shopifytest.New(t, appKey, appSecret)
		const domain = "pounds.myshopify.com"
		fake.AddShop(domain, shopifytest.ShopOptions{Currency: "GBP", Timezone: "Europe/London", Name: "Pounds"})
		token := fake.IssueToken(domain, false).AccessToken
		cfg := Config{ShopifyAPIKey: appKey, ShopifyAPISecret: appSecret, ShopifyAPIVersion: shopifytest.APIVersion}
		var out bytes.Buffer
		err := shopsAdd(ctx, db, cfg, platformHTTP{shopifyBaseURL: fake.BaseURL},
			[]string{"--platform", "shopify", "--domain", domain, "--access-token", token, "--currency", "usd", "--no-backfill"}, strings.NewReader(""), &out)
		if err != nil {
			t.Fatalf("shops add: %v\n%s", err, out.String())
		}
		for _, want := range []string{"Shopify says the shop's currency is GBP: --currency USD is not used", "currency GBP and time zone Europe/London read from Shopify"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		shop, err := db.ShopByDomain(ctx, ritorno.Shopify, domain)
		if err != nil || shop.Currency != "GBP" || shop.Timezone != "Europe/London" || shop.Name != "Pounds" {
			t.Fatalf("stored shop = %+v, %v", shop, err)
		}
	})
}

const gbpCSV = `order_id,customer_id,date,product_id,quantity,unit_price,currency
9001,41,2026-01-05,85123A,2,2.55,GBP
9001,41,2026-01-05,71053,1,3.39,GBP
9002,41,2026-02-10,85123A,1,2.55,GBP
9003,42,2026-02-11,71053,4,3.39,GBP
`

// TestCurrencyEndToEnd is the newcomer's path: shops add without --currency, a GBP
// transactions file imported, then history and analytics. Where WooCommerce can be read,
// the shop is GBP and everything counts. Where it cannot, shops add asks for --currency;
// with a wrong one (USD) the GBP orders are shown in GBP, never as USD, analytics leave
// them out and say so; shops set --currency GBP corrects it.
func TestCurrencyEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		env["RITORNO_WOOCOMMERCE_ALLOW_PRIVATE"] = "true" // the fake store listens on loopback
		csvPath := filepath.Join(t.TempDir(), "gbp.csv")
		if err := os.WriteFile(csvPath, []byte(gbpCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		cli := func(wantCode int, args ...string) string {
			t.Helper()
			code, out, errOut := runCLI(t, env, "", args...)
			if code != wantCode {
				t.Fatalf("%v = %d, want %d\nstdout %s\nstderr %s", args, code, wantCode, out, errOut)
			}
			return out + errOut
		}
		analyticsOf := func(shop string) (out struct {
			Currency string     `json:"currency"`
			Period   periodView `json:"period"`
			Insights *insightsView
		}) {
			t.Helper()
			if err := json.Unmarshal([]byte(cli(0, "analytics", "--shop", shop, "--from", "2026-01-01", "--to", "2026-03-01", "--compute")), &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		historyOf := func(shop, customer string) (v historyView) {
			t.Helper()
			if err := json.Unmarshal([]byte(cli(0, "history", "--shop", shop, "--customer", customer)), &v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		woo := func(url string) []string {
			return []string{"shops", "add", "--platform", "woocommerce", "--url", url, "--allow-http", "--consumer-key", wootest.DefaultConsumerKey,
				"--consumer-secret", wootest.DefaultConsumerSecret, "--webhook-secret", "wh", "--no-backfill"}
		}

		// 1. The platform answers: the shop is GBP, and the import counts in full.
		store := wootest.New(t, wootest.Options{Currency: "GBP", Timezone: "Europe/London"})
		if out := cli(0, woo(store.URL)...); !strings.Contains(out, "currency GBP and time zone Europe/London read from WooCommerce") {
			t.Fatalf("shops add output: %s", out)
		}
		if out := cli(0, "import", "--shop", store.URL, csvPath); strings.Contains(out, "not the shop's currency") {
			t.Fatalf("GBP orders in a GBP shop get a currency note: %s", out)
		}
		a := analyticsOf(store.URL)
		if a.Currency != "GBP" || a.Period.Orders != 3 || a.Period.Revenue != (moneyView{"24.60", "GBP"}) || a.Period.OtherCurrencies != nil {
			t.Fatalf("analytics of the GBP shop = %+v", a.Period)
		}

		// 2. The platform cannot be read: --currency is required, never a silent USD.
		const unreachable = "http://127.0.0.1:1"
		if out := cli(exitUsage, woo(unreachable)...); !strings.Contains(out, "give it with --currency") || !strings.Contains(out, "could not be read from WooCommerce") {
			t.Fatalf("shops add without a currency or a platform: %s", out)
		}
		if out := cli(0, append(woo(unreachable), "--currency", "USD")...); !strings.Contains(out, "currency USD from --currency") {
			t.Fatalf("shops add --currency USD: %s", out)
		}
		if out := cli(0, "import", "--shop", unreachable, csvPath); !strings.Contains(out, "3 orders are in GBP, not the shop's currency USD") ||
			!strings.Contains(out, "shops set "+unreachable+" --currency GBP") {
			t.Fatalf("the import does not say what GBP orders in a USD shop become: %s", out)
		}
		h := historyOf(unreachable, "41")
		if h.Currency != "USD" || h.Summary.OrderCount != 2 || h.Summary.NetSpent != "0.00" || len(h.Summary.ByCurrency) != 1 ||
			h.Summary.ByCurrency[0] != (currencyTotalView{Currency: "GBP", OrderCount: 2, NetSpent: "11.04"}) {
			t.Fatalf("history in a USD shop of GBP orders = %+v", h.Summary)
		}
		for _, o := range h.Orders {
			if o.Currency != "GBP" {
				t.Errorf("order %d shown in %q, want its own GBP", o.ID, o.Currency)
			}
		}
		a = analyticsOf(unreachable)
		if a.Period.Orders != 0 || a.Period.Revenue != (moneyView{"0.00", "USD"}) || len(a.Period.OtherCurrencies) != 1 ||
			a.Period.OtherCurrencies[0] != (otherCurrencyView{Currency: "GBP", OrdersLeftOut: 3, RevenueLeftOut: moneyView{"24.60", "GBP"}}) {
			t.Fatalf("analytics of GBP orders in a USD shop = %+v", a.Period)
		}
		if a.Insights == nil || !strings.Contains(strings.Join(a.Insights.Notes, "\n"), "3 orders in GBP (24.60 GBP net) left out: the shop's currency is USD") {
			t.Fatalf("insights do not say what they left out: %+v", a.Insights)
		}

		// 3. Corrected: the same orders now count, in GBP.
		if out := cli(0, "shops", "set", unreachable, "--currency", "gbp"); !strings.Contains(out, "currency GBP (was USD)") || !strings.Contains(out, "keep their own currency") {
			t.Fatalf("shops set: %s", out)
		}
		cli(exitFailure, "shops", "set", "--shop", unreachable, "--currency", "POUND")
		a = analyticsOf(unreachable)
		if a.Currency != "GBP" || a.Period.Orders != 3 || a.Period.Revenue != (moneyView{"24.60", "GBP"}) || a.Period.OtherCurrencies != nil {
			t.Fatalf("analytics after shops set = %+v", a.Period)
		}
		if h := historyOf(unreachable, "41"); h.Currency != "GBP" || h.Summary.NetSpent != "11.04" {
			t.Fatalf("history after shops set = %+v", h.Summary)
		}
	})
}
