package app

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// RetryInvalidSessionHeader tells App Bridge to fetch a fresh session token and retry the
// request; it is sent only when the token itself is bad, not when the shop is.
const RetryInvalidSessionHeader = "X-Shopify-Retry-Invalid-Session-Request"

const ctxShop = "ritorno.app.shop"

// RequireSessionToken authenticates an embedded-admin request by its App Bridge session
// token ("Authorization: Bearer …") and puts the token's shop in the context (ShopFrom).
// The shop comes from the verified token only, never from a parameter, so a request can
// reach no other shop's data. An admin link's token (adminlink.go), which the operator
// signs with `ritorno admin-url`, is accepted in the same place, for one shop of any
// platform, with or without Shopify configured.
func (a *App) RequireSessionToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
		token = strings.TrimSpace(token)
		bearer := strings.EqualFold(scheme, "Bearer") && token != ""
		var platform ritorno.PlatformName
		var domain string
		switch {
		case bearer && isAdminLink(token):
			var err error
			if platform, domain, err = a.verifyAdminLink(token); err != nil {
				web.Error(c, err)
				return
			}
		case a.cfg.Shopify == nil:
			web.Error(c, ritorno.Errorf(ritorno.EUNAVAILABLE, "Shopify is not configured on this server: open the admin with a link from ritorno admin-url"))
			return
		case !bearer:
			c.Header(RetryInvalidSessionHeader, "1")
			web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "missing session token (Authorization: Bearer …)"))
			return
		default:
			var err error
			if domain, _, err = a.cfg.Shopify.VerifySessionToken(token); err != nil {
				c.Header(RetryInvalidSessionHeader, "1")
				web.Error(c, unauthorized(err, "invalid session token"))
				return
			}
			platform = ritorno.Shopify
		}
		shop, err := a.cfg.Shops.ShopByDomain(c.Request.Context(), platform, domain)
		if ritorno.ErrorCode(err) == ritorno.ENOTFOUND || (err == nil && shop.Status != ritorno.ShopInstalled) {
			// A fresh token would not help: the shop has to open (install) the app first.
			if platform != ritorno.Shopify {
				web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link's shop is not installed here"))
				return
			}
			web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "Ritorno is not installed on %s: open the app from the Shopify admin to install it", domain))
			return
		} else if err != nil {
			web.Error(c, err)
			return
		}
		c.Set(ctxShop, shop)
		c.Next()
	}
}

// ShopFrom returns the shop RequireSessionToken authenticated.
func ShopFrom(c *gin.Context) (ritorno.Shop, bool) {
	v, ok := c.Get(ctxShop)
	if !ok {
		return ritorno.Shop{}, false
	}
	shop, ok := v.(ritorno.Shop)
	return shop, ok
}

// mustShop is ShopFrom for handlers behind RequireSessionToken; a missing shop is a
// routing bug and answers 500 rather than serve an unscoped request.
func mustShop(c *gin.Context) (ritorno.Shop, bool) {
	shop, ok := ShopFrom(c)
	if !ok {
		web.Error(c, ritorno.Errorf(ritorno.EINTERNAL, "admin route registered without RequireSessionToken"))
	}
	return shop, ok
}

// shopResponse is the admin view of a shop: an allowlist, so that a new field on the
// domain type is never published by accident.
type shopResponse struct {
	Domain      string            `json:"domain"`
	Platform    string            `json:"platform"`
	Name        string            `json:"name"`
	Currency    string            `json:"currency"`
	Timezone    string            `json:"timezone"`
	Status      string            `json:"status"`
	InstalledAt *time.Time        `json:"installed_at"`
	Backfill    *backfillResponse `json:"backfill"`
}

// backfillResponse is the progress of a shop's import; its cursor stays private.
type backfillResponse struct {
	Status     string     `json:"status"`
	Step       string     `json:"step"`
	Done       int64      `json:"done"`
	StepDone   int64      `json:"step_done"`
	StepTotal  int64      `json:"step_total"`
	Inserted   int64      `json:"inserted"`
	Updated    int64      `json:"updated"`
	Unchanged  int64      `json:"unchanged"`
	Skipped    int64      `json:"skipped"`
	OrdersFrom *time.Time `json:"orders_from"`
	OrdersTo   *time.Time `json:"orders_to"`
	Limit      string     `json:"limit"`
	Error      string     `json:"error"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func shopToResponse(s ritorno.Shop, b *ritorno.Backfill) shopResponse {
	r := shopResponse{Domain: s.Domain, Platform: string(s.Platform), Name: s.Name, Currency: s.Currency,
		Timezone: s.Timezone, Status: string(s.Status), InstalledAt: optionalTime(s.InstalledAt)}
	if b != nil {
		br := backfillToResponse(*b)
		r.Backfill = &br
	}
	return r
}

func backfillToResponse(b ritorno.Backfill) backfillResponse {
	return backfillResponse{Status: string(b.Status), Step: b.Step, Done: b.Done, StepDone: b.StepDone, StepTotal: b.StepTotal,
		Inserted: b.Inserted, Updated: b.Updated, Unchanged: b.Unchanged, Skipped: b.Skipped,
		OrdersFrom: optionalTime(b.OrdersFrom), OrdersTo: optionalTime(b.OrdersTo), Limit: b.Limit, Error: b.Error,
		StartedAt: optionalTime(b.StartedAt), FinishedAt: optionalTime(b.FinishedAt)}
}

// optionalTime is null in JSON for an unset time, UTC otherwise.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// getShop answers GET /api/admin/shop: the shop and its import's progress.
func (a *App) getShop(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	var backfill *ritorno.Backfill
	b, err := a.cfg.Backfills.Backfill(c.Request.Context(), shop.ID)
	switch ritorno.ErrorCode(err) {
	case "":
		backfill = &b
	case ritorno.ENOTFOUND:
	default:
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, shopToResponse(shop, backfill))
}

// startBackfill answers POST /api/admin/backfill: starts the import (or returns the one
// already under way).
func (a *App) startBackfill(c *gin.Context) {
	shop, ok := mustShop(c)
	if !ok {
		return
	}
	b, err := a.cfg.Backfills.StartBackfill(c.Request.Context(), shop.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusAccepted, backfillToResponse(b))
}
