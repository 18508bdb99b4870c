"""`scripts/bench settlement`: time and memory to settle a period of `--tickets` tickets over `--houses` houses.

Starts its own fresh embedded stack (nothing of `.local/` is touched), creates `--houses` houses
through the staff API and sets a cluster agreement with a 5 % box-office commission. It then
writes the period's ledger straight into the stack's DynamoDB: the journal entries the checkout
and refunds would book (`settlement_figures.synthetic_period`: orders of 1–4 tickets, 20 % of
them over two houses, 10 % sold by another house's box office, 5 % partly refunded later in the
period, the provider's fee per order), stored as exactly the items `store.orders.put_ledger_entries`
stores (`store.orders.ledger_items`), 25 to a `BatchWriteItem`. Making them through real
checkouts instead would take hours (~0.5 paid orders/s locally, `scripts/bench checkout`).

Then the real settlement: `services.settlements.start_settlement`, the settlement workflow in the
embedded Step Functions, its three Lambda handlers in this process (GatherStatements: every
house's ledger read and its statement built and stored; PayHouses: one Stripe Connect transfer
per house by the local payment provider, connected accounts created on first payout, as the
settlement tests do; ClosePeriod). It measures the wall time of each step (and, inside the
gather, of the ledger reads, the statements and their storing), the total from the start to the
execution's success, the process's peak RSS (psutil, sampled every 20 ms; moto and its tables
live in this process too), optionally tracemalloc's peak (`--tracemalloc`: slows everything),
the DynamoDB requests the handlers make and the items they read, and checks the money: the
provider's transfers plus the fees equal what was collected less what was refunded, to the cent.

Separately, the pure part (no AWS): the same statements built from the entries in memory, timed
and with tracemalloc's peak, so that the computation and the AWS-bound part can be told apart.

`--pure-only` measures the pure part alone (no stack); `--read-houses N` writes the ledger and then
only times the gather's reads (`house_ledger`) of N houses, no settlement. Bounded: no more ledger
writes after `--max-seconds` (what was written is settled, and said so), and no more waiting for the
workflow after `--max-seconds` more. It stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import requests

from .settlement_figures import (
    carried_forward,
    house_ids,
    money_check,
    statements_from_stored,
    statements_in_memory,
    stored_ledgers,
    synthetic_period,
)
from .stack import EmbeddedStack

COMMISSION_BP = 500


def agreement():
    from chalicelib.domain.agreements import Agreement, CommissionRule

    return Agreement(commission=CommissionRule("percent", COMMISSION_BP))


class PeakRss:
    """The process's resident set, sampled in a thread; `peak` since the last `reset`."""

    def __init__(self, interval: float = 0.02) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def now(self) -> int:
        return self.process.memory_info().rss

    def reset(self) -> None:
        self.peak = self.now()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Timings:
    """Wall time and calls of chosen functions, wrapped where the settlement service finds them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self.spans: dict[str, list[float]] = {}  # name → [first start, last end] (perf_counter)
        self._lock = threading.Lock()
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                with self._lock:
                    self.seconds[name] += ended - began
                    self.calls[name] += 1
                    span = self.spans.setdefault(name, [began, ended])
                    span[0], span[1] = min(span[0], began), max(span[1], ended)

        setattr(owner, attribute, timed)
        self._undo.append((owner, attribute, original))

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)
        self._undo.clear()


class DynamoCounter:
    """Every DynamoDB request PynamoDB makes in this process while on, and the items it read."""

    def __init__(self) -> None:
        from pynamodb.connection.base import Connection

        self.requests: Counter = Counter()
        self.items_read = 0
        self.on = False
        self._lock = threading.Lock()
        self._connection = Connection
        self._original = Connection._make_api_call
        counter = self

        def call(connection, operation_name, operation_kwargs):
            answer = counter._original(connection, operation_name, operation_kwargs)
            if counter.on:
                read = 0
                if operation_name in ("Query", "Scan"):
                    read = int(answer.get("Count", 0))
                elif operation_name == "GetItem":
                    read = 1 if answer.get("Item") else 0
                elif operation_name == "BatchGetItem":
                    read = sum(len(items) for items in answer.get("Responses", {}).values())
                with counter._lock:
                    counter.requests[operation_name] += 1
                    counter.items_read += read
            return answer

        Connection._make_api_call = call

    def restore(self) -> None:
        self._connection._make_api_call = self._original


def create_houses(stack: EmbeddedStack, houses: list[str]) -> None:
    from chalicelib.web.auth import Role, issue_token

    key = stack.secret_values["StaffTokenSecret"]
    coordinator = {"Authorization": f"Bearer {issue_token(key, 'bench', Role.COORDINATOR, None)}"}
    for number, house_id in enumerate(houses):
        answer = requests.post(
            stack.api_url + "/staff/houses",
            json={"id": house_id, "name": f"Bench {number}"},
            headers=coordinator,
            timeout=60,
        )
        answer.raise_for_status()


def write_ledger(period, max_seconds: float) -> dict:
    """The period's ledger items, 25 to a BatchWriteItem, until done or `max_seconds`."""
    from chalicelib.store.models import LedgerItem
    from chalicelib.store.orders import ledger_items

    began = time.perf_counter()
    deadline = time.monotonic() + max_seconds
    items = orders = 0
    written_until = None
    with LedgerItem.batch_write() as batch:
        for booked_at, entries in period.batches:
            if time.monotonic() > deadline:
                break
            for item in ledger_items(entries, booked_at):
                batch.save(item)
                items += 1
            orders += 1
            written_until = booked_at
    return {
        "items": items,
        "batches": orders,
        "of_batches": len(period.batches),
        "complete": orders == len(period.batches),
        "written_until": written_until,
        "seconds": time.perf_counter() - began,
    }


