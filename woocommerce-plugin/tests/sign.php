<?php
/**
 * Prints a shopper identity token, for the Go cross-language test
 * (storefront/identity_test.go):
 *
 *   php woocommerce-plugin/tests/sign.php SECRET STORE KEY CUSTOMER NOW
 *
 * @package Ritorno
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 ); // Never reachable from a web server.
}

require_once dirname( __DIR__ ) . '/ritorno/includes/identity.php';

if ( 6 !== $argc || ! ctype_digit( $argv[4] ) || ! ctype_digit( $argv[5] ) ) {
	fwrite( STDERR, "usage: php sign.php SECRET STORE KEY CUSTOMER NOW\n" );
	exit( 2 );
}

try {
	echo ritorno_sign_identity( $argv[1], $argv[2], $argv[3], (int) $argv[4], (int) $argv[5] ), "\n";
} catch ( InvalidArgumentException $e ) {
	fwrite( STDERR, $e->getMessage() . "\n" );
	exit( 2 );
}
