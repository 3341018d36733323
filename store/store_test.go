package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

func TestOpenRefusesBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "postgres://%zz"} {
		_, err := store.Open(context.Background(), dsn, storetest.Cipher(t))
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error echoes the URL: %v", dsn, err)
		}
	}
	_, err := store.Open(context.Background(), "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", storetest.Cipher(t))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable database: %v (must fail without echoing the password)", err)
	}
}
