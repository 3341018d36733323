<?php
/**
 * Removes the plugin's options and transients when it is deleted from the Plugins screen.
 *
 * @package Ritorno
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Deletes what the plugin stored on the current site.
 */
function ritorno_uninstall_site() {
	delete_option( 'ritorno_settings' );
	delete_transient( 'ritorno_detected_webhook' );
	delete_transient( 'ritorno_connection_test' );
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $ritorno_site_id ) {
		switch_to_blog( $ritorno_site_id );
		ritorno_uninstall_site();
		restore_current_blog();
	}
} else {
	ritorno_uninstall_site();
}
