"""The embedded stack: everything Podium needs, on 127.0.0.1, with no AWS account.

One supervisor process runs moto's server (behind its global lock), the local stand-ins
(payments, UiT, outbox) and the local workers (the hold sweeper, the snapshotter); the Chalice
local gateway and the local Lambda service (the workflows' task functions and the queue
consumers, `functions.py`) run as child processes so that API work, task work and moto's work
spread over the cores. `chalicelib/` sees only endpoints and
credentials: the environment is the one CloudFormation gives the functions on AWS.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from . import access, background, resources, snapshot, workflows
from .consumers import remote_consumers, start_consumers
from .functions import REFS_VARIABLE, RETRY_VARIABLE, app_functions
from .lambda_context import LocalLambdaContext
from .motoserver import start_moto_server
from .ops import start_ops_page
from .outbox import start_outbox, unwatch_erasures, verify_sender, watch_erasures
from .payments import start_payment_provider
from .uit import start_uit_servers

ROOT = resources.ROOT


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def stage_config_environment(stage: str) -> dict[str, str]:
    """The environment `.chalice/config.json` gives a stage (what Chalice sets on every function)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {
        **config.get("environment_variables", {}),
        **config.get("stages", {}).get(stage, {}).get("environment_variables", {}),
    }


# Rate limits for the test suite and the benchmarks: off. Every local buyer (a benchmark's thousands too)
# comes from 127.0.0.1, so a per-address limit would throttle the whole load as one client; the tests that are
# about limits (tests/integration/test_rate_limits.py) spawn gateways with their own.
NO_RATE_LIMITS = {
    "RATE_LIMIT_PER_ADDRESS": "0",
    "RATE_LIMIT_PER_SESSION": "0",
    "RATE_LIMIT_CODES_PER_ADDRESS": "0",
    "RATE_LIMIT_CODES_PER_SESSION": "0",
}


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"{' '.join(map(str, process.args[:3]))} exited with {process.returncode} before listening"
            )
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
    consumer_retry_delay: int = 1  # seconds before a failed SQS record is seen again (AWS: the queue's visibility)
    ops_port: int = 0  # the local ops page (/ops)
    access_log: Path | None = None  # every function's AWS calls, for the least-privilege check (access.py)
    staff_key_days: float = float(os.environ.get("PODIUM_STAFF_KEY_DAYS", "30"))  # the local issuer's key age
    # The workflows' task functions and the queue consumers in a process of their own (functions.py), as
    # Lambda runs them apart from the database; False runs them in this process.
    functions_process: bool = True
    # The public writes' and typed codes' rate limits (settings.py's variables); scripts/run switches them on.
    # Not in .chalice/config.json: `chalice local` would put a stage's values over a test gateway's own.
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(NO_RATE_LIMITS))

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.snapshot_path = self.state_dir / "state" / f"{self.stage}.json"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.gateway: subprocess.Popen | None = None
        self.functions: subprocess.Popen | None = None
        self.restored_items = 0
        self.startup_seconds = 0.0

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> EmbeddedStack:
        began = time.monotonic()
        self._local_credentials()
        if self.access_log:
            access.install(self.access_log)
        self.moto = start_moto_server(self.host, self.moto_port)
        os.environ["AWS_ENDPOINT_URL"] = self.moto.url
        # Chalice's local gateway serves requests on threads of one process, which share each AWS client.
        os.environ.setdefault("CONNECTION_POOL_SIZE", "64")
        if self.fresh and self.snapshot_path.exists():
            self.snapshot_path.unlink()
        saved = snapshot.load_extra(self.snapshot_path)
        self.secret_values = saved.get("secrets", {})
        if "StaffTokenSecret" in self.secret_values and self.staff_key_days > 0:
            # The local issuer's keys rotate by their configured age; tokens of the previous key still verify.
            from datetime import datetime, timedelta

            from chalicelib.web.auth import rotate_if_due

            self.secret_values["StaffTokenSecret"] = rotate_if_due(
                self.secret_values["StaffTokenSecret"], datetime.now(UTC), timedelta(days=self.staff_key_days)
            )
        # The local payment provider plays Stripe; its keys sit in Secrets Manager as Stripe's do on AWS.
        self.secret_values.setdefault(
            "PaymentSecret",
            json.dumps(
                {"api_key": "sk_test_" + secrets.token_hex(12), "webhook_secret": "whsec_" + secrets.token_hex(16)}
            ),
        )
        payment_keys = json.loads(self.secret_values["PaymentSecret"])
        # publiq's and the exchange platform's stand-ins; their credentials sit in Secrets Manager as on AWS.
        self.secret_values.setdefault(
            "PubliqSecret",
            json.dumps({"client_id": "podium-" + secrets.token_hex(4), "client_secret": secrets.token_urlsafe(24)}),
        )
        self.secret_values.setdefault(
            "ExchangeSecret",
            json.dumps({"api_key": secrets.token_urlsafe(24), "pseudonym_key": secrets.token_urlsafe(48)}),
        )
        publiq_keys = json.loads(self.secret_values["PubliqSecret"])
        self.uit = start_uit_servers(
            self.host,
            client_id=publiq_keys["client_id"],
            client_secret=publiq_keys["client_secret"],
            exchange_api_key=json.loads(self.secret_values["ExchangeSecret"])["api_key"],
        )
        if not self.api_port:
            self.api_port = free_port(self.host)
        self.payments = start_payment_provider(
            self.host, 0, webhook_url=f"{self.api_url}/webhooks/stripe", webhook_secret=payment_keys["webhook_secret"]
        )
        self.refs = resources.create_resources(self.moto.url, self.stage, self.secret_values)
        self.environment = {
            **stage_config_environment(self.stage),
            **resources.function_environment(self.refs),
            "PAYMENT_API_BASE": self.payments.url,
            # The pay page's browser reaches the provider as it reaches Stripe: its Stripe.js, its API.
            "PAYMENT_PUBLISHABLE_KEY": "pk_test_" + secrets.token_hex(12),
            "STRIPE_JS_URL": f"{self.payments.url}/v3/",
            "STRIPE_API_URL": self.payments.url,
            "PODIUM_PUBLIC_BASE_URL": self.api_url,
            "PUBLIQ_AUTH_URL": self.uit.auth.url,
            "UITDATABANK_URL": self.uit.uitdatabank.url,
            "UITPAS_URL": self.uit.uitpas.url,
            "EXCHANGE_URL": self.uit.exchange.url,
            **self.rate_limits,
        }
        # SES sends only from verified senders; locally every message lands in the outbox.
        verify_sender(self.moto.url, self.environment.get("PODIUM_MAIL_FROM", "tickets@podium.local"))
        self.outbox = start_outbox(self.host, 0)
        watch_erasures(self.refs["CustomerTable"])  # a buyer's erasure reaches the outbox's copies too
        os.environ.update(self.environment)
        self.restored_items = snapshot.restore(self._dynamodb(), self.snapshot_path)
        from app import app  # late: the app reads the environment set just above

        self.refs.update(workflows.setup(self.moto.url, self.stage, app, self.refs))
        functions_port = free_port(self.host) if self.functions_process else 0
        if functions_port:  # started first: it imports the app while the gateway does the same
            self.functions = self._spawn_functions(functions_port)
        else:
            self.consumers = start_consumers(app, self.refs, self.stage, self.moto.url, self.consumer_retry_delay)
        self._start_gateway()
        if functions_port:
            wait_for_port(self.host, functions_port, timeout=60, process=self.functions)
            functions_url = f"http://{self.host}:{functions_port}"
            workflows.dispatcher.serve_remotely(functions_url, app_functions(app, self.stage))
            self.consumers = remote_consumers(app, self.refs, self.moto.url, functions_url)
        # The dashboard's metrics come from the EMF lines (stdout, gateway log).
        self.ops = start_ops_page(self.host, self.ops_port, self.gateway_log, self.queue_depths)
        self._every(self.sweep_interval, self.sweep)
        self._every(self.snapshot_interval, self.save)
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if getattr(self, "consumers", None):
            self.consumers.stop()
        workflows.dispatcher.serve_remotely(None)
        for child in (self.gateway, self.functions):
            if child and child.poll() is None:
                child.terminate()  # it holds no state of its own; SIGINT left it running until the timeout
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        try:
            self.save()
        finally:
            if getattr(self, "ops", None):
                self.ops.stop()
            self.payments.stop()
            self.uit.stop()
            self.outbox.stop()
            unwatch_erasures(self.refs["CustomerTable"])
            self.moto.stop()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- parts ----------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def _local_credentials(self) -> None:
        # Fake credentials: moto accepts any, and nothing may ever reach a real account.
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": resources.REGION,
            "AWS_REGION": resources.REGION,
        }.items():
            os.environ[name] = value
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)

    def _dynamodb(self):
        return resources.client("dynamodb", self.moto.url)

    def gateway_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.environment)
        env.update(
            {
                "PODIUM_STAGE": self.stage,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_DEV": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.access_log:
            env["PODIUM_ACCESS_LOG"] = str(self.access_log)
        env.update(self.extra_env)
        return env

    def _start_gateway(self) -> None:
        if not self.api_port:
            self.api_port = free_port(self.host)
        self.gateway = self.spawn_gateway(self.api_port)

    def spawn_gateway(self, port: int, **extra_env: str) -> subprocess.Popen:
        """Start a Chalice local gateway on `port` against this stack's moto (tests add variants)."""
        env = self.gateway_environment()
        env.update(extra_env)
        # The child keeps its own handle on the log: the parent's is closed once the gateway runs.
        with contextlib.ExitStack() as files:
            log = files.enter_context(open(self.gateway_log, "ab")) if self.gateway_log else subprocess.DEVNULL
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scripts.embedded.gateway",
                    "--stage",
                    self.stage,
                    "--host",
                    self.host,
                    "--port",
                    str(port),
                    "--no-autoreload",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # Ctrl-C reaches the supervisor, which stops the gateway in order
        wait_for_port(self.host, port, timeout=60, process=process)
        return process

    def _spawn_functions(self, port: int) -> subprocess.Popen:
        """The local Lambda service (task functions and queue consumers); what it prints goes on through this
        process's stdout and stderr (ops page, logs)."""
        env = {
            **self.gateway_environment(),
            REFS_VARIABLE: json.dumps(self.refs),
            RETRY_VARIABLE: str(self.consumer_retry_delay),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.embedded.functions",
                "--stage",
                self.stage,
                "--host",
                self.host,
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            text=True,
            bufsize=1,
        )

        def relay(source, name: str) -> None:
            for line in source:  # looked up per line: the ops page's tee may replace stdout later
                getattr(sys, name).write(line)

        for source, name in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            threading.Thread(target=relay, args=(source, name), name=f"functions-{name}", daemon=True).start()
        return process

    def _every(self, interval: float, work) -> None:
        def loop() -> None:
            while not self._stopping.wait(interval):
                try:
                    with background.work():  # scheduled work: it may wait for the buyers' requests
                        work()
                except Exception as error:  # a failed round is retried next interval
                    print(f"[stack] {work.__name__} failed: {error}", file=sys.stderr)

        if interval > 0:
            thread = threading.Thread(target=loop, name=f"local-{work.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def sweep(self) -> dict:
        """Run the scheduled sweeper the way EventBridge would on AWS."""
        import uuid
        from datetime import datetime

        from chalicelib.tasks.maintenance import sweep_expired_holds  # late: needs the environment set

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "region": resources.REGION,
            "resources": [],
            "detail": {},
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with access.acting_as("SweepExpiredHolds"):
            return sweep_expired_holds(
                event, LocalLambdaContext(resources.physical_name(self.stage, "SweepExpiredHolds"))
            )

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting in each queue of the template (the dashboard's queue and DLQ depth panels)."""
        sqs = resources.client("sqs", self.moto.url)
        depths = {}
        for logical_id, resource in resources.load_template()["Resources"].items():
            if resource.get("Type") == "AWS::SQS::Queue" and logical_id in self.refs:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=self.refs[logical_id], AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                depths[logical_id] = int(attributes["ApproximateNumberOfMessages"])
        return depths

    def save(self) -> int:
        extra = {"secrets": self.secret_values}
        return snapshot.save(self._dynamodb(), resources.table_names(self.refs), self.snapshot_path, extra)
