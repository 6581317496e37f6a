#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install invsync with its locked dependencies (every
# package pinned with its hashes in requirements/, refreshed by scripts/lock.sh).
# Idempotent: a second run only installs what changed. Usage: scripts/bootstrap.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "invsync needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        echo "Creating the virtualenv failed; on Debian install it with: apt-get install python3-venv" >&2
        exit 1
    fi
fi
lock=requirements/runtime.txt
[ "${1:-}" = "dev" ] && lock=requirements/dev.txt
stamp=".venv/.installed-$(basename "$lock" .txt)"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
    "${pip[@]}" install --require-hashes -r "$lock"
    "${pip[@]}" install --no-deps -e .
    touch "$stamp"
fi
mkdir -p var
