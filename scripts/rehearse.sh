#!/bin/sh
# `npm run rehearse`: the whole flow against an AWS emulator on 127.0.0.1 (scripts/rehearse.py).
# Builds or reuses the Terraform toolchain and the Python environment first.
set -eu
cd "$(dirname "$0")/.."
eval "$(scripts/install-terraform.sh --print-env)"
PATH="$(scripts/python-env.sh):$PATH"
export PATH
exec python scripts/rehearse.py "$@"
