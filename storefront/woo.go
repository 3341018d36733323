package storefront

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// IdentityHeader carries a WooCommerce shopper identity token when it is not in the
// identity query parameter.
const IdentityHeader = "X-Ritorno-Identity"

// preflightMaxAge is how long (seconds) a browser may reuse a preflight answer.
const preflightMaxAge = "600"

// wooShop resolves the shop of a /storefront/v1/:key route. The key is public (it is in
// the store's webhook URLs); it names a shop but proves nothing about a shopper. An
// unknown key, another platform's shop or an uninstalled one are all 404.
func (s *Storefront) wooShop(c *gin.Context) {
	key := c.Param("key")
	shop, err := s.cfg.ShopCache.ByConnectionKey(c.Request.Context(), key, func(ctx context.Context) (ritorno.Shop, error) {
		return s.cfg.Shops.ShopByConnectionKey(ctx, key)
	})
	switch {
	case ritorno.ErrorCode(err) == ritorno.ENOTFOUND || err == nil && (shop.Platform != ritorno.WooCommerce || shop.Status != ritorno.ShopInstalled):
		web.Error(c, ritorno.Errorf(ritorno.ENOTFOUND, "shop not found"))
		return
	case err != nil:
		web.Error(c, err)
		return
	}
	c.Set(ctxShop, shop)
	c.Next()
}

// storeOrigin is the browser origin (scheme://host[:port]) of a WooCommerce store URL.
func storeOrigin(storeURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// cors allows the store's own origin and no other: the answer echoes that exact origin
// (never "*"), and a request from another origin is refused outright, so that a page
// elsewhere can neither read recommendations nor post events in the store's name. A
// request without Origin is not from a cross-origin page and goes on.
func (s *Storefront) cors(c *gin.Context) {
	c.Header("Vary", "Origin")
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return
	}
	if allowed := storeOrigin(shopOf(c).Domain); allowed == "" || origin != allowed {
		web.Error(c, ritorno.Errorf(ritorno.EFORBIDDEN, "origin not allowed for this shop"))
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
	c.Next()
}

// preflight answers a CORS preflight (the origin was checked by cors).
func (s *Storefront) preflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	c.Header("Access-Control-Allow-Headers", "Content-Type, "+IdentityHeader)
	c.Header("Access-Control-Max-Age", preflightMaxAge)
	c.Status(http.StatusNoContent)
}

// wooIdentity reads the shopper's identity token, when there is one, and verifies it with
// the shop's connection secret. A token that does not check out is 401, never a silent
// fall-back to an anonymous shopper.
func (s *Storefront) wooIdentity(c *gin.Context) {
	token := c.Query("identity")
	if token == "" {
		token = c.GetHeader(IdentityHeader)
	}
	if token == "" {
		c.Set(ctxCustomer, int64(0))
		c.Next()
		return
	}
	shop := shopOf(c)
	creds, err := s.cfg.Shops.Credentials(c.Request.Context(), shop.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	customer, err := VerifyIdentity(token, creds.WebhookSecret, shop.ConnectionKey, s.cfg.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Set(ctxCustomer, customer)
	c.Next()
}
