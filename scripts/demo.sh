#!/usr/bin/env bash
# Set up invsync and run the demo on an embedded stack that needs no server: a fresh SQLite
# database and Celery's file broker under var/demo/, a simulated PrestaShop and a Celery
# worker as child processes (stopped when the demo ends, also on Ctrl-C). Running it again
# starts from scratch. Options go to `manage.py demo` (e.g. scripts/demo.sh --products 300).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DEBUG=1 INVSYNC_DEMO=1
export INVSYNC_VAR_DIR=${INVSYNC_VAR_DIR:-$PWD/var/demo}
# The demo's own stack, whatever the shell has exported for other work.
export DATABASE_URL=sqlite:///$INVSYNC_VAR_DIR/invsync.sqlite3
export CELERY_BROKER_URL=filesystem://
export CELERY_RESULT_BACKEND=django-db
export INVSYNC_REDIS_URL=
mkdir -p "$INVSYNC_VAR_DIR"
exec .venv/bin/python manage.py demo "$@"
