package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify/shopifytest"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
	"github.com/ritorno/ritorno/woocommerce/wootest"
)

const appKey = "e2e-api-key"

// noRedirects is a browser that shows each redirect instead of following it, with cookies.
func noRedirects(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func mustRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func backfillDone(t *testing.T, db *store.DB, shopID int64) ritorno.Backfill {
	t.Helper()
	var bf ritorno.Backfill
	waitFor(t, "the backfill to finish", func() bool {
		var err error
		bf, err = db.Backfill(context.Background(), shopID)
		if err != nil && ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatal(err)
		}
		if bf.Status == ritorno.BackfillFailed {
			t.Fatalf("backfill failed: %+v", bf)
		}
		return bf.Status == ritorno.BackfillDone
	})
	return bf
}

// TestShopifyInstallAndBackfillEndToEnd installs an embedded app on a fake Shopify through
// token exchange, imports the shop's past with bulk exports whose completion only the
// bulk_operations/finish webhook announces (the poll interval is an hour), then
// uninstalls and reinstalls it, and installs a second shop through the code grant.
func TestShopifyInstallAndBackfillEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		fake := shopifytest.New(t, appKey, appSecret)
		const domain = "acme.myshopify.com"
		data := shopifytest.GenerateShop(7, time.Now().UTC(), "EUR", 20, 8, 60)
		fake.AddShop(domain, shopifytest.ShopOptions{Name: "Acme", Currency: "EUR", Timezone: "Europe/Rome", Data: data})

		env := envFor(t, dsn)
		env["SHOPIFY_API_KEY"] = appKey
		srv := boot(t, env, serveHooks{platform: platformHTTP{shopifyBaseURL: fake.BaseURL}, bulkPoll: time.Hour, insightsEvery: 50 * time.Millisecond})
		fake.SetWebhookURL("http://" + srv.addr + "/webhooks/shopify")
		browser := noRedirects(t)

		// The admin loads the app with a session token: the shop is installed on the spot.
		load := func() *http.Response {
			q := url.Values{"shop": {domain}, "host": {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ"}, "embedded": {"1"},
				"id_token": {fake.SessionToken(domain, "42", time.Now())}}
			resp, body := fetch(t, browser, mustRequest(t, http.MethodGet, "http://"+srv.addr+"/?"+q.Encode(), nil))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Acme") {
				t.Fatalf("embedded load = %d:\n%.500s", resp.StatusCode, body)
			}
			return resp
		}
		resp := load()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://"+domain+" https://admin.shopify.com") {
			t.Errorf("CSP %q does not name the shop", csp)
		}
		shop, err := srv.db.ShopByDomain(ctx, ritorno.Shopify, domain)
		if err != nil || shop.Status != ritorno.ShopInstalled || shop.Currency != "EUR" || shop.Timezone != "Europe/Rome" || shop.Name != "Acme" {
			t.Fatalf("installed shop = %+v, %v", shop, err)
		}
		creds, err := srv.db.Credentials(ctx, shop.ID)
		if err != nil || creds.AccessToken == "" || creds.RefreshToken == "" || time.Until(creds.AccessTokenExpiresAt) < 30*time.Minute {
			t.Fatalf("stored credentials: access %v refresh %v expires %s, %v", creds.AccessToken != "", creds.RefreshToken != "", creds.AccessTokenExpiresAt, err)
		}

		// Each export finishes only when the fake announces it by webhook.
		var bf ritorno.Backfill
		waitFor(t, "the backfill to finish through bulk_operations/finish webhooks", func() bool {
			fake.FinishBulk(domain)
			var err error
			if bf, err = srv.db.Backfill(ctx, shop.ID); err != nil {
				t.Fatal(err)
			}
			if bf.Status == ritorno.BackfillFailed {
				t.Fatalf("backfill failed: %+v", bf)
			}
			return bf.Status == ritorno.BackfillDone
		})
		recent := 0
		for _, o := range data.Orders {
			if time.Since(o.PlacedAt()) <= 60*24*time.Hour && o.DeletedAt.IsZero() {
				recent++
			}
		}
		for table, want := range map[string]int64{"products": 8, "customers": 20, "orders": int64(recent)} {
			if got := storetest.CountRows(t, srv.db, table, shop.ID); got != want {
				t.Errorf("%s: %d imported, want %d", table, got, want)
			}
		}
		if bf.Limit == "" || bf.OrdersFrom.Before(time.Now().AddDate(0, 0, -61)) || bf.Skipped != 0 || bf.Inserted != int64(28+recent) {
			t.Errorf("backfill = %+v (want the 60-day limit recorded, %d orders)", bf, recent)
		}
		if st := fake.Stats(); st.BulkStarted != 3 || st.Exchanges != 1 || st.WebhooksSent < 3 {
			t.Errorf("fake Shopify saw %+v", st)
		}

		// shops show tells the operator how the import went.
		code, out, errOut := runCLI(t, env, "", "shops", "show", domain)
		if code != 0 || !strings.Contains(out, "history import:") || !strings.Contains(out, "done") || !strings.Contains(out, "60 days") {
			t.Errorf("shops show = %d:\n%s%s", code, out, errOut)
		}

		// The admin API answers with a session token, for this shop only.
		req := mustRequest(t, http.MethodGet, "http://"+srv.addr+"/api/admin/shop", nil)
		req.Header.Set("Authorization", "Bearer "+fake.SessionToken(domain, "42", time.Now()))
		resp, body := fetch(t, browser, req)
		var view struct {
			Domain   string `json:"domain"`
			Backfill struct {
				Status string `json:"status"`
			} `json:"backfill"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &view) != nil || view.Domain != domain || view.Backfill.Status != "done" {
			t.Errorf("admin API = %d %s", resp.StatusCode, body)
		}
		// The imported histories reach the merchant's figures: the insights are computed in
		// the background and the segments count every buyer with an order.
		waitFor(t, "insights of the imported shop", func() bool {
			ins, err := srv.db.ShopInsight(ctx, shop.ID)
			return err == nil && ins.ComputedAt.After(bf.FinishedAt)
		})
		req = mustRequest(t, http.MethodGet, "http://"+srv.addr+"/api/admin/segments", nil)
		req.Header.Set("Authorization", "Bearer "+fake.SessionToken(domain, "42", time.Now()))
		resp, body = fetch(t, browser, req)
		var segs struct {
			Segments []struct {
				Customers int64 `json:"customers"`
			} `json:"segments"`
		}
		buyers := int64(0)
		if resp.StatusCode == http.StatusOK && json.Unmarshal([]byte(body), &segs) == nil {
			for _, s := range segs.Segments {
				buyers += s.Customers
			}
		}
		if buyers == 0 {
			t.Errorf("segments = %d %s", resp.StatusCode, body)
		}
		req = mustRequest(t, http.MethodGet, "http://"+srv.addr+"/api/admin/kpis", nil)
		req.Header.Set("Authorization", "Bearer "+fake.SessionToken(domain, "42", time.Now()))
		if resp, body := fetch(t, browser, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"computed_from"`) {
			t.Errorf("kpis = %d %s", resp.StatusCode, body)
		}

		req = mustRequest(t, http.MethodGet, "http://"+srv.addr+"/api/admin/shop", nil)
		req.Header.Set("Authorization", "Bearer "+fake.SessionToken(domain, "42", time.Now().Add(-10*time.Minute)))
		if resp, _ := fetch(t, browser, req); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Shopify-Retry-Invalid-Session-Request") != "1" {
			t.Errorf("expired session token: %d %v", resp.StatusCode, resp.Header)
		}

		// Uninstall drops the tokens; the next load exchanges again and reinstalls.
		if code := srv.shopify(domain, "app/uninstalled", []byte(`{"id":1,"domain":"`+domain+`"}`)); code != http.StatusOK {
			t.Fatalf("app/uninstalled = %d", code)
		}
		srv.settle()
		if creds, _ := srv.db.Credentials(ctx, shop.ID); creds.AccessToken != "" {
			t.Fatal("the token survived the uninstall")
		}
		load()
		if got, _ := srv.db.ShopByDomain(ctx, ritorno.Shopify, domain); got.Status != ritorno.ShopInstalled || got.ID != shop.ID {
			t.Errorf("after reinstall: %+v", got)
		}
		if st := fake.Stats(); st.Exchanges != 2 {
			t.Errorf("exchanges = %d, want 2", st.Exchanges)
		}

		// A non-embedded install through the authorization-code grant.
		const other = "beta.myshopify.com"
		fake.AddShop(other, shopifytest.ShopOptions{Name: "Beta", Currency: "USD", Timezone: "America/New_York"})
		resp, _ = fetch(t, browser, mustRequest(t, http.MethodGet, "http://"+srv.addr+"/auth/shopify?shop="+other, nil))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Host != other || loc.Query().Get("state") == "" {
			t.Fatalf("auth start = %d, Location %s", resp.StatusCode, loc)
		}
		cb := fake.CallbackQuery(other, loc.Query().Get("state"), "", time.Now())
		resp, body = fetch(t, browser, mustRequest(t, http.MethodGet, "http://"+srv.addr+"/auth/shopify/callback?"+cb.Encode(), nil))
		if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), other+"/admin/apps/"+appKey) {
			t.Fatalf("callback = %d %s: %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if got, err := srv.db.ShopByDomain(ctx, ritorno.Shopify, other); err != nil || got.Currency != "USD" || got.Status != ritorno.ShopInstalled {
			t.Errorf("code-grant shop = %+v, %v", got, err)
		}
		// The same callback again is a replay.
		resp, _ = fetch(t, browser, mustRequest(t, http.MethodGet, "http://"+srv.addr+"/auth/shopify/callback?"+cb.Encode(), nil))
		if resp.StatusCode < 400 {
			t.Errorf("replayed callback = %d", resp.StatusCode)
		}
	})
}

