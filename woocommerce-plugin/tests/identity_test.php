<?php
/**
 * Plain-PHP test of ritorno_sign_identity (no PHPUnit: nothing can be downloaded). Run by
 * scripts/php-check.sh; exits non-zero when a case fails.
 *
 *   php woocommerce-plugin/tests/identity_test.php
 *
 * The fixed vector was computed independently (Python hmac/hashlib/json), and the Go side
 * (storefront/identity_test.go) verifies tokens from tests/sign.php, so the three agree.
 *
 * @package Ritorno
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

require_once dirname( __DIR__ ) . '/ritorno/includes/identity.php';

$failures = 0;

/**
 * Records one check.
 *
 * @param string $name What is checked.
 * @param bool   $ok   Whether it held.
 * @param string $info Shown on failure.
 */
function ritorno_check( string $name, bool $ok, string $info = '' ): void {
	global $failures;
	if ( $ok ) {
		echo "ok   $name\n";
		return;
	}
	++$failures;
	echo "FAIL $name" . ( '' === $info ? '' : ": $info" ) . "\n";
}

/**
 * Decodes base64url without padding, strictly.
 *
 * @param string $part Encoded part.
 * @return string|false
 */
function ritorno_test_b64decode( string $part ) {
	if ( 1 !== preg_match( '/^[A-Za-z0-9_-]*$/', $part ) ) {
		return false;
	}
	return base64_decode( strtr( $part, '-_', '+/' ), true );
}

// The fixed vector.
$secret = 's3cr3t-Ab_9';
$store  = 'https://shop.example/boutique';
$key    = 'ck_Zm9vYmFy';
$want   = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9'
	. '.eyJpc3MiOiJodHRwczovL3Nob3AuZXhhbXBsZS9ib3V0aXF1ZSIsImF1ZCI6ImNrX1ptOXZZbUZ5Iiwic3ViIjoiNDIiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyNjIwMH0'
	. '.r3FI7n-mvymSvzjdNTiSYenHOM_EH2C7OQuBhTZk30Q';
$got    = ritorno_sign_identity( $secret, $store, $key, 42, 1767225600 );
ritorno_check( 'fixed vector', $want === $got, "got $got" );

// The claims, decoded.
$parts = explode( '.', $got );
ritorno_check( 'three parts', 3 === count( $parts ) );
$header = json_decode( (string) ritorno_test_b64decode( $parts[0] ), true );
$claims = json_decode( (string) ritorno_test_b64decode( $parts[1] ?? '' ), true );
ritorno_check( 'header is HS256 JWT', array( 'alg' => 'HS256', 'typ' => 'JWT' ) === $header, var_export( $header, true ) );
ritorno_check(
	'claims',
	array(
		'iss' => $store,
		'aud' => $key,
		'sub' => '42',
		'iat' => 1767225600,
		'exp' => 1767226200,
	) === $claims,
	var_export( $claims, true )
);
ritorno_check( 'sub is a string', is_array( $claims ) && is_string( $claims['sub'] ) );
$mac = hash_hmac( 'sha256', $parts[0] . '.' . ( $parts[1] ?? '' ), $secret, true );
ritorno_check( 'signature is HMAC-SHA256 of the first two parts', hash_equals( $mac, (string) ritorno_test_b64decode( $parts[2] ?? '' ) ) );
ritorno_check( 'the secret is not in the token', false === strpos( $got, $secret ) && false === strpos( (string) ritorno_test_b64decode( $parts[1] ?? '' ), $secret ) );

// The encoding: url-safe alphabet, no padding.
ritorno_check( 'base64url alphabet', '-__8' === ritorno_base64url_encode( "\xfb\xff\xfc" ), ritorno_base64url_encode( "\xfb\xff\xfc" ) );
ritorno_check( 'no padding', 'YQ' === ritorno_base64url_encode( 'a' ) );
$odd = ritorno_sign_identity( "k\xff\x00=&<>\"'", "https://shop.example/\u{e9}t\u{e9}?a=1&b=/", 'key+/=', PHP_INT_MAX, 0 );
ritorno_check( 'only base64url characters and dots', 1 === preg_match( '/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/', $odd ), $odd );

// A different secret, key, customer or time gives a different token.
ritorno_check( 'secret matters', ritorno_sign_identity( 'other', $store, $key, 42, 1767225600 ) !== $got );
ritorno_check( 'key matters', ritorno_sign_identity( $secret, $store, 'other', 42, 1767225600 ) !== $got );
ritorno_check( 'customer matters', ritorno_sign_identity( $secret, $store, $key, 43, 1767225600 ) !== $got );
ritorno_check( 'time matters', ritorno_sign_identity( $secret, $store, $key, 42, 1767225601 ) !== $got );

// Inputs that could only produce a refused token are refused here.
$bad = array(
	'empty secret'      => array( '', $store, $key, 42 ),
	'empty key'         => array( $secret, $store, '', 42 ),
	'customer zero'     => array( $secret, $store, $key, 0 ),
	'negative customer' => array( $secret, $store, $key, -7 ),
);
foreach ( $bad as $name => $args ) {
	try {
		ritorno_sign_identity( $args[0], $args[1], $args[2], $args[3], 1767225600 );
		ritorno_check( "refuses $name", false, 'no exception' );
	} catch ( InvalidArgumentException $e ) {
		ritorno_check( "refuses $name", false === strpos( $e->getMessage(), $secret ) );
	}
}

// The CLI prints the same token.
$cli = shell_exec(
	escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __DIR__ . '/sign.php' ) . ' '
	. implode( ' ', array_map( 'escapeshellarg', array( $secret, $store, $key, '42', '1767225600' ) ) )
);
ritorno_check( 'sign.php prints the token', $want . "\n" === $cli, var_export( $cli, true ) );

if ( $failures > 0 ) {
	echo "$failures check(s) failed\n";
	exit( 1 );
}
echo "identity_test: all checks passed\n";
