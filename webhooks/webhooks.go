// Package webhooks receives platform webhooks: it reads the raw body, verifies its
// signature, commits the delivery to the inbox, and answers — nothing more. It parses no
// business field and calls no platform inside the request (ARCHITECTURE rule 9); jobs and
// history do the work afterwards.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopcache"
	"github.com/ritorno/ritorno/web"
)

// Inbox is where deliveries are committed before they are acknowledged. RecordDeliveries
// returns, for each delivery, whether it duplicates a stored one and its own error (nil
// when committed): one delivery that cannot be stored must not fail the others.
type Inbox interface {
	RecordDeliveries(ctx context.Context, ds []ritorno.Delivery) (duplicate []bool, errs []error)
}

// Shops resolves which shop a delivery belongs to, and a WooCommerce shop's secret.
type Shops interface {
	ShopByDomain(ctx context.Context, platform ritorno.PlatformName, domain string) (ritorno.Shop, error)
	ShopByConnectionKey(ctx context.Context, key string) (ritorno.Shop, error)
	Credentials(ctx context.Context, shopID int64) (ritorno.ShopCredentials, error)
}

// ShopCache remembers found shops for a short time, so that a burst of deliveries costs
// one lookup (a shopcache.Cache, shared with the applier, which forgets a shop when it
// changes its status). Only hits are kept: a shop that appears is seen at once, and parked
// deliveries are released by the store when it is created. A removed shop may be seen for
// the cache's TTL more; its deliveries then fail in processing (shop not found) and stay
// visible in the inbox.
type ShopCache interface {
	ByDomain(ctx context.Context, platform ritorno.PlatformName, domain string,
		load func(context.Context) (ritorno.Shop, error)) (ritorno.Shop, error)
}

// ShopifyVerifier checks a Shopify delivery's HMAC header against the app secrets.
type ShopifyVerifier interface {
	VerifyWebhook(body []byte, hmacHeader string) bool
}

// WooCommerceVerifier checks a WooCommerce delivery's signature with the shop's secret and
// recognises the unsigned ping WooCommerce sends when a webhook is created.
type WooCommerceVerifier interface {
	VerifyWebhook(body []byte, signature, secret string) bool
	IsPing(body []byte, h http.Header) bool
}

// Config is everything a Receiver needs.
type Config struct {
	Inbox       Inbox
	Shops       Shops
	ShopCache   ShopCache // nil: a cache of its own (10 s)
	Shopify     ShopifyVerifier
	WooCommerce WooCommerceVerifier
	// Platforms tell which topics are known; a verified delivery of another topic is stored
	// as ignored.
	Platforms []ritorno.Platform
	// Notify wakes the processing workers after a delivery is committed.
	Notify   func()
	Registry prometheus.Registerer
	Now      func() time.Time
}

// Receiver serves the webhook routes.
type Receiver struct {
	cfg       Config
	platforms map[ritorno.PlatformName]ritorno.Platform
	outcomes  *prometheus.CounterVec
	commits   *groupCommit
}

// Delivery results, the "result" label of ritorno_webhook_deliveries_total.
const (
	resultAccepted     = "accepted"
	resultDuplicate    = "duplicate"
	resultIgnored      = "ignored"
	resultParked       = "parked"
	resultInvalidJSON  = "invalid_json"
	resultPing         = "ping"
	resultUnauthorized = "unauthorized"
	resultTooLarge     = "too_large"
	resultBadHeader    = "bad_header"
	resultError        = "error"
)

// NewReceiver builds a Receiver and registers its metrics.
func NewReceiver(cfg Config) *Receiver {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	if cfg.ShopCache == nil {
		cfg.ShopCache = shopcache.New(10*time.Second, cfg.Now)
	}
	r := &Receiver{cfg: cfg, platforms: map[ritorno.PlatformName]ritorno.Platform{}, commits: newGroupCommit(cfg.Inbox),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ritorno_webhook_deliveries_total",
			Help: "Webhook deliveries received, by platform, topic (\"other\" when unknown or unverified) and result.",
		}, []string{"platform", "topic", "result"}),
	}
	for _, p := range cfg.Platforms {
		r.platforms[p.Name()] = p
	}
	cfg.Registry.MustRegister(r.outcomes)
	return r
}

// Close stops the receiver's committers; call it after the HTTP server has drained.
func (r *Receiver) Close() { r.commits.close() }

