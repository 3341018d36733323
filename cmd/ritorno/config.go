package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno/secrets"
	"github.com/ritorno/ritorno/store"
)

// Config is Ritorno's whole configuration, read once from the environment (rule 10).
type Config struct {
	Addr              string        // RITORNO_ADDR
	DatabaseURL       string        // RITORNO_DATABASE_URL; empty = embedded SQLite in DataDir
	DataDir           string        // RITORNO_DATA_DIR
	AppURL            string        // RITORNO_APP_URL
	ShopifyAPIKey     string        // SHOPIFY_API_KEY
	ShopifyAPISecret  string        // SHOPIFY_API_SECRET
	ShopifyPrevSecret string        // SHOPIFY_API_SECRET_PREVIOUS (rotation window)
	ShopifyScopes     string        // SHOPIFY_SCOPES
	ShopifyAPIVersion string        // SHOPIFY_API_VERSION
	WooAllowHTTP      bool          // RITORNO_WOOCOMMERCE_ALLOW_HTTP
	WooAllowPrivate   bool          // RITORNO_WOOCOMMERCE_ALLOW_PRIVATE
	TrustProxy        bool          // RITORNO_TRUST_PROXY
	GCPercent         int           // serve's GOGC (gc.go); 0 = as the environment says
	MemoryLimit       int64         // serve's GOMEMLIMIT in bytes (gc.go); 0 = as the environment says
	Demo              bool          // RITORNO_DEMO
	EncryptionKey     []byte        // RITORNO_ENCRYPTION_KEY, or the key file in DataDir
	encryptionKeyFrom string        // where the key came from, for the start-up log
	LogLevel          slog.Level    // RITORNO_LOG_LEVEL
	MigrateOnStart    bool          // RITORNO_MIGRATE_ON_START
	ShutdownTimeout   time.Duration // RITORNO_SHUTDOWN_TIMEOUT
	MaxBodyBytes      int64         // RITORNO_MAX_BODY_BYTES
	InboxRetention    time.Duration // RITORNO_INBOX_RETENTION
	// openExisting is set for commands that must not create the embedded database or its
	// key (everything but serve, migrate, shops add, import and the benchmarks).
	openExisting bool
}

// envVar documents one variable; docs/operating.md's table is written from the same facts (readme_test.go).
type envVar struct {
	name, def, help string
	secret          bool
}

var envVars = []envVar{
	{"RITORNO_ADDR", ":8080", "address the HTTP server listens on", false},
	{"RITORNO_DATABASE_URL", "", "postgres://… URL; unset = embedded SQLite file in RITORNO_DATA_DIR", true},
	{"RITORNO_DATA_DIR", "./data", "folder of the embedded database and its generated encryption key", false},
	{"RITORNO_APP_URL", "http://localhost:8080", "public base URL of this server (webhook and redirect URLs)", false},
	{"SHOPIFY_API_KEY", "", "Shopify app client id", false},
	{"SHOPIFY_API_SECRET", "", "Shopify app client secret (signs webhooks and session tokens)", true},
	{"SHOPIFY_API_SECRET_PREVIOUS", "", "previous client secret, accepted during a rotation", true},
	{"SHOPIFY_SCOPES", defaultShopifyScopes, "scopes the authorization-code install asks for (as in shopify.app.toml)", false},
	{"SHOPIFY_API_VERSION", "2026-07", "Admin GraphQL API version (as webhooks.api_version in shopify.app.toml)", false},
	{"RITORNO_WOOCOMMERCE_ALLOW_HTTP", "false", "accept plain http WooCommerce stores (local test stores only: REST keys travel in clear)", false},
	{"RITORNO_WOOCOMMERCE_ALLOW_PRIVATE", "false", "connect WooCommerce stores at loopback, private, link-local or reserved addresses (local test stores only: otherwise anyone could make the server call its own network)", false},
	{"RITORNO_TRUST_PROXY", "false", "a reverse proxy of ours is in front: rate limits key on the last X-Forwarded-For address", false},
	{"RITORNO_DEMO", "auto", "load the demo shop and serve /demo/store: auto (only on the embedded database), true or false", false},
	{"RITORNO_ENCRYPTION_KEY", "", "32-byte key (64 hex digits or base64) sealing stored credentials; required with PostgreSQL", true},
	{"RITORNO_LOG_LEVEL", "info", "debug, info, warn or error", false},
	{"RITORNO_MIGRATE_ON_START", "true", "apply pending migrations when serve starts", false},
	{"RITORNO_SHUTDOWN_TIMEOUT", "25s", "how long a stop waits for in-flight requests and work", false},
	{"RITORNO_MAX_BODY_BYTES", "5242880", "largest request body accepted", false},
	// 30 days: well past Shopify's 48 hours of retries (a duplicate is recognised by its
	// stored webhook id) and long enough to inspect and replay failed deliveries, yet the
	// delay within which an erasure request must be honoured, so that no delivery body
	// outlives it.
	{"RITORNO_INBOX_RETENTION", "720h", "how long processed, ignored, failed, dead and parked webhook deliveries are kept", false},
}

