// Package shopcache remembers shops found in the database for a short time, so that a
// burst of deliveries or widget requests for one shop costs one lookup. One Cache is
// shared by the webhook receiver, the storefront and the history applier, so that when
// the applier changes a shop's status (uninstall, redaction) and forgets it, the others
// stop serving the old row at once on this replica.
//
// Only hits are kept: a shop that appears is seen at once (and a flood of unknown names
// cannot grow the cache). Another replica's change is seen within the TTL.
package shopcache

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// MaxEntries bounds the cache; past it, it starts afresh. Only real shops get in, so this
// is rare.
const MaxEntries = 10_000

// Load reads a shop from the database: the caller's lookup by id, domain or key. An alias,
// so that consumers can declare the same method with the plain func type.
type Load = func(context.Context) (ritorno.Shop, error)

// Cache is safe for concurrent use.
type Cache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	shop    ritorno.Shop
	expires time.Time
}

// New returns a cache keeping each found shop for ttl; now is the clock (nil: time.Now).
func New(ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, now: now, entries: map[string]entry{}}
}

// ByID returns the shop with this id, calling load on a miss.
func (c *Cache) ByID(ctx context.Context, id int64, load Load) (ritorno.Shop, error) {
	return c.get(ctx, "id:"+strconv.FormatInt(id, 10), load)
}

// ByDomain returns the platform's shop at this domain, calling load on a miss.
func (c *Cache) ByDomain(ctx context.Context, platform ritorno.PlatformName, domain string,
	load Load) (ritorno.Shop, error) {
	return c.get(ctx, "domain:"+string(platform)+":"+domain, load)
}

// ByConnectionKey returns the shop of a WooCommerce connection key, calling load on a miss.
func (c *Cache) ByConnectionKey(ctx context.Context, key string, load Load) (ritorno.Shop, error) {
	return c.get(ctx, "key:"+key, load)
}

// Forget drops the shop under every name it was found by; call it after changing the
// shop's status, once the change is committed.
func (c *Cache) Forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.shop.ID == id {
			delete(c.entries, k)
		}
	}
}

func (c *Cache) get(ctx context.Context, key string, load Load) (ritorno.Shop, error) {
	now := c.now()
	c.mu.Lock()
	hit, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.shop, nil
	}
	shop, err := load(ctx)
	if err != nil {
		return ritorno.Shop{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= MaxEntries {
		clear(c.entries)
	}
	c.entries[key] = entry{shop: shop, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return shop, nil
}
