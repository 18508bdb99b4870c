"""`scripts/bench checkout`: paid orders end to end, and the AWS calls one order costs, counted.

Starts its own fresh embedded stack (nothing of `.local/` is touched) whose moto server counts
every request it serves, creates two houses through the staff API (a seated hall at one, a
standing venue at the other), then `--concurrency` buyers run `--orders` orders, each spanning
both houses: session, 1-2 best-available seats at house A, 1-2 standing places at house B,
cart, both holds in it, checkout, poll until awaiting payment, pay with the real `stripe`
library (`pm_card_visa`) at the local provider, poll until the tickets are issued (or the order
failed / was refunded). Bounded by order count, `--max-seconds` and a per-order timeout; it
stops by itself and prints progress every `--progress-seconds`.

What it counts, all in this process:
- every request moto serves (service and action from the SigV4 scope and `X-Amz-Target` /
  `Action`), whoever sent it: the gateway process, the workflow's Lambda handlers, moto's own
  Step Functions interpreter. The benchmark's own look-ups use another access key and are not
  counted;
- DynamoDB capacity from item sizes (see `DynamoDBMeter`), Step Functions state transitions
  from the executions' histories, Lambda invocations from the local dispatcher (plus one
  API handler invocation per API Gateway request), API requests the buyers make plus the
  provider's webhook deliveries.
Then prices them with `chalicelib.domain.costs`. Prints JSON and a Markdown row.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import io
import json
import math
import multiprocessing
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import psutil
import requests

from chalicelib.domain import costs
from scripts.localaws import patches
from scripts.localaws.server import LockedMotoApp

from . import demo_seatmaps, motoserver, resources
from . import stack as stack_module
from .bench import percentile
from .stack import EmbeddedStack

OBSERVER_KEY = "benchobserver"  # the benchmark's own calls to moto: not counted
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")
LAMBDA_MB_PER_VCPU = 1769  # Lambda gives a function one vCPU's worth of CPU at 1,769 MB


# --------------------------------------------------------------------------------------------
# Counting what moto serves
# --------------------------------------------------------------------------------------------


def _size(item: dict | None) -> int:
    return costs.item_size(item) if item else 0


class DynamoDBMeter:
    """Capacity units of DynamoDB requests, from the sizes of the items they touch.

    Runs under moto's global lock (it wraps the app inside `LockedMotoApp`), so it can read the
    stored items before and after a request without racing other requests.
    - A write costs `ceil(KB)` WRU of the larger of the item before and after (and of the `Put`
      request's item), at least 1; doubled inside TransactWriteItems. A write whose condition
      failed (or whose transaction was cancelled) is charged like one that succeeded, as DynamoDB
      does. Each global secondary index the item is (or was) in adds a standard write of the
      projected item when the item changed (two when its index key changed).
    - A read costs `ceil(size / 4 KB)` RRU, at least 1, for GetItem and each key of BatchGetItem
      (the full stored item, whatever the projection), halved when eventually consistent,
      doubled in TransactGetItems. A Query or Scan costs that rule applied to the SUM of the
      items it returns, each at its full stored size when its key can be found (projections do
      not make reads cheaper); items a filter dropped are not seen (Podium's queries filter
      nothing).
    """

    WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    READS = {"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"}

    def __init__(self) -> None:
        self.write_units: Counter = Counter()  # (table, operation) -> WRU (base table)
        self.index_write_units: Counter = Counter()  # (table, operation) -> WRU (GSIs)
        self.read_units: Counter = Counter()  # (table, operation) -> RRU (Decimal)
        self.requests_by_kind: Counter = Counter()  # "operation PK-prefix/SK-prefix" -> requests (or actions)

    def count_kinds(self, operation: str, request: dict) -> None:
        """What kind of item each request (or transaction action) addresses, by key prefixes."""

        def kind(key: dict | None) -> str:
            parts = [str(next(iter((key or {}).get(name, {"": "?"}).values()))).split("#")[0] for name in ("PK", "SK")]
            return "/".join(parts)

        if operation in ("GetItem", "UpdateItem", "DeleteItem"):
            kinds = [kind(request.get("Key"))]
        elif operation == "PutItem":
            kinds = [kind(request.get("Item"))]
        elif operation == "TransactWriteItems":
            kinds = [
                f"{name}:" + kind(body.get("Key") or body.get("Item"))
                for action in request.get("TransactItems", [])
                for name, body in action.items()
            ]
        elif operation == "Query":
            values = request.get("ExpressionAttributeValues", {})
            first = next(iter(values.values()), {"": "?"}) if values else {"": "?"}
            kinds = [(request.get("IndexName") or "table") + ":" + str(next(iter(first.values()))).split("#")[0]]
        else:
            kinds = [""]
        for name in kinds:
            self.requests_by_kind[f"{operation} {name}".strip()] += 1

    @staticmethod
    def backend(region: str):
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]

    # -- writes
    def writes_of(self, backend, operation: str, request: dict) -> list[tuple]:
        """(table, key, request item or None, transactional) of every item the request writes."""
        targets: list[tuple] = []
        if operation == "PutItem":
            targets.append(
                (
                    request["TableName"],
                    self._key(backend, request["TableName"], request["Item"]),
                    request["Item"],
                    False,
                )
            )
        elif operation in ("UpdateItem", "DeleteItem"):
            targets.append((request["TableName"], request["Key"], None, False))
        elif operation == "BatchWriteItem":
            for table, writes in request.get("RequestItems", {}).items():
                for write in writes:
                    if "PutRequest" in write:
                        item = write["PutRequest"]["Item"]
                        targets.append((table, self._key(backend, table, item), item, False))
                    else:
                        targets.append((table, write["DeleteRequest"]["Key"], None, False))
        elif operation == "TransactWriteItems":
            for action in request.get("TransactItems", []):
                ((kind, body),) = action.items()
                if kind == "Put":
                    targets.append(
                        (body["TableName"], self._key(backend, body["TableName"], body["Item"]), body["Item"], True)
                    )
                elif kind in ("Update", "Delete"):
                    targets.append((body["TableName"], body["Key"], None, True))
                # ConditionCheck: a transactional read; Podium uses none (counted as a write of 0 if it did)
        return targets

    @staticmethod
    def _key(backend, table_name: str, item: dict) -> dict:
        try:
            table = backend.get_table(table_name)
        except Exception:
            return {}
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {name: item[name] for name in names if name in item}

    @staticmethod
    def stored(backend, table_name: str, key: dict) -> dict | None:
        try:
            item = backend.get_item(table_name, key)
        except Exception:
            return None
        return item.to_json()["Attributes"] if item is not None else None

    def state(self, backend, table_name: str, key: dict) -> tuple[int, str, list]:
        """(size, fingerprint, [(index key or None, projected size) per GSI]) of a stored item."""
        item = self.stored(backend, table_name, key)
        indexes = []
        try:
            table = backend.get_table(table_name)
            gsis = list(table.global_indexes or [])
            table_keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        except Exception:
            gsis, table_keys = [], []
        for index in gsis:
            names = [entry["AttributeName"] for entry in index.schema]
            if not item or not all(name in item for name in names):
                indexes.append((None, 0))
                continue
            projection = (index.projection or {}).get("ProjectionType", "ALL")
            if projection == "ALL":
                projected = item
            else:
                keep = set(table_keys + names) | set((index.projection or {}).get("NonKeyAttributes", []))
                projected = {name: value for name, value in item.items() if name in keep}
            indexes.append((json.dumps([item[name] for name in names], sort_keys=True, default=repr), _size(projected)))
        return _size(item), json.dumps(item, sort_keys=True, default=repr) if item else "", indexes

    def charge_writes(self, operation: str, targets: list[tuple], before: list[tuple], after: list[tuple]) -> None:
        for (table, _key, put_item, transactional), old, new in zip(targets, before, after):
            size = max(old[0], new[0], _size(put_item))
            self.write_units[(table, operation)] += costs.write_units(size, transactional)
            if old[1] == new[1]:
                continue  # nothing changed (a failed condition): no index is written
            for (old_key, old_size), (new_key, new_size) in zip(old[2], new[2]):
                if old_key is None and new_key is None:
                    continue
                if old_key is not None and new_key is not None and old_key == new_key:
                    units = costs.write_units(max(old_size, new_size))
                else:  # put into, taken out of, or moved within the index
                    units = sum(
                        costs.write_units(s) for k, s in ((old_key, old_size), (new_key, new_size)) if k is not None
                    )
                self.index_write_units[(table, operation)] += units

    # -- reads
    def charge_reads(self, backend, operation: str, request: dict, response: dict) -> None:
        if operation == "GetItem":
            size = _size(self.stored(backend, request["TableName"], request["Key"]))
            self.read_units[(request["TableName"], operation)] += costs.read_units(
                size, "strong" if request.get("ConsistentRead") else "eventual"
            )
        elif operation == "BatchGetItem":
            for table, wanted in request.get("RequestItems", {}).items():
                consistency = "strong" if wanted.get("ConsistentRead") else "eventual"
                for key in wanted.get("Keys", []):
                    self.read_units[(table, operation)] += costs.read_units(
                        _size(self.stored(backend, table, key)), consistency
                    )
        elif operation == "TransactGetItems":
            for action in request.get("TransactItems", []):
                get = action["Get"]
                self.read_units[(get["TableName"], operation)] += costs.read_units(
                    _size(self.stored(backend, get["TableName"], get["Key"])), "transactional"
                )
        elif operation in ("Query", "Scan"):
            table = request["TableName"]
            hash_value = self._hash_value(backend, request)
            total = sum(self._full_size(backend, table, item, hash_value) for item in response.get("Items", []))
            consistency = "strong" if request.get("ConsistentRead") else "eventual"
            self.read_units[(table, operation)] += costs.read_units(total, consistency)

    @staticmethod
    def _hash_value(backend, request: dict) -> dict | None:
        """The base table's partition key value of a Query on the base table (from its key condition)."""
        if request.get("IndexName") or "KeyConditionExpression" not in request:
            return None
        try:
            hash_name = backend.get_table(request["TableName"]).hash_key_attr
        except Exception:
            return None
        names = request.get("ExpressionAttributeNames", {})
        for name, placeholder in re.findall(r"(#?[\w]+)\s*=\s*(:[\w]+)", request["KeyConditionExpression"]):
            if names.get(name, name) == hash_name:
                return request.get("ExpressionAttributeValues", {}).get(placeholder)
        return None

    def _full_size(self, backend, table_name: str, item: dict, hash_value: dict | None) -> int:
        try:
            table = backend.get_table(table_name)
        except Exception:
            return _size(item)
        key = {}
        for name in [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else []):
            value = item.get(name) or (hash_value if name == table.hash_key_attr else None)
            if value is None:
                return _size(item)
            key[name] = value
        return max(_size(item), _size(self.stored(backend, table_name, key)))

    def totals(self) -> dict:
        by_table_op = defaultdict(dict)
        for (table, operation), units in self.write_units.items():
            by_table_op[f"{table} {operation}"]["write_units"] = units
        for (table, operation), units in self.index_write_units.items():
            by_table_op[f"{table} {operation}"]["index_write_units"] = units
        for (table, operation), units in self.read_units.items():
            by_table_op[f"{table} {operation}"]["read_units"] = units
        return {
            "requests_by_kind": dict(self.requests_by_kind),
            "write_units": sum(self.write_units.values()),
            "index_write_units": sum(self.index_write_units.values()),
            "read_units": sum(self.read_units.values(), Decimal(0)),
            "by_table_and_operation": dict(by_table_op),
        }


class CountingMotoApp:
    """moto's WSGI app with every request counted; `LockedMotoApp` wraps it, so DynamoDB requests
    are measured under moto's global lock. moto's behaviour is unchanged."""

    def __init__(self, app: Callable, measure_capacity: bool = True) -> None:
        self.app = app
        self.measure_capacity = measure_capacity
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.calls: Counter = Counter()  # "service.Action" -> requests
            self.dynamodb = DynamoDBMeter()
            self.ses_bytes = 0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region, service = match.groups() if match else ("", "", "moto-api")
        if access_key == OBSERVER_KEY:
            return self.app(environ, start_response)
        body = self._body(environ)
        action = self._action(environ, service, body)
        with self._lock:
            self.calls[f"{service}.{action}"] += 1
            if service in ("ses", "email") and action == "SendRawEmail":
                data = parse_qs(body.decode("utf-8", "replace")).get("RawMessage.Data", [""])[0]
                self.ses_bytes += len(base64.b64decode(data)) if data else 0
        if self.measure_capacity and service == "dynamodb" and action in DynamoDBMeter.WRITES | DynamoDBMeter.READS:
            return self._dynamodb(environ, start_response, region, action, body)
        return self.app(environ, start_response)

    @staticmethod
    def _body(environ: dict) -> bytes:
        stream = environ.get("wsgi.input")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if stream is None or length <= 0:
            return b""
        body = stream.read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    @staticmethod
    def _action(environ: dict, service: str, body: bytes) -> str:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return target.rsplit(".", 1)[-1]
        if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
            if action:
                return action[0]
        path = environ.get("PATH_INFO", "")
        if service == "lambda" and path.rstrip("/").endswith("/invocations"):
            return "Invoke"
        return f"{environ.get('REQUEST_METHOD', '')} {re.sub(r'/[^/]+', '/_', path)}"

    def _dynamodb(self, environ, start_response, region: str, action: str, body: bytes):
        meter = self.dynamodb
        backend = meter.backend(region)
        request = json.loads(body or b"{}")
        targets = meter.writes_of(backend, action, request) if action in meter.WRITES else []
        before = [meter.state(backend, table, key) for table, key, *_ in targets]
        status: list[str] = []

        def remember(code, headers, exc_info=None):
            status.append(code)
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        response = self.app(environ, remember)
        try:
            content = b"".join(bytes(chunk) for chunk in response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
        try:
            with self._lock:
                meter.count_kinds(action, request)
                if targets:
                    after = [meter.state(backend, table, key) for table, key, *_ in targets]
                    meter.charge_writes(action, targets, before, after)
                elif action in meter.READS and status and status[0].startswith("200"):
                    meter.charge_reads(backend, action, request, json.loads(content or b"{}"))
        except Exception as error:  # a measurement error must never change moto's answer
            print(f"[bench] could not meter {action}: {error!r}", file=sys.stderr)
        return [content]

    def snapshot(self) -> dict:
        with self._lock:
            return {"calls": dict(self.calls), "dynamodb": self.dynamodb.totals(), "ses_bytes": self.ses_bytes}


COUNTER: CountingMotoApp | None = None


@contextmanager
def counted_moto(measure_capacity: bool = True):
    """Make `EmbeddedStack.start()` serve moto through a `CountingMotoApp` (this module only)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    def start_counting_moto_server(host: str = "127.0.0.1", port: int = 0):
        global COUNTER
        patches.apply()  # as the stack's own server
        COUNTER = CountingMotoApp(DomainDispatcherApplication(create_backend_app), measure_capacity)
        return motoserver.serve(LockedMotoApp(COUNTER), host, port)

    original = stack_module.start_moto_server
    stack_module.start_moto_server = start_counting_moto_server
    try:
        yield
    finally:
        stack_module.start_moto_server = original


@contextmanager
def timed_lambda_handlers():
    """Record how long each in-process Lambda handler runs, in wall time and in CPU time of its thread
    (the dispatcher's own list records what ran). The handler calls moto over HTTP: moto's work
    for it is in other threads, so the CPU time is the handler's own."""
    from .workflows import dispatcher

    durations: list[tuple[str, float, float]] = []  # (function, wall seconds, CPU seconds of its thread)
    lock = threading.Lock()
    original = dispatcher.invoke

    def invoke(function_name: str, event: Any, timeout_seconds: int = 60):
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return original(function_name, event, timeout_seconds)
        finally:
            with lock:
                durations.append((function_name, time.perf_counter() - began, time.thread_time() - began_cpu))

    dispatcher.invoke = invoke  # an instance attribute: the installed hook calls dispatcher.invoke
    try:
        yield durations
    finally:
        del dispatcher.invoke


def observer(service: str, moto_url: str):
    """A client for the benchmark's own look-ups; its access key keeps them out of the counts."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=moto_url,
        region_name=resources.REGION,
        aws_access_key_id=OBSERVER_KEY,
        aws_secret_access_key="testing",
    )


# --------------------------------------------------------------------------------------------
# The cluster and the buyers
# --------------------------------------------------------------------------------------------


def prepare(stack: EmbeddedStack, seats: int, places: int) -> tuple[str, str]:
    """A seated performance at house A and a standing one at house B, on sale; their ids."""
    os.environ.setdefault("PODIUM_STAGE", stack.stage)
    from chalicelib.web.auth import Role, issue_token

    key = stack.secret_values["StaffTokenSecret"]
    coordinator = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.COORDINATOR, None)}"}
    api = stack.api_url
    now = datetime.now(UTC)

    def post(path: str, body: dict, headers: dict) -> dict:
        response = requests.post(api + path, json=body, headers=headers, timeout=120)
        response.raise_for_status()
        return response.json()

    def performance(house: str, venue: dict, categories: list[str], price: int) -> str:
        post("/staff/houses", {"id": house, "name": house.title()}, coordinator)
        admin = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.HOUSE_ADMIN, house)}"}
        post("/staff/venues", {"id": f"{house}-hall", "seatmap": venue}, admin)
        post("/staff/productions", {"id": f"{house}-show", "title": {"nl": f"Bench {house}"}}, admin)
        return post(
            "/staff/performances",
            {
                "production_id": f"{house}-show",
                "venue_id": f"{house}-hall",
                "status": "on_sale",
                "starts_at": (now + timedelta(days=30)).isoformat(),
                "sales_start": (now - timedelta(days=1)).isoformat(),
                "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {c: price for c in categories}}],
            },
            admin,
        )["id"]

    rows = max(1, -(-seats // 40))
    hall = demo_seatmaps.test_hall(rows, 40)
    seated = performance("bench-theatre", hall, [c["code"] for c in hall["categories"]], 2800)
    standing = performance("bench-club", demo_seatmaps.standing_venue(places), ["standing"], 1500)
    return seated, standing


class Refused(Exception):
    def __init__(self, stage: str, response: requests.Response):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        super().__init__(f"{stage}: HTTP {response.status_code} {code or response.text[:120]}")
        self.stage, self.status, self.code = stage, response.status_code, code


def buy(index: int, config: dict, deadline: float) -> dict:
    """One buyer, one order over both houses, as a browser would do it; what happened and how long it took."""
    import stripe

    rng = random.Random(config["seed"] * 100_003 + index)
    api = config["api"]
    http = requests.Session()
    result: dict[str, Any] = {
        "index": index,
        "requests": 0,
        "polls": 0,
        "hold_seconds": [],
        "status": None,
        "stage": "session",
        "order_id": None,
        "tickets": 0,
        "seats": 0,
        "places": 0,
        "cart_to_tickets": None,
        "error": None,
        "reason": None,
    }

    def call(method: str, path: str, expected: int, stage: str, body: dict | None = None) -> dict:
        result["requests"] += 1
        result["stage"] = stage
        response = http.request(method, api + path, json=body, timeout=60)
        if response.status_code != expected:
            raise Refused(stage, response)
        return response.json()

    def poll(order_id: str, wanted: set[str]) -> dict:
        while True:
            result["requests"] += 1
            result["polls"] += 1
            view = http.get(f"{api}/checkouts/{order_id}", timeout=60).json()
            if view["status"] in wanted or view["status"] in ("failed", "refunded"):
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"order still {view['status']} at the deadline")
            time.sleep(config["poll_interval"])

    try:
        http.headers["X-Podium-Session"] = call("POST", "/sessions", 201, "session")["session"]
        seats, places = rng.randint(1, 2), rng.randint(1, 2)
        holds = []
        for performance, body in (
            (config["seated"], {"best_available": {"count": seats}}),
            (config["standing"], {"standing": {"count": places}}),
        ):
            began = time.perf_counter()
            holds.append(call("POST", f"/performances/{performance}/holds", 201, "hold", body))
            result["hold_seconds"].append(time.perf_counter() - began)
        result["seats"], result["places"] = seats, places
        cart = call("POST", "/carts", 201, "cart")
        for hold in holds:
            call("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", 200, "cart", {})
        buyer = {"name": f"Bench Koper {index}", "email": f"bench.{index}@example.org", "postcode": "9000"}
        submitted = time.perf_counter()
        view = call("POST", f"/carts/{cart['id']}/checkout", 202, "checkout", {"buyer": buyer})
        result["order_id"] = view["order_id"]
        result["stage"] = "awaiting_payment"
        view = poll(view["order_id"], {"awaiting_payment"})
        if view["status"] == "awaiting_payment":
            result["stage"] = "pay"
            client = stripe.StripeClient(config["stripe_key"], base_addresses={"api": config["provider"]})
            intent = client.v1.payment_intents.confirm(
                view["payment"]["payment_intent_id"], params={"payment_method": "pm_card_visa"}
            )
            if intent.status != "succeeded":
                raise RuntimeError(f"payment {intent.status}")
            result["stage"] = "tickets"
            view = poll(view["order_id"], {"completed"})
        result["status"] = view["status"]
        if view["status"] == "completed":
            result["cart_to_tickets"] = time.perf_counter() - submitted
            result["tickets"] = len(view["tickets"])
        else:
            result["reason"] = view.get("reason")
    except Exception as error:  # the figures count it; the run goes on
        result["error"] = f"{type(error).__name__}: {error}"
    return result


def run_buyers(config: dict) -> tuple[list[dict], float]:
    """All buyers, `concurrency` at a time, in this (separate) process; (results, wall seconds)."""
    results: list[dict] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_starting = started + config["max_seconds"]
    deadline = stop_starting + config["order_timeout"]
    done = threading.Event()

    def one(index: int) -> None:
        if time.monotonic() > stop_starting:
            return
        outcome = buy(index, config, min(deadline, time.monotonic() + config["order_timeout"]))
        with lock:
            results.append(outcome)

    def progress() -> None:
        while not done.wait(config["progress_seconds"]):
            with lock:
                finished = len(results)
                completed = sum(1 for r in results if r["status"] == "completed")
            print(
                f"[bench checkout] {time.monotonic() - started:5.0f} s: {finished}/{config['orders']} orders "
                f"finished, {completed} completed",
                file=sys.stderr,
                flush=True,
            )

    reporter = threading.Thread(target=progress, daemon=True)
    reporter.start()
    with ThreadPoolExecutor(max_workers=config["concurrency"]) as pool:
        list(pool.map(one, range(config["orders"])))
    done.set()
    return results, time.monotonic() - started


# --------------------------------------------------------------------------------------------
# After the run: executions, transitions, failures
# --------------------------------------------------------------------------------------------


def execution_arn(stack: EmbeddedStack, order_id: str) -> str:
    return stack.refs["CheckoutStateMachine"].replace(":stateMachine:", ":execution:") + f":{order_id}"


def history(sfn, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def transitions(events: list[dict]) -> int:
    """State transitions billed for one Standard execution: every state entered, and every retry
    of a task (a retry is a transition too)."""
    entered = sum(1 for event in events if event["type"].endswith("StateEntered"))
    tasks_entered = sum(1 for event in events if event["type"] == "TaskStateEntered")
    scheduled = sum(1 for event in events if event["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
    return entered + max(0, scheduled - tasks_entered)


def wait_for_executions(sfn, arns: list[str], timeout: float) -> int:
    """Wait until no execution of the run is RUNNING (the e-mail and OrderPlaced tasks run after
    the order is complete); how many are still running at the timeout."""
    deadline = time.monotonic() + timeout
    running = list(arns)
    while running and time.monotonic() < deadline:
        running = [arn for arn in running if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"]
        if running:
            time.sleep(0.5)
    return len(running)


def why_failed(events: list[dict]) -> str:
    """The error of a failed order's workflow, as `checkout_helpers.failures` would show it."""
    for event in events:
        for name in ("taskFailedEventDetails", "lambdaFunctionFailedEventDetails", "executionFailedEventDetails"):
            details = event.get(name)
            if details:
                cause = details.get("cause", "")
                try:
                    cause = json.loads(cause).get("errorMessage", cause)
                except (ValueError, AttributeError):
                    pass
                return f"{details.get('error', '?')}: {str(cause)[:200]}"
        if event["type"] == "TaskTimedOut":
            return "States.Timeout"
    return ""


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def ms(values: list[float]) -> dict:
    return {
        name: round(percentile(values, share) * 1000, 1) for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    }


def bench_checkout(args) -> dict:
    began = time.monotonic()
    # The workflow's handlers run in this process and log (JSON lines, EMF metrics) to stdout: to
    # a file instead, so that stdout carries only the figures.
    with (
        open(args.handler_log, "a") as handler_log,
        contextlib.redirect_stdout(handler_log),
        tempfile.TemporaryDirectory() as state,
        counted_moto(not args.no_capacity),
        timed_lambda_handlers() as durations,
        EmbeddedStack(
            state_dir=Path(state), fresh=True, sweep_interval=0, snapshot_interval=0, functions_process=False
        ) as stack,
    ):  # task handlers timed in this process
        from .workflows import dispatcher

        seated, standing = prepare(stack, seats=max(400, args.orders * 2 + 200), places=max(400, args.orders * 2 + 200))
        keys = json.loads(stack.secret_values["PaymentSecret"])
        config = {
            "api": stack.api_url,
            "provider": stack.payments.url,
            "stripe_key": keys["api_key"],
            "seated": seated,
            "standing": standing,
            "orders": args.orders,
            "concurrency": args.concurrency,
            "max_seconds": args.max_seconds,
            "order_timeout": args.order_timeout,
            "seed": args.seed,
            "poll_interval": args.poll_interval,
            "progress_seconds": args.progress_seconds,
        }
        webhooks = stack.payments.provider.webhooks
        deliveries_before = len(webhooks.deliveries)
        invocations_before = len(dispatcher.invocations)
        durations.clear()
        COUNTER.reset()
        processes = [psutil.Process(), psutil.Process(stack.gateway.pid)]
        for process in processes:
            process.cpu_percent(None)
        # The buyers run in a process of their own, as in `scripts/bench holds`.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            results, wall = pool.apply(run_buyers, (config,))
        cpu = [process.cpu_percent(None) for process in processes]
        memory = [process.memory_info().rss / 2**20 for process in processes]

        # Let the workflows finish (e-mail, OrderPlaced) and the webhooks drain before reading the counts.
        sfn = observer("stepfunctions", stack.moto.url)
        order_ids = [r["order_id"] for r in results if r["order_id"]]
        still_running = wait_for_executions(sfn, [execution_arn(stack, o) for o in order_ids], args.drain_seconds)
        webhooks.wait_idle(timeout=10)
        counted = COUNTER.snapshot()
        invocations = dispatcher.invocations[invocations_before:]
        task_durations = list(durations)
        deliveries = webhooks.deliveries[deliveries_before:]

        # Transitions: from the histories of a sample of completed orders, and of every other order.
        completed = [r for r in results if r["status"] == "completed"]
        others = [r for r in results if r["order_id"] and r["status"] != "completed"]
        sample = random.Random(args.seed).sample(completed, min(args.history_sample, len(completed)))
        per_completed = [transitions(history(sfn, execution_arn(stack, r["order_id"]))) for r in sample]
        failed_histories = {r["order_id"]: history(sfn, execution_arn(stack, r["order_id"])) for r in others}
        failure_transitions = sum(transitions(events) for events in failed_histories.values())
        event_types = (
            Counter(event["type"] for event in history(sfn, execution_arn(stack, sample[0]["order_id"])))
            if sample
            else Counter()
        )

    return figures(
        args,
        results,
        wall,
        counted,
        invocations,
        task_durations,
        deliveries,
        per_completed,
        failure_transitions,
        failed_histories,
        event_types,
        still_running,
        cpu,
        memory,
        time.monotonic() - began,
    )


def figures(
    args,
    results,
    wall,
    counted,
    invocations,
    task_durations,
    deliveries,
    per_completed,
    failure_transitions,
    failed_histories,
    event_types,
    still_running,
    cpu,
    memory,
    total_seconds,
) -> dict:
    completed = [r for r in results if r["status"] == "completed"]
    tickets = sum(r["tickets"] for r in completed)
    calls = counted["calls"]
    dynamodb = counted["dynamodb"]
    buyer_requests = sum(r["requests"] for r in results)
    polls = sum(r["polls"] for r in results)
    webhook_posts = len(deliveries)
    api_requests = buyer_requests + webhook_posts
    task_invocations = len(invocations)
    lambda_invocations = api_requests + task_invocations  # each API request runs the API handler once
    transitions_per_order = statistics.mean(per_completed) if per_completed else 0
    total_transitions = round(transitions_per_order * len(completed)) + failure_transitions
    sns = sum(n for name, n in calls.items() if name.startswith("sns.Publish"))
    ses = sum(n for name, n in calls.items() if name.split(".")[-1] in ("SendRawEmail", "SendEmail"))
    secrets = sum(n for name, n in calls.items() if name.startswith("secretsmanager."))
    sqs = sum(n for name, n in calls.items() if name.startswith("sqs."))
    # Billed Lambda time: API handler invocations run in the gateway process, where they cannot be
    # timed one by one: `--lambda-ms` each. A task's CPU time here is scaled to Lambda's CPU share
    # at `--lambda-memory-mb` (one vCPU at 1,769 MB), with `--lambda-ms` as the floor for the time
    # spent waiting on DynamoDB and the payment provider.
    cpu_scale = Decimal(LAMBDA_MB_PER_VCPU) / args.lambda_memory_mb
    task_billed_ms = sum(
        max(args.lambda_ms, math.ceil(Decimal(str(cpu)) * 1000 * cpu_scale)) for _, _, cpu in task_durations
    )
    count = costs.CallCounts(
        api_rest_requests=api_requests,
        lambda_invocations=lambda_invocations,
        lambda_billed_ms=api_requests * args.lambda_ms + task_billed_ms,
        lambda_memory_mb=args.lambda_memory_mb,
        dynamodb_write_units=Decimal(dynamodb["write_units"] + dynamodb["index_write_units"]),
        dynamodb_read_units=dynamodb["read_units"],
        sfn_standard_transitions=total_transitions,
        sns_publishes=sns,
        sqs_requests=sqs,
        ses_messages=ses,
        ses_attachment_bytes=counted["ses_bytes"],
        secrets_manager_calls=secrets,
    )
    per_thousand = costs.cost_per_thousand_tickets(count, tickets) if tickets else {}
    conservative = costs.cost_per_thousand_tickets(count, tickets, costs.PRICES_BEFORE_DYNAMODB_CUT) if tickets else {}
    http_api = (
        costs.cost_per_thousand_tickets(
            dataclasses.replace(count, api_rest_requests=0, api_http_requests=api_requests), tickets
        )
        if tickets
        else {}
    )
    n = max(1, len(completed))

    def per_order(value) -> float:
        return round(float(value) / n, 2)

    wall_by_function, cpu_by_function = defaultdict(list), defaultdict(list)
    for name, seconds, cpu_seconds in task_durations:
        wall_by_function[name.rsplit("-", 1)[-1]].append(seconds)
        cpu_by_function[name.rsplit("-", 1)[-1]].append(cpu_seconds)
    outcomes = Counter((r["status"] or f"error at {r['stage']}") for r in results)
    reasons = Counter(r["reason"] for r in results if r["reason"])
    errors = Counter(
        r["error"].split(":")[0] + ": " + ":".join(r["error"].split(":")[1:])[:120] for r in results if r["error"]
    )
    return {
        "benchmark": "checkout",
        "orders": len(results),
        "concurrency": args.concurrency,
        "wall_seconds": round(wall, 1),
        "run_seconds_including_start_and_analysis": round(total_seconds, 1),
        "completed_orders": len(completed),
        "tickets": tickets,
        "completed_orders_per_second": round(len(completed) / wall, 2),
        "tickets_per_second": round(tickets / wall, 2),
        "cart_to_tickets_ms": ms([r["cart_to_tickets"] for r in completed]),
        "hold_ms": ms([s for r in results for s in r["hold_seconds"]]),
        "outcomes": dict(outcomes),
        "failure_reasons": dict(reasons),
        "errors": dict(errors),
        "failed_workflows": {order_id: why_failed(events) for order_id, events in list(failed_histories.items())[:10]},
        "executions_still_running_after_drain": still_running,
        "per_completed_order": {
            "api_requests": per_order(api_requests),
            "buyer_requests_without_polls": per_order(buyer_requests - polls),
            "status_polls": per_order(polls),
            "webhook_deliveries": per_order(webhook_posts),
            "lambda_task_invocations": per_order(task_invocations),
            "lambda_invocations": per_order(lambda_invocations),
            "sfn_transitions_completed_order": round(transitions_per_order, 2),
            "dynamodb_requests": per_order(sum(v for k, v in calls.items() if k.startswith("dynamodb."))),
            "dynamodb_write_units": per_order(dynamodb["write_units"]),
            "dynamodb_index_write_units": per_order(dynamodb["index_write_units"]),
            "dynamodb_read_units": per_order(dynamodb["read_units"]),
            "sns_publishes": per_order(sns),
            "ses_messages": per_order(ses),
            "ses_kib": per_order(counted["ses_bytes"] / 1024),
            "secrets_manager_calls": per_order(secrets),
            "tickets": per_order(tickets),
        },
        "aws_calls_per_completed_order": {name: per_order(value) for name, value in sorted(calls.items())},
        "dynamodb_requests_by_item_kind_per_completed_order": {
            name: per_order(value) for name, value in sorted(dynamodb["requests_by_kind"].items())
        },
        "dynamodb_units_by_table_and_operation": {
            name: {unit: per_order(value) for unit, value in units.items()}
            for name, units in sorted(dynamodb["by_table_and_operation"].items())
        },
        "lambda_task_invocations_per_completed_order": {
            name: per_order(n_) for name, n_ in sorted(Counter(f.rsplit("-", 1)[-1] for f, _ in invocations).items())
        },
        "lambda_task_ms_local": {
            name: {
                **ms(values),
                "mean": round(statistics.mean(values) * 1000, 1),
                "cpu_mean": round(statistics.mean(cpu_by_function[name]) * 1000, 1),
            }
            for name, values in sorted(wall_by_function.items())
        },
        "lambda_billed_ms_per_completed_order": {
            "api_handler": per_order(api_requests * args.lambda_ms),
            "tasks": per_order(task_billed_ms),
        },
        "sfn_transitions_sampled": len(per_completed),
        "sfn_history_event_types": dict(event_types),
        "cost_assumptions": {
            "lambda_memory_mb": args.lambda_memory_mb,
            "lambda_ms_api_and_floor": args.lambda_ms,
            "task_cpu_scale": str(cpu_scale.quantize(Decimal("0.01"))),
            "api": "API Gateway REST (Chalice's default)",
            "prices_as_of": costs.PRICES_AS_OF,
        },
        "usd_per_1000_tickets": {k: str(v) for k, v in per_thousand.items()},
        "usd_per_1000_tickets_before_dynamodb_cut": str(conservative.get("total")),
        "usd_per_1000_tickets_with_http_api": str(http_api.get("total")),
        "eur_per_1000_tickets": str((per_thousand["total"] * costs.EUR_PER_USD).quantize(Decimal("0.0001")))
        if per_thousand
        else None,
        "dominant_cost": costs.dominant(per_thousand) if per_thousand else None,
        "cpu_percent": {"supervisor_and_moto": cpu[0], "gateway": cpu[1]},
        "rss_mib": {"supervisor_and_moto": round(memory[0]), "gateway": round(memory[1])},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=100, help="start no order after this")
    parser.add_argument("--order-timeout", type=float, default=60, help="give up on one order after this")
    parser.add_argument("--drain-seconds", type=float, default=30, help="wait this long for workflows to end")
    parser.add_argument("--poll-interval", type=float, default=0.5, help="seconds between status polls")
    parser.add_argument("--progress-seconds", type=float, default=10)
    parser.add_argument("--history-sample", type=int, default=20, help="completed executions whose history is read")
    parser.add_argument(
        "--lambda-ms",
        type=int,
        default=100,
        help="assumed billed ms of an API handler invocation, and the floor of a task's",
    )
    parser.add_argument("--lambda-memory-mb", type=int, default=512)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-capacity",
        action="store_true",
        help="count requests but do not measure DynamoDB capacity (to see the meter's overhead)",
    )
    parser.add_argument("--handler-log", default=os.devnull, help="where the in-process Lambda handlers' logs go")


def print_figures(figures: dict) -> None:
    print(json.dumps(figures, indent=2))
    cost = figures["usd_per_1000_tickets"]
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | checkout | {figures['orders']} orders, c={figures['concurrency']} | "
        f"{figures['completed_orders_per_second']} orders/s, {figures['tickets_per_second']} tickets/s | "
        f"cart→tickets p50 {figures['cart_to_tickets_ms']['p50']} / p95 {figures['cart_to_tickets_ms']['p95']} / "
        f"p99 {figures['cart_to_tickets_ms']['p99']} ms | hold p50 {figures['hold_ms']['p50']} / "
        f"p95 {figures['hold_ms']['p95']} ms | failed {figures['orders'] - figures['completed_orders']} | "
        f"${cost.get('total')} per 1,000 tickets |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench checkout")
    add_arguments(parser)
    print_figures(bench_checkout(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
