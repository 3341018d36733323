// PostgreSQL's own protocol through pgx, for the bulk paths: dedicated connections and
// transactions, and the binary COPY format (orders_copy.go, insights_copy.go, recommend.go).

package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgxTransaction runs fn in a transaction on a pooled connection of its own, with pgx's
// API (COPY needs it; database/sql has no COPY).
func (db *DB) pgxTransaction(ctx context.Context, fn func(pgx.Tx) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: the PostgreSQL connection is a %T, not pgx's", dc)
		}
		return pgx.BeginFunc(ctx, sc.Conn(), fn)
	})
}

// withPgxConns runs fn with n pgx connections taken from the pool at once, each held
// (through database/sql's Conn.Raw) until fn returns.
func withPgxConns(ctx context.Context, db *DB, n int, fn func([]*pgx.Conn) error) error {
	conns := make([]*pgx.Conn, 0, n)
	var take func() error
	take = func() error {
		if len(conns) == n {
			return fn(conns)
		}
		c, err := db.sql.Conn(ctx)
		if err != nil {
			return translate(err, "database connection")
		}
		defer c.Close()
		return c.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: the PostgreSQL connection is a %T, not pgx's", dc)
			}
			conns = append(conns, sc.Conn())
			return take()
		})
	}
	return take()
}

func copyStatement(table string, columns []string) string {
	return "COPY " + table + " (" + strings.Join(columns, ", ") + ") FROM STDIN (FORMAT binary)"
}

// copyIn runs the COPY statement on tx's connection with the rows that next encodes, one
// per call until it returns false. The rows are encoded as the connection sends them, so
// PostgreSQL reads the first rows while the last are being encoded, and no batch-sized
// buffer is needed.
func copyIn(ctx context.Context, tx pgx.Tx, statement string, next func(*copyEncoder) bool) error {
	r := &copyReader{next: next}
	r.enc.b = append(r.enc.b, copyHeader...)
	_, err := tx.Conn().PgConn().CopyFrom(ctx, r, statement)
	r.close()
	return err
}

// copyReader is an io.Reader of the binary COPY stream of the rows next encodes. pgconn
// reads it from a goroutine of its own that it does not always wait for when the
// connection fails, so close makes sure that no Read touches the rows once copyIn returns.
type copyReader struct {
	mu     sync.Mutex
	closed bool
	enc    copyEncoder
	off    int // of enc.b, the bytes already read
	next   func(*copyEncoder) bool
	done   bool // the trailer is encoded
}

var errCopyClosed = errors.New("store: COPY stream read after its statement ended")

func (r *copyReader) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

func (r *copyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errCopyClosed
	}
	if len(r.enc.b)-r.off < len(p) && !r.done {
		r.enc.b = append(r.enc.b[:0], r.enc.b[r.off:]...)
		r.off = 0
		for len(r.enc.b) < len(p) {
			if !r.next(&r.enc) {
				r.enc.b = binary.BigEndian.AppendUint16(r.enc.b, 0xffff)
				r.done = true
				break
			}
		}
	}
	n := copy(p, r.enc.b[r.off:])
	r.off += n
	if r.done && r.off == len(r.enc.b) {
		return n, io.EOF
	}
	return n, nil
}

// copyEncoder writes rows in PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): a header, then
// per row a 16-bit field count and each field as a 32-bit length (-1 for NULL) and its
// binary value, then a -1 trailer. The columns it writes are BIGINT, TEXT, BOOLEAN and
// TIMESTAMPTZ, whose binary forms are big-endian int64, the UTF-8 bytes, one byte, and
// microseconds since 2000-01-01 UTC.
type copyEncoder struct{ b []byte }

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpochMicros is 2000-01-01T00:00:00Z in Unix microseconds.
var pgEpochMicros = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

func (e *copyEncoder) row(fields int) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(fields)) }

func (e *copyEncoder) int(v int64) {
	e.b = binary.BigEndian.AppendUint32(e.b, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, uint64(v))
}

func (e *copyEncoder) text(s string) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(s)))
	e.b = append(e.b, s...)
}

// int4 writes an INTEGER column.
func (e *copyEncoder) int4(v int) {
	e.b = binary.BigEndian.AppendUint32(e.b, 4)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(int32(v)))
}

// float8 writes a DOUBLE PRECISION column (IEEE 754, big-endian).
func (e *copyEncoder) float8(v float64) {
	e.b = binary.BigEndian.AppendUint32(e.b, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(v))
}

func (e *copyEncoder) bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	e.b = append(binary.BigEndian.AppendUint32(e.b, 1), b)
}

func (e *copyEncoder) time(t time.Time) {
	e.b = binary.BigEndian.AppendUint32(e.b, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, uint64(t.UnixMicro()-pgEpochMicros))
}

func (e *copyEncoder) nullTime(t sql.NullTime) {
	if !t.Valid {
		e.b = binary.BigEndian.AppendUint32(e.b, 0xffffffff)
		return
	}
	e.time(t.Time)
}
