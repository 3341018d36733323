package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
)

// Shopify installs. A Shopify-managed install opens the app URL inside the admin with a
// session token (id_token) in the query: the token proves the shop, and token exchange
// turns it into an offline access token. The authorization-code grant (/auth/shopify) is
// the fallback for installs that start outside the admin.

const (
	stateCookie = "ritorno_shopify_state"
	statePath   = "/auth/shopify"
	stateTTL    = 10 * time.Minute
	bouncePath  = "/auth/session-token-bounce"
)

// home is the app URL: the embedded admin page, a Shopify admin link, or the public
// landing page when no shop is named.
func (a *App) home(c *gin.Context) {
	q := c.Request.URL.Query()
	if q.Get("shop") == "" && q.Get("id_token") == "" {
		a.render(c, http.StatusOK, "", "landing.html", landingPage{
			Shopify: a.cfg.Shopify != nil, WooCommerce: a.cfg.WooCommerce != nil, DemoShop: a.cfg.DemoShop, AdminPath: AdminLinkPath})
		return
	}
	if a.needShopify(c); c.IsAborted() {
		return
	}
	switch {
	case q.Get("id_token") != "":
		a.embeddedLoad(c, q)
	case q.Get("embedded") == "1":
		a.redirectToBounce(c, q)
	default:
		a.adminLink(c, q)
	}
}

type landingPage struct {
	Shopify, WooCommerce bool
	DemoShop, AdminPath  string // the demo's links, when this server serves it
}

type embeddedPage struct {
	APIKey   string
	ShopName string
	Domain   string
}

// embeddedLoad serves the admin page, installing the shop first when it is not (the
// first load after a managed install, a reinstall, or credentials that died).
func (a *App) embeddedLoad(c *gin.Context, q url.Values) {
	token := q.Get("id_token")
	domain, _, err := a.cfg.Shopify.VerifySessionToken(token)
	if err != nil {
		a.fail(c, "", unauthorized(err, "the session token is invalid or expired: open the app again from your Shopify admin"))
		return
	}
	if p := q.Get("shop"); p != "" && !strings.EqualFold(p, domain) {
		a.fail(c, "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the session token was issued for another shop than the shop parameter"))
		return
	}
	shop, err := a.installShopify(c.Request.Context(), domain, false, func(ctx context.Context) (ritorno.ShopCredentials, error) {
		return a.cfg.Shopify.ExchangeSessionToken(ctx, domain, token)
	})
	if err != nil {
		a.fail(c, domain, err)
		return
	}
	a.render(c, http.StatusOK, domain, "embedded.html", embeddedPage{APIKey: a.cfg.ShopifyAPIKey, ShopName: shop.Name, Domain: shop.Domain})
}

// redirectToBounce follows Shopify's pattern for an embedded document load without a
// session token: a page that only loads App Bridge, which reloads shopify-reload with a
// fresh id_token.
func (a *App) redirectToBounce(c *gin.Context, q url.Values) {
	if err := ritorno.ValidateShopifyDomain(q.Get("shop")); err != nil {
		a.fail(c, "", err)
		return
	}
	q.Del("id_token")
	q.Del("shopify-reload")
	q.Set("shopify-reload", a.cfg.AppURL+c.Request.URL.Path+"?"+q.Encode())
	c.Redirect(http.StatusFound, bouncePath+"?"+q.Encode())
}

type bouncePage struct{ APIKey string }

// bounce serves the session-token bounce page. It holds no data and can only send App
// Bridge back to this app, so it is the one page framed for a shop named but not proven
// (App Bridge needs the admin frame to mint the token that would prove it).
func (a *App) bounce(c *gin.Context) {
	reload := c.Query("shopify-reload")
	if !a.ownURL(reload) {
		a.fail(c, "", ritorno.Errorf(ritorno.EINVALID, "shopify-reload must be a URL of this app"))
		return
	}
	shop := strings.ToLower(c.Query("shop"))
	if ritorno.ValidateShopifyDomain(shop) != nil {
		a.fail(c, "", ritorno.Errorf(ritorno.EINVALID, "the shop parameter is not of the form name.myshopify.com"))
		return
	}
	a.render(c, http.StatusOK, shop, "bounce.html", bouncePage{APIKey: a.cfg.ShopifyAPIKey})
}

