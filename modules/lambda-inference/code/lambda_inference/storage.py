"""Where the model directory is: copied from S3 to ephemeral storage at start, or a directory on
EFS or in the container image."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

from chat_contract.errors import ModelLoadError

from . import constants as c

log = logging.getLogger(__name__)


def model_directory(env: Mapping[str, str] = os.environ, local_dir: str | None = None) -> Path:
    """The model directory, with every file the function needs, or a ModelLoadError saying what is missing."""
    source = env.get(c.ENV["source"])
    if source == "s3":
        directory = _copy_from_s3(env[c.ENV["bucket"]], env[c.ENV["prefix"]], Path(local_dir or c.LOCAL_MODEL_DIR))
    elif source in ("efs", "image"):
        directory = Path(env[c.ENV["directory"]])
    else:
        raise ModelLoadError(
            f"{c.ENV['source']} must be one of {', '.join(c.SOURCES)}, got {source!r}; the construct sets it"
        )
    missing = [name for name in c.REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        where = f"s3://{env[c.ENV['bucket']]}/{env[c.ENV['prefix']]}" if source == "s3" else str(directory)
        raise ModelLoadError(f"the model directory {where} lacks {', '.join(missing)}")
    return directory


def _copy_from_s3(bucket: str, prefix: str, target: Path) -> Path:
    """Copies every object under the prefix once per execution environment (and once per snapshot with SnapStart)."""
    import boto3  # in every Lambda Python runtime

    if (target / c.COMPLETE_MARKER).exists():
        return target
    started = time.monotonic()
    s3 = boto3.client("s3")
    count = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(prefix) :]
            if not relative or relative.endswith("/"):
                continue
            destination = (target / relative).resolve()
            if target.resolve() not in destination.parents:
                raise ModelLoadError(f"s3://{bucket}/{obj['Key']} would land outside {target}; rename it")
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(destination))
            count, size = count + 1, size + obj["Size"]
    if count == 0:
        raise ModelLoadError(f"s3://{bucket}/{prefix} holds no objects; upload the model directory there")
    (target / c.COMPLETE_MARKER).write_text(f"{count} files, {size} bytes\n")
    log.info(
        "copied %d files (%d bytes) from s3://%s/%s in %.1f s", count, size, bucket, prefix, time.monotonic() - started
    )
    return target
