<?php
/**
 * The storefront side: loads the Ritorno widget on product, cart and order-received pages
 * and prints the container it fills.
 *
 * @package Ritorno
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Widget assets and containers.
 */
final class Ritorno_Storefront {

	/**
	 * Ritorno accepts at most this many product ids in cart=.
	 */
	const MAX_CART_IDS = 50;

	/**
	 * Placements already printed on this page, so that a theme calling a hook twice, or the
	 * Cart block next to the classic hook, does not give two widgets.
	 *
	 * @var array<string, bool>
	 */
	private static $printed = array();

	/**
	 * Registers the hooks.
	 */
	public static function init(): void {
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_filter( 'wp_resource_hints', array( __CLASS__, 'resource_hints' ), 10, 2 );
		// Before WooCommerce's own up-sells (15) and related products (20).
		add_action( 'woocommerce_after_single_product_summary', array( __CLASS__, 'product_container' ), 14 );
		add_action( 'woocommerce_after_cart_table', array( __CLASS__, 'cart_container' ) );
		// The Cart block does not run the classic cart hooks.
		add_filter( 'render_block_woocommerce/cart', array( __CLASS__, 'after_cart_block' ) );
		add_action( 'woocommerce_thankyou', array( __CLASS__, 'thankyou_container' ), 20 );
	}

	/**
	 * Whether this request shows a page the widget belongs on.
	 *
	 * @return bool
	 */
	private static function is_widget_page(): bool {
		return ( function_exists( 'is_product' ) && is_product() )
			|| ( function_exists( 'is_cart' ) && is_cart() )
			|| ( function_exists( 'is_order_received_page' ) && is_order_received_page() );
	}

