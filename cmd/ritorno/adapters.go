package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/woocommerce"
)

// Adapters between the surfaces (app), the engines (history, analytics, recommend), the
// store and the platform packages: the only place they meet (ARCHITECTURE "What may
// import what").

// platformHTTP is how Ritorno reaches the platforms; tests point it at their fakes.
type platformHTTP struct {
	client         *http.Client             // nil: each package's default
	shopifyBaseURL func(shop string) string // nil: https://{shop}
}

// shopifyAuth implements app.ShopifyAuth with the shopify package.
type shopifyAuth struct {
	cfg    Config
	tokens *shopify.TokenClient
	net    platformHTTP
}

var _ app.ShopifyAuth = (*shopifyAuth)(nil)

func newShopifyAuth(cfg Config, net platformHTTP) *shopifyAuth {
	return &shopifyAuth{cfg: cfg, net: net, tokens: &shopify.TokenClient{
		APIKey: cfg.ShopifyAPIKey, APISecret: cfg.ShopifyAPISecret, HTTP: net.client, BaseURL: net.shopifyBaseURL}}
}

// VerifySessionToken accepts tokens signed with the current secret or, during a rotation,
// the previous one.
func (s *shopifyAuth) VerifySessionToken(token string) (string, string, error) {
	claims, shop, err := shopify.VerifySessionToken(token, s.cfg.ShopifyAPIKey, s.cfg.ShopifyAPISecret, time.Now())
	if err != nil && s.cfg.ShopifyPrevSecret != "" {
		claims, shop, err = shopify.VerifySessionToken(token, s.cfg.ShopifyAPIKey, s.cfg.ShopifyPrevSecret, time.Now())
	}
	return shop, claims.Sub, err
}

func (s *shopifyAuth) VerifyQuery(q url.Values) error {
	err := shopify.VerifyCallbackQuery(q, s.cfg.ShopifyAPISecret)
	if err != nil && s.cfg.ShopifyPrevSecret != "" {
		err = shopify.VerifyCallbackQuery(q, s.cfg.ShopifyPrevSecret)
	}
	return err
}

func (s *shopifyAuth) AuthorizeURL(shop, redirectURI, state string) string {
	return shopify.AuthorizeURL(shop, s.cfg.ShopifyAPIKey, s.cfg.ShopifyScopes, redirectURI, state)
}

func (s *shopifyAuth) ExchangeSessionToken(ctx context.Context, shop, sessionToken string) (ritorno.ShopCredentials, error) {
	tok, err := s.tokens.ExchangeSessionToken(ctx, shop, sessionToken, true)
	return credentialsOf(tok), err
}

func (s *shopifyAuth) ExchangeCode(ctx context.Context, shop, code string) (ritorno.ShopCredentials, error) {
	tok, err := s.tokens.ExchangeCode(ctx, shop, code)
	return credentialsOf(tok), err
}

func (s *shopifyAuth) ShopDetails(ctx context.Context, shop string, creds ritorno.ShopCredentials) (app.ShopDetails, error) {
	d, err := shopify.ReadShopDetails(ctx, s.graphQL(shop, func(context.Context) (string, error) { return creds.AccessToken, nil }))
	return app.ShopDetails{Name: d.Name, Currency: d.Currency, Timezone: d.Timezone}, err
}

func (s *shopifyAuth) graphQL(shop string, token func(context.Context) (string, error)) *shopify.GraphQLClient {
	c := &shopify.GraphQLClient{Shop: shop, APIVersion: s.cfg.ShopifyAPIVersion, HTTP: s.net.client, TokenSource: token}
	if s.net.shopifyBaseURL != nil {
		c.BaseURL = s.net.shopifyBaseURL(shop)
	}
	return c
}

func credentialsOf(t shopify.Token) ritorno.ShopCredentials {
	return ritorno.ShopCredentials{AccessToken: t.AccessToken, AccessTokenExpiresAt: t.ExpiresAt, RefreshToken: t.RefreshToken,
		RefreshTokenExpiresAt: t.RefreshTokenExpiresAt, Scopes: t.Scope}
}

func tokenOf(c ritorno.ShopCredentials) shopify.Token {
	return shopify.Token{AccessToken: c.AccessToken, ExpiresAt: c.AccessTokenExpiresAt, RefreshToken: c.RefreshToken,
		RefreshTokenExpiresAt: c.RefreshTokenExpiresAt, Scope: c.Scopes}
}

// shopifyTokens hands out a shop's access token, refreshed before it expires. The stored
// pair is read on every call, so a refresh another process made is used rather than
// repeated; within this process the Refresher lets one refresh per shop run at a time.
type shopifyTokens struct {
	db        *store.DB
	refresher *shopify.Refresher
}

