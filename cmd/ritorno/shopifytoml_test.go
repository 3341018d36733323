package main

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/gin-gonic/gin"
)

type appTOML struct {
	ClientID       string `toml:"client_id"`
	Name           string `toml:"name"`
	ApplicationURL string `toml:"application_url"`
	Embedded       *bool  `toml:"embedded"`
	AccessScopes   struct {
		Scopes               string `toml:"scopes"`
		UseLegacyInstallFlow bool   `toml:"use_legacy_install_flow"`
	} `toml:"access_scopes"`
	Auth struct {
		RedirectURLs []string `toml:"redirect_urls"`
	} `toml:"auth"`
	Webhooks struct {
		APIVersion    string `toml:"api_version"`
		Subscriptions []struct {
			Topics           []string `toml:"topics"`
			ComplianceTopics []string `toml:"compliance_topics"`
			URI              string   `toml:"uri"`
		} `toml:"subscriptions"`
	} `toml:"webhooks"`
	AppProxy struct {
		URL     string `toml:"url"`
		Subpath string `toml:"subpath"`
		Prefix  string `toml:"prefix"`
	} `toml:"app_proxy"`
}

// missionTopics are the Shopify topics Ritorno's histories need.
var missionTopics = []string{"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
	"orders/delete", "refunds/create", "customers/create", "customers/update", "customers/delete", "products/create",
	"products/update", "products/delete", "app/uninstalled"}

