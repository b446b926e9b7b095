"""The compile job: download, compile, upload, publish; on any error, _FAILURE with the log tail.

Phases and their order are the contract with the waiter: ``_PROGRESS`` names the
phase, ``_SUCCESS`` is written last (after every upload and the manifest), and
``_FAILURE`` carries the reason and the log tail.
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from . import constants as c
from .download import download, read_hf_token
from .errors import AlreadyEndedError, CompileError, UploadError
from .lock import stack_lock
from .progress import Progress
from .recipes import Recipe, recipe_for
from .redaction import Redactor
from .settings import Settings
from .store import ArtifactStore, build_manifest

log = logging.getLogger("neuronx_compile")


class TailHandler(logging.Handler):
    """Keeps the last lines of the log for _FAILURE."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=lines)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def configure_logging(tail_lines: int = c.LOG_TAIL_LINES) -> tuple[TailHandler, Redactor]:
    """Logs to stderr and keeps a tail for _FAILURE; every record and every write of the process is redacted."""
    redactor = Redactor()
    redactor.install()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    tail = TailHandler(tail_lines)
    stream = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in (stream, tail):
        handler.setFormatter(fmt)
        root.addHandler(handler)
    return tail, redactor


def run(
    settings: Settings,
    s3,
    secrets,
    progress: Progress,
    redactor: Redactor | None = None,
    recipe: Recipe | None = None,
) -> dict:
    """Runs every phase and returns the manifest. Raises on failure; the caller writes _FAILURE.

    The recipe (``recipes.recipe_for``: NEURONX_BACKEND) does the compile; the rest is shared.
    """
    recipe = recipe or recipe_for(settings)
    store = ArtifactStore(s3, settings.bucket, settings.prefix)
    store.clear_markers(settings.instance_id)
    recipe.preflight(settings)
    token = read_hf_token(settings.hf_token_secret_arn, secrets)
    if redactor is not None:
        redactor.add(token)

    work = Path(settings.work_dir)
    checkpoint_dir, compiled_dir = work / "model", work / "compiled"
    commit = download(
        settings.model_id,
        settings.revision,
        checkpoint_dir,
        token,
        progress,
        allow_pickle=settings.allow_pickle_weights,
        model_type_check=recipe.check_model_type,
    )

    progress.phase("compile")
    started = time.monotonic()
    compiled = recipe.compile(checkpoint_dir, compiled_dir, settings, token)
    log.info("compiled in %.0f seconds", time.monotonic() - started)

    total = sum(p.stat().st_size for d, _ in compiled.uploads for p in d.rglob("*") if p.is_file())
    progress.phase("upload", total)
    files = [entry for local, folder in compiled.uploads for entry in store.upload_tree(local, folder, progress)]
    stale = store.delete_stale(files)
    if stale:
        log.info("deleted %d objects left by an earlier attempt", len(stale))

    progress.phase("publish")
    manifest = {**build_manifest(settings, commit, files, compiled.versions), **compiled.manifest}
    store.publish(manifest, files)
    # _SUCCESS is trusted by what reads it (the waiters, a cache hit) only as S3 holds it: checked once more,
    # as they check it, before this exits 0 (the cloudFormation waiter's instance then signals success).
    problem = store.verify_success()
    if problem is not None:
        store.delete([c.SUCCESS])
        raise UploadError(
            f"s3://{settings.bucket}/{settings.prefix} does not match {c.SUCCESS} after publishing: {problem}"
        )
    log.info("%s verified: the prefix holds exactly the objects it lists", c.SUCCESS)
    log.info(
        "published %d files (%d bytes) to s3://%s/%s",
        len(files),
        manifest["total_bytes"],
        settings.bucket,
        settings.prefix,
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Runs the compile job from the environment; returns the process exit code."""
    import boto3

    tail, redactor = configure_logging()
    try:
        settings = Settings.from_env(os.environ)
    except CompileError as error:
        # Without settings there is no bucket to write _FAILURE to; the user data reports it.
        log.error("%s", error)
        return 2
    s3 = boto3.client("s3")
    progress = Progress(
        lambda body: ArtifactStore(s3, settings.bucket, settings.prefix).put_text(c.PROGRESS, body),
        settings.instance_id,
    )
    lock = stack_lock(os.environ, settings, s3)  # one writer per prefix under a CloudFormation stack; else a no-op
    try:
        with lock.held() as compile_here:
            if compile_here:
                run(settings, s3, boto3.client("secretsmanager"), progress, redactor)
        return 0
    except AlreadyEndedError as error:  # its _FAILURE is written: never overwrite the watchdog's reason
        log.error("%s", error)
        return 1
    except BaseException as error:  # noqa: BLE001 - every failure must leave _FAILURE behind
        phase = getattr(error, "phase", "") or progress.phase_name
        if isinstance(error, CompileError):
            reason = str(error)
            log.error("failed in phase %s: %s", phase, reason)
        else:
            reason = f"{type(error).__name__}: {error}"
            log.error("failed in phase %s: %s\n%s", phase, reason, traceback.format_exc())
        reason = redactor.redact(reason)
        try:
            ArtifactStore(s3, settings.bucket, settings.prefix).write_failure(
                reason, phase, settings.instance_id, list(tail.lines)
            )
        except Exception as write_error:  # noqa: BLE001 - already failing; report and exit
            log.error("could not write _FAILURE: %s", write_error)
        return 1
    finally:
        lock.release()  # after _FAILURE: whoever waits on this compile reads its reason
