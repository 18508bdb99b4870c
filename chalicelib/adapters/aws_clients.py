"""boto3 clients, one per service and endpoint per process (Lambda reuses them across invocations).

`AWS_ENDPOINT_URL` sends them to moto locally; on AWS it is unset and they reach the real services.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from ..settings import get_settings

_clients: dict[tuple[str, str | None, str], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
    key = (service, endpoint, region)
    with _lock:  # boto3's client creation is not thread-safe
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                service,
                endpoint_url=endpoint,
                region_name=region,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 4},
                    max_pool_connections=get_settings().connection_pool_size,
                ),
            )
        return _clients[key]
