"""The embedded stack: everything Podium needs, on 127.0.0.1, with no AWS account.

One supervisor process runs moto's server (behind its global lock) and the local workers
(the hold sweeper, the snapshotter); the Chalice local gateway runs as a child process so
that API work and moto's work use both cores. `chalicelib/` sees only endpoints and
credentials: the environment is the one CloudFormation gives the functions on AWS.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import resources, snapshot, workflows
from .motoserver import start_moto_server
from .payments import start_payment_provider

ROOT = resources.ROOT


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def stage_config_environment(stage: str) -> dict[str, str]:
    """The environment `.chalice/config.json` gives a stage (what Chalice sets on every function)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}),
            **config.get("stages", {}).get(stage, {}).get("environment_variables", {})}


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


@dataclass
class EmbeddedStack:
    stage: str = "demo"
    host: str = "127.0.0.1"
    moto_port: int = 0
    api_port: int = 0
    state_dir: Path = ROOT / ".local"
    fresh: bool = False
    sweep_interval: float = 60.0
    snapshot_interval: float = 30.0
    gateway_log: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.snapshot_path = self.state_dir / "state" / f"{self.stage}.json"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.gateway: subprocess.Popen | None = None
        self.restored_items = 0
        self.startup_seconds = 0.0

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "EmbeddedStack":
        began = time.monotonic()
        self._local_credentials()
        self.moto = start_moto_server(self.host, self.moto_port)
        os.environ["AWS_ENDPOINT_URL"] = self.moto.url
        if self.fresh and self.snapshot_path.exists():
            self.snapshot_path.unlink()
        saved = snapshot.load_extra(self.snapshot_path)
        self.secret_values = saved.get("secrets", {})
        # The local payment provider plays Stripe; its keys sit in Secrets Manager as Stripe's do on AWS.
        self.secret_values.setdefault("PaymentSecret", json.dumps(
            {"api_key": "sk_test_" + secrets.token_hex(12), "webhook_secret": "whsec_" + secrets.token_hex(16)}))
        payment_keys = json.loads(self.secret_values["PaymentSecret"])
        if not self.api_port:
            self.api_port = free_port(self.host)
        self.payments = start_payment_provider(self.host, 0, webhook_url=f"{self.api_url}/webhooks/stripe",
                                               webhook_secret=payment_keys["webhook_secret"])
        self.refs = resources.create_resources(self.moto.url, self.stage, self.secret_values)
        self.environment = {**stage_config_environment(self.stage), **resources.function_environment(self.refs),
                            "PAYMENT_API_BASE": self.payments.url}
        os.environ.update(self.environment)
        self.restored_items = snapshot.restore(self._dynamodb(), self.snapshot_path)
        from app import app  # late: the app reads the environment set just above

        self.refs.update(workflows.setup(self.moto.url, self.stage, app, self.refs))
        self._start_gateway()
        self._every(self.sweep_interval, self.sweep)
        self._every(self.snapshot_interval, self.save)
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self.gateway and self.gateway.poll() is None:
            self.gateway.terminate()  # it holds no state of its own; SIGINT left it running until the timeout
            try:
                self.gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.gateway.kill()
        try:
            self.save()
        finally:
            self.payments.stop()
            self.moto.stop()

    def __enter__(self) -> "EmbeddedStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- parts ----------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def _local_credentials(self) -> None:
        # Fake credentials: moto accepts any, and nothing may ever reach a real account.
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": resources.REGION, "AWS_REGION": resources.REGION}.items():
            os.environ[name] = value
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)

    def _dynamodb(self):
        return resources.client("dynamodb", self.moto.url)

    def gateway_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.environment)
        env.update({"PODIUM_STAGE": self.stage, "POWERTOOLS_TRACE_DISABLED": "true",
                    "POWERTOOLS_DEV": "false", "PYTHONUNBUFFERED": "1"})
        env.update(self.extra_env)
        return env

    def _start_gateway(self) -> None:
        if not self.api_port:
            self.api_port = free_port(self.host)
        self.gateway = self.spawn_gateway(self.api_port)

    def spawn_gateway(self, port: int, **extra_env: str) -> subprocess.Popen:
        """Start a Chalice local gateway on `port` against this stack's moto (tests add variants)."""
        log = open(self.gateway_log, "ab") if self.gateway_log else subprocess.DEVNULL
        env = self.gateway_environment()
        env.update(extra_env)
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.embedded.gateway", "--stage", self.stage, "--host", self.host,
             "--port", str(port), "--no-autoreload"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # Ctrl-C reaches the supervisor, which stops the gateway in order
        wait_for_port(self.host, port, timeout=60, process=process)
        return process

    def _every(self, interval: float, work) -> None:
        def loop() -> None:
            while not self._stopping.wait(interval):
                try:
                    work()
                except Exception as error:  # a failed round is retried next interval
                    print(f"[stack] {work.__name__} failed: {error}", file=sys.stderr)

        if interval > 0:
            thread = threading.Thread(target=loop, name=f"local-{work.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def sweep(self) -> dict:
        """Run the scheduled sweeper the way EventBridge would on AWS."""
        from chalicelib.api.maintenance import sweep_expired_holds  # late: needs the environment set

        from datetime import datetime, timezone
        import uuid

        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "region": resources.REGION, "resources": [], "detail": {},
                 "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return sweep_expired_holds(event, LocalLambdaContext(resources.physical_name(self.stage, "SweepExpiredHolds")))

    def save(self) -> int:
        extra = {"secrets": self.secret_values}
        return snapshot.save(self._dynamodb(), resources.table_names(self.refs), self.snapshot_path, extra)


class LocalLambdaContext:
    """What Lambda passes as `context`, for handlers the local runner calls in-process."""

    def __init__(self, function_name: str, timeout_seconds: int = 60):
        import uuid

        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{resources.REGION}:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
