package shopifytest

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The rate limit of a Standard plan shop (protocols §7.1).
const (
	BucketSize       = 2000 // maximumAvailable, in cost points
	RestoreRate      = 100  // points per second, by the fake's clock
	DefaultQueryCost = 10   // requested cost of a query SetQueryCost does not price
)

// invalidToken is Shopify's body for an unknown or expired access token.
const invalidToken = "[API] Invalid API key or access token (unrecognized login or wrong password)"

var (
	apiVersion = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)
	shopField  = regexp.MustCompile(`\bshop\s*\{`)
	nodeField  = regexp.MustCompile(`\bnode\s*\(`)
	inlineID   = regexp.MustCompile(`\bnode\s*\(\s*id\s*:\s*"([^"]+)"`)
)

// bucket is a shop's leaky bucket of cost points.
type bucket struct {
	available float64
	at        time.Time // when available was last brought up to date; zero: full
}

func (b *bucket) refill(now time.Time) {
	if b.at.IsZero() {
		b.available, b.at = BucketSize, now
		return
	}
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.available = min(BucketSize, b.available+d*RestoreRate)
		b.at = now
	}
}

// queryCost prices every query whose text contains match.
type queryCost struct {
	match string
	cost  float64
}

// SetQueryCost makes every query whose text contains match request cost points (the
// latest matching call wins); other queries cost DefaultQueryCost.
func (s *Server) SetQueryCost(match string, cost float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.costs = append(s.costs, queryCost{match, cost})
}

// costOf is a query's requested cost. Call with mu held.
func (s *Server) costOf(query string) float64 {
	for i := len(s.costs) - 1; i >= 0; i-- {
		if strings.Contains(query, s.costs[i].match) {
			return s.costs[i].cost
		}
	}
	return DefaultQueryCost
}

// ThrottleNext makes the next n GraphQL answers for the shop throttled, whatever the bucket
// holds; the bucket reported is the real one.
func (s *Server) ThrottleNext(domain string, n int) {
	s.withShop("ThrottleNext", domain, func(sh *shop) { sh.throttleN = n })
}

// FailNext makes the next n GraphQL requests for the shop answer HTTP status (a 429 carries
// Retry-After: 2.0) before the token is even looked at, as an outage would.
func (s *Server) FailNext(domain string, status, n int) {
	s.withShop("FailNext", domain, func(sh *shop) { sh.failN, sh.failCode = n, status })
}

// withShop runs fn on a known shop under the lock; an unknown shop fails the test.
func (s *Server) withShop(what, domain string, fn func(*shop)) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[strings.ToLower(domain)]
	if sh == nil {
		s.t.Fatalf("shopifytest.%s: unknown shop %s (AddShop first)", what, domain)
	}
	fn(sh)
}

// gqlRequest is the body of a GraphQL request.
type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// handleGraphQL is POST /admin/api/{version}/graphql.json.
func (s *Server) handleGraphQL(w http.ResponseWriter, r *http.Request) {
	var req gqlRequest
	decodeErr := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
	status, retryAfter, body := s.graphQL(r, req, decodeErr)
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, body)
}

