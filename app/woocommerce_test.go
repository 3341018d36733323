package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

const formType = "application/x-www-form-urlencoded"

// connect posts the connect form and returns the token passed to WooCommerce as user_id.
func (h *harness) connect(storeURL string) string {
	h.t.Helper()
	w := h.do(http.MethodPost, "/woocommerce/connect", url.Values{"store_url": {storeURL}}.Encode(), "Content-Type", formType)
	if w.Code != http.StatusFound {
		h.t.Fatalf("connect answered %d: %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host != h.woo.store || loc.Path != "/wc-auth/v1/authorize" {
		h.t.Fatalf("redirected to %q", w.Header().Get("Location"))
	}
	q := loc.Query()
	if q.Get("scope") != "read_write" || q.Get("callback_url") != appURL+"/woocommerce/callback" || q.Get("return_url") != appURL+"/woocommerce/connected" {
		h.t.Fatalf("authorize query %v", q)
	}
	return q.Get("user_id")
}

// wooCallback posts a key pair as WooCommerce does.
func (h *harness) wooCallback(token, ck, cs, perms string) *httptest.ResponseRecorder {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"key_id": 7, "user_id": token, "consumer_key": ck, "consumer_secret": cs, "key_permissions": perms})
	return h.do(http.MethodPost, "/woocommerce/callback", string(body), "Content-Type", "application/json;charset=UTF-8")
}

