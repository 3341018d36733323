<?php
/**
 * Plain-PHP test of the plugin's WordPress side with small stand-ins for the WordPress and
 * WooCommerce functions it calls: webhook detection, the container markup (escaping, the
 * identity token, never the secret), the order-key check and the settings sanitizer. Run by
 * scripts/php-check.sh; exits non-zero when a case fails.
 *
 * @package Ritorno
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

// phpcs:disable -- test stand-ins, not plugin code.
define( 'ABSPATH', __DIR__ . '/' );
define( 'MINUTE_IN_SECONDS', 60 );
define( 'HOUR_IN_SECONDS', 3600 );

$GLOBALS['t'] = array(
	'options'    => array(),
	'transients' => array(),
	'filters'    => array(),
	'errors'     => array(),
	'user'       => 0,
	'webhooks'   => array(),
	'orders'     => array(),
	'get'        => array(),
);

function add_action( $hook, $cb, $priority = 10, $args = 1 ) { add_filter( $hook, $cb, $priority, $args ); }
function add_filter( $hook, $cb, $priority = 10, $args = 1 ) { $GLOBALS['t']['filters'][ $hook ][] = $cb; }
function apply_filters( $hook, $value, ...$args ) {
	foreach ( $GLOBALS['t']['filters'][ $hook ] ?? array() as $cb ) {
		$value = $cb( $value, ...$args );
	}
	return $value;
}
function do_action( $hook, ...$args ) {
	foreach ( $GLOBALS['t']['filters'][ $hook ] ?? array() as $cb ) {
		$cb( ...$args );
	}
}
function plugin_basename( $file ) { return 'ritorno/' . basename( $file ); }
function get_option( $name, $default = false ) { return $GLOBALS['t']['options'][ $name ] ?? $default; }
function update_option( $name, $value ) { $GLOBALS['t']['options'][ $name ] = $value; do_action( 'update_option_' . $name ); return true; }
function get_transient( $name ) { return $GLOBALS['t']['transients'][ $name ] ?? false; }
function set_transient( $name, $value, $ttl ) { $GLOBALS['t']['transients'][ $name ] = $value; return true; }
function delete_transient( $name ) { unset( $GLOBALS['t']['transients'][ $name ] ); return true; }
function esc_attr( $s ) { return htmlspecialchars( (string) $s, ENT_QUOTES, 'UTF-8' ); }
function esc_html( $s ) { return esc_attr( $s ); }
function esc_url( $s ) { return preg_match( '#^(https?://|/)#', (string) $s ) ? esc_attr( $s ) : ''; }
function __( $s, $domain = '' ) { return $s; }
function esc_html__( $s, $domain = '' ) { return esc_html( $s ); }
function get_locale() { return 'en_GB'; }
function get_woocommerce_currency() { return 'EUR'; }
function get_current_user_id() { return $GLOBALS['t']['user']; }
function home_url( $path = '' ) { return 'https://shop.example' . $path; }
function get_the_ID() { return 123; }
function wc_get_product( $id ) { return new Stub_Product( $id ); }
function wc_get_order( $id ) { return $GLOBALS['t']['orders'][ $id ] ?? false; }
function wc_get_webhook( $id ) { return $GLOBALS['t']['webhooks'][ $id ] ?? null; }
function wp_specialchars_decode( $s, $quotes ) { return htmlspecialchars_decode( $s, ENT_QUOTES ); }
function wc_clean( $v ) { return is_array( $v ) ? array_map( 'wc_clean', $v ) : trim( (string) $v ); }
function wp_unslash( $v ) { return is_string( $v ) ? stripslashes( $v ) : $v; }
function absint( $v ) { return abs( (int) $v ); }
function add_settings_error( $setting, $code, $message, $type = 'error' ) { $GLOBALS['t']['errors'][] = $code; }
function is_product() { return true; }
function is_cart() { return false; }
function is_order_received_page() { return false; }
function WC() { return (object) array( 'cart' => null ); }

class Stub_Product {
	private $id;
	public function __construct( $id ) { $this->id = $id; }
	public function get_id() { return $this->id; }
}
class WC_AJAX {
	public static function get_endpoint( $request ) { return '/?wc-ajax=' . $request; }
}
class WC_Webhook {
	private $id, $url, $status, $secret;
	public function __construct( $id, $url, $status, $secret ) { $this->id = $id; $this->url = $url; $this->status = $status; $this->secret = $secret; }
	public function get_id() { return $this->id; }
	public function get_delivery_url() { return $this->url; }
	public function get_status() { return $this->status; }
	public function get_secret() { return $this->secret; }
}
class WC_Data_Store {
	public static function load( $name ) { return new self(); }
	public function search_webhooks( $args ) { return array_reverse( array_keys( $GLOBALS['t']['webhooks'] ) ); }
}
class WC_Order_Item_Product {
	private $product_id;
	public function __construct( $product_id ) { $this->product_id = $product_id; }
	public function get_product_id() { return $this->product_id; }
}
class WC_Order {
	private $key, $items;
	public function __construct( $key, $items ) { $this->key = $key; $this->items = $items; }
	public function key_is_valid( $key ) { return hash_equals( $this->key, $key ); }
	public function get_items() { return $this->items; }
}
// phpcs:enable

require dirname( __DIR__ ) . '/ritorno/ritorno.php';
do_action( 'plugins_loaded' );

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
 * Runs a printing function and returns what it printed.
 *
 * @param callable $fn   The function.
 * @param mixed    ...$args Its arguments.
 * @return string
 */
