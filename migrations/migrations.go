// Package migrations holds Ritorno's versioned, forward-only database schema, one folder
// of numbered SQL files per dialect, embedded in the binary, and applies it.
//
// A file is never edited once released: a mistake is fixed by the next file. Each file runs
// in its own transaction and is recorded in schema_migrations with a checksum, so an edited
// file is detected instead of silently diverging between databases.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names a supported SQL dialect; it is also the folder of its migrations.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version  int
	Name     string // file name without the version and extension, e.g. "init"
	SQL      string
	Checksum string // hex SHA-256 of SQL
}

// Status is a migration and whether (and when) it has been applied to a database.
type Status struct {
	Migration
	Applied   bool
	AppliedAt time.Time
}

// advisoryLockKey is an arbitrary constant shared by every Ritorno process, so that two
// replicas starting together apply migrations one after the other.
const advisoryLockKey = 7_254_330_912

// All returns the dialect's migrations in version order.
func All(dialect Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(files, string(dialect))
	if err != nil {
		return nil, fmt.Errorf("unknown dialect %q: %w", dialect, err)
	}
	var all []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration file %s/%s: want NNNN_name.sql", dialect, name)
		}
		if other, dup := seen[version]; dup {
			return nil, fmt.Errorf("migration version %d used twice: %s and %s", version, other, name)
		}
		seen[version] = name
		body, err := files.ReadFile(path.Join(string(dialect), name))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		all = append(all, Migration{Version: version, Name: rest, SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	return all, nil
}

// Apply brings the database up to the newest migration and returns the ones it applied.
// On PostgreSQL it holds a session advisory lock for the whole run, so concurrent callers
// wait for each other and the later ones find nothing left to do. On SQLite each migration's
// transaction starts as a write transaction, which serializes writers to the file.
func Apply(ctx context.Context, db *sql.DB, dialect Dialect) ([]Migration, error) {
	all, err := All(dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Close()

	if dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, advisoryLockKey); err != nil {
			return nil, fmt.Errorf("migrations: lock: %w", err)
		}
		defer func() {
			// A fresh context: the unlock must happen even when ctx was cancelled.
			_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, advisoryLockKey)
		}()
	}
	if err := ensureTable(ctx, conn, dialect); err != nil {
		return nil, err
	}

	var applied []Migration
	for _, m := range all {
		done, err := applyOne(ctx, conn, dialect, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// applyOne applies m unless it is already recorded; it reports whether it ran m.
func applyOne(ctx context.Context, conn *sql.Conn, dialect Dialect, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %04d: begin: %w", m.Version, err)
	}
	defer tx.Rollback()
	if dialect == SQLite {
		// Take the write lock before reading what is applied, so that a second process cannot
		// read the same "pending" answer and run the file twice.
		if _, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET version = version WHERE 0`); err != nil {
			return false, fmt.Errorf("migration %04d: lock: %w", m.Version, err)
		}
	}
	var checksum string
	err = tx.QueryRowContext(ctx, dialect.Rebind(`SELECT checksum FROM schema_migrations WHERE version = ?`), m.Version).Scan(&checksum)
	switch {
	case err == nil:
		if checksum != m.Checksum {
			return false, fmt.Errorf("migration %04d_%s was changed after it was applied (checksum %s, file %s): add a new migration instead", m.Version, m.Name, short(checksum), short(m.Checksum))
		}
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("migration %04d: read state: %w", m.Version, err)
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, dialect.Rebind(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`),
		m.Version, m.Name, m.Checksum, time.Now().UTC()); err != nil {
		return false, fmt.Errorf("migration %04d: record: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %04d: commit: %w", m.Version, err)
	}
	return true, nil
}

// Statuses lists every migration of the dialect with whether it is applied. Applied
// versions unknown to this binary (a newer release ran against the database) are an error:
// this binary must not serve a schema it does not know.
func Statuses(ctx context.Context, db *sql.DB, dialect Dialect) ([]Status, error) {
	all, err := All(dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Close()
	// Only look: a read-only caller (readiness probes) must not create tables.
	exists, err := tableExists(ctx, conn, dialect)
	if err != nil {
		return nil, err
	}
	if !exists {
		out := make([]Status, 0, len(all))
		for _, m := range all {
			out = append(out, Status{Migration: m})
		}
		return out, nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrations: read state: %w", err)
	}
	defer rows.Close()
	type record struct {
		checksum  string
		appliedAt time.Time
	}
	recorded := map[int]record{}
	for rows.Next() {
		var v int
		var r record
		if err := rows.Scan(&v, &r.checksum, &r.appliedAt); err != nil {
			return nil, fmt.Errorf("migrations: read state: %w", err)
		}
		recorded[v] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: read state: %w", err)
	}
	out := make([]Status, 0, len(all))
	for _, m := range all {
		r, ok := recorded[m.Version]
		if ok && r.checksum != m.Checksum {
			return nil, fmt.Errorf("migration %04d_%s was changed after it was applied", m.Version, m.Name)
		}
		delete(recorded, m.Version)
		out = append(out, Status{Migration: m, Applied: ok, AppliedAt: r.appliedAt})
	}
	for v := range recorded {
		return nil, fmt.Errorf("the database has migration %04d, which this binary does not know: run a newer release", v)
	}
	return out, nil
}

// Pending returns how many migrations are not applied yet.
func Pending(ctx context.Context, db *sql.DB, dialect Dialect) (int, error) {
	statuses, err := Statuses(ctx, db, dialect)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range statuses {
		if !s.Applied {
			n++
		}
	}
	return n, nil
}

func tableExists(ctx context.Context, conn *sql.Conn, dialect Dialect) (bool, error) {
	q := `SELECT to_regclass('schema_migrations') IS NOT NULL`
	if dialect == SQLite {
		q = `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	}
	var exists bool
	if err := conn.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return false, fmt.Errorf("migrations: read state: %w", err)
	}
	return exists, nil
}

func ensureTable(ctx context.Context, conn *sql.Conn, dialect Dialect) error {
	ts := "TIMESTAMPTZ"
	if dialect == SQLite {
		ts = "DATETIME"
	}
	_, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		checksum   TEXT NOT NULL,
		applied_at `+ts+` NOT NULL)`)
	if err != nil {
		return fmt.Errorf("migrations: create schema_migrations: %w", err)
	}
	return nil
}

// Rebind turns ? placeholders into PostgreSQL's $n; other dialects keep ?. The query must
// not contain ? inside literals.
func (dialect Dialect) Rebind(q string) string {
	if dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
