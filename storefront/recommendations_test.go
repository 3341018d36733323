package storefront

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno/recommend"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// TestRecommendationsGolden pins the JSON of a Shopify product answer (stub engine): ids as
// strings, relative product URLs, exact decimal prices, the item without a handle dropped,
// and nothing of the engine's score, source, evidence or notes.
func TestRecommendationsGolden(t *testing.T) {
	srv := mustServer(t, nil)
	rec := srv.do(t, "GET", "/proxy/recommendations?"+proxyQuery(url.Values{"placement": {"product"}, "product_id": {"7"}}, "demo.myshopify.com", sfNow, sfSecret), nil, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var pretty bytes.Buffer // indented in the response's own field order
	if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden := "testdata/recommendations.golden.json"
	if *updateGolden {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if pretty.String() != string(want) {
		t.Fatalf("response differs from %s (run with -update to accept):\n%s", golden, pretty.String())
	}
	for _, leak := range []string{"score", "source", "evidence", "buyers", "internal note", "anchor"} {
		if strings.Contains(strings.ToLower(rec.Body.String()), leak) {
			t.Fatalf("response holds %q", leak)
		}
	}
}

// jsonKeys lists the JSON names of a struct type's fields, recursing into struct fields.
func jsonKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = "!" + f.Name // an untagged field would be serialised under its Go name
		}
		keys = append(keys, prefix+name)
		if ft := f.Type; ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Struct {
			keys = append(keys, jsonKeys(ft, prefix+name+".")...)
		}
	}
	return keys
}

// TestResponseIsAnAllowlist proves that the response type can only ever hold these
// fields: a new field anywhere (a customer's name, an email) fails here first.
func TestResponseIsAnAllowlist(t *testing.T) {
	want := []string{"placement", "items", "items.product_id", "items.variant_id", "items.title", "items.url", "items.image_url",
		"items.price", "items.price.amount", "items.price.currency", "items.kind", "items.reason", "items.token"}
	got := jsonKeys(reflect.TypeFor[RecommendationsResponse](), "")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("JSON keys %v, want exactly %v", got, want)
	}
}

func TestRecommendationParams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		want  recommend.Request
		err   string
	}{
		{"product", "placement=product&product_id=7", recommend.Request{Placement: "product", ProductID: 7, Limit: 4}, ""},
		{"cart with limit", "placement=cart&cart=1,2,3&limit=20", recommend.Request{Placement: "cart", Cart: []int64{1, 2, 3}, Limit: 20}, ""},
		{"thank you", "placement=thank_you&cart=9", recommend.Request{Placement: "thank_you", Cart: []int64{9}, Limit: 4}, ""},
		{"empty cart", "placement=cart", recommend.Request{Placement: "cart", Limit: 4}, ""},
		{"no placement", "product_id=7", recommend.Request{}, "placement is required"},
		{"unknown placement", "placement=for_you", recommend.Request{}, "placement must be"},
		{"product without id", "placement=product", recommend.Request{}, "product_id"},
		{"product id not a number", "placement=product&product_id=abc", recommend.Request{}, "product_id"},
		{"limit zero", "placement=product&product_id=7&limit=0", recommend.Request{}, "limit"},
		{"limit too high", "placement=product&product_id=7&limit=21", recommend.Request{}, "limit"},
		{"cart with a bad id", "placement=cart&cart=1,x", recommend.Request{}, "cart must be"},
		{"cart too long", "placement=cart&cart=" + strings.Repeat("1,", 50) + "1", recommend.Request{}, "more than 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, err := recommendationParams(q)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestRecommendationsCaching(t *testing.T) {
	srv := mustServer(t, nil)
	get := func(query url.Values, header ...string) *http.Response {
		rec := srv.do(t, "GET", "/proxy/recommendations?"+proxyQuery(query, "demo.myshopify.com", srv.now, sfSecret), nil, hdr(header...))
		return rec.Result()
	}
	product := url.Values{"placement": {"product"}, "product_id": {"7"}}
	first := get(product)
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || first.Header.Get("Cache-Control") != "public, max-age=60" || etag == "" {
		t.Fatalf("anonymous product: %d %v", first.StatusCode, first.Header)
	}
	srv.now = srv.now.Add(10 * time.Minute) // same hour: same tokens, same bytes
	if again := get(product, "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", again.StatusCode)
	}
	if other := get(product, "If-None-Match", `"other"`); other.StatusCode != 200 {
		t.Fatalf("other tag: %d", other.StatusCode)
	}
	for name, q := range map[string]url.Values{
		"logged in": {"placement": {"product"}, "product_id": {"7"}, "logged_in_customer_id": {"42"}},
		"cart":      {"placement": {"cart"}, "cart": {"1,2"}},
	} {
		r := get(q, "If-None-Match", etag)
		if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "private, no-store" || r.Header.Get("ETag") != "" {
			t.Fatalf("%s: %d %v", name, r.StatusCode, r.Header)
		}
	}
}

func TestProductURLs(t *testing.T) {
	srv := mustServer(t, nil)
	rec := srv.do(t, "GET", "/storefront/v1/"+sfWooKey+"/recommendations?placement=product&product_id=7", nil, nil)
	var resp RecommendationsResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Items) != 3 {
		t.Fatalf("%s, %v", rec.Body, err)
	}
	if got := resp.Items[0].URL; got != "https://shop.example/?post_type=product&p=632910392" {
		t.Fatalf("WooCommerce URL %q", got)
	}
}

func TestTrackingTokens(t *testing.T) {
	srv := mustServer(t, nil)
	tok := TrackingToken{ShopID: 1, ProductID: 632910392, VariantID: 808950810, Kind: recommend.KindUpSell, Placement: recommend.PlacementCart, IssuedAt: time.Unix(1777777777, 0)}
	s := srv.sf.signToken(tok)
	if len(s) > 60 {
		t.Fatalf("token is %d characters: %s", len(s), s)
	}
	got, err := srv.sf.openToken(s)
	if err != nil || got != tok {
		t.Fatalf("round trip %+v, %v", got, err)
	}
	// Every positive int64 id round-trips: imported text ids hash to 63 bits (issue 13, defect 13).
	for _, id := range []int64{1, 1 << 62, 1<<62 + 1, math.MaxInt64} {
		big := TrackingToken{ShopID: id, ProductID: id, VariantID: id, Kind: recommend.KindCrossSell, Placement: recommend.PlacementProduct, IssuedAt: time.Unix(1777777777, 0)}
		if got, err := srv.sf.openToken(srv.sf.signToken(big)); err != nil || got != big {
			t.Errorf("id %d: round trip %+v, %v", id, got, err)
		}
	}
	other := mustServer(t, func(c *Config) { c.TrackingKey = []byte("another key") })
	for name, bad := range map[string]string{
		"other key":   other.sf.signToken(tok),
		"flipped bit": s[:10] + string(s[10]^1) + s[11:],
		"truncated":   s[:len(s)-2],
		"empty":       "",
		"not base64":  "!!!!",
		"padded":      s + "==",
	} {
		if _, err := srv.sf.openToken(bad); err == nil {
			t.Errorf("%s token accepted", name)
		}
	}
}
