package shopifytest_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

func TestShopQuery(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{Name: "Demo Shop", Currency: "EUR", Timezone: "Europe/Rome",
		Scopes: []string{"read_orders", "read_all_orders"}})
	c := mustClient(t, s, clk, s.IssueToken(testShop, false).AccessToken)
	var out struct {
		Shop struct {
			Name, CurrencyCode, IanaTimezone, MyshopifyDomain string
		}
		CurrentAppInstallation struct {
			AccessScopes []struct{ Handle string }
		}
	}
	q := `{ shop { name currencyCode ianaTimezone myshopifyDomain } currentAppInstallation { accessScopes { handle } } }`
	if err := c.Do(context.Background(), q, nil, &out); err != nil {
		t.Fatal(err)
	}
	if out.Shop.Name != "Demo Shop" || out.Shop.CurrencyCode != "EUR" || out.Shop.IanaTimezone != "Europe/Rome" || out.Shop.MyshopifyDomain != testShop {
		t.Fatalf("shop %+v", out.Shop)
	}
	if len(out.CurrentAppInstallation.AccessScopes) != 2 || out.CurrentAppInstallation.AccessScopes[1].Handle != "read_all_orders" {
		t.Fatalf("scopes %+v", out.CurrentAppInstallation)
	}
	ts, ok := c.LastThrottle()
	if !ok || ts.MaximumAvailable != shopifytest.BucketSize || ts.CurrentlyAvailable != shopifytest.BucketSize-shopifytest.DefaultQueryCost || ts.RestoreRate != shopifytest.RestoreRate {
		t.Fatalf("throttle status %+v", ts)
	}
}

func TestGraphQLRefusals(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	good := s.IssueToken(testShop, true).AccessToken
	cases := []struct {
		name  string
		token string
		query string
		code  string
	}{
		{"an unknown token", "shpat_unknown", shopQuery, ritorno.EUNAUTHORIZED},
		{"another shop's token", s.IssueToken(otherShop, false).AccessToken, shopQuery, ritorno.EUNAUTHORIZED},
		{"a query the fake does not know", good, `{ appInstallations { nodes { id } } }`, ritorno.EINVALID},
	}
	for _, c := range cases {
		err := mustClient(t, s, clk, c.token).Do(context.Background(), c.query, nil, nil)
		if ritorno.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	c := s.GraphQLClient(testShop, good)
	c.BaseURL = s.BaseURL("unknown-shop.myshopify.com")
	if err := c.Do(context.Background(), shopQuery, nil, nil); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		t.Errorf("unknown shop: %v, want %s", err, ritorno.ENOTFOUND)
	}
}

func TestThrottleAndRetry(t *testing.T) {
	t.Run("ThrottleNext throttles whatever the bucket holds", func(t *testing.T) {
		s, clk := mustServer(t, shopifytest.ShopOptions{})
		c := mustClient(t, s, clk, s.IssueToken(testShop, false).AccessToken)
		s.ThrottleNext(testShop, 2)
		if name, err := shopName(c); err != nil || name != "demo-shop" {
			t.Fatalf("after two throttled answers: %q, %v", name, err)
		}
		if st := s.Stats(); st.Throttled != 2 || st.GraphQLCalls != 3 {
			t.Fatalf("stats %+v", st)
		}
		if got := len(clk.sleeps()); got != 2 {
			t.Fatalf("the client waited %d times, want before each retry", got)
		}
	})

	t.Run("an empty bucket throttles until it refills", func(t *testing.T) {
		s, clk := mustServer(t, shopifytest.ShopOptions{})
		s.SetQueryCost("expensive", 1990)
		s.SetQueryCost("myshopifyDomain", 100)
		c := mustClient(t, s, clk, s.IssueToken(testShop, false).AccessToken)
		if err := c.Do(context.Background(), `{ shop { name } } # expensive`, nil, nil); err != nil {
			t.Fatal(err)
		}
		// 10 points left. The client expects 50 for a query it never ran, waits 0.4 s,
		// sends at 50 points, is throttled (the query costs 100), waits 0.5 s, retries.
		if _, err := shopName(c); err != nil {
			t.Fatalf("retry after throttling: %v", err)
		}
		if got, want := clk.sleeps(), []time.Duration{400 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(got, want) {
			t.Fatalf("waits %v, want %v", got, want)
		}
		if st := s.Stats(); st.Throttled != 1 || st.GraphQLCalls != 3 {
			t.Fatalf("stats %+v", st)
		}
		if ts, _ := c.LastThrottle(); ts.CurrentlyAvailable != 0 {
			t.Fatalf("bucket after the retry %+v", ts)
		}
	})

	t.Run("FailNext answers errors before the token is read", func(t *testing.T) {
		cases := []struct {
			name   string
			status int
			n      int
			code   string // "" when the retries succeed
			waits  []time.Duration
		}{
			{"503 then success", http.StatusServiceUnavailable, 2, "", []time.Duration{500 * time.Millisecond, time.Second}},
			{"429 with Retry-After", http.StatusTooManyRequests, 1, "", []time.Duration{2 * time.Second}},
			{"403 is final", http.StatusForbidden, 1, ritorno.EFORBIDDEN, nil},
		}
		for _, tc := range cases {
			s, clk := mustServer(t, shopifytest.ShopOptions{})
			c := mustClient(t, s, clk, "shpat_even-a-bad-token-fails-first")
			if tc.code == "" {
				c.Token = s.IssueToken(testShop, false).AccessToken
			}
			s.FailNext(testShop, tc.status, tc.n)
			_, err := shopName(c)
			if ritorno.ErrorCode(err) != tc.code {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
			}
			if got := clk.sleeps(); !slices.Equal(got, tc.waits) {
				t.Errorf("%s: waits %v, want %v", tc.name, got, tc.waits)
			}
		}
	})
}

func TestClientPacesByTheFakeBucket(t *testing.T) {
	s, clk := mustServer(t, shopifytest.ShopOptions{})
	s.SetQueryCost("shop", 500)
	c := mustClient(t, s, clk, s.IssueToken(testShop, false).AccessToken)
	for i := range 8 {
		if _, err := shopName(c); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// 2000 points pay for four calls; the client then waits 5 s per call and is never
	// throttled.
	if st := s.Stats(); st.Throttled != 0 || st.GraphQLCalls != 8 {
		t.Fatalf("stats %+v", st)
	}
	var total time.Duration
	for _, d := range clk.sleeps() {
		total += d
	}
	if total != 20*time.Second {
		t.Fatalf("waited %v in all, want 20s", total)
	}
}
