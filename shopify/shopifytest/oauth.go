package shopifytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno/shopify"
)

// Token lifetimes of expiring offline tokens (protocols §4.4).
const (
	AccessTokenLifetime  = time.Hour
	RefreshTokenLifetime = 90 * 24 * time.Hour
)

// The token-exchange grant's constants (protocols §4.3).
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeOffline   = "urn:shopify:params:oauth:token-type:offline-access-token"
)

// grant is one issued access token with its refresh token (when expiring). Rotation
// (protocols §4.4): the refresh token of parent, which produced this grant, stays valid
// until this grant's access or refresh token is first used.
type grant struct {
	shop        string
	scope       string
	accessToken string
	accessExp   time.Time // zero: never expires
	refreshTok  string    // "" for a non-expiring token
	refreshExp  time.Time
	parent      *grant
	used        bool // its access or refresh token has been used
	replaced    bool // a grant made from its refresh token has been used: that token is dead
}

// use records a use of g's access or refresh token, which ends its parent's refresh
// token. Call with mu held.
func (g *grant) use() {
	if !g.used {
		g.used = true
		if g.parent != nil {
			g.parent.replaced = true
		}
	}
}

// issue grants a new offline token for sh. Call with mu held.
func (s *Server) issue(sh *shop, expiring bool, parent *grant) *grant {
	now := s.now()
	g := &grant{shop: sh.domain, scope: strings.Join(sh.scopes, ","), accessToken: "shpat_" + randomHex(16), parent: parent}
	if expiring {
		g.accessExp = now.Add(AccessTokenLifetime)
		g.refreshTok = "shprt_" + randomHex(16)
		g.refreshExp = now.Add(RefreshTokenLifetime)
		s.refresh[g.refreshTok] = g
	}
	s.access[g.accessToken] = g
	return g
}

// response is the token endpoint's answer for g.
func (g *grant) response() map[string]any {
	r := map[string]any{"access_token": g.accessToken, "scope": g.scope}
	if g.refreshTok != "" {
		r["expires_in"] = int64(AccessTokenLifetime / time.Second)
		r["refresh_token"] = g.refreshTok
		r["refresh_token_expires_in"] = int64(RefreshTokenLifetime / time.Second)
	}
	return r
}

// IssueToken grants shop an offline token directly, as if the app had installed: a
// shortcut for tests that start after the install. expiring gives it a refresh token.
func (s *Server) IssueToken(shop string, expiring bool) shopify.Token {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[strings.ToLower(shop)]
	if sh == nil {
		s.t.Fatalf("shopifytest.IssueToken: unknown shop %s (AddShop first)", shop)
	}
	g := s.issue(sh, expiring, nil)
	return shopify.Token{AccessToken: g.accessToken, RefreshToken: g.refreshTok, Scope: g.scope,
		ExpiresAt: g.accessExp, RefreshTokenExpiresAt: g.refreshExp}
}

// SessionToken returns an App Bridge session token for shop and staff user (a numeric id;
// "" leaves sub out) issued at now: HS256 with the app secret, aud the API key, dest
// https://shop, iss https://shop/admin, valid for one minute.
func (s *Server) SessionToken(shop, user string, now time.Time) string {
	dest := "https://" + strings.ToLower(shop)
	return shopify.SignSessionToken(shopify.SessionClaims{
		Iss: dest + "/admin", Dest: dest, Aud: s.APIKey, Sub: user,
		Jti: uuid(), Sid: randomHex(16),
		Exp: now.Add(time.Minute).Unix(), Nbf: now.Unix(), Iat: now.Unix(),
	}, s.APISecret)
}

// CallbackQuery returns the query Shopify appends to the redirect_uri once the merchant
// of shop has approved the install: code, hmac, host, shop, state and timestamp (now),
// signed with the app secret. code "" picks a random one; either way the fake issues it,
// for one use at the token endpoint.
func (s *Server) CallbackQuery(shop, state, code string, now time.Time) url.Values {
	return s.callback(url.Values{}, shop, state, code, now)
}

// callback adds the callback parameters to q and signs the whole of it.
func (s *Server) callback(q url.Values, shop, state, code string, now time.Time) url.Values {
	shop = strings.ToLower(shop)
	if code == "" {
		code = randomHex(16)
	}
	s.mu.Lock()
	s.codes[code] = shop
	s.mu.Unlock()
	handle, _, _ := strings.Cut(shop, ".")
	q.Set("code", code)
	q.Set("host", base64.RawURLEncoding.EncodeToString([]byte("admin.shopify.com/store/"+handle)))
	q.Set("shop", shop)
	q.Set("state", state)
	q.Set("timestamp", strconv.FormatInt(now.Unix(), 10))
	q.Set("hmac", shopify.SignCallbackQuery(q, s.APISecret))
	return q
}