// defaultShopifyScopes are the scopes shopify.app.toml declares (a test keeps them equal).
const defaultShopifyScopes = "read_orders,read_customers,read_products,read_inventory,write_discounts,write_app_proxy"

// configError is bad configuration: reported in one line, exit status 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// loadConfig reads and validates the environment. It does not touch the network or the
// database; the encryption key file is resolved later by resolveEncryptionKey.
func loadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, e := range envVars {
			if e.name == name {
				return e.def
			}
		}
		return ""
	}
	cfg := Config{
		Addr:              get("RITORNO_ADDR"),
		DatabaseURL:       get("RITORNO_DATABASE_URL"),
		DataDir:           get("RITORNO_DATA_DIR"),
		AppURL:            strings.TrimRight(get("RITORNO_APP_URL"), "/"),
		ShopifyAPIKey:     get("SHOPIFY_API_KEY"),
		ShopifyAPISecret:  get("SHOPIFY_API_SECRET"),
		ShopifyPrevSecret: get("SHOPIFY_API_SECRET_PREVIOUS"),
		ShopifyScopes:     get("SHOPIFY_SCOPES"),
		ShopifyAPIVersion: get("SHOPIFY_API_VERSION"),
	}
	if err := cfg.checkAddresses(); err != nil {
		return Config{}, err
	}
	if err := cfg.parseSettings(get); err != nil {
		return Config{}, err
	}
	cfg.GCPercent, cfg.MemoryLimit = gcSettings(getenv, availableMemory())
	if raw := getenv("RITORNO_ENCRYPTION_KEY"); raw != "" {
		key, err := secrets.ParseKey(raw)
		if err != nil {
			return Config{}, configErrorf("%v", err)
		}
		cfg.EncryptionKey, cfg.encryptionKeyFrom = key, "RITORNO_ENCRYPTION_KEY"
	} else if cfg.DatabaseURL != "" {
		return Config{}, configErrorf("RITORNO_ENCRYPTION_KEY is required with PostgreSQL (generate one with: openssl rand -hex 32)")
	}
	return cfg, nil
}

// checkAddresses checks the addresses: the API version, listen address, app URL and
// database URL.
func (c *Config) checkAddresses() error {
	if !shopifyAPIVersion.MatchString(c.ShopifyAPIVersion) {
		return configErrorf("SHOPIFY_API_VERSION %q is not a release like 2026-07", c.ShopifyAPIVersion)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return configErrorf("RITORNO_ADDR %q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr)
	}
	if u, err := url.Parse(c.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf("RITORNO_APP_URL %q must be an absolute http(s) URL", c.AppURL)
	}
	if c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return configErrorf("RITORNO_DATABASE_URL must be a postgres:// URL (unset it for the embedded database)")
		}
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" {
			return configErrorf("RITORNO_DATABASE_URL is malformed: want postgres://user:password@host:port/database")
		}
	}
	return nil
}

// parseSettings reads the settings that are not addresses: log level, switches, limits.
func (c *Config) parseSettings(get func(string) string) error {
	if err := c.LogLevel.UnmarshalText([]byte(get("RITORNO_LOG_LEVEL"))); err != nil {
		return configErrorf("RITORNO_LOG_LEVEL %q is not one of debug, info, warn, error", get("RITORNO_LOG_LEVEL"))
	}
	migrate, err := strconv.ParseBool(get("RITORNO_MIGRATE_ON_START"))
	if err != nil {
		return configErrorf("RITORNO_MIGRATE_ON_START %q is not true or false", get("RITORNO_MIGRATE_ON_START"))
	}
	c.MigrateOnStart = migrate
	if c.WooAllowHTTP, err = strconv.ParseBool(get("RITORNO_WOOCOMMERCE_ALLOW_HTTP")); err != nil {
		return configErrorf("RITORNO_WOOCOMMERCE_ALLOW_HTTP %q is not true or false", get("RITORNO_WOOCOMMERCE_ALLOW_HTTP"))
	}
	if c.WooAllowPrivate, err = strconv.ParseBool(get("RITORNO_WOOCOMMERCE_ALLOW_PRIVATE")); err != nil {
		return configErrorf("RITORNO_WOOCOMMERCE_ALLOW_PRIVATE %q is not true or false", get("RITORNO_WOOCOMMERCE_ALLOW_PRIVATE"))
	}
	if c.TrustProxy, err = strconv.ParseBool(get("RITORNO_TRUST_PROXY")); err != nil {
		return configErrorf("RITORNO_TRUST_PROXY %q is not true or false", get("RITORNO_TRUST_PROXY"))
	}
	switch demo := get("RITORNO_DEMO"); demo {
	case "auto":
		c.Demo = c.DatabaseURL == ""
	default:
		if c.Demo, err = strconv.ParseBool(demo); err != nil {
			return configErrorf("RITORNO_DEMO %q is not auto, true or false", demo)
		}
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("RITORNO_SHUTDOWN_TIMEOUT")); err != nil || c.ShutdownTimeout <= 0 {
		return configErrorf("RITORNO_SHUTDOWN_TIMEOUT %q is not a positive duration like 25s", get("RITORNO_SHUTDOWN_TIMEOUT"))
	}
	if c.InboxRetention, err = time.ParseDuration(get("RITORNO_INBOX_RETENTION")); err != nil || c.InboxRetention <= 0 {
		return configErrorf("RITORNO_INBOX_RETENTION %q is not a positive duration like 720h", get("RITORNO_INBOX_RETENTION"))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get("RITORNO_MAX_BODY_BYTES"), 10, 64); err != nil || c.MaxBodyBytes < 1024 {
		return configErrorf("RITORNO_MAX_BODY_BYTES %q must be a whole number of bytes, at least 1024", get("RITORNO_MAX_BODY_BYTES"))
	}
	return nil
}