function ritorno_capture( callable $fn, ...$args ): string {
	ob_start();
	$fn( ...$args );
	return (string) ob_get_clean();
}

/**
 * Resets the per-page state of the storefront class.
 */
function ritorno_new_page(): void {
	$printed = new ReflectionProperty( 'Ritorno_Storefront', 'printed' );
	if ( PHP_VERSION_ID < 80100 ) {
		$printed->setAccessible( true );
	}
	$printed->setValue( null, array() );
}

$key    = 'AbCdEfGhIjKlMnOpQrStUv-_';
$secret = 'webhook&secret';

// Detection: an unrelated webhook, a paused Ritorno one for an old key, an active one.
$GLOBALS['t']['webhooks'] = array(
	1 => new WC_Webhook( 1, 'https://erp.example.com/hooks/orders', 'active', 'other-secret' ),
	2 => new WC_Webhook( 2, 'https://ritorno.example.com/webhooks/woocommerce/OldOldOldOldOldOldOldOld', 'paused', 'old-secret' ),
	3 => new WC_Webhook( 3, 'https://ritorno.example.com/webhooks/woocommerce/' . $key, 'active', 'webhook&amp;secret' ),
);
ritorno_check( 'configured from the detected webhook', Ritorno_Connection::is_configured() );
ritorno_check( 'server detected', 'https://ritorno.example.com' === Ritorno_Connection::server_url(), Ritorno_Connection::server_url() );
ritorno_check( 'key detected', $key === Ritorno_Connection::connection_key(), Ritorno_Connection::connection_key() );
ritorno_check( 'secret from the webhook, decoded as WooCommerce does', $secret === Ritorno_Connection::secret() );
ritorno_check( 'detection cached', 3 === get_transient( Ritorno_Connection::DETECTED ) );

// Product page, guest.
$html = ritorno_capture( array( 'Ritorno_Storefront', 'product_container' ) );
ritorno_check( 'product container', 1 === preg_match( '/^<div class="ritorno-recs" [^<>]*><\/div>$/', $html ), $html );
foreach ( array(
	'data-endpoint="https://ritorno.example.com/storefront/v1/' . $key . '/recommendations"',
	'data-events="https://ritorno.example.com/storefront/v1/' . $key . '/events"',
	'data-platform="woocommerce"',
	'data-placement="product"',
	'data-product-id="123"',
	'data-limit="4"',
	'data-currency="EUR"',
	'data-locale="en-GB"',
	'data-add-url="/?wc-ajax=add_to_cart"',
) as $attr ) {
	ritorno_check( "product container has $attr", false !== strpos( $html, $attr ), $html );
}
ritorno_check( 'guest gets no identity', false === strpos( $html, 'data-identity' ) );
ritorno_check( 'printed once per placement', '' === ritorno_capture( array( 'Ritorno_Storefront', 'product_container' ) ) );

// Product page, logged in: a token that verifies, never the secret; a hostile filter is escaped.
ritorno_new_page();
$GLOBALS['t']['user'] = 77;
add_filter(
	'ritorno_container_attributes',
	static function ( $attrs ) {
		$attrs['data-heading']  = '"><script>alert(1)</script>';
		$attrs['class']         = 'evil';
		$attrs['onload"x']      = 'y';
		$attrs['data-endpoint'] = 'javascript:alert(1)';
		return $attrs;
	}
);
$html = ritorno_capture( array( 'Ritorno_Storefront', 'product_container' ) );
ritorno_check( 'no raw markup from a filter', false === strpos( $html, '<script' ) && false !== strpos( $html, '&quot;&gt;&lt;script&gt;' ), $html );
ritorno_check( 'class stays ritorno-recs', 1 === substr_count( $html, 'class=' ) && false === strpos( $html, 'evil' ), $html );
ritorno_check( 'bad attribute names dropped', false === strpos( $html, 'onload' ), $html );
ritorno_check( 'javascript: URL dropped', false === strpos( $html, 'javascript' ), $html );
ritorno_check( 'secret never printed', false === strpos( $html, 'secret' ) && false === strpos( $html, esc_attr( $secret ) ), $html );
if ( 1 === preg_match( '/data-identity="([A-Za-z0-9_.-]+)"/', $html, $m ) ) {
	list( $h, $c, $s ) = explode( '.', $m[1] );
	$claims = json_decode( base64_decode( strtr( $c, '-_', '+/' ) ), true );
	ritorno_check( 'identity signed with the connection secret', hash_equals( hash_hmac( 'sha256', "$h.$c", $secret, true ), base64_decode( strtr( $s, '-_', '+/' ) ) ) );
	ritorno_check( 'identity claims', is_array( $claims ) && '77' === $claims['sub'] && $key === $claims['aud'] && 'https://shop.example' === $claims['iss'] && 600 === $claims['exp'] - $claims['iat'], var_export( $claims, true ) );
} else {
	ritorno_check( 'logged-in shopper gets an identity', false, $html );
}
$GLOBALS['t']['filters']['ritorno_container_attributes'] = array();

