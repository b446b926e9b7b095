#!/bin/sh
# Creates a virtualenv from a requirements file, or reuses it when the requirements are unchanged:
# by default .venv from python/requirements-dev.txt (NEURONX_VENV and NEURONX_REQUIREMENTS change them;
# NEURONX_PIP_NO_DEPS=1 installs the file as a complete closure, with pip --no-deps).
# Prints the venv's bin directory last, for callers to put first on PATH.
set -eu
cd "$(dirname "$0")/.."
VENV=${NEURONX_VENV:-.venv}
REQUIREMENTS=${NEURONX_REQUIREMENTS:-python/requirements-dev.txt}
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
no_deps=""
if [ "${NEURONX_PIP_NO_DEPS:-}" = 1 ]; then
  no_deps="--no-deps"
  want="$want --no-deps"
fi
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  echo "python env: reusing $VENV" >&2
else
  echo "python env: installing $REQUIREMENTS into $VENV" >&2
  started=$(date +%s)
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # shellcheck disable=SC2086 # $no_deps is empty or one word
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $no_deps -r "$REQUIREMENTS"
  echo "$want" >"$STAMP"
  echo "python env: ready in $(($(date +%s) - started)) s" >&2
fi
echo "$PWD/$VENV/bin"
