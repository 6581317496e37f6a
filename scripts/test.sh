#!/usr/bin/env bash
# Set up and run the whole test suite: lint, every test on PostgreSQL, and the tests marked
# both_databases once more on SQLite. Services come from environment variables:
#   INVSYNC_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)
#   INVSYNC_TEST_REDIS_URL    (default redis://127.0.0.1:6379/15)
# Without PostgreSQL the suite runs on SQLite and tests that need a server skip with the
# reason, unless INVSYNC_REQUIRE_SERVICES=1 (CI), which turns every such skip into a failure.
# Extra arguments go to pytest (e.g. scripts/test.sh -k ledger).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
export DEBUG=0 INVSYNC_INSECURE_DEV_KEY=1
PG_URL=${INVSYNC_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
PY=.venv/bin/python

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

if $PY - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL at {sys.argv[1]} is not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
then
    echo "== pytest on PostgreSQL"
    DATABASE_URL=$PG_URL $PY -m pytest "$@"
    echo "== pytest (both_databases) on SQLite"
    DATABASE_URL=sqlite:///:memory: $PY -m pytest -m "both_databases and not postgres_only" "$@"
else
    if [ "${INVSYNC_REQUIRE_SERVICES:-0}" = "1" ]; then
        echo "INVSYNC_REQUIRE_SERVICES=1 and PostgreSQL is not reachable: failing." >&2
        exit 1
    fi
    echo "== pytest on SQLite (PostgreSQL not reachable: its tests skip)"
    DATABASE_URL=sqlite:///:memory: $PY -m pytest "$@"
fi
