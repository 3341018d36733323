<?php
/**
 * Where Ritorno is and how this store proves itself to it: the server URL, the connection
 * key and the connection secret, from the settings or, when a setting is empty, from the
 * store's own Ritorno webhooks.
 *
 * @package Ritorno
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The effective connection settings.
 */
final class Ritorno_Connection {

	/**
	 * The option holding the settings (one array, removed by uninstall.php).
	 */
	const OPTION = 'ritorno_settings';

	/**
	 * The transient caching the id of the detected Ritorno webhook (0: none found), so that
	 * a page view does not scan every webhook.
	 */
	const DETECTED = 'ritorno_detected_webhook';

	/**
	 * Default number of recommended products shown.
	 */
	const DEFAULT_LIMIT = 4;

	/**
	 * The default settings.
	 *
	 * @return array
	 */
	public static function defaults(): array {
		return array(
			'server_url'        => '',
			'connection_key'    => '',
			'connection_secret' => '',
			'limit'             => self::DEFAULT_LIMIT,
		);
	}

	/**
	 * The saved settings, completed with defaults.
	 *
	 * @return array
	 */
	public static function settings(): array {
		$saved = get_option( self::OPTION, array() );
		return array_merge( self::defaults(), is_array( $saved ) ? $saved : array() );
	}

	/**
	 * Hooks that keep the detection cache honest.
	 */
	public static function init(): void {
		// A new, changed or deleted webhook, or new settings, may change what is detected.
		foreach ( array( 'woocommerce_new_webhook', 'woocommerce_webhook_updated', 'woocommerce_webhook_deleted', 'update_option_' . self::OPTION, 'add_option_' . self::OPTION ) as $hook ) {
			add_action( $hook, array( __CLASS__, 'forget_detection' ) );
		}
	}

	/**
	 * Drops the cached detection result.
	 */
	public static function forget_detection(): void {
		delete_transient( self::DETECTED );
	}

	/**
	 * The Ritorno server URL, without trailing slash; '' when neither set nor detected.
	 *
	 * @return string
	 */
	public static function server_url(): string {
		$settings = self::settings();
		if ( '' !== $settings['server_url'] ) {
			return $settings['server_url'];
		}
		$found = self::detected();
		return null === $found ? '' : $found['server'];
	}

	/**
	 * The connection key; '' when neither set nor detected.
	 *
	 * @return string
	 */
	public static function connection_key(): string {
		$settings = self::settings();
		if ( '' !== $settings['connection_key'] ) {
			return $settings['connection_key'];
		}
		$found = self::detected();
		return null === $found ? '' : $found['key'];
	}

	/**
	 * Whether the widget can be shown: a server URL and a key are known.
	 *
	 * @return bool
	 */
	public static function is_configured(): bool {
		return '' !== self::server_url() && '' !== self::connection_key();
	}

	/**
	 * The connection secret that signs identity tokens: the pasted one, else the secret of
	 * the store's Ritorno webhook for this server and key. Never print it.
	 *
	 * @return string '' when there is none (shoppers then stay anonymous).
	 */
	public static function secret(): string {
		$settings = self::settings();
		if ( '' !== $settings['connection_secret'] ) {
			return $settings['connection_secret'];
		}
		$found = self::detected();
		if ( null === $found ) {
			return '';
		}
		// WooCommerce keys its own webhook signatures with the decoded secret; Ritorno
		// registered that value, so the token must be keyed the same way.
		return wp_specialchars_decode( (string) $found['webhook']->get_secret(), ENT_QUOTES );
	}

	/**
	 * Where the secret comes from, for the settings page: 'pasted', 'webhook' or ''.
	 *
	 * @return string
	 */
	public static function secret_source(): string {
		$settings = self::settings();
		if ( '' !== $settings['connection_secret'] ) {
			return 'pasted';
		}
		return '' !== self::secret() ? 'webhook' : '';
	}

	/**
	 * The store's Ritorno webhook matching the configured server URL and key (either may be
	 * empty, then any is accepted), preferring an active one.
	 *
	 * @return array{server: string, key: string, webhook: WC_Webhook}|null
	 */
	public static function detected(): ?array {
		if ( ! class_exists( 'WC_Data_Store' ) || ! function_exists( 'wc_get_webhook' ) ) {
			return null;
		}
		$settings = self::settings();
		$cached   = get_transient( self::DETECTED );
		if ( false !== $cached ) {
			if ( 0 === (int) $cached ) {
				return null;
			}
			$found = self::match( wc_get_webhook( (int) $cached ), $settings );
			if ( null !== $found ) {
				return $found;
			}
		}

		$best = null;
		try {
			$ids = WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) );
		} catch ( Exception $e ) {
			$ids = array();
		}
		foreach ( (array) $ids as $id ) {
			$found = self::match( wc_get_webhook( (int) $id ), $settings );
			if ( null === $found ) {
				continue;
			}
			if ( 'active' === $found['webhook']->get_status() ) {
				$best = $found;
				break;
			}
			if ( null === $best ) {
				$best = $found;
			}
		}
		// Nothing found is cached for a shorter time, so that connecting shows up soon.
		if ( null === $best ) {
			set_transient( self::DETECTED, 0, 10 * MINUTE_IN_SECONDS );
		} else {
			set_transient( self::DETECTED, (int) $best['webhook']->get_id(), 12 * HOUR_IN_SECONDS );
		}
		return $best;
	}

	/**
	 * Checks one webhook against the settings.
	 *
	 * @param WC_Webhook|null|false $webhook  The webhook.
	 * @param array                 $settings The saved settings.
	 * @return array{server: string, key: string, webhook: WC_Webhook}|null
	 */
	private static function match( $webhook, array $settings ): ?array {
		if ( ! $webhook instanceof WC_Webhook ) {
			return null;
		}
		$parsed = ritorno_parse_delivery_url( (string) $webhook->get_delivery_url() );
		if ( null === $parsed ) {
			return null;
		}
		if ( '' !== $settings['server_url'] && $parsed['server'] !== $settings['server_url'] ) {
			return null;
		}
		if ( '' !== $settings['connection_key'] && $parsed['key'] !== $settings['connection_key'] ) {
			return null;
		}
		$parsed['webhook'] = $webhook;
		return $parsed;
	}

	/**
	 * The recommendations endpoint of this connection.
	 *
	 * @return string
	 */
	public static function recommendations_url(): string {
		return self::server_url() . '/storefront/v1/' . rawurlencode( self::connection_key() ) . '/recommendations';
	}

	/**
	 * The events endpoint of this connection.
	 *
	 * @return string
	 */
	public static function events_url(): string {
		return self::server_url() . '/storefront/v1/' . rawurlencode( self::connection_key() ) . '/events';
	}

	/**
	 * The identity token of the logged-in shopper, '' for a guest or without a secret.
	 *
	 * @return string
	 */
	public static function identity_token(): string {
		$user_id = get_current_user_id();
		$secret  = self::secret();
		if ( $user_id <= 0 || '' === $secret ) {
			return '';
		}
		try {
			return ritorno_sign_identity( $secret, home_url(), self::connection_key(), $user_id, time() );
		} catch ( Exception $e ) {
			return ''; // An unusable token would only be refused; the shopper stays anonymous.
		}
	}
}
