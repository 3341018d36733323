<?php
/**
 * The shopper identity token: a short-lived JWT (HS256) that tells Ritorno which logged-in
 * customer is looking at the page, signed with the connection secret.
 *
 * This file is pure PHP with no WordPress calls, so tests/identity_test.php and
 * tests/sign.php can load it without WordPress. It only defines functions, so loading it
 * directly does nothing and it needs no ABSPATH guard.
 *
 * Ritorno checks it in Go (storefront.VerifyIdentity): header {"alg":"HS256","typ":"JWT"},
 * claims iss (store home URL), aud (connection key), sub (customer id as a decimal string),
 * iat and exp; base64url without padding; exp at most 15 minutes after iat.
 *
 * @package Ritorno
 */

/**
 * How long a token lives, in seconds. Ten minutes covers a slow page load and the widget's
 * first requests; Ritorno refuses anything over fifteen.
 */
const RITORNO_IDENTITY_TTL = 600;

/**
 * Encodes bytes as base64url without padding, the JWT encoding.
 *
 * @param string $bytes Raw bytes.
 * @return string
 */
function ritorno_base64url_encode( string $bytes ): string {
	// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- JWT encoding, not obfuscation.
	return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' );
}

/**
 * Returns the identity token of a logged-in customer.
 *
 * @param string $secret      The connection secret (the secret of the store's Ritorno webhooks).
 * @param string $store       The store's home URL (iss).
 * @param string $key         The Ritorno connection key (aud).
 * @param int    $customer_id The WordPress user id of the customer (sub); must be positive.
 * @param int    $now         The current Unix time (iat); exp is RITORNO_IDENTITY_TTL later.
 * @return string The token, three base64url parts joined by dots.
 * @throws InvalidArgumentException When the secret or key is empty or the customer id is not positive,
 *                                  because such a token could only ever be refused.
 */
function ritorno_sign_identity( string $secret, string $store, string $key, int $customer_id, int $now ): string {
	if ( '' === $secret || '' === $key || $customer_id <= 0 ) {
		throw new InvalidArgumentException( 'ritorno_sign_identity needs a secret, a connection key and a positive customer id' );
	}
	$header = array(
		'alg' => 'HS256',
		'typ' => 'JWT',
	);
	$claims = array(
		'iss' => $store,
		'aud' => $key,
		'sub' => (string) $customer_id,
		'iat' => $now,
		'exp' => $now + RITORNO_IDENTITY_TTL,
	);
	// Plain json_encode (not wp_json_encode) keeps this file free of WordPress; the flags make
	// the bytes the same on every PHP version, and a URL with invalid UTF-8 fails loudly.
	$flags   = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;
	$signing = ritorno_base64url_encode( json_encode( $header, $flags ) ) . '.' . ritorno_base64url_encode( json_encode( $claims, $flags ) );
	return $signing . '.' . ritorno_base64url_encode( hash_hmac( 'sha256', $signing, $secret, true ) );
}
