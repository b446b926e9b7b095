#!/bin/sh
# The test command of the README (`npm test`): the unit tier, a few minutes at most.
#   TypeScript: type check, prettier, jest on the synthesized JSON and pure functions, and the
#               invoke client against a moto server on 127.0.0.1
#   Python:     ruff, pytest (the compile job, its user data and the waiter against a moto server
#               on 127.0.0.1; the inference handler behind the SageMaker inference toolkit)
#   Shell:      shellcheck on every script
# Python tools come from python/requirements-dev.txt into .venv (created on first run).
set -eu
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "Python: environment (jest's emulator tests use its moto server too)"
PATH="$(scripts/python-env.sh):$PATH"
export PATH

step "TypeScript: type check"
npx tsc --noEmit
step "TypeScript: format (prettier)"
npx prettier --check "**/*.ts"
step "TypeScript: jest"
npx jest

step "Python: ruff"
ruff check python scripts
ruff format --check python scripts
step "Python: pytest"
pytest -n 4 python

step "Shell: shellcheck"
shellcheck scripts/*.sh .ci/run python/tests/support/instance_host/shutdown python/tests/support/instance_host/curl \
  python/tests/support/instance_host/systemctl python/tests/support/instance_host/apt-get
