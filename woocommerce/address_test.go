package woocommerce

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// Issue 13, defect 11: the server connects to stores on the public internet only.

func TestPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true, "2a00:1450:4001:80b::200e": true,
		"100.63.255.255": true, "100.128.0.0": true, "172.32.0.1": true, "11.0.0.1": true, "::ffff:8.8.8.8": true, "64:ff9b::808:808": true,
		"127.0.0.1": false, "127.255.255.254": false, "::1": false, // loopback
		"10.0.0.1": false, "172.16.0.1": false, "172.31.255.255": false, "192.168.0.1": false, // RFC 1918
		"fc00::1": false, "fd12:3456::1": false, // unique local
		"169.254.169.254": false, "169.254.0.1": false, "fe80::1": false, "fe80::1%eth0": false, // link-local, metadata
		"fd00:ec2::254": false,                                // EC2 IPv6 metadata
		"0.0.0.0":       false, "::": false, "0.1.2.3": false, // unspecified, this network
		"224.0.0.1": false, "239.255.255.250": false, "ff02::1": false, "ff05::2": false, // multicast
		"100.64.0.1": false, "100.127.255.255": false, // CGNAT
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "::ffff:169.254.169.254": false, "::ffff:0.0.0.0": false, // IPv4-mapped
		"64:ff9b::7f00:1": false, "64:ff9b::a9fe:a9fe": false, // NAT64 of loopback and metadata
		"::127.0.0.1":    false,                   // IPv4-compatible
		"2002:7f00:1::1": false, "2001::1": false, // 6to4, Teredo
		"255.255.255.255": false, "240.0.0.1": false, "198.18.0.1": false, "192.0.0.8": false, "2001:db8::1": false,
	} {
		if got := PublicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
	if PublicAddress(netip.Addr{}) {
		t.Error("the zero address is public")
	}
}

type mapResolver map[string][]string

func (r mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range r[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func TestCheckStoreURL(t *testing.T) {
	r := mapResolver{"shop.example": {"93.184.215.14"}, "inside.example": {"10.1.2.3"},
		"mixed.example": {"93.184.215.14", "127.0.0.1"}, "v6.example": {"::1"}}
	for u, ok := range map[string]bool{
		"https://shop.example": true, "https://shop.example:8443/store": true, "https://93.184.215.14": true,
		"https://inside.example": false, "https://mixed.example": false, "https://v6.example": false, "https://nowhere.example": false,
		"https://127.0.0.1:8443": false, "https://[::1]": false, "https://169.254.169.254/latest": false, "https://[::ffff:10.0.0.1]": false,
		"https://10.0.0.1": false, "http://192.168.0.10": false, "https://": false,
	} {
		err := CheckStoreURL(t.Context(), u, r)
		if ok && err != nil || !ok && ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("CheckStoreURL(%s) = %v, want ok %v", u, err, ok)
		}
	}
	// The system resolver: localhost is loopback.
	if err := CheckStoreURL(t.Context(), "https://localhost:8443", nil); ritorno.ErrorCode(err) != ritorno.EINVALID {
		t.Errorf("localhost: %v", err)
	}
}

// countingStore answers every request with an empty list and counts them; it listens
// on host (127.0.0.1 when empty).
func countingStore(t *testing.T, host string, tls bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
	}))
	if host != "" {
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			t.Skip("cannot listen on", host, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestClientRefusesPrivateAddresses: without AllowPrivate no connection reaches a
// loopback store, by address or by a name that resolves to it, and the refusal is
// permanent (no retries); with it the same store answers.
func TestClientRefusesPrivateAddresses(t *testing.T) {
	srv, hits := countingStore(t, "", true)
	plain, plainHits := countingStore(t, "", false) // the test certificate does not name localhost
	_, port, _ := net.SplitHostPort(plain.Listener.Addr().String())
	for _, tc := range []struct {
		storeURL string
		hc       *http.Client
		hits     *atomic.Int32
	}{{srv.URL, srv.Client(), hits}, {"http://localhost:" + port, plain.Client(), plainHits}} {
		storeURL, hits := tc.storeURL, tc.hits
		c, err := NewClient(storeURL, "ck_x", "cs_x", true)
		if err != nil {
			t.Fatal(err)
		}
		var sleeps int
		c.HTTP, c.MinInterval = tc.hc, 0
		c.Sleep = func(context.Context, time.Duration) error { sleeps++; return nil }
		if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.EINVALID || sleeps != 0 {
			t.Errorf("%s: %v after %d retries", storeURL, err, sleeps)
		}
		if _, _, _, err := c.StoreDetails(t.Context()); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: store details %v", storeURL, err)
		}
		if hits.Load() != 0 {
			t.Fatalf("%s: %d requests reached the private store", storeURL, hits.Load())
		}
		c.AllowPrivate = true
		if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err != nil || hits.Load() != 1 {
			t.Errorf("%s with AllowPrivate: %v, %d requests", storeURL, err, hits.Load())
		}
	}
	// A transport whose dialling cannot be checked is refused rather than trusted.
	c, _ := NewClient(srv.URL, "ck_x", "cs_x", false)
	c.HTTP, c.MinInterval = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("the unchecked transport was used")
		return nil, nil
	})}, 0
	if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err == nil {
		t.Error("an unchecked transport was accepted")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRedirectToPrivateAddressRefused: a store reachable under the dial rule that
// redirects to an address the rule refuses never gets the client there. The rule is
// narrowed for the test: 127.0.0.1 plays the public store, 127.0.0.2 the private target.
func TestRedirectToPrivateAddressRefused(t *testing.T) {
	inner, innerHits := countingStore(t, "127.0.0.2", false)
	innerURL := inner.URL
	outer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, innerURL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(outer.Close)
	saved := dialable
	dialable = func(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.1") }
	t.Cleanup(func() { dialable = saved })

	c, err := NewClient(outer.URL, "ck_x", "cs_x", false)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP, c.MinInterval = outer.Client(), 0
	if _, _, _, err := c.Page(t.Context(), "orders", 1, 10, nil); err == nil {
		t.Error("a redirect answer was taken as the store's")
	}
	if innerHits.Load() != 0 {
		t.Fatalf("the redirect reached the private address (%d requests)", innerHits.Load())
	}
	// The private target itself is refused at dial time.
	direct, _ := NewClient(innerURL, "ck_x", "cs_x", true)
	direct.MinInterval = 0
	if _, _, _, err := direct.Page(t.Context(), "orders", 1, 10, nil); ritorno.ErrorCode(err) != ritorno.EINVALID || innerHits.Load() != 0 {
		t.Errorf("direct to the private address: %v, %d requests", err, innerHits.Load())
	}
}
