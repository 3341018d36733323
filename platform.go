package ritorno

// Platform is the port every commerce-platform adapter implements (Shopify, WooCommerce).
// It is the one interface declared by the domain rather than by its consumer, because
// several packages (history, backfill, the conformance suite) need the same contract.
type Platform interface {
	Name() PlatformName
	// KnownTopic reports whether Ritorno subscribes to the webhook topic.
	KnownTopic(topic string) bool
	// DecodeEvent turns a verified delivery body of a known topic into an event for shop.
	// A body that can never decode is an EINVALID error.
	DecodeEvent(topic string, body []byte, shop Shop) (Event, error)
}