def pure_part(period, houses: list[str], starts_at: datetime, ends_at: datetime) -> tuple[dict, list[dict]]:
    """Statements from the entries in memory (no AWS): wall time and tracemalloc's peak above what was
    there, from the entry objects, and from the entries' JSON as the items hold it (decoding included)."""
    began = time.perf_counter()
    statements = statements_in_memory(period, houses, "bench", starts_at, ends_at)
    seconds = time.perf_counter() - began
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    statements_in_memory(period, houses, "bench", starts_at, ends_at)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    stored = stored_ledgers(period)
    began = time.perf_counter()
    decoded = statements_from_stored(stored, houses, "bench", starts_at, ends_at)
    decode_seconds = time.perf_counter() - began
    assert decoded == statements
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    statements_from_stored(stored, houses, "bench", starts_at, ends_at)
    decode_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {
        "statements_seconds": round(seconds, 3),
        "statements_tracemalloc_peak_mib": round(peak / 2**20, 1),
        "decode_and_statements_seconds": round(decode_seconds, 3),
        "decode_and_statements_tracemalloc_peak_mib": round(decode_peak / 2**20, 1),
        "ledger_rows": sum(len(rows) for rows in stored.values()),
        "largest_house_rows": max((len(rows) for rows in stored.values()), default=0),
        "statements": len(statements),
    }, statements


