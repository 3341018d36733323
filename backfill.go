package ritorno

import "time"

// BackfillStatus is where the import of a shop's past stands.
type BackfillStatus string

// Backfill statuses. A running backfill that a crash interrupted is still "running" and is
// resumed from its cursor at the next start; "failed" is final until someone starts it again.
const (
	BackfillPending BackfillStatus = "pending"
	BackfillRunning BackfillStatus = "running"
	BackfillDone    BackfillStatus = "done"
	BackfillFailed  BackfillStatus = "failed"
)

// Backfill steps, in the order they run: products first so that orders can be joined to a
// known catalog, customers before orders so that order buyers find their customer.
// WooCommerce adds a first step that registers the store's webhooks.
const (
	StepWebhooks  = "webhooks"
	StepProducts  = "products"
	StepCustomers = "customers"
	StepOrders    = "orders"
)

// Backfill is the import of one shop's existing products, customers and orders from its
// platform, which webhooks cannot bring: they only carry what changes after install.
type Backfill struct {
	ShopID int64
	Status BackfillStatus
	// Step is the step running now (or the last one, once done). Cursor is the platform
	// source's resume point inside it: opaque here, stored after every page.
	Step   string
	Cursor string
	// Done counts the platform objects stored so far over all steps (an order with its
	// line items counts as the platform counts it); StepDone and StepTotal the current
	// step's, StepTotal 0 while unknown.
	Done      int64
	StepDone  int64
	StepTotal int64
	// What the stored objects did: new, replaced an older stored version, or older than
	// what was stored (a webhook got there first).
	Inserted  int64
	Updated   int64
	Unchanged int64
	// Skipped counts platform objects that could not be read into a history (malformed or
	// breaking a rule, e.g. an order without a currency); the rest of the import goes on.
	Skipped int64
	// OrdersFrom and OrdersTo bound the placed-at times of the orders imported. Limit says
	// in words what the platform withheld (e.g. orders older than 60 days without the
	// read_all_orders scope); empty when nothing was.
	OrdersFrom    time.Time
	OrdersTo      time.Time
	Limit         string
	Attempts      int       // failed attempts since the last start
	Error         string    // the last failure, for the merchant and operator
	NextAttemptAt time.Time // when a pending or retried backfill runs (again)
	StartedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    time.Time // zero until done or failed
}

// BackfillPage is one batch of objects a platform source hands over, in the order it read
// them, with the cursor from which the source resumes once the page is stored. A page may
// carry no objects at all, only a new cursor (e.g. the id of a started platform export).
type BackfillPage struct {
	Products  []Product
	Customers []Customer
	Orders    []Order
	Cursor    string
	// Objects is how many platform objects the page covers (children included), and
	// StepTotal the step's total when the source knows it (0 otherwise).
	Objects   int64
	StepTotal int64
	// Skipped counts objects of the page that could not be decoded (see Backfill.Skipped).
	Skipped int64
	// Limit, when set, replaces the backfill's Limit (see Backfill.Limit).
	Limit string
}
