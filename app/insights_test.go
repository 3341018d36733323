package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// storeInsights adapts the analytics service and the store to app.Insights, as cmd does.
type storeInsights struct {
	db  *store.DB
	svc *analytics.Service
}

var _ app.Insights = storeInsights{}

func newStoreInsights(db *store.DB, now func() time.Time) storeInsights {
	return storeInsights{db: db, svc: analytics.NewService(db, now)}
}

func (s storeInsights) Period(ctx context.Context, shopID int64, from, to, lookbackFrom time.Time) (analytics.ShopFigures, error) {
	return s.svc.Period(ctx, shopID, from, to, lookbackFrom)
}

func (s storeInsights) Cohorts(ctx context.Context, shopID int64) (analytics.CohortTable, error) {
	return s.svc.Cohorts(ctx, shopID)
}

func (s storeInsights) ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error) {
	return s.db.ShopInsight(ctx, shopID)
}

func (s storeInsights) Segments(ctx context.Context, shopID int64) ([]app.SegmentRow, error) {
	shop, err := s.db.Shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	sums, err := s.db.SegmentSummaries(ctx, shopID, shop.Currency)
	if err != nil {
		return nil, err
	}
	rows := make([]app.SegmentRow, len(sums))
	for i, r := range sums {
		rows[i] = app.SegmentRow{Segment: r.Segment, Customers: r.Customers, NetSpent: r.NetSpent,
			MeanExpectedValue: r.MeanExpectedValue, PredictedCustomers: r.PredictedCustomers}
	}
	return rows, nil
}

func (s storeInsights) Customers(ctx context.Context, shopID int64, q app.CustomerQuery) ([]ritorno.CustomerInsight, int64, error) {
	return s.db.ListCustomerInsights(ctx, shopID, store.InsightFilter{Segment: q.Segment, Query: q.Q, Sort: q.Sort, Limit: q.Limit, Offset: q.Offset})
}

func (s storeInsights) Customer(ctx context.Context, shopID, key int64) (ritorno.CustomerInsight, error) {
	return s.db.CustomerInsight(ctx, shopID, key)
}

func eur(s string) ritorno.Money { return ritorno.MustParseMoney(s, "EUR") }

// order is a paid EUR order placed at (UTC) for total.
func order(id int64, buyer ritorno.Buyer, at string, total string) ritorno.Order {
	placed, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	zero := eur("0")
	return ritorno.Order{PlatformID: id, Name: "#" + strconv.FormatInt(id, 10), Buyer: buyer, Currency: "EUR", PresentmentCurrency: "EUR",
		Subtotal: eur(total), TotalDiscounts: zero, TotalTax: zero, TotalShipping: zero, Total: eur(total), RefundedAmount: zero,
		FinancialStatus: ritorno.FinancialPaid, PlatformCreatedAt: placed, ProcessedAt: placed, PlatformUpdatedAt: placed}
}

// The sample shop's buyers. The guest is known only by the hash of an address.
var (
	guest    = ritorno.BuyerFor(0, "guest@example.com")
	guestKey = ritorno.BuyerKey(guest)
)

// alphaOrders: Ada (101) buys in December, January, February and on 1 March; Bea (102) in
// January and at 23:30 UTC on 31 January, which is February in Rome; Cy (103) first in
// February (plus a test order that never counts); the guest in November and February;
// an unknown buyer in February.
func alphaOrders() []ritorno.Order {
	ada, bea, cy := ritorno.BuyerFor(101, "ada@example.com"), ritorno.BuyerFor(102, "bea@example.com"), ritorno.BuyerFor(103, "cy@example.com")
	test := order(1009, cy, "2026-02-06T10:00:00Z", "999.00")
	test.Test = true
	return []ritorno.Order{
		order(1001, ada, "2025-12-10T10:00:00Z", "50.00"),
		order(1002, ada, "2026-01-15T10:00:00Z", "30.00"),
		order(1003, ada, "2026-02-10T10:00:00Z", "20.00"),
		order(1004, ada, "2026-03-01T09:00:00Z", "45.00"),
		order(1005, bea, "2026-01-20T10:00:00Z", "40.00"),
		order(1006, bea, "2026-01-31T23:30:00Z", "25.00"),
		order(1007, cy, "2026-02-05T10:00:00Z", "60.00"),
		order(1008, guest, "2025-11-02T10:00:00Z", "15.00"),
		order(1010, guest, "2026-02-20T10:00:00Z", "35.00"),
		order(1011, ritorno.BuyerFor(0, ""), "2026-02-14T10:00:00Z", "12.34"),
		test,
	}
}

