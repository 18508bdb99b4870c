"""The local ops page: the CloudWatch dashboard's content, from the EMF lines the stack writes.

On AWS, CloudWatch turns the Powertools EMF records in the functions' logs into metrics and
`OpsDashboard` shows them. Locally the gateway writes the same records to its log and the
supervisor to its stdout (the sweeper's own, and the functions process's — workflow tasks,
consumers — relayed into it): `EmfAggregator` reads both,
sums each metric per minute, and `/ops` (HTML) / `/ops.json` show the last minutes, with the
queues' and dead-letter queues' depth read from moto.
"""

from __future__ import annotations

import html
import io
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from .serving import BackgroundServer, serve_in_background

# The dashboard's panels (scripts/cluster_template.py), by the Podium metrics they show.
PANELS: list[tuple[str, tuple[str, ...]]] = [
    ("Tickets and revenue per minute", ("TicketsIssued", "RevenueCents")),
    (
        "Checkout funnel",
        ("HoldsCreated", "CheckoutsStarted", "OrdersCompleted", "CheckoutsFailed", "CheckoutsRefunded"),
    ),
    ("Hold conflicts", ("HoldConflicts", "HoldsExpired")),
    ("Payment failures", ("PaymentFailures", "PaymentWebhooksRejected", "PaidPlacesLost", "LatePaymentsRefunded")),
]


def emf_points(record: dict) -> Iterable[tuple[str, str, float, int]]:
    """(namespace, metric name, value, timestamp ms) of each data point of one EMF record."""
    meta = record.get("_aws")
    if not isinstance(meta, dict):
        return
    timestamp = int(meta.get("Timestamp") or time.time() * 1000)
    for directive in meta.get("CloudWatchMetrics", []):
        for metric in directive.get("Metrics", []):
            name = metric.get("Name")
            values = record.get(name)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    yield directive.get("Namespace", ""), name, float(value), timestamp


