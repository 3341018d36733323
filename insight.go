package ritorno

import "time"

// CustomerInsight is what Ritorno last computed about one buyer of a shop: figures from
// the purchase history, RFM scores and segment, and the lifetime-value prediction. The
// whole shop is recomputed on a schedule (see ShopInsight), so the scores are relative to
// the shop's other buyers at that moment; between two full computations a buyer whose
// orders changed is recomputed alone and scored against the last full computation's cut
// points (analytics.UpdateBuyers).
type CustomerInsight struct {
	ShopID int64
	// Key identifies the buyer in the shop: the customer's platform id, or a negative key
	// derived from a guest's e-mail hash (BuyerKey).
	Key                int64
	CustomerPlatformID int64 // 0 for a guest
	Orders             int
	NetSpent           Money
	AOV                Money
	FirstOrder         time.Time
	LastOrder          time.Time
	MeanDaysBetween    float64 // 0 with a single order
	RecencyDays        int64
	R, F, M            int    // 1–5, 5 best
	Segment            string // analytics' R×F segment, e.g. "champions"
	// Predicted is false when the shop's models could not be fitted (then the fields
	// below are zero and the shop's simple figures apply).
	Predicted         bool
	PAlive            float64
	ExpectedPurchases float64 // over the shop's horizon
	ExpectedValue     Money   // over the shop's horizon, discounted if configured
	NextOrder         time.Time
	ComputedAt        time.Time

	// The customer's own name and e-mail, filled in where the merchant's admin lists
	// buyers (never stored with the insight); empty for guests and redacted customers.
	FirstName, LastName, Email string
}

// ShopInsight describes a shop's last full computation of insights, and the incremental
// updates of single buyers since.
type ShopInsight struct {
	ShopID     int64
	ComputedAt time.Time // the last full computation
	Seconds    float64   // how long it took, all stages
	Customers  int
	Orders     int
	// HorizonDays is the horizon of the predictions; Model is the fitted models' report
	// (JSON, as `ritorno clv fit` prints it); Fallback is true when they could not be
	// fitted, and Notes say why.
	HorizonDays int
	Model       string
	Fallback    bool
	Notes       []string

	// Frame is what scoring and predicting one buyer needs of the full computation
	// (analytics' ScoringFrame, JSON); "" from before incremental updates existed.
	Frame string
	// Window is how far order changes have been applied: see OrderWindow.
	Window OrderWindow
	// IncrementalAt is the last incremental update since the full computation (zero:
	// none), IncrementalBuyers the buyers it rewrote or removed, and BuyersSinceFull
	// the sum over every incremental update since the full computation.
	IncrementalAt     time.Time
	IncrementalBuyers int
	BuyersSinceFull   int
}

// OrderWindow records what the last computation saw of a shop's recently changed orders,
// so that the next one can tell whether anything changed since. Every order write stamps
// orders.updated_at from the application's clock a little before its transaction
// commits, so a change can become visible after a reader that started later than its
// stamp: a reader therefore re-reads from From, some time before it started, and notes
// how many orders it saw stamped at or after From and the latest stamp. A different
// count, or a later stamp, means a change it has not applied.
type OrderWindow struct {
	From   time.Time
	Orders int
	Latest time.Time // zero when Orders is 0
}

// InsightUpdate is an incremental update of some buyers' insights (analytics.UpdateBuyers):
// the rows to write and the buyers that no longer have any order that counts.
type InsightUpdate struct {
	// Basis is the ComputedAt of the full computation the update scored against; the
	// update is refused (ECONFLICT) when the shop has been fully recomputed since.
	Basis  time.Time
	At     time.Time
	Window OrderWindow
	Upsert []CustomerInsight
	Delete []int64 // buyer keys
}

// BuyerKey is the analytics key of an order's buyer: the customer's platform id, a
// negative number derived from a guest's e-mail hash (never equal to a platform id,
// which is positive), or 0 for an unknown buyer.
func BuyerKey(b Buyer) int64 {
	switch {
	case b.Kind == BuyerCustomer:
		return b.CustomerPlatformID
	case b.Kind == BuyerGuest && b.EmailHash != "":
		var h uint64 = 14695981039346656037 // FNV-1a
		for i := 0; i < len(b.EmailHash); i++ {
			h ^= uint64(b.EmailHash[i])
			h *= 1099511628211
		}
		return -int64(h>>1) - 1
	}
	return 0
}