func TestWooCommerceConnect(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := mustHarness(t, db)
		if w := h.get("/woocommerce/connect"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/woocommerce/connect"`) {
			t.Fatalf("connect page answered %d", w.Code)
		}
		token := h.connect("https://Shop.Example/")
		if len(token) > 128 {
			t.Fatalf("token of %d characters: WooCommerce's user_id takes 128", len(token))
		}
		h.woo.accept("ck_one", "cs_one")
		w := h.wooCallback(token, "ck_one", "cs_one", "read_write")
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"status":"connected"}` {
			t.Fatalf("callback answered %d: %s", w.Code, w.Body)
		}
		shop := h.mustShop(ritorno.WooCommerce, "https://shop.example")
		if shop.Status != ritorno.ShopInstalled || shop.Name != "Woo Shop" || shop.Currency != "EUR" || len(shop.ConnectionKey) < 40 {
			t.Fatalf("stored %+v", shop)
		}
		creds := h.mustCredentials(shop.ID)
		if creds.ConsumerKey != "ck_one" || creds.ConsumerSecret != "cs_one" || len(creds.WebhookSecret) < 40 {
			t.Fatalf("credentials not stored (key %q)", creds.ConsumerKey)
		}
		if raw := storetest.AllRows(t, db, "shop_credentials", shop.ID); strings.Contains(raw, "cs_one") {
			t.Fatal("the consumer secret is stored in clear")
		}
		if n := h.backfills.startsOf(shop.ID); n != 1 {
			t.Fatalf("%d backfills started", n)
		}

		t.Run("the return page", func(t *testing.T) {
			w := h.get("/woocommerce/connected?" + url.Values{"success": {"1"}, "user_id": {token}}.Encode())
			if page := mustBody(t, w); w.Code != http.StatusOK || !strings.Contains(page, "Store connected") || strings.Contains(page, "shop.example") {
				t.Fatalf("answered %d: %s", w.Code, page)
			}
			w = h.get("/woocommerce/connected?" + url.Values{"success": {"0"}, "user_id": {token}}.Encode())
			if page := mustBody(t, w); w.Code != http.StatusOK || !strings.Contains(page, "Not connected") {
				t.Fatalf("denied answered %d: %s", w.Code, page)
			}
			wantError(t, h.get("/woocommerce/connected?success=1&user_id=forged"), http.StatusUnauthorized, ritorno.EUNAUTHORIZED)
		})

		t.Run("replayed callback", func(t *testing.T) {
			if w := h.wooCallback(token, "ck_one", "cs_one", "read_write"); w.Code != http.StatusOK {
				t.Fatalf("replay answered %d: %s", w.Code, w.Body)
			}
			if again := h.mustShop(ritorno.WooCommerce, "https://shop.example"); again.ID != shop.ID || again.ConnectionKey != shop.ConnectionKey {
				t.Fatalf("the replay made another shop or connection key: %+v", again)
			}
		})

		t.Run("reconnect of an uninstalled store", func(t *testing.T) {
			if err := db.UninstallShop(ctx, shop.ID, h.clock.Now()); err != nil {
				t.Fatal(err)
			}
			h.woo.accept("ck_two", "cs_two")
			if w := h.wooCallback(h.connect("https://shop.example"), "ck_two", "cs_two", "read_write"); w.Code != http.StatusOK {
				t.Fatalf("reconnect answered %d: %s", w.Code, w.Body)
			}
			again := h.mustShop(ritorno.WooCommerce, "https://shop.example")
			if again.ID != shop.ID || again.ConnectionKey != shop.ConnectionKey || again.Status != ritorno.ShopInstalled {
				t.Fatalf("after reconnect %+v", again)
			}
			c := h.mustCredentials(shop.ID)
			if c.ConsumerKey != "ck_two" || c.ConsumerSecret != "cs_two" || c.WebhookSecret == creds.WebhookSecret || c.WebhookSecret == "" {
				t.Fatal("the new keys and a new webhook secret were not stored")
			}
		})
	})
}

func TestWooCommerceCallbackRefusals(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		cases := []struct {
			name   string
			run    func(h *harness) *httptest.ResponseRecorder
			status int
			code   string
		}{
			{"token signed with another key", func(h *harness) *httptest.ResponseRecorder {
				other := mustHarness(h.t, h.db, func(c *app.Config) { c.StateKey = []byte(strings.Repeat("k", 32)) })
				return h.wooCallback(other.connect("https://shop.example"), "ck_ok", "cs_ok", "read_write")
			}, 401, ritorno.EUNAUTHORIZED},
			{"tampered token", func(h *harness) *httptest.ResponseRecorder {
				raw, err := base64.RawURLEncoding.DecodeString(h.connect("https://shop.example"))
				if err != nil {
					h.t.Fatal(err)
				}
				raw[len(raw)-20] ^= 1 // the last byte of the URL: https://shop.examplf
				return h.wooCallback(base64.RawURLEncoding.EncodeToString(raw), "ck_ok", "cs_ok", "read_write")
			}, 401, ritorno.EUNAUTHORIZED},
			{"made-up token", func(h *harness) *httptest.ResponseRecorder {
				return h.wooCallback("12345", "ck_ok", "cs_ok", "read_write")
			}, 401, ritorno.EUNAUTHORIZED},
			{"expired token", func(h *harness) *httptest.ResponseRecorder {
				token := h.connect("https://shop.example")
				h.clock.Add(time.Hour + time.Second)
				return h.wooCallback(token, "ck_ok", "cs_ok", "read_write")
			}, 401, ritorno.EUNAUTHORIZED},
			{"keys the store rejects", func(h *harness) *httptest.ResponseRecorder {
				return h.wooCallback(h.connect("https://shop.example"), "ck_ok", "cs_wrong", "read_write")
			}, 400, ritorno.EINVALID},
			{"read-only key", func(h *harness) *httptest.ResponseRecorder {
				return h.wooCallback(h.connect("https://shop.example"), "ck_ok", "cs_ok", "read")
			}, 400, ritorno.EINVALID},
			{"not a key pair", func(h *harness) *httptest.ResponseRecorder {
				return h.do(http.MethodPost, "/woocommerce/callback", `{"user_id":"x"}`, "Content-Type", "application/json")
			}, 400, ritorno.EINVALID},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := mustHarness(t, db)
				h.woo.accept("ck_ok", "cs_ok")
				wantError(t, c.run(h), c.status, c.code)
				if _, err := db.ShopByDomain(context.Background(), ritorno.WooCommerce, "https://shop.example"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
					t.Fatalf("a refused callback stored the shop (err %v)", err)
				}
			})
		}
	})
}

func TestWooCommerceStoreURL(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		for _, raw := range []string{"http://shop.example", "ftp://shop.example", "https://u:p@shop.example", "https://shop.example/?a=1",
			"shop.example", "", "https://shop.example/" + strings.Repeat("a", 60)} {
			t.Run(raw, func(t *testing.T) {
				w := h.do(http.MethodPost, "/woocommerce/connect", url.Values{"store_url": {raw}}.Encode(), "Content-Type", formType)
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
			})
		}
		t.Run("longest URL that fits", func(t *testing.T) {
			h.woo.store = "https://shop.example"
			u := "https://shop.example/" + strings.Repeat("a", 66-len("shop.example/"))
			w := h.do(http.MethodPost, "/woocommerce/connect", url.Values{"store_url": {u}}.Encode(), "Content-Type", formType)
			loc, _ := url.Parse(w.Header().Get("Location"))
			if w.Code != http.StatusFound || len(loc.Query().Get("user_id")) != 128 {
				t.Fatalf("answered %d: %s", w.Code, w.Body)
			}
		})
	})
}

// TestWooConnectRefusesInternalStores: the connect flow never signs a token for a store
// at a loopback, private, link-local or metadata address, or a name resolving to one
// (issue 13, defect 11); the adapter checks every connection again (woocommerce tests).
func TestWooConnectRefusesInternalStores(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		for _, raw := range []string{"https://127.0.0.1:8443", "https://127.1.2.3", "https://10.0.0.5", "https://192.168.1.1",
			"https://172.16.0.1", "https://[::1]:8443", "https://[::ffff:127.0.0.1]", "https://[fd00::1]", "https://169.254.169.254",
			"https://[fe80::1]", "https://100.64.0.1", "https://0.0.0.0", "https://224.0.0.1", "https://localhost:8443",
			"https://rebind.example", "https://unknown.example"} {
			t.Run(raw, func(t *testing.T) {
				w := h.do(http.MethodPost, "/woocommerce/connect", url.Values{"store_url": {raw}}.Encode(), "Content-Type", formType, "Accept", "application/json")
				wantError(t, w, http.StatusBadRequest, ritorno.EINVALID)
				if w.Header().Get("Location") != "" {
					t.Fatalf("redirected to %s", w.Header().Get("Location"))
				}
			})
		}
		// A name that resolved to a public address at connect and to loopback at the
		// callback (DNS rebinding) is refused there, before the server calls it.
		token := h.connect("https://shop.example")
		h.woo.mu.Lock()
		h.woo.resolver = fakeResolver{"shop.example": {"127.0.0.1"}}
		h.woo.mu.Unlock()
		h.woo.accept("ck_ok", "cs_ok")
		wantError(t, h.wooCallback(token, "ck_ok", "cs_ok", "read_write"), http.StatusBadRequest, ritorno.EINVALID)
		if _, err := db.ShopByDomain(context.Background(), ritorno.WooCommerce, "https://shop.example"); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
			t.Fatalf("a refused callback stored the shop (err %v)", err)
		}
	})
}

// TestWooConnectRateLimit: one address gets a handful of connect attempts per minute,
// then 429 with Retry-After; another address is not affected.
func TestWooConnectRateLimit(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		from := func(addr string) int {
			req := httptest.NewRequest(http.MethodPost, "/woocommerce/connect", strings.NewReader(url.Values{"store_url": {"https://shop.example"}}.Encode()))
			req.Header.Set("Content-Type", formType)
			req.RemoteAddr = addr + ":5555"
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, req)
			if w.Code == http.StatusTooManyRequests {
				if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
					t.Fatalf("429 without Retry-After")
				}
			}
			return w.Code
		}
		for i := range 5 {
			if code := from("203.0.113.7"); code != http.StatusFound {
				t.Fatalf("attempt %d answered %d", i+1, code)
			}
		}
		if code := from("203.0.113.7"); code != http.StatusTooManyRequests {
			t.Fatalf("6th attempt answered %d, want 429", code)
		}
		if code := from("203.0.113.8"); code != http.StatusFound {
			t.Fatalf("another address answered %d", code)
		}
		h.clock.Add(13 * time.Second)
		if code := from("203.0.113.7"); code != http.StatusFound {
			t.Fatalf("after the refill answered %d", code)
		}
	})
}