// Register adds the webhook routes. The compliance route is the same handler: the topic
// header, not the path, says what a delivery is; shopify.app.toml names both.
func (r *Receiver) Register(router gin.IRouter) {
	router.POST("/webhooks/shopify", r.shopify)
	router.POST("/webhooks/shopify/compliance", r.shopify)
	router.POST("/webhooks/woocommerce/:key", r.woocommerce)
}

func (r *Receiver) count(platform ritorno.PlatformName, topic, result string) {
	if p, ok := r.platforms[platform]; !ok || !p.KnownTopic(topic) {
		topic = "other" // bounded label values: topics come from the network
	}
	r.outcomes.WithLabelValues(string(platform), topic, result).Inc()
}

// readBody reads the whole body; a body over the limit (web.BodyLimit) answers 413.
func (r *Receiver) readBody(c *gin.Context, platform ritorno.PlatformName) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.count(platform, "", resultTooLarge)
		} else {
			r.count(platform, "", resultError)
		}
		web.Error(c, err)
		return nil, false
	}
	return body, true
}

// shopifyHeader reads an X-Shopify-* header, falling back to the unprefixed spelling of
// Shopify's newer event deliveries (header names are case-insensitive either way).
func shopifyHeader(h http.Header, name string) string {
	if v := h.Get("X-Shopify-" + name); v != "" {
		return v
	}
	return h.Get("Shopify-" + name)
}

func (r *Receiver) shopify(c *gin.Context) {
	body, ok := r.readBody(c, ritorno.Shopify)
	if !ok {
		return
	}
	h := c.Request.Header
	topic := shopifyHeader(h, "Topic")
	if !r.cfg.Shopify.VerifyWebhook(body, shopifyHeader(h, "Hmac-Sha256")) {
		r.count(ritorno.Shopify, "", resultUnauthorized)
		web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "invalid webhook signature"))
		return
	}
	d := ritorno.Delivery{
		Platform:    ritorno.Shopify,
		ShopDomain:  strings.ToLower(strings.TrimSpace(shopifyHeader(h, "Shop-Domain"))),
		Topic:       topic,
		WebhookID:   shopifyHeader(h, "Webhook-Id"),
		EventID:     shopifyHeader(h, "Event-Id"),
		APIVersion:  shopifyHeader(h, "API-Version"),
		TriggeredAt: parseTime(shopifyHeader(h, "Triggered-At")),
		Body:        body,
	}
	if !r.boundHeaders(c, &d) {
		return
	}
	if d.ShopDomain == "" || ritorno.ValidateShopifyDomain(d.ShopDomain) != nil {
		// Signed by our secret, so genuine, but unusable: keep it, say why, do not retry.
		d.Status, d.LastError = ritorno.DeliveryFailed, "missing or invalid shop domain header"
	}
	r.record(c, d, func(ctx context.Context) (ritorno.Shop, error) {
		return r.cfg.ShopCache.ByDomain(ctx, ritorno.Shopify, d.ShopDomain, func(ctx context.Context) (ritorno.Shop, error) {
			return r.cfg.Shops.ShopByDomain(ctx, ritorno.Shopify, d.ShopDomain)
		})
	})
}

func (r *Receiver) woocommerce(c *gin.Context) {
	body, ok := r.readBody(c, ritorno.WooCommerce)
	if !ok {
		return
	}
	h := c.Request.Header
	if r.cfg.WooCommerce.IsPing(body, h) {
		// WooCommerce tests a new webhook with an unsigned "webhook_id=N" and wants exactly
		// 200; there is nothing to keep.
		r.count(ritorno.WooCommerce, "", resultPing)
		c.Status(http.StatusOK)
		return
	}
	ctx := c.Request.Context()
	shop, err := r.cfg.Shops.ShopByConnectionKey(ctx, c.Param("key"))
	if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
		// Without the shop there is no secret to verify with: the delivery is unverifiable.
		r.count(ritorno.WooCommerce, "", resultUnauthorized)
		web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "invalid webhook signature"))
		return
	} else if err != nil {
		r.unavailable(c, ritorno.WooCommerce, err)
		return
	}
	creds, err := r.cfg.Shops.Credentials(ctx, shop.ID)
	if err != nil {
		r.unavailable(c, ritorno.WooCommerce, err)
		return
	}
	if !r.cfg.WooCommerce.VerifyWebhook(body, h.Get("X-WC-Webhook-Signature"), creds.WebhookSecret) {
		r.count(ritorno.WooCommerce, "", resultUnauthorized)
		web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "invalid webhook signature"))
		return
	}
	d := ritorno.Delivery{
		Platform:   ritorno.WooCommerce,
		ShopDomain: shop.Domain,
		Topic:      h.Get("X-WC-Webhook-Topic"),
		// WooCommerce's delivery id changes on every attempt, so it is kept for reference
		// only; processing is idempotent by resource id and modification time instead.
		EventID: h.Get("X-WC-Webhook-Delivery-ID"),
		Body:    body,
	}
	if !r.boundHeaders(c, &d) {
		return
	}
	r.record(c, d, func(context.Context) (ritorno.Shop, error) { return shop, nil })
}

