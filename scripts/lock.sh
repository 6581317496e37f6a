#!/usr/bin/env bash
# Refresh the dependency locks from pyproject.toml: every transitive package pinned with its
# hashes. requirements/runtime.txt is what the image and production install; requirements/dev.txt
# adds the test and lint tools (scripts/bootstrap.sh dev, CI). Run after changing a dependency
# in pyproject.toml, then commit both files. Usage: scripts/lock.sh [--upgrade]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tools=var/lock-tools
[ -x "$tools/bin/pip-compile" ] || {
    "$PYTHON" -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check "pip-tools==7.5.3"
}
# Only the package index decides what is locked: no machine-local wheel folders or mirrors.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL
export CUSTOM_COMPILE_COMMAND="scripts/lock.sh"
compile() {
    "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
        --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
        "$@" pyproject.toml
}
compile --output-file requirements/runtime.txt "$@"
compile --extra dev --output-file requirements/dev.txt "$@"
echo "Locked: requirements/runtime.txt, requirements/dev.txt"
