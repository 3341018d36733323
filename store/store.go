// Package store keeps Ritorno's data in PostgreSQL (production) or an embedded SQLite
// file (the single-machine default). It is the only package that imports gorm.
//
// Every method that reads or writes a shop's data takes the shop id right after the
// context and goes through shopScope, so a query cannot forget its tenant. Rows (gorm
// tags) are converted to and from the tag-free domain types beside their methods, one file
// per aggregate (shops, inbox, orders, buyers, catalog, customers, privacy, backfills,
// insights, recommendation reads, storefront events).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/migrations"
	"github.com/ritorno/ritorno/secrets"
)

// DB is a handle on Ritorno's database. It is safe for concurrent use.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect migrations.Dialect
	cipher  *secrets.Cipher
	now     func() time.Time
}

// Open connects to dsn: a "postgres://" or "postgresql://" URL, or "sqlite:PATH" for an
// embedded database file (created with its folder if missing). It checks that the
// database answers, but applies no migration (see Migrate).
func Open(ctx context.Context, dsn string, cipher *secrets.Cipher) (*DB, error) {
	db, err := open(ctx, dsn, cipher)
	// Drivers may quote the address in their errors: its password must not reach a log.
	return db, redactError(err, dsn)
}

func open(ctx context.Context, dsn string, cipher *secrets.Cipher) (*DB, error) {
	if cipher == nil {
		return nil, errors.New("store: a cipher is required to keep credentials")
	}
	dialector, dialect, err := dialectorFor(dsn)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true, // our writes open their own transactions where needed
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	})
	if err != nil {
		// The PostgreSQL driver connects while opening; its error spans several lines.
		return nil, fmt.Errorf("database does not answer: %s", oneLine(err.Error()))
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if dialect == migrations.Postgres {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("database does not answer: %s", oneLine(err.Error()))
	}
	return &DB{
		gorm:    g,
		sql:     sqlDB,
		dialect: dialect,
		cipher:  cipher,
		now:     func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}, nil
}

// dialectorFor picks the gorm driver for a DSN.
func dialectorFor(dsn string) (gorm.Dialector, migrations.Dialect, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return nil, "", fmt.Errorf("database URL is malformed: %v", redactURLError(err))
		}
		return postgres.New(postgres.Config{DSN: dsn}), migrations.Postgres, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, "", errors.New("sqlite: needs a file path, e.g. sqlite:./data/ritorno.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", fmt.Errorf("create database folder: %w", err)
		}
		// WAL lets readers run beside the writer; BEGIN IMMEDIATE takes the write lock at
		// the start of a transaction, so two writers queue (busy_timeout) instead of one
		// failing when it upgrades a read lock; foreign keys are off by default in SQLite.
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		return sqlite.Open("file:" + path + "?" + q.Encode()), migrations.SQLite, nil
	}
	return nil, "", fmt.Errorf("database URL must start with postgres://, postgresql:// or sqlite: (got %q)", schemeOf(dsn))
}

// oneLine folds a multi-line driver message into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// schemeOf returns the scheme before ":" so that an error never echoes a password (a
// key/value DSN has none: "host=h password=p:q" must not show "host=h password=p").
func schemeOf(dsn string) string {
	if m := urlScheme.FindString(dsn); m != "" {
		return m + "…"
	}
	return "…"
}

var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// redactURLError drops the URL (which may hold a password) from a parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Dialect reports which SQL dialect the database speaks.
func (db *DB) Dialect() migrations.Dialect { return db.dialect }

// Migrate applies pending migrations and returns the ones it applied.
func (db *DB) Migrate(ctx context.Context) ([]migrations.Migration, error) {
	return migrations.Apply(ctx, db.sql, db.dialect)
}

// MigrationStatus lists every migration with whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]migrations.Status, error) {
	return migrations.Statuses(ctx, db.sql, db.dialect)
}

// Ready reports whether the database answers and every migration is applied.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return ritorno.Errorf(ritorno.EUNAVAILABLE, "database does not answer")
	}
	pending, err := migrations.Pending(ctx, db.sql, db.dialect)
	if err != nil {
		return fmt.Errorf("read migration state: %w", err)
	}
	if pending > 0 {
		return ritorno.Errorf(ritorno.ENOTREADY, "%d migration(s) pending", pending)
	}
	return nil
}

// Close closes the connection pool; it waits for queries in flight.
func (db *DB) Close() error { return db.sql.Close() }

// shopScope is the one tenant filter: every query on shop data goes through it.
func shopScope(shopID int64) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB { return q.Where("shop_id = ?", shopID) }
}

// scoped starts a query on a shop's rows of the table behind model.
func (db *DB) scoped(ctx context.Context, shopID int64, model any) *gorm.DB {
	return db.gorm.WithContext(ctx).Model(model).Scopes(shopScope(shopID))
}

// transaction runs fn in one short database transaction (no network calls inside). On a
// DB bound by InTransaction it is a savepoint: a failing write rolls back only itself.
// Every write method that history applies goes through it for that reason.
func (db *DB) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(fn)
}

// InTransaction runs fn with a DB bound to one transaction, committed if fn returns nil
// and rolled back otherwise. It lets a batch of writes share one commit (one WAL flush)
// instead of paying one each. The raw batch statements of the inbox (RecordDeliveries,
// FinishDone) refuse to run on the bound DB; everything else joins the transaction.
func (db *DB) InTransaction(ctx context.Context, fn func(tx *DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		bound := *db
		bound.gorm, bound.sql = tx, nil
		return fn(&bound)
	})
}

// errBoundDB is returned by the raw statements when called inside InTransaction.
var errBoundDB = errors.New("store: this statement runs on its own connection, not inside InTransaction")

// translate maps driver errors onto the domain's coded errors.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ritorno.Errorf(ritorno.ENOTFOUND, "%s not found", what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ritorno.Errorf(ritorno.ECONFLICT, "%s already exists", what)
	}
	if problem, ok := refusedData(err); ok {
		// The value itself is wrong for its column: retrying cannot help, so it is
		// EINVALID (a delivery fails at once instead of ten times over 17 minutes). The
		// driver's message is left out: some quote the value ("invalid input syntax for
		// type …: "…"").
		return ritorno.Errorf(ritorno.EINVALID, "%s: the database refused a value (%s)", what, problem)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// refusedData reports whether err is the database refusing a value as such, which no
// retry can fix: PostgreSQL's SQLSTATE class 22 (data exception: 22P05 untranslatable
// character, 22021 invalid byte sequence such as a NUL, 22003 numeric value out of range,
// 22001 string too long, 22007/22008 bad or out-of-range time…), or SQLite's TOOBIG and
// MISMATCH. problem names the kind, without the value.
func refusedData(err error) (problem string, ok bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22") {
		problem = "SQLSTATE " + pg.Code
		if pg.ColumnName != "" {
			problem += ", column " + pg.ColumnName
		}
		return problem, true
	}
	// modernc.org/sqlite's *Error; matched by its method, not imported.
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case 18: // SQLITE_TOOBIG
			return "SQLite: string or blob too big", true
		case 20: // SQLITE_MISMATCH
			return "SQLite: data type mismatch", true
		}
	}
	return "", false
}