// ownURL reports whether u points into this app, so that the bounce page cannot be used
// to hand a session token elsewhere: a path of this app, or the same under AppURL. It is
// parsed, not pattern-matched, and strict, because browsers repair URLs before they
// navigate (they drop tabs and newlines, read "\" as "/"), which turns "/\t/evil.example"
// into "//evil.example": no control character, whitespace or backslash anywhere, a single
// leading "/" (also once percent-decoded), no scheme, host or user info after parsing, and
// the value must be the re-serialization of what was parsed, so that App Bridge, which
// reads the parameter itself, navigates exactly where this check looked.
func (a *App) ownURL(u string) bool {
	const maxReload = 4096
	if len(u) > maxReload || !utf8.ValidString(u) || strings.ContainsFunc(u, unsafeURLRune) {
		return false
	}
	base, rest := "", u
	if after, ok := strings.CutPrefix(u, a.cfg.AppURL); ok && a.cfg.AppURL != "" && strings.HasPrefix(after, "/") {
		base, rest = a.cfg.AppURL, after
	}
	if !strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "//") {
		return false
	}
	p, err := url.Parse(rest)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || p.Opaque != "" ||
		!strings.HasPrefix(p.Path, "/") || strings.HasPrefix(p.Path, "//") || strings.ContainsFunc(p.Path, unsafeDecodedRune) {
		return false
	}
	again := p.EscapedPath()
	if p.RawQuery != "" || p.ForceQuery {
		again += "?" + p.RawQuery
	}
	if p.Fragment != "" {
		again += "#" + p.EscapedFragment()
	}
	return base+again == u
}

// unsafeDecodedRune reports what a percent-decoded path must not hold: the characters
// that would be dropped or rewritten had they been sent literally (an encoded space is
// an ordinary path character).
func unsafeDecodedRune(r rune) bool {
	return r < 0x20 || r == 0x7f || r == '\\' || unicode.IsControl(r)
}

// unsafeURLRune reports characters a browser drops or rewrites in a URL.
func unsafeURLRune(r rune) bool {
	return r < 0x20 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
}

// adminLink handles a signed, non-embedded load of the app URL (an admin link opened in
// its own tab): an installed shop goes to its admin, any other to the install.
func (a *App) adminLink(c *gin.Context, q url.Values) {
	if err := ritorno.ValidateShopifyDomain(q.Get("shop")); err != nil {
		a.fail(c, "", err)
		return
	}
	if err := a.cfg.Shopify.VerifyQuery(q); err != nil {
		a.fail(c, "", unauthorized(err, "the link's signature is invalid"))
		return
	}
	domain := strings.ToLower(q.Get("shop"))
	shop, known, err := a.shopifyShop(c.Request.Context(), domain)
	if err != nil {
		a.fail(c, "", err)
		return
	}
	usable := false
	if known {
		if usable, err = a.usableShopifyCredentials(c.Request.Context(), shop); err != nil {
			a.fail(c, "", err)
			return
		}
	}
	if !usable {
		c.Redirect(http.StatusFound, statePath+"?"+url.Values{"shop": {domain}}.Encode())
		return
	}
	c.Redirect(http.StatusFound, a.adminAppURL(domain))
}

func (a *App) adminAppURL(domain string) string {
	return "https://" + domain + "/admin/apps/" + url.PathEscape(a.cfg.ShopifyAPIKey)
}

// beginShopifyAuth starts the authorization-code grant for the shop in the query or the
// landing page's form.
func (a *App) beginShopifyAuth(c *gin.Context) {
	shop := c.Query("shop")
	if shop == "" {
		shop = c.PostForm("shop")
	}
	shop = strings.ToLower(strings.TrimSpace(shop))
	if shop != "" && !strings.ContainsAny(shop, "./:") {
		shop += ".myshopify.com" // the form accepts the bare shop name; the result is still validated
	}
	if err := ritorno.ValidateShopifyDomain(shop); err != nil {
		a.fail(c, "", err)
		return
	}
	st := oauthState{Nonce: randomToken(32), Shop: shop, Expires: a.cfg.Now().Add(stateTTL).Unix()}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: stateCookie, Value: a.signState(st), Path: statePath, MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
	c.Redirect(http.StatusFound, a.cfg.Shopify.AuthorizeURL(shop, a.cfg.AppURL+statePath+"/callback", st.Nonce))
}

