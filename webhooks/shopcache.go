package webhooks

import (
	"context"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// shopCache remembers shops found by domain for a short time, so that a burst of
// deliveries costs one lookup instead of one per delivery. Only hits are cached: a shop
// that appears is seen at once, and parked deliveries are released by the store when it
// is created. A removed shop may be seen for ttl more; its deliveries then fail in
// processing (shop not found) and stay visible in the inbox.
type shopCache struct {
	ttl  time.Duration
	now  func() time.Time
	mu   sync.Mutex
	byID map[string]cachedShop
}

type cachedShop struct {
	shop    ritorno.Shop
	expires time.Time
}

func newShopCache(ttl time.Duration, now func() time.Time) *shopCache {
	return &shopCache{ttl: ttl, now: now, byID: map[string]cachedShop{}}
}

func (c *shopCache) get(ctx context.Context, key string, load func(context.Context) (ritorno.Shop, error)) (ritorno.Shop, error) {
	now := c.now()
	c.mu.Lock()
	hit, ok := c.byID[key]
	c.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.shop, nil
	}
	shop, err := load(ctx)
	if err != nil {
		return ritorno.Shop{}, err
	}
	c.mu.Lock()
	if len(c.byID) > 10000 { // bounded: a flood of unknown keys cannot grow it (only hits are kept)
		clear(c.byID)
	}
	c.byID[key] = cachedShop{shop: shop, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return shop, nil
}
