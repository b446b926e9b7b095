#!/bin/sh
# The Terraform tier (`npm run test:terraform`): builds or reuses the Terraform toolchain
# (scripts/install-terraform.sh) and checkov (.venv-checkov), then runs the tests that put every
# synthesized stack through terraform init, terraform validate and checkov.
set -eu
cd "$(dirname "$0")/.."
eval "$(scripts/install-terraform.sh --print-env)"
scripts/python-env.sh >/dev/null
NEURONX_VENV=.venv-checkov NEURONX_REQUIREMENTS=python/requirements-checkov.txt scripts/python-env.sh >/dev/null
npx jest -c jest.terraform.config.js
