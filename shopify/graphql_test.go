package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
)

// fakeGraphQL is an Admin GraphQL endpoint answering a script, one step per request, and
// recording what it received.
type fakeGraphQL struct {
	mu       sync.Mutex
	steps    []func(w http.ResponseWriter)
	requests []gqlRequest
}

type gqlRequest struct {
	Path, Token string
	Query       string         `json:"query"`
	Variables   map[string]any `json:"variables"`
}

func (f *fakeGraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req gqlRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req.Path, req.Token = r.URL.Path, r.Header.Get("X-Shopify-Access-Token")
	f.mu.Lock()
	f.requests = append(f.requests, req)
	n := len(f.requests)
	f.mu.Unlock()
	if n > len(f.steps) {
		http.Error(w, "script exhausted", http.StatusTeapot)
		return
	}
	f.steps[n-1](w)
}

func (f *fakeGraphQL) calls() []gqlRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gqlRequest(nil), f.requests...)
}

// clock is a fake time that the injected Sleep advances, recording each wait.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func newGraphQL(t *testing.T, steps ...func(w http.ResponseWriter)) (*fakeGraphQL, *clock, *shopify.GraphQLClient) {
	f := &fakeGraphQL{steps: steps}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clk := &clock{now: tokenNow}
	return f, clk, &shopify.GraphQLClient{
		Shop: testShop, Token: "shpat_test", APIVersion: "2026-07", HTTP: srv.Client(), BaseURL: srv.URL,
		Sleep: clk.Sleep, Now: clk.Now,
	}
}

// costJSON is an extensions.cost object as Shopify sends it.
func costJSON(requested, available, max, rate float64) string {
	return fmt.Sprintf(`{"cost":{"requestedQueryCost":%g,"actualQueryCost":%g,"throttleStatus":{"maximumAvailable":%g,"currentlyAvailable":%g,"restoreRate":%g}}}`,
		requested, requested/2, max, available, rate)
}

func ok(data string, extensions string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":%s,"extensions":%s}`, data, extensions)
	}
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprint(w, `{"errors":"[API] something"}`)
	}
}

