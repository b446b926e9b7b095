"""Keeps secrets out of everything the compile job writes, whoever writes it.

transformers and huggingface_hub log through handlers of their own (transformers' does not even
propagate to the root logger), holding the stderr of the moment they were created, so a filter on
the root logger's handlers misses their records. Redaction happens instead where every record is
made (the log record factory, before any handler formats it) and where every write goes (the
process's ``sys.stdout`` and ``sys.stderr``, for prints, warnings and progress bars), and the
handlers that captured the original streams are pointed at the redacting ones.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import TextIO

#: Hugging Face user access tokens, redacted even before the job knows its own (a token in a URL or an error).
HF_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{20,}")
MASK = "***"


class Redactor:
    """Replaces known secrets, and anything shaped like a Hugging Face token, with ``***``."""

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self._installed = False

    @property
    def secrets(self) -> list[str]:
        """The secrets being redacted."""
        return list(self._secrets)

    def add(self, secret: str | None) -> None:
        """Redacts ``secret`` from now on (an empty one is ignored)."""
        if not secret:
            return
        with self._lock:
            if secret not in self._secrets:
                # Longest first, so that a secret containing another is replaced whole.
                self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` without the secrets."""
        text = HF_TOKEN_PATTERN.sub("hf_" + MASK, text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def scrub(self, record: logging.LogRecord) -> None:
        """Redacts a log record in place: its message, arguments, exception text and stack."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not format: keep it as text
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)

    def install(self) -> None:
        """Redacts every log record of the process and every write to its standard streams."""
        if self._installed:
            return
        self._installed = True
        make_record = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            self.scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        sys.stdout = RedactingStream(sys.stdout, self)
        sys.stderr = RedactingStream(sys.stderr, self)
        originals = {id(sys.stdout.wrapped): sys.stdout, id(sys.stderr.wrapped): sys.stderr}
        # Handlers made before now (at import) hold the original streams.
        loggers = [logging.getLogger()] + [
            logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
        ]
        for logger in loggers:
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler) and id(handler.stream) in originals:
                    handler.setStream(originals[id(handler.stream)])


class RedactingStream:
    """A text stream that redacts what is written to it, then writes it to the stream it wraps."""

    def __init__(self, wrapped: TextIO, redactor: Redactor) -> None:
        self.wrapped = wrapped
        self._redactor = redactor

    def write(self, text: str) -> int:
        self.wrapped.write(self._redactor.redact(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.wrapped.flush()

    def __getattr__(self, name: str):
        return getattr(self.wrapped, name)
