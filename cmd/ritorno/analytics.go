package main

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/store"
)

const analyticsUsage = `Usage: ritorno analytics --shop SHOP [--from YYYY-MM-DD --to YYYY-MM-DD] [--compute]

Prints a shop's retention figures as JSON (every figure is defined in docs/analytics.md):
the KPIs of the period [from, to) — days in the shop's time zone, to exclusive; default the
last full calendar month — and the buyers' segments from the last computation of insights
with the lifetime-value models' parameters. --compute recomputes the insights first (the
server does it by itself when orders change) and prints how long each stage took.
`

// moneyView prints an amount with its currency, exactly.
type moneyView struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func viewMoney(m ritorno.Money) moneyView {
	return moneyView{Amount: m.Decimal(), Currency: m.Currency}
}

func viewMoneyPtr(m *ritorno.Money) *moneyView {
	if m == nil {
		return nil
	}
	v := viewMoney(*m)
	return &v
}

// periodView is analytics.ShopFigures as the CLI prints it.
type periodView struct {
	From                    time.Time  `json:"from"`
	To                      time.Time  `json:"to"`
	LookbackFrom            time.Time  `json:"lookback_from"`
	Orders                  int        `json:"orders"`
	Revenue                 moneyView  `json:"revenue"`
	Start                   int        `json:"customers_at_start"`
	End                     int        `json:"customers_at_end"`
	New                     int        `json:"new_customers"`
	Returning               int        `json:"returning_customers"`
	Retained                int        `json:"retained_customers"`
	Reactivated             int        `json:"reactivated_customers"`
	CRR                     *float64   `json:"customer_retention_rate"`
	Churn                   *float64   `json:"churn_rate"`
	RepeatRate              *float64   `json:"repeat_customer_rate"`
	PurchaseFrequency       *float64   `json:"purchase_frequency"`
	AOV                     *moneyView `json:"average_order_value"`
	CustomerValue           *moneyView `json:"customer_value"`
	NewRevenue              moneyView  `json:"revenue_from_new"`
	ReturningRevenue        moneyView  `json:"revenue_from_returning"`
	UnknownRevenue          moneyView  `json:"revenue_from_unknown_buyers"`
	TopCustomers            int        `json:"top_customers"`
	TopShare                *float64   `json:"top_15_percent_revenue_share"`
	SecondOrders            int        `json:"second_orders"`
	MedianDaysToSecondOrder *float64   `json:"median_days_to_second_order"`
	// SkippedOrders counts orders left out because their stored time cannot be placed.
	SkippedOrders int `json:"skipped_orders,omitempty"`
	// OtherCurrencies are the orders left out of every figure because they are in another
	// currency than the shop's, per currency (their revenue in that currency, never converted).
	OtherCurrencies []otherCurrencyView `json:"other_currencies,omitempty"`
}

type otherCurrencyView struct {
	Currency       string    `json:"currency"`
	OrdersLeftOut  int       `json:"orders_left_out"`
	RevenueLeftOut moneyView `json:"revenue_left_out"`
}

func viewPeriod(f analytics.ShopFigures) periodView {
	return periodView{From: f.From, To: f.To, LookbackFrom: f.LookbackFrom, Orders: f.Orders, Revenue: viewMoney(f.Revenue),
		Start: f.Start, End: f.End, New: f.New, Returning: f.Returning, Retained: f.Retained, Reactivated: f.Reactivated,
		CRR: f.CRR, Churn: f.Churn, RepeatRate: f.RepeatRate, PurchaseFrequency: f.PurchaseFrequency,
		AOV: viewMoneyPtr(f.AOV), CustomerValue: viewMoneyPtr(f.CustomerValue), NewRevenue: viewMoney(f.NewRevenue),
		ReturningRevenue: viewMoney(f.ReturningRevenue), UnknownRevenue: viewMoney(f.UnknownRevenue),
		TopCustomers: f.TopCustomers, TopShare: f.TopShare, SecondOrders: f.SecondOrders, MedianDaysToSecondOrder: f.MedianDaysToSecondOrder,
		SkippedOrders: f.SkippedOrders, OtherCurrencies: viewOtherCurrencies(f.OtherCurrencies)}
}

func viewOtherCurrencies(other []ritorno.CurrencyTotal) []otherCurrencyView {
	var out []otherCurrencyView
	for _, ct := range other {
		out = append(out, otherCurrencyView{Currency: ct.Net.Currency, OrdersLeftOut: ct.Orders, RevenueLeftOut: viewMoney(ct.Net)})
	}
	return out
}

type segmentView struct {
	Segment           string    `json:"segment"`
	Customers         int64     `json:"customers"`
	NetSpent          moneyView `json:"net_spent"`
	MeanExpectedValue moneyView `json:"mean_expected_value"`
}

