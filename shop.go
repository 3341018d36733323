package ritorno

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// PlatformName names the commerce platform a shop runs on.
type PlatformName string

// The platforms Ritorno connects to.
const (
	Shopify     PlatformName = "shopify"
	WooCommerce PlatformName = "woocommerce"
)

// ParsePlatformName validates a platform name.
func ParsePlatformName(s string) (PlatformName, error) {
	switch p := PlatformName(strings.ToLower(strings.TrimSpace(s))); p {
	case Shopify, WooCommerce:
		return p, nil
	}
	return "", Errorf(EINVALID, "platform %q is not one of shopify, woocommerce", s)
}

// ShopStatus is where a shop is in its life with Ritorno.
type ShopStatus string

// Shop statuses. A redacted shop has had its customer data erased (shop/redact) and is kept
// only as a tombstone so that late deliveries for it are recognised and dropped.
const (
	ShopInstalled   ShopStatus = "installed"
	ShopUninstalled ShopStatus = "uninstalled"
	ShopRedacted    ShopStatus = "redacted"
)

// Shop is one merchant store connected to Ritorno: the tenant of every other entity.
// Credentials are deliberately not part of it (see ShopCredentials).
type Shop struct {
	ID       int64
	Platform PlatformName
	// Domain identifies the shop on its platform: "example.myshopify.com" for Shopify, the
	// normalized site URL ("https://shop.example") for WooCommerce.
	Domain string
	Name   string
	Status ShopStatus
	// Currency is the shop's own currency: every stored amount of the shop is in it unless
	// said otherwise (presentment currencies are kept apart on orders).
	Currency string
	Timezone string // IANA name, e.g. "Europe/Rome"
	// ConnectionKey is the random, non-secret key in the shop's WooCommerce webhook URL;
	// empty for Shopify shops, which are identified by a signed header instead.
	ConnectionKey string
	InstalledAt   time.Time
	UninstalledAt time.Time // zero while installed
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Location returns the shop's time zone, or UTC when it is unknown.
func (s Shop) Location() *time.Location {
	if loc, err := time.LoadLocation(s.Timezone); err == nil && s.Timezone != "" {
		return loc
	}
	return time.UTC
}

// Validate checks the rules a shop must satisfy before it is stored.
func (s Shop) Validate() error {
	switch s.Platform {
	case Shopify:
		if err := ValidateShopifyDomain(s.Domain); err != nil {
			return err
		}
	case WooCommerce:
		if _, err := NormalizeStoreURL(s.Domain, true); err != nil {
			return err
		}
		if s.ConnectionKey == "" {
			return Errorf(EINVALID, "a WooCommerce shop needs a connection key")
		}
	default:
		return Errorf(EINVALID, "platform %q is not one of shopify, woocommerce", s.Platform)
	}
	switch s.Status {
	case ShopInstalled, ShopUninstalled, ShopRedacted:
	default:
		return Errorf(EINVALID, "shop status %q is not one of installed, uninstalled, redacted", s.Status)
	}
	if err := ValidateCurrency(s.Currency); err != nil {
		return err
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" {
		return Errorf(EINVALID, "time zone %q is not an IANA time zone name", s.Timezone)
	}
	return nil
}

// shopifyDomain is Shopify's documented shop-name rule, anchored at both ends.
var shopifyDomain = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$`)

// ValidateShopifyDomain accepts only "name.myshopify.com" with a name of at most 63
// characters (RFC 1035); anything else could point an OAuth redirect or an API call at a
// host that is not Shopify, or is no host at all. The error does not quote the domain.
func ValidateShopifyDomain(domain string) error {
	if !shopifyDomain.MatchString(domain) || !hostLengthsOK(domain) {
		return Errorf(EINVALID, "shop domain is not of the form name.myshopify.com")
	}
	return nil
}

// hostLengthsOK applies RFC 1035's limits to a host name: labels of 1 to 63 characters,
// at most 253 in all (a trailing dot aside). A longer name resolves nowhere; accepting
// it only parks what depends on it.
func hostLengthsOK(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
	}
	return true
}

// NormalizeStoreURL turns a WooCommerce site address into its canonical form: scheme and
// lower-case host, no trailing slash, no query. Plain http is refused unless allowHTTP
// (a local test store): REST keys travel in Basic auth.
func NormalizeStoreURL(raw string, allowHTTP bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", Errorf(EINVALID, "store URL %q must be an absolute https:// URL", raw)
	}
	if u.Scheme == "http" && !allowHTTP {
		return "", Errorf(EINVALID, "store URL %q must use https (plain http sends the REST keys in clear)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", Errorf(EINVALID, "store URL %q must not carry credentials, a query or a fragment", raw)
	}
	if h := u.Hostname(); !strings.Contains(h, ":") && !hostLengthsOK(h) { // IPv6 literals aside
		return "", Errorf(EINVALID, "store URL's host has a label over 63 characters or is over 253 in all")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// ShopCredentials are the secrets Ritorno holds for a shop. They live apart from Shop so
// that no code which lists or shows shops can print them by accident; the store keeps
// them encrypted.
type ShopCredentials struct {
	// Shopify: an offline Admin API access token, with its refresh token when it expires.
	AccessToken           string
	AccessTokenExpiresAt  time.Time // zero for a non-expiring token
	RefreshToken          string
	RefreshTokenExpiresAt time.Time
	Scopes                string // as granted, comma-separated
	// WooCommerce: REST API keys and the secret that signs webhook deliveries.
	ConsumerKey    string
	ConsumerSecret string
	WebhookSecret  string
}

// IsZero reports whether no secret is set.
func (c ShopCredentials) IsZero() bool {
	return c.AccessToken == "" && c.RefreshToken == "" && c.ConsumerKey == "" &&
		c.ConsumerSecret == "" && c.WebhookSecret == ""
}
