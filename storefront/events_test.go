package storefront

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
)

func TestEvents(t *testing.T) {
	srv := mustServer(t, nil)
	issued := sfNow.Truncate(time.Hour)
	token := func(shop int64, at time.Time) string {
		return srv.sf.signToken(TrackingToken{ShopID: shop, ProductID: 632910392, VariantID: 808950810, Kind: recommend.KindCrossSell, Placement: recommend.PlacementProduct, IssuedAt: at})
	}
	own, woo := token(1, issued), token(3, issued)
	batch := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`{"type":"impression","token":%q}`, own)
		}
		return `{"events":[` + strings.Join(parts, ",") + `]}`
	}
	proxy := func(customer string) string {
		return "/proxy/events?" + proxyQuery(url.Values{"logged_in_customer_id": {customer}}, "demo.myshopify.com", sfNow, sfSecret)
	}
	wooEvents := "/storefront/v1/" + sfWooKey + "/events"
	for _, tc := range []struct {
		name     string
		target   string
		body     string
		header   http.Header
		status   int
		recorded int
		buyer    int64
	}{
		{"click by beacon (text/plain)", proxy("42"), fmt.Sprintf(`{"type":"click","token":%q}`, own), hdr("Content-Type", "text/plain;charset=UTF-8"), 202, 1, 42},
		{"batch as JSON", proxy(""), batch(20), hdr("Content-Type", "application/json"), 202, 20, 0},
		{"WooCommerce add to cart", wooEvents + "?identity=" + mustIdentityToken(t, sfWooSecret, sfWooKey, 7, sfNow), fmt.Sprintf(`{"type":"add_to_cart","token":%q}`, woo), hdr("Origin", "https://shop.example", "Content-Type", "text/plain"), 202, 1, 7},
		{"batch too large", proxy(""), batch(21), nil, 400, 0, 0},
		{"empty batch", proxy(""), `{"events":[]}`, nil, 400, 0, 0},
		{"bad token", proxy(""), `{"type":"click","token":"AQG45OWtApq43oEDAQHAlOLPBvoTP8V2hk3x2NH9TzTxVY1"}`, nil, 400, 0, 0},
		{"missing token", proxy(""), `{"type":"click"}`, nil, 400, 0, 0},
		{"other shop's token", proxy(""), fmt.Sprintf(`{"type":"click","token":%q}`, woo), nil, 400, 0, 0},
		{"other shop's token on Woo", wooEvents, fmt.Sprintf(`{"type":"click","token":%q}`, own), hdr("Origin", "https://shop.example"), 400, 0, 0},
		{"expired token", proxy(""), fmt.Sprintf(`{"type":"click","token":%q}`, token(1, sfNow.Add(-25*time.Hour))), nil, 400, 0, 0},
		{"token from the future", proxy(""), fmt.Sprintf(`{"type":"click","token":%q}`, token(1, sfNow.Add(time.Hour))), nil, 400, 0, 0},
		{"one bad event is dropped from the batch", proxy(""), fmt.Sprintf(`{"events":[{"type":"click","token":%q},{"type":"hover","token":%q}]}`, own, own), nil, 202, 1, 0},
		{"a batch of bad events is refused", proxy(""), fmt.Sprintf(`{"events":[{"type":"hover","token":%q},{"type":"click","token":"x"}]}`, own), nil, 400, 0, 0},
		{"single and batch", proxy(""), fmt.Sprintf(`{"type":"click","token":%q,"events":[{"type":"click","token":%q}]}`, own, own), nil, 400, 0, 0},
		{"not JSON", proxy(""), `type=click`, nil, 400, 0, 0},
		{"form content type", proxy(""), `{}`, hdr("Content-Type", "application/x-www-form-urlencoded"), 400, 0, 0},
		{"body over 16 KB", proxy(""), `{"type":"click","token":"` + strings.Repeat("A", 17<<10) + `"}`, nil, 413, 0, 0},
		{"bad identity on Woo", wooEvents + "?identity=bad", fmt.Sprintf(`{"type":"click","token":%q}`, woo), hdr("Origin", "https://shop.example"), 401, 0, 0},
		{"wrong origin on Woo", wooEvents, fmt.Sprintf(`{"type":"click","token":%q}`, woo), hdr("Origin", "https://evil.example"), 403, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.events.events = nil
			rec := srv.do(t, "POST", tc.target, strings.NewReader(tc.body), tc.header)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if len(srv.events.events) != tc.recorded {
				t.Fatalf("%d events recorded, want %d", len(srv.events.events), tc.recorded)
			}
			if tc.recorded == 0 {
				return
			}
			e := srv.events.events[0]
			if e.ProductID != 632910392 || e.VariantID != 808950810 || e.Kind != "cross_sell" || e.Placement != "product" ||
				e.BuyerKey != tc.buyer || !e.OccurredAt.Equal(sfNow) {
				t.Fatalf("recorded %+v", e)
			}
			if want := map[bool]int64{true: 3, false: 1}[strings.HasPrefix(tc.target, "/storefront")]; srv.events.shop != want {
				t.Fatalf("recorded for shop %d, want %d", srv.events.shop, want)
			}
			if e.Type != ritorno.StorefrontClick && e.Type != ritorno.StorefrontImpression && e.Type != ritorno.StorefrontAddToCart {
				t.Fatalf("type %q", e.Type)
			}
		})
	}
}

