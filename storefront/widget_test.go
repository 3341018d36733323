package storefront

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// widgetBudget is issue 7's limit for the widget's JS and CSS together, gzipped.
const widgetBudget = 8192

func mustWidgetFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := widgetFiles.ReadFile("widget/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustGunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

func mustWidgetRouter(t *testing.T) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	RegisterWidget(r)
	return r
}

// TestWidgetSizeBudget measures what a browser downloads: each file as served, gzipped.
func TestWidgetSizeBudget(t *testing.T) {
	total, raw := 0, 0
	for _, name := range []string{"ritorno.js", "ritorno.css"} {
		a := newWidgetAsset(name, "")
		if got := mustGunzip(t, a.gz); !bytes.Equal(got, a.raw) {
			t.Fatalf("%s: the precompressed copy does not decompress to the file", name)
		}
		t.Logf("%s: %d bytes, %d gzipped", name, len(a.raw), len(a.gz))
		total += len(a.gz)
		raw += len(a.raw)
	}
	t.Logf("widget total: %d bytes, %d gzipped (budget %d)", raw, total, widgetBudget)
	if total > widgetBudget {
		t.Errorf("widget is %d bytes gzipped, over the %d-byte budget", total, widgetBudget)
	}
}

func TestWidgetServing(t *testing.T) {
	r := mustWidgetRouter(t)
	js, css := mustWidgetFile(t, "ritorno.js"), mustWidgetFile(t, "ritorno.css")
	jsAsset := newWidgetAsset("ritorno.js", "")
	cases := []struct {
		name, method, path, acceptEncoding, ifNoneMatch string
		status                                          int
		contentType, encoding, etag                     string
		body                                            []byte
	}{
		{name: "js plain", method: "GET", path: "/widget/ritorno.js", status: 200,
			contentType: "text/javascript; charset=utf-8", etag: jsAsset.etag, body: js},
		{name: "js gzip", method: "GET", path: "/widget/ritorno.js", acceptEncoding: "gzip, deflate, br", status: 200,
			contentType: "text/javascript; charset=utf-8", encoding: "gzip", etag: jsAsset.gzETag, body: js},
		{name: "css gzip", method: "GET", path: "/widget/ritorno.css", acceptEncoding: "br;q=1.0, gzip;q=0.8", status: 200,
			contentType: "text/css; charset=utf-8", encoding: "gzip", body: css},
		{name: "gzip refused", method: "GET", path: "/widget/ritorno.css", acceptEncoding: "gzip;q=0, *;q=1", status: 200,
			contentType: "text/css; charset=utf-8", body: css},
		{name: "any encoding", method: "GET", path: "/widget/ritorno.js", acceptEncoding: "*", status: 200,
			contentType: "text/javascript; charset=utf-8", encoding: "gzip", body: js},
		{name: "head", method: "HEAD", path: "/widget/ritorno.js", status: 200,
			contentType: "text/javascript; charset=utf-8", etag: jsAsset.etag},
		{name: "revalidated plain", method: "GET", path: "/widget/ritorno.js", ifNoneMatch: jsAsset.etag, status: 304, etag: jsAsset.etag},
		{name: "revalidated gzip", method: "GET", path: "/widget/ritorno.js", acceptEncoding: "gzip", ifNoneMatch: `"old", ` + jsAsset.gzETag, status: 304, etag: jsAsset.gzETag},
		{name: "weak tag matches", method: "GET", path: "/widget/ritorno.js", ifNoneMatch: "W/" + jsAsset.etag, status: 304},
		{name: "star matches", method: "GET", path: "/widget/ritorno.js", ifNoneMatch: "*", status: 304},
		{name: "other encoding's tag", method: "GET", path: "/widget/ritorno.js", ifNoneMatch: jsAsset.gzETag, status: 200,
			contentType: "text/javascript; charset=utf-8", etag: jsAsset.etag, body: js},
		{name: "stale tag", method: "GET", path: "/widget/ritorno.css", ifNoneMatch: `"0123"`, status: 200,
			contentType: "text/css; charset=utf-8", body: css},
		{name: "unknown file", method: "GET", path: "/widget/other.js", status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tc.acceptEncoding)
			}
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d", w.Code, tc.status)
			}
			if tc.status == 404 {
				return
			}
			h := w.Header()
			if got := h.Get("Cache-Control"); got != "public, max-age=3600" {
				t.Errorf("Cache-Control = %q", got)
			}
			if !strings.Contains(h.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary = %q, want Accept-Encoding", h.Get("Vary"))
			}
			if h.Get("ETag") == "" || (tc.etag != "" && h.Get("ETag") != tc.etag) {
				t.Errorf("ETag = %q, want %q", h.Get("ETag"), tc.etag)
			}
			if tc.status == 304 {
				if w.Body.Len() != 0 {
					t.Errorf("304 has a body of %d bytes", w.Body.Len())
				}
				return
			}
			if got := h.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if got := h.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding = %q, want %q", got, tc.encoding)
			}
			if h.Get("Content-Length") == "" {
				t.Error("no Content-Length")
			}
			if tc.method == "HEAD" {
				if w.Body.Len() != 0 {
					t.Errorf("HEAD answered a body of %d bytes", w.Body.Len())
				}
				return
			}
			got := w.Body.Bytes()
			if tc.encoding == "gzip" {
				got = mustGunzip(t, got)
			}
			if !bytes.Equal(got, tc.body) {
				t.Errorf("body differs from the embedded file (%d vs %d bytes)", len(got), len(tc.body))
			}
		})
	}
}

