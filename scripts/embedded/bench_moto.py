"""How fast moto's server takes racing seat claims: `python -m scripts.embedded.bench_moto [--original]`.

`clients` threads each claim 1-4 random seats of a `seats`-seat performance in one
TransactWriteItems (free -> held, condition `#s = :free`) for `seconds`, over HTTP, through
`LockedMotoApp`. Reports transactions per second, latency, and whether the table holds exactly
what the clients were told (double holds, lost or phantom holds).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.localaws import dynamodb as fast_dynamodb
from scripts.localaws.server import LockedMotoApp

from . import motoserver

_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120)


def _client(url: str):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=_CONFIG,
    )


def _claim(table: str, seat: str, holder: str) -> dict:
    return {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": "PERF#1"}, "SK": {"S": seat}},
            "UpdateExpression": "SET #s = :held, holder = :h",
            "ConditionExpression": "#s = :free",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":held": {"S": "held"}, ":free": {"S": "free"}, ":h": {"S": holder}},
        }
    }


def bench_transactions(
    seats: int = 5000, clients: int = 16, seconds: float = 10, fast: bool = True, seed: int = 1
) -> dict[str, Any]:
    """Race `clients` claimers for `seconds` on a fresh `seats`-seat table; returns the numbers."""
    was_fast = fast_dynamodb.fast_transactions_installed()
    (fast_dynamodb.install_fast_transactions if fast else fast_dynamodb.uninstall_fast_transactions)()
    server = motoserver.serve(LockedMotoApp())
    table = f"bench-{seed}-{time.monotonic_ns()}"
    try:
        dynamodb = _client(server.url)
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
        )
        for start in range(0, seats, 25):
            dynamodb.batch_write_item(
                RequestItems={
                    table: [
                        {
                            "PutRequest": {
                                "Item": {"PK": {"S": "PERF#1"}, "SK": {"S": f"SEAT#{n}"}, "state": {"S": "free"}}
                            }
                        }
                        for n in range(start, min(start + 25, seats))
                    ]
                }
            )

        latencies: list[float] = []
        won: list[set[str]] = [set() for _ in range(clients)]
        counts = {"committed": 0, "cancelled": 0, "errors": 0}
        lock = threading.Lock()
        barrier = threading.Barrier(clients)
        deadline: list[float] = []

        def claimer(index: int) -> None:
            client, rng = _client(server.url), random.Random(seed * 1000 + index)
            if barrier.wait() == 0:
                deadline.append(time.monotonic() + seconds)
            barrier.wait()
            while time.monotonic() < deadline[0]:
                picks = [f"SEAT#{n}" for n in rng.sample(range(seats), rng.randint(1, 4))]
                began = time.perf_counter()
                try:
                    client.transact_write_items(TransactItems=[_claim(table, s, f"client-{index}") for s in picks])
                    outcome = "committed"
                    won[index].update(picks)
                except ClientError as error:
                    cancelled = error.response["Error"]["Code"] == "TransactionCanceledException"
                    outcome = "cancelled" if cancelled else "errors"
                except Exception:
                    outcome = "errors"
                with lock:
                    latencies.append(time.perf_counter() - began)
                    counts[outcome] += 1

        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began

        pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        held = {
            item["SK"]["S"]: item.get("holder", {}).get("S")
            for page in pages
            for item in page["Items"]
            if item["state"]["S"] == "held"
        }
        told: dict[str, str] = {}
        double = 0
        for index, seats_won in enumerate(won):
            for seat in seats_won:
                double += seat in told
                told[seat] = f"client-{index}"
        total = counts["committed"] + counts["cancelled"] + counts["errors"]
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return {
            "implementation": "fast" if fast else "moto",
            "seats": seats,
            "clients": clients,
            "seconds": round(elapsed, 1),
            **counts,
            "tx_per_s": round(total / elapsed, 1),
            "committed_per_s": round(counts["committed"] / elapsed, 1),
            "p50_ms": round(quantiles[49] * 1000, 1),
            "p95_ms": round(quantiles[94] * 1000, 1),
            "double_holds": double,
            "told_not_held": sum(1 for seat, holder in told.items() if held.get(seat) != holder),
            "held_not_told": len(set(held) - set(told)),
        }
    finally:
        try:
            _client(server.url).delete_table(TableName=table)
        finally:
            server.stop()
            (fast_dynamodb.install_fast_transactions if was_fast else fast_dynamodb.uninstall_fast_transactions)()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_moto", description=__doc__)
    parser.add_argument("--seats", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--original", action="store_true", help="moto's own transact_write_items")
    args = parser.parse_args(argv)
    print(json.dumps(bench_transactions(args.seats, args.clients, args.seconds, fast=not args.original)))


if __name__ == "__main__":
    main()
