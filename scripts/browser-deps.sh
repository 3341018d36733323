#!/usr/bin/env bash
# Installs Debian's Chromium for the storefront browser test (storefront/browser_test.go)
# when /usr/bin/chromium is missing. The test drives this system browser; nothing is ever
# downloaded by the test itself.
#   scripts/browser-deps.sh          → installs if needed, prints the browser's version
set -euo pipefail

browser=/usr/bin/chromium

if [ ! -x "$browser" ]; then
	echo "browser-deps: $browser missing; installing the Debian package chromium" >&2
	if [ "$(id -u)" != 0 ]; then
		echo "browser-deps: need root to install chromium (or run: sudo $0)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Other scripts (php-check.sh, testdb.sh) may hold the dpkg lock: wait for it rather than fail.
	apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
	# A fresh machine has no package lists; refresh them once if chromium is not known yet.
	if ! apt-cache show chromium >/dev/null 2>&1; then
		apt_get update -qq >&2
	fi
	if ! apt_get install -y -qq --no-install-recommends chromium >&2; then
		# Stale lists give 404s for superseded versions: refresh and try once more.
		apt_get update -qq >&2
		apt_get install -y -qq --no-install-recommends chromium >&2
	fi
	[ -x "$browser" ] || { echo "browser-deps: chromium installed but $browser not found" >&2; exit 1; }
fi
"$browser" --version
