package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// Token is an Admin API access token as the token endpoint grants it. A zero ExpiresAt
// means a non-expiring token; an expiring one comes with a refresh token, which each
// refresh replaces.
type Token struct {
	AccessToken           string
	RefreshToken          string
	Scope                 string // as granted, comma-separated
	ExpiresAt             time.Time
	RefreshTokenExpiresAt time.Time
}

// String hides the secrets, so a Token printed by mistake leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("shopify.Token{scope=%q expires=%s}", t.Scope, t.ExpiresAt.Format(time.RFC3339))
}

// GoString hides the secrets from %#v too.
func (t Token) GoString() string { return t.String() }

// LogValue hides the secrets from slog.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("scope", t.Scope), slog.Time("expires_at", t.ExpiresAt))
}

// The token-exchange grant's constants (RFC 8693 names, Shopify's token types).
const (
	grantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeOfflineAccess = "urn:shopify:params:oauth:token-type:offline-access-token"
)

// TokenClient talks to a shop's token endpoint, POST https://{shop}/admin/oauth/access_token,
// with the app's credentials. It never puts a token or the secret in an error.
type TokenClient struct {
	APIKey, APISecret string
	HTTP              *http.Client             // nil: a client with a timeout that follows no redirects
	BaseURL           func(shop string) string // nil: "https://" + shop; tests point it at httptest
	Now               func() time.Time         // nil: time.Now
}

// defaultHTTP bounds every call and does not follow redirects: a redirected POST could
// carry the client secret to another host.
var defaultHTTP = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (c *TokenClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// ExchangeCode trades an authorization code from a verified callback for an offline
// token. It asks for an expiring token (with a refresh token): public apps must use them
// (protocols §4.4).
func (c *TokenClient) ExchangeCode(ctx context.Context, shop, code string) (Token, error) {
	return c.post(ctx, shop, map[string]string{"code": code, "expiring": "1"}, "")
}

// ExchangeSessionToken trades a verified session token for an offline access token
// (token exchange), expiring with a refresh token when expiring is set.
func (c *TokenClient) ExchangeSessionToken(ctx context.Context, shop, sessionToken string, expiring bool) (Token, error) {
	exp := "0"
	if expiring {
		exp = "1"
	}
	return c.post(ctx, shop, map[string]string{
		"grant_type":           grantTokenExchange,
		"subject_token":        sessionToken,
		"subject_token_type":   tokenTypeIDToken,
		"requested_token_type": tokenTypeOfflineAccess,
		"expiring":             exp,
	}, "")
}

// Refresh trades a refresh token for a new access token and a new refresh token. The
// new pair must be stored before use: once the new refresh token is used, the old one is
// dead. Prefer Refresher.Fresh, which also serializes refreshes per shop.
func (c *TokenClient) Refresh(ctx context.Context, shop, refreshToken string) (Token, error) {
	return c.post(ctx, shop, map[string]string{"grant_type": "refresh_token", "refresh_token": refreshToken}, refreshToken)
}

// oauthErrorCode keeps only a well-formed OAuth error code ("invalid_grant") from a
// response; descriptions are free text and are not repeated.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// post sends one grant. previousRefresh is kept as the refresh token when a refresh
// response does not rotate it.
func (c *TokenClient) post(ctx context.Context, shop string, grant map[string]string, previousRefresh string) (Token, error) {
	// The client secret goes in the body: only ever to a real shop domain.
	if err := ritorno.ValidateShopifyDomain(shop); err != nil {
		return Token{}, err
	}
	if c.APIKey == "" || c.APISecret == "" {
		return Token{}, ritorno.Errorf(ritorno.EINVALID, "token client has no API key or secret")
	}
	grant["client_id"], grant["client_secret"] = c.APIKey, c.APISecret
	body, err := json.Marshal(grant)
	if err != nil {
		return Token{}, err
	}
	base := "https://" + shop
	if c.BaseURL != nil {
		base = c.BaseURL(shop)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/oauth/access_token", bytes.NewReader(body))
	if err != nil {
		return Token{}, ritorno.Errorf(ritorno.EINVALID, "token endpoint URL for %s is malformed", shop)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	// Lifetimes count from before the request, so the expiry we store is never later
	// than Shopify's.
	start := c.now()
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Token{}, ctx.Err()
		}
		return Token{}, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "token endpoint of %s unreachable", shop), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, ritorno.Errorf(ritorno.EUNAVAILABLE, "token endpoint of %s: response cut short", shop)
	}
	if resp.StatusCode != http.StatusOK {
		return Token{}, tokenStatusError(shop, resp, raw)
	}
	var r struct {
		AccessToken           string `json:"access_token"`
		Scope                 string `json:"scope"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshToken          string `json:"refresh_token"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	}
	if json.Unmarshal(raw, &r) != nil || r.AccessToken == "" {
		return Token{}, ritorno.Errorf(ritorno.EUNAVAILABLE, "token endpoint of %s answered without an access token", shop)
	}
	t := Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, Scope: r.Scope}
	if r.ExpiresIn > 0 {
		t.ExpiresAt = start.Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	if r.RefreshTokenExpiresIn > 0 {
		t.RefreshTokenExpiresAt = start.Add(time.Duration(r.RefreshTokenExpiresIn) * time.Second)
	}
	if t.RefreshToken == "" {
		t.RefreshToken = previousRefresh
	}
	return t, nil
}