var computedAt = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// alphaInsights are a computation's results, fixed by hand (the API only reads them).
func alphaInsights() (ritorno.ShopInsight, []ritorno.CustomerInsight) {
	shop := ritorno.ShopInsight{ComputedAt: computedAt, Seconds: 0.25, Customers: 4, Orders: 9, HorizonDays: 365,
		Model: `{"bgnbd":{}}`, Fallback: false, Notes: []string{"few repeat buyers: predictions are rough"}}
	customers := []ritorno.CustomerInsight{
		{Key: 101, CustomerPlatformID: 101, Orders: 4, NetSpent: eur("145.00"), AOV: eur("36.25"), FirstOrder: at("2025-12-10T10:00:00Z"),
			LastOrder: at("2026-03-01T09:00:00Z"), MeanDaysBetween: 27, RecencyDays: 1, R: 5, F: 5, M: 5, Segment: "champions",
			Predicted: true, PAlive: 0.97, ExpectedPurchases: 4.5, ExpectedValue: eur("160.00"), NextOrder: at("2026-03-28T09:00:00Z"), ComputedAt: computedAt},
		{Key: 102, CustomerPlatformID: 102, Orders: 2, NetSpent: eur("65.00"), AOV: eur("32.50"), FirstOrder: at("2026-01-20T10:00:00Z"),
			LastOrder: at("2026-01-31T23:30:00Z"), MeanDaysBetween: 11.5625, RecencyDays: 29, R: 3, F: 4, M: 4, Segment: "loyal",
			Predicted: true, PAlive: 0.8, ExpectedPurchases: 1.25, ExpectedValue: eur("41.00"), NextOrder: at("2026-04-15T00:00:00Z"), ComputedAt: computedAt},
		{Key: 103, CustomerPlatformID: 103, Orders: 1, NetSpent: eur("60.00"), AOV: eur("60.00"), FirstOrder: at("2026-02-05T10:00:00Z"),
			LastOrder: at("2026-02-05T10:00:00Z"), RecencyDays: 24, R: 4, F: 1, M: 3, Segment: "promising", ComputedAt: computedAt},
		{Key: guestKey, Orders: 2, NetSpent: eur("50.00"), AOV: eur("25.00"), FirstOrder: at("2025-11-02T10:00:00Z"),
			LastOrder: at("2026-02-20T10:00:00Z"), MeanDaysBetween: 110, RecencyDays: 10, R: 4, F: 4, M: 2, Segment: "loyal",
			Predicted: true, PAlive: 0.5, ExpectedPurchases: 0.75, ExpectedValue: eur("18.75"), ComputedAt: computedAt},
	}
	return shop, customers
}

type insightsFixture struct {
	*harness
	alpha, beta ritorno.Shop
}

