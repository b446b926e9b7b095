"""The prefix lock that a stack-owned compile instance takes itself (python/neuronx_compile/lock.py).

Against the emulator's S3, whose conditional writes (If-None-Match, If-Match) answer 412/409 as S3
does, and its EC2 for the holder's state. Time is the lock's own clock where a window must pass (a
clock that moves only when the lock sleeps), so no test waits for a window.
"""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from neuronx_compile.errors import PrefixOwnedError
from neuronx_compile.lock import STACK_REASON_FILE, PrefixLock, Superseded
from neuronx_compile.store import ArtifactStore
from tests.support.waiter import publish_artifacts, read_lock, run_from_template, start_waiter, write_lock
from tests.test_waiter import PREFIX, fleet, waiter_env  # noqa: F401 - the fixtures of the local-exec waiter's tests

ME = "i-0aaaaaaaaaaaaaaaa"


class Clock:
    """A monotonic clock that moves only when the lock sleeps; each sleep may also act (the holder's doing)."""

    def __init__(self, on_sleep=None) -> None:
        self.now, self.sleeps, self.on_sleep = 0.0, 0, on_sleep

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        if self.on_sleep is not None:
            self.on_sleep(self.sleeps)
        if self.sleeps > 100:
            raise AssertionError("the lock waited 100 times")


def prefix_lock(
    tmp_path, instance_id: str = ME, clock: Clock | None = None, check_seconds: float = 10, **kw
) -> PrefixLock:
    clock = clock or Clock()
    return PrefixLock(
        boto3.client("s3"),
        boto3.client("ec2"),
        "models",
        PREFIX,
        instance_id,
        "neuronx-compile-abc",
        str(tmp_path / "work"),
        check_seconds=check_seconds,
        abandon_after_seconds=kw.pop("abandon_after_seconds", 60),
        clock=clock,
        sleep=clock.sleep,
    )


def lock_etag() -> str:
    return boto3.client("s3").head_object(Bucket="models", Key=PREFIX + "_LOCK")["ETag"]


@pytest.fixture
def holder(waiter_env):  # noqa: F811
    """A live instance of the prefix that another apply's lock names."""
    instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    write_lock("models", PREFIX, "running", instance)
    return instance


def test_an_absent_lock_is_created_naming_this_instance_and_its_stack(waiter_env, tmp_path):  # noqa: F811
    lock = prefix_lock(tmp_path)
    assert lock.acquire() is True
    fields = read_lock("models", PREFIX)
    assert {
        k: fields[k] for k in ("state", "instance_id", "owner", "serial", "abandon_after_seconds", "cache_key")
    } == {
        "state": "running",
        "instance_id": ME,
        "owner": "stack:neuronx-compile-abc",
        "serial": "1",
        "abandon_after_seconds": "60",
        "cache_key": PREFIX,
    }
    # Created with If-None-Match: a second instance does not create it again, it waits for this one.
    other = prefix_lock(tmp_path, "i-0bbbbbbbbbbbbbbbb", abandon_after_seconds=60)
    assert other._write("running") is False


def test_a_verified_success_compiles_nothing_and_writes_no_lock(waiter_env, tmp_path):  # noqa: F811
    publish_artifacts("models", PREFIX, tmp_path / "artifacts")
    assert prefix_lock(tmp_path).acquire() is False
    assert read_lock("models", PREFIX) == {}


def test_waits_for_a_live_holder_without_writing_then_succeeds_on_its_verified_success(holder, tmp_path):
    before = lock_etag()

    def holder_works(sleeps: int) -> None:
        assert lock_etag() == before  # the waiting instance never writes the holder's lock
        if sleeps == 3:
            publish_artifacts("models", PREFIX, tmp_path / "artifacts")

    clock = Clock(holder_works)
    assert prefix_lock(tmp_path, clock=clock).acquire() is False
    assert clock.sleeps == 3
    assert read_lock("models", PREFIX)["instance_id"] == holder


