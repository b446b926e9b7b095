"""``python3 -m neuronx_compile.verify``: after the compile, whether ``_SUCCESS`` matches S3.

Run by the user data of an instance that a CloudFormation stack owns (the cloudFormation waiter),
before it signals the stack's wait condition SUCCESS: the stack's success means what the local-exec
waiter's does, a ``_SUCCESS`` that S3 holds exactly. On a mismatch it writes ``_FAILURE`` with the
reason (the user data then signals FAILURE with it) and exits 1.
"""

from __future__ import annotations

import os
import sys

import boto3

from . import constants as c
from .store import ArtifactStore


def main() -> int:
    store = ArtifactStore(boto3.client("s3"), os.environ[c.BUCKET_ENV], os.environ[c.PREFIX_ENV])
    problem = store.verify_success()
    if problem is None:
        print(f"{c.SUCCESS} verified: s3://{store.bucket}/{store.prefix} holds exactly the objects it lists")
        return 0
    reason = f"the artifacts do not match {c.SUCCESS}: {problem}"
    print(reason, file=sys.stderr)
    store.write_failure(reason, "verify", os.environ.get(c.INSTANCE_ID_ENV, "unknown"), [])
    return 1


if __name__ == "__main__":
    sys.exit(main())
