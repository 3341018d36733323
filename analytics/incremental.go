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

// Incremental updates: between two full computations (Compute), a buyer whose orders
// changed is recomputed alone. Their figures are exact; their scores are against the cut
// points of the last full computation (a ScoringFrame), and their prediction uses the
// models fitted then. The next full computation re-ranks everyone.

// ChangeOverlap is how far before its own start a reader of changed orders looks back.
// Order writes stamp orders.updated_at from the application's clock before their
// transaction commits, so a change can become visible only after a reader that started
// later than its stamp; re-reading the last ChangeOverlap catches every write whose
// transaction is shorter than that. A buyer read twice is only updated twice.
const ChangeOverlap = 30 * time.Second

// DefaultFullShare is the share of a shop's buyers which, once changed since the last full
// computation, makes a full computation due: the quintiles drift as buyers move.
const DefaultFullShare = 0.2

// frameVersion is the ScoringFrame layout; a stored frame of another version is ignored
// (the shop is then fully recomputed).
const frameVersion = 1

// ScoringFrame is what scoring and predicting one buyer needs of a full computation.
//
// ScoreRFM gives a value the score 1 + ⌊5·b/n⌋, b being the number of the n buyers with a
// strictly worse value, so a score of s or more needs b ≥ ⌈(s−1)·n/5⌉. As b only grows
// with the value, "score ≥ s" is "value ≥ the least value scoring s" among the buyers
// scored: OrdersFrom and SpentFrom hold those least values for s = 2, 3, … (only the
// scores some buyer reached). Recency is in whole days before the computation, fewer
// being better, so "R ≥ s" is "last order at or after a cut-off time": RecencyFrom holds
// those times. A buyer's recency grows with time like everyone's, so the cut-off times
// stay right as time passes, which cut-off days would not.
type ScoringFrame struct {
	Version     int         `json:"version"`
	At          time.Time   `json:"at"`     // the full computation's now
	Buyers      int         `json:"buyers"` // n
	RecencyFrom []time.Time `json:"recency_from"`
	OrdersFrom  []int64     `json:"orders_from"`
	SpentFrom   []int64     `json:"spent_from"` // net spent, minor units

	// What predicting needs: the models fitted then (nil when they could not be: the
	// shop's buyers get no prediction), the horizon and discount, the models' time unit
	// and the location whose calendar days they count.
	BGNBD        *clv.BGNBD      `json:"bgnbd,omitempty"`
	GammaGamma   *clv.GammaGamma `json:"gamma_gamma,omitempty"`
	HorizonDays  int             `json:"horizon_days"`
	DiscountRate float64         `json:"discount_rate"`
	TimeUnit     clv.TimeUnit    `json:"time_unit_days"`
	Location     string          `json:"location"`
}

// NewScoringFrame derives the frame's cut points from a full computation: scores must be
// ScoreRFM(figures, now). It takes one pass, no sort.
func NewScoringFrame(figures []CustomerFigures, scores []RFM, now time.Time) ScoringFrame {
	f := ScoringFrame{Version: frameVersion, At: now.UTC(), Buyers: len(scores)}
	var maxDays [6]int64 // by score: the most days since the last order among buyers scoring at least it
	var minOrders, minSpent [6]int64
	var reachedR, reachedF, reachedM [6]bool
	for i, r := range scores {
		spent := figures[i].Spent.Amount
		for s := 2; s <= 5; s++ {
			if r.R >= s && (!reachedR[s] || r.RecencyDays > maxDays[s]) {
				maxDays[s], reachedR[s] = r.RecencyDays, true
			}
			if r.F >= s && (!reachedF[s] || int64(r.Frequency) < minOrders[s]) {
				minOrders[s], reachedF[s] = int64(r.Frequency), true
			}
			if r.M >= s && (!reachedM[s] || spent < minSpent[s]) {
				minSpent[s], reachedM[s] = spent, true
			}
		}
	}
	end := nanos(now)
	const day = int64(24 * time.Hour)
	for s := 2; s <= 5; s++ {
		if reachedR[s] {
			// ⌊(end − last)/day⌋ ≤ D ⇔ last ≥ end − (D+1)·day + 1, saturated at the
			// earliest time (then every last order qualifies).
			// In unsigned arithmetic shifted by 2⁶³, so that nothing overflows.
			cut := int64(math.MinInt64)
			span := uint64(end) ^ 1<<63 // end − MinInt64
			if d := uint64(maxDays[s]) + 1; d <= span/uint64(day) {
				cut = int64((span-d*uint64(day))^1<<63) + 1
			}
			f.RecencyFrom = append(f.RecencyFrom, utc(cut))
		}
		if reachedF[s] {
			f.OrdersFrom = append(f.OrdersFrom, minOrders[s])
		}
		if reachedM[s] {
			f.SpentFrom = append(f.SpentFrom, minSpent[s])
		}
	}
	return f
}

