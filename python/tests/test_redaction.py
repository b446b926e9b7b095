"""Redaction of the Hugging Face token from everything the compile job writes, whoever writes it.

Each case runs in its own Python process, as the job does, with the real transformers and
huggingface_hub: their loggers have handlers of their own (transformers' does not propagate to the
root logger), made when the library first logs, before or after the job sets up its logging.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from neuronx_compile.redaction import Redactor
from tests.conftest import PYTHON_DIR

# The job's token (added once read; not shaped like a Hugging Face token, to prove the list works),
# and a token it was never told about (redacted by its shape).
TOKEN = "secret-0123456789abcdefXYZ"
UNKNOWN = "hf_anotherToken9876543210zyxwvuts"

LIBRARIES_FIRST = """
import transformers.utils.logging as tlog, huggingface_hub.utils.logging as hlog
tlog.get_logger("transformers.modeling_utils").warning("warm-up")
hlog.get_logger("huggingface_hub.file_download").warning("warm-up")
from neuronx_compile.main import configure_logging
tail, redactor = configure_logging()
"""

REDACTION_FIRST = """
from neuronx_compile.main import configure_logging
tail, redactor = configure_logging()
import transformers.utils.logging as tlog, huggingface_hub.utils.logging as hlog
"""

EMIT = """
import logging, warnings, sys
redactor.add(TOKEN)
tlog.get_logger("transformers.modeling_utils").warning("transformers said %s", TOKEN)
hlog.get_logger("huggingface_hub.file_download").warning(f"huggingface_hub said Authorization: Bearer {TOKEN}")
try:
    raise RuntimeError(f"401 for url https://hf.co/api?token={TOKEN}")
except RuntimeError:
    logging.getLogger("urllib3.connectionpool").exception("request failed")
logging.getLogger("neuronx_compile").info("unknown token %s", UNKNOWN)
print(f"printed {TOKEN}")
warnings.warn(f"warned {TOKEN}")
sys.stderr.write(f"written {TOKEN}\\n")
with open(OUT, "w") as f:
    f.write("\\n".join(tail.lines))
"""


def run(tmp_path, setup: str) -> tuple[str, str]:
    out = tmp_path / "tail.txt"
    script = f"TOKEN = {TOKEN!r}\nUNKNOWN = {UNKNOWN!r}\nOUT = {str(out)!r}\n" + textwrap.dedent(setup) + EMIT
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PYTHON_DIR), "PATH": "/usr/bin:/bin", "HF_HUB_DISABLE_TELEMETRY": "1"},
        timeout=120,
        check=True,
    )
    return result.stdout + result.stderr, out.read_text()


@pytest.mark.parametrize(
    "setup", [LIBRARIES_FIRST, REDACTION_FIRST], ids=["libraries log first", "redaction set up first"]
)
def test_no_library_writes_the_token(tmp_path, setup):
    console, tail = run(tmp_path, setup)
    for text in (console, tail):
        assert TOKEN not in text and UNKNOWN not in text
    # Each writer was heard, redacted.
    for line in (
        "transformers said ***",
        "huggingface_hub said Authorization: Bearer ***",
        "token=***",
        "unknown token hf_***",
        "printed ***",
        "warned ***",
        "written ***",
    ):
        assert line in console, line
    assert "huggingface_hub said Authorization: Bearer ***" in tail and "token=***" in tail


def test_redacts_the_longest_secret_first_and_shaped_tokens():
    redactor = Redactor()
    redactor.add("abc")
    redactor.add("abcdef")
    redactor.add(None)
    assert redactor.redact("x abcdef y abc hf_0123456789abcdefghijKLM") == "x *** y *** hf_***"
