package app

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/web"
)

// The admin analytics API: KPIs and cohorts computed from the orders at request time, and
// the per-buyer insights (segments, customers, predictions) read as last precomputed.

// Insights is what the admin analytics API needs of the analytics engine and of storage
// (cmd adapts analytics.Service and the store to it). Every method is scoped to shopID.
type Insights interface {
	// Period computes the shop's KPIs for [from, to) with the lookback window [lookbackFrom, from).
	Period(ctx context.Context, shopID int64, from, to, lookbackFrom time.Time) (analytics.ShopFigures, error)
	// Cohorts computes the shop's monthly acquisition cohorts up to now.
	Cohorts(ctx context.Context, shopID int64) (analytics.CohortTable, error)
	// ShopInsight is the shop's last computation of insights; ENOTFOUND before the first.
	ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error)
	// Segments sums the shop's buyers by segment (only segments with buyers, any order).
	Segments(ctx context.Context, shopID int64) ([]SegmentRow, error)
	// Customers returns a page of the shop's buyers and how many match in all.
	Customers(ctx context.Context, shopID int64, q CustomerQuery) ([]ritorno.CustomerInsight, int64, error)
	// Customer returns one buyer of the shop by key; ENOTFOUND when the shop has none such.
	Customer(ctx context.Context, shopID, key int64) (ritorno.CustomerInsight, error)
}

// SegmentRow is one RFM segment of a shop: its buyers, what they spent, the mean predicted
// value of those with a prediction, and how many have one.
type SegmentRow struct {
	Segment            string
	Customers          int64
	NetSpent           ritorno.Money
	MeanExpectedValue  ritorno.Money
	PredictedCustomers int64
}

// CustomerQuery selects and orders a page of a shop's buyers.
type CustomerQuery struct {
	Segment string // "" = every segment, else one of analytics.Segments
	// Q, when set, keeps the buyers whose customer account's name or e-mail contains it
	// (ignoring case), whose customer id it is, or, for an e-mail address, the guest who
	// ordered with it; a redacted customer matches on nothing personal.
	Q      string
	Sort   string // "value", "spent", "orders" or "recent", all descending
	Limit  int    // 1–100
	Offset int    // >= 0
}

// Limits of the admin analytics API's parameters.
const (
	maxKPIYears    = 10
	defaultPerPage = 25
	maxPerPage     = 100
	maxPage        = 10_000_000 // keeps the offset far from overflowing
	maxQuery       = 200        // characters of a customer search
	dateLayout     = "2006-01-02"
)

// customerSorts are the orders of the customer list; the first is the default.
var customerSorts = []string{"value", "spent", "orders", "recent"}

func (a *App) needInsights(c *gin.Context) {
	if a.cfg.Insights == nil {
		web.Error(c, ritorno.Errorf(ritorno.EUNAVAILABLE, "analytics are not configured on this server"))
	}
}

// moneyResponse is an amount as an exact decimal string in major units, never a float.
type moneyResponse struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func moneyToResponse(m ritorno.Money) moneyResponse {
	return moneyResponse{Amount: m.Decimal(), Currency: m.Currency}
}

// optionalMoney is null in JSON for an undefined amount.
func optionalMoney(m *ritorno.Money) *moneyResponse {
	if m == nil {
		return nil
	}
	r := moneyToResponse(*m)
	return &r
}

// number is null in JSON for an undefined ratio, and for NaN or ±Inf, which JSON cannot carry.
func number(v *float64) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	return v
}