@dataclass
class EmfAggregator:
    """Sums of each metric per minute (UTC epoch minute), fed line by line; thread-safe."""

    keep_minutes: int = 180
    _minutes: dict[int, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    namespaces: set[str] = field(default_factory=set)
    records: int = 0

    def feed(self, line: str) -> bool:
        """Take one log line; True if it was an EMF record."""
        line = line.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            return False
        try:
            record = json.loads(line)
        except ValueError:
            return False
        points = list(emf_points(record))
        if not points:
            return False
        with self._lock:
            self.records += 1
            for namespace, name, value, timestamp in points:
                self.namespaces.add(namespace)
                self._minutes[timestamp // 60000][name] += value
            oldest = max(self._minutes) - self.keep_minutes
            for minute in [m for m in self._minutes if m < oldest]:
                del self._minutes[minute]
        return True

    def per_minute(self, minutes: int = 15, now: float | None = None) -> list[dict[str, Any]]:
        """The last `minutes` minutes, oldest first: {"minute": epoch minute, "metrics": {name: sum}}."""
        current = int((now if now is not None else time.time()) // 60)
        with self._lock:
            return [
                {"minute": m, "metrics": dict(self._minutes.get(m, {}))}
                for m in range(current - minutes + 1, current + 1)
            ]

    def totals(self, minutes: int = 15, now: float | None = None) -> dict[str, float]:
        result: dict[str, float] = defaultdict(float)
        for bucket in self.per_minute(minutes, now):
            for name, value in bucket["metrics"].items():
                result[name] += value
        return dict(result)


class EmfTee(io.TextIOBase):
    """A stdout that passes everything on and feeds each complete line to the aggregator."""

    def __init__(self, target, aggregator: EmfAggregator):
        self.target, self.aggregator, self._partial = target, aggregator, ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        for line in lines:
            self.aggregator.feed(line)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.target.fileno()


def follow(path: Path, aggregator: EmfAggregator, stopping: threading.Event, interval: float = 0.5) -> threading.Thread:
    """Feed the lines appended to `path` (from its current end) to the aggregator, on a daemon thread."""

    def run() -> None:
        position = path.stat().st_size if path.exists() else 0
        partial = b""
        while not stopping.is_set():
            try:
                with open(path, "rb") as log:
                    if path.stat().st_size < position:
                        position = 0  # truncated
                    log.seek(position)
                    chunk = log.read()
                    position = log.tell()
            except FileNotFoundError:
                chunk = b""
            if chunk:
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                for line in lines:
                    aggregator.feed(line.decode("utf-8", "replace"))
            stopping.wait(interval)

    thread = threading.Thread(target=run, name=f"ops-follow-{path.name}", daemon=True)
    thread.start()
    return thread


def _minute_label(minute: int) -> str:
    return time.strftime("%H:%M", time.localtime(minute * 60))


def ops_app(
    aggregator: EmfAggregator, queue_depths: Callable[[], dict[str, int]] | None = None, minutes: int = 15
) -> Callable:
    """WSGI app: `/ops` (HTML, refreshes itself) and `/ops.json`."""

    def snapshot() -> dict[str, Any]:
        buckets = aggregator.per_minute(minutes)
        try:
            depths = queue_depths() if queue_depths else {}
        except Exception as error:  # moto busy or stopping: the page still shows the metrics
            depths = {"error": str(error)}
        return {
            "minutes": buckets,
            "totals": aggregator.totals(minutes),
            "queues": depths,
            "panels": [{"title": t, "metrics": list(m)} for t, m in PANELS],
            "records": aggregator.records,
        }

    def page(data: dict[str, Any]) -> str:
        buckets = data["minutes"]
        head = "".join(f"<th>{_minute_label(b['minute'])}</th>" for b in buckets)
        sections = []
        shown = set()
        panels = list(PANELS)
        others = sorted({n for b in buckets for n in b["metrics"]} - {n for _, ns in PANELS for n in ns})
        if others:
            panels.append(("Other metrics", tuple(others)))
        for title, names in panels:
            rows = []
            for name in names:
                shown.add(name)
                cells = "".join(f"<td>{_fmt(b['metrics'].get(name))}</td>" for b in buckets)
                rows.append(
                    f"<tr><th scope=row>{html.escape(name)}</th>{cells}"
                    f"<td class=total>{_fmt(data['totals'].get(name))}</td></tr>"
                )
            sections.append(
                f"<h2>{html.escape(title)}</h2><table><tr><th>metric</th>{head}<th>total</th></tr>"
                f"{''.join(rows)}</table>"
            )
        queues = data["queues"]
        queue_rows = "".join(
            f"<tr><th scope=row>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in queues.items()
        )
        sections.append(f"<h2>Queue and dead-letter queue depth (now)</h2><table>{queue_rows}</table>")
        return (
            "<!doctype html><html lang=en><meta charset=utf-8><meta http-equiv=refresh content=10>"
            "<title>Podium ops</title><style>body{font:14px system-ui;margin:1.5em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
            "th[scope=row]{text-align:left}.total{font-weight:bold}</style>"
            f"<h1>Podium ops: the dashboard's metrics, per minute (last {minutes} min)</h1>"
            f"<p>From the EMF lines of the gateway and the supervisor ({data['records']} records). "
            "On AWS: the CloudWatch dashboard and docs/metrics.md.</p>" + "".join(sections)
        )

    def app(environ, start_response):
        request = Request(environ)
        if request.path in ("/ops.json",):
            response = Response(json.dumps(snapshot()), mimetype="application/json")
        elif request.path in ("/", "/ops"):
            response = Response(page(snapshot()), mimetype="text/html")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    return app


def _fmt(value: float | None) -> str:
    if not value:
        return ""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


@dataclass
class OpsPage:
    aggregator: EmfAggregator
    server: BackgroundServer
    _stopping: threading.Event
    _stdout: Any = None

    @property
    def url(self) -> str:
        return f"{self.server.url}/ops"

    def stop(self) -> None:
        self._stopping.set()
        if self._stdout is not None and isinstance(sys.stdout, EmfTee):
            sys.stdout = self._stdout
        self.server.stop()


def start_ops_page(
    host: str, port: int, gateway_log: Path | None, queue_depths: Callable[[], dict[str, int]] | None = None
) -> OpsPage:
    """Capture the supervisor's stdout and follow the gateway's log; serve the ops page."""
    aggregator = EmfAggregator()
    stopping = threading.Event()
    original = sys.stdout
    sys.stdout = EmfTee(original, aggregator)
    if gateway_log is not None:
        follow(Path(gateway_log), aggregator, stopping)
    server, thread = serve_in_background(ops_app(aggregator, queue_depths), host, port, "ops")
    return OpsPage(aggregator, BackgroundServer(host, server.server_port, server, thread), stopping, original)
