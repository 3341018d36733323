#!/usr/bin/env bash
# Installs Debian's Chromium for the storefront browser test (storefront/browser_test.go)
# when /usr/bin/chromium is missing. The test drives this system browser; nothing is ever
# downloaded by the test itself.
#   scripts/browser-deps.sh          → installs if needed, prints the browser's version
set -euo pipefail

browser=/usr/bin/chromium

if [ ! -x "$browser" ]; then
	echo "browser-deps: $browser missing; installing the Debian package chromium" >&2
	"$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" chromium
	[ -x "$browser" ] || { echo "browser-deps: chromium installed but $browser not found" >&2; exit 1; }
fi
"$browser" --version