// graphQL answers one request: its status, a Retry-After value and the body.
func (s *Server) graphQL(r *http.Request, req gqlRequest, decodeErr error) (status int, retryAfter string, body any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.GraphQLCalls++
	sh := s.shopFor(r)
	if sh == nil || !apiVersion.MatchString(r.PathValue("version")) {
		return http.StatusNotFound, "", map[string]any{"errors": "Not Found"}
	}
	if sh.failN > 0 {
		sh.failN--
		if sh.failCode == http.StatusTooManyRequests {
			return sh.failCode, "2.0", map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}
		}
		return sh.failCode, "", map[string]any{"errors": http.StatusText(sh.failCode)}
	}
	if s.authorized(sh, r.Header.Get("X-Shopify-Access-Token")) == nil {
		return http.StatusUnauthorized, "", map[string]any{"errors": invalidToken}
	}
	if decodeErr != nil || req.Query == "" {
		return http.StatusBadRequest, "", map[string]any{"errors": map[string]string{"query": "Required parameter missing or invalid"}}
	}

	sh.bucket.refill(s.now())
	requested := s.costOf(req.Query)
	if sh.throttleN > 0 || sh.bucket.available < requested {
		sh.throttleN = max(sh.throttleN-1, 0)
		s.stats.Throttled++
		return http.StatusOK, "", map[string]any{
			"errors": []map[string]any{{
				"message":    "Throttled",
				"extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
			}},
			"extensions": sh.bucket.cost(requested, nil),
		}
	}
	data, errs := s.execute(sh, req.Query, req.Variables)
	sh.bucket.available -= requested
	out := map[string]any{"extensions": sh.bucket.cost(requested, &requested)}
	if data != nil {
		out["data"] = data
	}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	return http.StatusOK, "", out
}

// cost is the extensions object every answer carries; actual is nil when throttled.
func (b *bucket) cost(requested float64, actual *float64) map[string]any {
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested,
		"actualQueryCost":    actual,
		"throttleStatus": map[string]any{
			"maximumAvailable":   float64(BucketSize),
			"currentlyAvailable": math.Floor(b.available),
			"restoreRate":        float64(RestoreRate),
		},
	}}
}

// gqlError is a top-level GraphQL error.
func gqlError(message, code string) []map[string]any {
	return []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}}
}

// execute answers the queries the fake understands, matched loosely on the query text:
// bulkOperationRunQuery, currentBulkOperation, node(id:) for a BulkOperation or an
// Order (its refunds), and the root fields shop and currentAppInstallation. Call with mu
// held.
func (s *Server) execute(sh *shop, query string, vars map[string]any) (data map[string]any, errs []map[string]any) {
	switch {
	case strings.Contains(query, "bulkOperationRunQuery"):
		return s.runBulk(sh, vars)
	case strings.Contains(query, "currentBulkOperation"):
		var node any
		if n := len(sh.bulk); n > 0 {
			node = s.pollBulk(sh, sh.bulk[n-1])
		}
		return map[string]any{"currentBulkOperation": node}, nil
	case nodeField.MatchString(query):
		id, _ := vars["id"].(string)
		if m := inlineID.FindStringSubmatch(query); id == "" && m != nil {
			id = m[1]
		}
		return map[string]any{"node": s.node(sh, id)}, nil
	}
	data = map[string]any{}
	if shopField.MatchString(query) {
		data["shop"] = map[string]any{
			"id":              gid("Shop", sh.id),
			"name":            sh.opts.Name,
			"currencyCode":    sh.opts.Currency,
			"ianaTimezone":    sh.opts.Timezone,
			"myshopifyDomain": sh.domain,
		}
	}
	if strings.Contains(query, "currentAppInstallation") {
		scopes := make([]map[string]string, 0, len(sh.scopes))
		for _, sc := range sh.scopes {
			scopes = append(scopes, map[string]string{"handle": sc})
		}
		data["currentAppInstallation"] = map[string]any{"accessScopes": scopes}
	}
	if len(data) == 0 {
		return nil, gqlError("shopifytest: the fake Shopify does not answer this query", "undefinedField")
	}
	return data, nil
}

// node answers node(id:): a bulk operation (polling it) or an order's refunds; nil for
// anything else, another shop's object or an order outside the shop's order window.
// Call with mu held.
func (s *Server) node(sh *shop, id string) any {
	switch {
	case strings.HasPrefix(id, "gid://shopify/BulkOperation/"):
		for _, op := range sh.bulk {
			if op.gid == id {
				return s.pollBulk(sh, op)
			}
		}
	case strings.HasPrefix(id, "gid://shopify/Order/"):
		for _, o := range s.visibleOrders(sh) {
			if gid("Order", o.PlatformID) == id {
				return orderRefundsJSON(o, sh.currency(o))
			}
		}
	}
	return nil
}
