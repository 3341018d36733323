package shopifytest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
)

const (
	testKey    = "fake-api-key"
	testSecret = "fake-api-secret"
	testShop   = "demo-shop.myshopify.com"
	otherShop  = "other-shop.myshopify.com"
	shopQuery  = `{ shop { name currencyCode ianaTimezone myshopifyDomain } }`
)

// t0 is when every test's fake clock starts.
var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake time shared by the fake Shopify and our clients; Sleep advances it and
// records the wait, so no test waits for real.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return ctx.Err()
}

func (c *clock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// mustServer starts a fake with testShop (opts) and otherShop, on a fake clock at t0.
func mustServer(t *testing.T, opts shopifytest.ShopOptions) (*shopifytest.Server, *clock) {
	t.Helper()
	s := shopifytest.New(t, testKey, testSecret)
	clk := &clock{now: t0}
	s.SetNow(clk.Now)
	s.AddShop(testShop, opts)
	s.AddShop(otherShop, shopifytest.ShopOptions{})
	return s, clk
}

// mustClient is our GraphQL client for testShop with token, sleeping on clk.
func mustClient(t *testing.T, s *shopifytest.Server, clk *clock, token string) *shopify.GraphQLClient {
	t.Helper()
	c := s.GraphQLClient(testShop, token)
	c.Sleep = clk.Sleep
	return c
}

// shopName runs the shop query with c and returns the shop's name.
func shopName(c *shopify.GraphQLClient) (string, error) {
	var out struct {
		Shop struct {
			Name string `json:"name"`
		} `json:"shop"`
	}
	err := c.Do(context.Background(), shopQuery, nil, &out)
	return out.Shop.Name, err
}