// Score scores one buyer's figures against the frame as of now: the recency in days is
// counted to now, the scores come from the cut points. For a buyer of the full
// computation, scored as of its time, this is exactly what ScoreRFM gave.
func (f ScoringFrame) Score(c CustomerFigures, now time.Time) RFM {
	last := nanos(c.Last)
	r := RFM{Customer: c.Customer, RecencyDays: max(nanos(now)-last, 0) / int64(24*time.Hour), Frequency: c.Orders,
		Monetary: c.Spent, R: 1, F: 1, M: 1}
	for _, cut := range f.RecencyFrom {
		if last >= nanos(cut) {
			r.R++
		}
	}
	for _, v := range f.OrdersFrom {
		if int64(c.Orders) >= v {
			r.F++
		}
	}
	for _, v := range f.SpentFrom {
		if c.Spent.Amount >= v {
			r.M++
		}
	}
	r.Segment = SegmentOf(r.R, r.F)
	return r
}

// location is the frame's location, or fallback when it names none that loads.
func (f ScoringFrame) location(fallback *time.Location) *time.Location {
	if loc, err := time.LoadLocation(f.Location); err == nil && f.Location != "" {
		return loc
	}
	return fallback
}

// predictor predicts buyers' lifetime value from fitted models, for Compute and for
// UpdateBuyers alike.
type predictor struct {
	bg       *clv.BGNBD
	gg       *clv.GammaGamma
	horizon  float64 // in the models' time unit
	discount float64 // per time unit
	unit     clv.TimeUnit
	now      time.Time // in the location whose days the summaries count
	currency string
}

func newPredictor(bg *clv.BGNBD, gg *clv.GammaGamma, horizonDays int, discountRate float64, unit clv.TimeUnit, now time.Time, currency string) predictor {
	if unit <= 0 {
		unit = clv.Day
	}
	p := predictor{bg: bg, gg: gg, horizon: float64(horizonDays) / float64(unit), unit: unit, now: now, currency: currency}
	if discountRate > 0 {
		p.discount = math.Pow(1+discountRate, float64(unit)/365.25) - 1
	}
	return p
}

// ok reports whether both models were fitted.
func (p predictor) ok() bool { return p.bg != nil && p.gg != nil }

// predict fills ci's prediction from the buyer's summary.
func (p predictor) predict(ci *ritorno.CustomerInsight, s clv.Summary) {
	bg, gg := *p.bg, *p.gg
	ci.Predicted = true
	ci.PAlive = bg.PAlive(s)
	ci.ExpectedPurchases = bg.ExpectedPurchases(p.horizon, s)
	ci.ExpectedValue = ritorno.Money{Amount: int64(math.Round(clv.CLV(bg, gg, s, p.horizon, p.discount))), Currency: p.currency}
	if next, ok := bg.NextOrderExpected(s, p.now, p.unit); ok {
		ci.NextOrder = next.UTC()
	}
}

// newInsight is a buyer's insight without prediction, from their figures and scores.
func newInsight(shopID int64, f CustomerFigures, r RFM, now time.Time) ritorno.CustomerInsight {
	ci := ritorno.CustomerInsight{ShopID: shopID, Key: f.Customer, Orders: f.Orders, NetSpent: f.Spent, AOV: f.AOV,
		FirstOrder: f.First, LastOrder: f.Last, RecencyDays: r.RecencyDays, R: r.R, F: r.F, M: r.M,
		Segment: string(r.Segment), ComputedAt: now}
	if f.Customer > 0 {
		ci.CustomerPlatformID = f.Customer
	}
	if f.MeanDaysBetweenOrders != nil {
		ci.MeanDaysBetween = *f.MeanDaysBetweenOrders
	}
	return ci
}

// summariesOf reduces buyers' purchases to the models' summaries as of now (in the
// location whose calendar days count), indexed by buyer key.
func summariesOf(ps []Purchase, now time.Time, unit clv.TimeUnit) (map[int64]clv.Summary, []clv.Summary) {
	cps := make([]clv.Purchase, 0, len(ps))
	for _, p := range ps {
		if p.Customer != 0 {
			cps = append(cps, clv.Purchase{Customer: strconv.FormatInt(p.Customer, 10), At: p.At.In(now.Location()), Amount: p.Net})
		}
	}
	summaries := clv.Summarize(cps, now, unit)
	byKey := make(map[int64]clv.Summary, len(summaries))
	for _, s := range summaries {
		key, _ := strconv.ParseInt(s.Customer, 10, 64)
		byKey[key] = s
	}
	return byKey, summaries
}

