package storefront

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno/web"
)

// refuse answers 429 with Retry-After.
func refuse(c *gin.Context, wait time.Duration, what string) {
	web.RateLimited(c, wait, "too many requests "+what+"; retry later")
}

// limitAddress limits requests per client address.
func (s *Storefront) limitAddress(c *gin.Context) {
	if ok, wait := s.byAddress.Allow(s.clientAddress(c)); !ok {
		refuse(c, wait, "from this address")
		return
	}
	c.Next()
}

// limitRelay limits app proxy requests per relaying address (see Storefront.byRelay).
func (s *Storefront) limitRelay(c *gin.Context) {
	if ok, wait := s.byRelay.Allow(s.clientAddress(c)); !ok {
		refuse(c, wait, "from this address")
		return
	}
	c.Next()
}

// limitShop limits requests per shop; it runs after the shop is verified, so that a
// forged shop name cannot spend a real shop's budget.
func (s *Storefront) limitShop(c *gin.Context) {
	if ok, wait := s.byShop.Allow(strconv.FormatInt(shopOf(c).ID, 10)); !ok {
		refuse(c, wait, "for this shop")
		return
	}
	c.Next()
}

// clientAddress is the caller's IP (see web.ClientAddress).
func (s *Storefront) clientAddress(c *gin.Context) string {
	return web.ClientAddress(c, s.cfg.TrustProxy)
}
