package storefront

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno/web"
)

// benchRouters returns a router with the production middleware and the storefront routes,
// a target for a signed anonymous product request, and a router serving the same bytes
// from a static handler, to tell the storefront's own cost from gin's and net/http's.
func benchRouters(b *testing.B) (*gin.Engine, string, *gin.Engine) {
	b.Helper()
	srv := mustServer(b, func(c *Config) {
		c.Limits = Limits{PerAddress: Rate{PerSecond: 1e9, Burst: 1e9}, PerShop: Rate{PerSecond: 1e9, Burst: 1e9}}
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := gin.New()
	router.Use(web.RequestIDs(log), web.AccessLog(), web.Recovery())
	srv.sf.Register(router)
	target := "/proxy/recommendations?" + proxyQuery(url.Values{"placement": {"product"}, "product_id": {"7"}}, "demo.myshopify.com", sfNow, sfSecret)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("warm-up: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	static := gin.New()
	static.Use(web.RequestIDs(log), web.AccessLog(), web.Recovery())
	static.GET("/static", func(c *gin.Context) {
		c.Header("Cache-Control", publicMaxAge)
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	})
	b.SetBytes(int64(len(body)))
	return router, target, static
}

// BenchmarkRecommendationsInProcess serves GET recommendations through the whole gin
// stack (request id, access log, recovery, rate limits, app proxy signature, shop cache,
// stub engine, DTO, tokens, ETag) against the static handler, without sockets.
func BenchmarkRecommendationsInProcess(b *testing.B) {
	router, target, static := benchRouters(b)
	for _, bc := range []struct {
		name   string
		router *gin.Engine
		target string
	}{{"storefront", router, target}, {"static", static, "/static"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					bc.router.ServeHTTP(rec, httptest.NewRequest("GET", bc.target, nil))
					if rec.Code != http.StatusOK {
						b.Errorf("status %d", rec.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRecommendationsLoopback is the same comparison over real HTTP on loopback.
func BenchmarkRecommendationsLoopback(b *testing.B) {
	router, target, static := benchRouters(b)
	for _, bc := range []struct {
		name   string
		router *gin.Engine
		target string
	}{{"storefront", router, target}, {"static", static, "/static"}} {
		b.Run(bc.name, func(b *testing.B) {
			ts := httptest.NewServer(bc.router)
			defer ts.Close()
			client := ts.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(ts.URL + bc.target)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