// throttled is Shopify's throttled answer: HTTP 200, a THROTTLED error, the cost of the
// refused query and the bucket.
func throttled(requested, available float64) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":%g,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":%g,"restoreRate":100}}}}`,
			requested, available)
	}
}

const shopQuery = `query { shop { name } }`

type shopData struct {
	Shop struct {
		Name string `json:"name"`
	} `json:"shop"`
}

func TestGraphQLDo(t *testing.T) {
	f, clk, c := newGraphQL(t, ok(`{"shop":{"name":"Demo"}}`, costJSON(1, 1999, 2000, 100)))
	var out shopData
	if err := c.Do(context.Background(), shopQuery, map[string]any{"n": 1}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Shop.Name != "Demo" {
		t.Fatalf("out %+v", out)
	}
	req := f.calls()[0]
	if req.Path != "/admin/api/2026-07/graphql.json" || req.Token != "shpat_test" || req.Query != shopQuery || req.Variables["n"] != 1.0 {
		t.Fatalf("request %+v", req)
	}
	ts, seen := c.LastThrottle()
	if !seen || ts != (shopify.ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1999, RestoreRate: 100}) {
		t.Fatalf("throttle %+v %v", ts, seen)
	}
	if len(clk.waits()) != 0 {
		t.Fatalf("waited %v with a full bucket", clk.waits())
	}
}

func TestGraphQLThrottledWaitsAndRetries(t *testing.T) {
	f, clk, c := newGraphQL(t, throttled(502, 102), ok(`{"shop":{"name":"Demo"}}`, costJSON(502, 0, 2000, 100)))
	var out shopData
	if err := c.Do(context.Background(), shopQuery, nil, &out); err != nil {
		t.Fatal(err)
	}
	// (502 requested - 102 available) / 100 per second = 4 s.
	if got := clk.waits(); !reflect.DeepEqual(got, []time.Duration{4 * time.Second}) {
		t.Fatalf("waits %v, want [4s]", got)
	}
	if len(f.calls()) != 2 || out.Shop.Name != "Demo" {
		t.Fatalf("%d calls, out %+v", len(f.calls()), out)
	}
}

func TestGraphQLPacesByTheBucket(t *testing.T) {
	_, clk, c := newGraphQL(t,
		ok(`{"shop":{"name":"a"}}`, costJSON(80, 30, 2000, 100)),
		ok(`{"shop":{"name":"b"}}`, costJSON(80, 30, 2000, 100)),
		ok(`{"x":1}`, costJSON(10, 30, 2000, 100)),
	)
	ctx := context.Background()
	if err := c.Do(ctx, shopQuery, nil, nil); err != nil {
		t.Fatal(err)
	}
	// The same query costs 80; the bucket had 30 and refilled 20 in 0.2 s: wait 0.3 s.
	clk.advance(200 * time.Millisecond)
	if err := c.Do(ctx, shopQuery, nil, nil); err != nil {
		t.Fatal(err)
	}
	// An unknown query is expected to cost 50: (50 - 30) / 100 = 0.2 s.
	if err := c.Do(ctx, `query { x }`, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := clk.waits(); !reflect.DeepEqual(got, []time.Duration{300 * time.Millisecond, 200 * time.Millisecond}) {
		t.Fatalf("waits %v", got)
	}
}

func TestGraphQLRetries(t *testing.T) {
	cases := []struct {
		name    string
		retries int
		steps   []func(http.ResponseWriter)
		code    string
		calls   int
		waits   []time.Duration
	}{
		{"500 then success", 0, []func(http.ResponseWriter){status(500), ok(`{}`, `{}`)}, "", 2, []time.Duration{500 * time.Millisecond}},
		{"503 twice then success", 0, []func(http.ResponseWriter){status(503), status(502), ok(`{}`, `{}`)}, "", 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"500 until retries run out", 2, []func(http.ResponseWriter){status(500), status(500), status(500), ok(`{}`, `{}`)}, ritorno.EUNAVAILABLE, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"no retries", -1, []func(http.ResponseWriter){status(500), ok(`{}`, `{}`)}, ritorno.EUNAVAILABLE, 1, nil},
		{"429 honors Retry-After", 0, []func(http.ResponseWriter){status(429, "Retry-After", "2.0"), ok(`{}`, `{}`)}, "", 2, []time.Duration{2 * time.Second}},
		{"429 without Retry-After backs off", 0, []func(http.ResponseWriter){status(429), ok(`{}`, `{}`)}, "", 2, []time.Duration{500 * time.Millisecond}},
		{"400 is not retried", 0, []func(http.ResponseWriter){status(400), ok(`{}`, `{}`)}, ritorno.EINVALID, 1, nil},
		{"401", 0, []func(http.ResponseWriter){status(401), ok(`{}`, `{}`)}, ritorno.EUNAUTHORIZED, 1, nil},
		{"403", 0, []func(http.ResponseWriter){status(403), ok(`{}`, `{}`)}, ritorno.EFORBIDDEN, 1, nil},
		{"404", 0, []func(http.ResponseWriter){status(404), ok(`{}`, `{}`)}, ritorno.ENOTFOUND, 1, nil},
		{"network error then success", 0, []func(http.ResponseWriter){hangUp, ok(`{}`, `{}`)}, "", 2, []time.Duration{500 * time.Millisecond}},
		{"malformed JSON then success", 0, []func(http.ResponseWriter){func(w http.ResponseWriter) { fmt.Fprint(w, `{"data":`) }, ok(`{}`, `{}`)}, "", 2,
			[]time.Duration{500 * time.Millisecond}},
		{"GraphQL error", 0, []func(http.ResponseWriter){func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"errors":[{"message":"Field 'nope' doesn't exist on type 'Shop'","extensions":{"code":"undefinedField"}}]}`)
		}, ok(`{}`, `{}`)}, ritorno.EINVALID, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, clk, c := newGraphQL(t, tc.steps...)
			c.MaxRetries = tc.retries
			err := c.Do(context.Background(), shopQuery, nil, nil)
			if ritorno.ErrorCode(err) != tc.code {
				t.Errorf("error %v, want code %q", err, tc.code)
			}
			if err != nil && strings.Contains(err.Error(), "shpat_test") {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := len(f.calls()); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
			if got := clk.waits(); !reflect.DeepEqual(got, tc.waits) {
				t.Errorf("waits %v, want %v", got, tc.waits)
			}
		})
	}
}

// hangUp drops the connection without an answer.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestGraphQLErrorMessage(t *testing.T) {
	_, _, c := newGraphQL(t, func(w http.ResponseWriter) {
		fmt.Fprint(w, `{"data":null,"errors":[{"message":"Access denied for orders field.","extensions":{"code":"ACCESS_DENIED"}}]}`)
	})
	err := c.Do(context.Background(), shopQuery, nil, nil)
	if ritorno.ErrorCode(err) != ritorno.EINVALID || !strings.Contains(ritorno.ErrorMessage(err), "Access denied for orders field.") {
		t.Fatalf("%v", err)
	}
}

func TestGraphQLRefusesBadConfig(t *testing.T) {
	c := &shopify.GraphQLClient{Shop: "evil.com/x.myshopify.com", Token: "t", APIVersion: "2026-07"}
	if err := c.Do(context.Background(), shopQuery, nil, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("bad shop: %v", err)
	}
	c = &shopify.GraphQLClient{Shop: testShop, Token: "t", APIVersion: "../2026-07"}
	if err := c.Do(context.Background(), shopQuery, nil, nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("bad version: %v", err)
	}
}

func TestGraphQLStopsWithContext(t *testing.T) {
	// The real timer honors cancellation: a backoff does not outlive the caller.
	_, _, c := newGraphQL(t, status(500), status(500))
	c.Sleep, c.Now = nil, nil
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Do(ctx, shopQuery, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 400*time.Millisecond {
		t.Fatalf("took %v: the 500 ms backoff ignored the context", time.Since(start))
	}
}
