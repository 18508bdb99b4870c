"""`scripts/bench spike`: a sale opening — thousands of buyers racing for one hall.

Starts its own fresh embedded stack (nothing of `.local/` is touched) whose moto server counts
every request and every write unit per partition key, creates a house and a performance of
`--seats` seats (optionally with its waiting room on), then `--buyers` buyers arrive within
`--arrival-seconds` (a burst) and race, `--concurrency` at a time:

1. with `--waiting-room RATE`: join the line, ask for the admission until it is their turn;
2. hold 1-4 seats, half of them best available, half specific seats picked from a seat map
   at most a second old (up to 3 attempts; a sold-out answer ends the attempt at once);
3. `--abandon` of the holders give up: half release the hold, half walk away (their hold
   expires after `--hold-ttl` seconds and the sweeper, every `--sweep-seconds`, returns it);
4. the others check out and pay at the local payment provider with the real `stripe` library,
   through the real checkout workflow. Checkout is much slower locally than holding (see
   docs/benchmarks.md, `scripts/bench checkout`), so checkouts run in their own pool of
   `--checkout-concurrency` clients and do not hold up arriving buyers.

Bounded: no buyer starts and no checkout begins after `--max-seconds`; checkouts in flight get
`--drain-seconds` more. Prints JSON and a Markdown row for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing
import os
import queue
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import requests

from chalicelib.domain import costs
from scripts.localaws import patches
from scripts.localaws.server import LockedMotoApp

from . import demo_seatmaps, motoserver
from . import stack as stack_module
from .bench import percentile
from .bench_checkout import (
    CountingMotoApp,
    DynamoDBMeter,
    _size,
    execution_arn,
    history,
    observer,
    transitions,
    wait_for_executions,
)
from .spike_figures import fairness, key_kind, per_key_budget, units_per_ticket_by_kind
from .stack import EmbeddedStack

# --------------------------------------------------------------------------------------------
# Write units per partition key and second
# --------------------------------------------------------------------------------------------


class KeyedMeter(DynamoDBMeter):
    """`DynamoDBMeter` that also sums write units per partition key (table and global indexes) per second."""

    def __init__(self) -> None:
        super().__init__()
        self.by_key_second: Counter = Counter()  # (key, second) -> WRU; index keys as "gsi:KEY"

    def charge_writes(self, operation: str, targets: list[tuple], before: list[tuple], after: list[tuple]) -> None:
        super().charge_writes(operation, targets, before, after)
        second = int(time.monotonic())
        for (_table, key, put_item, transactional), old, new in zip(targets, before, after):
            partition = next(iter(key.get("PK", {"S": "?"}).values()))
            self.by_key_second[(str(partition), second)] += costs.write_units(
                max(old[0], new[0], _size(put_item)), transactional
            )
            if old[1] == new[1]:
                continue
            for (old_key, old_size), (new_key, new_size) in zip(old[2], new[2]):
                for index_key, size in {(old_key, old_size), (new_key, new_size)}:
                    if index_key is not None:
                        hash_value = json.loads(index_key)[0]
                        self.by_key_second[("index:" + str(next(iter(hash_value.values()))), second)] += (
                            costs.write_units(size)
                        )


class KeyedCountingMotoApp(CountingMotoApp):
    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.dynamodb = KeyedMeter()

    def by_key_second(self) -> dict:
        with self._lock:
            return dict(self.dynamodb.by_key_second)


COUNTER: KeyedCountingMotoApp | None = None


@contextmanager
def counted_moto_by_key():
    """Make `EmbeddedStack.start()` serve moto through a `KeyedCountingMotoApp` (this module only)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    def start(host: str = "127.0.0.1", port: int = 0):
        global COUNTER
        patches.apply()  # as the stack's own server
        COUNTER = KeyedCountingMotoApp(DomainDispatcherApplication(create_backend_app))
        return motoserver.serve(LockedMotoApp(COUNTER), host, port)

    original = stack_module.start_moto_server
    stack_module.start_moto_server = start
    try:
        yield
    finally:
        stack_module.start_moto_server = original


# --------------------------------------------------------------------------------------------
# The hall and the buyers
# --------------------------------------------------------------------------------------------


