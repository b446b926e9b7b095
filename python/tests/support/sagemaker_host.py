"""What a SageMaker instance of a model would load and answer, without a container runtime.

moto stores SageMaker models but runs no container. This module plays the part of an instance
start, from the model's own description: it materialises the model data as SageMaker does (every
object under the S3Prefix of ModelDataSource, copied to <base>/model, SAGEMAKER_BASE_DIR standing
for /opt/ml), starts the serving stack's Python side as the pinned image does (the real
sagemaker-pytorch-inference toolkit composes PYTHONPATH with ``torchserve._set_python_path``; a
worker process started with that PYTHONPATH and the model's environment, as TorchServe starts its
worker, initialises the toolkit's ``HandlerService`` and handles one request) and returns the
answer and the file the user module was imported from.

What it shows: which code each model's instances import, given what is in S3 at that moment and
the model's environment. What it does not: the Java side of TorchServe, the Neuron runtime (the
transformers-neuronx stand-in is on the worker's path as the image's site-packages are).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[2]
STAND_IN = Path(__file__).resolve().parent / "stand_in"
CONTAINER_BASE = "/opt/ml"


def materialise(s3, s3_uri: str, base: Path) -> Path:
    """Copies every object under an S3Prefix to ``base/model``, as SageMaker does at instance start."""
    bucket, _, prefix = s3_uri.removeprefix("s3://").partition("/")
    model_dir = base / "model"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            target = model_dir / obj["Key"][len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
    return model_dir


def container_environment(environment: dict[str, str], base: Path) -> dict[str, str]:
    """The model's environment with /opt/ml standing at ``base`` (SAGEMAKER_BASE_DIR tells the toolkit)."""
    env = {k: v.replace(CONTAINER_BASE, str(base)) for k, v in environment.items()}
    env["SAGEMAKER_BASE_DIR"] = str(base)
    return env


def start_instance(
    environment: dict[str, str], base: Path, body: dict, extra_env: dict[str, str] | None = None
) -> dict:
    """Starts the serving side on a materialised model directory and sends it one JSON request."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base),
        **container_environment(environment, base),
        **(extra_env or {}),
    }
    # The entrypoint's step: the toolkit composes the worker's PYTHONPATH from the model's.
    composed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from sagemaker_pytorch_serving_container import torchserve; "
            "torchserve._set_python_path(); print(os.environ['PYTHONPATH'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The worker: that PYTHONPATH first, then the image's packages (the Neuron stand-in) and this helper.
    worker_path = os.pathsep.join([composed, str(STAND_IN), str(PYTHON_DIR)])
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.sagemaker_host", str(base / "model"), json.dumps(body)],
        env={**env, "PYTHONPATH": worker_path},
        cwd=str(base),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the worker failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _worker(model_dir: str, body: str) -> None:
    """In the worker process: initialise the toolkit's handler service and handle one request."""
    from sagemaker_pytorch_serving_container.handler_service import HandlerService

    from tests.support.chat_model import Context

    service = HandlerService()
    service.initialize(Context(Path(model_dir), {}))
    context = Context(Path(model_dir), {"Content-Type": "application/json", "Accept": "application/json"})
    answer = service.handle([{"body": body.encode()}], context)[0]
    module = sys.modules.get("inference")
    print(
        json.dumps(
            {
                "status": context.status[0] if context.status else 200,
                "answer": answer,
                "module": getattr(module, "__file__", None),
            }
        )
    )


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
