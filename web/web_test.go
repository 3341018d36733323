package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// newEngine wires the middleware the way cmd/ritorno does, logging into buf.
func newEngine(buf *bytes.Buffer, reg *prometheus.Registry) *gin.Engine {
	gin.SetMode(gin.TestMode)
	log := slog.New(slog.NewJSONHandler(buf, nil))
	r := gin.New()
	r.Use(web.RequestIDs(log), web.AccessLog(), web.NewHTTPMetrics(reg).Middleware(), web.Recovery(), web.BodyLimit(16))
	r.GET("/err/:code", func(c *gin.Context) {
		web.Error(c, fmt.Errorf("context: %w", ritorno.Errorf(c.Param("code"), "bad %s", c.Param("code"))))
	})
	r.GET("/internal", func(c *gin.Context) { web.Error(c, errors.New("db password=hunter2 exploded")) })
	r.GET("/panic", func(c *gin.Context) { panic("boom") })
	r.POST("/echo", func(c *gin.Context) {
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.String(http.StatusOK, string(b))
	})
	return r
}

func do(r http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) web.ErrorResponse {
	t.Helper()
	var body web.ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body.String(), err)
	}
	return body
}

func TestErrorMapsCodesToStatuses(t *testing.T) {
	var logs bytes.Buffer
	r := newEngine(&logs, prometheus.NewRegistry())
	cases := map[string]int{
		ritorno.EINVALID:      400,
		ritorno.EUNAUTHORIZED: 401,
		ritorno.EFORBIDDEN:    403,
		ritorno.ENOTFOUND:     404,
		ritorno.ECONFLICT:     409,
		ritorno.ETOOLARGE:     413,
		ritorno.ERATELIMITED:  429,
		ritorno.EUNAVAILABLE:  503,
		ritorno.ENOTREADY:     503,
		"made_up":             500,
	}
	for code, status := range cases {
		w := do(r, httptest.NewRequest("GET", "/err/"+code, nil))
		if w.Code != status {
			t.Errorf("%s → %d, want %d", code, w.Code, status)
		}
		body := decodeError(t, w)
		if body.Error.Code != code || body.Error.Message != "bad "+code || body.RequestID == "" {
			t.Errorf("%s body = %+v", code, body)
		}
	}
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	r := newEngine(&logs, prometheus.NewRegistry())
	w := do(r, httptest.NewRequest("GET", "/internal", nil))
	body := decodeError(t, w)
	if w.Code != 500 || body.Error.Message != "internal error" || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("internal error answered %d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), body.RequestID) || !strings.Contains(logs.String(), "exploded") {
		t.Fatalf("internal error not logged with its request id:\n%s", logs.String())
	}
}

func TestRecoveryAnswers500AndLogsThePanic(t *testing.T) {
	var logs bytes.Buffer
	r := newEngine(&logs, prometheus.NewRegistry())
	w := do(r, httptest.NewRequest("GET", "/panic", nil))
	if w.Code != 500 || decodeError(t, w).Error.Code != ritorno.EINTERNAL {
		t.Fatalf("panic answered %d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), `"panic":"boom"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Fatalf("panic or its access line missing from the log:\n%s", logs.String())
	}
}

func TestBodyLimit(t *testing.T) {
	var logs bytes.Buffer
	r := newEngine(&logs, prometheus.NewRegistry())
	if w := do(r, httptest.NewRequest("POST", "/echo", strings.NewReader("small"))); w.Code != 200 || w.Body.String() != "small" {
		t.Fatalf("small body = %d %q", w.Code, w.Body.String())
	}
	// Declared too large: refused at the limit.
	if w := do(r, httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("x", 17)))); w.Code != 413 {
		t.Fatalf("declared large body = %d", w.Code)
	}
	// Undeclared length (chunked) that turns out too large: refused while reading.
	req := httptest.NewRequest("POST", "/echo", io.MultiReader(strings.NewReader(strings.Repeat("x", 40))))
	req.ContentLength = -1
	w := do(r, req)
	if w.Code != 413 || decodeError(t, w).Error.Code != ritorno.ETOOLARGE {
		t.Fatalf("streamed large body = %d %s", w.Code, w.Body.String())
	}
}

func TestRequestIDsAndAccessLog(t *testing.T) {
	var logs bytes.Buffer
	r := newEngine(&logs, prometheus.NewRegistry())
	req := httptest.NewRequest("GET", "/err/invalid?id_token=SECRET_TOKEN", nil)
	req.Header.Set(web.RequestIDHeader, "proxy-id-123")
	w := do(r, req)
	if got := w.Header().Get(web.RequestIDHeader); got != "proxy-id-123" {
		t.Fatalf("well-formed incoming id not kept: %q", got)
	}
	req = httptest.NewRequest("GET", "/err/invalid", nil)
	req.Header.Set(web.RequestIDHeader, "bad id\nwith newline")
	w = do(r, req)
	if got := w.Header().Get(web.RequestIDHeader); got == "" || strings.Contains(got, " ") {
		t.Fatalf("malformed incoming id not replaced: %q", got)
	}
	if strings.Contains(logs.String(), "SECRET_TOKEN") {
		t.Fatal("the access log records the query string")
	}
	if !strings.Contains(logs.String(), `"route":"/err/:code"`) || !strings.Contains(logs.String(), `"request_id":"proxy-id-123"`) {
		t.Fatalf("access log lacks the route template or request id:\n%s", logs.String())
	}
}

func TestMetricsUseRouteTemplates(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	r := newEngine(&logs, reg)
	for _, p := range []string{"/err/invalid", "/err/conflict", "/no/such/path/1", "/no/such/path/2"} {
		do(r, httptest.NewRequest("GET", p, nil))
	}
	want := `
# HELP ritorno_http_requests_total HTTP requests by method, route template and status.
# TYPE ritorno_http_requests_total counter
ritorno_http_requests_total{method="GET",route="/err/:code",status="400"} 1
ritorno_http_requests_total{method="GET",route="/err/:code",status="409"} 1
ritorno_http_requests_total{method="GET",route="unmatched",status="404"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ritorno_http_requests_total"); err != nil {
		t.Fatal(err)
	}
}
