package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

func TestAnalyticsCommand(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		env := envFor(t, dsn)
		s := boot(t, env, serveHooks{noWorkers: true})
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "kpi.myshopify.com", Currency: "EUR", Timezone: "Europe/Rome"}, ritorno.ShopCredentials{})
		eur := func(m int64) ritorno.Money { return ritorno.Money{Amount: m, Currency: "EUR"} }
		mk := func(id, customer int64, at string, total int64) ritorno.Order {
			ts, _ := time.Parse(time.RFC3339, at)
			return ritorno.Order{PlatformID: id, Name: fmt.Sprint(id), Buyer: ritorno.BuyerFor(customer, ""), Currency: "EUR",
				Subtotal: eur(total), TotalDiscounts: eur(0), TotalTax: eur(0), TotalShipping: eur(0), Total: eur(total), RefundedAmount: eur(0),
				FinancialStatus: ritorno.FinancialPaid, ProcessedAt: ts, PlatformCreatedAt: ts, PlatformUpdatedAt: ts}
		}
		// Customer 1 bought in January and February, 2 in January only, 3 first in February.
		orders := []ritorno.Order{mk(1, 1, "2026-01-10T10:00:00Z", 1000), mk(2, 2, "2026-01-12T10:00:00Z", 2000),
			mk(3, 1, "2026-02-03T10:00:00Z", 3000), mk(4, 3, "2026-02-20T10:00:00Z", 4000)}
		if _, err := s.db.UpsertOrders(context.Background(), shop.ID, orders); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, env, "", "analytics", "--shop", shop.Domain, "--from", "2026-02-01", "--to", "2026-03-01", "--compute")
		if code != 0 {
			t.Fatalf("analytics = %d: %s", code, errOut)
		}
		var v struct {
			Period struct {
				Start   int      `json:"customers_at_start"`
				End     int      `json:"customers_at_end"`
				New     int      `json:"new_customers"`
				CRR     *float64 `json:"customer_retention_rate"`
				Revenue struct{ Amount, Currency string }
			} `json:"period"`
			Insights *struct {
				Customers int                `json:"customers"`
				Fallback  bool               `json:"fallback"`
				Stages    map[string]float64 `json:"stage_seconds"`
				Segments  []struct {
					Customers int64 `json:"customers"`
				} `json:"segments"`
			} `json:"insights"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		// S = {1, 2}, E = {1, 3}, N = {3}: CRR = (2 − 1) / 2.
		p := v.Period
		if p.Start != 2 || p.End != 2 || p.New != 1 || p.CRR == nil || *p.CRR != 0.5 || p.Revenue.Amount != "70.00" || p.Revenue.Currency != "EUR" {
			t.Errorf("period = %+v\n%s", p, out)
		}
		if !strings.Contains(out, `"updated_at"`) || !strings.Contains(out, `"buyers_since_full"`) {
			t.Errorf("the incremental updates are not shown: %s", out)
		}
		if v.Insights == nil || v.Insights.Customers != 3 || !v.Insights.Fallback || v.Insights.Stages["total"] <= 0 || len(v.Insights.Segments) == 0 {
			t.Errorf("insights = %s", out)
		}
	})
}
