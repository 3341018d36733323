package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/jobs"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/shopcache"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/storefront"
	"github.com/ritorno/ritorno/web"
	"github.com/ritorno/ritorno/webhooks"
	"github.com/ritorno/ritorno/woocommerce"
)

// serveHooks let end-to-end tests observe and extend a real server; production passes none.
type serveHooks struct {
	onListen       func(addr string)   // called once the listener is bound
	extraRoutes    func(r *gin.Engine) // extra routes, e.g. a deliberately slow one
	noWorkers      bool                // acknowledge only, like a process that dies before processing
	platform       platformHTTP        // how the platforms are reached (fakes in tests)
	bulkPoll       time.Duration       // how often a Shopify backfill polls its export (0: 5 s)
	insightsEvery  time.Duration       // how often insights look for changed shops (0: 10 s)
	recommendEvery time.Duration       // how often recommendation models apply changes (0: 2 s)
}

func runServe(ctx context.Context, cfg Config, args []string, log *slog.Logger, stdout io.Writer, hooks serveHooks) error {
	fs := newFlagSet("serve")
	if err := parseFlags(ctx, fs, args, stdout, "Usage: ritorno serve\n\nRuns the HTTP server until SIGTERM or SIGINT, then stops accepting, lets in-flight\nrequests finish (RITORNO_SHUTDOWN_TIMEOUT) and closes the database. Creates the embedded\ndatabase and its key in RITORNO_DATA_DIR when missing. Configuration: ritorno help env.\n"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("serve takes no arguments")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	applyGC(cfg.GCPercent, cfg.MemoryLimit)
	m := &Main{cfg: cfg, log: log, hooks: hooks}
	if err := m.Open(ctx); err != nil {
		return err
	}
	m.printDemoLinks(stdout)
	return m.Run(ctx)
}

// printDemoLinks prints, when the demo is on, its store's address and the signed link to
// its admin: plain lines on standard output, not the JSON log, since they are what a
// newcomer running make run opens next.
func (m *Main) printDemoLinks(w io.Writer) {
	if m.demoAdminURL == "" {
		return
	}
	fmt.Fprintf(w, "\nDemo store:  %s/demo/store\nDemo admin:  %s\n             (no Shopify needed; the link works for %d hours, and ritorno admin-url --shop %s makes another)\n\n",
		m.cfg.AppURL, m.demoAdminURL, int(demoAdminLinkTTL.Hours()), m.demoShop)
}

// Main is a whole running server: what serve wires and what end-to-end tests boot.
type Main struct {
	cfg   Config
	log   *slog.Logger
	hooks serveHooks

	db         *store.DB
	registry   *prometheus.Registry
	handler    *gin.Engine
	server     *http.Server
	listener   net.Listener
	runner     *jobs.Runner
	purger     *jobs.Purger
	receiver   *webhooks.Receiver
	shops      *shopcache.Cache // one cache for the receiver, the storefront and the applier
	backfiller *history.Backfiller
	insights   *analytics.Scheduler
	recommend  *recommend.Service
	tasks      *jobs.Group // background work; Run waits for it before closing the database
	// demoShop is the demo shop's domain and demoAdminURL a signed link to its admin page,
	// both empty when the demo is off.
	demoShop, demoAdminURL string
}

// Open wires everything and binds the listener; it serves nothing yet.
func (m *Main) Open(ctx context.Context) error {
	// Database and schema; the effective configuration is logged once, secrets masked.
	if err := m.openDB(ctx); err != nil {
		return err
	}

	// Metrics: a registry of our own, not the global default (no globals).
	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Backfills: the import of each shop's past, from its platform.
	shopifyAuth := newShopifyAuth(m.cfg, m.hooks.platform)
	tokens := &shopifyTokens{db: m.db, refresher: &shopify.Refresher{Client: shopifyAuth.tokens}}
	m.backfiller = history.NewBackfiller(backfillStore{m.db},
		backfillSources(m.cfg, m.db, shopifyAuth, tokens, m.hooks.platform, m.hooks.bulkPoll, m.log.With("component", "backfill")),
		history.BackfillConfig{Log: m.log.With("component", "backfill")})

	// Insights: per-buyer figures, segments and predictions, kept current per shop.
	m.insights = &analytics.Scheduler{Store: m.db, Log: m.log.With("component", "insights")}

	// Recommendations: one model per shop in memory, kept current from storage.
	m.recommend = &recommend.Service{Store: m.db, Log: m.log.With("component", "recommend")}

	// One shop cache for the webhook receiver, the storefront and the applier: the applier
	// forgets a shop when it changes its status, and the others then see it at once. 5 s
	// bounds how long another replica's status change goes unseen.
	m.shops = shopcache.New(5*time.Second, nil)

	// Platform adapters and webhook processing.
	platforms := []ritorno.Platform{shopify.NewPlatform(), woocommerce.NewPlatform()}
	applier := history.NewApplier(historyStore{m.db}, platforms...)
	applier.UseShopCache(m.shops)
	applier.WhenExportFinishes(m.backfiller.WakeShop)
	m.runner = jobs.NewRunner(m.db, applier, jobs.Config{}, m.log.With("component", "jobs"), m.registry)
	m.purger = &jobs.Purger{Store: m.db, Retention: m.cfg.InboxRetention, Log: m.log.With("component", "purge")}
	m.receiver = webhooks.NewReceiver(webhooks.Config{
		Inbox:       m.db,
		Shops:       m.db,
		ShopCache:   m.shops,
		Shopify:     shopify.NewVerifier(m.cfg.ShopifyAPISecret, m.cfg.ShopifyPrevSecret),
		WooCommerce: woocommerce.Verifier{},
		Platforms:   platforms,
		Notify:      m.runner.Notify,
		Registry:    m.registry,
	})

	// The demo shop, when on, and the surfaces: merchant, shopper, webhooks.
	surfaces, err := m.surfaces(ctx, shopifyAuth)
	if err != nil {
		m.db.Close()
		return err
	}

	// HTTP.
	if err := m.listen(surfaces); err != nil {
		m.db.Close()
		return err
	}
	return nil
}

// openDB opens the database and applies pending migrations when configured to.
func (m *Main) openDB(ctx context.Context) error {
	db, err := openDatabase(ctx, &m.cfg)
	if err != nil {
		return err
	}
	m.db = db
	m.log.Info("starting", m.cfg.logAttrs()...)
	if m.cfg.MigrateOnStart {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		for _, mg := range applied {
			m.log.Info("migration applied", "version", mg.Version, "name", mg.Name)
		}
	}
	return nil
}

// surfaces builds the HTTP surfaces: the webhook receiver, the merchant's app, the
// shopper's storefront and widget, and the demo when on.
func (m *Main) surfaces(ctx context.Context, shopifyAuth *shopifyAuth) ([]func(gin.IRouter), error) {
	// The demo shop, when on: its store pages, and its admin through a signed link that
	// runServe prints (app.SignAdminLink), since it has no Shopify admin.
	var demo *storefront.Demo
	if m.cfg.Demo {
		var shop ritorno.Shop
		var err error
		if demo, shop, err = openDemo(ctx, m.cfg, m.db, m.log.With("component", "demo")); err != nil {
			return nil, err
		}
		m.demoShop = shop.Domain
		if m.demoAdminURL, _, err = adminLink(m.cfg, shop, time.Now(), demoAdminLinkTTL); err != nil {
			return nil, err
		}
	}

	// The merchant surface: install and connect flows, the embedded admin.
	appCfg := app.Config{AppURL: m.cfg.AppURL, ShopifyAPIKey: m.cfg.ShopifyAPIKey, ShopifyScopes: m.cfg.ShopifyScopes,
		StateKey: m.cfg.stateKey(), AllowHTTPStores: m.cfg.WooAllowHTTP, TrustProxy: m.cfg.TrustProxy, Shops: m.db,
		WooCommerce: wooConnector{allowHTTP: m.cfg.WooAllowHTTP, allowPrivate: m.cfg.WooAllowPrivate, net: m.hooks.platform},
		Backfills:   backfillStarter{db: m.db, backfiller: m.backfiller}, Insights: newAdminInsights(m.db),
		Recommendations: adminRecommendations{db: m.db, svc: m.recommend},
		Log:             m.log.With("component", "app"), DemoShop: m.demoShop}
	if m.cfg.ShopifyAPIKey != "" && m.cfg.ShopifyAPISecret != "" {
		appCfg.Shopify = shopifyAuth
	}
	merchant := app.New(appCfg)

	// The shopper surface: recommendations and their events, through the Shopify app proxy
	// and the WooCommerce public routes, and the widget itself.
	shopper := storefront.New(storefront.Config{Shops: m.db, ShopCache: m.shops, Recommender: m.recommend,
		Events: m.db, ShopifySecret: m.cfg.ShopifyAPISecret, ShopifyPreviousSecret: m.cfg.ShopifyPrevSecret,
		TrackingKey: m.cfg.trackingKey(), TrustProxy: m.cfg.TrustProxy, Log: m.log.With("component", "storefront")})
	surfaces := []func(gin.IRouter){m.receiver.Register, merchant.Register, shopper.Register, storefront.RegisterWidget}
	if demo != nil {
		surfaces = append(surfaces, demo.Register)
	}
	return surfaces, nil
}

// listen builds the router and binds the listener.
func (m *Main) listen(surfaces []func(gin.IRouter)) error {
	m.handler = newRouter(m.log, m.registry, m.db, m.cfg.MaxBodyBytes, surfaces...)
	if m.hooks.extraRoutes != nil {
		m.hooks.extraRoutes(m.handler)
	}
	m.server = &http.Server{
		Handler:           m.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", m.cfg.Addr)
	if err != nil {
		return configErrorf("listen on %s: %v", m.cfg.Addr, err)
	}
	m.listener = ln
	if m.hooks.onListen != nil {
		m.hooks.onListen(ln.Addr().String())
	}
	return nil
}

// Run serves until ctx is done, then shuts down within the configured time: stop
// accepting, let in-flight requests finish, drain workers, close the database.
func (m *Main) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	var tasks []jobs.Task
	if !m.hooks.noWorkers {
		tasks = m.background()
	}
	m.tasks = jobs.Start(workCtx, m.log.With("component", "background"), tasks...)

	serveErr := make(chan error, 1)
	go func() { serveErr <- m.server.Serve(m.listener) }()
	m.log.Info("listening", "addr", m.listener.Addr().String())

	select {
	case err := <-serveErr:
		m.receiver.Close()
		stopWork()
		<-m.tasks.Done()
		m.db.Close()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	m.log.Info("shutting down", "timeout", m.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
	defer cancel()

	err := m.server.Shutdown(shutdownCtx)
	if err != nil {
		m.log.Error("requests still running at the shutdown deadline; closing them", "err", err)
		m.server.Close()
	}
	m.receiver.Close()
	// Background work stops after HTTP: a delivery acknowledged a moment ago is still
	// processed now if it can be, and otherwise after the next start.
	stopWork()
	select {
	case <-m.tasks.Done():
	case <-shutdownCtx.Done():
		err = errors.Join(err, fmt.Errorf("background tasks still running at the shutdown deadline: %s", strings.Join(m.tasks.Running(), ", ")))
	}
	if cerr := m.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
	}
	if err != nil {
		return err
	}
	m.log.Info("stopped")
	return nil
}

// background is all the work serve does besides answering requests, in one place: each
// task's name, how often its step runs, and the step. Every task stops when Run's work
// context ends, and Run waits for the steps running then.
func (m *Main) background() []jobs.Task {
	return []jobs.Task{
		// Event-driven: woken by every delivery acknowledged, and polling every second for
		// due retries; it finishes what it claimed before it stops.
		{Name: "inbox", Loop: m.runner.Run},
		{Name: "inbox-purge", Every: time.Hour, Jitter: 5 * time.Minute, Step: m.purger.Purge},
		// A worker per backfill running at once, woken when a merchant starts one.
		{Name: "backfill", Every: 5 * time.Second, Workers: 2, Wake: m.backfiller.Due(), Step: m.backfiller.RunDue},
		{Name: "insights", Every: orDefault(m.hooks.insightsEvery, 10*time.Second), Step: m.insights.Tick},
		// Woken when a shop's model is first asked for or its controls change.
		{Name: "recommend", Every: orDefault(m.hooks.recommendEvery, 2*time.Second), Wake: m.recommend.Due(), Step: m.recommend.Refresh},
		{Name: "recommend-warm", Step: m.warmRecommendations}, // once, at start
	}
}

// orDefault is d, or def when d is unset (a test's hook).
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// newRouter builds the HTTP handler: shared middleware, then each surface's routes.
func newRouter(log *slog.Logger, reg *prometheus.Registry, db *store.DB, maxBody int64, surfaces ...func(gin.IRouter)) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true // handlers' c.Request.Context() ends when the client goes
	metrics := web.NewHTTPMetrics(reg)
	r.Use(web.RequestIDs(log), web.AccessLog(), metrics.Middleware(), web.Recovery(), web.BodyLimit(maxBody))
	r.NoRoute(func(c *gin.Context) { web.Error(c, ritorno.Errorf(ritorno.ENOTFOUND, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, web.ErrorResponse{
			Error: web.ErrorBody{Code: "method_not_allowed", Message: "method not allowed"}, RequestID: web.RequestID(c)})
	})

	// Operations: liveness, readiness, metrics.
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ready(ctx); err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))

	// The product's surfaces, each registering its own routes.
	for _, register := range surfaces {
		register(r)
	}
	return r
}

// warmRecommendations asks for the models of every installed shop, so that the first
// shopper of each does not find them still being built.
func (m *Main) warmRecommendations(ctx context.Context) error {
	shops, err := m.db.ListShops(ctx)
	if err != nil {
		return fmt.Errorf("recommendations: list shops: %w", err)
	}
	for _, s := range shops {
		if s.Status == ritorno.ShopInstalled {
			m.recommend.Warm(s.ID)
		}
	}
	return nil
}
