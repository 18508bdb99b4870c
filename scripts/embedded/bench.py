"""`scripts/bench holds`: hold throughput and latency through the local HTTP gateway.

Starts its own fresh embedded stack (nothing of `.local/` is touched), creates a house and a
performance of `--seats` seats through the staff API, then `--concurrency` buyer threads send
`--requests` hold requests (half best-available, half specific seats, 1-4 each) as fast as the
gateway answers. Prints the figures as JSON and as a Markdown row for docs/benchmarks.md.
Bounded by request count and `--max-seconds`; it stops by itself.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import requests

from . import demo_seatmaps, resources
from .stack import EmbeddedStack


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def prepare(stack: EmbeddedStack, rows: int, per_row: int) -> tuple[str, list[str]]:
    os.environ.setdefault("PODIUM_STAGE", stack.stage)
    from chalicelib.web.auth import Role, issue_token

    key = stack.secret_values["StaffTokenSecret"]
    coordinator = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.COORDINATOR, None)}"}
    house = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.HOUSE_ADMIN, 'bench-house')}"}
    api = stack.api_url

    def post(path: str, body: dict, headers: dict) -> dict:
        response = requests.post(api + path, json=body, headers=headers, timeout=120)
        response.raise_for_status()
        return response.json()

    post("/staff/houses", {"id": "bench-house", "name": "Bench"}, coordinator)
    hall = demo_seatmaps.test_hall(rows, per_row)
    post("/staff/venues", {"id": "bench-hall", "seatmap": hall}, house)
    post("/staff/productions", {"id": "bench-show", "title": {"nl": "Bench"}}, house)
    now = datetime.now(UTC)
    performance = post(
        "/staff/performances",
        {
            "production_id": "bench-show",
            "venue_id": "bench-hall",
            "status": "on_sale",
            "starts_at": (now + timedelta(days=30)).isoformat(),
            "sales_start": (now - timedelta(days=1)).isoformat(),
            "tariffs": [
                {"code": "full", "name": {"nl": "Vol"}, "prices": {c["code"]: 2000 for c in hall["categories"]}}
            ],
        },
        house,
    )
    return performance["id"], [seat["id"] for seat in hall["seats"]]


def fire(url: str, bodies: list[dict], concurrency: int, max_seconds: float):
    """Send every body as a hold request from `concurrency` buyer threads; (status, seconds, places, kind)."""
    results: list[tuple[int, float, int, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    local = threading.local()

    def one(body: dict) -> None:
        if time.monotonic() > deadline:
            return
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["X-Podium-Session"] = secrets.token_urlsafe(24)
        began = time.perf_counter()
        response = local.session.post(url, json=body, timeout=60)
        elapsed = time.perf_counter() - began
        places = len(response.json().get("seats", [])) if response.status_code == 201 else 0
        with lock:
            results.append((response.status_code, elapsed, places, "best" if "best_available" in body else "seats"))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, bodies))
    return results, time.perf_counter() - started


def bench_holds(args) -> dict:
    with (
        tempfile.TemporaryDirectory() as state,
        EmbeddedStack(state_dir=Path(state), fresh=True, sweep_interval=0, snapshot_interval=0) as stack,
    ):
        rows = max(1, args.seats // 40)
        performance_id, seat_ids = prepare(stack, rows, args.seats // rows)
        url = f"{stack.api_url}/performances/{performance_id}/holds"
        rng = random.Random(args.seed)
        bodies = []
        for index in range(args.requests):
            count = rng.randint(1, 4)
            bodies.append(
                {"best_available": {"count": count}} if index % 2 == 0 else {"seats": rng.sample(seat_ids, count)}
            )
        processes = [psutil.Process(), psutil.Process(stack.gateway.pid)]
        for process in processes:
            process.cpu_percent(None)
        # The buyers run in a process of their own: as threads of this one they would share a
        # GIL with moto's server threads, and that contention (multi-second tails) is not Podium's.
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            results, wall = pool.apply(fire, (url, bodies, args.concurrency, args.max_seconds))
        cpu = [process.cpu_percent(None) for process in processes]
        memory = [process.memory_info().rss / 2**20 for process in processes]

        dynamodb = resources.client("dynamodb", stack.moto.url)
        held = sum(
            1
            for page in dynamodb.get_paginator("query").paginate(
                TableName=stack.refs["MainTable"],
                KeyConditionExpression="PK = :pk AND begins_with(SK, :s)",
                ExpressionAttributeValues={":pk": {"S": f"PERF#{performance_id}"}, ":s": {"S": "SEAT#"}},
            )
            for item in page["Items"]
            if item["state"]["S"] != "free"
        )

    created = [r for r in results if r[0] == 201]
    conflicts = [r for r in results if r[0] == 409]
    latencies = [r[1] for r in results]
    hold_latencies = [r[1] for r in created]
    return {
        "benchmark": "holds",
        "seats": len(seat_ids),
        "concurrency": args.concurrency,
        "requests": len(results),
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(len(results) / wall, 1),
        "holds_created": len(created),
        "holds_per_second": round(len(created) / wall, 1),
        "seats_held": sum(r[2] for r in created),
        "seats_held_in_table": held,
        "conflicts": len(conflicts),
        "conflict_rate": round(len(conflicts) / max(1, len(results)), 3),
        "other_statuses": sorted({r[0] for r in results} - {201, 409}),
        "latency_ms_all": {
            name: round(percentile(latencies, share) * 1000, 1)
            for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "latency_ms_created": {
            name: round(percentile(hold_latencies, share) * 1000, 1)
            for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "latency_ms_by_kind": {
            kind: {
                name: round(percentile([r[1] for r in results if r[3] == kind], share) * 1000, 1)
                for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            }
            for kind in ("best", "seats")
        },
        "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
        "cpu_percent": {"supervisor_and_moto": cpu[0], "gateway": cpu[1]},
        "rss_mib": {"supervisor_and_moto": round(memory[0]), "gateway": round(memory[1])},
        "oversold": max(0, sum(r[2] for r in created) - len(seat_ids)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench")
    sub = parser.add_subparsers(dest="benchmark", required=True)
    holds = sub.add_parser("holds", help="hold creation through the local gateway")
    holds.add_argument("--seats", type=int, default=1000)
    holds.add_argument("--concurrency", type=int, default=50)
    holds.add_argument("--requests", type=int, default=1500)
    holds.add_argument("--max-seconds", type=float, default=120)
    holds.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures = bench_holds(args)
    print(json.dumps(figures, indent=2))
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | holds | {figures['seats']} seats, c={figures['concurrency']} | "
        f"{figures['requests_per_second']} req/s, {figures['holds_per_second']} holds/s | "
        f"p50 {figures['latency_ms_all']['p50']} / p95 {figures['latency_ms_all']['p95']} / "
        f"p99 {figures['latency_ms_all']['p99']} ms | conflicts {figures['conflict_rate']:.1%} | "
        f"oversold {figures['oversold']} |"
    )


if __name__ == "__main__":
    main()
