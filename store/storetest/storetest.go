// Package storetest gives tests a fresh, migrated database of each dialect: an SQLite file
// in a temporary folder and, when RITORNO_TEST_POSTGRES_URL names a PostgreSQL server
// (make test starts one), a new database on it that is dropped afterwards.
//
// Without that variable the PostgreSQL cases are skipped, unless
// RITORNO_TEST_REQUIRE_POSTGRES=1 (set by make test and CI), which turns the skip into a
// failure so that CI can never pass on SQLite alone.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases

	"github.com/ritorno/ritorno/secrets"
	"github.com/ritorno/ritorno/store"
)

// PostgresURLEnv names the variable holding an admin URL of the test PostgreSQL server.
const PostgresURLEnv = "RITORNO_TEST_POSTGRES_URL"

// RequirePostgresEnv, set to 1, makes a missing PostgreSQL server a test failure.
const RequirePostgresEnv = "RITORNO_TEST_REQUIRE_POSTGRES"

// Dialects runs fn once per dialect as subtests "sqlite" and "postgres", each with a fresh
// migrated database.
func Dialects(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t)) })
}

// DSNs runs fn once per dialect with the DSN of a fresh, empty (unmigrated) database.
func DSNs(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresDSN(t)) })
}

// Cipher returns a cipher with a fixed test key.
func Cipher(t testing.TB) *secrets.Cipher {
	t.Helper()
	c, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// BenchDialects is Dialects for benchmarks.
func BenchDialects(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, OpenPostgres(b)) })
}

// OpenSQLite returns a migrated database in a new SQLite file.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, SQLiteDSN(t))
}

// OpenPostgres returns a migrated, newly created PostgreSQL database.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, PostgresDSN(t))
}

// SQLiteDSN names a new SQLite file in the test's temporary folder.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "ritorno.db")
}

// PostgresDSN creates an empty database on the test server and returns its URL; the
// database is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresURLEnv)
	if admin == "" {
		if os.Getenv(RequirePostgresEnv) == "1" {
			t.Fatalf("%s is not set but %s=1: start PostgreSQL with scripts/testdb.sh (make test does)", PostgresURLEnv, RequirePostgresEnv)
		}
		t.Skipf("%s not set: PostgreSQL case skipped (make test runs it)", PostgresURLEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "rt_" + hex.EncodeToString(buf)

	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adminDB.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer adminDB.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func openMigrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, Cipher(t))
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
