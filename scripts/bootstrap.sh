#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install invsync with its pinned dependencies.
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
extras=""
[ "${1:-}" = "dev" ] && extras="[dev]"
stamp=".venv/.installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
    touch "$stamp"
fi
mkdir -p var
