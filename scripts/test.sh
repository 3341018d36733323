#!/usr/bin/env bash
# Runs the Go tests with the race detector against SQLite and a real PostgreSQL: starts a
# throwaway cluster (installing the server if missing), points the tests at it, and stops
# it on exit. PostgreSQL cases fail rather than skip here (RITORNO_TEST_REQUIRE_POSTGRES=1).
# It also checks the WooCommerce plugin with PHP and runs the storefront's real-browser
# tests in Debian's Chromium, installing php-cli and chromium when missing; those cases fail
# rather than skip here too. Browser screenshots go to $RITORNO_ARTIFACTS (./artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# The race detector needs cgo and a C compiler.
if ! command -v gcc >/dev/null 2>&1; then
	echo "test.sh: installing gcc for the race detector" >&2
	scripts/apt-install.sh gcc libc6-dev
fi

# The WooCommerce plugin: php -l and its PHP tests; then the browser for the widget tests.
scripts/php-check.sh
scripts/browser-deps.sh >&2
export RITORNO_TEST_REQUIRE_PHP=1
export RITORNO_TEST_REQUIRE_BROWSER=1
export RITORNO_ARTIFACTS="${RITORNO_ARTIFACTS:-$PWD/artifacts}"
mkdir -p "$RITORNO_ARTIFACTS"

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/ritorno-pg.XXXXXX")
chmod 755 "$pgdir"
cleanup() { scripts/testdb.sh stop "$pgdir"; }
trap cleanup EXIT
url=$(scripts/testdb.sh start "$pgdir")
echo "test.sh: PostgreSQL at ${url}" >&2

export RITORNO_TEST_POSTGRES_URL="$url"
export RITORNO_TEST_REQUIRE_POSTGRES=1
export CGO_ENABLED=1
go test -race -count=1 -timeout 20m -tags browser "${pkgs[@]}"
# The full-data evaluation skips itself under -race (ten times slower there): run it plainly.
go test -count=1 -timeout 10m -run 'TestRecommendEvalOnlineRetail' ./cmd/ritorno
