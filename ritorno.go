// Package ritorno holds the domain of a customer-retention backend for Shopify and
// WooCommerce shops: shops, customers, products, orders and money, with their rules.
//
// It imports the standard library only. Storage, HTTP and the platform adapters live in
// their own packages and convert to and from these types (see ARCHITECTURE.md, rule 1).
package ritorno