// shopifyAPIVersion is a quarterly release or "unstable".
var shopifyAPIVersion = regexp.MustCompile(`^(\d{4}-(01|04|07|10)|unstable)$`)

// stateKey signs OAuth state cookies and WooCommerce connect tokens. It is derived from
// the encryption key, so there is no second secret to manage, and is not the key itself,
// so that a signature never exposes what seals the credentials.
func (c Config) stateKey() []byte {
	mac := hmac.New(sha256.New, c.EncryptionKey)
	mac.Write([]byte("ritorno/app-state/v1"))
	return mac.Sum(nil)
}

// trackingKey signs the tracking tokens of recommended items; derived like stateKey, so
// every replica with the same encryption key shares it.
func (c Config) trackingKey() []byte {
	mac := hmac.New(sha256.New, c.EncryptionKey)
	mac.Write([]byte("ritorno/storefront-tracking/v1"))
	return mac.Sum(nil)
}

// embedded reports whether the database is the embedded SQLite file.
func (c Config) embedded() bool { return c.DatabaseURL == "" }

// dsn is what store.Open takes.
func (c Config) dsn() string {
	if c.embedded() {
		return "sqlite:" + c.dbFile()
	}
	return c.DatabaseURL
}

// dbFile is the embedded database's file.
func (c Config) dbFile() string { return filepath.Join(c.DataDir, "ritorno.db") }

// keyFile is where the embedded default keeps its generated encryption key.
func (c Config) keyFile() string { return filepath.Join(c.DataDir, "encryption.key") }

// resolveEncryptionKey loads or creates the key file when no key is in the environment
// (only allowed with the embedded database; loadConfig enforced that).
func (c *Config) resolveEncryptionKey() error {
	if c.EncryptionKey != nil {
		return nil
	}
	if c.openExisting {
		// The database exists (openDatabase checked): a new key could not read it.
		if _, err := os.Stat(c.keyFile()); errors.Is(err, fs.ErrNotExist) {
			return configErrorf("encryption key: no key file at %s beside the database, and RITORNO_ENCRYPTION_KEY is unset", c.keyFile())
		}
	}
	key, created, err := secrets.LoadOrCreateKeyFile(c.keyFile())
	if err != nil {
		return configErrorf("encryption key: %v", err)
	}
	c.EncryptionKey = key
	c.encryptionKeyFrom = c.keyFile()
	if created {
		c.encryptionKeyFrom += " (generated)"
	}
	return nil
}

// logAttrs is the effective configuration for the start-up log, secrets masked.
func (c Config) logAttrs() []any {
	mask := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	return []any{
		"addr", c.Addr,
		"database", redactDSN(c.dsn()),
		"data_dir", c.DataDir,
		"app_url", c.AppURL,
		"shopify_api_key", c.ShopifyAPIKey,
		"shopify_api_secret", mask(c.ShopifyAPISecret),
		"shopify_api_secret_previous", mask(c.ShopifyPrevSecret),
		"shopify_scopes", c.ShopifyScopes,
		"shopify_api_version", c.ShopifyAPIVersion,
		"woocommerce_allow_http", c.WooAllowHTTP,
		"woocommerce_allow_private", c.WooAllowPrivate,
		"trust_proxy", c.TrustProxy,
		"gc_percent", c.GCPercent,
		"memory_limit_mb", c.MemoryLimit >> 20,
		"demo", c.Demo,
		"encryption_key", c.encryptionKeyFrom,
		"log_level", c.LogLevel.String(),
		"migrate_on_start", c.MigrateOnStart,
		"shutdown_timeout", c.ShutdownTimeout.String(),
		"max_body_bytes", c.MaxBodyBytes,
		"inbox_retention", c.InboxRetention.String(),
	}
}

// redactDSN hides every password of a database URL or DSN (store.RedactDSN).
func redactDSN(dsn string) string { return store.RedactDSN(dsn) }
