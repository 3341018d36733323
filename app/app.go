// Package app is the merchant's side of Ritorno: installing it on a Shopify shop (managed
// install with token exchange, or the authorization-code grant), connecting a WooCommerce
// store (the wc-auth key flow), the session-token authentication of the embedded admin, the
// admin JSON API and the few server-rendered pages. It sees storage and the platforms only
// through the small interfaces declared here; cmd/ritorno wires the adapters to them.
package app

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// Config is everything an App needs.
type Config struct {
	AppURL          string // public base URL, no trailing slash, e.g. https://ritorno.example.com
	ShopifyAPIKey   string
	ShopifyScopes   string // comma-separated, requested by the code grant
	StateKey        []byte // >= 32 bytes; signs OAuth state cookies and WooCommerce connect tokens
	AllowHTTPStores bool   // accept http:// WooCommerce store URLs (local test stores only)
	// TrustProxy: a reverse proxy of ours is in front, so the connect flow's rate limit keys
	// on the last X-Forwarded-For address.
	TrustProxy  bool
	Shopify     ShopifyAuth
	WooCommerce WooConnector
	Shops       ShopStore
	Backfills   Backfills
	Insights    Insights // nil: the analytics routes answer 503
	// Recommendations: nil makes the recommendation routes answer 503.
	Recommendations Recommendations
	Log             *slog.Logger
	Now             func() time.Time // nil: time.Now
	// DemoShop is the demo shop's domain when this server serves the demo (RITORNO_DEMO):
	// the landing page then links to its store and to the admin page (AdminLinkPath).
	DemoShop string
}

// ShopDetails is what the platform says about a shop: currency ISO 4217, timezone IANA.
type ShopDetails struct{ Name, Currency, Timezone string }

// ShopifyAuth is the Shopify adapter as the install flows use it (cmd wires shopify.* to it).
type ShopifyAuth interface {
	// VerifySessionToken checks an App Bridge session token; EUNAUTHORIZED on any failure.
	VerifySessionToken(token string) (shopDomain, userID string, err error)
	// VerifyQuery checks the hmac of a query Shopify signed (OAuth callback, app-URL load).
	VerifyQuery(q url.Values) error
	// AuthorizeURL is the offline-token authorize URL of the code grant.
	AuthorizeURL(shop, redirectURI, state string) string
	// ExchangeSessionToken trades a verified session token for an expiring offline token.
	ExchangeSessionToken(ctx context.Context, shop, sessionToken string) (ritorno.ShopCredentials, error)
	// ExchangeCode trades the code of a verified callback for an offline token.
	ExchangeCode(ctx context.Context, shop, code string) (ritorno.ShopCredentials, error)
	// ShopDetails reads the shop's name, currency and time zone with its credentials.
	ShopDetails(ctx context.Context, shop string, creds ritorno.ShopCredentials) (ShopDetails, error)
}

// WooConnector is the WooCommerce adapter as the connect flow uses it.
type WooConnector interface {
	// AuthorizeURL is the store's /wc-auth/v1/authorize page, scope read_write.
	AuthorizeURL(storeURL, userID, returnURL, callbackURL string) (string, error)
	// ParseCallback decodes the key pair WooCommerce posts to the callback URL.
	ParseCallback(body []byte) (WooKeys, error)
	// StoreDetails checks the keys against the store's REST API and reads its name, currency and time zone.
	StoreDetails(ctx context.Context, storeURL, consumerKey, consumerSecret string) (ShopDetails, error)
	// NewWebhookSecret returns a fresh secret for the store's webhook signatures.
	NewWebhookSecret() string
	// CheckStoreURL refuses (EINVALID) a store whose host is or resolves to a loopback,
	// private, link-local or reserved address, unless local test stores are allowed. The
	// adapter checks every connection again; this is the early, clear answer.
	CheckStoreURL(ctx context.Context, storeURL string) error
}

// WooKeys is the key pair of a wc-auth callback; UserID is the connect token we passed.
type WooKeys struct {
	KeyID                                            int64
	UserID, ConsumerKey, ConsumerSecret, Permissions string
}