// mustInsightsFixture installs alpha, with the orders and insights above, and beta, with
// one order of its own and no computation yet.
func mustInsightsFixture(t *testing.T, db *store.DB) insightsFixture {
	t.Helper()
	h := mustHarness(t, db, func(cfg *app.Config) { cfg.Insights = newStoreInsights(db, cfg.Now) })
	f := insightsFixture{harness: h, alpha: h.mustInstall("alpha.myshopify.com"), beta: h.mustInstall("beta.myshopify.com")}
	ctx := t.Context()
	if _, err := db.UpsertOrders(ctx, f.alpha.ID, alphaOrders()); err != nil {
		t.Fatal(err)
	}
	// Ada and Bea have accounts; Cy's was redacted (before the computation below).
	for _, c := range []ritorno.Customer{
		{PlatformID: 101, Email: "Ada@Example.com", FirstName: "Ada", LastName: "Lovelace", PlatformUpdatedAt: computedAt},
		{PlatformID: 102, Email: "bea_50%@example.com", FirstName: "Bea", LastName: "Rossi", PlatformUpdatedAt: computedAt},
		{PlatformID: 103, Email: "cy@example.com", FirstName: "Cy", LastName: "Twombly", PlatformUpdatedAt: computedAt},
	} {
		if _, err := db.UpsertCustomer(ctx, f.alpha.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RedactCustomer(ctx, f.alpha.ID, 103, "cy@example.com", nil); err != nil {
		t.Fatal(err)
	}
	shop, customers := alphaInsights()
	if err := db.ReplaceInsights(ctx, f.alpha.ID, shop, customers); err != nil {
		t.Fatal(err)
	}
	beta := []ritorno.Order{order(2001, ritorno.BuyerFor(201, "dee@example.com"), "2026-02-12T10:00:00Z", "77.00")}
	if _, err := db.UpsertOrders(ctx, f.beta.ID, beta); err != nil {
		t.Fatal(err)
	}
	return f
}

// as sends a GET with shop's session token.
func (f insightsFixture) as(shop, target string) (int, string) {
	f.t.Helper()
	w := f.get(target, "Authorization", "Bearer "+f.token(shop))
	return w.Code, w.Body.String()
}

func TestInsightsGolden(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		cases := []struct {
			name   string
			target string
			golden string
		}{
			{"kpis of the last full month by default", "/api/admin/kpis", "insights_kpis.json"},
			{"kpis of a range of days", "/api/admin/kpis?from=2026-02-10&to=2026-02-21", "insights_kpis_days.json"},
			{"cohorts", "/api/admin/cohorts", "insights_cohorts.json"},
			{"segments", "/api/admin/segments", "insights_segments.json"},
			{"customers by value", "/api/admin/customers?per_page=3", "insights_customers.json"},
			{"customers of a segment, by recency, second page", "/api/admin/customers?segment=loyal&sort=recent&page=2&per_page=1", "insights_customers_loyal_page2.json"},
			{"a customer", "/api/admin/customers/101", "insights_customer.json"},
			{"a customer without a prediction", "/api/admin/customers/103", "insights_customer_unpredicted.json"},
			{"a guest", "/api/admin/customers/" + strconv.FormatInt(guestKey, 10), "insights_customer_guest.json"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.as("alpha.myshopify.com", c.target)
				if status != http.StatusOK {
					t.Fatalf("answered %d: %s", status, body)
				}
				// Names and e-mails of accounts are the merchant's to see; a guest's
				// address (only its hash is stored) and a redacted customer's are not.
				if strings.Contains(body, "guest@") || strings.Contains(body, "cy@") || strings.Contains(body, "Twombly") || strings.Contains(body, "address") {
					t.Fatalf("personal data in %s", body)
				}
				mustGolden(t, c.golden, []byte(body))
			})
		}
	})
}

