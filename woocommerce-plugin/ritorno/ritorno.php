<?php
/**
 * Plugin Name:          Ritorno
 * Plugin URI:           https://github.com/ritorno/ritorno
 * Description:          Shows Ritorno's product recommendations on product, cart and order-received pages, and tells Ritorno which logged-in customer is looking with a short-lived signed token.
 * Version:              0.1.0
 * Requires at least:    6.5
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.0
 * Author:               The Ritorno authors
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          ritorno
 *
 * @package Ritorno
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'RITORNO_VERSION', '0.1.0' );

require_once __DIR__ . '/includes/identity.php';
require_once __DIR__ . '/includes/urls.php';
require_once __DIR__ . '/includes/class-ritorno-connection.php';
require_once __DIR__ . '/includes/class-ritorno-settings.php';
require_once __DIR__ . '/includes/class-ritorno-storefront.php';

// The plugin reads orders only through WC_Order, so it works with High-Performance Order Storage.
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
		}
	}
);

Ritorno_Connection::init();
Ritorno_Settings::init( __FILE__ );

// The storefront side needs WooCommerce; without it the settings page still explains itself.
add_action(
	'plugins_loaded',
	static function () {
		if ( class_exists( 'WooCommerce' ) ) {
			Ritorno_Storefront::init();
		}
	}
);