// shopifyCallback finishes the code grant: the query must be Shopify's, the state the
// nonce this browser was given for this shop, unused; then the code becomes a token.
func (a *App) shopifyCallback(c *gin.Context) {
	q := c.Request.URL.Query()
	if err := ritorno.ValidateShopifyDomain(q.Get("shop")); err != nil {
		a.fail(c, "", err)
		return
	}
	if err := a.cfg.Shopify.VerifyQuery(q); err != nil {
		a.fail(c, "", unauthorized(err, "the callback's signature is invalid"))
		return
	}
	domain := strings.ToLower(q.Get("shop"))
	st, err := a.readState(c)
	if err != nil {
		a.fail(c, "", err)
		return
	}
	switch {
	case st.Shop != domain:
		a.fail(c, "", ritorno.Errorf(ritorno.EFORBIDDEN, "the install was started for another shop: start it again from %s", domain))
		return
	case !hmac.Equal([]byte(st.Nonce), []byte(q.Get("state"))):
		a.fail(c, "", ritorno.Errorf(ritorno.EFORBIDDEN, "the state parameter does not match this browser's install: start the install again"))
		return
	case !a.nonces.use(st.Nonce, time.Unix(st.Expires, 0), a.cfg.Now()):
		a.fail(c, "", ritorno.Errorf(ritorno.EFORBIDDEN, "this install callback was already used: start the install again"))
		return
	}
	code := q.Get("code")
	if code == "" {
		a.fail(c, "", ritorno.Errorf(ritorno.EINVALID, "the callback has no code"))
		return
	}
	if _, err := a.installShopify(c.Request.Context(), domain, true, func(ctx context.Context) (ritorno.ShopCredentials, error) {
		return a.cfg.Shopify.ExchangeCode(ctx, domain, code)
	}); err != nil {
		a.fail(c, "", err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: stateCookie, Value: "", Path: statePath, MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusFound, a.adminAppURL(domain))
}

// shopifyShop looks the shop up; known is false when it was never installed.
func (a *App) shopifyShop(ctx context.Context, domain string) (shop ritorno.Shop, known bool, err error) {
	shop, err = a.cfg.Shops.ShopByDomain(ctx, ritorno.Shopify, domain)
	switch ritorno.ErrorCode(err) {
	case "":
		return shop, true, nil
	case ritorno.ENOTFOUND:
		return ritorno.Shop{}, false, nil
	}
	return ritorno.Shop{}, false, fmt.Errorf("look up shop: %w", err)
}

// usableShopifyCredentials reports whether an installed shop holds a token Ritorno can
// still use: an access token that is valid, or renewable with an unexpired refresh token.
func (a *App) usableShopifyCredentials(ctx context.Context, shop ritorno.Shop) (bool, error) {
	if shop.Status != ritorno.ShopInstalled {
		return false, nil
	}
	creds, err := a.cfg.Shops.Credentials(ctx, shop.ID)
	switch ritorno.ErrorCode(err) {
	case "":
	case ritorno.ENOTFOUND:
		return false, nil
	default:
		return false, fmt.Errorf("read credentials: %w", err)
	}
	now := a.cfg.Now()
	expired := func(t time.Time) bool { return !t.IsZero() && !now.Before(t) }
	switch {
	case creds.AccessToken == "":
		return false, nil
	case creds.RefreshToken != "" && expired(creds.RefreshTokenExpiresAt):
		return false, nil
	case creds.RefreshToken == "" && expired(creds.AccessTokenExpiresAt):
		return false, nil
	}
	return true, nil
}

// installShopify makes sure the shop is installed with usable credentials, getting new
// ones with obtain when it is not (or always, when force: the merchant just granted a
// code), and starts its import. Installs of one shop are serialized so that two tabs
// opening the app exchange and create once; a replica that loses the race to create the
// shop takes the created one.
func (a *App) installShopify(ctx context.Context, domain string, force bool, obtain func(context.Context) (ritorno.ShopCredentials, error)) (ritorno.Shop, error) {
	unlock := a.installMu.lock(string(ritorno.Shopify) + ":" + domain)
	defer unlock()
	shop, known, err := a.shopifyShop(ctx, domain)
	if err != nil {
		return ritorno.Shop{}, err
	}
	usable, wasInstalled := false, known && shop.Status == ritorno.ShopInstalled
	if known {
		if usable, err = a.usableShopifyCredentials(ctx, shop); err != nil {
			return ritorno.Shop{}, err
		}
	}
	if usable && !force {
		return shop, nil
	}
	creds, err := obtain(ctx)
	if err != nil {
		return ritorno.Shop{}, fmt.Errorf("obtain an access token: %w", err)
	}
	now := a.cfg.Now()
	if !known {
		details, err := a.cfg.Shopify.ShopDetails(ctx, domain, creds)
		if err != nil {
			return ritorno.Shop{}, fmt.Errorf("read shop details: %w", err)
		}
		shop, err = a.cfg.Shops.CreateShop(ctx, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Name: details.Name,
			Status: ritorno.ShopInstalled, Currency: details.Currency, Timezone: details.Timezone, InstalledAt: now}, creds)
		switch ritorno.ErrorCode(err) {
		case "":
		case ritorno.ECONFLICT:
			if shop, known, err = a.shopifyShop(ctx, domain); err == nil && !known {
				err = ritorno.Errorf(ritorno.EUNAVAILABLE, "the shop could not be stored: try again")
			}
			if err != nil {
				return ritorno.Shop{}, err
			}
		default:
			return ritorno.Shop{}, fmt.Errorf("create shop: %w", err)
		}
	}
	if known {
		if shop, err = a.restoreShop(ctx, shop, creds); err != nil {
			return ritorno.Shop{}, err
		}
	}
	a.cfg.Log.Info("shop installed", "shop", domain, "platform", string(ritorno.Shopify))
	// A shop that was working keeps its import; a new, reinstalled or redacted one starts
	// one. An installed shop whose token died gets another only if it had one: one that
	// never had any was added without (shops add --no-backfill), and new credentials do not
	// change that.
	if !usable && (!wasInstalled || a.hadBackfill(ctx, shop)) {
		a.startInstallBackfill(ctx, shop)
	}
	return shop, nil
}

