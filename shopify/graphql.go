package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ritorno/ritorno"
)

// GraphQLClient calls one shop's Admin GraphQL API. It paces itself with Shopify's
// cost-based leaky bucket: it remembers the bucket from each response's
// extensions.cost and waits before a query the bucket cannot pay for, instead of being
// throttled. Throttled answers, 429s, 5xx and network errors are retried; other failures
// are returned as coded errors. Safe for concurrent use; do not copy after first use.
type GraphQLClient struct {
	Shop, Token, APIVersion string
	HTTP                    *http.Client                                     // nil: a client with a timeout that follows no redirects
	BaseURL                 string                                           // "": https://{Shop}; tests set an httptest URL
	MaxRetries              int                                              // 0: 5; negative: no retries
	Sleep                   func(ctx context.Context, d time.Duration) error // nil: a timer that honors ctx
	Now                     func() time.Time                                 // nil: time.Now; for the bucket's refill
	// TokenSource, when set, is asked for the access token before every request instead
	// of using Token, so that a long backfill outlives a 60-minute expiring token. Its
	// error ends the call unretried (a refresh failure is not helped by asking again).
	TokenSource func(ctx context.Context) (string, error)

	mu       sync.Mutex
	throttle ThrottleStatus
	seenAt   time.Time          // when throttle was read; zero until the first response
	costs    map[string]float64 // requested cost of each query text, from its last run
}

// ThrottleStatus is the state of the shop's rate-limit bucket, in cost points.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"` // points per second
}

const (
	defaultQueryCost  = 50 // expected cost of a query never run before
	defaultMaxRetries = 5
	backoffBase       = 500 * time.Millisecond
	backoffMax        = 30 * time.Second
	maxGraphQLBody    = 64 << 20
)

// apiVersion is a quarterly release ("2026-07") or "unstable"; it becomes part of the path.
var apiVersion = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)

// LastThrottle returns the bucket as of the last response and whether one was seen.
func (c *GraphQLClient) LastThrottle() (ThrottleStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.throttle, !c.seenAt.IsZero()
}

