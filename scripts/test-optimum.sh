#!/bin/sh
# npm run test:optimum: the optimum-neuron tier. The compile job's optimum-neuron recipe against the real
# optimum-neuron package (python/optimum_tests): its export parser, its serve-time checks on the serving
# fixtures (__tests__/golden/optimum), its Hub cache registry code against the Hub emulator, and the job
# end to end against the AWS and Hub emulators, with stand-ins only for the Neuron SDK (optimum_tests/stand_in.py).
# The venv (.venv-optimum, python/requirements-optimum.txt, 5.8 GB) is created on first use and reused
# while the requirements are unchanged. Not part of npm test: installing it takes minutes.
set -eu
cd "$(dirname "$0")/.."
bin=$(NEURONX_VENV=.venv-optimum NEURONX_REQUIREMENTS=python/requirements-optimum.txt NEURONX_PIP_NO_DEPS=1 scripts/python-env.sh)
# The unit tier's pytest leaves optimum_tests out (python/conftest.py); this tier runs it alone, and a
# missing optimum-neuron fails its collection. One process: each xdist worker would import torch again
# (measured: 52 s in one process, 122 s with -n 2).
NEURONX_TEST_TIER=optimum "$bin/python" -m pytest python/optimum_tests
