"""One writer per prefix when a CloudFormation stack owns this instance (the cloudFormation waiter).

The local-exec waiter (scripts/wait-for-compile.sh) holds ``<prefix>_LOCK`` for the instance it
runs; under a stack no waiter runs on the apply's machine, so the instance takes the same lock
itself, in the same format (``key=value`` lines: state, instance_id, owner, renewed_by, renewed_at,
serial, abandon_after_seconds, cache_key, outcome), created with ``If-None-Match: *`` and changed
only with ``If-Match: <ETag>``:

- absent or released: take it (``state=running``, ``owner=stack:<name>``) and compile; but when a
  ``_SUCCESS`` that S3 matches is there already (another compile finished since the stack was
  planned), compile nothing: the stack completes on those artifacts.
- held (``running``/``launching``) by another instance: wait, without writing, for its outcome.
  Its ``_SUCCESS``, verified: done (exit 0). Its ``_FAILURE``: stop with its reason, touching none of
  its markers. Its lock released without a marker, its instance no longer pending or running (EC2's
  answer: a stack deleted by the next apply terminates it), or its lock's ETag unchanged for the
  holder's ``abandon_after_seconds`` (timed with this process's monotonic clock, never another
  machine's): take the lock over (``If-Match`` on the ETag seen) and compile.
- while compiling: renew the lock every ``NEURONX_LEASE_CHECK_SECONDS`` (a local-exec waiter that
  adopted this instance renews it too: a conflict that still names this instance is fine); a lock
  that names another running instance means another compile took the prefix over: the compile stops
  and touches nothing more.
- at the end: released, with the outcome (after ``_FAILURE`` when it failed), best effort.

When the job stops because another compile owns the prefix, it leaves the reason for the stack's
failure signal in ``<work dir>/`` + STACK_REASON_FILE; the user data signals it and writes no marker.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from botocore.exceptions import ClientError

from . import constants as c
from .errors import PrefixOwnedError
from .store import ArtifactStore

log = logging.getLogger("neuronx_compile.lock")

LOCK = "_LOCK"
# The user data exports the stack's name when a stack owns the instance (find_stack_signal).
STACK_NAME_ENV = "NEURONX_STACK_NAME"
LEASE_CHECK_ENV = "NEURONX_LEASE_CHECK_SECONDS"
ABANDON_ENV = "NEURONX_ABANDON_AFTER_SECONDS"
# Beside the work directory's model/ and compiled/: read by the user data's on_error (compile-user-data.sh).
STACK_REASON_FILE = "stack-failure-reason"
HELD = ("running", "launching")
LIVE_INSTANCE_STATES = ("pending", "running")
# S3 answers a conditional write that lost: 412 (the condition), 409 (a concurrent conditional write),
# 404 (If-Match on an object deleted meanwhile).
CONFLICTS = ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409", "404")


@dataclass(frozen=True)
class LockState:
    """``<prefix>_LOCK`` as read: its fields and its ETag (without quotes)."""

    fields: dict[str, str]
    etag: str

    @property
    def state(self) -> str:
        state = self.fields.get("state", "")
        return state if state in (*HELD, "released") else "released"

    @property
    def instance_id(self) -> str:
        return self.fields.get("instance_id", "")

    @property
    def owner(self) -> str:
        return self.fields.get("owner", "") or "another apply"

    def serial(self) -> int:
        value = self.fields.get("serial", "0")
        return int(value) if value.isdigit() else 0

    def abandon_after(self, default: float) -> float:
        value = self.fields.get("abandon_after_seconds", "")
        return float(value) if value.isdigit() and int(value) > 0 else default


class Superseded(PrefixOwnedError):  # noqa: N818 - it is the error's name in the log
    """Raised in the compile's thread when the renewal finds the lock naming another instance."""


