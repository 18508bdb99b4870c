"""moto with the local AWS's patches, served from this process on a free port of 127.0.0.1."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config
from werkzeug.serving import make_server

from scripts.localaws import patches
from scripts.localaws.server import LockedMotoApp, QuietMotoRequestHandler

REGION = "eu-west-1"


@pytest.fixture(scope="package")
def moto_url():
    patches.apply()
    server = make_server("127.0.0.1", 0, LockedMotoApp(), threaded=True, request_handler=QuietMotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def client(moto_url):
    def make(service: str):
        return boto3.client(
            service,
            endpoint_url=moto_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )

    return make
