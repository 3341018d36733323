#!/usr/bin/env bash
# Installs Debian packages for the other scripts (php-cli, chromium, postgresql, gcc, make)
# on a machine that lacks them:
#   scripts/apt-install.sh PKG...
# Several installs may run at once (test.sh's php-check.sh and browser-deps.sh, a testdb.sh
# beside them, another user's apt): rather than fail on a held lock, this waits for the
# dpkg and apt locks up to APT_LOCK_TIMEOUT seconds in all (default 600). The package lists
# are refreshed once, only when needed: when a package is unknown, or when the install fails
# on stale lists (404s for superseded versions). Output is quiet; errors go to stderr.
# Needs root.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: apt-install.sh PKG..." >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then echo "apt-install: need root to install $* (or run: sudo $0 $*)" >&2; exit 1; fi
command -v apt-get >/dev/null 2>&1 || { echo "apt-install: no apt-get here; install $* by hand" >&2; exit 1; }

timeout=${APT_LOCK_TIMEOUT:-600}
case "$timeout" in '' | *[!0-9]*) echo "apt-install: APT_LOCK_TIMEOUT must be a number of seconds" >&2; exit 2 ;; esac
deadline=$((SECONDS + timeout))
export DEBIAN_FRONTEND=noninteractive

left() { local n=$((deadline - SECONDS)); [ "$n" -gt 0 ] && echo "$n" || echo 0; }

# Our own scripts queue on one lock first, so that they never race each other for apt's.
exec 9>"${TMPDIR:-/tmp}/ritorno-apt-install.lock"
if ! flock -w "$(left)" 9; then
	echo "apt-install: another scripts/apt-install.sh held its lock for ${timeout}s; gave up installing $*" >&2
	exit 1
fi

# apt-get waits for the dpkg lock itself (DPkg::Lock::Timeout) but not for the lists lock
# that `apt-get update` takes, so update retries while another process holds that one.
update() {
	local out
	while :; do
		if out=$(apt-get -o DPkg::Lock::Timeout="$(left)" update -qq 2>&1 >/dev/null); then
			return 0
		fi
		if ! grep -q 'Could not get lock' <<<"$out" || [ "$(left)" = 0 ]; then
			echo "$out" >&2
			echo "apt-install: apt-get update failed" >&2
			return 1
		fi
		sleep 2
	done
}

install() {
	local out
	if out=$(apt-get -o DPkg::Lock::Timeout="$(left)" install -y -qq --no-install-recommends "$@" 2>&1 >/dev/null); then
		return 0
	fi
	echo "$out" >&2
	return 1
}

updated=0
for p in "$@"; do
	if ! apt-cache show "$p" >/dev/null 2>&1; then
		update
		updated=1
		break
	fi
done
if ! install "$@"; then
	[ "$(left)" != 0 ] || { echo "apt-install: the dpkg lock stayed held for ${timeout}s; gave up installing $*" >&2; exit 1; }
	[ "$updated" = 0 ] || { echo "apt-install: installing $* failed" >&2; exit 1; }
	echo "apt-install: retrying after refreshing the package lists" >&2
	update
	install "$@" || { echo "apt-install: installing $* failed" >&2; exit 1; }
fi
