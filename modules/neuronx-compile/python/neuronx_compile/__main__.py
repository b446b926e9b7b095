"""Entry point: ``python3 -m neuronx_compile`` (run by the user data inside the container)."""

import sys

from .main import main

sys.exit(main())