def test_the_holders_failure_is_kept_and_reported(holder, tmp_path):
    store = ArtifactStore(boto3.client("s3"), "models", PREFIX)

    def holder_fails(sleeps: int) -> None:
        store.write_failure("the Neuron compile failed: RuntimeError: [XCG815]", "compile", holder, ["line 1"])
        boto3.client("s3").put_object(Bucket="models", Key=PREFIX + "_FAILURE.log", Body=b"the holder's log")

    lock = prefix_lock(tmp_path, clock=Clock(holder_fails))
    with pytest.raises(PrefixOwnedError) as raised, lock.held():
        pytest.fail("no compile here")
    reason = f"the compile that holds s3://models/{PREFIX}_LOCK ({holder}, other-apply:1:0) failed: the Neuron compile failed: RuntimeError: [XCG815]"
    assert str(raised.value) == reason
    # The reason waits for the user data's FAILURE signal; the holder's markers are as it wrote them.
    assert (tmp_path / "work" / STACK_REASON_FILE).read_text() == reason + "\n"
    failure = boto3.client("s3").get_object(Bucket="models", Key=PREFIX + "_FAILURE")["Body"].read().decode()
    assert f"instance_id={holder}\n" in failure
    log = boto3.client("s3").get_object(Bucket="models", Key=PREFIX + "_FAILURE.log")["Body"].read()
    assert log == b"the holder's log"
    assert read_lock("models", PREFIX)["instance_id"] == holder


@pytest.mark.parametrize("gone", ["terminated", "unknown to EC2"])
def test_a_holder_that_ec2_reports_gone_is_taken_over_at_once(waiter_env, tmp_path, gone):  # noqa: F811
    if gone == "terminated":
        instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
        boto3.client("ec2").terminate_instances(InstanceIds=[instance])
    else:
        instance = "i-0123456789abcdef9"
    write_lock("models", PREFIX, "running", instance)
    clock = Clock()
    assert prefix_lock(tmp_path, clock=clock).acquire() is True
    assert clock.sleeps == 0
    fields = read_lock("models", PREFIX)
    assert (fields["state"], fields["instance_id"], fields["serial"]) == ("running", ME, "2")


def test_a_holder_that_publishes_and_ends_before_its_state_is_read_leaves_nothing_to_compile(holder, tmp_path):
    """The holder publishes _SUCCESS and terminates itself after this instance looked for _SUCCESS and
    before it asked EC2 for the holder's state: the lock is taken, looked at once more, and released."""
    ec2 = boto3.client("ec2")

    class HolderEndsFirst:
        """The real EC2 client; the holder finishes just before the first describe_instances is answered."""

        def __getattr__(self, name):
            return getattr(ec2, name)

        ended = False

        def describe_instances(self, **kwargs):
            if not self.ended:
                publish_artifacts("models", PREFIX, tmp_path / "artifacts")
                ec2.terminate_instances(InstanceIds=[holder])
                self.ended = True
            return ec2.describe_instances(**kwargs)

    lock = prefix_lock(tmp_path)
    lock.ec2 = HolderEndsFirst()
    assert lock.acquire() is False
    lock.release()
    assert read_lock("models", PREFIX)["state"] == "released"
    assert read_lock("models", PREFIX)["outcome"] == "succeeded"
    assert ArtifactStore(boto3.client("s3"), "models", PREFIX).verify_success() is None


def test_a_live_looking_holder_is_taken_over_once_its_lock_is_unrenewed_for_its_window(holder, tmp_path):
    # The holder's lock says how often it renews: 30 seconds here, whatever this instance's own setting.
    write_lock("models", PREFIX, "running", holder)
    body = read_lock("models", PREFIX)
    body["abandon_after_seconds"] = "30"
    boto3.client("s3").put_object(
        Bucket="models", Key=PREFIX + "_LOCK", Body="".join(f"{k}={v}\n" for k, v in body.items()).encode()
    )
    clock = Clock()
    assert prefix_lock(tmp_path, clock=clock, abandon_after_seconds=900).acquire() is True
    assert clock.sleeps == 3  # 3 checks of 10 s: unchanged for 30 s
    assert read_lock("models", PREFIX)["instance_id"] == ME


def test_a_holder_that_renews_is_never_taken_over(holder, tmp_path):
    def holder_renews(sleeps: int) -> None:
        write_lock("models", PREFIX, "running", holder, owner=f"other-apply:{sleeps}:0")
        if sleeps == 20:  # 200 s: far past the 60 s window, renewed all along
            publish_artifacts("models", PREFIX, tmp_path / "artifacts")

    assert prefix_lock(tmp_path, clock=Clock(holder_renews)).acquire() is False


