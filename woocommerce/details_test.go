package woocommerce_test

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/woocommerce"
	"github.com/ritorno/ritorno/woocommerce/wootest"
)

// recordedSleeps records the waits a client asks for, without waiting.
type recordedSleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recordedSleeps) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.d = append(r.d, d)
	return nil
}

func (r *recordedSleeps) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.d...)
}

// mustWooStore starts a fake HTTPS store and a client for it, without pacing and with
// recorded sleeps.
func mustWooStore(t *testing.T, opts wootest.Options) (*wootest.Store, *woocommerce.Client, *recordedSleeps) {
	t.Helper()
	s := wootest.NewTLS(t, opts)
	c, err := woocommerce.NewClient(s.URL, cmp.Or(opts.ConsumerKey, wootest.DefaultConsumerKey), cmp.Or(opts.ConsumerSecret, wootest.DefaultConsumerSecret), false)
	if err != nil {
		t.Fatal(err)
	}
	rs := &recordedSleeps{}
	c.HTTP, c.MinInterval, c.Sleep, c.AllowPrivate = s.Client(), 0, rs.sleep, true // a local test store
	return s, c, rs
}

func TestStoreDetails(t *testing.T) {
	cases := []struct {
		name                 string
		opts                 wootest.Options
		wantName, wantCur    string
		wantZone             string
		indexStatus          int // injected answer to the first index request, 0 for none
		wantIndexRequests    int
		wantSleeps           int
		wantNameIsStoreHost  bool
		wantNoAuthorizations bool
	}{
		{name: "named zone, escaped title", opts: wootest.Options{Name: "Tom & Jerry's", Currency: "EUR", Timezone: "Europe/Rome"},
			wantName: "Tom & Jerry's", wantCur: "EUR", wantZone: "Europe/Rome", wantIndexRequests: 1},
		{name: "manual UTC+2", opts: wootest.Options{GMTOffset: "2"}, wantName: "Fake Store", wantCur: "USD", wantZone: "Etc/GMT-2", wantIndexRequests: 1},
		{name: "manual UTC-5", opts: wootest.Options{GMTOffset: "-5"}, wantName: "Fake Store", wantCur: "USD", wantZone: "Etc/GMT+5", wantIndexRequests: 1},
		{name: "half-hour offset falls back to UTC", opts: wootest.Options{GMTOffset: "5.5"}, wantName: "Fake Store", wantCur: "USD", wantZone: "UTC", wantIndexRequests: 1},
		{name: "UTC+0", opts: wootest.Options{GMTOffset: "0"}, wantName: "Fake Store", wantCur: "USD", wantZone: "UTC", wantIndexRequests: 1},
		{name: "index hidden by a security plugin", opts: wootest.Options{Timezone: "Asia/Tokyo"}, indexStatus: http.StatusUnauthorized,
			wantNameIsStoreHost: true, wantCur: "USD", wantZone: "UTC", wantIndexRequests: 1},
		{name: "index busy, retried", opts: wootest.Options{Timezone: "Asia/Tokyo"}, indexStatus: http.StatusServiceUnavailable,
			wantName: "Fake Store", wantCur: "USD", wantZone: "Asia/Tokyo", wantIndexRequests: 2, wantSleeps: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var authorized atomic.Int32
			c.opts.Observe = func(r *http.Request) {
				if r.URL.Path == "/wp-json/" && r.Header.Get("Authorization") != "" {
					authorized.Add(1)
				}
			}
			s, client, sleeps := mustWooStore(t, c.opts)
			if c.indexStatus != 0 {
				s.FailNext("/wp-json/", c.indexStatus, 1, 0)
			}
			name, cur, zone, err := client.StoreDetails(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.wantNameIsStoreHost {
				c.wantName = strings.TrimPrefix(s.URL, "https://")
			}
			if name != c.wantName || cur != c.wantCur || zone != c.wantZone {
				t.Errorf("StoreDetails = %q, %q, %q; want %q, %q, %q", name, cur, zone, c.wantName, c.wantCur, c.wantZone)
			}
			if n := s.Requests()["/wp-json/"]; n != c.wantIndexRequests {
				t.Errorf("%d index requests, want %d", n, c.wantIndexRequests)
			}
			if len(sleeps.all()) != c.wantSleeps {
				t.Errorf("sleeps %v", sleeps.all())
			}
			if authorized.Load() != 0 {
				t.Error("the key pair was sent to the public WordPress index")
			}
		})
	}
}

func TestStoreDetailsRefusedKeys(t *testing.T) {
	cases := []struct {
		name           string
		key, secret    string
		settingsStatus int
	}{
		{name: "wrong secret", key: wootest.DefaultConsumerKey, secret: "cs_wrong"},
		{name: "unknown key", key: "ck_unknown", secret: wootest.DefaultConsumerSecret},
		{name: "key without the permission (403)", key: wootest.DefaultConsumerKey, secret: wootest.DefaultConsumerSecret, settingsStatus: http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, client, _ := mustWooStore(t, wootest.Options{})
			client.ConsumerKey, client.ConsumerSecret = c.key, c.secret
			if c.settingsStatus != 0 {
				s.FailNext("/wp-json/wc/v3/settings/general", c.settingsStatus, 1, 0)
			}
			_, _, _, err := client.StoreDetails(t.Context())
			if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED || !strings.Contains(ritorno.ErrorMessage(err), "the keys do not work") {
				t.Fatalf("err = %v; want EUNAUTHORIZED, the keys do not work", err)
			}
			if strings.Contains(err.Error(), c.secret) {
				t.Error("the error shows the secret")
			}
			if s.Requests()["/wp-json/"] != 0 {
				t.Error("the index was read after the keys failed")
			}
		})
	}
}

func TestStoreDetailsNotWooCommerce(t *testing.T) {
	s, client, _ := mustWooStore(t, wootest.Options{})
	s.FailNext("/wp-json/wc/v3/settings/general", http.StatusNotFound, 1, 0)
	if _, _, _, err := client.StoreDetails(t.Context()); ritorno.ErrorCode(err) != ritorno.ENOTFOUND {
		t.Errorf("err = %v; want ENOTFOUND", err)
	}
}
