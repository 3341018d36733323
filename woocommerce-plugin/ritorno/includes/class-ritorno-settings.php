<?php
/**
 * Settings › Ritorno: the server URL, the connection key, the optional connection secret and
 * the number of products shown, through the Settings API (which brings the nonce and the
 * capability check), and a "Test connection" button.
 *
 * @package Ritorno
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings page.
 */
final class Ritorno_Settings {

	/**
	 * The page slug and settings group.
	 */
	const PAGE = 'ritorno';

	/**
	 * The transient holding the last connection test result (removed by uninstall.php).
	 */
	const TEST_RESULT = 'ritorno_connection_test';

	/**
	 * Registers the hooks.
	 *
	 * @param string $plugin_file The main plugin file, for the "Settings" link.
	 */
	public static function init( string $plugin_file ): void {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'register' ) );
		add_action( 'admin_post_ritorno_test_connection', array( __CLASS__, 'test_connection' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( $plugin_file ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * Adds Settings › Ritorno.
	 */
	public static function menu(): void {
		add_options_page( __( 'Ritorno', 'ritorno' ), __( 'Ritorno', 'ritorno' ), 'manage_options', self::PAGE, array( __CLASS__, 'page' ) );
	}

	/**
	 * Adds "Settings" to the plugin's row on the Plugins screen.
	 *
	 * @param array $links Existing links.
	 * @return array
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'ritorno' ) . '</a>' );
		return $links;
	}

	/**
	 * Registers the setting, its section and fields.
	 */
	public static function register(): void {
		register_setting(
			self::PAGE,
			Ritorno_Connection::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => Ritorno_Connection::defaults(),
				'show_in_rest'      => false,
			)
		);
		add_settings_section(
			'ritorno_connection',
			__( 'Connection', 'ritorno' ),
			array( __CLASS__, 'section_intro' ),
			self::PAGE
		);
		$fields = array(
			'server_url'        => __( 'Ritorno server URL', 'ritorno' ),
			'connection_key'    => __( 'Connection key', 'ritorno' ),
			'connection_secret' => __( 'Connection secret', 'ritorno' ),
			'limit'             => __( 'Products shown', 'ritorno' ),
		);
		foreach ( $fields as $field => $label ) {
			add_settings_field(
				'ritorno_' . $field,
				$label,
				array( __CLASS__, 'field_' . $field ),
				self::PAGE,
				'ritorno_connection',
				array( 'label_for' => 'ritorno_' . $field )
			);
		}
	}

	/**
	 * Validates the submitted settings. A bad value keeps the previous one and says why; an
	 * empty secret field keeps the saved secret, which the page never shows.
	 *
	 * @param mixed $input The submitted array (already unslashed by options.php).
	 * @return array
	 */
	public static function sanitize( $input ): array {
		$old = Ritorno_Connection::settings();
		if ( ! is_array( $input ) ) {
			return $old;
		}
		$out = $old;

		$url = isset( $input['server_url'] ) ? trim( (string) $input['server_url'] ) : '';
		if ( '' === $url ) {
			$out['server_url'] = '';
		} else {
			$normalized = ritorno_normalize_server_url( $url );
			if ( null === $normalized ) {
				add_settings_error( Ritorno_Connection::OPTION, 'server_url', __( 'The Ritorno server URL must be an https:// address (http:// only for localhost), without a query or credentials.', 'ritorno' ) );
			} else {
				$out['server_url'] = $normalized;
			}
		}

		$key = isset( $input['connection_key'] ) ? trim( (string) $input['connection_key'] ) : '';
		if ( '' === $key || ritorno_is_connection_key( $key ) ) {
			$out['connection_key'] = $key;
		} else {
			add_settings_error( Ritorno_Connection::OPTION, 'connection_key', __( 'The connection key is 16 to 128 letters, digits, "-" or "_", as Ritorno shows it.', 'ritorno' ) );
		}

		// Not sanitize_text_field: it would strip characters a secret may contain.
		$secret = isset( $input['connection_secret'] ) ? trim( (string) $input['connection_secret'] ) : '';
		if ( ! empty( $input['forget_secret'] ) ) {
			$out['connection_secret'] = '';
		} elseif ( '' !== $secret ) {
			if ( strlen( $secret ) > 256 || 1 === preg_match( '/[\x00-\x1f\x7f]/', $secret ) ) {
				add_settings_error( Ritorno_Connection::OPTION, 'connection_secret', __( 'The connection secret is at most 256 characters, without control characters.', 'ritorno' ) );
			} else {
				$out['connection_secret'] = $secret;
			}
		}

		$limit        = isset( $input['limit'] ) ? absint( $input['limit'] ) : Ritorno_Connection::DEFAULT_LIMIT;
		$out['limit'] = max( 1, min( 20, $limit ) );

		return array_intersect_key( $out, Ritorno_Connection::defaults() );
	}

	/**
	 * Prints the section introduction.
	 */
	public static function section_intro(): void {
		echo '<p>' . esc_html__( 'Ritorno shows product recommendations on product, cart and order-received pages. Fields left empty are read from the webhooks Ritorno registered in this store when you connected it (WooCommerce › Settings › Advanced › Webhooks).', 'ritorno' ) . '</p>';
	}

	/**
	 * The server URL field.
	 */
	public static function field_server_url(): void {
		$settings = Ritorno_Connection::settings();
		printf(
			'<input type="url" class="regular-text code" id="ritorno_server_url" name="%s[server_url]" value="%s" placeholder="https://ritorno.example.com" />',
			esc_attr( Ritorno_Connection::OPTION ),
			esc_attr( $settings['server_url'] )
		);
		self::source_note( $settings['server_url'], Ritorno_Connection::server_url() );
	}

	/**
	 * The connection key field.
	 */
	public static function field_connection_key(): void {
		$settings = Ritorno_Connection::settings();
		printf(
			'<input type="text" class="regular-text code" id="ritorno_connection_key" name="%s[connection_key]" value="%s" autocomplete="off" spellcheck="false" />',
			esc_attr( Ritorno_Connection::OPTION ),
			esc_attr( $settings['connection_key'] )
		);
		self::source_note( $settings['connection_key'], Ritorno_Connection::connection_key() );
	}

	/**
	 * Says whether a value was entered, detected from the webhooks, or is missing.
	 *
	 * @param string $saved     The saved value.
	 * @param string $effective The value in use.
	 */
	private static function source_note( string $saved, string $effective ): void {
		if ( '' !== $saved ) {
			return;
		}
		if ( '' !== $effective ) {
			/* translators: %s: the value read from the store's Ritorno webhooks. */
			$note = sprintf( __( 'Detected from this store\'s Ritorno webhooks: %s', 'ritorno' ), $effective );
		} else {
			$note = __( 'Not set, and no Ritorno webhook was found in this store.', 'ritorno' );
		}
		echo '<p class="description">' . esc_html( $note ) . '</p>';
	}

	/**
	 * The connection secret field. The saved secret is never printed, not even masked.
	 */
	public static function field_connection_secret(): void {
		$settings = Ritorno_Connection::settings();
		printf(
			'<input type="password" class="regular-text code" id="ritorno_connection_secret" name="%s[connection_secret]" value="" autocomplete="new-password" spellcheck="false" />',
			esc_attr( Ritorno_Connection::OPTION )
		);
		$source = Ritorno_Connection::secret_source();
		if ( 'pasted' === $source ) {
			$note = __( 'A secret is saved (hidden). Leave the field empty to keep it.', 'ritorno' );
		} elseif ( 'webhook' === $source ) {
			$note = __( 'Optional. Empty: the secret of this store\'s Ritorno webhooks is used (found).', 'ritorno' );
		} else {
			$note = __( 'Optional. Empty: the secret of this store\'s Ritorno webhooks would be used, but none was found, so logged-in shoppers get the same recommendations as guests.', 'ritorno' );
		}
		echo '<p class="description">' . esc_html( $note ) . '</p>';
		if ( 'pasted' === $source ) {
			printf(
				'<p><label><input type="checkbox" name="%s[forget_secret]" value="1" /> %s</label></p>',
				esc_attr( Ritorno_Connection::OPTION ),
				esc_html__( 'Forget the saved secret', 'ritorno' )
			);
		}
	}

	/**
	 * The number of products field.
	 */
	public static function field_limit(): void {
		$settings = Ritorno_Connection::settings();
		printf(
			'<input type="number" class="small-text" id="ritorno_limit" name="%s[limit]" value="%d" min="1" max="20" step="1" />',
			esc_attr( Ritorno_Connection::OPTION ),
			(int) $settings['limit']
		);
	}

	/**
	 * Prints the page: the settings form, then the connection status and test button.
	 */
	public static function page(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		echo '<form action="' . esc_url( admin_url( 'options.php' ) ) . '" method="post">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';

		echo '<h2>' . esc_html__( 'Status', 'ritorno' ) . '</h2>';
		if ( Ritorno_Connection::is_configured() ) {
			echo '<p>' . esc_html__( 'The widget is shown on product, cart and order-received pages.', 'ritorno' ) . '</p>';
		} else {
			echo '<p>' . esc_html__( 'Not connected: set the Ritorno server URL and the connection key, or connect the store from Ritorno first.', 'ritorno' ) . '</p>';
		}
		$result = get_transient( self::TEST_RESULT );
		if ( is_array( $result ) && isset( $result['ok'], $result['message'] ) ) {
			printf(
				'<div class="notice notice-%s inline"><p>%s</p></div>',
				$result['ok'] ? 'success' : 'error',
				esc_html( (string) $result['message'] )
			);
		}
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post">';
		echo '<input type="hidden" name="action" value="ritorno_test_connection" />';
		wp_nonce_field( 'ritorno_test_connection' );
		submit_button( __( 'Test connection', 'ritorno' ), 'secondary', 'submit', false );
		echo '</form></div>';
	}

	/**
	 * Handles "Test connection": asks Ritorno for recommendations as the widget would, with an
	 * identity token for the current user when a secret is known, then shows the outcome.
	 */
	public static function test_connection(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'ritorno' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( 'ritorno_test_connection' );
		set_transient( self::TEST_RESULT, self::run_test(), 10 * MINUTE_IN_SECONDS );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	/**
	 * Runs the test.
	 *
	 * @return array{ok: bool, message: string}
	 */
	private static function run_test(): array {
		if ( ! Ritorno_Connection::is_configured() ) {
			return array(
				'ok'      => false,
				'message' => __( 'Set the Ritorno server URL and the connection key first.', 'ritorno' ),
			);
		}
		$products = function_exists( 'wc_get_products' ) ? wc_get_products(
			array(
				'limit'  => 1,
				'status' => 'publish',
				'return' => 'ids',
			)
		) : array();
		$url      = add_query_arg(
			array(
				'placement'  => 'product',
				'product_id' => empty( $products ) ? 1 : (int) $products[0],
				'limit'      => 1,
			),
			Ritorno_Connection::recommendations_url()
		);
		$home     = wp_parse_url( home_url() );
		$origin   = ( $home['scheme'] ?? 'https' ) . '://' . ( $home['host'] ?? '' ) . ( isset( $home['port'] ) ? ':' . $home['port'] : '' );
		$headers  = array( 'Origin' => $origin );
		$identity = Ritorno_Connection::identity_token();
		if ( '' !== $identity ) {
			$headers['X-Ritorno-Identity'] = $identity;
		}
		// Not wp_safe_remote_get: it refuses localhost, which a local Ritorno uses; only an
		// administrator can set this URL.
		$response = wp_remote_get(
			$url,
			array(
				'timeout'     => 10,
				'redirection' => 0,
				'headers'     => $headers,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'ok'      => false,
				/* translators: %s: the transport error. */
				'message' => sprintf( __( 'Ritorno could not be reached: %s', 'ritorno' ), $response->get_error_message() ),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		switch ( $code ) {
			case 200:
				$message = '' !== $identity
					? __( 'Connected: Ritorno knows this connection key and accepted a shopper identity token signed with the connection secret.', 'ritorno' )
					: __( 'Connected: Ritorno knows this connection key. No connection secret is known, so logged-in shoppers get the same recommendations as guests.', 'ritorno' );
				return array(
					'ok'      => true,
					'message' => $message,
				);
			case 401:
				$message = __( 'Ritorno refused the shopper identity token: the connection secret does not match the one Ritorno holds for this store.', 'ritorno' );
				break;
			case 403:
				$message = __( 'Ritorno refused this store\'s address (origin): check the store URL Ritorno has for this connection.', 'ritorno' );
				break;
			case 404:
				$message = __( 'Ritorno does not know this connection key.', 'ritorno' );
				break;
			default:
				/* translators: %d: HTTP status code. */
				$message = sprintf( __( 'Ritorno answered with HTTP status %d.', 'ritorno' ), $code );
		}
		return array(
			'ok'      => false,
			'message' => $message,
		);
	}
}
