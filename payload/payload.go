// Package payload decodes the primitives of platform JSON payloads exactly: ids as int64
// (never through float64, which loses ids above 2^53), money amounts as their decimal text
// (never through float64), and errors that name the field without quoting personal data.
// The Shopify and WooCommerce adapters build their payload structs from these.
package payload

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ritorno/ritorno"
)

// ID is a platform id from a JSON number or numeric string; null is 0.
type ID int64

// UnmarshalJSON implements json.Unmarshaler.
func (i *ID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		*i = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return ritorno.Errorf(ritorno.EINVALID, "an id is not a non-negative integer")
	}
	*i = ID(n)
	return nil
}

// IDs converts a list, dropping zeros.
func IDs(in []ID) []int64 {
	out := make([]int64, 0, len(in))
	for _, i := range in {
		if i > 0 {
			out = append(out, int64(i))
		}
	}
	return out
}

// Decimal is an amount's exact text, from a JSON string or number; null is "" (absent).
// An empty JSON string is kept apart as Empty: WooCommerce sends it for a price that is
// not set, where it means none, while in an order's totals it is junk. Money refuses it;
// Unset turns it into absent for the fields where the platform means "not set".
type Decimal string

// Empty is the Decimal of an empty JSON string.
const Empty Decimal = `""`

// Unset returns d, with Empty read as absent ("").
func (d Decimal) Unset() Decimal {
	if d == Empty {
		return ""
	}
	return d
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return ritorno.Errorf(ritorno.EINVALID, "an amount is not a valid JSON string")
		}
		*d = Decimal(s)
		if s == "" {
			*d = Empty
		}
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return ritorno.Errorf(ritorno.EINVALID, "amount is neither a string nor a number")
		}
		*d = Decimal(n.String())
	}
	return nil
}

// Money parses d in currency; absent ("", from null or a missing field) is zero, Empty is
// refused. field names the amount in errors, which never quote it.
func (d Decimal) Money(currency, field string) (ritorno.Money, error) {
	if d == "" {
		return ritorno.Zero(currency), nil
	}
	if d == Empty {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s is an empty string, not an amount", field)
	}
	m, err := ritorno.ParseMoney(string(d), currency)
	if err != nil {
		return ritorno.Money{}, ritorno.Errorf(ritorno.EINVALID, "%s: %s", field, ritorno.ErrorMessage(err))
	}
	return m, nil
}

// Decode unmarshals body into v; every failure is EINVALID with a message that names the
// problem (what, a byte offset or a field) and never quotes the payload.
func Decode(body []byte, v any, what string) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	if ritorno.ErrorCode(err) == ritorno.EINVALID {
		return ritorno.Errorf(ritorno.EINVALID, "%s: %s", what, ritorno.ErrorMessage(err))
	}
	problem := "malformed JSON"
	switch e := err.(type) {
	case *json.SyntaxError:
		problem = "malformed JSON at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		problem = "field " + e.Field + " has the wrong type"
	}
	return ritorno.Errorf(ritorno.EINVALID, "%s body does not decode: %s", what, problem)
}
