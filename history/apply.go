// Package history turns webhook deliveries into customer histories: it decodes each
// delivery with its platform's adapter and applies the event to the store, idempotently
// (upserts keyed by shop and platform id, guarded by the platform's update time).
package history

import (
	"context"
	"fmt"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopcache"
)

// Store is what applying events needs of storage.
type Store interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	UpsertOrder(ctx context.Context, shopID int64, o ritorno.Order) (bool, error)
	UpsertOrders(ctx context.Context, shopID int64, orders []ritorno.Order) ([]ritorno.Write, error)
	UpsertCustomer(ctx context.Context, shopID int64, c ritorno.Customer) (bool, error)
	UpsertProduct(ctx context.Context, shopID int64, p ritorno.Product) (bool, error)
	AddRefund(ctx context.Context, shopID, orderPlatformID int64, r ritorno.Refund) error
	MarkOrderDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error
	MarkProductDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error
	MarkCustomerDeleted(ctx context.Context, shopID, platformID int64, at time.Time) error
	UninstallShop(ctx context.Context, shopID int64, at time.Time) error
	RedactCustomer(ctx context.Context, shopID, customerPlatformID int64, email string, orderIDs []int64) error
	RedactShop(ctx context.Context, shopID int64) error
	RecordDataRequest(ctx context.Context, shopID int64, r ritorno.DataRequest) error
}

// Applier processes inbox deliveries (it implements jobs.Processor).
type Applier struct {
	store     Store
	platforms map[ritorno.PlatformName]ritorno.Platform
	now       func() time.Time

	// shops caches shop rows: a burst of one shop's deliveries loads it once. Entries are
	// dropped when this Applier changes the shop's status (the cache is shared with the
	// webhook receiver and the storefront, which then see the change at once); another
	// replica's change is seen within the TTL (uninstalled shops send no further webhooks,
	// and shop/redact comes 48 hours after the uninstall).
	shops ShopCache

	exportFinished func(shopID int64) // see WhenExportFinishes
}

// ShopCache remembers found shops for a short time (a shopcache.Cache).
type ShopCache interface {
	ByID(ctx context.Context, id int64,
		load func(context.Context) (ritorno.Shop, error)) (ritorno.Shop, error)
	Forget(id int64)
}

// shopTTL is the TTL of the Applier's own cache, when none is shared (UseShopCache).
const shopTTL = 5 * time.Second

// NewApplier returns an Applier for the given platform adapters.
func NewApplier(store Store, platforms ...ritorno.Platform) *Applier {
	a := &Applier{store: store, platforms: map[ritorno.PlatformName]ritorno.Platform{}, now: time.Now,
		shops: shopcache.New(shopTTL, nil)}
	for _, p := range platforms {
		a.platforms[p.Name()] = p
	}
	return a
}

// Transactional is a Store that can bind itself to one transaction. Each write method
// called on the bound Store must roll back only its own writes when it fails (a savepoint),
// so that one bad delivery does not undo a batch.
type Transactional interface {
	Store
	InTransaction(ctx context.Context, fn func(tx Store) error) error
}

// Process decodes and applies one delivery.
func (a *Applier) Process(ctx context.Context, d ritorno.Delivery) error {
	changed, err := a.process(ctx, a.store, d)
	if changed != 0 {
		a.forgetShop(changed)
	}
	return err
}

// ProcessBatch applies deliveries in order, in one transaction when the store offers it,
// so that a batch pays for one commit instead of one per delivery. It returns one error
// per delivery. If the commit itself fails, nothing of the batch stuck, and the batch is
// applied again one delivery at a time.
func (a *Applier) ProcessBatch(ctx context.Context, ds []ritorno.Delivery) []error {
	errs := make([]error, len(ds))
	ts, ok := a.store.(Transactional)
	if !ok || len(ds) < 2 {
		for i, d := range ds {
			errs[i] = a.Process(ctx, d)
		}
		return errs
	}
	var changed []int64
	err := ts.InTransaction(ctx, func(tx Store) error {
		// Consecutive order upserts of one shop are written together; any other event
		// ends the run first, so that events apply in the order received.
		var run []int
		var runShop int64
		var runOrders []ritorno.Order
		flush := func() {
			if len(run) == 0 {
				return
			}
			if _, err := tx.UpsertOrders(ctx, runShop, runOrders); err != nil {
				// One order spoiled the run (its statement rolled back): apply each alone
				// so that only the culprit fails.
				for k, i := range run {
					_, errs[i] = tx.UpsertOrder(ctx, runShop, runOrders[k])
				}
			}
			run, runOrders = run[:0], runOrders[:0]
		}
		for i, d := range ds {
			shop, ev, err := a.decode(ctx, d)
			if err != nil {
				errs[i] = err
				continue
			}
			if ev.Kind == ritorno.EventOrderUpserted {
				if len(run) > 0 && runShop != shop.ID {
					flush()
				}
				run, runShop, runOrders = append(run, i), shop.ID, append(runOrders, ev.Order)
				continue
			}
			flush()
			var shopID int64
			shopID, errs[i] = a.apply(ctx, tx, shop, ev)
			if shopID != 0 {
				changed = append(changed, shopID)
			}
		}
		flush()
		return nil
	})
	// Forget after the commit: a worker that reloaded the shop during the transaction
	// would have cached its old status.
	for _, id := range changed {
		a.forgetShop(id)
	}
	if err != nil {
		for i, d := range ds {
			errs[i] = a.Process(ctx, d)
		}
	}
	return errs
}

