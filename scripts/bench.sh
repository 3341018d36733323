#!/usr/bin/env bash
# Runs `ritorno bench webhooks` on a fresh SQLite file and on a fresh, durable PostgreSQL
# cluster (default settings, started here and stopped on exit). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: bench.sh BINARY [bench flags]}; shift
work=$(mktemp -d "${TMPDIR:-/tmp}/ritorno-bench.XXXXXX")
chmod 755 "$work"
trap 'scripts/testdb.sh stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "== sqlite" >&2
RITORNO_DATA_DIR="$work/sqlite" "$bin" bench webhooks "$@"

echo "== postgres (durable: fsync and synchronous_commit on)" >&2
url=$(TESTDB_DURABLE=1 scripts/testdb.sh start "$work/pg")
RITORNO_DATABASE_URL="$url" RITORNO_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	"$bin" bench webhooks "$@"
