#!/bin/sh
# `npm run synth:hcl`: the example stacks as HCL in cdktf.out/hcl/<stack>/ (scripts/synth-hcl.ts).
# It reads the providers' schema with the Terraform toolchain, which it builds or reuses first.
set -eu
cd "$(dirname "$0")/.."
eval "$(scripts/install-terraform.sh --print-env)"
exec node_modules/.bin/tsx scripts/synth-hcl.ts "$@"