// kpisResponse is every figure of analytics.ShopFigures. The period's bounds are the days
// the merchant asked for, in the shop's time zone, to exclusive.
type kpisResponse struct {
	From         string `json:"from"`
	To           string `json:"to"`
	LookbackFrom string `json:"lookback_from"`
	Timezone     string `json:"timezone"`
	ComputedFrom string `json:"computed_from"`

	Orders  int           `json:"orders"`
	Revenue moneyResponse `json:"revenue"`

	Start       int      `json:"start"`
	End         int      `json:"end"`
	New         int      `json:"new"`
	Returning   int      `json:"returning"`
	Retained    int      `json:"retained"`
	Reactivated int      `json:"reactivated"`
	CRR         *float64 `json:"crr"`
	Churn       *float64 `json:"churn"`

	CustomersToDate       int      `json:"customers_to_date"`
	RepeatCustomersToDate int      `json:"repeat_customers_to_date"`
	RepeatRate            *float64 `json:"repeat_rate"`

	CustomerOrders    int            `json:"customer_orders"`
	PurchaseFrequency *float64       `json:"purchase_frequency"`
	AOV               *moneyResponse `json:"aov"`
	CustomerValue     *moneyResponse `json:"customer_value"`

	NewRevenue       moneyResponse `json:"new_revenue"`
	ReturningRevenue moneyResponse `json:"returning_revenue"`
	UnknownRevenue   moneyResponse `json:"unknown_revenue"`

	TopPercent   int           `json:"top_percent"`
	TopCustomers int           `json:"top_customers"`
	TopRevenue   moneyResponse `json:"top_revenue"`
	TopShare     *float64      `json:"top_share"`

	SecondOrders            int      `json:"second_orders"`
	MedianDaysToSecondOrder *float64 `json:"median_days_to_second_order"`

	// SkippedOrders counts orders left out of every figure: their stored time cannot be
	// placed (kept before such times were mended on the way in). Absent when none.
	SkippedOrders int `json:"skipped_orders,omitempty"`
	// OtherCurrencies are the orders left out of every figure because they are in another
	// currency than the shop's, per currency, with their revenue in that currency (never
	// converted). Absent when none.
	OtherCurrencies []otherCurrencyResponse `json:"other_currencies,omitempty"`
}

// otherCurrencyResponse is the orders in one currency that the figures left out.
type otherCurrencyResponse struct {
	Currency       string        `json:"currency"`
	OrdersLeftOut  int           `json:"orders_left_out"`
	RevenueLeftOut moneyResponse `json:"revenue_left_out"`
}

func otherCurrenciesToResponse(other []ritorno.CurrencyTotal) []otherCurrencyResponse {
	var out []otherCurrencyResponse
	for _, ct := range other {
		out = append(out, otherCurrencyResponse{Currency: ct.Net.Currency, OrdersLeftOut: ct.Orders, RevenueLeftOut: moneyToResponse(ct.Net)})
	}
	return out
}

func kpisToResponse(f analytics.ShopFigures, loc *time.Location) kpisResponse {
	day := func(t time.Time) string { return t.In(loc).Format(dateLayout) }
	return kpisResponse{From: day(f.From), To: day(f.To), LookbackFrom: day(f.LookbackFrom), Timezone: loc.String(), ComputedFrom: "orders",
		SkippedOrders: f.SkippedOrders, OtherCurrencies: otherCurrenciesToResponse(f.OtherCurrencies),
		Orders: f.Orders, Revenue: moneyToResponse(f.Revenue),
		Start: f.Start, End: f.End, New: f.New, Returning: f.Returning, Retained: f.Retained, Reactivated: f.Reactivated,
		CRR: number(f.CRR), Churn: number(f.Churn),
		CustomersToDate: f.CustomersToDate, RepeatCustomersToDate: f.RepeatCustomersToDate, RepeatRate: number(f.RepeatRate),
		CustomerOrders: f.CustomerOrders, PurchaseFrequency: number(f.PurchaseFrequency),
		AOV: optionalMoney(f.AOV), CustomerValue: optionalMoney(f.CustomerValue),
		NewRevenue: moneyToResponse(f.NewRevenue), ReturningRevenue: moneyToResponse(f.ReturningRevenue), UnknownRevenue: moneyToResponse(f.UnknownRevenue),
		TopPercent: analytics.TopPercent, TopCustomers: f.TopCustomers, TopRevenue: moneyToResponse(f.TopRevenue), TopShare: number(f.TopShare),
		SecondOrders: f.SecondOrders, MedianDaysToSecondOrder: number(f.MedianDaysToSecondOrder)}
}