func (t *shopifyTokens) source(shop ritorno.Shop) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		creds, err := t.db.Credentials(ctx, shop.ID)
		if err != nil {
			return "", err
		}
		if creds.AccessToken == "" {
			return "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "shop %s has no access token: reinstall the app", shop.Domain)
		}
		fresh, err := t.refresher.Fresh(ctx, shop.Domain, tokenOf(creds), func(nt shopify.Token) error {
			updated := creds
			updated.AccessToken, updated.AccessTokenExpiresAt = nt.AccessToken, nt.ExpiresAt
			updated.RefreshToken, updated.RefreshTokenExpiresAt = nt.RefreshToken, nt.RefreshTokenExpiresAt
			if nt.Scope != "" {
				updated.Scopes = nt.Scope
			}
			return t.db.SetCredentials(ctx, shop.ID, updated)
		})
		return fresh.AccessToken, err
	}
}

// wooConnector implements app.WooConnector with the woocommerce package.
type wooConnector struct {
	allowHTTP    bool
	allowPrivate bool // RITORNO_WOOCOMMERCE_ALLOW_PRIVATE: a local test store
	net          platformHTTP
}

var _ app.WooConnector = wooConnector{}

func (w wooConnector) AuthorizeURL(storeURL, userID, returnURL, callbackURL string) (string, error) {
	return woocommerce.AuthorizeURL(storeURL, "Ritorno", userID, returnURL, callbackURL, woocommerce.ScopeReadWrite)
}

func (w wooConnector) ParseCallback(body []byte) (app.WooKeys, error) {
	cb, err := woocommerce.ParseAuthCallback(body)
	if err != nil {
		return app.WooKeys{}, err
	}
	return app.WooKeys{KeyID: cb.KeyID, UserID: cb.UserID, ConsumerKey: cb.ConsumerKey, ConsumerSecret: cb.ConsumerSecret, Permissions: cb.KeyPermissions}, nil
}

func (w wooConnector) StoreDetails(ctx context.Context, storeURL, consumerKey, consumerSecret string) (app.ShopDetails, error) {
	c, err := w.client(storeURL, consumerKey, consumerSecret)
	if err != nil {
		return app.ShopDetails{}, err
	}
	name, currency, tz, err := c.StoreDetails(ctx)
	return app.ShopDetails{Name: name, Currency: currency, Timezone: tz}, err
}

func (w wooConnector) NewWebhookSecret() string { return woocommerce.NewWebhookSecret() }

func (w wooConnector) CheckStoreURL(ctx context.Context, storeURL string) error {
	if w.allowPrivate {
		return nil
	}
	return woocommerce.CheckStoreURL(ctx, storeURL, nil)
}

func (w wooConnector) client(storeURL, ck, cs string) (*woocommerce.Client, error) {
	c, err := woocommerce.NewClient(storeURL, ck, cs, w.allowHTTP)
	if err != nil {
		return nil, err
	}
	c.AllowPrivate = w.allowPrivate
	if w.net.client != nil {
		c.HTTP = w.net.client
	}
	return c, nil
}

// backfillStarter starts a backfill and wakes the Backfiller, so an install is imported
// at once rather than at the next poll.
type backfillStarter struct {
	db         *store.DB
	backfiller *history.Backfiller
}

func (b backfillStarter) StartBackfill(ctx context.Context, shopID int64) (ritorno.Backfill, error) {
	bf, err := b.db.StartBackfill(ctx, shopID)
	if err == nil {
		b.backfiller.Notify()
	}
	return bf, err
}

func (b backfillStarter) Backfill(ctx context.Context, shopID int64) (ritorno.Backfill, error) {
	return b.db.Backfill(ctx, shopID)
}

// backfillStore binds a backfill page's writes to one store transaction.
type backfillStore struct{ *store.DB }

func (s backfillStore) InBackfillTransaction(ctx context.Context, fn func(history.BackfillWriter) error) error {
	return s.DB.InTransaction(ctx, func(tx *store.DB) error { return fn(tx) })
}

// backfillSources builds each shop's platform source with its credentials.
func backfillSources(cfg Config, db *store.DB, auth *shopifyAuth, tokens *shopifyTokens, net platformHTTP, bulkPoll time.Duration, log *slog.Logger) history.SourceFactory {
	return func(ctx context.Context, shop ritorno.Shop, wake <-chan struct{}) (history.BackfillSource, error) {
		creds, err := db.Credentials(ctx, shop.ID)
		if err != nil {
			return nil, err
		}
		switch shop.Platform {
		case ritorno.Shopify:
			return shopify.NewBackfillSource(shopify.BackfillConfig{
				Client: auth.graphQL(shop.Domain, tokens.source(shop)), ShopCurrency: shop.Currency,
				Scopes: creds.Scopes, Wake: wake, HTTP: net.client, Poll: bulkPoll,
			}), nil
		case ritorno.WooCommerce:
			c, err := wooConnector{allowHTTP: cfg.WooAllowHTTP, allowPrivate: cfg.WooAllowPrivate, net: net}.client(shop.Domain, creds.ConsumerKey, creds.ConsumerSecret)
			if err != nil {
				return nil, err
			}
			return woocommerce.NewBackfillSource(woocommerce.BackfillConfig{
				Client: c, ShopCurrency: shop.Currency, WebhookSecret: creds.WebhookSecret,
				DeliveryURL: cfg.AppURL + "/webhooks/woocommerce/" + shop.ConnectionKey, Log: log,
			}), nil
		}
		return nil, ritorno.Errorf(ritorno.EINVALID, "no backfill for platform %q", shop.Platform)
	}
}

