"""_PROGRESS: phase, bytes and elapsed time, throttled within a phase."""

from neuronx_compile.progress import Progress


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def parse(body):
    return dict(line.split("=", 1) for line in body.strip().splitlines())


def test_reports_each_phase_at_once_with_bytes_and_elapsed_time():
    clock, written = Clock(), []
    progress = Progress(written.append, "i-123", interval_seconds=15, clock=clock)
    clock.now += 42
    progress.phase("download", bytes_total=1000)
    assert parse(written[-1]) == {
        "phase": "download",
        "bytes_done": "0",
        "bytes_total": "1000",
        "elapsed_seconds": "42",
        "instance_id": "i-123",
    }


def test_throttles_byte_updates_within_a_phase():
    clock, written = Clock(), []
    progress = Progress(written.append, "i-123", interval_seconds=15, clock=clock)
    progress.phase("upload", 100)
    progress.advance(10)
    progress.advance(10)
    assert len(written) == 1
    clock.now += 16
    progress.advance(10)
    assert len(written) == 2
    assert parse(written[-1])["bytes_done"] == "30"


def test_a_failing_write_never_fails_the_compile():
    def broken(_body):
        raise OSError("S3 unreachable")

    Progress(broken, "i-1").phase("compile")