def prepare(stack: EmbeddedStack, seats: int, waiting_room: dict | None) -> tuple[str, list[str]]:
    os.environ.setdefault("PODIUM_STAGE", stack.stage)
    from chalicelib.web.auth import Role, issue_token

    key = stack.secret_values["StaffTokenSecret"]
    coordinator = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.COORDINATOR, None)}"}
    admin = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.HOUSE_ADMIN, 'spike-house')}"}

    def post(path: str, body: dict, headers: dict) -> dict:
        response = requests.post(stack.api_url + path, json=body, headers=headers, timeout=120)
        response.raise_for_status()
        return response.json()

    post("/staff/houses", {"id": "spike-house", "name": "Spike"}, coordinator)
    rows = max(1, -(-seats // 40))
    hall = demo_seatmaps.test_hall(rows, seats // rows)
    post("/staff/venues", {"id": "spike-hall", "seatmap": hall}, admin)
    post("/staff/productions", {"id": "spike-show", "title": {"nl": "Uitverkocht"}}, admin)
    now = datetime.now(UTC)
    body = {
        "production_id": "spike-show",
        "venue_id": "spike-hall",
        "status": "on_sale",
        "starts_at": (now + timedelta(days=30)).isoformat(),
        "sales_start": (now - timedelta(days=1)).isoformat(),
        "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {c["code"]: 2500 for c in hall["categories"]}}],
    }
    if waiting_room:
        body["waiting_room"] = waiting_room
    performance = post("/staff/performances", body, admin)
    return performance["id"], [seat["id"] for seat in hall["seats"]]


class SeatView:
    """The seat map as buyers see it: one GET per second shared by this process's buyers."""

    def __init__(self, api: str, performance_id: str) -> None:
        self.url = f"{api}/performances/{performance_id}/seats"
        self.lock = threading.Lock()
        self.read_at = 0.0
        self.free: list[str] = []
        self.reads = 0

    def free_seats(self, http: requests.Session) -> list[str]:
        with self.lock:
            if time.monotonic() - self.read_at >= 1.0:
                seats = http.get(self.url, timeout=60).json()["seatmap"]["seats"]
                self.free = [seat["id"] for seat in seats if seat["state"] == "free"]
                self.read_at = time.monotonic()
                self.reads += 1
            return list(self.free)


def buyer_run(config: dict) -> dict:
    """Every buyer of the run, in this (separate) process; results and the process's own timings."""
    api, performance = config["api"], config["performance"]
    rng_all = random.Random(config["seed"])
    started = time.monotonic()
    arrivals = sorted(rng_all.uniform(0, config["arrival_seconds"]) for _ in range(config["buyers"]))
    stop = started + config["max_seconds"]
    view = SeatView(api, performance)
    results: list[dict] = []
    lock = threading.Lock()
    checkouts: queue.Queue = queue.Queue()
    local = threading.local()

    def http() -> requests.Session:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        return local.http

    def request(method: str, path: str, session: str, body=None, headers=None) -> tuple[requests.Response, float]:
        began = time.perf_counter()
        response = http().request(
            method, api + path, json=body, timeout=120, headers={"X-Podium-Session": session, **(headers or {})}
        )
        return response, time.perf_counter() - began

    def buyer(index: int) -> None:
        arrival = started + arrivals[index]
        time.sleep(max(0.0, arrival - time.monotonic()))
        if time.monotonic() > stop:
            return
        rng = random.Random(config["seed"] * 100_003 + index)
        session = secrets.token_urlsafe(24)
        result: dict[str, Any] = {
            "index": index,
            "arrived": time.monotonic() - started,
            "requests": 0,
            "hold_attempts": [],
            "outcome": None,
            "places": 0,
            "queue_position": None,
            "queue_wait": None,
            "held_at": None,
            "abandon": None,
            "status_codes": [],
        }
        headers = {}
        try:
            if config["waiting_room"]:
                response, _ = request("POST", f"/performances/{performance}/queue", session)
                result["requests"] += 1
                if response.status_code != 201:
                    raise RuntimeError(f"join: {response.status_code} {response.text[:100]}")
                place = response.json()
                result["queue_position"] = place["position"]
                while not place["admission"]:
                    if time.monotonic() > stop:
                        result["outcome"] = "still_in_line"
                        return
                    # as a browser would: again after `poll_seconds`, or right at the turn if that is sooner
                    time.sleep(min(place["poll_seconds"], max(0.05, place["seconds_to_wait"])))
                    response, _ = request(
                        "GET",
                        f"/performances/{performance}/queue",
                        session,
                        headers={"X-Podium-Queue-Ticket": place["queue_ticket"]},
                    )
                    result["requests"] += 1
                    result["queue_polls"] = result.get("queue_polls", 0) + 1
                    if response.status_code != 200:
                        raise RuntimeError(f"queue: {response.status_code} {response.text[:100]}")
                    place = {**place, **response.json()}
                headers["X-Podium-Admission"] = place["admission"]
                result["queue_wait"] = time.monotonic() - started - result["arrived"]
            count = rng.randint(1, 4)
            specific = index % 2 == 1
            for _attempt in range(3):
                if specific:
                    free = view.free_seats(http())
                    if len(free) < count:
                        result["outcome"] = "sold_out_on_the_map"
                        return
                    body = {"seats": rng.sample(free, count)}
                else:
                    body = {"best_available": {"count": count}}
                sent_at = time.monotonic() - started
                response, seconds = request("POST", f"/performances/{performance}/holds", session, body, headers)
                result["requests"] += 1
                code = response.json().get("code") if response.status_code != 201 else None
                result["hold_attempts"].append((response.status_code, seconds, code, sent_at))
                if response.status_code == 201:
                    hold = response.json()
                    result["places"] = len(hold["seats"])
                    result["held_at"] = time.monotonic() - started
                    result["hold_id"] = hold["id"]
                    result["seat_ids"] = [seat["id"] for seat in hold["seats"]]
                    break
                if code in ("not_enough_seats", "sold_out"):
                    result["outcome"] = "sold_out"
                    return
                if code != "seats_unavailable":
                    raise RuntimeError(f"hold: {response.status_code} {code}")
            else:
                result["outcome"] = "lost_three_races"
                return
            if rng.random() < config["abandon"]:
                result["abandon"] = "release" if rng.random() < 0.5 else "walk_away"
                result["outcome"] = "abandoned"
                if result["abandon"] == "release":
                    response, _ = request("DELETE", f"/holds/{result['hold_id']}", session)
                    result["requests"] += 1
                return
            result["outcome"] = "checkout_queued"
            checkouts.put((result, session))
        except Exception as error:  # counted; the run goes on
            result["outcome"] = "error"
            result["error"] = f"{type(error).__name__}: {error}"[:200]
        finally:
            with lock:
                results.append(result)

    def checkout(result: dict, session: str) -> None:
        import stripe

        checkout_stop = stop + config["drain_seconds"]
        result["checkout_waited"] = time.monotonic() - started - result["held_at"]
        began = time.perf_counter()
        try:
            if time.monotonic() > stop:
                result["outcome"] = "checkout_not_started"
                return
            response, _ = request("POST", "/carts", session)
            cart = response.json()
            response, _ = request("PUT", f"/carts/{cart['id']}/holds/{result['hold_id']}", session, {})
            if response.status_code != 200:
                result["outcome"] = f"cart_refused:{response.json().get('code')}"
                return
            buyer_details = {"name": f"Koper {result['index']}", "email": f"koper.{result['index']}@example.org"}
            response, _ = request("POST", f"/carts/{cart['id']}/checkout", session, {"buyer": buyer_details})
            if response.status_code != 202:
                result["outcome"] = f"checkout_refused:{response.json().get('code')}"
                return
            order_id = response.json()["order_id"]
            result["order_id"] = order_id
            result["requests"] += 4
            paid = False
            while True:
                response, _ = request("GET", f"/checkouts/{order_id}", session)
                result["requests"] += 1
                view_ = response.json()
                status = view_["status"]
                if status == "awaiting_payment" and not paid:
                    client = stripe.StripeClient(config["stripe_key"], base_addresses={"api": config["provider"]})
                    intent = client.v1.payment_intents.confirm(
                        view_["payment"]["payment_intent_id"], params={"payment_method": "pm_card_visa"}
                    )
                    paid = intent.status == "succeeded"
                    result["paid_after"] = time.perf_counter() - began
                    continue
                if status in ("completed", "failed", "refunded"):
                    result["outcome"] = status
                    result["tickets"] = len(view_.get("tickets") or [])
                    result["reason"] = view_.get("reason")
                    result["checkout_seconds"] = time.perf_counter() - began
                    result["completed_at"] = time.monotonic() - started
                    return
                if time.monotonic() > checkout_stop:
                    result["outcome"] = f"checkout_unfinished:{status}"
                    return
                time.sleep(config["poll_interval"])
        except Exception as error:
            result["outcome"] = "checkout_error"
            result["error"] = f"{type(error).__name__}: {error}"[:200]

    finished = threading.Event()

    def checkout_worker() -> None:
        while True:
            try:
                item = checkouts.get(timeout=0.5)
            except queue.Empty:
                if finished.is_set():
                    return
                continue
            checkout(*item)

    def progress() -> None:
        while not finished.wait(config["progress_seconds"]):
            with lock:
                outcomes = Counter(r["outcome"] for r in results)
            print(f"[bench spike] {time.monotonic() - started:5.0f} s: {dict(outcomes)}", file=sys.stderr, flush=True)

    threading.Thread(target=progress, daemon=True).start()
    workers = [threading.Thread(target=checkout_worker, daemon=True) for _ in range(config["checkout_concurrency"])]
    for worker in workers:
        worker.start()
    with ThreadPoolExecutor(max_workers=config["concurrency"]) as pool:
        list(pool.map(buyer, range(config["buyers"])))
    holds_done = time.monotonic() - started
    finished.set()
    for worker in workers:
        worker.join()
    return {
        "results": results,
        "wall": time.monotonic() - started,
        "hold_phase_seconds": holds_done,
        "seat_map_reads": view.reads,
    }


# --------------------------------------------------------------------------------------------
# The run and its figures
# --------------------------------------------------------------------------------------------


def _by_window(attempts: list[tuple], seconds: float) -> dict[int, list[float]]:
    """Answer times of hold attempts, grouped by the window of the run in which each was sent."""
    windows: dict[int, list[float]] = defaultdict(list)
    for attempt in attempts:
        windows[int(attempt[3] // seconds)].append(attempt[1])
    return windows


def ms(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    return {
        name: round(percentile(values, share) * 1000, 1) for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    }


def table_state(stack: EmbeddedStack, performance_id: str) -> tuple[Counter, dict, Counter]:
    """(seat states, seat -> holder, hold statuses) read straight from the table (not counted)."""
    dynamodb = observer("dynamodb", stack.moto.url)
    states, holders, hold_statuses = Counter(), {}, Counter()
    for page in dynamodb.get_paginator("query").paginate(
        TableName=stack.refs["MainTable"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :s)",
        ExpressionAttributeValues={":pk": {"S": f"PERF#{performance_id}"}, ":s": {"S": "SEAT#"}},
    ):
        for item in page["Items"]:
            states[item["state"]["S"]] += 1
            if item["state"]["S"] != "free":
                holders[item["SK"]["S"][5:]] = item.get("hold_id", {}).get("S")
    return states, holders, hold_statuses


def hold_status(stack: EmbeddedStack, hold_ids: list[str]) -> dict[str, str]:
    dynamodb = observer("dynamodb", stack.moto.url)
    statuses = {}
    for start in range(0, len(hold_ids), 100):
        keys = [{"PK": {"S": f"HOLD#{h}"}, "SK": {"S": "HOLD"}} for h in hold_ids[start : start + 100]]
        answer = dynamodb.batch_get_item(RequestItems={stack.refs["MainTable"]: {"Keys": keys}})
        now_ms = time.time() * 1000
        for item in answer["Responses"].get(stack.refs["MainTable"], []):
            status = item["status"]["S"]
            if status == "active" and int(item["expires_epoch"]["N"]) <= now_ms:
                status = "lapsed"  # expired but not swept yet: its places are anybody's again
            statuses[item["hold_id"]["S"]] = status
    return statuses


def stack_processes(stack: EmbeddedStack) -> dict[str, psutil.Process]:
    """The stack's processes by role: this one (moto and the local workers), the gateway, the functions."""
    processes = {"supervisor_and_moto": psutil.Process(), "gateway": psutil.Process(stack.gateway.pid)}
    if stack.functions is not None:
        processes["functions"] = psutil.Process(stack.functions.pid)
    return processes


def bench_spike(args) -> dict:
    began = time.monotonic()
    room = {"rate_per_minute": args.waiting_room, "shards": args.queue_shards} if args.waiting_room else None
    with (
        open(args.handler_log, "a") as handler_log,
        contextlib.redirect_stdout(handler_log),
        tempfile.TemporaryDirectory() as state,
        counted_moto_by_key(),
        EmbeddedStack(
            state_dir=Path(state),
            fresh=True,
            sweep_interval=args.sweep_seconds,
            snapshot_interval=0,
            extra_env={"HOLD_TTL_SECONDS": str(args.hold_ttl)},
        ) as stack,
    ):
        from .workflows import dispatcher

        performance_id, seat_ids = prepare(stack, args.seats, room)
        keys = json.loads(stack.secret_values["PaymentSecret"])
        config = {
            "api": stack.api_url,
            "provider": stack.payments.url,
            "stripe_key": keys["api_key"],
            "performance": performance_id,
            "buyers": args.buyers,
            "concurrency": args.concurrency,
            "checkout_concurrency": args.checkout_concurrency,
            "arrival_seconds": args.arrival_seconds,
            "max_seconds": args.max_seconds,
            "drain_seconds": args.drain_seconds,
            "abandon": args.abandon,
            "poll_interval": args.poll_interval,
            "seed": args.seed,
            "waiting_room": bool(room),
            "progress_seconds": args.progress_seconds,
        }
        invocations_before = len(dispatcher.invocations)
        deliveries_before = len(stack.payments.provider.webhooks.deliveries)
        COUNTER.reset()
        processes = stack_processes(stack)
        for process in processes.values():
            process.cpu_percent(None)
        samples: list[dict[str, tuple[float, float]]] = []  # per sample: role -> (CPU % of one core, RSS MiB)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(2.0):
                samples.append(
                    {
                        role: (process.cpu_percent(None), process.memory_info().rss / 2**20)
                        for role, process in processes.items()
                    }
                )

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        machine_before = psutil.cpu_times()
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            run = pool.apply(buyer_run, (config,))
        sampling.set()
        sampler.join()
        machine_after = psutil.cpu_times()
        results = run["results"]
        sfn = observer("stepfunctions", stack.moto.url)
        order_ids = [r["order_id"] for r in results if r.get("order_id")]
        still_running = wait_for_executions(sfn, [execution_arn(stack, o) for o in order_ids], 20)
        stack.payments.provider.webhooks.wait_idle(timeout=10)
        counted = COUNTER.snapshot()
        by_key_second = COUNTER.by_key_second()
        task_invocations = len(dispatcher.invocations) - invocations_before
        webhook_posts = len(stack.payments.provider.webhooks.deliveries) - deliveries_before
        completed = [r for r in results if r["outcome"] == "completed"]
        sample_orders = random.Random(args.seed).sample(completed, min(10, len(completed)))
        per_order_transitions = [transitions(history(sfn, execution_arn(stack, r["order_id"]))) for r in sample_orders]
        states, holders, _ = table_state(stack, performance_id)
        statuses = hold_status(stack, [r["hold_id"] for r in results if r["held_at"] is not None])

    return figures(
        args,
        run,
        results,
        counted,
        by_key_second,
        task_invocations,
        webhook_posts,
        per_order_transitions,
        states,
        holders,
        statuses,
        still_running,
        samples,
        machine_before,
        machine_after,
        len(seat_ids),
        time.monotonic() - began,
    )


def figures(
    args,
    run,
    results,
    counted,
    by_key_second,
    task_invocations,
    webhook_posts,
    per_order_transitions,
    states,
    holders,
    statuses,
    still_running,
    samples,
    machine_before,
    machine_after,
    seats,
    total_seconds,
) -> dict:
    wall = run["wall"]
    held = [r for r in results if r["held_at"] is not None]
    completed = [r for r in results if r["outcome"] == "completed"]
    tickets = sum(r.get("tickets", 0) for r in completed)
    attempts = [a for r in results for a in r["hold_attempts"]]
    created = [a for a in attempts if a[0] == 201]
    conflicts = Counter(a[2] for a in attempts if a[0] == 409)
    other = Counter(a[0] for a in attempts if a[0] not in (201, 409))
    # Oversold: a seat that two live holds were given (a hold given back, swept or past its expiry is not
    # live: its seats may be claimed by the next buyer, as the domain intends), places
    # given beyond the hall, or a seat the table shows held or sold by a hold no buyer was given.
    live = [r for r in held if statuses.get(r["hold_id"]) in ("active", "confirmed")]
    live_places = sum(r["places"] for r in live)
    given = Counter(seat for r in live for seat in r["seat_ids"])
    double = sum(n - 1 for n in given.values() if n > 1)
    told = {r["hold_id"] for r in held}
    unknown_holders = sum(1 for hold_id in holders.values() if hold_id not in told)
    table_disagrees = sum(1 for r in live for seat in r["seat_ids"] if holders.get(seat) != r["hold_id"])
    abandoned = [r for r in results if r["outcome"] == "abandoned"]
    returned = [r for r in abandoned if statuses.get(r["hold_id"]) in ("released", "expired", "lapsed")]
    returned_places = sum(r["places"] for r in returned)
    abandoned_places = sum(r["places"] for r in abandoned)
    taken_again = sum(1 for r in returned for seat in r["seat_ids"] if holders.get(seat) not in (None, r["hold_id"]))
    sell_out = max((r["held_at"] for r in held), default=None)
    arrivals = {str(r["index"]): r["arrived"] for r in results}
    calls = counted["calls"]
    dynamodb = counted["dynamodb"]
    api_requests = sum(r["requests"] for r in results) + webhook_posts + run["seat_map_reads"]
    transitions_per_order = statistics.mean(per_order_transitions) if per_order_transitions else 0
    units_by_key = defaultdict(float)
    for (key, _second), units in by_key_second.items():
        units_by_key[key] += units
    budget = per_key_budget(by_key_second)
    roles = list(samples[0]) if samples else []
    cpu = {role: [sample[role][0] for sample in samples] for role in roles}
    rss = {role: [sample[role][1] for sample in samples] for role in roles}
    busy = (sum(machine_after) - machine_after.idle) - (sum(machine_before) - machine_before.idle)
    machine_cpu = busy / max(1e-9, sum(machine_after) - sum(machine_before)) * 100
    count = costs.CallCounts(
        api_rest_requests=api_requests,
        lambda_invocations=api_requests + task_invocations,
        lambda_billed_ms=(api_requests + task_invocations) * args.lambda_ms,
        lambda_memory_mb=512,
        dynamodb_write_units=Decimal(dynamodb["write_units"] + dynamodb["index_write_units"]),
        dynamodb_read_units=dynamodb["read_units"],
        sfn_standard_transitions=round(transitions_per_order * len(completed)),
        sns_publishes=sum(n for name, n in calls.items() if name.startswith("sns.Publish")),
        sqs_requests=sum(n for name, n in calls.items() if name.startswith("sqs.")),
        ses_messages=sum(n for name, n in calls.items() if name.split(".")[-1] in ("SendRawEmail", "SendEmail")),
        ses_attachment_bytes=counted["ses_bytes"],
        secrets_manager_calls=sum(n for name, n in calls.items() if name.startswith("secretsmanager.")),
    )
    per_thousand = costs.cost_per_thousand_tickets(count, tickets) if tickets else {}
    hold_keys = {kind: round(units, 2) for kind, units in units_per_ticket_by_kind(units_by_key, tickets or 1).items()}
    # What one ticket of a whole sale uses of each AWS quota. The hold phase (every buyer's queue, map and
    # hold requests, the winners' and the losers') is spread over the places held; the checkout over the
    # tickets it issued, since locally only part of the holders get through checkout in the bound.
    places_held = max(1, sum(r["places"] for r in held))
    hold_requests = (
        sum(len(r["hold_attempts"]) + (r["queue_position"] is not None) + (r["abandon"] == "release") for r in results)
        + run["seat_map_reads"]
    )
    queue_polls = sum(r.get("queue_polls", 0) for r in results)
    checkout_requests = sum(r["requests"] for r in results) - hold_requests - queue_polls + run["seat_map_reads"]
    perf_key = max(
        (key for key in units_by_key if key.startswith("PERF#") and key.count("#") == 1),
        key=lambda key: units_by_key[key],
        default=None,
    )
    load = None
    if tickets:
        per_ticket = Decimal(1) / tickets
        per_place = Decimal(1) / places_held
        api_per_ticket = (
            Decimal(hold_requests + queue_polls) * per_place + Decimal(checkout_requests + webhook_posts) * per_ticket
        )
        load = costs.TicketLoad(
            api_requests=api_per_ticket.quantize(Decimal("0.01")),
            lambda_seconds=(
                api_per_ticket * Decimal(args.lambda_ms) / 1000
                + Decimal(task_invocations) * per_ticket * Decimal(args.task_ms) / 1000
            ).quantize(Decimal("0.001")),
            # On the performance's key: selling a seat is one transactional update (2 units) per ticket; the
            # rest of its units (claims, lost races, releases) belong to the hold phase, per place held.
            hottest_key_write_units=(
                (Decimal(str(units_by_key.get(perf_key, 0))) - 2 * tickets) * per_place + 2
            ).quantize(Decimal("0.01")),
            sfn_executions=(Decimal(len(completed)) * per_ticket).quantize(Decimal("0.001")),
            sfn_transitions=(Decimal(str(transitions_per_order)) * len(completed) * per_ticket).quantize(
                Decimal("0.001")
            ),
        )
    # The hold phase's own AWS cost per 1,000 places held: the buyers' queue, map and hold requests
    # (winners' and losers') and the write units on the keys a hold writes; the checkout's cost per
    # ticket is `scripts/bench checkout`'s (docs/cost.md), since locally few holders get through it.
    hold_kinds = ("PERF#…", "index:PERF#…#HOLDS", "HOLD#…", "QUEUE#…#", "ADMISSION#…")
    by_kind = defaultdict(float)
    for key, units in units_by_key.items():
        by_kind[key_kind(key)] += units
    hold_units = sum(units for kind, units in by_kind.items() if kind.startswith(hold_kinds)) - 2 * tickets
    hold_phase = costs.CallCounts(
        api_rest_requests=hold_requests + queue_polls,
        lambda_invocations=hold_requests + queue_polls,
        lambda_billed_ms=(hold_requests + queue_polls) * args.lambda_ms,
        dynamodb_write_units=Decimal(str(max(0.0, hold_units))),
    )
    hold_phase_per_thousand = costs.cost_per_thousand_tickets(hold_phase, places_held)
    scale = None
    if load is not None:
        binding, rate = costs.largest_on_sale(load)
        scale = {
            "per_ticket": {f.name: str(getattr(load, f.name)) for f in dataclasses.fields(load)},
            "tickets_per_second_by_quota": {k: str(v) for k, v in costs.tickets_per_second_by_quota(load).items()},
            "binding_quota": binding,
            "tickets_per_second": str(rate),
            "seconds_to_sell_out_this_hall": str(costs.seconds_to_sell_out(seats, load)),
        }
    return {
        "benchmark": "spike",
        "buyers": args.buyers,
        "seats": seats,
        "concurrency": args.concurrency,
        "checkout_concurrency": args.checkout_concurrency,
        "arrival_seconds": args.arrival_seconds,
        "waiting_room_rate_per_minute": args.waiting_room or None,
        "hold_ttl_seconds": args.hold_ttl,
        "wall_seconds": round(wall, 1),
        "hold_phase_seconds": round(run["hold_phase_seconds"], 1),
        "run_seconds_including_start_and_analysis": round(total_seconds, 1),
        "buyers_started": len(results),
        "outcomes": dict(Counter(r["outcome"] for r in results)),
        "errors": dict(Counter(r.get("error", "")[:120] for r in results if r.get("error"))),
        "holds_created": len(created),
        "places_held": sum(r["places"] for r in held),
        "hold_requests": len(attempts),
        "hold_requests_per_second": round(len(attempts) / max(1e-9, run["hold_phase_seconds"]), 1),
        "holds_per_second": round(len(created) / max(1e-9, run["hold_phase_seconds"]), 1),
        "all_seats_taken_after_seconds": round(sell_out, 1)
        if sell_out is not None and states.get("free", 0) == 0
        else None,
        "last_hold_after_seconds": round(sell_out, 1) if sell_out is not None else None,
        "hold_ms_created": ms([a[1] for a in created]),
        "hold_ms_all_answers": ms([a[1] for a in attempts]),
        # when in the run the slow answers came: per 10 s of the run, by when the hold request was sent
        "hold_ms_created_by_10_s": {
            f"{window * 10}-{window * 10 + 10} s": {"holds": len(values), **ms(values)}
            for window, values in sorted(_by_window(created, 10).items())
        },
        "conflicts": dict(conflicts),
        "other_hold_statuses": {str(k): v for k, v in other.items()},
        "conflict_rate": round(sum(conflicts.values()) / max(1, len(attempts)), 3),
        "orders_completed": len(completed),
        "tickets": tickets,
        "orders_per_second": round(len(completed) / wall, 2),
        "tickets_per_second": round(tickets / wall, 2),
        "checkout_ms": ms([r["checkout_seconds"] for r in completed]),
        "checkout_waited_for_a_client_ms": ms([r["checkout_waited"] for r in results if "checkout_waited" in r]),
        "checkout_failure_reasons": dict(
            Counter(r.get("reason") for r in results if r["outcome"] in ("failed", "refunded"))
        ),
        "executions_still_running_after_drain": still_running,
        "seat_states_at_end": dict(states),
        "oversold": max(0, live_places - seats) + unknown_holders + double,
        "places_in_live_holds": live_places,
        "seats_given_to_two_live_holds": double,
        "seats_held_by_unknown_holds": unknown_holders,
        "live_hold_seats_the_table_disagrees_with": table_disagrees,
        "hold_status_at_end": dict(Counter(statuses.get(r["hold_id"], "?") for r in held)),
        "abandoned_holds": len(abandoned),
        "abandoned_places": abandoned_places,
        "abandoned_by": dict(Counter(r["abandon"] for r in abandoned)),
        "abandoned_places_returned_to_sale": returned_places,
        "returned_places_taken_again_by_others": taken_again,
        "abandoned_hold_status_at_end": dict(Counter(statuses.get(r["hold_id"], "?") for r in abandoned)),
        "fairness_hold_vs_arrival": fairness(arrivals, {str(r["index"]): r["held_at"] for r in held}),
        "fairness_tickets_vs_arrival": fairness(arrivals, {str(r["index"]): r["completed_at"] for r in completed}),
        "queue_polls_per_buyer": round(queue_polls / max(1, sum(r["queue_position"] is not None for r in results)), 2),
        "queue_wait_ms": ms([r["queue_wait"] for r in results if r["queue_wait"] is not None]),
        "fairness_hold_vs_queue_position": fairness(
            {str(r["index"]): r["queue_position"] for r in held if r["queue_position"] is not None},
            {str(r["index"]): r["held_at"] for r in held if r["queue_position"] is not None},
        ),
        "partition_write_budget": budget,
        "write_units_per_ticket_on_the_busiest_key_of_each_kind": hold_keys,
        "aws_calls": dict(sorted(calls.items())),
        "api_requests": api_requests,
        "lambda_task_invocations": task_invocations,
        "sfn_transitions_per_completed_order": round(transitions_per_order, 2),
        "dynamodb": {
            "write_units": dynamodb["write_units"],
            "index_write_units": dynamodb["index_write_units"],
            "read_units": str(dynamodb["read_units"]),
        },
        "usd_per_1000_tickets": {k: str(v) for k, v in per_thousand.items()},
        "usd_per_1000_tickets_sfn_standard_only": str(
            costs.costs(
                dataclasses.replace(
                    count,
                    api_rest_requests=0,
                    lambda_invocations=0,
                    lambda_billed_ms=0,
                    dynamodb_write_units=Decimal(0),
                    dynamodb_read_units=Decimal(0),
                    sns_publishes=0,
                    sqs_requests=0,
                    ses_messages=0,
                    ses_attachment_bytes=0,
                    secrets_manager_calls=0,
                )
            )["step_functions"]
            * 1000
            / max(1, tickets)
        ),
        "aws_scale": scale,
        "write_units_by_key_kind": {
            kind: round(units, 1) for kind, units in sorted(by_kind.items(), key=lambda kv: -kv[1])
        },
        "hold_phase_requests": hold_requests,
        "queue_polls": queue_polls,
        "usd_per_1000_places_held_hold_phase": {k: str(v) for k, v in hold_phase_per_thousand.items()},
        "cpu_percent_of_one_core": {
            role: {"mean": round(statistics.mean(cpu[role])), "max": round(max(cpu[role]))} for role in roles
        },
        "machine_cpu_percent_all_cores": round(machine_cpu),
        "rss_mib_max": {role: round(max(rss[role])) for role in roles},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200, help="buyers in flight at once")
    parser.add_argument("--checkout-concurrency", type=int, default=16, help="checkouts in flight at once")
    parser.add_argument("--arrival-seconds", type=float, default=10, help="the burst: every buyer arrives within this")
    parser.add_argument("--max-seconds", type=float, default=300, help="no buyer or checkout starts after this")
    parser.add_argument("--drain-seconds", type=float, default=60, help="checkouts in flight get this much more")
    parser.add_argument("--abandon", type=float, default=0.1, help="share of holders who give up")
    parser.add_argument("--hold-ttl", type=int, default=180, help="seconds a hold lasts (HOLD_TTL_SECONDS)")
    parser.add_argument("--sweep-seconds", type=float, default=10, help="how often the expired-hold sweeper runs")
    parser.add_argument(
        "--waiting-room",
        type=int,
        default=0,
        metavar="RATE",
        help="admit RATE buyers per minute through the waiting room (0: no waiting room)",
    )
    parser.add_argument("--queue-shards", type=int, default=8)
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds between checkout status polls")
    parser.add_argument("--progress-seconds", type=float, default=15)
    parser.add_argument("--lambda-ms", type=int, default=100, help="assumed billed ms per API handler invocation")
    parser.add_argument(
        "--task-ms",
        type=int,
        default=350,
        help="assumed billed ms per workflow task (scripts/bench checkout measured ~2.45 s per 7 tasks)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--handler-log", default=os.devnull)


def print_figures(figures: dict) -> None:
    print(json.dumps(figures, indent=2, default=str))
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {figures['buyers']} buyers, {figures['seats']} seats, "
        f"c={figures['concurrency']}, waiting room {figures['waiting_room_rate_per_minute'] or 'off'} | "
        f"{figures['holds_per_second']} holds/s | hold p50 {figures['hold_ms_created']['p50']} / "
        f"p95 {figures['hold_ms_created']['p95']} / p99 {figures['hold_ms_created']['p99']} ms | "
        f"{figures['orders_per_second']} orders/s, {figures['tickets_per_second']} tickets/s | "
        f"checkout p50 {figures['checkout_ms']['p50']} / p99 {figures['checkout_ms']['p99']} ms | "
        f"oversold {figures['oversold']} | max {figures['partition_write_budget']['max_units_per_second']} WRU/s "
        f"on one key |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench spike")
    add_arguments(parser)
    print_figures(bench_spike(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
