// What every aggregate shares to talk to both dialects: column conversions, multi-row
// statements within the driver's parameter limit, and page sizes.
//
// Row structs mirror migrations/*/0001_init.sql. They never leave this package: callers get
// domain types from the converters beside each row struct.

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ritorno/ritorno/migrations"
)

// nullTime stores the zero time as NULL, in UTC at PostgreSQL's microsecond precision so
// that both dialects give back the same instant.
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // a []string always marshals
	return string(b)
}

func decodeList(s string) []string {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil || len(list) == 0 {
		return nil
	}
	return list
}

// createAll inserts rows in batches; an empty slice is a no-op (gorm refuses it).
func createAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, 500).Error
}

const maxPage = 1000

func pageSize(limit int) int {
	if limit <= 0 || limit > maxPage {
		return maxPage
	}
	return limit
}

// paramLimit bounds the values bound to one statement. PostgreSQL allows 65,535; the
// pure-Go SQLite driver looks each parameter up by a linear scan of the arguments, so
// binding n values costs n² and large statements there are slower than several small ones
// (measured: 1,278 orders/s with 27,000 values per statement).
func (db *DB) paramLimit() int {
	if db.dialect == migrations.Postgres {
		return 30000
	}
	return 1000
}

// rowWriter knows a table's insert columns and how to flatten one row into them.
type rowWriter[T any] struct {
	table   string
	columns []string
	values  func(T) []any
}

// statement builds multi-row INSERT statements: "INSERT INTO t (cols) VALUES (?, …), …" + suffix.
func (w rowWriter[T]) statement(rows []T, suffix string) (string, []any) {
	var q strings.Builder
	fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", w.table, strings.Join(w.columns, ", "))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(w.columns)), ", ") + ")"
	args := make([]any, 0, len(rows)*len(w.columns))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		args = append(args, w.values(r)...)
	}
	q.WriteString(suffix)
	return q.String(), args
}

// chunks splits rows so that no statement binds more than limit values.
func chunks[T any](rows []T, columns, limit int) [][]T {
	per := max(1, limit/columns)
	var out [][]T
	for len(rows) > 0 {
		n := min(len(rows), per)
		out = append(out, rows[:n:n])
		rows = rows[n:]
	}
	return out
}

// inList returns "(?, ?, …)" for n values.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// insertAll inserts rows with as few statements as the parameter limit allows.
func insertAll[T any](ctx context.Context, tx *gorm.DB, db *DB, w rowWriter[T], rows []T) error {
	for _, part := range chunks(rows, len(w.columns), db.paramLimit()) {
		q, args := w.statement(part, "")
		if _, err := tx.Statement.ConnPool.ExecContext(ctx, db.dialect.Rebind(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertedFlag is a RETURNING expression that is true for a row the upsert inserted.
func (db *DB) insertedFlag() string {
	if db.dialect == migrations.Postgres {
		return "(xmax = 0)"
	}
	return "(1 = 1)" // corrected by existingOrders
}

// formatID renders an id for messages and byte searches.
func formatID(n int64) string { return strconv.FormatInt(n, 10) }
