"""`scripts/bench fanout`: events per second through the fan-out, and the lag from OrderPlaced to
receipt by the exchange platform's stand-in.

Starts its own fresh embedded stack, creates a house and a 100-seat performance through the
staff API, then publishes `--events` `OrderPlaced` events (2 tickets each, of that performance)
to the events topic with the project's own events port (`chalicelib.ports.events().publish`), at
`--rate` events per second (0: as fast as `--publishers` threads can). Every event goes through SNS to the
availability and exchange queues (and their consumers: availability recomputes the performance
from its seats, the exchange consumer posts JSON-LD to the local receiver). Lag is the receiver's
receipt time of an event's first transaction minus the event's `occurred_at` (set when it is
published). Throughput is events / (last receipt − first publish). It stops by itself after
`--max-seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from .bench import percentile, prepare
from .stack import EmbeddedStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench fanout", description=__doc__)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=0.0, help="events per second to publish (0: flat out)")
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=180)
    args = parser.parse_args(argv)

    state = Path(tempfile.mkdtemp(prefix="podium-bench-fanout-"))
    stack = EmbeddedStack(
        stage="demo",
        state_dir=state,
        fresh=True,
        sweep_interval=0,
        snapshot_interval=0,
        gateway_log=state / "gateway.log",
    )
    stack.start()
    try:
        performance_id, seat_ids = prepare(stack, 5, 20)
        from chalicelib import ports

        exchange = stack.uit.exchange.service
        published: dict[str, float] = {}  # ticket id of the event's first ticket → publish time (epoch)
        lock = threading.Lock()
        queue = list(range(args.events))
        began = time.time()
        deadline = time.monotonic() + args.max_seconds

        def publisher() -> None:
            while time.monotonic() < deadline:
                with lock:
                    if not queue:
                        return
                    number = queue.pop(0)
                if args.rate > 0:
                    wait = began + number / args.rate - time.time()
                    if wait > 0:
                        time.sleep(wait)
                order_id = f"o_bench{number:05d}"
                tickets = [
                    {
                        "ticket_id": f"t-bench-{number}-{i}",
                        "performance_id": performance_id,
                        "house_id": "bench-house",
                        "category": "A",
                        "tariff_code": "full",
                        "price": 2000,
                        "seat_id": seat_ids[(2 * number + i) % len(seat_ids)],
                    }
                    for i in range(2)
                ]
                now = datetime.now(UTC)
                with lock:
                    published[tickets[0]["ticket_id"]] = now.timestamp()
                ports.events().publish(
                    "OrderPlaced",
                    f"OrderPlaced:{order_id}",
                    now,
                    {
                        "order_id": order_id,
                        "total": 4000,
                        "currency": "EUR",
                        "seller_house_id": "bench-house",
                        "houses": {"bench-house": 4000},
                        "tickets": tickets,
                    },
                )

        threads = [threading.Thread(target=publisher) for _ in range(max(1, args.publishers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        published_at = time.time()
        wanted = {f"urn:podium:demo:verkoop:{ticket}" for ticket in published}
        while time.monotonic() < deadline and not wanted <= set(exchange.received_at):
            time.sleep(0.1)
        stack.consumers.wait_idle(30)
        received = {node: exchange.received_at[node] for node in wanted if node in exchange.received_at}
        lags = [
            received[f"urn:podium:demo:verkoop:{ticket}"] - at
            for ticket, at in published.items()
            if f"urn:podium:demo:verkoop:{ticket}" in received
        ]
        last = max(received.values()) if received else published_at
        pollers = {
            name: {key: counts[key] for key in ("records", "batches", "failures")}
            for name, counts in stack.consumers.counts().items()
        }
        result = {
            "events": len(published),
            "received": len(received),
            "rate_asked": args.rate,
            "publish_seconds": round(published_at - began, 2),
            "publish_rate": round(len(published) / max(0.001, published_at - began), 1),
            "events_per_second": round(len(received) / max(0.001, last - began), 1),
            "lag_ms": {
                "p50": round(percentile(lags, 0.5) * 1000),
                "p95": round(percentile(lags, 0.95) * 1000),
                "p99": round(percentile(lags, 0.99) * 1000),
                "max": round(max(lags) * 1000) if lags else None,
            },
            "consumers": pollers,
            "duplicates_at_receiver": exchange.duplicates,
            "dead_lettered": {name: _depth(stack, name.replace("Queue", "DeadLetterQueue")) for name in pollers},
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
        print(
            f"| {datetime.now(UTC):%Y-%m-%d} | {len(published)} events, rate {args.rate or 'max'}, "
            f"{args.publishers} publishers | {result['events_per_second']} | {result['lag_ms']['p50']} / "
            f"{result['lag_ms']['p95']} / {result['lag_ms']['p99']} | {len(received)}/{len(published)} |"
        )
    finally:
        stack.stop()
    return 0


def _depth(stack, logical_id: str) -> int:
    from . import resources

    sqs = resources.client("sqs", stack.moto.url)
    return int(
        sqs.get_queue_attributes(QueueUrl=stack.refs[logical_id], AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
    )


if __name__ == "__main__":
    raise SystemExit(main())