// tokenStatusError maps a refusal to a coded error. 400/401/403 mean the grant is bad
// (code used, session token expired, refresh token dead): the merchant's session must
// start over; 429 and 5xx are worth retrying later.
func tokenStatusError(shop string, resp *http.Response, raw []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	reason := ""
	if oauthErrorCode.MatchString(e.Error) {
		reason = " (" + e.Error + ")"
	}
	switch s := resp.StatusCode; {
	case s == http.StatusBadRequest, s == http.StatusUnauthorized, s == http.StatusForbidden:
		return ritorno.Errorf(ritorno.EUNAUTHORIZED, "token endpoint of %s refused the grant: HTTP %d%s", shop, s, reason)
	case s == http.StatusTooManyRequests:
		return ritorno.Errorf(ritorno.ERATELIMITED, "token endpoint of %s: too many requests", shop)
	case s == http.StatusNotFound:
		return ritorno.Errorf(ritorno.ENOTFOUND, "token endpoint of %s: no such shop", shop)
	default:
		return ritorno.Errorf(ritorno.EUNAVAILABLE, "token endpoint of %s: HTTP %d%s", shop, s, reason)
	}
}

// DefaultRefreshMargin is how long before expiry Refresher.Fresh renews a token: long
// enough that a token handed to a job does not die mid-request.
const DefaultRefreshMargin = 5 * time.Minute

// refreshTimeout bounds a refresh that runs on after its caller gave up (see Fresh).
const refreshTimeout = time.Minute

// Refresher keeps expiring offline tokens fresh, one refresh at a time per shop. A
// refresh spends the refresh token, so two concurrent refreshes of the same shop would
// race: one pair would be lost. The zero value is not usable; set Client.
type Refresher struct {
	Client *TokenClient
	Margin time.Duration // 0: DefaultRefreshMargin

	mu    sync.Mutex
	shops map[string]*refresh // the running or last successful refresh per shop
}

// refresh is one refresh of a shop's token, shared by every caller holding the same
// refresh token.
type refresh struct {
	from string        // the refresh token spent
	done chan struct{} // closed when tok and err are set
	tok  Token
	err  error
}

// Fresh returns current when it is good for longer than the margin (or never expires);
// otherwise it refreshes, calls save with the new token, and returns it only once save
// succeeded: after rotation only the new refresh token will work, so it must be stored
// before anything uses it. Concurrent callers for the same shop share one refresh (save
// is called once, by the caller that started it); a caller that arrives late with the
// refresh token just spent gets the same new token instead of spending it again.
func (r *Refresher) Fresh(ctx context.Context, shop string, current Token, save func(Token) error) (Token, error) {
	margin := r.Margin
	if margin == 0 {
		margin = DefaultRefreshMargin
	}
	if current.ExpiresAt.IsZero() || current.ExpiresAt.Sub(r.Client.now()) > margin {
		return current, nil
	}
	if current.RefreshToken == "" {
		return Token{}, ritorno.Errorf(ritorno.EUNAUTHORIZED, "token of %s expires and has no refresh token: reinstall needed", shop)
	}
	for {
		r.mu.Lock()
		if r.shops == nil {
			r.shops = map[string]*refresh{}
		}
		f := r.shops[shop]
		if f == nil {
			f = &refresh{from: current.RefreshToken, done: make(chan struct{})}
			r.shops[shop] = f
			r.mu.Unlock()
			r.run(ctx, shop, f, save)
			return f.tok, f.err
		}
		r.mu.Unlock()

		select {
		case <-f.done:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
		if f.from == current.RefreshToken {
			return f.tok, f.err // the refresh we would have made
		}
		// Another token's refresh: now that it is over, remove it unless a newer one
		// replaced it, then try again with ours.
		r.mu.Lock()
		if r.shops[shop] == f {
			delete(r.shops, shop)
		}
		r.mu.Unlock()
	}
}

// run performs f and publishes its result. It is detached from the caller's
// cancellation: once the request is sent the old refresh token may be spent, and
// dropping the answer before it is saved would lose the shop's only valid pair.
func (r *Refresher) run(ctx context.Context, shop string, f *refresh, save func(Token) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	f.tok, f.err = r.Client.Refresh(ctx, shop, f.from)
	if f.err == nil {
		if err := save(f.tok); err != nil {
			f.tok, f.err = Token{}, fmt.Errorf("save refreshed token of %s: %w", shop, err)
		}
	}
	r.mu.Lock()
	if f.err != nil {
		// Forget failures so the next caller tries again rather than reading a stale error.
		delete(r.shops, shop)
	}
	r.mu.Unlock()
	close(f.done)
}
