package ritorno

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Money is an amount in the minor unit of its currency (cents for USD, yen for JPY, fils
// for KWD). It is never a float: platform decimal strings are parsed exactly.
type Money struct {
	Amount   int64  // minor units
	Currency string // ISO 4217 code, upper case
}

// currencyExponents lists the ISO 4217 currencies whose minor unit is not 1/100.
var currencyExponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
	"XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// CurrencyExponent returns the number of decimal places of the currency's minor unit.
func CurrencyExponent(currency string) int {
	if e, ok := currencyExponents[currency]; ok {
		return e
	}
	return 2
}

// ValidateCurrency checks that code looks like an ISO 4217 code (three upper-case letters).
func ValidateCurrency(code string) error {
	if len(code) != 3 {
		return Errorf(EINVALID, "currency must be a three-letter ISO 4217 code")
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return Errorf(EINVALID, "currency must be a three-letter ISO 4217 code")
		}
	}
	return nil
}

// ParseMoney parses a platform decimal string ("19.99", "-5", ".5") into minor units of
// currency. Only that plain form is accepted: no sign but "-", no spaces, no grouping
// ("1,234.50"), no exponent, not empty; the platforms send nothing else, so anything else
// is junk, not an amount. Digits beyond the currency's exponent must be zeros ("19.990"
// is fine for USD, "19.995" is an error): rounding money silently would lose it. Errors
// never quote s.
func ParseMoney(s string, currency string) (Money, error) {
	if err := ValidateCurrency(currency); err != nil {
		return Money{}, err
	}
	exp := CurrencyExponent(currency)
	str := s
	if str == "" {
		return Money{}, Errorf(EINVALID, "empty amount")
	}
	neg := false
	if str[0] == '-' {
		neg, str = true, str[1:]
	}
	whole, frac, hasDot := strings.Cut(str, ".")
	if whole == "" && (!hasDot || frac == "") {
		return Money{}, Errorf(EINVALID, "amount is not a plain decimal number")
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return Money{}, Errorf(EINVALID, "amount is not a plain decimal number")
			}
		}
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return Money{}, Errorf(EINVALID, "amount has more decimals than %s allows (%d)", currency, exp)
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return Money{Amount: 0, Currency: currency}, nil
	}
	amount, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return Money{}, Errorf(EINVALID, "amount is out of range")
	}
	if neg {
		amount = -amount
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// MustParseMoney is ParseMoney for constants in tests and fixtures; it panics on error.
func MustParseMoney(s, currency string) Money {
	m, err := ParseMoney(s, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// Zero returns no money in currency.
func Zero(currency string) Money { return Money{Currency: currency} }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m+o; adding different currencies is an error, never a silent mix.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, Errorf(EINVALID, "cannot add %s to %s", o.Currency, m.Currency)
	}
	if (o.Amount > 0 && m.Amount > math.MaxInt64-o.Amount) || (o.Amount < 0 && m.Amount < math.MinInt64-o.Amount) {
		return Money{}, Errorf(EINVALID, "amount overflow")
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Sub returns m-o under the same rules as Add.
func (m Money) Sub(o Money) (Money, error) {
	if o.Amount == math.MinInt64 {
		return Money{}, Errorf(EINVALID, "amount overflow")
	}
	return m.Add(Money{Amount: -o.Amount, Currency: o.Currency})
}

// Mul returns m times an integer quantity.
func (m Money) Mul(n int64) (Money, error) {
	if n != 0 && (m.Amount > math.MaxInt64/abs(n) || m.Amount < math.MinInt64/abs(n)) {
		return Money{}, Errorf(EINVALID, "amount overflow")
	}
	return Money{Amount: m.Amount * n, Currency: m.Currency}, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Decimal renders the amount as a plain decimal string in major units ("19.99").
func (m Money) Decimal() string {
	exp := CurrencyExponent(m.Currency)
	sign := ""
	a := m.Amount
	if a < 0 {
		sign = "-"
	}
	digits := strconv.FormatUint(uint64(abs(a)), 10)
	if a == math.MinInt64 {
		digits = "9223372036854775808"
	}
	if exp == 0 {
		return sign + digits
	}
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
}

// String renders "19.99 USD".
func (m Money) String() string { return fmt.Sprintf("%s %s", m.Decimal(), m.Currency) }

// CurrencyTotal is the orders in one currency and their sum. Amounts in different
// currencies are never converted or relabelled: a figure in the shop's currency leaves
// the others out and reports them as CurrencyTotals, and a buyer's history totals each
// currency apart.
type CurrencyTotal struct {
	Orders int
	Net    Money
}

// CurrencyTotals sums orders per currency.
type CurrencyTotals map[string]CurrencyTotal

// Add counts one order of net amount m under its own currency.
func (t CurrencyTotals) Add(m Money) error {
	cur := t[m.Currency]
	if cur.Net.Currency == "" {
		cur.Net = Zero(m.Currency)
	}
	sum, err := cur.Net.Add(m)
	if err != nil {
		return err
	}
	t[m.Currency] = CurrencyTotal{Orders: cur.Orders + 1, Net: sum}
	return nil
}

// Sorted lists the totals by currency code; nil when there are none.
func (t CurrencyTotals) Sorted() []CurrencyTotal {
	if len(t) == 0 {
		return nil
	}
	out := make([]CurrencyTotal, 0, len(t))
	for _, ct := range t {
		out = append(out, ct)
	}
	slices.SortFunc(out, func(a, b CurrencyTotal) int { return strings.Compare(a.Net.Currency, b.Net.Currency) })
	return out
}