// Order-received: only with the order's key.
$GLOBALS['t']['orders'][9] = new WC_Order( 'wc_order_abc', array( new WC_Order_Item_Product( 5 ), new WC_Order_Item_Product( 6 ), new WC_Order_Item_Product( 5 ) ) );
ritorno_new_page();
ritorno_check( 'thank-you without key prints nothing', '' === ritorno_capture( array( 'Ritorno_Storefront', 'thankyou_container' ), 9 ) );
$_GET['key'] = 'wc_order_xyz';
ritorno_check( 'thank-you with a wrong key prints nothing', '' === ritorno_capture( array( 'Ritorno_Storefront', 'thankyou_container' ), 9 ) );
$_GET['key'] = 'wc_order_abc';
$html        = ritorno_capture( array( 'Ritorno_Storefront', 'thankyou_container' ), 9 );
ritorno_check( 'thank-you with the key lists the order products once', false !== strpos( $html, 'data-placement="thank_you"' ) && false !== strpos( $html, 'data-cart="5,6"' ), $html );

// Settings: a pasted secret wins and is kept when the field is left empty; bad input is refused.
$saved = Ritorno_Settings::sanitize(
	array(
		'server_url'        => 'https://Ritorno.example.com/',
		'connection_key'    => $key,
		'connection_secret' => ' pasted-secret ',
		'limit'             => '50',
	)
);
update_option( Ritorno_Connection::OPTION, $saved );
ritorno_check( 'server url normalized', 'https://ritorno.example.com' === $saved['server_url'], var_export( $saved, true ) );
ritorno_check( 'limit clamped to 20', 20 === $saved['limit'] );
ritorno_check( 'pasted secret wins', 'pasted-secret' === Ritorno_Connection::secret() && 'pasted' === Ritorno_Connection::secret_source() );
$again = Ritorno_Settings::sanitize(
	array(
		'server_url'        => 'http://ritorno.example.com',
		'connection_key'    => 'bad key',
		'connection_secret' => '',
		'limit'             => '4',
	)
);
ritorno_check( 'empty secret field keeps the secret', 'pasted-secret' === $again['connection_secret'] );
ritorno_check( 'bad url and key refused, old values kept', 'https://ritorno.example.com' === $again['server_url'] && $key === $again['connection_key'] && array( 'server_url', 'connection_key' ) === $GLOBALS['t']['errors'], var_export( $GLOBALS['t']['errors'], true ) );
$form = ritorno_capture( array( 'Ritorno_Settings', 'field_connection_secret' ) );
ritorno_check( 'settings page never shows the secret', false === strpos( $form, 'pasted-secret' ) && false !== strpos( $form, 'value=""' ), $form );
$forgot = Ritorno_Settings::sanitize( array( 'forget_secret' => '1' ) + $saved );
update_option( Ritorno_Connection::OPTION, $forgot );
ritorno_check( 'forgetting the secret falls back to the webhook', '' === $forgot['connection_secret'] && $secret === Ritorno_Connection::secret() );
ritorno_check( 'only known settings are stored', array_keys( Ritorno_Connection::defaults() ) === array_keys( Ritorno_Settings::sanitize( array( 'x' => 1 ) + $saved ) ) );

// A key set by hand that no webhook carries: no secret, so no identity.
update_option( Ritorno_Connection::OPTION, array( 'connection_key' => 'ZZZZZZZZZZZZZZZZZZZZZZZZ' ) + $forgot );
ritorno_check( 'no webhook for the key: no secret', '' === Ritorno_Connection::secret() && '' === Ritorno_Connection::identity_token() );

if ( $failures > 0 ) {
	echo "$failures check(s) failed\n";
	exit( 1 );
}
echo "plugin_test: all checks passed\n";
