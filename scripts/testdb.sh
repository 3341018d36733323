#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the tests.
#   scripts/testdb.sh start DIR   → prints an admin URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   scripts/testdb.sh stop DIR
#   scripts/testdb.sh restart DIR  → stops it (fast: sessions are cut, commits are kept, as a
#                                    service restart does) and starts it on the same port with
#                                    the same settings (the soak's fault)
# Installs the server (scripts/apt-install.sh) when its binaries are missing (CI machines may be new).
# PostgreSQL refuses to run as root, so as root the cluster runs as the "postgres" user.
set -euo pipefail

cmd=${1:?usage: testdb.sh start|stop DIR}
dir=${2:?usage: testdb.sh start|stop DIR}

find_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
	return 1
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
	if ! bindir=$(find_bindir); then
		echo "testdb: PostgreSQL server binaries missing; installing postgresql" >&2
		"$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" postgresql >&2
		bindir=$(find_bindir) || { echo "testdb: postgresql installed but pg_ctl not found" >&2; exit 1; }
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres >&2
	fi
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
		|| as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
		|| { cat "$dir/initdb.log" >&2; exit 1; }
	# Durability is pointless for a throwaway test cluster; speed is not. Benchmarks set
	# TESTDB_DURABLE=1 to measure PostgreSQL with its default, durable settings.
	opts="-c max_connections=300"
	[ "${TESTDB_DURABLE:-0}" = 1 ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	for attempt in 1 2 3 4 5 6 7 8; do
		port=$(( 20000 + (RANDOM % 20000) ))
		if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
			-o "-p $port -k $dir -c listen_addresses=127.0.0.1 $opts" >&2; then
			echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			exit 0
		fi
		echo "testdb: start on port $port failed (attempt $attempt), trying another" >&2
		tail -5 "$dir/server.log" >&2 || true
	done
	exit 1
	;;
restart)
	bindir=$(find_bindir) || { echo "testdb: pg_ctl not found" >&2; exit 1; }
	# pg_ctl restart reuses the options the cluster was started with (postmaster.opts). Not
	# immediate: with synchronous_commit off (the test default) a crash may drop the last
	# acknowledged commits, which is the database's documented trade, not a defect of ours.
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >&2
	;;
stop)
	if bindir=$(find_bindir) && [ -d "$dir/data" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: testdb.sh start|stop|restart DIR" >&2; exit 2 ;;
esac
