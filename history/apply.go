// Package history turns webhook deliveries into customer histories: it decodes each
// delivery with its platform's adapter and applies the event to the store, idempotently
// (upserts keyed by shop and platform id, guarded by the platform's update time).
package history

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// Store is what applying events needs of storage.
type Store interface {
	Shop(ctx context.Context, shopID int64) (ritorno.Shop, error)
	UpsertOrder(ctx context.Context, shopID int64, o ritorno.Order) (bool, error)
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

	// shops caches shop rows for shopTTL: a burst of one shop's deliveries loads it once.
	// Entries are dropped when this Applier changes the shop's status; another replica's
	// change is seen within shopTTL (uninstalled shops send no further webhooks, and
	// shop/redact comes 48 hours after the uninstall).
	mu    sync.Mutex
	shops map[int64]cachedShop
}

type cachedShop struct {
	shop    ritorno.Shop
	expires time.Time
}

const shopTTL = 5 * time.Second

// NewApplier returns an Applier for the given platform adapters.
func NewApplier(store Store, platforms ...ritorno.Platform) *Applier {
	a := &Applier{store: store, platforms: map[ritorno.PlatformName]ritorno.Platform{}, now: time.Now, shops: map[int64]cachedShop{}}
	for _, p := range platforms {
		a.platforms[p.Name()] = p
	}
	return a
}

// Process decodes and applies one delivery.
func (a *Applier) Process(ctx context.Context, d ritorno.Delivery) error {
	platform, ok := a.platforms[d.Platform]
	if !ok {
		return ritorno.Errorf(ritorno.EINVALID, "no adapter for platform %q", d.Platform)
	}
	if d.ShopID == 0 {
		return ritorno.Errorf(ritorno.EINVALID, "delivery has no shop")
	}
	shop, err := a.shop(ctx, d.ShopID)
	if err != nil {
		return fmt.Errorf("load shop: %w", err)
	}
	if shop.Status == ritorno.ShopRedacted {
		return nil // everything of the shop was erased; a late delivery must not bring data back
	}
	ev, err := platform.DecodeEvent(d.Topic, d.Body, shop)
	if err != nil {
		return err
	}
	return a.Apply(ctx, shop, ev)
}

func (a *Applier) shop(ctx context.Context, id int64) (ritorno.Shop, error) {
	now := a.now()
	a.mu.Lock()
	hit, ok := a.shops[id]
	a.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.shop, nil
	}
	shop, err := a.store.Shop(ctx, id)
	if err != nil {
		return ritorno.Shop{}, err
	}
	a.mu.Lock()
	if len(a.shops) > 10000 {
		clear(a.shops)
	}
	a.shops[id] = cachedShop{shop: shop, expires: now.Add(shopTTL)}
	a.mu.Unlock()
	return shop, nil
}

func (a *Applier) forgetShop(id int64) {
	a.mu.Lock()
	delete(a.shops, id)
	a.mu.Unlock()
}

// Apply applies one decoded event to the shop's histories.
func (a *Applier) Apply(ctx context.Context, shop ritorno.Shop, ev ritorno.Event) error {
	at := ev.At
	if at.IsZero() {
		at = a.now()
	}
	switch ev.Kind {
	case ritorno.EventOrderUpserted:
		_, err := a.store.UpsertOrder(ctx, shop.ID, ev.Order)
		return err
	case ritorno.EventCustomerUpserted:
		_, err := a.store.UpsertCustomer(ctx, shop.ID, ev.Customer)
		return err
	case ritorno.EventProductUpserted:
		_, err := a.store.UpsertProduct(ctx, shop.ID, ev.Product)
		return err
	case ritorno.EventRefundAdded:
		// An unknown order is an ordinary error: it is retried, since the order's own
		// delivery may simply not have been applied yet.
		return a.store.AddRefund(ctx, shop.ID, ev.OrderID, ev.Refund)
	case ritorno.EventOrderDeleted:
		return a.store.MarkOrderDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventProductDeleted:
		return a.store.MarkProductDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventCustomerDeleted:
		return a.store.MarkCustomerDeleted(ctx, shop.ID, ev.DeletedID, at)
	case ritorno.EventShopUninstalled:
		defer a.forgetShop(shop.ID)
		return a.store.UninstallShop(ctx, shop.ID, at)
	case ritorno.EventCustomerRedact:
		return a.store.RedactCustomer(ctx, shop.ID, ev.Redact.CustomerPlatformID, ev.Redact.Email, ev.Redact.OrderIDs)
	case ritorno.EventShopRedact:
		defer a.forgetShop(shop.ID)
		return a.store.RedactShop(ctx, shop.ID)
	case ritorno.EventDataRequest:
		return a.store.RecordDataRequest(ctx, shop.ID, ev.DataRequest)
	case ritorno.EventNone:
		return nil
	}
	return ritorno.Errorf(ritorno.EINVALID, "event kind %q cannot be applied", ev.Kind)
}