// ShopStore is what install needs of storage (cmd passes *store.DB).
type ShopStore interface {
	// ShopByDomain is ENOTFOUND when unknown; it returns uninstalled and redacted shops too.
	ShopByDomain(ctx context.Context, platform ritorno.PlatformName, domain string) (ritorno.Shop, error)
	CreateShop(ctx context.Context, shop ritorno.Shop, creds ritorno.ShopCredentials) (ritorno.Shop, error)
	Credentials(ctx context.Context, shopID int64) (ritorno.ShopCredentials, error)
	SetCredentials(ctx context.Context, shopID int64, creds ritorno.ShopCredentials) error
	// ReinstallShop sets the shop's status back to installed.
	ReinstallShop(ctx context.Context, shopID int64, at time.Time) (ritorno.Shop, error)
}

// Backfills starts and reports the import of a shop's past.
type Backfills interface {
	// StartBackfill is a no-op returning the current one if it is pending or running.
	StartBackfill(ctx context.Context, shopID int64) (ritorno.Backfill, error)
	// Backfill is ENOTFOUND when never started.
	Backfill(ctx context.Context, shopID int64) (ritorno.Backfill, error)
}

// App serves the merchant routes.
type App struct {
	cfg       Config
	pages     *template.Template
	secure    bool // AppURL is https: cookies get the Secure flag
	nonces    *usedNonces
	installMu keyedMutex
	// connects limits the unauthenticated WooCommerce connect flow per client address: each
	// step makes the server contact a store someone named.
	connects *web.Limiter
}

//go:embed templates/*.html
var templateFS embed.FS

