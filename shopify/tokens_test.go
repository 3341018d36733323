package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

const testShop = "demo-shop.myshopify.com"

var tokenNow = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// fakeTokenEndpoint is Shopify's POST /admin/oauth/access_token as protocols §4.2-4.4
// describe it: single-use codes, token exchange of a valid session token, and refresh
// with rotation (a refresh token works once).
type fakeTokenEndpoint struct {
	t        *testing.T
	mu       sync.Mutex
	codes    map[string]bool // unused authorization codes
	refresh  map[string]bool // live refresh tokens
	serial   int
	refreshN atomic.Int64
	status   int           // when set, every request answers this status
	release  chan struct{} // when set, refreshes wait for it
	last     map[string]string
}

func newFakeTokenEndpoint(t *testing.T) (*fakeTokenEndpoint, *shopify.TokenClient) {
	f := &fakeTokenEndpoint{t: t, codes: map[string]bool{"code-1": true}, refresh: map[string]bool{"refresh-0": true}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, &shopify.TokenClient{
		APIKey: testAPIKey, APISecret: testAPISecret, HTTP: srv.Client(),
		BaseURL: func(string) string { return srv.URL },
		Now:     func() time.Time { return tokenNow },
	}
}

func (f *fakeTokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/admin/oauth/access_token" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f.mu.Lock()
	f.last = body
	status, release := f.status, f.release
	f.mu.Unlock()
	if status != 0 {
		oauthError(w, status, "server_error")
		return
	}
	if body["client_id"] != testAPIKey || body["client_secret"] != testAPISecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	switch {
	case body["grant_type"] == "" && body["code"] != "":
		f.mu.Lock()
		ok := f.codes[body["code"]]
		delete(f.codes, body["code"])
		f.mu.Unlock()
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		f.issue(w, body["expiring"] == "1")
	case body["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange":
		if body["subject_token_type"] != "urn:ietf:params:oauth:token-type:id_token" ||
			body["requested_token_type"] != "urn:shopify:params:oauth:token-type:offline-access-token" {
			oauthError(w, http.StatusBadRequest, "invalid_request")
			return
		}
		if _, _, err := shopify.VerifySessionToken(body["subject_token"], testAPIKey, testAPISecret, sessionNow); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_subject_token")
			return
		}
		f.issue(w, body["expiring"] == "1")
	case body["grant_type"] == "refresh_token":
		f.refreshN.Add(1)
		if release != nil {
			<-release
		}
		f.mu.Lock()
		ok := f.refresh[body["refresh_token"]]
		delete(f.refresh, body["refresh_token"]) // rotation: a refresh token works once
		f.mu.Unlock()
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		f.issue(w, true)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (f *fakeTokenEndpoint) issue(w http.ResponseWriter, expiring bool) {
	f.mu.Lock()
	f.serial++
	n := f.serial
	resp := map[string]any{"access_token": fmt.Sprintf("shpat_%d", n), "scope": "read_orders,read_customers"}
	if expiring {
		rt := fmt.Sprintf("refresh-%d", n)
		f.refresh[rt] = true
		resp["expires_in"], resp["refresh_token"], resp["refresh_token_expires_in"] = 3600, rt, 7776000
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// set changes the fake's behaviour under its lock (the handler runs on other goroutines).
func (f *fakeTokenEndpoint) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// lastBody is the last request's JSON body.
func (f *fakeTokenEndpoint) lastBody() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"error_description":"token refresh-0 shpat_x is bad"}`, code)
}

// noSecrets fails when err mentions a token or the app secret.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{testAPISecret, "refresh-", "shpat_", "code-1"} {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
}

func TestExchangeCode(t *testing.T) {
	f, c := newFakeTokenEndpoint(t)
	tok, err := c.ExchangeCode(context.Background(), testShop, "code-1")
	if err != nil {
		t.Fatal(err)
	}
	want := shopify.Token{AccessToken: "shpat_1", RefreshToken: "refresh-1", Scope: "read_orders,read_customers",
		ExpiresAt: tokenNow.Add(time.Hour), RefreshTokenExpiresAt: tokenNow.Add(90 * 24 * time.Hour)}
	if tok != want {
		t.Fatalf("got %+v, want %+v", tok, want)
	}
	if f.lastBody()["expiring"] != "1" {
		t.Errorf("code exchange did not ask for an expiring token: %v", f.lastBody())
	}
	// Codes are single use.
	_, err = c.ExchangeCode(context.Background(), testShop, "code-1")
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("reused code: %v", err)
	}
	noSecrets(t, err)
	// The secret is never sent to a host that is not a shop.
	if _, err := c.ExchangeCode(context.Background(), "evil.com/x.myshopify.com", "code"); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Fatalf("bad shop: %v", err)
	}
	bad := *c
	bad.APISecret = "wrong"
	_, err = bad.ExchangeCode(context.Background(), testShop, "code-1")
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestExchangeSessionToken(t *testing.T) {
	f, c := newFakeTokenEndpoint(t)
	st := shopify.SignSessionToken(validClaims(), testAPISecret)
	tok, err := c.ExchangeSessionToken(context.Background(), testShop, st, true)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "shpat_1" || tok.RefreshToken != "refresh-1" || !tok.ExpiresAt.Equal(tokenNow.Add(time.Hour)) {
		t.Fatalf("got %+v", tok)
	}
	if f.lastBody()["subject_token"] != st || f.lastBody()["expiring"] != "1" {
		t.Errorf("request %v", f.lastBody())
	}
	tok, err = c.ExchangeSessionToken(context.Background(), testShop, st, false)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" || !tok.ExpiresAt.IsZero() || f.lastBody()["expiring"] != "0" {
		t.Fatalf("non-expiring: %+v, request %v", tok, f.lastBody())
	}
	_, err = c.ExchangeSessionToken(context.Background(), testShop, shopify.SignSessionToken(validClaims(), "other"), true)
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("bad session token: %v", err)
	}
	if strings.Contains(err.Error(), "eyJ") {
		t.Errorf("error echoes the session token: %v", err)
	}
}

func TestRefreshRotates(t *testing.T) {
	_, c := newFakeTokenEndpoint(t)
	tok, err := c.Refresh(context.Background(), testShop, "refresh-0")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "shpat_1" || tok.RefreshToken != "refresh-1" || !tok.RefreshTokenExpiresAt.Equal(tokenNow.Add(7776000*time.Second)) {
		t.Fatalf("got %+v", tok)
	}
	// The old refresh token is dead after one use; the new one works once.
	_, err = c.Refresh(context.Background(), testShop, "refresh-0")
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("reused refresh token: %v", err)
	}
	noSecrets(t, err)
	if _, err := c.Refresh(context.Background(), testShop, tok.RefreshToken); err != nil {
		t.Fatalf("rotated refresh token: %v", err)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	for status, code := range map[int]string{
		http.StatusTooManyRequests:     ritorno.ERATELIMITED,
		http.StatusInternalServerError: ritorno.EUNAVAILABLE,
		http.StatusBadGateway:          ritorno.EUNAVAILABLE,
		http.StatusUnauthorized:        ritorno.EUNAUTHORIZED,
		http.StatusBadRequest:          ritorno.EUNAUTHORIZED,
	} {
		f, c := newFakeTokenEndpoint(t)
		f.set(func() { f.status = status })
		_, err := c.Refresh(context.Background(), testShop, "refresh-0")
		if ritorno.ErrorCode(err) != code {
			t.Errorf("HTTP %d: %v, want %s", status, err, code)
		}
		noSecrets(t, err)
	}
	// Unreachable.
	c := &shopify.TokenClient{APIKey: testAPIKey, APISecret: testAPISecret, BaseURL: func(string) string { return "http://127.0.0.1:1" }}
	_, err := c.Refresh(context.Background(), testShop, "refresh-0")
	if ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE {
		t.Errorf("unreachable: %v", err)
	}
	noSecrets(t, err)
}

func TestTokenHidesSecrets(t *testing.T) {
	tok := shopify.Token{AccessToken: "shpat_secret", RefreshToken: "refresh-secret", Scope: "read_orders"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%v", &tok)} {
		if strings.Contains(s, "secret") {
			t.Errorf("printed token leaks: %s", s)
		}
	}
}

func TestRefresherSharesOneRefresh(t *testing.T) {
	f, c := newFakeTokenEndpoint(t)
	release := make(chan struct{})
	f.set(func() { f.release = release })
	r := &shopify.Refresher{Client: c}
	current := shopify.Token{AccessToken: "shpat_0", RefreshToken: "refresh-0", ExpiresAt: tokenNow.Add(time.Minute)}

	var (
		mu    sync.Mutex
		saved []shopify.Token
	)
	save := func(tok shopify.Token) error {
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, tok)
		return nil
	}
	const callers = 20
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	results := make([]shopify.Token, callers)
	errs := make([]error, callers)
	for i := range callers {
		go func() {
			defer done.Done()
			started.Done()
			results[i], errs[i] = r.Fresh(context.Background(), testShop, current, save)
			// save has run before Fresh returns, with what Fresh returns.
			mu.Lock()
			defer mu.Unlock()
			if errs[i] == nil && (len(saved) != 1 || saved[0] != results[i]) {
				t.Errorf("caller %d returned before its token was saved: saved %v", i, saved)
			}
		}()
	}
	started.Wait()
	close(release)
	done.Wait()

	if n := f.refreshN.Load(); n != 1 {
		t.Fatalf("%d refresh calls, want 1", n)
	}
	for i := range callers {
		if errs[i] != nil || results[i].AccessToken != "shpat_1" || results[i].RefreshToken != "refresh-1" {
			t.Fatalf("caller %d: %+v, %v", i, results[i], errs[i])
		}
	}
	// A late caller still holding the spent refresh token gets the same new pair.
	late, err := r.Fresh(context.Background(), testShop, current, func(shopify.Token) error {
		t.Error("late caller saved again")
		return nil
	})
	if err != nil || late != results[0] || f.refreshN.Load() != 1 {
		t.Fatalf("late caller: %+v, %v, %d calls", late, err, f.refreshN.Load())
	}
	// The new token is fresh: returned unchanged, nothing called.
	again, err := r.Fresh(context.Background(), testShop, late, nil)
	if err != nil || again != late || f.refreshN.Load() != 1 {
		t.Fatalf("fresh token: %+v, %v", again, err)
	}
	// An hour later it is due, and refreshes with the rotated token.
	c.Now = func() time.Time { return tokenNow.Add(56 * time.Minute) }
	next, err := r.Fresh(context.Background(), testShop, late, save)
	if err != nil || next.RefreshToken != "refresh-2" || f.refreshN.Load() != 2 {
		t.Fatalf("second refresh: %+v, %v", next, err)
	}
}

func TestRefresherLeavesFreshTokens(t *testing.T) {
	f, c := newFakeTokenEndpoint(t)
	r := &shopify.Refresher{Client: c, Margin: 10 * time.Minute}
	for _, tok := range []shopify.Token{
		{AccessToken: "shpat_0", RefreshToken: "refresh-0", ExpiresAt: tokenNow.Add(11 * time.Minute)},
		{AccessToken: "shpat_legacy"}, // non-expiring
	} {
		got, err := r.Fresh(context.Background(), testShop, tok, nil)
		if err != nil || got != tok {
			t.Errorf("%v: got %v, %v", tok, got, err)
		}
	}
	if f.refreshN.Load() != 0 {
		t.Fatal("a fresh token was refreshed")
	}
	// Expiring without a refresh token cannot be saved.
	_, err := r.Fresh(context.Background(), testShop, shopify.Token{AccessToken: "x", ExpiresAt: tokenNow}, nil)
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("no refresh token: %v", err)
	}
}

func TestRefresherSaveFailure(t *testing.T) {
	f, c := newFakeTokenEndpoint(t)
	r := &shopify.Refresher{Client: c}
	current := shopify.Token{AccessToken: "shpat_0", RefreshToken: "refresh-0", ExpiresAt: tokenNow}
	boom := errors.New("database down")
	got, err := r.Fresh(context.Background(), testShop, current, func(shopify.Token) error { return boom })
	if !errors.Is(err, boom) || got.AccessToken != "" {
		t.Fatalf("save failure: %+v, %v", got, err)
	}
	// The failure is not remembered: the next call refreshes again (and here finds the
	// refresh token spent, as rotation would).
	_, err = r.Fresh(context.Background(), testShop, current, func(shopify.Token) error { return nil })
	if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || f.refreshN.Load() != 2 {
		t.Fatalf("after a failed save: %v, %d calls", err, f.refreshN.Load())
	}
}

func TestRefresherOutlivesCancelledCaller(t *testing.T) {
	_, c := newFakeTokenEndpoint(t)
	r := &shopify.Refresher{Client: c}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var saved shopify.Token
	got, err := r.Fresh(ctx, testShop, shopify.Token{RefreshToken: "refresh-0", ExpiresAt: tokenNow}, func(t shopify.Token) error {
		saved = t
		return nil
	})
	if err != nil || saved.AccessToken == "" || got != saved {
		t.Fatalf("a started refresh must finish and be saved: %+v, %v", got, err)
	}
}