func TestInsightsKPIPeriods(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		_, def := f.as("alpha.myshopify.com", "/api/admin/kpis")
		_, feb := f.as("alpha.myshopify.com", "/api/admin/kpis?from=2026-02-01&to=2026-03-01")
		if def != feb {
			t.Fatalf("default period %s\ndiffers from February %s", def, feb)
		}
		cases := []struct {
			name, query          string
			from, to, lookback   string
			orders               int
			revenue, newRevenue  string
			start, new, retained int
		}{
			// 31 January 23:30 UTC is 1 February in Rome: Bea's second order is February's.
			{"february", "from=2026-02-01&to=2026-03-01", "2026-02-01", "2026-03-01", "2026-01-01", 5, "152.34", "60.00", 2, 1, 2},
			{"january", "from=2026-01-01&to=2026-02-01", "2026-01-01", "2026-02-01", "2025-12-01", 2, "70.00", "40.00", 1, 1, 1},
			{"two months look back two months", "from=2026-01-01&to=2026-03-01", "2026-01-01", "2026-03-01", "2025-11-01", 7, "222.34", "125.00", 2, 2, 2},
			{"days look back as many days", "from=2026-02-10&to=2026-02-21", "2026-02-10", "2026-02-21", "2026-01-30", 3, "67.34", "0.00", 2, 0, 0},
			{"1 March is not February's", "from=2026-03-01&to=2026-03-02", "2026-03-01", "2026-03-02", "2026-02-28", 1, "45.00", "0.00", 0, 0, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.as("alpha.myshopify.com", "/api/admin/kpis?"+c.query)
				if status != http.StatusOK {
					t.Fatalf("answered %d: %s", status, body)
				}
				var got struct {
					From, To     string
					LookbackFrom string `json:"lookback_from"`
					Orders       int
					Revenue      struct{ Amount string }
					NewRevenue   struct{ Amount string } `json:"new_revenue"`
					Start, New   int
					Retained     int
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatal(err)
				}
				if got.From != c.from || got.To != c.to || got.LookbackFrom != c.lookback || got.Orders != c.orders ||
					got.Revenue.Amount != c.revenue || got.NewRevenue.Amount != c.newRevenue || got.Start != c.start || got.New != c.new || got.Retained != c.retained {
					t.Fatalf("got %+v from %s", got, body)
				}
			})
		}
	})
}

func TestInsightsShopScope(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		alphaOnly := []string{`"key":"101"`, `"key":"` + strconv.FormatInt(guestKey, 10) + `"`, "145.00", "152.34", "2025-12"}
		cases := []struct {
			name, target string
			status       int
			want         []string // in beta's answer
		}{
			{"kpis", "/api/admin/kpis", 200, []string{`"orders":1,`, `"revenue":{"amount":"77.00","currency":"EUR"}`}},
			{"cohorts", "/api/admin/cohorts", 200, []string{`"month":"2026-02","customers":1,`}},
			{"segments", "/api/admin/segments", 200, []string{`"computed_at":null`, `"segment":"champions","customers":0,`}},
			{"customers", "/api/admin/customers", 200, []string{`"customers":[],"total":0`}},
			{"customers of a segment", "/api/admin/customers?segment=champions", 200, []string{`"customers":[],"total":0`}},
			{"alpha's customer", "/api/admin/customers/101", 404, []string{`"code":"not_found"`}},
			{"alpha's guest", "/api/admin/customers/" + strconv.FormatInt(guestKey, 10), 404, []string{`"code":"not_found"`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.as("beta.myshopify.com", c.target)
				if status != c.status {
					t.Fatalf("answered %d, want %d: %s", status, c.status, body)
				}
				for _, w := range c.want {
					if !strings.Contains(body, w) {
						t.Fatalf("answer lacks %s: %s", w, body)
					}
				}
				for _, a := range alphaOnly {
					if strings.Contains(body, a) {
						t.Fatalf("beta sees alpha's %s: %s", a, body)
					}
				}
			})
		}
	})
}

