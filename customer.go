package ritorno

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Customer is a shopper with an account in the shop. Purchase figures are not stored on it:
// they are computed from orders, which are the source of truth.
type Customer struct {
	ShopID     int64
	PlatformID int64 // the platform's customer id
	Email      string
	// EmailHash is HashEmail(Email): it joins guest orders to the account that later uses the
	// same address, and survives redaction of the address itself.
	EmailHash string
	FirstName string
	LastName  string
	// State is the platform's account state ("enabled", "disabled", "invited", "declined"
	// on Shopify; WooCommerce customers are always "enabled").
	State             string
	Tags              []string
	PlatformCreatedAt time.Time
	PlatformUpdatedAt time.Time
	DeletedAt         time.Time // deleted on the platform; zero while it exists
	RedactedAt        time.Time // personal fields erased on request; zero otherwise
}

// NormalizeEmail is the one normalization applied before addresses are compared or
// hashed: surrounding space removed and lower-cased. Provider-specific rules (dots in
// Gmail addresses) are deliberately not applied: they would merge distinct shoppers.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// HashEmail returns the hex SHA-256 of the normalized address, or "" for no address.
func HashEmail(email string) string {
	n := NormalizeEmail(email)
	if n == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(n))
	return hex.EncodeToString(sum[:])
}

// BuyerKind tells how a buyer is identified.
type BuyerKind string

// Buyer identities: a customer account, or a guest known only by a hashed e-mail address.
const (
	BuyerCustomer BuyerKind = "customer"
	BuyerGuest    BuyerKind = "guest"
	BuyerUnknown  BuyerKind = "unknown" // neither account nor address: cannot be followed over time
)

// Buyer identifies whoever placed an order. A guest's orders are grouped by EmailHash, so a
// shopper who never made an account still has a purchase history.
type Buyer struct {
	Kind               BuyerKind
	CustomerPlatformID int64  // set for BuyerCustomer
	EmailHash          string // set for BuyerGuest, and for customers when known
}

// Key is a stable string for grouping a shop's orders by buyer: "c:<id>", "g:<hash>" or "".
func (b Buyer) Key() string {
	switch b.Kind {
	case BuyerCustomer:
		return "c:" + formatInt(b.CustomerPlatformID)
	case BuyerGuest:
		return "g:" + b.EmailHash
	}
	return ""
}
