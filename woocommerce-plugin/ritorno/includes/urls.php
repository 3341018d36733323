<?php
/**
 * The rules for the Ritorno server URL and the connection key, and how both are read from
 * a webhook delivery URL. Pure PHP without WordPress, like identity.php, so that
 * tests/urls_test.php can check them without WordPress; it only defines functions.
 *
 * @package Ritorno
 */

/**
 * Reports whether a host is this machine, where plain http is acceptable for a local test
 * server (a store on https would refuse to load the widget from anything else anyway).
 *
 * @param string $host Host as parse_url returns it (IPv6 in brackets).
 * @return bool
 */
function ritorno_is_local_host( string $host ): bool {
	$host = strtolower( $host );
	return 'localhost' === $host
		|| '.localhost' === substr( $host, -10 )
		|| '[::1]' === $host
		|| 1 === preg_match( '/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/', $host );
}

/**
 * Normalizes the Ritorno server URL: https (or http for this machine), no credentials,
 * query or fragment, lower-case scheme and host, no trailing slash.
 *
 * @param string $raw The URL as entered.
 * @return string|null The normalized URL, or null when it is not acceptable.
 */
function ritorno_normalize_server_url( string $raw ): ?string {
	$raw = trim( $raw );
	if ( '' === $raw || 1 === preg_match( '/[\s\x00-\x1f\x7f]/', $raw ) ) {
		return null;
	}
	// phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- pure file; wp_parse_url only papers over PHP < 5.4.7.
	$parts = parse_url( $raw );
	if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
		return null;
	}
	if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
		return null;
	}
	$scheme = strtolower( $parts['scheme'] );
	$host   = strtolower( $parts['host'] );
	if ( 'https' !== $scheme && ! ( 'http' === $scheme && ritorno_is_local_host( $host ) ) ) {
		return null;
	}
	if ( 1 !== preg_match( '/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/', $host ) ) {
		return null;
	}
	$port = isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '';
	$path = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
	return $scheme . '://' . $host . $port . $path;
}

/**
 * Reports whether a string has the shape of a Ritorno connection key (Ritorno makes them
 * from random bytes in unpadded base64url).
 *
 * @param string $key Candidate key.
 * @return bool
 */
function ritorno_is_connection_key( string $key ): bool {
	return 1 === preg_match( '/^[A-Za-z0-9_-]{16,128}$/', $key );
}

/**
 * Reads the Ritorno server URL and the connection key from the delivery URL of one of the
 * store's webhooks, {server}/webhooks/woocommerce/{key}, which Ritorno registered when the
 * store connected.
 *
 * @param string $delivery_url A webhook's delivery URL.
 * @return array{server: string, key: string}|null Null when the URL is not a Ritorno one.
 */
function ritorno_parse_delivery_url( string $delivery_url ): ?array {
	if ( 1 !== preg_match( '#^(.+)/webhooks/woocommerce/([^/?\#]+)/?$#', trim( $delivery_url ), $m ) ) {
		return null;
	}
	$server = ritorno_normalize_server_url( $m[1] );
	if ( null === $server || ! ritorno_is_connection_key( $m[2] ) ) {
		return null;
	}
	return array(
		'server' => $server,
		'key'    => $m[2],
	);
}
