"""The compile image's Python for the rehearsal's optimum-neuron compile (scripts/rehearse.py, group optimum-neuron).

The rehearsal runs the compile instance's `docker run ... python3 -m neuronx_compile` with the real optimum-neuron of
.venv-optimum (NEURONX_HOST_PYTHON) and this directory and ../compiler_stand_in on its PYTHONPATH
(NEURONX_HOST_SITE_PACKAGES): Python imports this module at start-up, and it installs the same Neuron SDK stand-ins as
the test:optimum tier (optimum_tests/stand_in.py, whose docstring gives the 0.4.5 sources they mirror) before the job
imports optimum-neuron's model classes. The stand-in module is loaded from its file, not through python/ on the path,
so the job's own package is the copy the instance downloaded from S3.
"""

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "stand_in.py"
_spec = importlib.util.spec_from_file_location("optimum_neuron_stand_in", _PATH)
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)
_module.install_model_classes()
