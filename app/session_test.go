package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const retryHeader = "X-Shopify-Retry-Invalid-Session-Request"

// unsignedToken is a JWT with alg "none" and an empty signature.
func unsignedToken(c shopify.SessionClaims) string {
	body, _ := json.Marshal(c)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(body) + "."
}

func TestRequireSessionToken(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		h.mustInstall("alpha.myshopify.com")
		gone := h.mustInstall("gone.myshopify.com")
		if err := db.UninstallShop(t.Context(), gone.ID, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		claims := func(edit func(*shopify.SessionClaims)) shopify.SessionClaims {
			c := h.claims("alpha.myshopify.com")
			edit(&c)
			return c
		}
		expired := claims(func(c *shopify.SessionClaims) { c.Exp = h.clock.Now().Add(-time.Minute).Unix() })
		wrongAud := claims(func(c *shopify.SessionClaims) { c.Aud = "another-app" })
		cases := []struct {
			name   string
			auth   string
			status int
			retry  bool
		}{
			{"valid token", "Bearer " + h.token("alpha.myshopify.com"), 200, false},
			{"scheme is case-insensitive", "bearer " + h.token("alpha.myshopify.com"), 200, false},
			{"no header", "", 401, true},
			{"not bearer", "Basic " + h.token("alpha.myshopify.com"), 401, true},
			{"expired", "Bearer " + shopify.SignSessionToken(expired, apiSecret), 401, true},
			{"wrong audience", "Bearer " + shopify.SignSessionToken(wrongAud, apiSecret), 401, true},
			{"another secret", "Bearer " + shopify.SignSessionToken(h.claims("alpha.myshopify.com"), "another-secret"), 401, true},
			{"alg none", "Bearer " + unsignedToken(h.claims("alpha.myshopify.com")), 401, true},
			{"garbage", "Bearer not-a-jwt", 401, true},
			{"unknown shop", "Bearer " + h.token("nobody.myshopify.com"), 401, false},
			{"uninstalled shop", "Bearer " + h.token("gone.myshopify.com"), 401, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var header []string
				if c.auth != "" {
					header = []string{"Authorization", c.auth}
				}
				w := h.get("/api/admin/shop", header...)
				if w.Code != c.status {
					t.Fatalf("answered %d, want %d: %s", w.Code, c.status, w.Body)
				}
				if got := w.Header().Get(retryHeader) == "1"; got != c.retry {
					t.Fatalf("retry header %v, want %v", got, c.retry)
				}
				if c.status == 401 {
					wantError(t, w, 401, ritorno.EUNAUTHORIZED)
				}
				if c.status == 401 && !c.retry && !strings.Contains(w.Body.String(), "not installed") {
					t.Fatalf("message does not say the app is not installed: %s", w.Body)
				}
			})
		}
	})
}

func TestAdminAPIShopScope(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		a := h.mustInstall("alpha.myshopify.com")
		b := h.mustInstall("beta.myshopify.com")
		h.backfills.set(ritorno.Backfill{ShopID: a.ID, Status: ritorno.BackfillFailed, Error: "alpha's secret failure"})

		w := h.get("/api/admin/shop", "Authorization", "Bearer "+h.token("beta.myshopify.com"))
		if w.Code != http.StatusOK {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		var got struct {
			Domain   string `json:"domain"`
			Backfill *struct {
				Status string `json:"status"`
			} `json:"backfill"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Domain != "beta.myshopify.com" || got.Backfill == nil || got.Backfill.Status != "pending" || strings.Contains(w.Body.String(), "alpha") {
			t.Fatalf("beta's token got %s", w.Body)
		}

		// Starting an import with beta's token restarts beta's (pending: a no-op) and never alpha's.
		w = h.do(http.MethodPost, "/api/admin/backfill", "", "Authorization", "Bearer "+h.token("beta.myshopify.com"))
		if w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), `"status":"pending"`) {
			t.Fatalf("start answered %d: %s", w.Code, w.Body)
		}
		if h.backfills.startsOf(a.ID) != 1 || h.backfills.startsOf(b.ID) != 1 {
			t.Fatalf("starts: alpha %d, beta %d", h.backfills.startsOf(a.ID), h.backfills.startsOf(b.ID))
		}
		w = h.do(http.MethodPost, "/api/admin/backfill", "", "Authorization", "Bearer "+h.token("alpha.myshopify.com"))
		if w.Code != http.StatusAccepted || h.backfills.startsOf(a.ID) != 2 {
			t.Fatalf("restart of alpha's failed import answered %d (starts %d)", w.Code, h.backfills.startsOf(a.ID))
		}
	})
}

func TestAdminShopResponse(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		h := mustHarness(t, db)
		shop := h.mustInstall("alpha.myshopify.com")
		h.backfills.set(ritorno.Backfill{ShopID: shop.ID, Status: ritorno.BackfillRunning, Step: ritorno.StepOrders, Cursor: "secret-cursor",
			Done: 1200, StepDone: 200, StepTotal: 800, Inserted: 1100, Updated: 90, Unchanged: 10,
			OrdersFrom: start.AddDate(0, -2, 0), OrdersTo: start.Add(-time.Hour), Limit: "orders older than 60 days need read_all_orders",
			Attempts: 1, StartedAt: start, UpdatedAt: start.Add(time.Minute)})
		w := h.get("/api/admin/shop", "Authorization", "Bearer "+h.token("alpha.myshopify.com"))
		if w.Code != http.StatusOK {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		mustGolden(t, "admin_shop.json", w.Body.Bytes())
	})
}

// mustGolden compares got, indented, with testdata/name (rewritten with -update).
func mustGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s differs:\n got %s\nwant %s", path, buf.Bytes(), want)
	}
}

func TestShopFromOutsideTheMiddleware(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if _, ok := app.ShopFrom(c); ok {
		t.Fatal("ShopFrom found a shop in a bare context")
	}
}
