package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/clv"
)

// InsightStore is what computing a shop's insights needs of storage.
type InsightStore interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	EachCountedOrder(ctx context.Context, shopID int64, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error
	// OrderWindow measures the window of orders changed since from (ritorno.OrderWindow).
	OrderWindow(ctx context.Context, shopID int64, from time.Time) (ritorno.OrderWindow, error)
	ReplaceInsights(ctx context.Context, shopID int64, shop ritorno.ShopInsight, customers []ritorno.CustomerInsight) error
}

// ComputeOptions tune Compute and UpdateBuyers; zero values take the defaults.
type ComputeOptions struct {
	HorizonDays  int     // prediction horizon (365)
	DiscountRate float64 // yearly discount rate of predicted value (0: none)
	Now          func() time.Time
	// WallClock is the clock that stamps orders.updated_at (the store's: time.Now), which
	// the window of changed orders is measured on; Now may be a different, test clock.
	WallClock func() time.Time
	// FullShare is the share of the shop's buyers above which changed buyers make a full
	// computation due instead of an incremental update (DefaultFullShare).
	FullShare float64
}

func (o ComputeOptions) withDefaults() ComputeOptions {
	if o.HorizonDays <= 0 {
		o.HorizonDays = 365
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WallClock == nil {
		o.WallClock = time.Now
	}
	if o.FullShare <= 0 {
		o.FullShare = DefaultFullShare
	}
	return o
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
	opt = opt.withDefaults()
	var st Stages
	mark := time.Now()
	lap := func(d *time.Duration) { now := time.Now(); *d = now.Sub(mark); mark = now }

	shop, err := store.Shop(ctx, shopID)
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	// The window is measured before the orders are read: a change it counts but the read
	// misses cannot happen, and one the read sees but it does not count only makes the
	// shop due once more.
	window, err := store.OrderWindow(ctx, shopID, opt.WallClock().Add(-ChangeOverlap))
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	now := opt.Now().UTC()
	var ps []Purchase
	other := ritorno.CurrencyTotals{}
	err = store.EachCountedOrder(ctx, shopID, func(key, order int64, at time.Time, net int64, currency string) error {
		if currency != shop.Currency {
			return other.Add(ritorno.Money{Amount: net, Currency: currency}) // never relabelled: counted apart
		}
		if at.After(now) {
			return nil // placed "in the future" by a wrong clock: not history yet
		}
		if !placeable(at) {
			return nil // no time, or one NewHistories would leave out: so must the models
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
	h.WithOtherCurrencies(other)
	lap(&st.Group)
	figures := h.Customers(now)
	lap(&st.Figures)
	scores := ScoreRFM(figures, now)
	frame := NewScoringFrame(figures, scores, now)
	lap(&st.RFM)

	// The models see each buyer's purchase days up to now, in the shop's time zone.
	loc := shop.Location()
	byKey, summaries := summariesOf(ps, now.In(loc), clv.Day)
	ps = nil
	report, err := clv.Analyze(summaries, nil, clv.FitOptions{})
	if err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Fit)

	pred := newPredictor(report.BGNBD, report.GammaGamma, opt.HorizonDays, opt.DiscountRate, clv.Day, now.In(loc), shop.Currency)
	insights := make([]ritorno.CustomerInsight, len(figures))
	for i, f := range figures {
		ci := newInsight(shopID, f, scores[i], now)
		if s, ok := byKey[f.Customer]; ok && pred.ok() {
			pred.predict(&ci, s)
		}
		insights[i] = ci
	}
	frame.BGNBD, frame.GammaGamma, frame.HorizonDays, frame.DiscountRate = report.BGNBD, report.GammaGamma, opt.HorizonDays, opt.DiscountRate
	frame.TimeUnit, frame.Location = clv.Day, loc.String()
	frameJSON, _ := json.Marshal(frame) // numbers, strings and times
	lap(&st.Predict)

	model, _ := json.Marshal(report) // plain structs of numbers and strings
	out := ritorno.ShopInsight{ShopID: shopID, ComputedAt: now, Customers: len(figures), Orders: orderCount(h),
		HorizonDays: opt.HorizonDays, Model: string(model), Fallback: report.Fallback,
		Notes: append(slices.Clip(report.Notes), OtherCurrencyNotes(h.OtherCurrencies(), shop.Currency)...),
		Frame: string(frameJSON), Window: window}
	out.Seconds = (st.Load + st.Group + st.Figures + st.RFM + st.Fit + st.Predict).Seconds()
	if err := store.ReplaceInsights(ctx, shopID, out, insights); err != nil {
		return ritorno.ShopInsight{}, st, err
	}
	lap(&st.Store)
	out.Seconds = st.Total().Seconds()
	return out, st, nil
}

// OtherCurrencyNotes says, one line per currency, which orders a shop's figures left out
// because they are in another currency than the shop's.
func OtherCurrencyNotes(other []ritorno.CurrencyTotal, shopCurrency string) []string {
	var notes []string
	for _, ct := range other {
		noun := "orders"
		if ct.Orders == 1 {
			noun = "order"
		}
		notes = append(notes, fmt.Sprintf("%d %s in %s (%s net) left out: the shop's currency is %s, and amounts are never converted",
			ct.Orders, noun, ct.Net.Currency, ct.Net, shopCurrency))
	}
	return notes
}

// orderCount is how many purchases the histories hold, unknown buyers' included.
func orderCount(h *Histories) int { return len(h.p) + len(h.anon) }
