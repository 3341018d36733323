package app

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// The WooCommerce connect flow is unauthenticated and each of its steps makes the server
// contact a store someone named: a person connects a store a few times at most, so a
// handful of attempts per minute per address is plenty.
const (
	connectBurst        = 5
	connectEvery        = 12 * time.Second // one more attempt every 12 s: 5 a minute
	connectMaxAddresses = 10000
)

// limitConnects answers 429 with Retry-After (whole seconds, at least 1) to an address
// that started the connect flow too often.
func (a *App) limitConnects(c *gin.Context) {
	if ok, wait := a.connects.Allow(web.ClientAddress(c, a.cfg.TrustProxy)); !ok {
		web.RetryAfter(c, wait)
		a.fail(c, "", ritorno.Errorf(ritorno.ERATELIMITED, "too many store connections from this address; retry later"))
		return
	}
	c.Next()
}
