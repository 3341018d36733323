package woocommerce

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/ritorno/ritorno"
)

// A store URL is typed by whoever starts the connect flow, before anyone is authenticated,
// so the server must not become a way to reach its own network: every connection to a
// store goes to a public address only. The check runs on the resolved address of each
// connection (net.Dialer.Control), so a name that resolves to a public address when it is
// checked and to a private one when it is dialled (DNS rebinding) is refused too. A local
// test store needs Client.AllowPrivate (RITORNO_WOOCOMMERCE_ALLOW_PRIVATE).

// nonPublic are the ranges a store may not be reached at, beyond what netip classifies
// (loopback, private, link-local, unspecified, multicast).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking (RFC 2544)
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("100::/64"),       // discard-only (RFC 6666)
	netip.MustParsePrefix("2002::/16"),      // 6to4 embeds any IPv4 address, private ones too
	netip.MustParsePrefix("2001::/32"),      // Teredo embeds any IPv4 address too
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated)
	netip.MustParsePrefix("fd00:ec2::/32"),  // EC2's IPv6 metadata service (inside fc00::/7 anyway)
	netip.MustParsePrefix("255.255.255.255/32"),
}

// PublicAddress reports whether ip is an address a store may be reached at: not loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address,
// fe80::/10), unspecified, multicast, carrier-grade NAT (100.64/10) or reserved. An
// IPv4-mapped IPv6 address is judged as its IPv4 address; a well-known NAT64 address
// (64:ff9b::/96) as the IPv4 address it carries.
func PublicAddress(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if nat64 := netip.MustParsePrefix("64:ff9b::/96"); nat64.Contains(ip) {
		b := ip.As16()
		return PublicAddress(netip.AddrFrom4([4]byte(b[12:])))
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// errPrivateAddress is the refusal of a connection to a non-public address: permanent,
// never retried.
var errPrivateAddress = errors.New("the store's address is not a public internet address")

func privateAddressError() error {
	return ritorno.Errorf(ritorno.EINVALID, "the store URL points to a loopback, private, link-local or reserved address; "+
		"only stores on the public internet can be connected")
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckStoreURL refuses, before anything is signed or sent, a store URL whose host is or
// resolves to a non-public address (see PublicAddress). Every address of the name must be
// public: a client may connect to any of them. The connection itself is checked again
// (Client.AllowPrivate), so this is the early, clear answer, not the only guard.
func CheckStoreURL(ctx context.Context, storeURL string, r Resolver) error {
	u, err := url.Parse(storeURL)
	if err != nil || u.Hostname() == "" {
		return ritorno.Errorf(ritorno.EINVALID, "the store URL is not a valid URL")
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !PublicAddress(ip) {
			return privateAddressError()
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return ritorno.Errorf(ritorno.EINVALID, "the store URL's host name does not resolve")
	}
	for _, ip := range ips {
		if !PublicAddress(ip) {
			return privateAddressError()
		}
	}
	return nil
}

// refusePrivate is a net.Dialer.Control: it runs on the resolved address of every
// connection attempt, after DNS, so no name can point a connection inward.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errPrivateAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !dialable(ip) {
		return errPrivateAddress
	}
	return nil
}

// dialable is the dial-time rule: PublicAddress, which a test narrows to reach a local
// server while refusing another.
var dialable = PublicAddress

// publicOnly returns a copy of hc whose connections reach public addresses only. Its
// transport must be an *http.Transport (or nil for the default), whose dialer can be
// checked; proxies are turned off, since a proxy would connect on our behalf unchecked.
func publicOnly(hc http.Client) (http.Client, error) {
	var base *http.Transport
	switch t := hc.Transport.(type) {
	case nil:
		base = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		base = t
	default:
		return hc, errors.New("woocommerce: the HTTP transport cannot be restricted to public addresses; set AllowPrivate to use it")
	}
	t := base.Clone()
	t.Proxy = nil
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
	t.DialContext = d.DialContext
	t.DialTLSContext = nil // a custom TLS dial would bypass the checked dialer
	hc.Transport = t
	return hc, nil
}
