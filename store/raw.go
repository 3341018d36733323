package store

import "database/sql"

// RawQuery runs a read query outside the shop scope. It exists for tests and operator
// diagnostics that must look at what is stored at rest; product code uses the methods.
func RawQuery(db *DB, query string, args ...any) (*sql.Rows, error) {
	return db.gorm.Raw(query, args...).Rows()
}

// RawQueryRow is RawQuery for a single row.
func RawQueryRow(db *DB, query string, args ...any) *sql.Row {
	return db.gorm.Raw(query, args...).Row()
}