// Bounds of the header values a delivery keeps. Shopify's webhook ids are UUIDs (36
// characters) and its topics are two short words ("inventory_levels/update" is 23); a
// domain name is at most 253 characters (RFC 1035). The bounds leave ample room for other
// spellings while keeping the inbox's unique key (platform, shop domain, webhook id) far
// below PostgreSQL's btree row limit (2,704 bytes).
const (
	maxShopDomain = 253
	maxTopic      = 128
	maxWebhookID  = 255
	maxReference  = 255 // event id, API version: kept for reference only
)

// boundHeaders refuses, with 400, a delivery whose identifying header (shop domain, topic,
// webhook id) is over its bound or not UTF-8: it could not be stored, and a retry would
// not change it; nothing is kept. A reference-only header that is over its bound is
// dropped instead, since the delivery is usable without it.
func (r *Receiver) boundHeaders(c *gin.Context, d *ritorno.Delivery) bool {
	for _, h := range []struct {
		name  string
		value string
		max   int
	}{
		{"shop domain", d.ShopDomain, maxShopDomain},
		{"topic", d.Topic, maxTopic},
		{"webhook id", d.WebhookID, maxWebhookID},
	} {
		if len(h.value) > h.max || !utf8.ValidString(h.value) {
			r.count(d.Platform, "", resultBadHeader)
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "the %s header is longer than %d bytes or not UTF-8", h.name, h.max))
			return false
		}
	}
	for _, v := range []*string{&d.EventID, &d.APIVersion} {
		if len(*v) > maxReference || !utf8.ValidString(*v) {
			*v = ""
		}
	}
	return true
}

// record classifies a verified delivery, commits it, and only then acknowledges it.
func (r *Receiver) record(c *gin.Context, d ritorno.Delivery, findShop func(context.Context) (ritorno.Shop, error)) {
	ctx := c.Request.Context()
	d.ReceivedAt = r.cfg.Now().UTC()
	result := resultAccepted
	switch {
	case d.Status == ritorno.DeliveryFailed:
		result = resultError
	case !r.platforms[d.Platform].KnownTopic(d.Topic):
		d.Status, result = ritorno.DeliveryIgnored, resultIgnored
	case !json.Valid(d.Body):
		d.Status, d.LastError, result = ritorno.DeliveryFailed, "body is not valid JSON", resultInvalidJSON
	default:
		shop, err := findShop(ctx)
		switch {
		case err == nil:
			d.ShopID, d.Status = shop.ID, ritorno.DeliveryPending
		case ritorno.ErrorCode(err) == ritorno.ENOTFOUND:
			d.Status, result = ritorno.DeliveryParked, resultParked
		default:
			r.unavailable(c, d.Platform, err)
			return
		}
	}
	if d.Status == ritorno.DeliveryIgnored || d.Status == ritorno.DeliveryFailed {
		// Never applied, so its body would be personal data kept for nothing, and beyond
		// any erasure (no shop to erase it with): only the envelope is kept.
		d.Body = []byte{}
	}
	duplicate, err := r.commits.record(ctx, d)
	if err != nil {
		r.unavailable(c, d.Platform, err)
		return
	}
	if duplicate {
		result = resultDuplicate
	} else if d.Status == ritorno.DeliveryPending {
		r.cfg.Notify()
	}
	r.count(d.Platform, d.Topic, result)
	c.Status(http.StatusOK)
}

// unavailable answers 503 without acknowledging: the platform retries, and nothing was
// stored that could be lost.
func (r *Receiver) unavailable(c *gin.Context, platform ritorno.PlatformName, err error) {
	r.count(platform, "", resultError)
	web.Logger(c).Error("webhook not recorded", "platform", string(platform), "err", err)
	web.Error(c, ritorno.Errorf(ritorno.EUNAVAILABLE, "cannot record the delivery now; retry later"))
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
