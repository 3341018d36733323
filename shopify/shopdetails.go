package shopify

import (
	"context"
	"strings"

	"github.com/ritorno/ritorno"
)

// ShopDetails is what Ritorno keeps about a shop from Shopify itself.
type ShopDetails struct {
	Name     string
	Currency string // the shop's own currency, ISO 4217
	Timezone string // IANA name
}

const shopDetailsQuery = `query ShopDetails { shop { name currencyCode ianaTimezone } }`

// ReadShopDetails reads the shop's name, currency and time zone (run right after install,
// so that amounts and periods of the shop are interpreted in its own terms).
func ReadShopDetails(ctx context.Context, c *GraphQLClient) (ShopDetails, error) {
	var out struct {
		Shop *struct {
			Name         string `json:"name"`
			CurrencyCode string `json:"currencyCode"`
			IanaTimezone string `json:"ianaTimezone"`
		} `json:"shop"`
	}
	if err := c.Do(ctx, shopDetailsQuery, nil, &out); err != nil {
		return ShopDetails{}, err
	}
	if out.Shop == nil {
		return ShopDetails{}, ritorno.Errorf(ritorno.EUNAVAILABLE, "Shopify returned no shop for %s", c.Shop)
	}
	d := ShopDetails{Name: out.Shop.Name, Currency: strings.ToUpper(out.Shop.CurrencyCode), Timezone: out.Shop.IanaTimezone}
	if err := ritorno.ValidateCurrency(d.Currency); err != nil {
		return ShopDetails{}, ritorno.Errorf(ritorno.EUNAVAILABLE, "Shopify returned currency %.10q for %s", out.Shop.CurrencyCode, c.Shop)
	}
	if d.Timezone == "" {
		d.Timezone = "UTC"
	}
	return d, nil
}