// TestWidgetETagFollowsContent: a changed file must get a new ETag, or caches would keep
// serving the old widget after a release.
func TestWidgetETagFollowsContent(t *testing.T) {
	js, css := newWidgetAsset("ritorno.js", ""), newWidgetAsset("ritorno.css", "")
	if js.etag == css.etag || js.etag == js.gzETag {
		t.Errorf("ETags collide: js %s, css %s, js gzip %s", js.etag, css.etag, js.gzETag)
	}
	if again := newWidgetAsset("ritorno.js", ""); again.etag != js.etag || !bytes.Equal(again.gz, js.gz) {
		t.Error("the same file gives another ETag or another gzip on a second start: caches would miss after each restart")
	}
}

// TestThemeExtensionAssetsMatchWidget keeps the Shopify theme extension's copies identical
// to the embedded widget, so that both surfaces run the same code. The copies are
// generated (storefront/widget/extensionassets); edit storefront/widget/ only.
func TestThemeExtensionAssetsMatchWidget(t *testing.T) {
	for _, name := range []string{"ritorno.js", "ritorno.css"} {
		copied, err := os.ReadFile("../extensions/ritorno-recommendations/assets/" + name)
		if err != nil {
			t.Fatalf("%v (run go generate ./storefront)", err)
		}
		if !bytes.Equal(copied, mustWidgetFile(t, name)) {
			t.Errorf("extensions/ritorno-recommendations/assets/%s differs from storefront/widget/%s, its source: "+
				"edit storefront/widget/ only, then run go generate ./storefront", name, name)
		}
	}
}

// TestWidgetSourceRules checks, by reading the code, promises a browser test cannot see
// everywhere: no console output, no HTML built from response strings, one global.
func TestWidgetSourceRules(t *testing.T) {
	js := string(mustWidgetFile(t, "ritorno.js"))
	css := string(mustWidgetFile(t, "ritorno.css"))
	cases := []struct {
		name string
		ok   bool
	}{
		{"no console output", !strings.Contains(js, "console.")},
		{"no innerHTML, outerHTML, insertAdjacentHTML or document.write", !regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`).MatchString(js)},
		{"no eval or Function constructor", !regexp.MustCompile(`\beval\(|new Function\(`).MatchString(js)},
		{"one global, window.Ritorno", len(regexp.MustCompile(`\bw\.[A-Za-z_$]+\s*=[^=]`).FindAllString(js, -1)) == 1 && strings.Contains(js, "w.Ritorno = ")},
		{"events by sendBeacon", strings.Contains(js, "navigator.sendBeacon")},
		{"prices by Intl.NumberFormat", strings.Contains(js, "Intl.NumberFormat")},
		{"font inherited from the theme", strings.Contains(css, "var(--ritorno-font, inherit)")},
		{"no fixed colours for text", !regexp.MustCompile(`(?m)^\s*color:\s*#`).MatchString(css)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Error("broken")
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	cases := []struct {
		name, header string
		want         bool
	}{
		{"empty", "", false},
		{"gzip", "gzip", true},
		{"browser", "gzip, deflate, br, zstd", true},
		{"q zero", "gzip;q=0", false},
		{"q zero spaced", "gzip ; q = 0.0", false},
		{"x-gzip", "x-gzip", true},
		{"star", "*", true},
		{"star refused", "*;q=0", false},
		{"gzip refused, star allowed", "gzip;q=0, *", false},
		{"identity only", "identity", false},
		{"upper case", "GZIP", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptsGzip(tc.header); got != tc.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}