// restoreShop gives a known shop new credentials and, if it was uninstalled or redacted,
// the installed status again. Credentials go first: a shop is never installed without
// them, and a failure in between leaves a shop that the next load installs again.
func (a *App) restoreShop(ctx context.Context, shop ritorno.Shop, creds ritorno.ShopCredentials) (ritorno.Shop, error) {
	if err := a.cfg.Shops.SetCredentials(ctx, shop.ID, creds); err != nil {
		return ritorno.Shop{}, fmt.Errorf("store credentials: %w", err)
	}
	if shop.Status != ritorno.ShopInstalled {
		var err error
		if shop, err = a.cfg.Shops.ReinstallShop(ctx, shop.ID, a.cfg.Now()); err != nil {
			return ritorno.Shop{}, fmt.Errorf("reinstall shop: %w", err)
		}
	}
	return shop, nil
}

// unauthorized keeps a coded EUNAUTHORIZED error as it is and replaces anything else by
// one with msg (an adapter's internal error must not reach the client).
func unauthorized(err error, msg string) error {
	if ritorno.ErrorCode(err) == ritorno.EUNAUTHORIZED {
		return err
	}
	return ritorno.Errorf(ritorno.EUNAUTHORIZED, "%s", msg)
}

// oauthState is what the state cookie binds: the nonce sent to Shopify, the shop it was
// sent for, and when it stops being accepted.
type oauthState struct {
	Nonce   string `json:"n"`
	Shop    string `json:"s"`
	Expires int64  `json:"e"`
}

// stateMACLabel separates the cookie's signatures from the connect tokens', which use the
// same key.
const stateMACLabel = "ritorno shopify oauth state\n"

func (a *App) mac(label, msg string) []byte {
	m := hmac.New(sha256.New, a.cfg.StateKey)
	m.Write([]byte(label))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (a *App) signState(st oauthState) string {
	body, _ := json.Marshal(st) // strings and an int cannot fail
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(a.mac(stateMACLabel, payload))
}

// readState returns the state cookie's content once its signature and expiry check out.
func (a *App) readState(c *gin.Context) (oauthState, error) {
	raw, err := c.Cookie(stateCookie)
	if err != nil || raw == "" {
		return oauthState{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "the install state cookie is missing: start the install again (cookies must be enabled)")
	}
	payload, sig, ok := strings.Cut(raw, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, a.mac(stateMACLabel, payload)) {
		return oauthState{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "the install state cookie is not one this server signed")
	}
	var st oauthState
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, &st) != nil || st.Nonce == "" {
		return oauthState{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "the install state cookie is malformed")
	}
	if !a.cfg.Now().Before(time.Unix(st.Expires, 0)) {
		return oauthState{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "the install took longer than %s: start it again", stateTTL)
	}
	return st, nil
}

// usedNonces remembers the state nonces of finished callbacks until their cookies expire,
// so that a replayed callback is refused even with its cookie. It lives in memory: a
// replica that did not see the first use would accept a replay, but the code in it is
// single-use at Shopify, so the exchange would fail there anyway.
type usedNonces struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// use records nonce and reports whether it was unused.
func (u *usedNonces) use(nonce string, expires, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for n, exp := range u.seen {
		if !now.Before(exp) {
			delete(u.seen, n)
		}
	}
	if _, ok := u.seen[nonce]; ok {
		return false
	}
	u.seen[nonce] = expires
	return true
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail since Go 1.24 (it crashes instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