class PrefixLock:
    """The lock of one prefix, taken by this instance for the stack ``stack_name``."""

    def __init__(  # noqa: PLR0913 - the lock's settings, each from the user data's environment
        self,
        s3,
        ec2,
        bucket: str,
        prefix: str,
        instance_id: str,
        stack_name: str,
        work_dir: str,
        check_seconds: float,
        abandon_after_seconds: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.s3, self.ec2 = s3, ec2
        self.store = ArtifactStore(s3, bucket, prefix)
        self.bucket, self.key = bucket, prefix + LOCK
        self.instance_id, self.work_dir = instance_id, work_dir
        self.owner = f"stack:{stack_name}"
        self.check_seconds, self.abandon_after_seconds = check_seconds, abandon_after_seconds
        self.clock, self.sleep = clock, sleep
        self.etag = ""  # while this instance holds the lock: its ETag as last written or read
        self.serial = 0
        self.outcome = "failed"
        self._conditions = threading.local()
        # S3's conditional PutObject as headers: the serving image's botocore may predate the IfMatch parameter.
        s3.meta.events.register("before-sign.s3.PutObject", self._add_conditions, unique_id=f"neuronx-lock-{id(self)}")

    # ---- reading and writing the lock -----------------------------------------------------------

    def _add_conditions(self, request, **_) -> None:
        for header, value in getattr(self._conditions, "headers", {}).items():
            request.headers[header] = value

    def read(self) -> LockState | None:
        """The lock, or None when there is none."""
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        text = answer["Body"].read().decode(errors="replace")
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return LockState(fields, answer["ETag"].strip('"'))

    def _write(self, state: str, *, if_match: str = "", outcome: str = "", serial: int | None = None) -> bool:
        """Writes the lock naming this instance; False when another writer came first (the condition failed)."""
        self.serial = (self.serial if serial is None else serial) + 1
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = (
            f"state={state}\ninstance_id={self.instance_id}\nowner={self.owner}\n"
            f"renewed_by={self.owner}:{self.instance_id}\nrenewed_at={now}\nserial={self.serial}\n"
            f"abandon_after_seconds={self.abandon_after_seconds}\ncache_key={self.store.prefix}\n"
            + (f"outcome={outcome}\n" if outcome else "")
        )
        self._conditions.headers = {"If-Match": f'"{if_match}"'} if if_match else {"If-None-Match": "*"}
        try:
            answer = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=body.encode(), ContentType="text/plain")
        except ClientError as error:
            error_info = error.response.get("Error", {})
            status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if error_info.get("Code") in CONFLICTS or status in CONFLICTS:
                return False
            raise
        finally:
            self._conditions.headers = {}
        self.etag = answer["ETag"].strip('"')
        return True

    def _take(self, seen: LockState | None) -> bool:
        """Takes the lock from the state seen (create when absent, If-Match otherwise)."""
        return self._write("running", if_match=seen.etag if seen else "", serial=seen.serial() if seen else 0)

    # ---- the holder ------------------------------------------------------------------------------

    def _instance_state(self, instance_id: str) -> str | None:
        """The EC2 state of another holder: "terminated" when EC2 no longer knows it; None when EC2
        cannot say (the holder is then judged by its lock's renewals alone)."""
        try:
            reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "").startswith("InvalidInstanceID"):
                return "terminated"
            log.warning("cannot describe %s, the lock's holder (%s); judging it by its renewals", instance_id, error)
            return None
        instances = [i for r in reservations for i in r["Instances"]]
        return instances[0]["State"]["Name"] if instances else "terminated"

    def _holder_failure(self, holder: LockState) -> str | None:
        """The reason in ``_FAILURE`` when the holder wrote it."""
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.store.key(c.FAILURE))["Body"].read().decode()
        except ClientError:
            return None
        fields = dict(line.split("=", 1) for line in body.partition("--- log tail ---")[0].splitlines() if "=" in line)
        if not holder.instance_id or fields.get("instance_id") != holder.instance_id:
            return None
        return fields.get("reason", "") or "no reason given"

    # ---- acquire, renew, release -----------------------------------------------------------------

    def acquire(self) -> bool:
        """True once this instance holds the lock and is to compile; False when a ``_SUCCESS`` that S3
        matches serves the stack. Raises PrefixOwnedError when the holder's compile failed."""
        seen_etag, seen_at, holder_seen = "", self.clock(), None
        while True:
            lock = self.read()
            if lock is None or lock.state == "released" or lock.instance_id == self.instance_id:
                if self.store.verify_success() is None:
                    log.info(
                        "%s under s3://%s/%s is complete and verified: nothing to compile",
                        c.SUCCESS,
                        self.bucket,
                        self.store.prefix,
                    )
                    return False
                if holder_seen is not None and (reason := self._holder_failure(holder_seen)):
                    raise PrefixOwnedError(self._failed_text(holder_seen, reason))
                if self._take(lock):
                    log.info("took the lock s3://%s/%s for %s", self.bucket, self.key, self.instance_id)
                    return True
                continue  # another writer came first: read it again
            # Held by another compile: its outcome, its instance, its renewals.
            if holder_seen is None or holder_seen.instance_id != lock.instance_id:
                log.info(
                    "the lock s3://%s/%s is held by %s (%s): waiting for its compile instead of starting a second one",
                    self.bucket,
                    self.key,
                    lock.instance_id or "an instance being launched",
                    lock.owner,
                )
            holder_seen = lock
            if self.store.verify_success() is None:
                log.info("%s of %s is complete and verified: nothing to compile", c.SUCCESS, lock.instance_id)
                return False
            if reason := self._holder_failure(lock):
                raise PrefixOwnedError(self._failed_text(lock, reason))
            if lock.etag != seen_etag:
                seen_etag, seen_at = lock.etag, self.clock()
            state = self._instance_state(lock.instance_id) if lock.instance_id.startswith("i-") else None
            idle = self.clock() - seen_at
            window = lock.abandon_after(self.abandon_after_seconds)
            if state is not None and state not in LIVE_INSTANCE_STATES:
                log.info("the lock's holder %s is %s without a result: taking the prefix over", lock.instance_id, state)
            elif idle >= window:
                log.info(
                    "the lock has not changed for %.0f seconds (its holder renews it within %.0f): taking the prefix over",
                    idle,
                    window,
                )
            else:
                self.sleep(self.check_seconds)
                continue
            if self._take(lock):
                # The holder may have published and ended between the look at _SUCCESS above and the look at its
                # instance: the lock is this instance's now, so one more look decides (main releases it).
                if self.store.verify_success() is None:
                    log.info("%s of %s was published as it ended: nothing to compile", c.SUCCESS, lock.instance_id)
                    self.outcome = "succeeded"
                    return False
                return True

    def _failed_text(self, holder: LockState, reason: str) -> str:
        return f"the compile that holds s3://{self.bucket}/{self.key} ({holder.instance_id}, {holder.owner}) failed: {reason}"

    def renew(self) -> str | None:
        """Renews the lock; the instance that superseded this one, or None."""
        if self._write("running", if_match=self.etag):
            return None
        lock = self.read()
        if lock is not None and lock.state in HELD and lock.instance_id not in ("", self.instance_id):
            return lock.instance_id
        # Renewed by a local-exec waiter that adopted this instance (it keeps naming it), or released or
        # removed by someone: nobody else is named, so this instance keeps the lock from the state read.
        if not self._take(lock):
            log.warning(
                "the lock s3://%s/%s changed while it was renewed; checked again at the next renewal",
                self.bucket,
                self.key,
            )
            if lock is not None:
                self.etag = lock.etag
        return None

    def release(self) -> None:
        """Released with the outcome, when this instance still holds the lock; best effort."""
        if not self.etag:
            return
        try:
            if not self._write("released", if_match=self.etag, outcome=self.outcome):
                lock = self.read()
                if lock is not None and lock.instance_id == self.instance_id:
                    self._write("released", if_match=lock.etag, outcome=self.outcome, serial=lock.serial())
        except Exception as error:  # noqa: BLE001 - best effort: the holder's death frees the prefix as well
            log.warning("could not release the lock s3://%s/%s: %s", self.bucket, self.key, error)
        self.etag = ""

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        """Yields whether to compile (see acquire), renewing the lock meanwhile. A clean exit releases it
        (succeeded); after an exception it stays held until release(), once ``_FAILURE`` is written.
        When another compile owns the prefix, the reason is left for the stack's signal."""
        try:
            with self._holding() as compile_here:
                yield compile_here
        except PrefixOwnedError as error:
            write_stack_reason(self.work_dir, str(error))
            raise

    @contextlib.contextmanager
    def _holding(self) -> Iterator[bool]:
        if not self.acquire():
            yield False
            return
        stop = threading.Event()
        main = threading.get_ident()
        superseded: list[str] = []

        def interrupt(signum, frame):
            raise Superseded(
                f"the lock s3://{self.bucket}/{self.key} now names {superseded[0]}: another compile took the prefix "
                f"over (judging {self.instance_id} gone); this compile stopped and leaves the prefix to it"
            )

        previous = signal.signal(signal.SIGUSR1, interrupt)

        def renewing() -> None:
            while not stop.wait(self.check_seconds):
                try:
                    other = self.renew()
                except Exception as error:  # noqa: BLE001 - a lost renewal or two are within the window
                    log.warning("could not renew the lock s3://%s/%s: %s", self.bucket, self.key, error)
                    continue
                if other is not None:
                    superseded.append(other)
                    self.etag = ""  # not this instance's to release
                    signal.pthread_kill(main, signal.SIGUSR1)  # interrupts the compile's thread, even in a sleep
                    return

        thread = threading.Thread(target=renewing, name="lock-renewal", daemon=True)
        thread.start()
        try:
            yield True
            self.outcome = "succeeded"
        finally:
            stop.set()
            thread.join()
            signal.signal(signal.SIGUSR1, previous)
        self.release()


class NoLock:
    """The local-exec waiter holds the lock for the instance: nothing to do here."""

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        yield True

    def release(self) -> None:
        pass


def stack_lock(env: Mapping[str, str], settings, s3) -> PrefixLock | NoLock:
    """The prefix lock when a stack owns this instance (NEURONX_STACK_NAME is set), else a no-op."""
    stack = env.get(STACK_NAME_ENV, "")
    if not stack:
        return NoLock()
    import boto3

    def number(name: str, default: int) -> int:
        value = env.get(name, "")
        return int(value) if value.isdigit() and int(value) > 0 else default

    return PrefixLock(
        s3,
        boto3.client("ec2"),
        settings.bucket,
        settings.prefix,
        settings.instance_id,
        stack,
        settings.work_dir,
        check_seconds=number(LEASE_CHECK_ENV, 30),
        abandon_after_seconds=number(ABANDON_ENV, 900),
    )


def write_stack_reason(work_dir: str, reason: str) -> None:
    """Leaves the reason for the stack's FAILURE signal, for the user data (no marker of this instance's)."""
    path = Path(work_dir)
    path.mkdir(parents=True, exist_ok=True)
    (path / STACK_REASON_FILE).write_text(reason + "\n")
