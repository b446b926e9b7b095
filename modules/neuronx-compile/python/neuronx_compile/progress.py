"""_PROGRESS: the phase, bytes done of the phase's total, and elapsed time, for the waiter to print."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Progress:
    """Writes ``_PROGRESS`` at each phase and, within a phase, at most every ``interval_seconds``.

    The body is ``key=value`` lines so that the waiter can read it with a POSIX shell alone.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        instance_id: str,
        interval_seconds: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._instance_id = instance_id
        self._interval = interval_seconds
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self.phase_name = "bootstrap"
        self.bytes_done = 0
        self.bytes_total = 0
        self._last_write = float("-inf")

    def phase(self, name: str, bytes_total: int = 0) -> None:
        """Starts a phase and reports it at once."""
        with self._lock:
            self.phase_name, self.bytes_done, self.bytes_total = name, 0, bytes_total
        log.info("phase %s%s", name, f" ({_human(bytes_total)})" if bytes_total else "")
        self._flush(force=True)

    def advance(self, nbytes: int) -> None:
        """Adds bytes to the phase's count; called from transfer threads."""
        with self._lock:
            self.bytes_done += nbytes
        self._flush(force=False)

    def body(self) -> str:
        """The ``_PROGRESS`` text."""
        return (
            f"phase={self.phase_name}\n"
            f"bytes_done={self.bytes_done}\n"
            f"bytes_total={self.bytes_total}\n"
            f"elapsed_seconds={int(self._clock() - self._started)}\n"
            f"instance_id={self._instance_id}\n"
        )

    def _flush(self, force: bool) -> None:
        now = self._clock()
        with self._lock:
            if not force and now - self._last_write < self._interval:
                return
            self._last_write = now
            body = self.body()
        try:
            self._write(body)
        except Exception as error:  # noqa: BLE001 - progress is advisory: never fail the compile for it
            log.warning("could not write _PROGRESS: %s", error)


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"