func loadAppTOML(t *testing.T) appTOML {
	t.Helper()
	var cfg appTOML
	md, err := toml.DecodeFile("../../shopify.app.toml", &cfg)
	if err != nil {
		t.Fatalf("shopify.app.toml does not parse: %v", err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		known := map[string]bool{"handle": true, "pos": true, "pos.embedded": true, "build": true,
			"build.automatically_update_urls_on_dev": true, "build.include_config_on_deploy": true}
		for _, k := range undecoded {
			if !known[k.String()] {
				t.Errorf("shopify.app.toml has a key this test does not know: %s", k)
			}
		}
	}
	return cfg
}

func TestShopifyAppTOMLIsValid(t *testing.T) {
	cfg := loadAppTOML(t)
	if cfg.ClientID == "" || cfg.Name == "" || len(cfg.Name) > 30 {
		t.Errorf("client_id %q / name %q: both required, name at most 30 characters", cfg.ClientID, cfg.Name)
	}
	app, err := url.Parse(cfg.ApplicationURL)
	if err != nil || app.Scheme != "https" || app.Host == "" {
		t.Fatalf("application_url %q must be an absolute https URL", cfg.ApplicationURL)
	}
	if cfg.Embedded == nil || !*cfg.Embedded {
		t.Error("embedded must be true: Ritorno's admin lives inside the Shopify admin")
	}
	for _, scope := range []string{"read_orders", "read_customers", "read_products", "write_app_proxy"} {
		if !slices.Contains(strings.Split(cfg.AccessScopes.Scopes, ","), scope) {
			t.Errorf("scopes lack %s", scope)
		}
	}
	if cfg.AccessScopes.UseLegacyInstallFlow {
		t.Error("use_legacy_install_flow must be false (Shopify-managed install, token exchange)")
	}
	if len(cfg.Auth.RedirectURLs) == 0 {
		t.Error("[auth] redirect_urls is required")
	}
	for _, u := range cfg.Auth.RedirectURLs {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host != app.Host {
			t.Errorf("redirect URL %q must be https on the application host %s", u, app.Host)
		}
	}
	if !regexp.MustCompile(`^\d{4}-(01|04|07|10)$`).MatchString(cfg.Webhooks.APIVersion) {
		t.Errorf("webhooks api_version %q is not a quarterly release like 2026-07", cfg.Webhooks.APIVersion)
	}
	// The server's defaults must ask for what the app declares.
	defaults, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if defaults.ShopifyScopes != cfg.AccessScopes.Scopes || defaults.ShopifyAPIVersion != cfg.Webhooks.APIVersion {
		t.Errorf("SHOPIFY_SCOPES default %q and SHOPIFY_API_VERSION default %q differ from shopify.app.toml's %q and %q",
			defaults.ShopifyScopes, defaults.ShopifyAPIVersion, cfg.AccessScopes.Scopes, cfg.Webhooks.APIVersion)
	}
	seen := map[string]bool{}
	var compliance []string
	for _, s := range cfg.Webhooks.Subscriptions {
		if len(s.Topics) == 0 && len(s.ComplianceTopics) == 0 {
			t.Errorf("subscription to %s has neither topics nor compliance_topics", s.URI)
		}
		for _, topic := range append(slices.Clone(s.Topics), s.ComplianceTopics...) {
			key := topic + " " + s.URI
			if seen[key] {
				t.Errorf("topic %s is subscribed twice to %s", topic, s.URI)
			}
			seen[key] = true
		}
		compliance = append(compliance, s.ComplianceTopics...)
	}
	sort.Strings(compliance)
	if want := []string{"customers/data_request", "customers/redact", "shop/redact"}; !slices.Equal(compliance, want) {
		t.Errorf("compliance topics = %v, want exactly %v", compliance, want)
	}
	for _, topic := range missionTopics {
		found := false
		for key := range seen {
			found = found || strings.HasPrefix(key, topic+" ")
		}
		if !found {
			t.Errorf("topic %s is not subscribed", topic)
		}
	}
	p := cfg.AppProxy
	if !slices.Contains([]string{"apps", "a", "community", "tools"}, p.Prefix) {
		t.Errorf("app_proxy prefix %q is not one of apps, a, community, tools", p.Prefix)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,30}$`).MatchString(p.Subpath) || slices.Contains([]string{"admin", "services", "password", "login"}, p.Subpath) {
		t.Errorf("app_proxy subpath %q is not allowed", p.Subpath)
	}
}

// namedURI is a route the TOML makes Shopify call: "METHOD /path", or "METHOD /path/" for a
// prefix under which any route will do (the app proxy forwards whole subtrees).
type namedURI struct {
	Method, Path string
	Prefix       bool
	Where        string
}

func (u namedURI) key() string { return u.Method + " " + u.Path }

// tomlURIs lists every URI the configuration names, as paths on this server.
func tomlURIs(t *testing.T, cfg appTOML) []namedURI {
	t.Helper()
	path := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%q is not a URL: %v", raw, err)
		}
		if u.Path == "" {
			return "/"
		}
		return u.Path
	}
	uris := []namedURI{{Method: "GET", Path: path(cfg.ApplicationURL), Where: "application_url"}}
	for _, s := range cfg.Webhooks.Subscriptions {
		uris = append(uris, namedURI{Method: "POST", Path: path(s.URI), Where: "webhooks.subscriptions"})
	}
	for _, r := range cfg.Auth.RedirectURLs {
		uris = append(uris, namedURI{Method: "GET", Path: path(r), Where: "auth.redirect_urls"})
	}
	uris = append(uris, namedURI{Method: "GET", Path: strings.TrimRight(path(cfg.AppProxy.URL), "/") + "/", Prefix: true, Where: "app_proxy.url"})
	return uris
}

// routeMatches reports whether a gin route pattern serves path.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range ps {
		if strings.HasPrefix(seg, "*") {
			return true
		}
		if i >= len(xs) || (!strings.HasPrefix(seg, ":") && seg != xs[i]) {
			return false
		}
	}
	return len(ps) == len(xs)
}

// unservedURIs reports every URI no served route answers, unless it is pending (a route a
// later issue brings, keyed "METHOD path" with the issue as value); it also reports a
// pending entry that is now served or that the TOML no longer names, so that the pending
// list only ever shrinks.
func unservedURIs(uris []namedURI, served []gin.RouteInfo, pending map[string]string) []string {
	var problems []string
	named := map[string]bool{}
	for _, u := range uris {
		named[u.key()] = true
		ok := false
		for _, r := range served {
			if r.Method != u.Method {
				continue
			}
			if u.Prefix {
				ok = ok || strings.HasPrefix(r.Path, u.Path)
			} else {
				ok = ok || routeMatches(r.Path, u.Path)
			}
		}
		issue, isPending := pending[u.key()]
		switch {
		case ok && isPending:
			problems = append(problems, fmt.Sprintf("%s (%s) is served now: remove it from the pending list (%s)", u.key(), u.Where, issue))
		case !ok && !isPending:
			problems = append(problems, fmt.Sprintf("%s (%s) names a route the server does not serve", u.key(), u.Where))
		}
	}
	for key, issue := range pending {
		if !named[key] {
			problems = append(problems, fmt.Sprintf("pending %s (%s) is not named by shopify.app.toml any more", key, issue))
		}
	}
	return problems
}

func TestUnservedURIs(t *testing.T) {
	served := []gin.RouteInfo{{Method: "POST", Path: "/webhooks/shopify"}, {Method: "POST", Path: "/webhooks/woocommerce/:key"},
		{Method: "GET", Path: "/proxy/recommendations"}, {Method: "GET", Path: "/files/*path"}}
	cases := []struct {
		name    string
		uris    []namedURI
		pending map[string]string
		fails   bool
	}{
		{"served", []namedURI{{Method: "POST", Path: "/webhooks/shopify"}}, nil, false},
		{"param", []namedURI{{Method: "POST", Path: "/webhooks/woocommerce/abc"}}, nil, false},
		{"wildcard", []namedURI{{Method: "GET", Path: "/files/a/b"}}, nil, false},
		{"prefix", []namedURI{{Method: "GET", Path: "/proxy/", Prefix: true}}, nil, false},
		{"wrong method", []namedURI{{Method: "GET", Path: "/webhooks/shopify"}}, nil, true},
		{"missing", []namedURI{{Method: "POST", Path: "/webhooks/shopfiy"}}, nil, true},
		{"extra segment", []namedURI{{Method: "POST", Path: "/webhooks/shopify/x"}}, nil, true},
		{"missing but pending", []namedURI{{Method: "GET", Path: "/auth/callback"}}, map[string]string{"GET /auth/callback": "issue 4"}, false},
		{"pending but served", []namedURI{{Method: "POST", Path: "/webhooks/shopify"}}, map[string]string{"POST /webhooks/shopify": "issue 3"}, true},
		{"pending not named", nil, map[string]string{"GET /gone": "issue 9"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems := unservedURIs(tc.uris, served, tc.pending)
			if (len(problems) > 0) != tc.fails {
				t.Fatalf("problems = %q, want failure %v", problems, tc.fails)
			}
		})
	}
}

// TestShopifyAppTOMLRoutesAreServed checks the TOML against the real server's routes.
// Routes of later issues are listed as pending, with the issue that brings them.
func TestShopifyAppTOMLRoutesAreServed(t *testing.T) {
	cfg := loadAppTOML(t)
	pending := map[string]string{}
	for _, p := range unservedURIs(tomlURIs(t, cfg), servedRoutes(t), pending) {
		t.Error(p)
	}
}

// webTOML is shopify.web.toml, as Shopify CLI's web configuration schema defines it.
type webTOML struct {
	Name             string   `toml:"name"`
	Roles            []string `toml:"roles"`
	WebhooksPath     string   `toml:"webhooks_path"`
	AuthCallbackPath string   `toml:"auth_callback_path"`
	Port             *int     `toml:"port"`
	Commands         struct {
		Dev    string `toml:"dev"`
		Build  string `toml:"build"`
		Predev string `toml:"predev"`
	} `toml:"commands"`
}

// `shopify app dev` starts the server from shopify.web.toml: one process in both roles, a
// dev command that is the Makefile's shopify-dev target, which listens on the CLI's PORT at
// its APP_URL, and paths that the server serves and shopify.app.toml names.
func TestShopifyWebTOML(t *testing.T) {
	var web webTOML
	md, err := toml.DecodeFile("../../shopify.web.toml", &web)
	if err != nil {
		t.Fatalf("shopify.web.toml does not parse: %v", err)
	}
	for _, k := range md.Undecoded() {
		t.Errorf("shopify.web.toml has a key Shopify CLI does not know: %s", k)
	}
	if !slices.Equal(web.Roles, []string{"frontend", "backend"}) {
		t.Errorf("roles = %v, want [frontend backend]: one process serves the admin page and the webhooks", web.Roles)
	}
	if web.Port != nil {
		t.Error("port must be left to the CLI (it passes it in PORT): a fixed port collides with other apps")
	}
	if web.Commands.Dev != "make shopify-dev" {
		t.Errorf("commands.dev = %q, want \"make shopify-dev\"", web.Commands.Dev)
	}
	if web.Commands.Build != "make build" {
		t.Errorf("commands.build = %q, want \"make build\"", web.Commands.Build)
	}

	// The CLI splits the command on spaces and runs it without a shell: the target does the
	// mapping of its variables to the server's.
	raw, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	_, recipe, ok := strings.Cut(string(raw), "\nshopify-dev:")
	if !ok {
		t.Fatal("the Makefile has no shopify-dev target")
	}
	recipe, _, _ = strings.Cut(recipe, "\n\n")
	for _, want := range []string{"$${PORT", "RITORNO_ADDR=", "RITORNO_APP_URL=\"$${APP_URL", "SHOPIFY_SCOPES=\"$${SCOPES", "exec ", " serve"} {
		if !strings.Contains(recipe, want) {
			t.Errorf("the shopify-dev recipe lacks %q:\n%s", want, recipe)
		}
	}

	app := loadAppTOML(t)
	var hooks, callbacks []string
	for _, s := range app.Webhooks.Subscriptions {
		hooks = append(hooks, s.URI)
	}
	if !slices.Contains(hooks, web.WebhooksPath) {
		t.Errorf("webhooks_path %q is not a subscription URI of shopify.app.toml %v", web.WebhooksPath, hooks)
	}
	for _, r := range app.Auth.RedirectURLs {
		if u, err := url.Parse(r); err == nil {
			callbacks = append(callbacks, u.Path)
		}
	}
	if !slices.Contains(callbacks, web.AuthCallbackPath) {
		t.Errorf("auth_callback_path %q is not a redirect URL path of shopify.app.toml %v", web.AuthCallbackPath, callbacks)
	}
	uris := []namedURI{
		{Method: "POST", Path: web.WebhooksPath, Where: "webhooks_path"},
		{Method: "GET", Path: web.AuthCallbackPath, Where: "auth_callback_path"},
	}
	for _, p := range unservedURIs(uris, servedRoutes(t), map[string]string{}) {
		t.Error(p)
	}
}
