<?php
/**
 * Plain-PHP test of the plugin's readme.txt: the sections the WordPress.org plugin review
 * asks for, among them "External services" (what is sent to which service, when, and where
 * its terms and privacy policy are). Run by scripts/php-check.sh; exits non-zero when a
 * check fails.
 *
 * @package Ritorno
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

$readme = file_get_contents( dirname( __DIR__ ) . '/ritorno/readme.txt' );
if ( false === $readme ) {
	echo "readme.txt cannot be read\n";
	exit( 1 );
}

$failures = 0;

/**
 * Records one check.
 *
 * @param string $name What is checked.
 * @param bool   $ok   Whether it holds.
 */
function ritorno_check( string $name, bool $ok ): void {
	global $failures;
	if ( $ok ) {
		echo "ok   $name\n";
		return;
	}
	++$failures;
	echo "FAIL $name\n";
}

// The header fields the plugin directory reads.
foreach ( array( 'Requires at least', 'Tested up to', 'Requires PHP', 'Stable tag', 'License', 'License URI' ) as $field ) {
	ritorno_check( "header field $field", 1 === preg_match( '/^' . preg_quote( $field, '/' ) . ': \S/m', $readme ) );
}

// The sections, in order.
preg_match_all( '/^== (.+) ==$/m', $readme, $m );
$sections = $m[1];
$want     = array( 'Description', 'External services', 'Installation', 'Frequently Asked Questions', 'Changelog' );
ritorno_check( 'sections ' . implode( ', ', $want ), $sections === $want );

// "External services": which service, what is sent, when, and its terms and privacy policy.
$external = '';
if ( preg_match( '/^== External services ==$(.*?)^== /ms', $readme, $s ) ) {
	$external = $s[1];
}
foreach (
	array(
		'names the service'           => 'Ritorno server',
		'says whose deployment it is' => 'your own deployment',
		'what the browser sends'      => 'product id',
		'the identity token'          => 'identity token',
		'the events'                  => 'tracking token',
		'the connection test'         => 'Test connection',
		'the WooCommerce webhooks'    => 'webhooks',
		'terms of use'                => 'https://YOUR-RITORNO-SERVER/terms',
		'privacy policy'              => 'https://YOUR-RITORNO-SERVER/privacy',
	) as $name => $needle
) {
	ritorno_check( "external services: $name", false !== stripos( $external, $needle ) );
}

if ( $failures > 0 ) {
	echo "$failures check(s) failed\n";
	exit( 1 );
}
echo "readme_test: all checks passed\n";
