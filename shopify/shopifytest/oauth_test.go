package shopifytest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

func TestCodeGrant(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	tc := s.TokenClient()
	ctx := context.Background()

	// The callback verifies with the product's check, which reads the wall clock.
	q := s.CallbackQuery(testShop, "nonce-1", "", time.Now())
	if err := shopify.VerifyCallbackQuery(q, testSecret); err != nil {
		t.Fatalf("callback query does not verify: %v", err)
	}
	if q.Get("state") != "nonce-1" || q.Get("shop") != testShop || q.Get("host") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := tc.ExchangeCode(ctx, testShop, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) || !tok.RefreshTokenExpiresAt.Equal(t0.Add(90*24*time.Hour)) {
		t.Fatalf("token %v: want an expiring token with a refresh token", tok)
	}
	if tok.Scope != shopifytest.DefaultScopes {
		t.Fatalf("scope %q", tok.Scope)
	}
	if name, err := shopName(mustClient(t, s, clk, tok.AccessToken)); err != nil || name != "demo-shop" {
		t.Fatalf("shop query with the new token: %q, %v", name, err)
	}

	cases := []struct {
		name string
		shop string
		code string
	}{
		{"a code works once", testShop, q.Get("code")},
		{"an unknown code", testShop, "never-issued"},
		{"another shop's code", otherShop, s.CallbackQuery(testShop, "n", "code-for-demo", time.Now()).Get("code")},
	}
	for _, tc2 := range cases {
		if _, err := tc.ExchangeCode(ctx, tc2.shop, tc2.code); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
			t.Errorf("%s: %v, want %s", tc2.name, err, ritorno.EUNAUTHORIZED)
		}
	}
	if st := s.Stats(); st.CodeGrants != 1 || st.TokenRefusals != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTokenExchange(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	tc := s.TokenClient()
	ctx := context.Background()

	st := s.SessionToken(testShop, "42", clk.Now())
	claims, dest, err := shopify.VerifySessionToken(st, testKey, testSecret, clk.Now())
	if err != nil || dest != testShop || claims.Sub != "42" || claims.Exp != t0.Add(time.Minute).Unix() {
		t.Fatalf("session token: %+v %q %v", claims, dest, err)
	}
	tok, err := tc.ExchangeSessionToken(ctx, testShop, st, true)
	if err != nil || tok.RefreshToken == "" || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("expiring exchange: %v, %v", tok, err)
	}
	forever, err := tc.ExchangeSessionToken(ctx, testShop, s.SessionToken(testShop, "", clk.Now()), false)
	if err != nil || forever.RefreshToken != "" || !forever.ExpiresAt.IsZero() {
		t.Fatalf("non-expiring exchange: %v, %v", forever, err)
	}

	refused := []struct {
		name  string
		shop  string
		token string
		tc    *shopify.TokenClient
	}{
		{"a session token of another shop", otherShop, s.SessionToken(testShop, "42", clk.Now()), tc},
		{"an expired session token", testShop, s.SessionToken(testShop, "42", clk.Now().Add(-2*time.Minute)), tc},
		{"a session token signed with another secret", testShop, shopify.SignSessionToken(shopify.SessionClaims{
			Iss: "https://" + testShop + "/admin", Dest: "https://" + testShop, Aud: testKey, Exp: t0.Add(time.Minute).Unix(),
		}, "another-secret"), tc},
		{"a wrong client secret", testShop, s.SessionToken(testShop, "42", clk.Now()),
			&shopify.TokenClient{APIKey: testKey, APISecret: "wrong", HTTP: s.Client(), BaseURL: s.BaseURL}},
	}
	for _, c := range refused {
		if _, err := c.tc.ExchangeSessionToken(ctx, c.shop, c.token, true); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
			t.Errorf("%s: %v, want %s", c.name, err, ritorno.EUNAUTHORIZED)
		}
	}
	if _, err := tc.ExchangeSessionToken(ctx, "nowhere.myshopify.com", s.SessionToken("nowhere.myshopify.com", "", clk.Now()), true); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		t.Errorf("unknown shop: %v, want %s", err, ritorno.ENOTFOUND)
	}
	if st := s.Stats(); st.Exchanges != 2 || st.TokenRefusals != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		use  func(s *shopifytest.Server, clk *clock, next shopify.Token) error // uses the replacement pair
	}{
		{"the new access token is used", func(s *shopifytest.Server, clk *clock, next shopify.Token) error {
			_, err := shopName(s.GraphQLClient(testShop, next.AccessToken))
			return err
		}},
		{"the new refresh token is used", func(s *shopifytest.Server, clk *clock, next shopify.Token) error {
			_, err := s.TokenClient().Refresh(ctx, testShop, next.RefreshToken)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, clk := mustServer(t, shopifytest.ShopOptions{})
			tc := s.TokenClient()
			first := s.IssueToken(testShop, true)

			next, err := tc.Refresh(ctx, testShop, first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if next.AccessToken == first.AccessToken || next.RefreshToken == first.RefreshToken || next.RefreshToken == "" {
				t.Fatal("a refresh must rotate both tokens")
			}
			// Until the replacement is used, the old refresh token still works: a retry
			// after a lost answer is not locked out.
			again, err := tc.Refresh(ctx, testShop, first.RefreshToken)
			if err != nil {
				t.Fatalf("old refresh token before the replacement is used: %v", err)
			}
			if err := c.use(s, clk, next); err != nil {
				t.Fatal(err)
			}
			_, err = tc.Refresh(ctx, testShop, first.RefreshToken)
			if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || !strings.Contains(ritorno.ErrorMessage(err), "invalid_grant") {
				t.Fatalf("old refresh token after the replacement is used: %v", err)
			}
			// The other pair issued from the old token remains usable.
			if _, err := shopName(mustClient(t, s, clk, again.AccessToken)); err != nil {
				t.Fatalf("pair of the retried refresh: %v", err)
			}
			if st := s.Stats(); st.RefreshReuses != 1 || st.Refreshes < 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestExpiredTokens(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	ctx := context.Background()
	tok := s.IssueToken(testShop, true)
	c := mustClient(t, s, clk, tok.AccessToken)
	if _, err := shopName(c); err != nil {
		t.Fatal(err)
	}

	clk.Advance(time.Hour)
	if _, err := shopName(c); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("expired access token: %v, want %s", err, ritorno.EUNAUTHORIZED)
	}
	r := &shopify.Refresher{Client: s.TokenClient()}
	var saved shopify.Token
	fresh, err := r.Fresh(ctx, testShop, tok, func(t shopify.Token) error { saved = t; return nil })
	if err != nil || fresh != saved || !fresh.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("refresh of an expired token: %v, %v", fresh, err)
	}
	if _, err := shopName(mustClient(t, s, clk, fresh.AccessToken)); err != nil {
		t.Fatalf("refreshed token: %v", err)
	}

	clk.Advance(91 * 24 * time.Hour)
	if _, err := s.TokenClient().Refresh(ctx, testShop, fresh.RefreshToken); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
		t.Fatalf("expired refresh token: %v", err)
	}
	if st := s.Stats(); st.RefreshReuses != 0 || st.TokenRefusals != 1 {
		t.Fatalf("an expired refresh token is not a reuse: %+v", st)
	}
}

func TestAuthorizeRedirects(t *testing.T) {
	s := shopifytest.New(t, testKey, testSecret) // wall clock: the callback check reads it
	s.AddShop(testShop, shopifytest.ShopOptions{})
	u, err := url.Parse(shopify.AuthorizeURL(testShop, testKey, "read_orders", "https://app.example/auth/callback?from=install", "nonce-9"))
	if err != nil {
		t.Fatal(err)
	}
	hc := s.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(s.BaseURL(testShop) + u.Path + "?" + u.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "app.example" || loc.Path != "/auth/callback" {
		t.Fatalf("HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	// The redirect_uri's own parameter is signed along with Shopify's.
	if err := shopify.VerifyCallbackQuery(q, testSecret); err != nil || q.Get("state") != "nonce-9" || q.Get("from") != "install" {
		t.Fatalf("callback %v: %v", q, err)
	}
	if _, err := s.TokenClient().ExchangeCode(context.Background(), testShop, q.Get("code")); err != nil {
		t.Fatalf("code from the redirect: %v", err)
	}
}
