package analytics

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/clv"
)

// InsightStore is what computing a shop's insights needs of storage.
type InsightStore interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	EachCountedOrder(ctx context.Context, shopID int64, fn func(buyerKey, orderID int64, placedAt time.Time, net int64) error) error
	ReplaceInsights(ctx context.Context, shopID int64, shop ritorno.ShopInsight, customers []ritorno.CustomerInsight) error
}

// ComputeOptions tune Compute; zero values take the defaults.
type ComputeOptions struct {
	HorizonDays  int     // prediction horizon (365)
	DiscountRate float64 // yearly discount rate of predicted value (0: none)
	Now          func() time.Time
}

// Stages is how long each stage of a computation took.
type Stages struct {
	Load, Group, Figures, RFM, Fit, Predict, Store time.Duration
}

// Total is the sum of the stages.
func (s Stages) Total() time.Duration {
	return s.Load + s.Group + s.Figures + s.RFM + s.Fit + s.Predict + s.Store
}

// Compute recomputes a shop's insights from its stored orders and stores them: per-buyer
// figures, RFM scores and segments (relative to the shop's buyers now), and the lifetime
// value models fitted to the shop's own histories. When the models cannot be fitted (too
// few repeat buyers), buyers get no prediction and the shop's notes say why.
func Compute(ctx context.Context, store InsightStore, shopID int64, opt ComputeOptions) (ritorno.ShopInsight, Stages, error) {
	if opt.HorizonDays <= 0 {
		opt.HorizonDays = 365
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var st Stages
	mark := time.Now()
	lap := func(d *time.Duration) { now := time.Now(); *d = now.Sub(mark); mark = now }

	shop, err := store.Shop(ctx, shopID)
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	now := opt.Now().UTC()
	var ps []Purchase
	err = store.EachCountedOrder(ctx, shopID, func(key, order int64, at time.Time, net int64) error {
		if at.After(now) {
			return nil // placed "in the future" by a wrong clock: not history yet
		}
		ps = append(ps, Purchase{Customer: key, Order: order, At: at, Net: net})
		return nil
	})
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Load)

	h, err := NewHistories(ps, shop.Currency)
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Group)
	figures := h.Customers(now)
	lap(&st.Figures)
	scores := ScoreRFM(figures, now)
	lap(&st.RFM)

	// The models see each buyer's purchase days up to now, in the shop's time zone.
	loc := shop.Location()
	cps := make([]clv.Purchase, 0, len(ps))
	for _, p := range ps {
		if p.Customer != 0 {
			cps = append(cps, clv.Purchase{Customer: strconv.FormatInt(p.Customer, 10), At: p.At.In(loc), Amount: p.Net})
		}
	}
	ps = nil
	summaries := clv.Summarize(cps, now.In(loc), clv.Day)
	cps = nil
	report, err := clv.Analyze(summaries, nil, clv.FitOptions{})
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Fit)

	byKey := make(map[int64]int, len(summaries))
	for i, s := range summaries {
		key, _ := strconv.ParseInt(s.Customer, 10, 64)
		byKey[key] = i
	}
	dailyDiscount := 0.0
	if opt.DiscountRate > 0 {
		dailyDiscount = math.Pow(1+opt.DiscountRate, 1/365.25) - 1
	}
	horizon := float64(opt.HorizonDays)
	money := func(minor float64) ritorno.Money {
		return ritorno.Money{Amount: int64(math.Round(minor)), Currency: shop.Currency}
	}
	insights := make([]ritorno.CustomerInsight, len(figures))
	for i, f := range figures {
		r := scores[i]
		ci := ritorno.CustomerInsight{ShopID: shopID, Key: f.Customer, Orders: f.Orders, NetSpent: f.Spent, AOV: f.AOV,
			FirstOrder: f.First, LastOrder: f.Last, RecencyDays: r.RecencyDays, R: r.R, F: r.F, M: r.M,
			Segment: string(r.Segment), ComputedAt: now}
		if f.Customer > 0 {
			ci.CustomerPlatformID = f.Customer
		}
		if f.MeanDaysBetweenOrders != nil {
			ci.MeanDaysBetween = *f.MeanDaysBetweenOrders
		}
		if j, ok := byKey[f.Customer]; ok && report.BGNBD != nil && report.GammaGamma != nil {
			s := summaries[j]
			bg, gg := *report.BGNBD, *report.GammaGamma
			ci.Predicted = true
			ci.PAlive = bg.PAlive(s)
			ci.ExpectedPurchases = bg.ExpectedPurchases(horizon, s)
			ci.ExpectedValue = money(clv.CLV(bg, gg, s, horizon, dailyDiscount))
			if next, ok := bg.NextOrderExpected(s, now.In(loc), clv.Day); ok {
				ci.NextOrder = next.UTC()
			}
		}
		insights[i] = ci
	}
	lap(&st.Predict)

	model, _ := json.Marshal(report) // plain structs of numbers and strings
	out := ritorno.ShopInsight{ShopID: shopID, ComputedAt: now, Customers: len(figures), Orders: orderCount(h),
		HorizonDays: opt.HorizonDays, Model: string(model), Fallback: report.Fallback, Notes: report.Notes}
	out.Seconds = (st.Load + st.Group + st.Figures + st.RFM + st.Fit + st.Predict).Seconds()
	if err := store.ReplaceInsights(ctx, shopID, out, insights); err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Store)
	out.Seconds = st.Total().Seconds()
	return out, st, nil
}

// orderCount is how many purchases the histories hold, unknown buyers' included.
func orderCount(h *Histories) int { return len(h.p) + len(h.anon) }