// TestEventsBatchDropsOnlyTheBadEvent: 19 good events and one whose token is not valid
// store the 19, and the answer says so (issue 13, defect 13).
func TestEventsBatchDropsOnlyTheBadEvent(t *testing.T) {
	srv := mustServer(t, nil)
	proxy := "/proxy/events?" + proxyQuery(url.Values{}, "demo.myshopify.com", sfNow, sfSecret)
	parts := make([]string, 20)
	for i := range parts {
		tok := srv.sf.signToken(TrackingToken{ShopID: 1, ProductID: int64(i + 1), Kind: recommend.KindCrossSell,
			Placement: recommend.PlacementProduct, IssuedAt: sfNow})
		if i == 7 {
			tok = tok[:len(tok)-1] + string(tok[len(tok)-1]^1) // flipped MAC
		}
		parts[i] = fmt.Sprintf(`{"type":"impression","token":%q}`, tok)
	}
	rec := srv.do(t, "POST", proxy, strings.NewReader(`{"events":[`+strings.Join(parts, ",")+`]}`), nil)
	if rec.Code != http.StatusAccepted || strings.TrimSpace(rec.Body.String()) != `{"accepted":19,"dropped":1}` {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if len(srv.events.events) != 19 {
		t.Fatalf("%d events recorded, want 19", len(srv.events.events))
	}
	for _, e := range srv.events.events {
		if e.ProductID == 8 {
			t.Fatalf("the bad event was recorded: %+v", e)
		}
	}
}

// TestEventsCarryTheTokenIdentity: events of one token and viewer share an identity,
// which the store counts once per type; another token, another page view or another
// buyer has another. A logged-in buyer is one viewer across page views; without a view
// id a token is one viewer (issue 13, defect 12).
func TestEventsCarryTheTokenIdentity(t *testing.T) {
	srv := mustServer(t, nil)
	tok := func(product int64) string {
		return srv.sf.signToken(TrackingToken{ShopID: 1, ProductID: product, Kind: recommend.KindCrossSell,
			Placement: recommend.PlacementProduct, IssuedAt: sfNow})
	}
	key := func(customer, view string, token string) string {
		t.Helper()
		srv.events.events = nil
		proxy := "/proxy/events?" + proxyQuery(url.Values{"logged_in_customer_id": {customer}}, "demo.myshopify.com", sfNow, sfSecret)
		body := fmt.Sprintf(`{"view":%q,"events":[{"type":"click","token":%q}]}`, view, token)
		if view == "" {
			body = fmt.Sprintf(`{"type":"click","token":%q}`, token)
		}
		if rec := srv.do(t, "POST", proxy, strings.NewReader(body), nil); rec.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		k := srv.events.events[0].Token
		if k == "" || len(k) > ritorno.MaxEventTokenLen {
			t.Fatalf("token identity %q", k)
		}
		return k
	}
	a, b := tok(5), tok(6)
	same := [][2]string{
		{key("", "", a), key("", "", a)},
		{key("", "view-one-1234", a), key("", "view-one-1234", a)},
		{key("42", "view-one-1234", a), key("42", "view-two-5678", a)}, // a buyer across page views
		{key("42", "", a), key("42", "view-one-1234", a)},
	}
	for i, p := range same {
		if p[0] != p[1] {
			t.Errorf("same pair %d differs", i)
		}
	}
	different := [][2]string{
		{key("", "", a), key("", "", b)},
		{key("", "view-one-1234", a), key("", "view-two-5678", a)}, // two anonymous page views
		{key("42", "", a), key("43", "", a)},
		{key("", "", a), key("42", "", a)},
	}
	for i, p := range different {
		if p[0] == p[1] {
			t.Errorf("different pair %d is the same", i)
		}
	}
	proxy := "/proxy/events?" + proxyQuery(url.Values{}, "demo.myshopify.com", sfNow, sfSecret)
	for _, view := range []string{"short", strings.Repeat("v", 65), "has space in it", "naïve-view-id"} {
		body := fmt.Sprintf(`{"view":%q,"events":[{"type":"click","token":%q}]}`, view, a)
		if rec := srv.do(t, "POST", proxy, strings.NewReader(body), nil); rec.Code != http.StatusBadRequest {
			t.Errorf("view %q answered %d", view, rec.Code)
		}
	}
}