def settle(
    stack: EmbeddedStack, starts_at: datetime, ends_at: datetime, max_seconds: float, with_tracemalloc: bool
) -> dict:
    """The real settlement through the embedded Step Functions, measured."""
    from chalicelib import ports
    from chalicelib.services import settlements as service
    from chalicelib.store import orders as order_store
    from chalicelib.store import settlements as settlement_store

    from . import resources
    from .workflows import dispatcher

    timings = Timings()
    timings.wrap(order_store, "house_ledger", "read ledgers")
    timings.wrap(service, "build_statement", "build statements")
    timings.wrap(settlement_store, "put_statement", "store statements")
    payments = ports.payments()  # the Stripe adapter the app installed (the tasks run in this process)
    timings.wrap(payments, "create_connected_account", "create connected accounts")
    timings.wrap(payments, "create_transfer", "create transfers")
    original_invoke = dispatcher.invoke
    steps: dict[str, list[float]] = {}
    rss = PeakRss()
    counter = DynamoCounter()

    def invoke(function_name, event, timeout_seconds=60):
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return original_invoke(function_name, event, timeout_seconds)
        finally:
            ended, cpu = time.perf_counter(), time.thread_time() - began_cpu
            step = function_name.rsplit("-", 1)[-1]
            span = steps.setdefault(step, [began, ended, 0, 0.0])
            span[0], span[1], span[2], span[3] = min(span[0], began), max(span[1], ended), span[2] + 1, span[3] + cpu

    dispatcher.invoke = invoke
    sfn = resources.client("stepfunctions", stack.moto.url)
    try:
        rss_before = rss.now()
        rss.reset()
        if with_tracemalloc:
            tracemalloc.start()
            traced_before = tracemalloc.get_traced_memory()[0]
        counter.on = True
        began = time.perf_counter()
        period, run = service.start_settlement(None, starts_at, ends_at, datetime.now(UTC))
        arn = stack.refs["SettlementStateMachine"].replace(":stateMachine:", ":execution:") + f":{run}"
        deadline = time.monotonic() + max_seconds
        status = "RUNNING"
        while time.monotonic() < deadline:
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status != "RUNNING":
                break
            time.sleep(0.05)
        total = time.perf_counter() - began
        counter.on = False
        traced_peak = tracemalloc.get_traced_memory()[1] - traced_before if with_tracemalloc else None
        if with_tracemalloc:
            tracemalloc.stop()
        rss_peak = rss.peak
    finally:
        counter.on = False
        rss.stop()
        counter.restore()
        del dispatcher.invoke
        timings.restore()

    def span(name: str, cpu: bool = False) -> float | None:
        for step, (first, last, _, cpu_seconds) in steps.items():
            if step.lower().endswith(name.lower()):
                return round(cpu_seconds if cpu else last - first, 3)
        return None

    return {
        "period_id": period.period_id,
        "run": run,
        "status": status,
        "total_seconds": round(total, 3),
        "steps_seconds": {
            "gather (read ledgers, build and store statements)": span("SettlementGather"),
            "pay houses (transfers)": span("SettlementPayHouse"),
            "close (mark settled)": span("SettlementClose"),
        },
        # CPU time of the handlers' own threads: their work as a Lambda would do it, without moto's
        # (moto answers in its own threads).
        "handler_cpu_seconds": {
            "gather": span("SettlementGather", True),
            "pay houses": span("SettlementPayHouse", True),
            "close": span("SettlementClose", True),
        },
        "inside_seconds": {name: round(seconds, 3) for name, seconds in timings.seconds.items()},
        "inside_calls": dict(timings.calls),
        "task_invocations": {step: count for step, (_, _, count, _) in steps.items()},
        "rss_mib": {
            "before": round(rss_before / 2**20),
            "peak": round(rss_peak / 2**20),
            "peak_above_before": round((rss_peak - rss_before) / 2**20),
        },
        "tracemalloc_peak_above_before_mib": round(traced_peak / 2**20, 1) if traced_peak is not None else None,
        "dynamodb_requests": dict(counter.requests),
        "dynamodb_items_read": counter.items_read,
    }


def read_houses(houses: list[str], ends_at: datetime) -> dict:
    """Only the gather's reads: `house_ledger` of a few houses, as the gather calls it, timed and counted."""
    from chalicelib.store import orders as order_store

    counter = DynamoCounter()
    reads = []
    try:
        counter.on = True
        for house_id in houses:
            before = sum(counter.requests.values())
            began, began_cpu = time.perf_counter(), time.thread_time()
            rows = len(order_store.house_ledger(house_id, ends_at))
            print(f"[bench] {house_id}: {rows} rows in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            reads.append(
                {
                    "house": house_id,
                    "rows": rows,
                    "seconds": round(time.perf_counter() - began, 2),
                    "client_cpu_seconds": round(time.thread_time() - began_cpu, 3),
                    "queries": sum(counter.requests.values()) - before,
                }
            )
    finally:
        counter.restore()
    return {"houses": reads, "items_read": counter.items_read}


def transfers_of(stack: EmbeddedStack, period_id: str) -> list:
    import stripe

    keys = json.loads(stack.secret_values["PaymentSecret"])
    client = stripe.StripeClient(keys["api_key"], base_addresses={"api": stack.payments.url})
    return list(
        client.v1.transfers.list({"transfer_group": f"settlement:{period_id}", "limit": 100}).auto_paging_iter()
    )


