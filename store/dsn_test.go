package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// dsnForms are database addresses in every form that can carry a password; each password
// contains "S3cret" and must appear nowhere, encoded or decoded.
var dsnForms = []struct{ name, dsn string }{
	{"userinfo", "postgres://ritorno:Userinfo-S3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"},
	{"query parameter", "postgres://ritorno@127.0.0.1:1/db?password=Query-S3cret&sslmode=disable&connect_timeout=2"},
	{"both", "postgresql://ritorno:One-S3cret@127.0.0.1:1/db?connect_timeout=2&password=Two-S3cret"},
	{"percent-encoded", "postgres://ritorno:Enc%40ded-S3cret@127.0.0.1:1/db?connect_timeout=2"},
	{"malformed URL", "postgres://ritorno:Bad-S3cret@127.0.0.1:notaport/db"},
	{"key/value", "host=127.0.0.1 port=1 user=ritorno password=Kv-S3cret dbname=db"},
	{"key/value quoted", "host=127.0.0.1 password='Quoted S3cret' dbname=db"},
	{"key/value with a colon", "password=S3cret:x host=127.0.0.1"},
}

func TestDatabasePasswordNeverInErrorsOrRedactedForm(t *testing.T) {
	for _, f := range dsnForms {
		t.Run(f.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), f.dsn, storetest.Cipher(t))
			if err == nil {
				t.Fatal("opened an unreachable database")
			}
			if strings.Contains(err.Error(), "S3cret") {
				t.Errorf("Open error shows the password: %v", err)
			}
			red := store.RedactDSN(f.dsn)
			if strings.Contains(red, "S3cret") || !strings.Contains(red, "xxxxx") {
				t.Errorf("RedactDSN = %q", red)
			}
		})
	}
	for _, dsn := range []string{"sqlite:./data/ritorno.db", "postgres://ritorno@db.internal:5432/ritorno?sslmode=require"} {
		if got := store.RedactDSN(dsn); got != dsn {
			t.Errorf("RedactDSN(%q) = %q, want it unchanged (no password)", dsn, got)
		}
	}
}