// historyStore lets history apply a batch of deliveries in one store transaction.
type historyStore struct{ *store.DB }

func (s historyStore) InTransaction(ctx context.Context, fn func(history.Store) error) error {
	return s.DB.InTransaction(ctx, func(tx *store.DB) error { return fn(historyStore{tx}) })
}

var _ history.BuyerReader = historyStore{}

// BuyerOrders is a page of a buyer's orders, for history.HistoryOf.
func (s historyStore) BuyerOrders(ctx context.Context, shopID int64, buyer ritorno.Buyer, after int64) ([]ritorno.Order, error) {
	return s.ListOrders(ctx, shopID, store.OrderFilter{Buyer: buyer, After: after})
}

// adminInsights implements app.Insights: period figures computed from the stored orders
// by analytics, per-buyer insights read as precomputed.
type adminInsights struct {
	db  *store.DB
	svc *analytics.Service
}

var _ app.Insights = adminInsights{}

func newAdminInsights(db *store.DB) adminInsights {
	return adminInsights{db: db, svc: analytics.NewService(db, nil)}
}

func (s adminInsights) Period(ctx context.Context, shopID int64, from, to, lookbackFrom time.Time) (analytics.ShopFigures, error) {
	return s.svc.Period(ctx, shopID, from, to, lookbackFrom)
}

func (s adminInsights) Cohorts(ctx context.Context, shopID int64) (analytics.CohortTable, error) {
	return s.svc.Cohorts(ctx, shopID)
}

func (s adminInsights) ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error) {
	return s.db.ShopInsight(ctx, shopID)
}

func (s adminInsights) Segments(ctx context.Context, shopID int64) ([]app.SegmentRow, error) {
	shop, err := s.db.Shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	sums, err := s.db.SegmentSummaries(ctx, shopID, shop.Currency)
	if err != nil {
		return nil, err
	}
	rows := make([]app.SegmentRow, len(sums))
	for i, r := range sums {
		rows[i] = app.SegmentRow{Segment: r.Segment, Customers: r.Customers, NetSpent: r.NetSpent,
			MeanExpectedValue: r.MeanExpectedValue, PredictedCustomers: r.PredictedCustomers}
	}
	return rows, nil
}

func (s adminInsights) Customers(ctx context.Context, shopID int64, q app.CustomerQuery) ([]ritorno.CustomerInsight, int64, error) {
	return s.db.ListCustomerInsights(ctx, shopID, store.InsightFilter{Segment: q.Segment, Query: q.Q, Sort: q.Sort, Limit: q.Limit, Offset: q.Offset})
}

func (s adminInsights) Customer(ctx context.Context, shopID, key int64) (ritorno.CustomerInsight, error) {
	return s.db.CustomerInsight(ctx, shopID, key)
}

// adminRecommendations implements app.Recommendations: the engine's answers and status,
// the controls as stored.
type adminRecommendations struct {
	db  *store.DB
	svc *recommend.Service
}

var _ app.Recommendations = adminRecommendations{}

func (r adminRecommendations) Recommend(ctx context.Context, shopID int64, req recommend.Request) (recommend.Response, error) {
	return r.svc.Recommend(ctx, shopID, req)
}

func (r adminRecommendations) Status(shopID int64) recommend.Status { return r.svc.Status(shopID) }

func (r adminRecommendations) Controls(ctx context.Context, shopID int64) (ritorno.RecommendControls, error) {
	return r.db.RecommendControls(ctx, shopID)
}

// SetControls stores the controls and has the engine apply them on its next round (other
// servers notice them by their new UpdatedAt).
func (r adminRecommendations) SetControls(ctx context.Context, shopID int64, c ritorno.RecommendControls) error {
	if err := r.db.SetRecommendControls(ctx, shopID, c); err != nil {
		return err
	}
	r.svc.ControlsChanged(shopID)
	return nil
}

func (r adminRecommendations) Performance(ctx context.Context, shopID int64, from, to time.Time) (ritorno.RecommendationPerformance, error) {
	return r.db.RecommendationPerformance(ctx, shopID, from, to)
}