func TestInsightsBadRequests(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		cases := []struct {
			name, target string
			message      string // part of the error's message
		}{
			{"from without to", "/api/admin/kpis?from=2026-02-01", "both from and to"},
			{"to without from", "/api/admin/kpis?to=2026-02-01", "both from and to"},
			{"unparsable from", "/api/admin/kpis?from=01/02/2026&to=2026-03-01", "YYYY-MM-DD"},
			{"unparsable to", "/api/admin/kpis?from=2026-02-01&to=tomorrow", "YYYY-MM-DD"},
			{"no such day", "/api/admin/kpis?from=2026-02-30&to=2026-03-01", "YYYY-MM-DD"},
			{"from equals to", "/api/admin/kpis?from=2026-02-01&to=2026-02-01", "after from"},
			{"from after to", "/api/admin/kpis?from=2026-03-01&to=2026-02-01", "after from"},
			{"over ten years", "/api/admin/kpis?from=2016-01-01&to=2026-01-02", "at most 10 years"},
			{"unknown segment", "/api/admin/customers?segment=vip", "segment"},
			{"unknown sort", "/api/admin/customers?sort=name", "sort"},
			{"page zero", "/api/admin/customers?page=0", "page"},
			{"page not a number", "/api/admin/customers?page=two", "page"},
			{"per_page zero", "/api/admin/customers?per_page=0", "per_page"},
			{"per_page over 100", "/api/admin/customers?per_page=101", "per_page"},
			{"key not a number", "/api/admin/customers/ada", "not a whole number"},
			{"key too large", "/api/admin/customers/99999999999999999999", "not a whole number"},
			{"search over 200 characters", "/api/admin/customers?q=" + strings.Repeat("é", 201), "at most 200"},
			// Issue 13, defect 5: text PostgreSQL refuses is bad input, not a 500.
			{"search with NUL", "/api/admin/customers?q=%00", "UTF-8 text"},
			{"search with NUL inside", "/api/admin/customers?q=ad%00a", "UTF-8 text"},
			{"search not UTF-8", "/api/admin/customers?q=%FF%FE", "UTF-8 text"},
			{"search with a control character", "/api/admin/customers?q=a%1Bb", "UTF-8 text"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w := f.get(c.target, "Authorization", "Bearer "+f.token("alpha.myshopify.com"))
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
				if !strings.Contains(w.Body.String(), c.message) {
					t.Fatalf("message lacks %q: %s", c.message, w.Body)
				}
			})
		}
		t.Run("exactly ten years", func(t *testing.T) {
			if status, body := f.as("alpha.myshopify.com", "/api/admin/kpis?from=2016-01-01&to=2026-01-01"); status != http.StatusOK {
				t.Fatalf("answered %d: %s", status, body)
			}
		})
		t.Run("unknown customer", func(t *testing.T) {
			w := f.get("/api/admin/customers/999", "Authorization", "Bearer "+f.token("alpha.myshopify.com"))
			wantError(t, w, http.StatusNotFound, ritorno.ENOTFOUND)
		})
		t.Run("no session token", func(t *testing.T) {
			wantError(t, f.get("/api/admin/customers"), http.StatusUnauthorized, ritorno.EUNAUTHORIZED)
		})
	})
}

func TestInsightsNotConfigured(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		h.mustInstall("alpha.myshopify.com")
		w := h.get("/api/admin/kpis", "Authorization", "Bearer "+h.token("alpha.myshopify.com"))
		wantError(t, w, http.StatusServiceUnavailable, ritorno.EUNAVAILABLE)
	})
}

