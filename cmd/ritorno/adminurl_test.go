package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// getWith sends a GET with an Authorization header and returns the status and body.
func getWith(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestAdminURL: `ritorno admin-url` prints a link whose token the server's admin JSON routes
// answer, with no Shopify app configured, for a WooCommerce shop added by hand; a forged or
// expired token is refused; the command's mistakes are usage errors.
func TestAdminURL(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		env := envFor(t, dsn)
		delete(env, "SHOPIFY_API_SECRET") // the newcomer's server: no Shopify app
		cli := func(args ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := run(ctx, args, envFrom(env), strings.NewReader(""), &out, &errb)
			return code, out.String(), errb.String()
		}
		if code, _, errs := cli("shops", "add", "--platform", "woocommerce", "--url", "https://store.example", "--consumer-key", "ck_x",
			"--consumer-secret", "cs_x", "--webhook-secret", "whsec", "--no-backfill", "--currency", "EUR"); code != exitOK {
			t.Fatalf("shops add: %d %s", code, errs)
		}
		code, out, errs := cli("admin-url", "--shop", "https://store.example", "--ttl", "10m")
		if code != exitOK || !strings.HasPrefix(out, "https://ritorno.example.com/admin#token=rla1.") || !strings.Contains(out, "valid until ") {
			t.Fatalf("admin-url: %d %q %s", code, out, errs)
		}
		token := strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "https://ritorno.example.com/admin#token=")

		s := boot(t, env, serveHooks{noWorkers: true})
		base := "http://" + s.addr
		status, body := getWith(t, base+"/api/admin/shop", "Bearer "+token)
		if status != http.StatusOK || !strings.Contains(body, `"domain":"https://store.example"`) || !strings.Contains(body, `"backfill":null`) {
			t.Fatalf("GET /api/admin/shop with the link: %d %s", status, body)
		}
		for _, path := range []string{"/api/admin/kpis", "/api/admin/segments", "/api/admin/recommendations/status"} {
			if status, body := getWith(t, base+path, "Bearer "+token); status != http.StatusOK {
				t.Errorf("GET %s with the link: %d %s", path, status, body)
			}
		}
		if status, body := get(t, base+"/admin"); status != http.StatusOK || strings.Contains(body, token) {
			t.Errorf("the admin page answered %d or holds a token", status)
		}

		shop, err := s.db.ShopByDomain(ctx, ritorno.WooCommerce, "https://store.example")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(envFrom(env))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.resolveEncryptionKey(); err != nil {
			t.Fatal(err)
		}
		expired, _, err := adminLink(cfg, shop, time.Now().Add(-2*time.Hour), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		forged := token[:len(token)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(token, "AA")]
		for name, tok := range map[string]string{"forged": forged, "expired": strings.TrimPrefix(expired, "https://ritorno.example.com/admin#token="), "none": ""} {
			auth := ""
			if tok != "" {
				auth = "Bearer " + tok
			}
			if status, body := getWith(t, base+"/api/admin/shop", auth); status == http.StatusOK || strings.Contains(body, "store.example") {
				t.Errorf("%s token: %d %s", name, status, body)
			}
		}

		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin-url"}, exitUsage, "needs --shop"},
			{[]string{"admin-url", "--shop", "https://store.example", "--ttl", "48h"}, exitUsage, "at most 24h"},
			{[]string{"admin-url", "--shop", "https://nowhere.example"}, exitFailure, "not found"},
		} {
			if code, _, errs := cli(c.args...); code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("%v: exit %d %q, want %d saying %q", c.args, code, errs, c.code, c.want)
			}
		}
		if code, out, _ := cli("admin-url", "--help"); code != exitOK || !strings.Contains(out, "--ttl DURATION") {
			t.Errorf("admin-url --help: %d %q", code, out)
		}
	})
}