// New builds an App. A StateKey shorter than 32 bytes is a wiring bug, so it panics, as
// a missing template would.
func New(cfg Config) *App {
	if len(cfg.StateKey) < 32 {
		panic("app: Config.StateKey must be at least 32 bytes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.AppURL = strings.TrimRight(cfg.AppURL, "/")
	return &App{
		cfg:      cfg,
		pages:    template.Must(template.ParseFS(templateFS, "templates/*.html")),
		secure:   strings.HasPrefix(cfg.AppURL, "https://"),
		nonces:   &usedNonces{seen: map[string]time.Time{}},
		connects: web.NewLimiter(web.Rate{PerSecond: 1 / connectEvery.Seconds(), Burst: connectBurst}, connectMaxAddresses, cfg.Now),
	}
}

// Register adds the merchant routes: the app URL and install flows, the admin API behind
// session tokens, and the WooCommerce connect flow.
func (a *App) Register(r gin.IRouter) {
	r.GET("/", a.home)
	r.GET(AdminLinkPath, a.localAdmin)
	r.GET("/auth/session-token-bounce", a.needShopify, a.bounce)
	r.GET("/auth/shopify", a.needShopify, a.beginShopifyAuth)
	r.POST("/auth/shopify", a.needShopify, a.beginShopifyAuth)
	r.GET("/auth/shopify/callback", a.needShopify, a.shopifyCallback)

	admin := r.Group("/api/admin", a.RequireSessionToken())
	admin.GET("/shop", a.getShop)
	admin.POST("/backfill", a.startBackfill)
	admin.GET("/kpis", a.needInsights, a.getKPIs)
	admin.GET("/cohorts", a.needInsights, a.getCohorts)
	admin.GET("/segments", a.needInsights, a.getSegments)
	admin.GET("/customers", a.needInsights, a.getCustomers)
	admin.GET("/customers/:key", a.needInsights, a.getCustomer)
	admin.GET("/recommendations", a.needRecommendations, a.getRecommendations)
	admin.GET("/recommendations/status", a.needRecommendations, a.getRecommendationStatus)
	admin.GET("/recommendations/performance", a.needRecommendations, a.getRecommendationPerformance)
	admin.GET("/recommendations/controls", a.needRecommendations, a.getRecommendationControls)
	admin.PUT("/recommendations/controls", a.needRecommendations, a.putRecommendationControls)

	woo := r.Group("/woocommerce", a.needWooCommerce)
	woo.GET("/connect", a.wooConnectPage)
	woo.POST("/connect", a.limitConnects, a.wooConnect)
	woo.POST("/callback", a.limitConnects, a.wooCallback)
	woo.GET("/connected", a.wooConnected)
}

func (a *App) needShopify(c *gin.Context) {
	if a.cfg.Shopify == nil {
		a.fail(c, "", ritorno.Errorf(ritorno.EUNAVAILABLE, "Shopify is not configured on this server (set SHOPIFY_API_KEY and SHOPIFY_API_SECRET)"))
	}
}

func (a *App) needWooCommerce(c *gin.Context) {
	if a.cfg.WooCommerce == nil {
		a.fail(c, "", ritorno.Errorf(ritorno.EUNAVAILABLE, "WooCommerce connections are not enabled on this server"))
	}
}

// frameAncestors sets the page's Content-Security-Policy: only the verified shop's admin
// may frame an embedded page (clickjacking); every other page may not be framed at all.
func frameAncestors(c *gin.Context, verifiedShop string) {
	if verifiedShop == "" {
		c.Header("Content-Security-Policy", "frame-ancestors 'none';")
		return
	}
	c.Header("Content-Security-Policy", "frame-ancestors https://"+verifiedShop+" https://admin.shopify.com;")
}

// render writes a page from the embedded templates.
func (a *App) render(c *gin.Context, status int, verifiedShop, page string, data any) {
	frameAncestors(c, verifiedShop)
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	var b strings.Builder
	if err := a.pages.ExecuteTemplate(&b, page, data); err != nil {
		web.Error(c, ritorno.Errorf(ritorno.EINTERNAL, "render %s: %v", page, err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", []byte(b.String()))
}

// fail answers a browser route with err: an HTML page when the client asks for HTML, the
// standard JSON error otherwise. The status is the one web.Error picks, so that the
// code-to-status mapping stays in one place.
func (a *App) fail(c *gin.Context, verifiedShop string, err error) {
	frameAncestors(c, verifiedShop)
	if c.NegotiateFormat(gin.MIMEJSON, gin.MIMEHTML) != gin.MIMEHTML {
		web.Error(c, err)
		return
	}
	orig := c.Writer
	capture := &statusCapture{ResponseWriter: orig, status: http.StatusInternalServerError}
	c.Writer = capture
	web.Error(c, err) // logs internal errors and aborts; its JSON body is swallowed
	c.Writer = orig
	c.Writer.Header().Del("Content-Type")
	a.render(c, capture.status, verifiedShop, "error.html", errorPage{
		Status: capture.status, Message: ritorno.ErrorMessage(err), RequestID: web.RequestID(c)})
}

type errorPage struct {
	Status    int
	Message   string
	RequestID string
}

// statusCapture records the status web.Error chooses and drops its body.
type statusCapture struct {
	gin.ResponseWriter
	status int
}

func (w *statusCapture) WriteHeader(code int)              { w.status = code }
func (w *statusCapture) WriteHeaderNow()                   {}
func (w *statusCapture) Write(b []byte) (int, error)       { return len(b), nil }
func (w *statusCapture) WriteString(s string) (int, error) { return len(s), nil }
func (w *statusCapture) Written() bool                     { return false }

// keyedMutex serializes work per key (one install per shop at a time in this process, so
// that two tabs opening the app do not both create the shop).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// startInstallBackfill starts the shop's import right after an install or a reinstall: the
// only implicit start. Opening the app for a shop already installed never starts one,
// since a shop without an import may be one its operator added with `ritorno shops add
// --no-backfill`, which nothing records apart from the missing import; the page shows
// "not started" and a button (POST /api/admin/backfill), as it does when this start
// failed. Failures are logged, not shown.
func (a *App) startInstallBackfill(ctx context.Context, shop ritorno.Shop) {
	if _, err := a.cfg.Backfills.StartBackfill(ctx, shop.ID); err != nil {
		a.cfg.Log.Error("start backfill", "shop", shop.Domain, "platform", string(shop.Platform), "err", err)
	}
}

// hadBackfill reports whether the shop's import was ever started. A failed read counts as
// none: the page then offers the start rather than the server guessing.
func (a *App) hadBackfill(ctx context.Context, shop ritorno.Shop) bool {
	_, err := a.cfg.Backfills.Backfill(ctx, shop.ID)
	if err != nil && ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		a.cfg.Log.Warn("read backfill", "shop", shop.Domain, "err", err)
	}
	return err == nil
}
