package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	_ "github.com/glebarez/go-sqlite"  // database/sql driver "sqlite"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/ritorno/ritorno/migrations"
	"github.com/ritorno/ritorno/store/storetest"
)

// openRaw opens an empty database from a storetest DSN with database/sql only.
func openRaw(t *testing.T, dsn string) (*sql.DB, migrations.Dialect) {
	t.Helper()
	var db *sql.DB
	var err error
	dialect := migrations.Postgres
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		dialect = migrations.SQLite
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	} else {
		db, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dialect
}

// schema is a dialect-neutral picture of a database's tables.
type schema struct {
	Columns map[string][]string // table → "name family null|notnull", sorted
	Unique  map[string][]string // table → "col,col" per unique key (primary key included), sorted
	Indexes map[string][]string // table → "col,col" per non-unique index, sorted
}

func family(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "char"), t == "text":
		return "text"
	case strings.Contains(t, "bool"):
		return "bool"
	case strings.Contains(t, "time"), strings.Contains(t, "date"):
		return "time"
	case t == "blob", t == "bytea":
		return "bytes"
	case t == "real", t == "double precision":
		return "float" // statistics (probabilities, expected counts), never money
	}
	return "other:" + t
}

func introspect(t *testing.T, db *sql.DB, dialect migrations.Dialect) schema {
	t.Helper()
	s := schema{Columns: map[string][]string{}, Unique: map[string][]string{}, Indexes: map[string][]string{}}
	query := func(q string, args ...any) *sql.Rows {
		rows, err := db.Query(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return rows
	}
	var tables []string
	if dialect == migrations.SQLite {
		rows := query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		for _, table := range tables {
			var pk []string
			rows := query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY pk, cid`, table)
			for rows.Next() {
				var name, typ string
				var notnull, pkPos int
				rows.Scan(&name, &typ, &notnull, &pkPos)
				null := "null"
				if notnull == 1 || pkPos > 0 {
					null = "notnull"
				}
				s.Columns[table] = append(s.Columns[table], fmt.Sprintf("%s %s %s", name, family(typ), null))
				if pkPos > 0 {
					pk = append(pk, name)
				}
			}
			rows.Close()
			s.Unique[table] = append(s.Unique[table], strings.Join(pk, ","))
			rows = query(`SELECT name, "unique", origin FROM pragma_index_list(?)`, table)
			type idx struct {
				name   string
				unique bool
				origin string
			}
			var idxs []idx
			for rows.Next() {
				var i idx
				rows.Scan(&i.name, &i.unique, &i.origin)
				idxs = append(idxs, i)
			}
			rows.Close()
			for _, i := range idxs {
				if i.origin == "pk" {
					continue
				}
				var cols []string
				cr := query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, i.name)
				for cr.Next() {
					var c string
					cr.Scan(&c)
					cols = append(cols, c)
				}
				cr.Close()
				if i.unique {
					s.Unique[table] = append(s.Unique[table], strings.Join(cols, ","))
				} else {
					s.Indexes[table] = append(s.Indexes[table], strings.Join(cols, ","))
				}
			}
		}
	} else {
		rows := query(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, column_name`)
		for rows.Next() {
			var table, name, typ, nullable string
			rows.Scan(&table, &name, &typ, &nullable)
			null := "null"
			if nullable == "NO" {
				null = "notnull"
			}
			s.Columns[table] = append(s.Columns[table], fmt.Sprintf("%s %s %s", name, family(typ), null))
		}
		rows.Close()
		rows = query(`SELECT t.relname, i.indisunique, i.indisprimary,
				array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
					JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')
			FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
			WHERE n.nspname = current_schema()`)
		for rows.Next() {
			var table, cols string
			var unique, primary bool
			rows.Scan(&table, &unique, &primary, &cols)
			if unique || primary {
				s.Unique[table] = append(s.Unique[table], cols)
			} else {
				s.Indexes[table] = append(s.Indexes[table], cols)
			}
		}
		rows.Close()
	}
	for _, m := range []map[string][]string{s.Columns, s.Unique, s.Indexes} {
		for k := range m {
			sort.Strings(m[k])
		}
	}
	return s
}

func diff(what string, a, b map[string][]string) []string {
	var out []string
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		for _, x := range a[k] {
			if !slices.Contains(b[k], x) {
				out = append(out, fmt.Sprintf("%s %s: sqlite has %q, postgres does not", what, k, x))
			}
		}
		for _, x := range b[k] {
			if !slices.Contains(a[k], x) {
				out = append(out, fmt.Sprintf("%s %s: postgres has %q, sqlite does not", what, k, x))
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestSchemasAreLogicallyEqual migrates both dialects from empty and compares tables,
// columns (type family and nullability), unique keys and indexes; then checks that every
// index and unique key of shop data starts with shop_id.
func TestSchemasAreLogicallyEqual(t *testing.T) {
	schemas := map[migrations.Dialect]schema{}
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		db, dialect := openRaw(t, dsn)
		if _, err := migrations.Apply(context.Background(), db, dialect); err != nil {
			t.Fatal(err)
		}
		schemas[dialect] = introspect(t, db, dialect)
	})
	lite, pg := schemas[migrations.SQLite], schemas[migrations.Postgres]
	if len(lite.Columns) == 0 || len(pg.Columns) == 0 {
		t.Skip("one dialect did not run")
	}
	var problems []string
	problems = append(problems, diff("columns", lite.Columns, pg.Columns)...)
	problems = append(problems, diff("unique key", lite.Unique, pg.Unique)...)
	problems = append(problems, diff("index", lite.Indexes, pg.Indexes)...)
	for _, p := range problems {
		t.Error(p)
	}

	// Tenant rule: shop data is reached through shop_id first. The tenant root, the
	// migration log and the inbox (keyed by what arrived, before the shop is known) are the
	// exceptions.
	exempt := map[string]bool{"shops": true, "schema_migrations": true, "webhook_deliveries": true}
	for table, cols := range lite.Columns {
		hasShop := slices.ContainsFunc(cols, func(c string) bool { return strings.HasPrefix(c, "shop_id ") })
		if !hasShop || exempt[table] {
			continue
		}
		for _, idx := range lite.Indexes[table] {
			if !strings.HasPrefix(idx, "shop_id") {
				t.Errorf("index %s(%s) does not start with shop_id", table, idx)
			}
		}
		for _, key := range lite.Unique[table] {
			if key != "id" && key != "shop_id" && !strings.HasPrefix(key, "shop_id,") {
				t.Errorf("unique key %s(%s) does not start with shop_id", table, key)
			}
		}
	}
}

func TestMigrationFilesAreWellFormed(t *testing.T) {
	var versions [2][]string
	for i, d := range []migrations.Dialect{migrations.Postgres, migrations.SQLite} {
		all, err := migrations.All(d)
		if err != nil {
			t.Fatal(err)
		}
		for j, m := range all {
			if m.Version != j+1 {
				t.Errorf("%s: migration %d has version %d; versions must run 1, 2, 3 …", d, j+1, m.Version)
			}
			versions[i] = append(versions[i], fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	if !slices.Equal(versions[0], versions[1]) {
		t.Errorf("dialects differ: postgres %v, sqlite %v", versions[0], versions[1])
	}
}

func TestApplyIsIdempotentAndRecorded(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, dialect := openRaw(t, dsn)
		all, _ := migrations.All(dialect)
		before, err := migrations.Statuses(ctx, db, dialect)
		if err != nil || len(before) != len(all) || before[0].Applied {
			t.Fatalf("statuses of an empty database = %+v, %v", before, err)
		}
		if n, _ := migrations.Pending(ctx, db, dialect); n != len(all) {
			t.Fatalf("pending = %d, want %d", n, len(all))
		}
		if got := introspect(t, db, dialect); len(got.Columns) != 0 {
			t.Fatalf("reading the status created tables: %v", got.Columns)
		}
		first, err := migrations.Apply(ctx, db, dialect)
		if err != nil || len(first) != len(all) {
			t.Fatalf("first Apply = %d, %v", len(first), err)
		}
		second, err := migrations.Apply(ctx, db, dialect)
		if err != nil || len(second) != 0 {
			t.Fatalf("second Apply = %d, %v", len(second), err)
		}
		after, err := migrations.Statuses(ctx, db, dialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range after {
			if !s.Applied || s.AppliedAt.IsZero() {
				t.Errorf("migration %d not recorded: %+v", s.Version, s)
			}
		}
	})
}

// TestConcurrentApply starts four appliers, each with its own connection pool (like four
// processes), on one empty database: all succeed and each migration runs once.
func TestConcurrentApply(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		all, _ := migrations.All(migrations.SQLite)
		var wg sync.WaitGroup
		applied := make([]int, 4)
		errs := make([]error, 4)
		for i := range 4 {
			db, dialect := openRaw(t, dsn)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ms, err := migrations.Apply(context.Background(), db, dialect)
				applied[i], errs[i] = len(ms), err
			}()
		}
		wg.Wait()
		total := 0
		for i := range 4 {
			if errs[i] != nil {
				t.Errorf("applier %d: %v", i, errs[i])
			}
			total += applied[i]
		}
		if total != len(all) {
			t.Errorf("migrations applied %d times in all, want %d", total, len(all))
		}
		db, _ := openRaw(t, dsn)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(all) {
			t.Errorf("schema_migrations has %d rows, %v", n, err)
		}
	})
}

func TestChangedOrUnknownMigrationIsRefused(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, dialect := openRaw(t, dsn)
		if _, err := migrations.Apply(ctx, db, dialect); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE schema_migrations SET checksum = 'x' WHERE version = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := migrations.Apply(ctx, db, dialect); err == nil || !strings.Contains(err.Error(), "changed") {
			t.Errorf("Apply after an edit: %v", err)
		}
		if _, err := migrations.Statuses(ctx, db, dialect); err == nil || !strings.Contains(err.Error(), "changed") {
			t.Errorf("Statuses after an edit: %v", err)
		}
		all, _ := migrations.All(dialect)
		if _, err := db.Exec(`UPDATE schema_migrations SET checksum = '` + all[0].Checksum + `' WHERE version = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		if _, err := migrations.Statuses(ctx, db, dialect); err == nil || !strings.Contains(err.Error(), "newer release") {
			t.Errorf("Statuses with an unknown version: %v", err)
		}
	})
}
