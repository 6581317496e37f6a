#!/usr/bin/env bash
# Set up invsync and run the demo on an embedded stack (SQLite, file broker; no servers).
# Running it again starts from a fresh demo database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DEBUG=${DEBUG:-1}
export INVSYNC_VAR_DIR=${INVSYNC_VAR_DIR:-$PWD/var/demo}
export DATABASE_URL=${DATABASE_URL:-sqlite:///$INVSYNC_VAR_DIR/invsync.sqlite3}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-filesystem://}
exec .venv/bin/python manage.py demo "$@"