// TestWooCommerceConnectAndBackfillEndToEnd connects a fake WooCommerce store through
// wc-auth, then imports its past over REST; the store ends up with Ritorno's webhooks.
func TestWooCommerceConnectAndBackfillEndToEnd(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		wc := wootest.NewTLS(t, wootest.Options{Name: "Bottega", Currency: "EUR", Timezone: "Europe/Rome",
			Data: wootest.Generate(wootest.Gen{Seed: 3, Products: 12, Customers: 30, Orders: 45, Currency: "EUR"})})
		env := envFor(t, dsn)
		env["RITORNO_WOOCOMMERCE_ALLOW_PRIVATE"] = "true" // the fake store listens on 127.0.0.1
		srv := boot(t, env, serveHooks{platform: platformHTTP{client: wc.Client()}})
		browser := noRedirects(t)

		form := url.Values{"store_url": {wc.URL}}
		req := mustRequest(t, http.MethodPost, "http://"+srv.addr+"/woocommerce/connect", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := fetch(t, browser, req)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Path != "/wc-auth/v1/authorize" || loc.Query().Get("callback_url") != env["RITORNO_APP_URL"]+"/woocommerce/callback" {
			t.Fatalf("connect = %d %s: %.300s", resp.StatusCode, loc, body)
		}

		// What WooCommerce posts once the merchant approves (the callback URL is https in
		// production; here the test posts it to the server directly).
		keys := wc.Keys()
		if len(keys) == 0 {
			t.Fatal("the fake store has no key")
		}
		cb := fmt.Sprintf(`{"key_id":%d,"user_id":%q,"consumer_key":%q,"consumer_secret":%q,"key_permissions":"read_write"}`,
			keys[0].ID, loc.Query().Get("user_id"), keys[0].ConsumerKey, keys[0].ConsumerSecret)
		req = mustRequest(t, http.MethodPost, "http://"+srv.addr+"/woocommerce/callback", strings.NewReader(cb))
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		if resp, body := fetch(t, browser, req); resp.StatusCode != http.StatusOK {
			t.Fatalf("callback = %d: %s", resp.StatusCode, body)
		}
		shop, err := srv.db.ShopByDomain(ctx, ritorno.WooCommerce, wc.URL)
		if err != nil || shop.Currency != "EUR" || shop.Name != "Bottega" || shop.ConnectionKey == "" {
			t.Fatalf("connected shop = %+v, %v", shop, err)
		}
		bf := backfillDone(t, srv.db, shop.ID)
		for table, want := range map[string]int64{"products": 12, "customers": 30, "orders": 45} {
			if got := storetest.CountRows(t, srv.db, table, shop.ID); got != want {
				t.Errorf("%s: %d imported, want %d", table, got, want)
			}
		}
		if bf.Skipped != 0 || bf.Limit != "" {
			t.Errorf("backfill = %+v", bf)
		}
		hooks := wc.Webhooks()
		creds, _ := srv.db.Credentials(ctx, shop.ID)
		if len(hooks) == 0 {
			t.Fatal("no webhooks were registered in the store")
		}
		for _, h := range hooks {
			if h.DeliveryURL != env["RITORNO_APP_URL"]+"/webhooks/woocommerce/"+shop.ConnectionKey || h.Secret != creds.WebhookSecret || h.Status != "active" {
				t.Errorf("webhook %s → %s (secret matches: %v, %s)", h.Topic, h.DeliveryURL, h.Secret == creds.WebhookSecret, h.Status)
			}
		}
	})
}

// TestWooCommerceConnectRefusesLocalStores: by default the connect flow refuses a store on
// the server's own network, here the fake store on 127.0.0.1 (issue 13, defect 11).
func TestWooCommerceConnectRefusesLocalStores(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		wc := wootest.NewTLS(t, wootest.Options{Name: "Bottega", Currency: "EUR", Timezone: "Europe/Rome"})
		srv := boot(t, envFor(t, dsn), serveHooks{platform: platformHTTP{client: wc.Client()}})
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(wc.URL, "https://"))
		keys := len(wc.Keys())
		for _, storeURL := range []string{wc.URL, "https://localhost:" + port, "https://[::1]:" + port, "https://10.0.0.7", "https://169.254.169.254"} {
			form := url.Values{"store_url": {storeURL}}
			req := mustRequest(t, http.MethodPost, "http://"+srv.addr+"/woocommerce/connect", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := fetch(t, noRedirects(t), req)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: connect = %d: %.300s", storeURL, resp.StatusCode, body)
			}
		}
		if n := len(wc.Keys()); n != keys {
			t.Fatalf("the store issued %d keys", n-keys)
		}
	})
}
