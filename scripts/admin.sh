#!/usr/bin/env bash
# Open the admin (Polish) on the demo's database: http://127.0.0.1:8000/admin/, user admin,
# with the password scripts/demo.sh printed. It starts the demo's shop simulator again (same
# port and key, the stock the demo ended with) and a Celery worker on the demo's file broker,
# so "Testuj połączenie" and "Synchronizuj stany" work; Ctrl-C stops runserver and both
# (manage.py demo_admin). Arguments go to runserver (e.g. 0.0.0.0:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=1 INVSYNC_DEMO=1
export INVSYNC_VAR_DIR=${INVSYNC_VAR_DIR:-$PWD/var/demo}
export DATABASE_URL=sqlite:///$INVSYNC_VAR_DIR/invsync.sqlite3
export CELERY_BROKER_URL=filesystem://
export CELERY_RESULT_BACKEND=django-db
export INVSYNC_REDIS_URL=
if [ ! -f "$INVSYNC_VAR_DIR/invsync.sqlite3" ]; then
    echo "No demo database at $INVSYNC_VAR_DIR/invsync.sqlite3: run scripts/demo.sh first." >&2
    exit 1
fi
exec .venv/bin/python manage.py demo_admin -- "$@"
