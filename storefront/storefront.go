// Package storefront serves what shoppers' browsers ask Ritorno for: recommendations and
// the events that measure them, through the Shopify app proxy (/proxy/…, signed by
// Shopify) and the WooCommerce public routes (/storefront/v1/{connection key}/…, CORS for
// the store's own origin). A shop identity counts only after its signature checks out, a
// customer identity only after its signature or token does; responses are allowlist DTOs
// that can carry no customer field, and every public route is rate-limited per client
// address and per shop. Handlers only read what the engines precomputed.
package storefront

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/shopcache"
	"github.com/ritorno/ritorno/web"
)

// Shops finds the shop a storefront request names, and a WooCommerce shop's connection
// secret (its webhook secret), which signs the shopper identity tokens.
type Shops interface {
	ShopByDomain(ctx context.Context, platform ritorno.PlatformName, domain string) (ritorno.Shop, error)
	ShopByConnectionKey(ctx context.Context, key string) (ritorno.Shop, error)
	Credentials(ctx context.Context, shopID int64) (ritorno.ShopCredentials, error)
}

// ShopCache remembers found shops for a short time, so that a burst of widget requests
// costs one lookup (a shopcache.Cache, shared with the applier, which forgets a shop when
// it changes its status). Only hits are kept, so a new shop is seen at once; a shop
// uninstalled on another replica is served for at most the cache's TTL more.
type ShopCache interface {
	ByDomain(ctx context.Context, platform ritorno.PlatformName, domain string,
		load func(context.Context) (ritorno.Shop, error)) (ritorno.Shop, error)
	ByConnectionKey(ctx context.Context, key string,
		load func(context.Context) (ritorno.Shop, error)) (ritorno.Shop, error)
}

// Recommender answers a shop's recommendation requests from precomputed models.
type Recommender interface {
	Recommend(ctx context.Context, shopID int64, req recommend.Request) (recommend.Response, error)
}

// EventStore records shopper interactions for attribution.
type EventStore interface {
	RecordStorefrontEvents(ctx context.Context, shopID int64, events []ritorno.StorefrontEvent) error
}

// Rate is a token bucket: PerSecond tokens refill every second, up to Burst.
type Rate = web.Rate

// Limits are the rate limits of the public routes.
type Limits struct {
	PerAddress Rate // per client address
	PerShop    Rate // per shop, over all its shoppers
	// MaxBuckets bounds each limiter's memory (one bucket per address or shop).
	MaxBuckets int
}

// DefaultLimits are used for a zero Limits: generous for a real shopper (a page makes two
// or three requests), tight for a script.
var DefaultLimits = Limits{
	PerAddress: Rate{PerSecond: 20, Burst: 40},
	PerShop:    Rate{PerSecond: 500, Burst: 1000},
	MaxBuckets: 100_000,
}

// Config is everything a Storefront needs.
type Config struct {
	Shops       Shops
	Recommender Recommender
	Events      EventStore
	// ShopifySecret signs app proxy requests (the app's client secret);
	// ShopifyPreviousSecret is accepted too during a rotation, as webhooks do.
	ShopifySecret         string
	ShopifyPreviousSecret string
	// TrackingKey signs the tracking tokens of recommended items; every replica must share
	// it. Empty: a random key, so tokens die with the process (a warning is logged).
	TrackingKey []byte
	Limits      Limits // zero: DefaultLimits
	// TrustProxy says a reverse proxy we run sits in front: the client address is then the
	// last X-Forwarded-For entry (the one our proxy added), else the connection's address.
	TrustProxy bool
	// ShopCache remembers found shops; nil: a cache of its own, keeping a shop for
	// ShopCacheTTL (default 10 s).
	ShopCache    ShopCache
	ShopCacheTTL time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Storefront serves the storefront routes.
type Storefront struct {
	cfg       Config
	secrets   []string
	trackKey  []byte
	byAddress *web.Limiter
	byShop    *web.Limiter
	// byRelay limits the app proxy per address: those requests come from Shopify's
	// servers, each relaying many shoppers (whose own addresses are not given reliably),
	// so a shopper's limit there would throttle whole shops. It gets a shop's budget.
	byRelay *web.Limiter
}

// New builds a Storefront, filling in defaults.
func New(cfg Config) *Storefront {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.Limits.MaxBuckets <= 0 {
		cfg.Limits.MaxBuckets = DefaultLimits.MaxBuckets
	}
	if cfg.ShopCacheTTL <= 0 {
		cfg.ShopCacheTTL = 10 * time.Second
	}
	if cfg.ShopCache == nil {
		cfg.ShopCache = shopcache.New(cfg.ShopCacheTTL, cfg.Now)
	}
	s := &Storefront{cfg: cfg, trackKey: cfg.TrackingKey,
		byAddress: web.NewLimiter(cfg.Limits.PerAddress, cfg.Limits.MaxBuckets, cfg.Now),
		byShop:    web.NewLimiter(cfg.Limits.PerShop, cfg.Limits.MaxBuckets, cfg.Now),
		byRelay:   web.NewLimiter(cfg.Limits.PerShop, cfg.Limits.MaxBuckets, cfg.Now)}
	for _, secret := range []string{cfg.ShopifySecret, cfg.ShopifyPreviousSecret} {
		if secret != "" {
			s.secrets = append(s.secrets, secret)
		}
	}
	if len(s.trackKey) == 0 {
		s.trackKey = make([]byte, 32)
		_, _ = rand.Read(s.trackKey)
		cfg.Log.Warn("storefront: no tracking key configured; tracking tokens are valid in this process only")
	}
	return s
}

// Register adds the storefront routes: the Shopify app proxy (shopify.app.toml [app_proxy]
// url = "{app}/proxy") and the WooCommerce public routes. Rate limits run first, per
// address before any signature work, per shop once the shop is known.
func (s *Storefront) Register(r gin.IRouter) {
	proxy := r.Group("/proxy", s.limitRelay, s.verifyProxy, s.limitShop)
	proxy.GET("/recommendations", s.recommendations)
	proxy.POST("/events", s.events)

	woo := r.Group("/storefront/v1/:key", s.limitAddress, s.wooShop, s.cors, s.limitShop)
	woo.OPTIONS("/recommendations", s.preflight)
	woo.OPTIONS("/events", s.preflight)
	woo.GET("/recommendations", s.wooIdentity, s.recommendations)
	woo.POST("/events", s.wooIdentity, s.events)
}

// Request context keys: the verified shop and customer.
const (
	ctxShop     = "storefront.shop"
	ctxCustomer = "storefront.customer"
)

// shopOf is the request's shop, set once its signature or key checked out.
func shopOf(c *gin.Context) ritorno.Shop {
	shop, _ := c.Get(ctxShop)
	s, _ := shop.(ritorno.Shop)
	return s
}

// customerOf is the verified customer's platform id (ritorno.BuyerKey), 0 when anonymous.
func customerOf(c *gin.Context) int64 { return c.GetInt64(ctxCustomer) }
