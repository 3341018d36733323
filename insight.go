package ritorno

import "time"

// CustomerInsight is what Ritorno last computed about one buyer of a shop: figures from
// the purchase history, RFM scores and segment, and the lifetime-value prediction. It is
// recomputed for the whole shop at once (see ShopInsight), so the scores are relative to
// the shop's other buyers at that moment.
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
}

// ShopInsight describes a shop's last full computation of insights.
type ShopInsight struct {
	ShopID     int64
	ComputedAt time.Time
	Seconds    float64 // how long it took, all stages
	Customers  int
	Orders     int
	// HorizonDays is the horizon of the predictions; Model is the fitted models' report
	// (JSON, as `ritorno clv fit` prints it); Fallback is true when they could not be
	// fitted, and Notes say why.
	HorizonDays int
	Model       string
	Fallback    bool
	Notes       []string
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