// IncrementalStore is what UpdateBuyers needs of storage.
type IncrementalStore interface {
	InsightStore
	ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error)
	ChangedBuyers(ctx context.Context, shopID int64, since, windowFrom time.Time) ([]ritorno.Buyer, ritorno.OrderWindow, error)
	EachCountedOrderOf(ctx context.Context, shopID int64, buyers []ritorno.Buyer, fn func(buyerKey, orderID int64, placedAt time.Time, net int64, currency string) error) error
	UpdateInsights(ctx context.Context, shopID int64, u ritorno.InsightUpdate) error
}

// Update is what UpdateBuyers did.
type Update struct {
	// Full is true when it ran a full computation instead (Stages then has its stages).
	Full    bool
	Stages  Stages
	Buyers  int // buyers whose rows were written (all of the shop's on a full computation)
	Removed int // buyers whose rows went: no order of theirs counts any more
	Insight ritorno.ShopInsight
	Elapsed time.Duration
}

// UpdateBuyers applies the changes to a shop's orders since its last computation, buyer by
// buyer: every buyer with an order stamped since the shop's window (ritorno.OrderWindow)
// gets their figures recomputed from all their orders that count, is scored against the
// last full computation's ScoringFrame and predicted with its models (as Compute would
// with the same models), and their row is written; a buyer with no order that counts any
// more loses their row. The shop's insight records the update.
//
// It runs Compute instead when the shop was never fully computed (or not since
// incremental updates exist), and when more buyers changed than opt.FullShare of the
// shop's: one full pass is then cheaper and re-ranks everyone.
func UpdateBuyers(ctx context.Context, store IncrementalStore, shopID int64, opt ComputeOptions) (Update, error) {
	opt = opt.withDefaults()
	started := time.Now()
	full := func() (Update, error) {
		ins, st, err := Compute(ctx, store, shopID, opt)
		return Update{Full: true, Stages: st, Buyers: ins.Customers, Insight: ins, Elapsed: time.Since(started)}, err
	}
	ins, err := store.ShopInsight(ctx, shopID)
	if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
		return full()
	}
	if err != nil {
		return Update{}, err
	}
	var frame ScoringFrame
	if ins.Frame == "" || json.Unmarshal([]byte(ins.Frame), &frame) != nil || frame.Version != frameVersion {
		return full()
	}
	shop, err := store.Shop(ctx, shopID)
	if err != nil {
		return Update{}, err
	}
	since := ins.Window.From
	if since.IsZero() {
		since = ins.ComputedAt.Add(-ChangeOverlap)
	}
	buyers, window, err := store.ChangedBuyers(ctx, shopID, since, opt.WallClock().Add(-ChangeOverlap))
	if err != nil {
		return Update{}, err
	}
	if float64(len(buyers)) > opt.FullShare*float64(max(ins.Customers, 1)) {
		return full()
	}

	now := opt.Now().UTC()
	var ps []Purchase
	err = store.EachCountedOrderOf(ctx, shopID, buyers, func(key, order int64, at time.Time, net int64, currency string) error {
		// As in Compute: an order in another currency is not the shop's money (the full
		// computation's notes count them), and one "in the future" is not history yet.
		if currency == shop.Currency && !at.After(now) && placeable(at) {
			ps = append(ps, Purchase{Customer: key, Order: order, At: at, Net: net})
		}
		return nil
	})
	if err != nil {
		return Update{}, err
	}
	h, err := NewHistories(ps, shop.Currency)
	if err != nil {
		return Update{}, err
	}
	figures := h.Customers(now)
	loc := frame.location(shop.Location())
	pred := newPredictor(frame.BGNBD, frame.GammaGamma, frame.HorizonDays, frame.DiscountRate, frame.TimeUnit, now.In(loc), shop.Currency)
	var byKey map[int64]clv.Summary
	if pred.ok() {
		byKey, _ = summariesOf(ps, pred.now, pred.unit)
	}

	u := ritorno.InsightUpdate{Basis: ins.ComputedAt, At: now, Window: window, Upsert: make([]ritorno.CustomerInsight, len(figures))}
	kept := make(map[int64]bool, len(figures))
	for i, f := range figures {
		ci := newInsight(shopID, f, frame.Score(f, now), now)
		if s, ok := byKey[f.Customer]; ok {
			pred.predict(&ci, s)
		}
		u.Upsert[i] = ci
		kept[f.Customer] = true
	}
	for _, b := range buyers {
		if key := ritorno.BuyerKey(b); !kept[key] {
			u.Delete = append(u.Delete, key)
			kept[key] = true // a buyer named twice is removed once
		}
	}
	if err := store.UpdateInsights(ctx, shopID, u); err != nil {
		return Update{}, err
	}
	ins.Window, ins.IncrementalAt, ins.IncrementalBuyers = window, now, len(u.Upsert)+len(u.Delete)
	ins.BuyersSinceFull += ins.IncrementalBuyers
	return Update{Buyers: len(u.Upsert), Removed: len(u.Delete), Insight: ins, Elapsed: time.Since(started)}, nil
}