def bench_settlement(args) -> dict:
    began = time.monotonic()
    houses = house_ids(args.houses)
    ends_at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    starts_at = ends_at - timedelta(days=7)
    generated = time.perf_counter()
    period = synthetic_period(args.tickets, houses, starts_at, ends_at, agreement(), seed=args.seed)
    generated = time.perf_counter() - generated
    pure, pure_statements = pure_part(period, houses, starts_at, ends_at)
    result: dict = {
        "tickets": period.tickets,
        "houses": args.houses,
        "orders": period.orders,
        "cross_house_orders": period.cross_house_orders,
        "multi_house_orders": period.multi_house_orders,
        "refunds": period.refunds,
        "tickets_refunded": period.tickets_refunded,
        "journal_entries": period.entries,
        "generate_seconds": round(generated, 2),
        "pure": pure,
        "pure_money": money_check(
            period.collected,
            period.refunded,
            period.fees,
            sum(s["to_transfer"] for s in pure_statements),
            carried_forward(pure_statements),
        ),
    }
    if args.pure_only:
        result["wall_seconds"] = round(time.monotonic() - began, 1)
        return result
    with (
        open(args.handler_log, "a") as handler_log,
        contextlib.redirect_stdout(handler_log),
        tempfile.TemporaryDirectory() as state,
        EmbeddedStack(
            state_dir=Path(state), fresh=True, sweep_interval=0, snapshot_interval=0, functions_process=False
        ) as stack,
    ):  # task handlers timed in this process
        from chalicelib.store import settlements as settlement_store

        create_houses(stack, houses)
        settlement_store.save_agreement(agreement(), 0, "bench", datetime.now(UTC))
        written = write_ledger(period, args.max_seconds)
        print(f"[bench] {written['items']} ledger items written in {written['seconds']:.1f} s", file=sys.stderr)
        result["write"] = {
            "items": written["items"],
            "complete": written["complete"],
            "seconds": round(written["seconds"], 1),
            "items_per_second": round(written["items"] / max(written["seconds"], 1e-9)),
        }
        if args.read_houses:
            result["reads"] = read_houses(houses[: args.read_houses], ends_at)
            result["load_average"] = [round(x, 2) for x in os.getloadavg()]
            result["wall_seconds"] = round(time.monotonic() - began, 1)
            return result
        settle_ends = ends_at if written["complete"] else written["written_until"] + timedelta(microseconds=1)
        if not written["complete"]:
            # Only what was written is settled: the money check counts those orders alone.
            kept = [batch for batch in period.batches if batch[0] < settle_ends]
            result["write"]["settled_batches"] = len(kept)
        settled = settle(stack, starts_at, settle_ends, args.max_seconds, args.tracemalloc)
        result["settlement"] = settled
        transfers = transfers_of(stack, settled["period_id"])
        statements = [settlement_store.get_statement(settled["period_id"], h) for h in houses]
        result["statements"] = {
            "stored": len(statements),
            "paid": sum(s.status == "paid" for s in statements),
            "transfers": len(transfers),
            "largest_item_kib": round(max(len(json.dumps(s.statement)) for s in statements) / 1024, 1),
        }
        fees = sum(s.statement["totals"]["fees"] for s in statements)
        if written["complete"]:
            result["money"] = money_check(
                period.collected,
                period.refunded,
                fees,
                sum(t.amount for t in transfers),
                carried_forward([s.statement for s in statements]),
            )
            result["money"]["fees_as_booked"] = period.fees
        result["rss_mib_end"] = round(psutil.Process().memory_info().rss / 2**20)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    result["wall_seconds"] = round(time.monotonic() - began, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench settlement", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--houses", type=int, default=20)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900,
        help="no more ledger writes after this; then at most this long for the workflow",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the settlement's allocations")
    parser.add_argument(
        "--read-houses",
        type=int,
        default=0,
        help="no settlement: only time the gather's ledger reads of this many houses",
    )
    parser.add_argument("--pure-only", action="store_true", help="only the statements in memory: no stack, no AWS")
    parser.add_argument("--handler-log", default=os.devnull, help="where the in-process Lambda handlers' logs go")
    args = parser.parse_args(argv)
    if args.houses < 1 or args.tickets < 1:
        parser.error("--tickets and --houses must be positive")
    result = bench_settlement(args)
    result.setdefault("load_average", [round(x, 2) for x in os.getloadavg()])
    print(json.dumps(result, indent=2, default=str))
    if args.pure_only or args.read_houses:
        return 0 if result["pure_money"]["balanced"] else 1
    settlement = result["settlement"]
    steps = settlement["steps_seconds"]
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {result['tickets']:,} tickets, {result['houses']} houses "
        f"| {result['write']['items']:,} items in {result['write']['seconds']} s "
        f"| {' / '.join(str(v) for v in steps.values())} | {settlement['total_seconds']} "
        f"| {settlement['rss_mib']['peak_above_before']} | {settlement['dynamodb_items_read']:,} "
        f"| {result['pure']['decode_and_statements_seconds']} s, "
        f"{result['pure']['decode_and_statements_tracemalloc_peak_mib']} MiB "
        f"| {result.get('money', {}).get('balanced')} |"
    )
    return 0 if settlement["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