// TestInsightsSearch: q finds buyers by a case-insensitive part of their account's name
// or e-mail, by customer id, and a guest by their exact e-mail address; a redacted
// customer matches on nothing personal; LIKE's wildcards are plain characters; the
// search combines with the segment and stays within the shop.
func TestInsightsSearch(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		guest := strconv.FormatInt(guestKey, 10)
		cases := []struct {
			name, shop, query string
			want              []string // keys, in the list's order (by value)
		}{
			{"first name, any case", "alpha", "q=aDA", []string{"101"}},
			{"part of a last name", "alpha", "q=velac", []string{"101"}},
			{"full name", "alpha", "q=Ada+Lovelace", []string{"101"}},
			{"e-mail domain", "alpha", "q=EXAMPLE.COM", []string{"101", "102"}},
			{"customer id", "alpha", "q=102", []string{"102"}},
			{"a redacted customer by id", "alpha", "q=103", []string{"103"}},
			{"a redacted customer by name", "alpha", "q=Cy", nil},
			{"a redacted customer by e-mail", "alpha", "q=cy%40example.com", nil},
			{"a guest by exact e-mail", "alpha", "q=+Guest%40Example.com+", []string{guest}},
			{"a guest by part of the e-mail", "alpha", "q=guest", nil},
			{"percent is a character", "alpha", "q=50%25", []string{"102"}},
			{"underscore is a character", "alpha", "q=a_", []string{"102"}},
			{"two percent signs match no e-mail with one", "alpha", "q=%25%25", nil},
			{"no match", "alpha", "q=zed", nil},
			{"with a segment", "alpha", "q=example&segment=champions", []string{"101"}},
			{"exactly 200 characters", "alpha", "q=" + strings.Repeat("a", 200), nil},
			{"another shop's customer", "beta", "q=ada", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, body := f.as(c.shop+".myshopify.com", "/api/admin/customers?"+c.query)
				if status != http.StatusOK {
					t.Fatalf("answered %d: %s", status, body)
				}
				var got struct {
					Customers []struct {
						Key   string `json:"key"`
						Name  string `json:"name"`
						Email string `json:"email"`
					} `json:"customers"`
					Total int `json:"total"`
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, cu := range got.Customers {
					keys = append(keys, cu.Key)
					if (cu.Key == guest || cu.Key == "103") && (cu.Name != "" || cu.Email != "") {
						t.Errorf("guest or redacted customer %s shows %q <%s>", cu.Key, cu.Name, cu.Email)
					}
					if cu.Key == "101" && (cu.Name != "Ada Lovelace" || cu.Email != "Ada@Example.com") {
						t.Errorf("Ada shows %q <%s>", cu.Name, cu.Email)
					}
				}
				if strings.Join(keys, ",") != strings.Join(c.want, ",") || got.Total != len(c.want) {
					t.Fatalf("keys %v (total %d), want %v", keys, got.Total, c.want)
				}
			})
		}
	})
}

// TestInsightsReportOtherCurrencies: an order in another currency than the shop's is left
// out of the KPIs and cohorts, which say how many orders and how much, in that currency.
func TestInsightsReportOtherCurrencies(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		f := mustInsightsFixture(t, db)
		gbp := func(s string) ritorno.Money { return ritorno.MustParseMoney(s, "GBP") }
		o := order(2002, ritorno.BuyerFor(202, "eve@example.com"), "2026-02-13T10:00:00Z", "1.00")
		o.Currency, o.PresentmentCurrency = "GBP", "GBP"
		o.Subtotal, o.TotalDiscounts, o.TotalTax, o.TotalShipping, o.Total, o.RefundedAmount = gbp("113366.09"), gbp("0"), gbp("0"), gbp("0"), gbp("113366.09"), gbp("0")
		if _, err := db.UpsertOrders(t.Context(), f.beta.ID, []ritorno.Order{o}); err != nil {
			t.Fatal(err)
		}
		want := `"other_currencies":[{"currency":"GBP","orders_left_out":1,"revenue_left_out":{"amount":"113366.09","currency":"GBP"}}]`
		for _, target := range []string{"/api/admin/kpis?from=2026-02-01&to=2026-03-01", "/api/admin/cohorts"} {
			status, body := f.as("beta.myshopify.com", target)
			if status != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s = %d, lacks %s: %s", target, status, want, body)
			}
		}
		if _, body := f.as("beta.myshopify.com", "/api/admin/kpis?from=2026-02-01&to=2026-03-01"); !strings.Contains(body, `"orders":1,`) ||
			!strings.Contains(body, `"revenue":{"amount":"77.00","currency":"EUR"}`) {
			t.Errorf("the GBP order was counted as the shop's: %s", body)
		}
		if _, body := f.as("alpha.myshopify.com", "/api/admin/kpis"); strings.Contains(body, "other_currencies") {
			t.Errorf("alpha, all in EUR, reports other currencies: %s", body)
		}
	})
}