// handleAuthorize stands in for the merchant approving the install: it redirects straight
// to redirect_uri with a signed callback query, so a browser-like test can follow it.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sh := s.shopFor(r)
	s.mu.Unlock()
	q := r.URL.Query()
	if sh == nil {
		http.Error(w, "There's no page at this address.", http.StatusNotFound)
		return
	}
	if q.Get("client_id") != s.APIKey {
		http.Error(w, "Oauth error invalid_request: The client_id is invalid", http.StatusBadRequest)
		return
	}
	target, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !target.IsAbs() {
		http.Error(w, "Oauth error invalid_request: The redirect_uri is missing or not valid", http.StatusBadRequest)
		return
	}
	// Parameters the redirect_uri already has are signed along with Shopify's own.
	target.RawQuery = s.callback(target.Query(), sh.domain, q.Get("state"), "", s.Now()).Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// oauthError answers an OAuth error as Shopify's token endpoint does.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// tokenParams reads a token request's body, JSON (what our client sends) or a form.
func tokenParams(r *http.Request) (map[string]string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		out := map[string]string{}
		for k := range r.PostForm {
			out[k] = r.PostForm.Get(k)
		}
		return out, nil
	}
	var raw map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
		default: // "expiring": 1 and the like
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// handleToken is POST /admin/oauth/access_token: the code grant, token exchange and
// refresh (protocols §4.2-4.4).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	p, err := tokenParams(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	refuse := func(status int, code, description string) {
		s.stats.TokenRefusals++
		oauthError(w, status, code, description)
	}
	sh := s.shopFor(r)
	switch {
	case sh == nil:
		s.stats.TokenRefusals++
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	case err != nil:
		refuse(http.StatusBadRequest, "invalid_request", "The request body is not valid JSON")
		return
	case p["client_id"] != s.APIKey || p["client_secret"] != s.APISecret:
		refuse(http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	expiring := p["expiring"] == "1" || p["expiring"] == "true"

	switch p["grant_type"] {
	case "", "authorization_code":
		if p["code"] == "" || s.codes[p["code"]] != sh.domain {
			refuse(http.StatusBadRequest, "invalid_request", "The authorization code was not found or was already used")
			return
		}
		delete(s.codes, p["code"])
		s.stats.CodeGrants++
		writeJSON(w, http.StatusOK, s.issue(sh, expiring, nil).response())

	case grantTokenExchange:
		if p["subject_token_type"] != tokenTypeIDToken || p["requested_token_type"] != tokenTypeOffline {
			refuse(http.StatusBadRequest, "invalid_request", "Only id_token subject tokens and offline access tokens are supported here")
			return
		}
		_, dest, err := shopify.VerifySessionToken(p["subject_token"], s.APIKey, s.APISecret, s.now())
		if err != nil || dest != sh.domain {
			refuse(http.StatusBadRequest, "invalid_subject_token", "The subject token is invalid or expired, or was issued for another shop")
			return
		}
		s.stats.Exchanges++
		writeJSON(w, http.StatusOK, s.issue(sh, expiring, nil).response())

	case "refresh_token":
		g := s.refresh[p["refresh_token"]]
		switch {
		case g == nil || g.shop != sh.domain || !s.now().Before(g.refreshExp):
			refuse(http.StatusUnauthorized, "invalid_grant", "This request requires an active refresh_token")
			return
		case g.replaced:
			s.stats.RefreshReuses++
			oauthError(w, http.StatusUnauthorized, "invalid_grant", "This request requires an active refresh_token")
			return
		}
		g.use()
		s.stats.Refreshes++
		writeJSON(w, http.StatusOK, s.issue(sh, true, g).response())

	default:
		refuse(http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported")
	}
}

// authorized returns the grant of a valid access token for sh and records its use; nil
// when the token is unknown, another shop's or expired. Call with mu held.
func (s *Server) authorized(sh *shop, token string) *grant {
	g := s.access[token]
	if g == nil || g.shop != sh.domain || (!g.accessExp.IsZero() && !s.now().Before(g.accessExp)) {
		return nil
	}
	g.use()
	return g
}