// kpiPeriod reads ?from=&to= as days in loc, to exclusive. Without them the period is the
// last full calendar month before now. The lookback window is as many calendar months
// before from as the period spans when it is whole months, else as many days: in local
// calendar units, so that a summer-time change does not shift it by an hour.
func kpiPeriod(c *gin.Context, loc *time.Location, now time.Time) (from, to, lookback time.Time, err error) {
	fromArg, toArg := c.Query("from"), c.Query("to")
	if fromArg == "" && toArg == "" {
		n := now.In(loc)
		from, to = analytics.CalendarMonth(n.Year(), n.Month()-1, loc)
		lookback, _ = analytics.CalendarMonth(n.Year(), n.Month()-2, loc)
		return from, to, lookback, nil
	}
	if fromArg == "" || toArg == "" {
		return from, to, lookback, ritorno.Errorf(ritorno.EINVALID, "give both from and to (YYYY-MM-DD), or neither for the last full month")
	}
	if from, err = time.ParseInLocation(dateLayout, fromArg, loc); err != nil {
		return from, to, lookback, ritorno.Errorf(ritorno.EINVALID, "from %q is not a date of the form YYYY-MM-DD", fromArg)
	}
	if to, err = time.ParseInLocation(dateLayout, toArg, loc); err != nil {
		return from, to, lookback, ritorno.Errorf(ritorno.EINVALID, "to %q is not a date of the form YYYY-MM-DD", toArg)
	}
	if !to.After(from) {
		return from, to, lookback, ritorno.Errorf(ritorno.EINVALID, "to must be after from (to is exclusive: from=2026-02-01&to=2026-03-01 is February)")
	}
	if to.After(from.AddDate(maxKPIYears, 0, 0)) {
		return from, to, lookback, ritorno.Errorf(ritorno.EINVALID, "a period spans at most %d years", maxKPIYears)
	}
	if from.Day() == 1 && to.Day() == 1 {
		months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month())
		lookback = time.Date(from.Year(), from.Month()-time.Month(months), 1, 0, 0, 0, 0, loc)
	} else {
		civil := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
		days := int(civil(to).Sub(civil(from)) / (24 * time.Hour))
		lookback = time.Date(from.Year(), from.Month(), from.Day()-days, 0, 0, 0, 0, loc)
	}
	return from, to, lookback, nil
}

// getKPIs answers GET /api/admin/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD.
func (a *App) getKPIs(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	loc := shop.Location()
	from, to, lookback, err := kpiPeriod(c, loc, a.cfg.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	figures, err := a.cfg.Insights.Period(c.Request.Context(), shop.ID, from, to, lookback)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, kpisToResponse(figures, loc))
}

// cohortsResponse is the shop's monthly acquisition cohorts; slices are indexed by the
// cohort's age in months.
type cohortsResponse struct {
	Through  time.Time        `json:"through"`
	Timezone string           `json:"timezone"`
	Cohorts  []cohortResponse `json:"cohorts"`
	// SkippedOrders and OtherCurrencies: as in kpisResponse.
	SkippedOrders   int                     `json:"skipped_orders,omitempty"`
	OtherCurrencies []otherCurrencyResponse `json:"other_currencies,omitempty"`
}

type cohortResponse struct {
	Month              string          `json:"month"` // YYYY-MM in the shop's time zone
	Customers          int             `json:"customers"`
	Active             []int           `json:"active"`
	Retention          []float64       `json:"retention"`
	Revenue            []moneyResponse `json:"revenue"` // cumulative
	RevenuePerCustomer []moneyResponse `json:"revenue_per_customer"`
}

func cohortsToResponse(t analytics.CohortTable, loc *time.Location) cohortsResponse {
	r := cohortsResponse{Through: t.Through.UTC(), Timezone: loc.String(), Cohorts: make([]cohortResponse, len(t.Cohorts)), SkippedOrders: t.SkippedOrders,
		OtherCurrencies: otherCurrenciesToResponse(t.OtherCurrencies)}
	for i, co := range t.Cohorts {
		cr := cohortResponse{Month: co.Month.In(loc).Format("2006-01"), Customers: co.Customers,
			Active: append([]int{}, co.Active...), Retention: append([]float64{}, co.Retention...),
			Revenue: make([]moneyResponse, len(co.Revenue)), RevenuePerCustomer: make([]moneyResponse, len(co.RevenuePerCustomer))}
		for k, m := range co.Revenue {
			cr.Revenue[k] = moneyToResponse(m)
		}
		for k, m := range co.RevenuePerCustomer {
			cr.RevenuePerCustomer[k] = moneyToResponse(m)
		}
		r.Cohorts[i] = cr
	}
	return r
}

// getCohorts answers GET /api/admin/cohorts.
func (a *App) getCohorts(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	table, err := a.cfg.Insights.Cohorts(c.Request.Context(), shop.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, cohortsToResponse(table, shop.Location()))
}

// segmentsResponse is every segment with its buyers as last computed, and what that
// computation was: before the first one, every segment is empty and computed_at null.
type segmentsResponse struct {
	Segments   []segmentResponse `json:"segments"`
	ComputedAt *time.Time        `json:"computed_at"` // the last full computation
	// UpdatedAt is the last incremental update of single buyers since (null: none), and
	// UpdatedBuyers the buyers it rewrote or removed.
	UpdatedAt     *time.Time `json:"updated_at"`
	UpdatedBuyers int        `json:"updated_buyers"`
	HorizonDays   *int       `json:"horizon_days"`
	Fallback      bool       `json:"fallback"`
	Notes         []string   `json:"notes"`
}

