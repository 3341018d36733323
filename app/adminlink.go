package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
)

// The admin link lets an operator open a shop's admin without Shopify (the demo shop, a
// WooCommerce store, a shop added by hand): `ritorno admin-url --shop DOMAIN` signs a token
// for one shop with a key derived from the server's state key, which only who holds the
// encryption key can make, and the admin routes accept it in place of an App Bridge session
// token ("Authorization: Bearer …"). It is short-lived, carries the platform and domain of
// one shop, and nothing else mints it: a server nobody ran the command for accepts none.
// The token travels in the URL's fragment (/admin#token=…), which browsers never send to
// a server, so it stays out of access logs and Referer headers.

// AdminLinkPath is the page the link opens.
const AdminLinkPath = "/admin"

// MaxAdminLinkTTL bounds a link's lifetime: a leaked link stops working within the day.
const MaxAdminLinkTTL = 24 * time.Hour

// adminLinkPrefix tells an admin link from a Shopify session token (a JWT starts "eyJ").
const adminLinkPrefix = "rla1."

// adminLinkClaims are what a link signs.
type adminLinkClaims struct {
	Platform string `json:"p"`
	Domain   string `json:"d"`
	Issued   int64  `json:"iat"`
	Expires  int64  `json:"exp"`
}

// adminLinkKey derives the links' own key from the state key, so that no other signature
// the state key makes (OAuth state, connect tokens) is ever a valid link, and back.
func adminLinkKey(stateKey []byte) []byte {
	mac := hmac.New(sha256.New, stateKey)
	mac.Write([]byte("ritorno/admin-link/v1"))
	return mac.Sum(nil)
}

func adminLinkMAC(stateKey []byte, payload string) string {
	mac := hmac.New(sha256.New, adminLinkKey(stateKey))
	mac.Write([]byte(adminLinkPrefix + payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// SignAdminLink returns a token that opens the admin of one shop from now until now+ttl.
// stateKey is the server's Config.StateKey; ttl is at most MaxAdminLinkTTL.
func SignAdminLink(stateKey []byte, platform ritorno.PlatformName, domain string, now time.Time, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxAdminLinkTTL {
		return "", ritorno.Errorf(ritorno.EINVALID, "the link's lifetime must be positive and at most %s", MaxAdminLinkTTL)
	}
	if len(stateKey) < 32 || domain == "" {
		return "", ritorno.Errorf(ritorno.EINVALID, "an admin link needs the state key and a shop")
	}
	b, err := json.Marshal(adminLinkClaims{Platform: string(platform), Domain: domain, Issued: now.Unix(), Expires: now.Add(ttl).Unix()})
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return adminLinkPrefix + payload + "." + adminLinkMAC(stateKey, payload), nil
}

// AdminLinkURL is the page's address with token in its fragment.
func AdminLinkURL(appURL, token string) string {
	return strings.TrimRight(appURL, "/") + AdminLinkPath + "#token=" + token
}

func isAdminLink(token string) bool { return strings.HasPrefix(token, adminLinkPrefix) }

// verifyAdminLink checks a link's signature and lifetime and returns its shop. Every
// refusal is EUNAUTHORIZED and says which check failed, never the token.
func (a *App) verifyAdminLink(token string) (ritorno.PlatformName, string, error) {
	payload, sig, ok := strings.Cut(strings.TrimPrefix(token, adminLinkPrefix), ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(adminLinkMAC(a.cfg.StateKey, payload))) {
		return "", "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link's signature is invalid")
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var cl adminLinkClaims
	if err != nil || json.Unmarshal(raw, &cl) != nil {
		return "", "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link is malformed")
	}
	now := a.cfg.Now()
	issued, expires := time.Unix(cl.Issued, 0), time.Unix(cl.Expires, 0)
	switch {
	case !now.Before(expires):
		return "", "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link has expired: run ritorno admin-url for a new one")
	case issued.After(now.Add(time.Minute)), expires.Sub(issued) > MaxAdminLinkTTL:
		return "", "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link's lifetime is not acceptable")
	}
	p, err := ritorno.ParsePlatformName(cl.Platform)
	if err != nil || cl.Domain == "" {
		return "", "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the admin link names no shop")
	}
	return p, cl.Domain, nil
}

// localAdminPage is the admin page outside the Shopify admin. It holds no data: its
// script reads the token from the fragment and calls the admin API with it.
type localAdminPage struct {
	DemoShop string // the demo shop's domain, for the hint when the link is missing
}

func (a *App) localAdmin(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	a.render(c, http.StatusOK, "", "local_admin.html", localAdminPage{DemoShop: a.cfg.DemoShop})
}
