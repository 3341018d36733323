package storefront

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// widgetFiles are the widget's two files, embedded so that one binary serves them. They
// are the source: the Shopify theme app extension ships copies in
// extensions/ritorno-recommendations/assets/, written by `go generate ./storefront`
// (a test fails when they differ).
//
//go:generate go run ./widget/extensionassets
//go:embed widget/ritorno.js widget/ritorno.css
var widgetFiles embed.FS

// WidgetPath is where RegisterWidget serves the widget: WidgetPath+"/ritorno.js" and
// WidgetPath+"/ritorno.css".
const WidgetPath = "/widget"

// widgetCacheControl is short because the file names carry no version: a fix reaches stores
// within the hour, and the ETag makes revalidation cheap.
const widgetCacheControl = "public, max-age=3600"

// widgetAsset is one embedded file ready to serve, compressed once at start.
type widgetAsset struct {
	contentType  string
	raw, gz      []byte
	etag, gzETag string
}

func newWidgetAsset(name, contentType string) *widgetAsset {
	raw, err := widgetFiles.ReadFile("widget/" + name)
	if err != nil {
		panic("storefront: widget asset missing from the embed: " + name) // a build mistake, not a runtime condition
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never errors
	zw.Write(raw)                                            // writes to a bytes.Buffer cannot fail
	zw.Close()
	sum := sha256.Sum256(raw)
	tag := hex.EncodeToString(sum[:16])
	// Each encoding is its own representation, so each gets its own strong ETag.
	return &widgetAsset{contentType: contentType, raw: raw, gz: buf.Bytes(),
		etag: `"` + tag + `"`, gzETag: `"` + tag + `-gz"`}
}

func (a *widgetAsset) serve(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", widgetCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Timing-Allow-Origin", "*") // lets stores on other origins measure the widget's cost
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.raw, a.etag
	gz := acceptsGzip(c.GetHeader("Accept-Encoding"))
	if gz {
		body, etag = a.gz, a.gzETag
	}
	h.Set("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		c.Writer.Write(body)
	}
}

// RegisterWidget serves GET and HEAD WidgetPath/ritorno.js and WidgetPath/ritorno.css on r,
// with an ETag, an hour of public caching, 304 on If-None-Match and gzip when accepted.
//
// A theme, the WordPress plugin or the demo page loads both files (the script async) and
// places containers; the widget fills each one independently:
//
//	<div class="ritorno-recs" style="min-height: 520px"
//	  data-endpoint="/apps/ritorno/recommendations"  recommendations URL (required)
//	  data-events="/apps/ritorno/events"             events URL (impression, click, add_to_cart)
//	  data-platform="shopify"                        shopify | woocommerce | demo: how to add to cart
//	  data-placement="product"                       product | cart | thank_you
//	  data-product-id="123" data-cart="1,2" data-limit="4"
//	  data-heading="You may also like"               no heading when empty
//	  data-currency="EUR" data-locale="en-GB"        price formatting (Intl.NumberFormat)
//	  data-add-label="Add to cart" data-added-label="Added"
//	  data-identity="JWT"                            WooCommerce shopper token, sent as X-Ritorno-Identity
//	  data-cart-endpoint="/demo/cart/add"            demo: required; others: overrides the platform's URL
//	  data-product-href="/p?id={id}"             optional: item links from a template
//	></div>
//
// Empty state: when the answer is empty or the request fails, nothing is shown. A container
// the shopper can see (or has scrolled past) keeps its reserved height, blank, because
// collapsing it would shift the page; one still below the fold is hidden, which moves nothing
// on screen. Merchants who dislike a blank space place the block below the fold.
func RegisterWidget(r gin.IRouter) {
	for name, typ := range map[string]string{
		"ritorno.js":  "text/javascript; charset=utf-8",
		"ritorno.css": "text/css; charset=utf-8",
	} {
		a := newWidgetAsset(name, typ)
		r.GET(WidgetPath+"/"+name, a.serve)
		r.HEAD(WidgetPath+"/"+name, a.serve)
	}
}

// acceptsGzip reads an Accept-Encoding header: gzip (or x-gzip, or *) with a non-zero q.
func acceptsGzip(header string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			anyQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2): "*" or any listed
// tag equal to etag once a W/ prefix is dropped.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