// process decodes d and applies it through s. It returns the id of the shop whose own
// status it changed (uninstall, redaction), whose cached row must be dropped.
func (a *Applier) process(ctx context.Context, s Store, d ritorno.Delivery) (changedShop int64, err error) {
	shop, ev, err := a.decode(ctx, d)
	if err != nil {
		return 0, err
	}
	return a.apply(ctx, s, shop, ev)
}

// decode turns a delivery into its shop and event. A redacted shop's deliveries decode to
// no event: everything of the shop was erased, and a late delivery must not bring it back.
func (a *Applier) decode(ctx context.Context, d ritorno.Delivery) (ritorno.Shop, ritorno.Event, error) {
	platform, ok := a.platforms[d.Platform]
	if !ok {
		return ritorno.Shop{}, ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "no adapter for platform %q", d.Platform)
	}
	if d.ShopID == 0 {
		return ritorno.Shop{}, ritorno.Event{}, ritorno.Errorf(ritorno.EINVALID, "delivery has no shop")
	}
	shop, err := a.shop(ctx, d.ShopID)
	if err != nil {
		return ritorno.Shop{}, ritorno.Event{}, fmt.Errorf("load shop: %w", err)
	}
	if shop.Status == ritorno.ShopRedacted {
		return shop, ritorno.Event{Kind: ritorno.EventNone}, nil
	}
	ev, err := platform.DecodeEvent(d.Topic, d.Body, shop)
	// Mended here too, whatever the adapter did: text PostgreSQL refuses would fail the
	// delivery on every retry, and an impossible time would stop the shop's analytics.
	// Plausibility is judged against the wall clock, not a.now (a test's fixed clock).
	ev.Sanitize(time.Now())
	return shop, ev, err
}

func (a *Applier) shop(ctx context.Context, id int64) (ritorno.Shop, error) {
	return a.shops.ByID(ctx, id, func(ctx context.Context) (ritorno.Shop, error) { return a.store.Shop(ctx, id) })
}

func (a *Applier) forgetShop(id int64) { a.shops.Forget(id) }

// UseShopCache replaces the Applier's own shop cache by one shared with the other readers
// of shops, so that they forget a shop when the Applier changes its status. Call it before
// processing starts.
func (a *Applier) UseShopCache(c ShopCache) { a.shops = c }

// WhenExportFinishes registers fn to be called with the shop's id when a delivery says a
// platform export of the shop finished (a backfill waits for it). Call it before
// processing starts.
func (a *Applier) WhenExportFinishes(fn func(shopID int64)) { a.exportFinished = fn }

// Apply applies one decoded event to the shop's histories.
func (a *Applier) Apply(ctx context.Context, shop ritorno.Shop, ev ritorno.Event) error {
	changed, err := a.apply(ctx, a.store, shop, ev)
	if changed != 0 {
		a.forgetShop(changed)
	}
	return err
}

func (a *Applier) apply(ctx context.Context, s Store, shop ritorno.Shop, ev ritorno.Event) (changedShop int64, err error) {
	at := ev.At
	if at.IsZero() {
		at = a.now()
	}
	switch ev.Kind {
	case ritorno.EventOrderUpserted:
		_, err = s.UpsertOrder(ctx, shop.ID, ev.Order)
	case ritorno.EventCustomerUpserted:
		_, err = s.UpsertCustomer(ctx, shop.ID, ev.Customer)
	case ritorno.EventProductUpserted:
		_, err = s.UpsertProduct(ctx, shop.ID, ev.Product)
	case ritorno.EventRefundAdded:
		// An unknown order is an ordinary error: it is retried, since the order's own
		// delivery may simply not have been applied yet.
		err = s.AddRefund(ctx, shop.ID, ev.OrderID, ev.Refund)
	case ritorno.EventOrderDeleted:
		err = s.MarkOrderDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventProductDeleted:
		err = s.MarkProductDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventCustomerDeleted:
		err = s.MarkCustomerDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventShopUninstalled:
		return shop.ID, s.UninstallShop(ctx, shop.ID, at)
	case ritorno.EventCustomerRedact:
		err = s.RedactCustomer(ctx, shop.ID, ev.Redact.CustomerPlatformID, ev.Redact.Email, ev.Redact.OrderIDs)
	case ritorno.EventShopRedact:
		return shop.ID, s.RedactShop(ctx, shop.ID)
	case ritorno.EventDataRequest:
		err = s.RecordDataRequest(ctx, shop.ID, ev.DataRequest)
	case ritorno.EventExportFinished:
		if wake := a.exportFinished; wake != nil {
			wake(shop.ID)
		}
	case ritorno.EventNone:
	default:
		err = ritorno.Errorf(ritorno.EINVALID, "event kind %q cannot be applied", ev.Kind)
	}
	return 0, err
}
