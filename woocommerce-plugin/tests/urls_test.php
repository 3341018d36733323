<?php
/**
 * Plain-PHP test of the server URL and connection key rules (includes/urls.php). Run by
 * scripts/php-check.sh; exits non-zero when a case fails.
 *
 * @package Ritorno
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

require_once dirname( __DIR__ ) . '/ritorno/includes/urls.php';

$failures = 0;

/**
 * Compares one result with the expected one.
 *
 * @param string $name What is checked.
 * @param mixed  $want Expected.
 * @param mixed  $got  Actual.
 */
function ritorno_expect( string $name, $want, $got ): void {
	global $failures;
	if ( $want === $got ) {
		echo "ok   $name\n";
		return;
	}
	++$failures;
	echo "FAIL $name: want " . var_export( $want, true ) . ', got ' . var_export( $got, true ) . "\n";
}

$server_urls = array(
	'https'                         => array( 'https://ritorno.example.com', 'https://ritorno.example.com' ),
	'trailing slash and case'       => array( ' HTTPS://Ritorno.Example.com/ ', 'https://ritorno.example.com' ),
	'port and path'                 => array( 'https://example.com:8443/ritorno/', 'https://example.com:8443/ritorno' ),
	'http on localhost'             => array( 'http://localhost:8080', 'http://localhost:8080' ),
	'http on 127.0.0.1'             => array( 'http://127.0.0.1:8080', 'http://127.0.0.1:8080' ),
	'http on [::1]'                 => array( 'http://[::1]:8080', 'http://[::1]:8080' ),
	'http on *.localhost'           => array( 'http://ritorno.localhost', 'http://ritorno.localhost' ),
	'http elsewhere'                => array( 'http://ritorno.example.com', null ),
	'http on localhost lookalike'   => array( 'http://localhost.example.com', null ),
	'ftp'                           => array( 'ftp://ritorno.example.com', null ),
	'javascript'                    => array( 'javascript:alert(1)', null ),
	'relative'                      => array( '/ritorno', null ),
	'no scheme'                     => array( 'ritorno.example.com', null ),
	'credentials'                   => array( 'https://user:pw@ritorno.example.com', null ),
	'query'                         => array( 'https://ritorno.example.com/?x=1', null ),
	'fragment'                      => array( 'https://ritorno.example.com/#x', null ),
	'quote in host'                 => array( 'https://ritorno.example.com"onload="x', null ),
	'space inside'                  => array( 'https://ritorno.example.com/a b', null ),
	'empty'                         => array( '', null ),
);
foreach ( $server_urls as $name => $case ) {
	ritorno_expect( "server url: $name", $case[1], ritorno_normalize_server_url( $case[0] ) );
}

$keys = array(
	'24-char base64url (shops add)' => array( 'AbCdEfGhIjKlMnOpQrStUv-_', true ),
	'43-char base64url (connect)'   => array( str_repeat( 'a', 43 ), true ),
	'too short'                     => array( 'abc', false ),
	'too long'                      => array( str_repeat( 'a', 129 ), false ),
	'slash'                         => array( 'AbCdEfGhIjKlMnOp/rStUv', false ),
	'percent'                       => array( 'AbCdEfGhIjKlMnOp%2FrStUv', false ),
	'empty'                         => array( '', false ),
);
foreach ( $keys as $name => $case ) {
	ritorno_expect( "key: $name", $case[1], ritorno_is_connection_key( $case[0] ) );
}

$deliveries = array(
	'ritorno webhook'        => array(
		'https://ritorno.example.com/webhooks/woocommerce/AbCdEfGhIjKlMnOpQrStUv-_',
		array(
			'server' => 'https://ritorno.example.com',
			'key'    => 'AbCdEfGhIjKlMnOpQrStUv-_',
		),
	),
	'under a path'           => array(
		'https://example.com/r/webhooks/woocommerce/AbCdEfGhIjKlMnOpQrStUv-_/',
		array(
			'server' => 'https://example.com/r',
			'key'    => 'AbCdEfGhIjKlMnOpQrStUv-_',
		),
	),
	'local test server'      => array(
		'http://localhost:8080/webhooks/woocommerce/AbCdEfGhIjKlMnOpQrStUv-_',
		array(
			'server' => 'http://localhost:8080',
			'key'    => 'AbCdEfGhIjKlMnOpQrStUv-_',
		),
	),
	'another service'        => array( 'https://hooks.example.com/woocommerce/orders', null ),
	'shopify path'           => array( 'https://ritorno.example.com/webhooks/shopify/AbCdEfGhIjKlMnOpQrStUv-_', null ),
	'key with query'         => array( 'https://ritorno.example.com/webhooks/woocommerce/AbCdEfGhIjKlMnOpQrStUv-_?x=1', null ),
	'plain http elsewhere'   => array( 'http://ritorno.example.com/webhooks/woocommerce/AbCdEfGhIjKlMnOpQrStUv-_', null ),
	'key too short'          => array( 'https://ritorno.example.com/webhooks/woocommerce/abc', null ),
	'nothing after the path' => array( 'https://ritorno.example.com/webhooks/woocommerce/', null ),
);
foreach ( $deliveries as $name => $case ) {
	ritorno_expect( "delivery url: $name", $case[1], ritorno_parse_delivery_url( $case[0] ) );
}

if ( $failures > 0 ) {
	echo "$failures check(s) failed\n";
	exit( 1 );
}
echo "urls_test: all checks passed\n";
