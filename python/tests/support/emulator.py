"""The AWS emulator for the tests: moto server on 127.0.0.1, with the behaviours moto lacks.

moto never refuses capacity, so `refuse_spot` makes RunInstances with spot market options
fail with EC2's InsufficientInstanceCapacity, the way a region without spot capacity does.
Everything else is moto as published.
"""

from __future__ import annotations

import logging
import socket
from contextlib import closing

import requests
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.instances import InstanceBackend
from moto.server import ThreadedMotoServer


class Faults:
    """Switches for behaviours of real AWS that moto does not have."""

    refuse_spot = False


_run_instances = InstanceBackend.run_instances


def _run_instances_with_capacity(self, *args, **kwargs):
    if Faults.refuse_spot and kwargs.get("instance_market_options") == "spot":
        raise EC2ClientError(
            "InsufficientInstanceCapacity",
            "There is no Spot capacity available that matches your request.",
        )
    return _run_instances(self, *args, **kwargs)


InstanceBackend.run_instances = _run_instances_with_capacity
# One line a request would bury a failing test's output.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """A moto server in this process, reachable by subprocesses (the AWS CLI) too."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> Emulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        Faults.refuse_spot = False

    def env(self) -> dict[str, str]:
        """Environment for the AWS CLI and boto3 pointed at the emulator, with fake credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