type segmentResponse struct {
	Segment            string        `json:"segment"`
	Customers          int64         `json:"customers"`
	NetSpent           moneyResponse `json:"net_spent"`
	MeanExpectedValue  moneyResponse `json:"mean_expected_value"`
	PredictedCustomers int64         `json:"predicted_customers"`
}

// segmentsInOrder lists every analytics segment in its order, empty ones included, then
// any other segment the rows name, so that no buyer goes uncounted.
func segmentsInOrder(rows []SegmentRow, currency string) []segmentResponse {
	bySegment := make(map[string]SegmentRow, len(rows))
	for _, r := range rows {
		bySegment[r.Segment] = r
	}
	out := make([]segmentResponse, 0, len(analytics.Segments)+len(rows))
	add := func(r SegmentRow) {
		out = append(out, segmentResponse{Segment: r.Segment, Customers: r.Customers, NetSpent: moneyToResponse(r.NetSpent),
			MeanExpectedValue: moneyToResponse(r.MeanExpectedValue), PredictedCustomers: r.PredictedCustomers})
	}
	for _, s := range analytics.Segments {
		r, ok := bySegment[string(s)]
		if !ok {
			r = SegmentRow{Segment: string(s), NetSpent: ritorno.Zero(currency), MeanExpectedValue: ritorno.Zero(currency)}
		}
		add(r)
		delete(bySegment, string(s))
	}
	for _, r := range rows {
		if _, ok := bySegment[r.Segment]; ok {
			add(r)
		}
	}
	return out
}