def test_a_lock_released_without_a_marker_is_taken(holder, tmp_path):
    write_lock("models", PREFIX, "released", holder)
    assert prefix_lock(tmp_path).acquire() is True
    assert read_lock("models", PREFIX)["instance_id"] == ME


def test_of_two_instances_taking_an_absent_lock_at_once_one_compiles(waiter_env, tmp_path):  # noqa: F811
    instances = [run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"]) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}

    def take(instance_id: str) -> None:
        lock = prefix_lock(tmp_path, instance_id)
        # The one that waits sees the other's compile finish.
        lock.sleep = lambda seconds: publish_artifacts("models", PREFIX, tmp_path / instance_id)
        barrier.wait()
        results[instance_id] = lock.acquire()

    threads = [threading.Thread(target=take, args=(i,)) for i in instances]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert sorted(results.values()) == [False, True]
    winner = next(i for i, compiled in results.items() if compiled)
    assert read_lock("models", PREFIX)["instance_id"] == winner


def test_renewals_while_compiling_then_released_with_the_outcome(waiter_env, tmp_path):  # noqa: F811
    lock = prefix_lock(tmp_path, check_seconds=0.2)
    with lock.held() as compile_here:
        assert compile_here
        first = int(read_lock("models", PREFIX)["serial"])
        time.sleep(1)
        assert int(read_lock("models", PREFIX)["serial"]) > first
    fields = read_lock("models", PREFIX)
    assert (fields["state"], fields["instance_id"], fields["outcome"]) == ("released", ME, "succeeded")


def test_a_failed_compile_keeps_the_lock_until_its_failure_is_written(waiter_env, tmp_path):  # noqa: F811
    lock = prefix_lock(tmp_path, check_seconds=0.2)
    with pytest.raises(RuntimeError), lock.held():
        raise RuntimeError("the compile failed")
    assert read_lock("models", PREFIX)["state"] == "running"  # whoever waits reads _FAILURE before the release
    lock.release()
    fields = read_lock("models", PREFIX)
    assert (fields["state"], fields["outcome"]) == ("released", "failed")


def test_an_adopting_local_exec_waiters_renewals_are_tolerated(waiter_env, fleet, tmp_path):  # noqa: F811
    """The real waiter (scripts/wait-for-compile.sh) adopts the stack's instance and renews the same lock."""
    instance = run_from_template(waiter_env["NEURONX_LAUNCH_TEMPLATE_ID"])
    lock = prefix_lock(tmp_path, instance, check_seconds=0.3)
    with lock.held() as compile_here:
        assert compile_here
        run = start_waiter({**waiter_env, "NEURONX_ABANDON_SECONDS": "5"})  # renews every second
        run.wait_for(lambda: "adopting " + instance in run.output)
        run.wait_for(lambda: run.progress_lines() >= 3)  # both renew meanwhile, each conflicting with the other
        assert read_lock("models", PREFIX)["instance_id"] == instance
        publish_artifacts("models", PREFIX, tmp_path / "artifacts")
        assert run.wait() == 0, run.output
    assert "launched" not in run.output
    fields = read_lock("models", PREFIX)
    assert (fields["state"], fields["instance_id"], fields["outcome"]) == ("released", instance, "succeeded")


def test_a_compile_superseded_by_another_stops_and_leaves_the_lock_to_it(waiter_env, tmp_path):  # noqa: F811
    lock = prefix_lock(tmp_path, check_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(Superseded) as raised, lock.held():
        write_lock("models", PREFIX, "running", "i-0ccccccccccccccc0", owner="stack:neuronx-compile-other")
        time.sleep(30)  # the compile, interrupted by the renewal's finding
    assert time.monotonic() - started < 10
    assert "now names i-0ccccccccccccccc0: another compile took the prefix over" in str(raised.value)
    assert (tmp_path / "work" / STACK_REASON_FILE).read_text() == str(raised.value) + "\n"
    lock.release()  # nothing: the lock is the other compile's
    fields = read_lock("models", PREFIX)
    assert (fields["state"], fields["instance_id"]) == ("running", "i-0ccccccccccccccc0")