	/**
	 * Enqueues the widget script (async, in the footer: it never blocks rendering) and style,
	 * only where the widget is shown.
	 */
	public static function enqueue(): void {
		if ( ! self::is_widget_page() || ! Ritorno_Connection::is_configured() ) {
			return;
		}
		$server = Ritorno_Connection::server_url();
		// No version query: Ritorno serves the files with their own ETag and cache headers.
		wp_enqueue_style( 'ritorno-widget', $server . '/widget/ritorno.css', array(), null ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion
		wp_enqueue_script( // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion
			'ritorno-widget',
			$server . '/widget/ritorno.js',
			array(),
			null,
			array(
				'strategy'  => 'async',
				'in_footer' => true,
			)
		);
	}

	/**
	 * Adds a preconnect to the Ritorno server where the widget loads, saving a round trip.
	 *
	 * @param array  $urls          URLs to print for the relation type.
	 * @param string $relation_type The relation type.
	 * @return array
	 */
	public static function resource_hints( $urls, $relation_type ) {
		if ( 'preconnect' === $relation_type && self::is_widget_page() && Ritorno_Connection::is_configured() ) {
			$urls[] = array(
				'href'        => Ritorno_Connection::server_url(),
				'crossorigin' => 'anonymous',
			);
		}
		return $urls;
	}

	/**
	 * Prints the container on a product page.
	 */
	public static function product_container(): void {
		$product = function_exists( 'wc_get_product' ) ? wc_get_product( get_the_ID() ) : null;
		if ( ! $product ) {
			return;
		}
		self::render(
			'product',
			array( 'data-product-id' => (string) $product->get_id() )
		);
	}

	/**
	 * Prints the container below the classic cart table.
	 */
	public static function cart_container(): void {
		$ids = self::cart_product_ids();
		if ( array() === $ids ) {
			return; // An empty cart has nothing to complete.
		}
		self::render( 'cart', array( 'data-cart' => implode( ',', $ids ) ) );
	}

	/**
	 * Appends the container to the Cart block.
	 *
	 * @param string $block_content The block's HTML.
	 * @return string
	 */
	public static function after_cart_block( $block_content ) {
		ob_start();
		self::cart_container();
		return $block_content . ob_get_clean();
	}

	/**
	 * Prints the container on the order-received page, with the order's products.
	 *
	 * @param int $order_id The order WooCommerce shows.
	 */
	public static function thankyou_container( $order_id ): void {
		$order = function_exists( 'wc_get_order' ) ? wc_get_order( $order_id ) : false;
		if ( ! $order instanceof WC_Order ) {
			return;
		}
		// WooCommerce has already checked the order key before running this hook; themes
		// that call the hook themselves may not have, and an order's contents are private.
		$key = isset( $_GET['key'] ) ? wc_clean( wp_unslash( $_GET['key'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the order key is the proof here, as in WooCommerce.
		if ( ! is_string( $key ) || '' === $key || ! $order->key_is_valid( $key ) ) {
			return;
		}
		$ids = array();
		foreach ( $order->get_items() as $item ) {
			if ( $item instanceof WC_Order_Item_Product && $item->get_product_id() > 0 ) {
				$ids[ $item->get_product_id() ] = true;
			}
		}
		self::render( 'thank_you', array( 'data-cart' => implode( ',', array_slice( array_keys( $ids ), 0, self::MAX_CART_IDS ) ) ) );
	}

	/**
	 * The product ids in the cart (parents, not variations), at most MAX_CART_IDS.
	 *
	 * @return int[]
	 */
	private static function cart_product_ids(): array {
		if ( ! function_exists( 'WC' ) || ! WC()->cart ) {
			return array();
		}
		$ids = array();
		foreach ( WC()->cart->get_cart() as $item ) {
			$id = isset( $item['product_id'] ) ? absint( $item['product_id'] ) : 0;
			if ( $id > 0 ) {
				$ids[ $id ] = true;
			}
		}
		return array_slice( array_keys( $ids ), 0, self::MAX_CART_IDS );
	}

	/**
	 * Prints <div class="ritorno-recs" …> with the data attributes of the storefront
	 * contract. Every value is escaped; the connection secret is never among them.
	 *
	 * @param string $placement product, cart or thank_you.
	 * @param array  $extra     Placement-specific attributes.
	 */
	private static function render( string $placement, array $extra ): void {
		if ( isset( self::$printed[ $placement ] ) || ! Ritorno_Connection::is_configured() ) {
			return;
		}
		self::$printed[ $placement ] = true;

		$settings = Ritorno_Connection::settings();
		$attrs    = array_merge(
			array(
				'data-endpoint'  => Ritorno_Connection::recommendations_url(),
				'data-events'    => Ritorno_Connection::events_url(),
				'data-platform'  => 'woocommerce',
				'data-placement' => $placement,
			),
			$extra,
			array(
				'data-limit'     => (string) max( 1, min( 20, (int) $settings['limit'] ) ),
				'data-heading'   => __( 'You may also like', 'ritorno' ),
				'data-currency'  => function_exists( 'get_woocommerce_currency' ) ? get_woocommerce_currency() : '',
				// get_locale() says en_GB; Intl.NumberFormat wants a BCP 47 tag, en-GB.
				'data-locale'    => str_replace( '_', '-', get_locale() ),
				'data-add-label' => __( 'Add to cart', 'ritorno' ),
				// Where the widget posts add-to-cart (WordPress may live below the domain root).
				'data-add-url'   => class_exists( 'WC_AJAX' ) ? WC_AJAX::get_endpoint( 'add_to_cart' ) : '',
				// Space reserved before the widget loads, so that it shifts no layout.
				'style'          => 'min-height: 320px',
			)
		);
		$identity = Ritorno_Connection::identity_token();
		if ( '' !== $identity ) {
			$attrs['data-identity'] = $identity;
		}

		/**
		 * Filters the attributes of the Ritorno container (e.g. the heading or the reserved height).
		 *
		 * @param array  $attrs     Attribute name => value.
		 * @param string $placement product, cart or thank_you.
		 */
		$attrs = apply_filters( 'ritorno_container_attributes', $attrs, $placement );

		$html = '<div class="ritorno-recs"';
		foreach ( (array) $attrs as $name => $value ) {
			// Only plain attribute names; "class" stays ours so that the widget finds the box.
			if ( ! is_string( $name ) || 'class' === $name || 1 !== preg_match( '/^[a-z][a-z0-9-]*$/', $name ) || ! is_scalar( $value ) ) {
				continue;
			}
			$is_url = in_array( $name, array( 'data-endpoint', 'data-events', 'data-add-url' ), true );
			$html  .= ' ' . $name . '="' . ( $is_url ? esc_url( (string) $value ) : esc_attr( (string) $value ) ) . '"';
		}
		$html .= '></div>';
		echo $html; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- names checked above, every value escaped.
	}
}