// getSegments answers GET /api/admin/segments.
func (a *App) getSegments(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	r := segmentsResponse{Notes: []string{}}
	ins, err := a.cfg.Insights.ShopInsight(ctx, shop.ID)
	switch ritorno.ErrorCode(err) {
	case "":
		r.ComputedAt, r.HorizonDays, r.Fallback = optionalTime(ins.ComputedAt), &ins.HorizonDays, ins.Fallback
		r.UpdatedAt, r.UpdatedBuyers = optionalTime(ins.IncrementalAt), ins.IncrementalBuyers
		if ins.Notes != nil {
			r.Notes = ins.Notes
		}
	case ritorno.ENOTFOUND:
	default:
		web.Error(c, err)
		return
	}
	rows, err := a.cfg.Insights.Segments(ctx, shop.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	r.Segments = segmentsInOrder(rows, shop.Currency)
	c.JSON(http.StatusOK, r)
}

// customerResponse is the admin view of one buyer's insight: an allowlist of computed
// figures and, for the merchant's own admin only (never a storefront response), the
// customer account's name and e-mail, empty for a guest or a redacted customer. Never an
// address. The key is a string because a guest's key is a 64-bit number that JavaScript
// would round.
type customerResponse struct {
	Key                int64               `json:"key,string"`
	CustomerPlatformID *int64              `json:"customer_platform_id"` // null for a guest
	Name               string              `json:"name"`                 // "first last"
	Email              string              `json:"email"`
	Orders             int                 `json:"orders"`
	NetSpent           moneyResponse       `json:"net_spent"`
	AOV                moneyResponse       `json:"aov"`
	FirstOrder         *time.Time          `json:"first_order"`
	LastOrder          *time.Time          `json:"last_order"`
	MeanDaysBetween    *float64            `json:"mean_days_between"` // null with a single order
	RecencyDays        int64               `json:"recency_days"`
	RFM                rfmResponse         `json:"rfm"`
	Segment            string              `json:"segment"`
	Prediction         *predictionResponse `json:"prediction"` // null when the models could not be fitted
	ComputedAt         *time.Time          `json:"computed_at"`
}

type rfmResponse struct {
	R int `json:"r"`
	F int `json:"f"`
	M int `json:"m"`
}

type predictionResponse struct {
	PAlive            *float64      `json:"p_alive"`
	ExpectedPurchases *float64      `json:"expected_purchases"`
	ExpectedValue     moneyResponse `json:"expected_value"`
	NextOrder         *time.Time    `json:"next_order"`
}

// customerDetailResponse is one buyer with the horizon their prediction covers.
type customerDetailResponse struct {
	customerResponse
	HorizonDays *int `json:"horizon_days"`
}

func customerToResponse(ci ritorno.CustomerInsight) customerResponse {
	r := customerResponse{Key: ci.Key, Name: strings.TrimSpace(ci.FirstName + " " + ci.LastName), Email: ci.Email, Orders: ci.Orders, NetSpent: moneyToResponse(ci.NetSpent), AOV: moneyToResponse(ci.AOV),
		FirstOrder: optionalTime(ci.FirstOrder), LastOrder: optionalTime(ci.LastOrder), RecencyDays: ci.RecencyDays,
		RFM: rfmResponse{R: ci.R, F: ci.F, M: ci.M}, Segment: ci.Segment, ComputedAt: optionalTime(ci.ComputedAt)}
	if ci.CustomerPlatformID > 0 {
		id := ci.CustomerPlatformID
		r.CustomerPlatformID = &id
	}
	if ci.Orders > 1 {
		r.MeanDaysBetween = number(&ci.MeanDaysBetween)
	}
	if ci.Predicted {
		r.Prediction = &predictionResponse{PAlive: number(&ci.PAlive), ExpectedPurchases: number(&ci.ExpectedPurchases),
			ExpectedValue: moneyToResponse(ci.ExpectedValue), NextOrder: optionalTime(ci.NextOrder)}
	}
	return r
}

// customersResponse is a page of buyers and how many match in all.
type customersResponse struct {
	Customers []customerResponse `json:"customers"`
	Total     int64              `json:"total"`
	Page      int                `json:"page"`
	PerPage   int                `json:"per_page"`
}

// intParam reads an optional whole-number query parameter within [lo, hi].
func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, ritorno.Errorf(ritorno.EINVALID, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// customerQuery reads ?segment=&q=&sort=&page=&per_page= (page from 1).
func customerQuery(c *gin.Context) (q CustomerQuery, page, perPage int, err error) {
	q.Q = strings.TrimSpace(c.Query("q"))
	// The search reaches the database as text, which PostgreSQL refuses with a NUL or bytes
	// that are not UTF-8; no name or e-mail holds a control character either.
	if !utf8.ValidString(q.Q) || strings.ContainsFunc(q.Q, unicode.IsControl) {
		return q, 0, 0, ritorno.Errorf(ritorno.EINVALID, "q must be UTF-8 text without control characters")
	}
	if utf8.RuneCountInString(q.Q) > maxQuery {
		return q, 0, 0, ritorno.Errorf(ritorno.EINVALID, "q is at most %d characters", maxQuery)
	}
	q.Segment = c.Query("segment")
	if q.Segment != "" && !slices.Contains(analytics.Segments, analytics.Segment(q.Segment)) {
		return q, 0, 0, ritorno.Errorf(ritorno.EINVALID, "segment %q is not one of the RFM segments (see /api/admin/segments)", q.Segment)
	}
	q.Sort = c.DefaultQuery("sort", customerSorts[0])
	if !slices.Contains(customerSorts, q.Sort) {
		return q, 0, 0, ritorno.Errorf(ritorno.EINVALID, "sort %q is not one of value, spent, orders, recent", q.Sort)
	}
	if page, err = intParam(c, "page", 1, 1, maxPage); err != nil {
		return q, 0, 0, err
	}
	if perPage, err = intParam(c, "per_page", defaultPerPage, 1, maxPerPage); err != nil {
		return q, 0, 0, err
	}
	q.Limit, q.Offset = perPage, (page-1)*perPage
	return q, page, perPage, nil
}

// getCustomers answers GET /api/admin/customers?segment=&q=&sort=&page=&per_page=.
func (a *App) getCustomers(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	q, page, perPage, err := customerQuery(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	list, total, err := a.cfg.Insights.Customers(c.Request.Context(), shop.ID, q)
	if err != nil {
		web.Error(c, err)
		return
	}
	r := customersResponse{Customers: make([]customerResponse, len(list)), Total: total, Page: page, PerPage: perPage}
	for i, ci := range list {
		r.Customers[i] = customerToResponse(ci)
	}
	c.JSON(http.StatusOK, r)
}

// getCustomer answers GET /api/admin/customers/:key.
func (a *App) getCustomer(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	key, err := strconv.ParseInt(c.Param("key"), 10, 64)
	if err != nil {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "customer key %q is not a whole number", c.Param("key")))
		return
	}
	ctx := c.Request.Context()
	ci, err := a.cfg.Insights.Customer(ctx, shop.ID, key)
	if err != nil {
		web.Error(c, err)
		return
	}
	r := customerDetailResponse{customerResponse: customerToResponse(ci)}
	ins, err := a.cfg.Insights.ShopInsight(ctx, shop.ID)
	switch ritorno.ErrorCode(err) {
	case "":
		r.HorizonDays = &ins.HorizonDays
	case ritorno.ENOTFOUND: // only in a race with the first computation: the horizon is unknown
	default:
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
