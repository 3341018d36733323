package storefront

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// proxyMaxSkew is how far an app proxy timestamp may be from our clock, as Shopify's own
// library allows: it bounds the replay of a captured signed URL.
const proxyMaxSkew = 90 * time.Second

// proxySingle are the parameters that must appear once: a repeated one would be joined
// with a comma into the signed string, letting two values stand behind one signature.
var proxySingle = []string{"shop", "timestamp", "signature", "logged_in_customer_id"}

// ProxyMessage is the string an app proxy signature covers (reference §5): every query
// parameter but signature, URL-decoded, a repeated key's values joined with commas,
// "key=value" pairs sorted by key and concatenated with no separator.
func ProxyMessage(query url.Values) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != "signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Join(query[k], ","))
	}
	return b.String()
}

// SignProxy returns the hex HMAC-SHA256 signature Shopify puts on an app proxy query.
func SignProxy(query url.Values, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ProxyMessage(query)))
	return hex.EncodeToString(mac.Sum(nil))
}

// ProxyRequest is what a verified app proxy query says.
type ProxyRequest struct {
	Shop string // name.myshopify.com
	// Customer is logged_in_customer_id: the logged-in customer's id, 0 when anonymous.
	Customer int64
}

// VerifyProxy checks an app proxy query (the raw query string) against the app secrets at
// now, in constant time, and only then reads the shop and the customer. Every failure is
// EUNAUTHORIZED with a message that repeats no value.
func VerifyProxy(rawQuery string, secrets []string, now time.Time) (ProxyRequest, error) {
	fail := func(why string) (ProxyRequest, error) {
		return ProxyRequest{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "app proxy request refused: %s", why)
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fail("the query is not well-formed")
	}
	for _, k := range proxySingle {
		if len(query[k]) > 1 {
			return fail("parameter " + k + " is repeated")
		}
	}
	sig, err := hex.DecodeString(query.Get("signature"))
	if err != nil || len(sig) != sha256.Size {
		return fail("missing or malformed signature")
	}
	message := []byte(ProxyMessage(query))
	valid := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(message)
		valid = hmac.Equal(sig, mac.Sum(nil)) || valid
	}
	if !valid {
		return fail("signature does not match")
	}
	ts, err := strconv.ParseInt(query.Get("timestamp"), 10, 64)
	if err != nil {
		return fail("missing or malformed timestamp")
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > proxyMaxSkew || skew < -proxyMaxSkew {
		return fail("timestamp is too far from now")
	}
	req := ProxyRequest{Shop: query.Get("shop")}
	if ritorno.ValidateShopifyDomain(req.Shop) != nil {
		return fail("shop is not a myshopify.com domain")
	}
	// Trusted only now that the signature covers it; empty means nobody is logged in.
	if id := query.Get("logged_in_customer_id"); id != "" {
		if req.Customer, err = strconv.ParseInt(id, 10, 64); err != nil || req.Customer <= 0 {
			return fail("logged_in_customer_id is not a customer id")
		}
	}
	return req, nil
}

// verifyProxy lets through only signed app proxy requests of an installed shop; it answers
// 401 with no data otherwise.
func (s *Storefront) verifyProxy(c *gin.Context) {
	req, err := VerifyProxy(c.Request.URL.RawQuery, s.secrets, s.cfg.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	shop, err := s.cfg.ShopCache.ByDomain(c.Request.Context(), ritorno.Shopify, req.Shop, func(ctx context.Context) (ritorno.Shop, error) {
		return s.cfg.Shops.ShopByDomain(ctx, ritorno.Shopify, req.Shop)
	})
	switch {
	case ritorno.ErrorCode(err) == ritorno.ENOTFOUND || err == nil && shop.Status != ritorno.ShopInstalled:
		web.Error(c, ritorno.Errorf(ritorno.EUNAUTHORIZED, "app proxy request refused: the shop is not installed"))
		return
	case err != nil:
		web.Error(c, err)
		return
	}
	c.Set(ctxShop, shop)
	c.Set(ctxCustomer, req.Customer)
	c.Next()
}
