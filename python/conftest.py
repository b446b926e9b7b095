"""The tiers of python/: optimum_tests needs the real optimum-neuron package (.venv-optimum,
`npm run test:optimum`), so the unit tier's `pytest python` does not collect it."""

import os

collect_ignore = [] if os.environ.get("NEURONX_TEST_TIER") == "optimum" else ["optimum_tests"]
