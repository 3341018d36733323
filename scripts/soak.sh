#!/usr/bin/env bash
# The soak of issue 13 (make soak, make soak-short): starts a throwaway PostgreSQL (the
# tests' settings; TESTDB_DURABLE=1 for fsync and synchronous_commit on), runs `BIN bench soak` against it with the server on loopback, restarting PostgreSQL once
# half-way, and stops the cluster. The server's log and the database dump stay in the work
# folder when the soak fails, and are removed when it passes.
#   scripts/soak.sh BIN [bench soak flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: soak.sh BIN [flags]}
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/ritorno-soak.XXXXXX")
chmod 755 "$work"
status=1
cleanup() {
	scripts/testdb.sh stop "$work/pg" >/dev/null 2>&1 || true
	if [ "$status" = 0 ]; then rm -rf "$work"; else echo "soak: failed; server log and database dump kept in $work" >&2; fi
}
trap cleanup EXIT
url=$(scripts/testdb.sh start "$work/pg")
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
RITORNO_DATABASE_URL="$url" RITORNO_ENCRYPTION_KEY="$key" SHOPIFY_API_SECRET="soak-$RANDOM-secret" \
	"$bin" bench soak --work-dir "$work/run" --pg-restart-cmd "scripts/testdb.sh restart $work/pg" "$@" && status=0 || status=$?
exit "$status"
