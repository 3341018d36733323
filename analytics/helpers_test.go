package analytics

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// ts parses an RFC 3339 time for table literals; it panics on a typo.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func buy(customer, order int64, at string, net int64) Purchase {
	return Purchase{Customer: customer, Order: order, At: ts(at), Net: net}
}

func eur(amount int64) ritorno.Money { return ritorno.Money{Amount: amount, Currency: "EUR"} }

func pf(v float64) *float64 { return &v }

func pm(amount int64) *ritorno.Money { m := eur(amount); return &m }

func mustHistories(t *testing.T, ps []Purchase) *Histories {
	t.Helper()
	h, err := NewHistories(ps, "EUR")
	if err != nil {
		t.Fatalf("NewHistories: %v", err)
	}
	return h
}

func mustLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// flatten renders a result as field path → text, so that a failing comparison names the
// fields that differ. Floats are compared to 12 significant digits: every expected ratio
// in these tests is written as the fraction it was computed from.
func flatten(v any) map[string]string {
	out := map[string]string{}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch x := v.Interface().(type) {
		case time.Time:
			out[path] = x.UTC().Format(time.RFC3339Nano)
			return
		case ritorno.Money:
			out[path] = x.String()
			return
		case float64:
			out[path] = fmt.Sprintf("%.12g", x)
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				out[path] = "nil"
				return
			}
			walk(path, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			out[path+".len"] = fmt.Sprint(v.Len())
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		default:
			out[path] = fmt.Sprint(v.Interface())
		}
	}
	walk("", reflect.ValueOf(v))
	return out
}

// assertSame fails with one line per differing field.
func assertSame(t *testing.T, got, want any) {
	t.Helper()
	g, w := flatten(got), flatten(want)
	var diffs []string
	for k, wv := range w {
		if gv, ok := g[k]; !ok || gv != wv {
			diffs = append(diffs, fmt.Sprintf("%s = %s, want %s", k, g[k], wv))
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %s, not expected", k, gv))
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
}

// marchHistory is the small shop most hand-computed cases use (times UTC):
//
//	customer 1  2026-02-10 1000, 2026-03-05 2000          first in Feb, again in Mar
//	customer 2  2026-01-05  500, 2026-03-20 1500, 03-25 500  away in Feb, back in Mar
//	customer 3  2026-02-20 3000                          bought in Feb only
//	customer 4  2026-03-02 4000, 2026-03-09 0 (refunded)  new in Mar
//	customer 5  2026-03-31T23:00 700, 2026-04-01T00:00 900  new in Mar; 2nd order at Apr 1
//	customer 6  2026-04-02  800                          after March
//	customer 7  2025-12-01  200, 2025-12-02 301          only in December
//	unknown     2026-02-15  100, 2026-03-15 600
var marchHistory = []Purchase{
	buy(5, 502, "2026-04-01T00:00:00Z", 900),
	buy(1, 101, "2026-02-10T10:00:00Z", 1000),
	buy(2, 202, "2026-03-20T10:00:00Z", 1500),
	buy(0, 2, "2026-03-15T10:00:00Z", 600),
	buy(1, 102, "2026-03-05T10:00:00Z", 2000),
	buy(2, 201, "2026-01-05T10:00:00Z", 500),
	buy(2, 203, "2026-03-25T10:00:00Z", 500),
	buy(3, 301, "2026-02-20T10:00:00Z", 3000),
	buy(4, 402, "2026-03-09T10:00:00Z", 0),
	buy(4, 401, "2026-03-02T10:00:00Z", 4000),
	buy(5, 501, "2026-03-31T23:00:00Z", 700),
	buy(6, 601, "2026-04-02T10:00:00Z", 800),
	buy(7, 702, "2025-12-02T10:00:00Z", 301),
	buy(7, 701, "2025-12-01T10:00:00Z", 200),
	buy(0, 1, "2026-02-15T10:00:00Z", 100),
}