// gqlResponse is the envelope of every answer.
type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     json.RawMessage `json:"errors"` // a list of errors, or (on some failures) a string
	Extensions struct {
		Cost *struct {
			RequestedQueryCost float64        `json:"requestedQueryCost"`
			ActualQueryCost    *float64       `json:"actualQueryCost"` // null when throttled; pacing needs the requested cost
			ThrottleStatus     ThrottleStatus `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// Do runs query with vars and decodes its data into out (unless out is nil). GraphQL
// errors other than throttling come back as EINVALID with their messages; 401 is
// EUNAUTHORIZED, 403 EFORBIDDEN; exhausted retries are EUNAVAILABLE or ERATELIMITED.
func (c *GraphQLClient) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	endpoint, err := c.endpoint()
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return ritorno.Errorf(ritorno.EINVALID, "GraphQL variables cannot be encoded: %v", err)
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = defaultMaxRetries
	}
	// Pace the first attempt by the bucket; a retry waits what its failure asked for.
	wait := c.waitFor(query)
	for attempt := 0; ; attempt++ {
		if wait > 0 {
			if err := c.sleep(ctx, wait); err != nil {
				return err
			}
		}
		retryAfter, err := c.once(ctx, endpoint, query, body, out)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case retryAfter < 0, attempt >= retries:
			return err
		}
		wait = retryAfter
		if wait == 0 {
			wait = backoff(attempt)
		}
	}
}

// once makes one request. retryAfter < 0 means the error is final; 0 means retry after
// the usual backoff; > 0 is the wait the answer asked for.
func (c *GraphQLClient) once(ctx context.Context, endpoint, query string, body []byte, out any) (retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return -1, ritorno.Errorf(ritorno.EINVALID, "GraphQL endpoint of %s is malformed", c.Shop)
	}
	token := c.Token
	if c.TokenSource != nil {
		if token, err = c.TokenSource(ctx); err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.ErrorCode(err), "access token for %s unavailable", c.Shop), err)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "Admin API of %s unreachable", c.Shop), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxGraphQLBody))
	if err != nil {
		return 0, ritorno.Errorf(ritorno.EUNAVAILABLE, "Admin API of %s: response cut short", c.Shop)
	}

	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return retryAfterHeader(resp.Header.Get("Retry-After")), ritorno.Errorf(ritorno.ERATELIMITED, "Admin API of %s: too many requests", c.Shop)
	case s >= 500:
		return 0, ritorno.Errorf(ritorno.EUNAVAILABLE, "Admin API of %s: HTTP %d", c.Shop, s)
	case s == http.StatusUnauthorized:
		return -1, ritorno.Errorf(ritorno.EUNAUTHORIZED, "Admin API of %s refused the access token", c.Shop)
	case s == http.StatusForbidden:
		return -1, ritorno.Errorf(ritorno.EFORBIDDEN, "Admin API of %s: access denied (missing scope or app not installed)", c.Shop)
	case s == http.StatusNotFound:
		return -1, ritorno.Errorf(ritorno.ENOTFOUND, "Admin API of %s: not found (shop or API version %q)", c.Shop, c.APIVersion)
	case s != http.StatusOK:
		return -1, ritorno.Errorf(ritorno.EINVALID, "Admin API of %s: HTTP %d", c.Shop, s)
	}

	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, ritorno.Errorf(ritorno.EUNAVAILABLE, "Admin API of %s answered with malformed JSON", c.Shop)
	}
	requested := 0.0
	if r.Extensions.Cost != nil {
		requested = r.Extensions.Cost.RequestedQueryCost
		c.observe(query, requested, r.Extensions.Cost.ThrottleStatus)
	}
	if msgs, throttled := graphQLErrors(r.Errors); throttled {
		return c.refillTime(requested), ritorno.Errorf(ritorno.ERATELIMITED, "Admin API of %s: throttled", c.Shop)
	} else if len(msgs) > 0 {
		return -1, ritorno.Errorf(ritorno.EINVALID, "Admin API of %s: %s", c.Shop, strings.Join(msgs, "; "))
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return -1, ritorno.Errorf(ritorno.EINVALID, "Admin API of %s: data does not fit the result: %v", c.Shop, err)
		}
	}
	return 0, nil
}

// graphQLErrors returns the errors' messages (at most a few, each cut short) and whether
// one of them is a throttle.
func graphQLErrors(raw json.RawMessage) (msgs []string, throttled bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	var list []gqlError
	if err := json.Unmarshal(raw, &list); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = "malformed errors"
		}
		list = []gqlError{{Message: s}}
	}
	for _, e := range list {
		if e.Extensions.Code == "THROTTLED" || e.Message == "Throttled" {
			throttled = true
		}
		if len(msgs) < 5 {
			m := e.Message
			if len(m) > 300 {
				m = m[:300] + "…"
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, throttled
}

// endpoint is {base}/admin/api/{version}/graphql.json. Without a BaseURL the shop must be
// a myshopify.com domain: the access token is sent to it.
func (c *GraphQLClient) endpoint() (string, error) {
	if !apiVersion.MatchString(c.APIVersion) {
		return "", ritorno.Errorf(ritorno.EINVALID, "API version %q is not like 2026-07", c.APIVersion)
	}
	base := c.BaseURL
	if base == "" {
		if err := ritorno.ValidateShopifyDomain(c.Shop); err != nil {
			return "", err
		}
		base = "https://" + c.Shop
	}
	return strings.TrimRight(base, "/") + "/admin/api/" + c.APIVersion + "/graphql.json", nil
}

func (c *GraphQLClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *GraphQLClient) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// observe records the bucket and the query's requested cost from a response.
func (c *GraphQLClient) observe(query string, requested float64, ts ThrottleStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.throttle, c.seenAt = ts, c.now()
	if requested > 0 {
		if c.costs == nil {
			c.costs = map[string]float64{}
		}
		c.costs[query] = requested
	}
}

// waitFor is how long to wait before sending query so that the bucket, refilled since the
// last response, holds its expected cost (capped at the bucket's size: a query costing
// more can never wait long enough, and Shopify will say so).
func (c *GraphQLClient) waitFor(query string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seenAt.IsZero() || c.throttle.RestoreRate <= 0 {
		return 0
	}
	need, ok := c.costs[query]
	if !ok {
		need = defaultQueryCost
	}
	if max := c.throttle.MaximumAvailable; max > 0 && need > max {
		need = max
	}
	elapsed := c.now().Sub(c.seenAt).Seconds()
	available := c.throttle.CurrentlyAvailable + elapsed*c.throttle.RestoreRate
	return seconds((need - available) / c.throttle.RestoreRate)
}

// refillTime is how long after a throttled answer the bucket holds requested points;
// 0 (use the backoff) when the answer did not say.
func (c *GraphQLClient) refillTime(requested float64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.throttle
	if requested <= 0 || ts.RestoreRate <= 0 {
		return 0
	}
	return seconds((requested - ts.CurrentlyAvailable) / ts.RestoreRate)
}

// seconds converts a wait in seconds, rounded up to the millisecond, to a duration;
// non-positive waits are 0.
func seconds(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) {
		return 0
	}
	return time.Duration(math.Ceil(s*1000)) * time.Millisecond
}

// backoff is the wait before retry attempt+1: 500 ms doubled each time, capped. No
// jitter: retries are per shop bucket and few.
func backoff(attempt int) time.Duration {
	d := backoffBase << min(attempt, 10)
	return min(d, backoffMax)
}

// retryAfterHeader reads Retry-After in seconds (Shopify sends "2.0"); 0 when absent.
func retryAfterHeader(v string) time.Duration {
	s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0
	}
	return min(seconds(s), backoffMax)
}
