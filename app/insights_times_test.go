package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// An order stored with a time no figure can place (year 9999 from a signed orders/create
// before the adapters mended such times, or year 1700) must not take the shop's KPIs and
// cohorts down: they answer 200, from the other orders, and say how many were left out.
func TestInsightsSurviveStoredOutOfRangeOrders(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		bad := []ritorno.Order{
			order(2002, ritorno.BuyerFor(202, "eve@example.com"), "9999-12-31T23:59:59Z", "10.00"),
			order(2003, ritorno.BuyerFor(203, "fay@example.com"), "1700-01-01T00:00:00Z", "10.00"),
		}
		if _, err := db.UpsertOrders(t.Context(), f.beta.ID, bad); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ target, want string }{
			{"/api/admin/kpis", `"orders":1,`},
			{"/api/admin/cohorts", `"month":"2026-02","customers":1,`},
		} {
			status, body := f.as("beta.myshopify.com", c.target)
			if status != http.StatusOK || !strings.Contains(body, c.want) || !strings.Contains(body, `"skipped_orders":2`) {
				t.Errorf("%s answered %d: %s", c.target, status, body)
			}
		}
		// A shop without such orders does not mention them.
		if _, body := f.as("alpha.myshopify.com", "/api/admin/kpis"); strings.Contains(body, "skipped_orders") {
			t.Errorf("alpha's KPIs mention skipped orders: %s", body)
		}
	})
}