type insightsView struct {
	ComputedAt time.Time `json:"computed_at"` // the last full computation
	// UpdatedAt is the last incremental update of single buyers since it (null: none),
	// UpdatedBuyers the buyers it rewrote or removed, BuyersSinceFull all updates' sum.
	UpdatedAt       *time.Time      `json:"updated_at"`
	UpdatedBuyers   int             `json:"updated_buyers"`
	BuyersSinceFull int             `json:"buyers_since_full"`
	Customers       int             `json:"customers"`
	Orders          int             `json:"orders"`
	HorizonDays     int             `json:"horizon_days"`
	Fallback        bool            `json:"fallback"`
	Notes           []string        `json:"notes,omitempty"`
	Model           json.RawMessage `json:"model,omitempty"`
	Segments        []segmentView   `json:"segments"`
	// StageSeconds is set by --compute: how long each stage of the computation took.
	StageSeconds map[string]float64 `json:"stage_seconds,omitempty"`
}

func runAnalytics(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("analytics")
	shopArg := fs.String("shop", "", "the shop (domain, URL or id)")
	fromArg := fs.String("from", "", "first day of the period (YYYY-MM-DD, shop time zone)")
	toArg := fs.String("to", "", "day after the period (YYYY-MM-DD, exclusive)")
	compute := fs.Bool("compute", false, "recompute the insights first and time the stages")
	if err := parseFlags(ctx, fs, args, stdout, analyticsUsage); err != nil {
		return err
	}
	if *shopArg == "" || fs.NArg() > 0 || (*fromArg == "") != (*toArg == "") {
		return usageErrorf("analytics needs --shop, and --from with --to or neither (see ritorno analytics --help)")
	}
	db, shop, err := openShop(ctx, &cfg, *shopArg)
	if err != nil {
		return err
	}
	defer db.Close()
	loc := shop.Location()
	now := time.Now().In(loc)
	var from, to, lookback time.Time
	if *fromArg == "" {
		from, to = analytics.CalendarMonth(now.Year(), now.Month()-1, loc)
		lookback, _ = analytics.CalendarMonth(now.Year(), now.Month()-2, loc)
	} else {
		if from, err = time.ParseInLocation("2006-01-02", *fromArg, loc); err != nil {
			return usageErrorf("analytics: --from %q is not YYYY-MM-DD", *fromArg)
		}
		if to, err = time.ParseInLocation("2006-01-02", *toArg, loc); err != nil {
			return usageErrorf("analytics: --to %q is not YYYY-MM-DD", *toArg)
		}
	}

	out := struct {
		Shop     string        `json:"shop"`
		Currency string        `json:"currency"`
		Timezone string        `json:"timezone"`
		Period   periodView    `json:"period"`
		Insights *insightsView `json:"insights"`
	}{Shop: shop.Domain, Currency: shop.Currency, Timezone: shop.Timezone}

	var stages *analytics.Stages
	if *compute {
		_, st, err := analytics.Compute(ctx, db, shop.ID, analytics.ComputeOptions{})
		if err != nil {
			return err
		}
		stages = &st
	}
	figures, err := analytics.NewService(db, nil).Period(ctx, shop.ID, from, to, lookback)
	if err != nil {
		return err
	}
	out.Period = viewPeriod(figures)
	if out.Insights, err = viewInsights(ctx, db, shop, stages); err != nil {
		return err
	}
	return writeJSON(stdout, out)
}

func viewInsights(ctx context.Context, db *store.DB, shop ritorno.Shop, st *analytics.Stages) (*insightsView, error) {
	ins, err := db.ShopInsight(ctx, shop.ID)
	if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
		return nil, nil // never computed: the server computes it within seconds of starting
	}
	if err != nil {
		return nil, err
	}
	segs, err := db.SegmentSummaries(ctx, shop.ID, shop.Currency)
	if err != nil {
		return nil, err
	}
	v := &insightsView{ComputedAt: ins.ComputedAt, UpdatedBuyers: ins.IncrementalBuyers, BuyersSinceFull: ins.BuyersSinceFull, Customers: ins.Customers, Orders: ins.Orders, HorizonDays: ins.HorizonDays,
		Fallback: ins.Fallback, Notes: ins.Notes, Segments: make([]segmentView, len(segs))}
	if !ins.IncrementalAt.IsZero() {
		v.UpdatedAt = &ins.IncrementalAt
	}
	if ins.Model != "" {
		v.Model = json.RawMessage(ins.Model)
	}
	for i, s := range segs {
		v.Segments[i] = segmentView{Segment: s.Segment, Customers: s.Customers, NetSpent: viewMoney(s.NetSpent), MeanExpectedValue: viewMoney(s.MeanExpectedValue)}
	}
	if st != nil {
		v.StageSeconds = map[string]float64{"load": st.Load.Seconds(), "group": st.Group.Seconds(), "figures": st.Figures.Seconds(),
			"rfm": st.RFM.Seconds(), "fit": st.Fit.Seconds(), "predict": st.Predict.Seconds(), "store": st.Store.Seconds(), "total": st.Total().Seconds()}
	}
	return v, nil
}
