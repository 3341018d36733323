package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/secrets"
	"github.com/ritorno/ritorno/store"
)

// What the commands share: the prologue of every command that uses the database (open
// it, an existing one or created as the command table says; migrate it; find the shop
// named), and the helpers of their arguments and output.

// openShop opens the database and finds the shop a command names. The caller closes db.
func openShop(ctx context.Context, cfg *Config, shopArg string) (*store.DB, ritorno.Shop, error) {
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return nil, ritorno.Shop{}, err
	}
	shop, err := findShop(ctx, db, shopArg)
	if err != nil {
		db.Close()
		return nil, ritorno.Shop{}, err
	}
	return db, shop, nil
}

// openMigrated opens the database and applies pending migrations (operator commands work
// on a fresh data folder too).
func openMigrated(ctx context.Context, cfg *Config) (*store.DB, error) {
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// openDatabase resolves the encryption key and opens the database. Failures are
// configuration errors: the operator must fix the URL, the server or the key. A command
// that does not create the database (cfg.openExisting) finds the embedded one or fails,
// rather than leaving a new empty database and key in whatever folder it was run from.
func openDatabase(ctx context.Context, cfg *Config) (*store.DB, error) {
	if cfg.openExisting && cfg.embedded() {
		if _, err := os.Stat(cfg.dbFile()); errors.Is(err, fs.ErrNotExist) {
			where := cfg.dbFile()
			if abs, err := filepath.Abs(where); err == nil {
				where = abs
			}
			return nil, ritorno.Errorf(ritorno.ENOTFOUND,
				"no database at %s: run `ritorno serve` or `ritorno migrate` there first, or set RITORNO_DATABASE_URL", where)
		}
	}
	if err := cfg.resolveEncryptionKey(); err != nil {
		return nil, err
	}
	cipher, err := secrets.New(cfg.EncryptionKey)
	if err != nil {
		return nil, configErrorf("encryption key: %v", err)
	}
	db, err := store.Open(ctx, cfg.dsn(), cipher)
	if err != nil {
		return nil, configErrorf("database %s: %v", redactDSN(cfg.dsn()), err)
	}
	return db, nil
}

// findShop resolves a shop argument: a numeric id, a Shopify domain or a WooCommerce URL.
func findShop(ctx context.Context, db *store.DB, arg string) (ritorno.Shop, error) {
	var id int64
	if _, err := fmt.Sscanf(arg, "%d", &id); err == nil && fmt.Sprint(id) == arg {
		shop, err := db.Shop(ctx, id)
		if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
			return shop, ritorno.Errorf(ritorno.ENOTFOUND, "no shop with id %d (ritorno shops list)", id)
		}
		return shop, err
	}
	if strings.Contains(arg, "://") {
		u, err := ritorno.NormalizeStoreURL(arg, true)
		if err != nil {
			return ritorno.Shop{}, err
		}
		return db.ShopByDomain(ctx, ritorno.WooCommerce, u)
	}
	return db.ShopByDomain(ctx, ritorno.Shopify, strings.ToLower(arg))
}

// reorderFlags moves flags before positional arguments, so "show DOMAIN --json" works
// (package flag stops at the first positional argument).
func reorderFlags(args []string) []string {
	var flags, positional []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			positional = append(positional, a)
		}
	}
	return append(flags, positional...)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
