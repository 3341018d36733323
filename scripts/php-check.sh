#!/usr/bin/env bash
# Checks the WooCommerce plugin: `php -l` on every .php file under woocommerce-plugin/, then
# the plain-PHP tests (woocommerce-plugin/tests/*_test.php: the identity token signing, the
# URL rules, the plugin against WordPress stand-ins, the readme's sections). The Go side
# checks PHP-signed tokens in storefront/identity_test.go (set RITORNO_TEST_REQUIRE_PHP=1
# there to make a missing php fail).
# Installs php-cli with scripts/apt-install.sh when php is missing (CI machines may be new);
# needs root then.
# Exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
plugin="$root/woocommerce-plugin"

if ! command -v php >/dev/null 2>&1; then
	echo "php-check: php missing; installing php-cli" >&2
	"$root/scripts/apt-install.sh" php-cli
	command -v php >/dev/null 2>&1 || { echo "php-check: php-cli installed but php not on PATH" >&2; exit 1; }
fi

failed=0
count=0
while IFS= read -r -d '' f; do
	count=$((count + 1))
	if ! out=$(php -l "$f" 2>&1); then
		echo "$out" >&2
		failed=1
	fi
done < <(find "$plugin" -type f -name '*.php' -print0 | sort -z)
if [ "$count" = 0 ]; then echo "php-check: no .php files under $plugin" >&2; exit 1; fi
if [ "$failed" != 0 ]; then echo "php-check: php -l failed" >&2; exit 1; fi
echo "php-check: php -l ok on $count files ($(php -r 'echo PHP_VERSION;'))"

for t in "$plugin"/tests/*_test.php; do
	if ! out=$(php "$t" 2>&1); then
		echo "$out" >&2
		echo "php-check: $(basename "$t") failed" >&2
		exit 1
	fi
	echo "$out" | tail -n 1
done
