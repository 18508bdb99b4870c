"""moto's server as the embedded stack runs it (scripts/embedded/motoserver.py, the patches of scripts/localaws).

- Parity: moto's own `transact_write_items` and the fast one give a boto3 client the same
  answer (error code, message, CancellationReasons) and leave the same table (and stream)
  behind; over HTTP for the named scenarios, in-process for random ones (hypothesis).
- Race: 16+ clients claim seats over HTTP at once; what each client was told must be exactly
  what the table holds, with no seat held twice, no acknowledged write lost, no 500.
- The lock: Lambda invocations pass without it, everything else is serialised, whole
  response bodies are produced under it.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend

from scripts.embedded import background, motoserver
from scripts.localaws import dynamodb as fast_dynamodb
from scripts.localaws import server as moto_app
from scripts.localaws.fairness import FairLock
from scripts.localaws.server import LockedMotoApp

REGION = "eu-west-1"
# No retries: a 500 must show up as an error, not be retried away.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def client(url: str, service: str = "dynamodb"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES,
    )


@pytest.fixture(scope="module")
def server():
    started = motoserver.start_moto_server()
    yield started
    started.stop()


@pytest.fixture
def restore_fast_transactions():
    yield
    fast_dynamodb.install_fast_transactions()


def S(value: str) -> dict:
    return {"S": value}


def N(value: str) -> dict:
    return {"N": value}


SEATS_SCHEMA = dict(
    KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
)
NUMERIC_SCHEMA = dict(
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
)


def create_table(dynamodb, name: str, schema: dict, stream: bool = False) -> None:
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **schema, **extra)


def seat_key(sk: str) -> dict:
    return {"PK": S("PERF#1"), "SK": S(sk)}


def seat(sk: str, state: str = "free", **attrs: dict) -> dict:
    return {**seat_key(sk), "state": S(state), **attrs}


def claim(table: str, sk: str, holder: str = "h1", **extra) -> dict:
    return {
        "Update": {
            "TableName": table,
            "Key": seat_key(sk),
            "UpdateExpression": "SET #s = :held, holder = :h",
            "ConditionExpression": "#s = :free",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":held": S("held"), ":free": S("free"), ":h": S(holder)},
            **extra,
        }
    }


def is_free(table: str, sk: str) -> dict:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": seat_key(sk),
            "ConditionExpression": "#s = :free",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":free": S("free")},
        }
    }


def put_new(table: str, item: dict) -> dict:
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def with_update(op: dict, **changes) -> dict:
    return {"Update": {**op["Update"], **changes}}


def add_one(table: str, sk: str, attribute: str) -> dict:
    return {
        "Update": {
            "TableName": table,
            "Key": seat_key(sk),
            "UpdateExpression": "ADD #a :one",
            "ExpressionAttributeNames": {"#a": attribute},
            "ExpressionAttributeValues": {":one": N("1")},
        }
    }


# --------------------------------------------------------------------------------------------
# Parity over HTTP: each scenario once with moto's implementation, once with ours
# --------------------------------------------------------------------------------------------


def _scenarios(t: str) -> dict[str, dict[str, Any]]:
    """name -> seed items, the transaction, and the error code a boto3 client must see (None = success)."""
    return {
        "all pass": dict(
            seed=[seat("A"), seat("B"), seat("C")],
            tx=[
                claim(t, "A"),
                put_new(t, seat("D")),
                {"Delete": {"TableName": t, "Key": seat_key("C"), "ConditionExpression": "attribute_exists(PK)"}},
                is_free(t, "B"),
            ],
            expect=None,
        ),
        "one ConditionCheck fails": dict(
            seed=[seat("A"), seat("B", "held"), seat("C")],
            tx=[claim(t, "A"), is_free(t, "B"), claim(t, "C"), put_new(t, seat("D"))],
            expect="TransactionCanceledException",
        ),
        "Put attribute_not_exists on an existing item": dict(
            seed=[seat("A"), seat("B")],
            tx=[claim(t, "B"), put_new(t, seat("A", "held"))],
            expect="TransactionCanceledException",
        ),
        "Update condition fails, ALL_OLD returns the item": dict(
            seed=[seat("A", "held", holder=S("someone")), seat("B")],
            tx=[
                claim(t, "B", ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                claim(t, "A", ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            ],
            expect="TransactionCanceledException",
        ),
        "101 items": dict(
            seed=[seat("A")],
            tx=[claim(t, "A")] + [is_free(t, f"X{n:03d}") for n in range(100)],
            expect="ValidationException",
        ),
        "two actions on one item": dict(
            seed=[seat("A"), seat("B")],
            tx=[claim(t, "B"), claim(t, "A"), is_free(t, "A")],
            expect="ValidationException",
        ),
        "two actions on one item, then an ADD type error": dict(
            seed=[seat("A"), seat("B", label=S("text"))],
            tx=[claim(t, "A"), is_free(t, "A"), add_one(t, "B", "label")],
            expect="ValidationException",
        ),
        "ConditionCheck on a missing table": dict(
            seed=[seat("A")],
            tx=[claim(t, "A"), {"ConditionCheck": {**is_free(t, "B")["ConditionCheck"], "TableName": "no-such-table"}}],
            expect="TransactionCanceledException",
        ),
        "Update on a missing table": dict(
            seed=[seat("A")], tx=[claim(t, "A"), claim("no-such-table", "B")], expect="ResourceNotFoundException"
        ),
        "ADD type error": dict(
            seed=[seat("A"), seat("B", label=S("text"))],
            tx=[claim(t, "A"), put_new(t, seat("D")), add_one(t, "B", "label")],
            expect="ValidationException",
        ),
        "ADD type error after a failed condition": dict(
            seed=[seat("A", "held"), seat("B"), seat("C", label=S("text"))],
            tx=[claim(t, "A"), claim(t, "B"), add_one(t, "C", "label")],
            expect="ValidationException",
        ),
        "SET n = n + 1 on a missing attribute": dict(
            seed=[seat("A"), seat("B")],
            tx=[
                claim(t, "A"),
                {
                    "Update": {
                        "TableName": t,
                        "Key": seat_key("B"),
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": N("1")},
                    }
                },
            ],
            expect="ValidationException",
        ),
        "UpdateExpression with an undefined value": dict(
            seed=[seat("A"), seat("B")],
            tx=[claim(t, "A"), with_update(claim(t, "B"), UpdateExpression="SET #s = :nope")],
            expect="ValidationException",
        ),
        "UpdateExpression syntax error": dict(
            seed=[seat("A"), seat("B")],
            tx=[claim(t, "A"), with_update(claim(t, "B"), UpdateExpression="SET #s = :held, ADD x :h")],
            expect="ValidationException",
        ),
        # moto answers a malformed ConditionExpression ("#s = = :free") with a 500 from its request
        # parsing, before any transaction code runs; a condition that fails to EVALUATE becomes a
        # cancellation reason named after the Python exception.
        "condition that cannot be evaluated": dict(
            seed=[seat("A"), seat("B")],
            tx=[claim(t, "A"), with_update(claim(t, "B"), ConditionExpression="size(#s) > :free")],
            expect="TransactionCanceledException",
        ),
        # moto raises a ValidationException that is not its MockValidationException here: the
        # loop records it as a cancellation reason (with a JSON message) instead of failing.
        "invalid number in a Put after an applied Update": dict(
            seed=[seat("A")],
            tx=[claim(t, "A"), {"Put": {"TableName": t, "Item": seat("E", n=N("not-a-number"))}}],
            expect="TransactionCanceledException",
        ),
        "Update creates an item, then a condition fails": dict(
            seed=[seat("A", "held")],
            tx=[claim(t, "Z", ConditionExpression="attribute_not_exists(PK)"), is_free(t, "A")],
            expect="TransactionCanceledException",
        ),
        "Delete and Put pass, ConditionCheck fails": dict(
            seed=[seat("A"), seat("B", "held")],
            tx=[{"Delete": {"TableName": t, "Key": seat_key("A")}}, put_new(t, seat("C")), is_free(t, "B")],
            expect="TransactionCanceledException",
        ),
    }


SCENARIOS = list(_scenarios("t"))


def _run(
    server, table: str, seed: list[dict], tx: list[dict], fast: bool, schema: dict = SEATS_SCHEMA, stream: bool = False
) -> tuple[Any, Any]:
    """The boto3-visible outcome of one transaction and the table (and stream) it leaves behind."""
    (fast_dynamodb.install_fast_transactions if fast else fast_dynamodb.uninstall_fast_transactions)()
    dynamodb = client(server.url)
    create_table(dynamodb, table, schema, stream)
    try:
        for item in seed:
            dynamodb.put_item(TableName=table, Item=item)
        try:
            dynamodb.transact_write_items(TransactItems=tx)
            outcome: Any = "ok"
        except ClientError as error:
            outcome = (
                error.response["Error"]["Code"],
                error.response["Error"]["Message"],
                error.response.get("CancellationReasons"),
            )
        items = sorted(
            dynamodb.scan(TableName=table, ConsistentRead=True)["Items"],
            key=lambda item: json.dumps(item, sort_keys=True),
        )
        return outcome, {"items": items, "stream": _stream_records(server, dynamodb, table) if stream else None}
    finally:
        dynamodb.delete_table(TableName=table)


# moto's SizeBytes is the length of a JSON dump that includes the timestamp.
TIME_DEPENDENT = {"ApproximateCreationDateTime", "SizeBytes"}


def _stream_records(server, dynamodb, table: str) -> list[dict]:
    streams = client(server.url, "dynamodbstreams")
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            data = {k: v for k, v in record["dynamodb"].items() if k not in TIME_DEPENDENT}
            records.append({"eventName": record["eventName"], "dynamodb": data})
    return records


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_answer_and_table_as_moto(server, name, restore_fast_transactions):
    table = f"parity-{secrets.token_hex(4)}"
    scenario = _scenarios(table)[name]
    moto_outcome, moto_state = _run(server, table, scenario["seed"], scenario["tx"], fast=False)
    fast_outcome, fast_state = _run(server, table, scenario["seed"], scenario["tx"], fast=True)

    assert fast_outcome == moto_outcome
    assert fast_state == moto_state
    # The comparison is not vacuous: each scenario does what it is named after.
    code = None if moto_outcome == "ok" else moto_outcome[0]
    assert code == scenario["expect"], moto_outcome
    if code is not None:
        assert moto_state["items"] == sorted(scenario["seed"], key=lambda item: json.dumps(item, sort_keys=True)), (
            "a failed transaction must leave the seed untouched"
        )


def test_parity_details_a_client_relies_on(server, restore_fast_transactions):
    """The parts of the answers the scenario names promise, spelled out once."""
    t = f"parity-{secrets.token_hex(4)}"
    scenarios = _scenarios(t)

    def fast(name):
        return _run(server, t, scenarios[name]["seed"], scenarios[name]["tx"], fast=True)

    outcome, _ = fast("Update condition fails, ALL_OLD returns the item")
    assert outcome[2] == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": seat("A", "held", holder=S("someone")),
        },
    ]
    outcome, _ = fast("one ConditionCheck fails")
    assert [reason["Code"] for reason in outcome[2]] == ["None", "ConditionalCheckFailed", "None", "None"]
    outcome, _ = fast("two actions on one item")
    assert outcome[1] == "Transaction request cannot include multiple operations on one item"
    outcome, _ = fast("101 items")
    assert "Member must have length less than or equal to 100" in outcome[1]


def test_numeric_key_written_twice_falls_back_to_moto(server, restore_fast_transactions):
    """{"N": "1"} and {"N": "1.0"} pass moto's duplicate check but are the same item."""
    table = f"parity-{secrets.token_hex(4)}"

    def set_state(key: str, state: str) -> dict:
        return {
            "Update": {
                "TableName": table,
                "Key": {"id": N(key)},
                "UpdateExpression": "SET #s = :to",
                "ConditionExpression": "#s = :free",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":to": S(state), ":free": S("free")},
            }
        }

    def still_free(key: str) -> dict:
        return {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"id": N(key)},
                "ConditionExpression": "#s = :free",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":free": S("free")},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    seed = [{"id": N("1"), "state": S("free")}]
    # moto applies the first write before it checks the second: the second sees "held".
    tx = [set_state("1", "held"), still_free("1.0")]
    results = [_run(server, table, seed, tx, fast=fast, schema=NUMERIC_SCHEMA) for fast in (False, True)]
    assert results[0] == results[1]
    assert results[0][0][0] == "TransactionCanceledException"
    assert results[0][0][2][1]["Item"] == {"id": N("1"), "state": S("held")}


def test_stream_records_of_an_undone_write_are_undone_too(server, restore_fast_transactions):
    table = f"parity-{secrets.token_hex(4)}"
    seed = [seat("A"), seat("B", label=S("text"))]
    tx = [claim(table, "A"), add_one(table, "B", "label")]
    results = [_run(server, table, seed, tx, fast=fast, stream=True) for fast in (False, True)]
    assert results[0] == results[1]
    assert results[0][0][0] == "ValidationException"
    assert [r["eventName"] for r in results[0][1]["stream"]] == ["INSERT", "INSERT"]


# --------------------------------------------------------------------------------------------
# Parity in-process, random transactions: moto's function and ours on twin backends
# --------------------------------------------------------------------------------------------

ACCOUNT = "123456789012"
NAMES = {"#s": "state"}
VALUES = {":free": S("free"), ":held": S("held"), ":h": S("h1"), ":one": N("1")}
CONDITIONS = [None, "#s = :free", "#s = :held", "attribute_exists(#s)", "attribute_not_exists(#s)"]
UPDATES = [
    "SET #s = :held, holder = :h",
    "ADD n :one",
    "ADD #s :one",
    "SET n = n + :one",
    "REMOVE holder",
    "SET #s = :free REMOVE n",
]


def _twin_backend() -> DynamoDBBackend:
    backend = DynamoDBBackend(REGION, ACCOUNT)
    common = dict(
        throughput=None,
        global_indexes=None,
        indexes=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    backend.create_table(
        "seats",
        schema=SEATS_SCHEMA["KeySchema"],
        attr=SEATS_SCHEMA["AttributeDefinitions"],
        streams={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **common,
    )
    backend.create_table(
        "numbers",
        schema=NUMERIC_SCHEMA["KeySchema"],
        attr=NUMERIC_SCHEMA["AttributeDefinitions"],
        streams=None,
        **common,
    )
    backend.put_item("seats", seat("A"))
    backend.put_item("seats", seat("B", "held", holder=S("h0"), n=N("3")))
    backend.put_item("seats", seat("C", label=S("x")))
    backend.put_item("numbers", {"id": N("1"), "state": S("free")})
    return backend


def _with_expressions(op: dict, condition: str | None, return_old: str | None) -> dict:
    op = {**op, "ExpressionAttributeNames": NAMES, "ExpressionAttributeValues": VALUES}
    if condition:
        op["ConditionExpression"] = condition
    if return_old:
        op["ReturnValuesOnConditionCheckFailure"] = return_old
    return op


_sk = st.sampled_from(["A", "B", "C", "D", "E", "F"])
_condition = st.sampled_from(CONDITIONS)
_return_old = st.sampled_from([None, "ALL_OLD", "NONE"])
_operation = st.one_of(
    st.builds(
        lambda sk, c, r: {
            "ConditionCheck": _with_expressions(
                {"TableName": "seats", "Key": seat_key(sk)}, c or "attribute_exists(#s)", r
            )
        },
        _sk,
        _condition,
        _return_old,
    ),
    st.builds(
        lambda sk, state, n, c, r: {
            "Put": _with_expressions({"TableName": "seats", "Item": seat(sk, state, n=N(n))}, c, r)
        },
        _sk,
        st.sampled_from(["free", "held"]),
        st.sampled_from(["1", "2.50", "not-a-number"]),
        _condition,
        _return_old,
    ),
    st.builds(
        lambda sk, c, r: {"Delete": _with_expressions({"TableName": "seats", "Key": seat_key(sk)}, c, r)},
        _sk,
        _condition,
        _return_old,
    ),
    st.builds(
        lambda sk, u, c, r: {
            "Update": _with_expressions({"TableName": "seats", "Key": seat_key(sk), "UpdateExpression": u}, c, r)
        },
        _sk,
        st.sampled_from(UPDATES),
        _condition,
        _return_old,
    ),
    # {"N": "1"} and {"N": "1.0"} are one item that moto's duplicate check does not recognise.
    st.builds(
        lambda key, c, r: {
            "Update": _with_expressions(
                {"TableName": "numbers", "Key": {"id": N(key)}, "UpdateExpression": "SET #s = :held"}, c, r
            )
        },
        st.sampled_from(["1", "1.0", "2"]),
        _condition,
        _return_old,
    ),
    st.builds(
        lambda key, c, r: {
            "ConditionCheck": _with_expressions({"TableName": "numbers", "Key": {"id": N(key)}}, c or "#s = :free", r)
        },
        st.sampled_from(["1", "1.0", "2"]),
        _condition,
        _return_old,
    ),
    st.builds(
        lambda sk: {
            "ConditionCheck": _with_expressions(
                {"TableName": "no-such-table", "Key": seat_key(sk)}, "attribute_exists(#s)", None
            )
        },
        _sk,
    ),
)


def _outcome(function, backend: DynamoDBBackend, tx: list[dict]) -> Any:
    try:
        function(backend, tx)
        return "ok"
    except Exception as error:  # compare whatever moto raises, in full
        return (
            type(error).__name__,
            getattr(error, "code", None),
            getattr(error, "message", str(error)),
            getattr(error, "description", None),
        )


def _state(backend: DynamoDBBackend) -> dict:
    state = {name: [item.to_json() for item in table.all_items()] for name, table in backend.tables.items()}
    shard = backend.tables["seats"].stream_shard
    state["stream"] = [
        {k: v for k, v in record.to_json()["dynamodb"].items() if k not in TIME_DEPENDENT}
        | {"eventName": record.to_json()["eventName"]}
        for record in shard.items
    ]
    return state


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_operation, min_size=1, max_size=5), min_size=1, max_size=4))
def test_random_transactions_match_moto(transactions):
    theirs, ours = _twin_backend(), _twin_backend()
    for tx in transactions:
        expected = _outcome(fast_dynamodb.moto_transact_write_items, theirs, json.loads(json.dumps(tx)))
        actual = _outcome(fast_dynamodb.fast_transact_write_items, ours, json.loads(json.dumps(tx)))
        assert actual == expected
        assert _state(ours) == _state(theirs)


# --------------------------------------------------------------------------------------------
# The race, over HTTP
# --------------------------------------------------------------------------------------------


def seed_seats(dynamodb, table: str, seats: int) -> None:
    for start in range(0, seats, 25):
        requests = [{"PutRequest": {"Item": seat(f"SEAT#{n}")}} for n in range(start, min(start + 25, seats))]
        dynamodb.batch_write_item(RequestItems={table: requests})


def run_race(url: str, table: str, seats: int, clients: int, attempts: int, seed: int = 7) -> dict[str, Any]:
    """`clients` threads claim 1-4 random seats per transaction, `attempts` times each; a writer
    thread adds log items and a reader queries, all at once. Returns what everyone was told."""
    barrier = threading.Barrier(clients + 2)
    won: list[set[str]] = [set() for _ in range(clients)]
    counts = {"committed": 0, "cancelled": 0}
    errors: list[str] = []
    acknowledged: list[str] = []
    racing = threading.Event()
    lock = threading.Lock()

    def claimer(index: int) -> None:
        dynamodb, rng = client(url), random.Random(seed * 1000 + index)
        barrier.wait()
        for _ in range(attempts):
            picks = [f"SEAT#{n}" for n in rng.sample(range(seats), rng.randint(1, 4))]
            try:
                dynamodb.transact_write_items(TransactItems=[claim(table, sk, f"client-{index}") for sk in picks])
            except ClientError as error:
                with lock:
                    if error.response["Error"]["Code"] == "TransactionCanceledException":
                        counts["cancelled"] += 1
                    else:
                        errors.append(f"claim: {error}")
                continue
            except Exception as error:  # connection errors, 500s …
                with lock:
                    errors.append(f"claim: {error!r}")
                continue
            won[index].update(picks)
            with lock:
                counts["committed"] += 1

    def writer() -> None:  # plain writes that moto's table copy-and-restore would lose
        dynamodb, n = client(url), 0
        barrier.wait()
        while racing.is_set():
            sk = f"LOG#{n:05d}"
            try:
                dynamodb.put_item(TableName=table, Item={"PK": S("LOG"), "SK": S(sk)})
                acknowledged.append(sk)
            except Exception as error:
                errors.append(f"writer: {error!r}")
            n += 1

    def reader() -> None:
        dynamodb = client(url)
        barrier.wait()
        while racing.is_set():
            try:
                dynamodb.query(
                    TableName=table,
                    KeyConditionExpression="PK = :p",
                    ExpressionAttributeValues={":p": S("PERF#1")},
                    Limit=50,
                )
            except Exception as error:
                errors.append(f"reader: {error!r}")

    racing.set()
    claimers = [threading.Thread(target=claimer, args=(i,)) for i in range(clients)]
    others = [threading.Thread(target=writer), threading.Thread(target=reader)]
    began = time.monotonic()
    for thread in claimers + others:
        thread.start()
    for thread in claimers:
        thread.join(timeout=120)
    racing.clear()
    for thread in others:
        thread.join(timeout=30)
    elapsed = time.monotonic() - began

    dynamodb = client(url)
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    items = [item for page in pages for item in page["Items"]]
    held = {
        item["SK"]["S"]: item.get("holder", {}).get("S")
        for item in items
        if item["PK"]["S"] == "PERF#1" and item["state"]["S"] == "held"
    }
    logged = {item["SK"]["S"] for item in items if item["PK"]["S"] == "LOG"}
    told = {}
    double = set()
    for index, seats_won in enumerate(won):
        for sk in seats_won:
            if sk in told:
                double.add(sk)
            told[sk] = f"client-{index}"
    return {
        "elapsed": elapsed,
        "errors": errors,
        "counts": counts,
        "held": held,
        "told": told,
        "double": double,
        "lost_logs": set(acknowledged) - logged,
        "acknowledged": len(acknowledged),
    }


@pytest.mark.race
def test_racing_claims_hold_each_seat_once_and_lose_nothing(server):
    dynamodb = client(server.url)
    table = f"race-{secrets.token_hex(4)}"
    create_table(dynamodb, table, SEATS_SCHEMA)
    try:
        seed_seats(dynamodb, table, 1000)
        result = run_race(server.url, table, seats=1000, clients=16, attempts=40)
    finally:
        dynamodb.delete_table(TableName=table)

    assert result["errors"] == []
    assert result["double"] == set(), "a seat was sold to two clients"
    # The table holds exactly what clients were told they won, by the holder they were told.
    assert result["held"] == result["told"]
    assert result["lost_logs"] == set(), "an acknowledged write was lost"
    # It really raced: both outcomes happened, and the writer ran alongside.
    assert result["counts"]["committed"] > 0 and result["counts"]["cancelled"] > 0, result["counts"]
    assert result["counts"]["committed"] + result["counts"]["cancelled"] == 16 * 40
    assert result["acknowledged"] > 0


# --------------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/2015-03-31/functions/podium-demo-worker/invocations", True),
        ("/2015-03-31/functions/podium-demo-worker/invocations/", True),
        ("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afn/invocations", True),
        ("/2014-11-13/functions/fn/invoke-async/", True),
        ("/2015-03-31/functions/fn", False),
        ("/2015-03-31/functions/fn/configuration", False),
        ("/2015-03-31/functions/", False),
        ("/invocations", False),
        ("/", False),
        ("/moto-api/reset", False),
    ],
)
def test_lambda_invocation_paths(path, expected):
    assert moto_app.is_lambda_invocation(path) is expected


def _environ(path: str) -> dict:
    return {"PATH_INFO": path, "REQUEST_METHOD": "POST", "CONTENT_LENGTH": "0", "wsgi.input": None}


def test_lambda_invocations_pass_while_the_lock_is_held():
    lock = FairLock()
    app = LockedMotoApp(lambda environ, start_response: [b"ok"], lock=lock)
    done = {}

    def call(path: str) -> None:
        done[path] = app(_environ(path), lambda *a: None)

    invoke, other = "/2015-03-31/functions/fn/invocations", "/"
    with lock:  # another request is being served
        threads = {path: threading.Thread(target=call, args=(path,), daemon=True) for path in (invoke, other)}
        for thread in threads.values():
            thread.start()
        threads[invoke].join(timeout=5)
        threads[other].join(timeout=0.3)
        assert done.get(invoke) == [b"ok"], "a Lambda invocation waited for the lock"
        assert other not in done, "an ordinary request did not wait for the lock"
    threads[other].join(timeout=5)
    assert done[other] == [b"ok"]


def test_the_whole_body_is_produced_under_the_lock():
    lock = FairLock()
    seen = []

    class LazyBody:
        def __iter__(self):
            for chunk in (b"a", b"b", b"c"):
                seen.append(("chunk", lock.locked()))
                yield chunk

        def close(self):
            seen.append(("close", lock.locked()))

    app = LockedMotoApp(lambda environ, start_response: LazyBody(), lock=lock)
    assert app(_environ("/"), lambda *a: None) == [b"a", b"b", b"c"]
    assert seen == [("chunk", True)] * 3 + [("close", True)]
    assert not lock.locked()


def test_background_work_reaches_moto_s_lock_as_background_and_the_rest_does_not():
    """The mark travels from the working thread through botocore (and PynamoDB) to the lock."""
    classes = []

    class RecordingLock(FairLock().__class__):
        def acquire(self, background: bool = False) -> bool:
            classes.append(background)
            return super().acquire(background=background)

    answer = json.dumps({"TableNames": []}).encode()

    def tables(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [answer]

    handle = motoserver.serve(LockedMotoApp(tables, lock=RecordingLock(1)))
    try:
        dynamodb = client(handle.url)
        dynamodb.list_tables()
        with background.work():
            dynamodb.list_tables()
            worker = threading.Thread(target=dynamodb.list_tables)  # the mark is the thread's own
            worker.start()
            worker.join(timeout=10)
        dynamodb.list_tables()
    finally:
        handle.stop()
    assert classes == [False, True, False, False]


def test_all_servers_of_the_process_share_one_lock():
    assert LockedMotoApp(lambda e, s: []).lock is LockedMotoApp(lambda e, s: []).lock


# --------------------------------------------------------------------------------------------
# The server handle
# --------------------------------------------------------------------------------------------


def test_server_handle(server):
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0

    assert os.environ["MOTO_PORT"] == str(server.port)
    assert fast_dynamodb.fast_transactions_installed()


def test_reset_posts_to_moto_api():
    calls = []

    def app(environ, start_response):
        calls.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    fake = motoserver.serve(app)
    try:
        fake.reset()
    finally:
        fake.stop()
    assert calls == [("POST", "/moto-api/reset")]


# -- queries: the partition-sized query answers exactly as moto's -----------------------------------------
INDEXED_SCHEMA = dict(
    KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    AttributeDefinitions=[
        {"AttributeName": a, "AttributeType": t}
        for a, t in (("PK", "S"), ("SK", "S"), ("g", "S"), ("gs", "N"), ("h", "S"))
    ],
    GlobalSecondaryIndexes=[
        {
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        },
        {
            "IndexName": "by_h",
            "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
    ],
)


def _every_page(dynamodb, **query) -> list[dict]:
    pages, start = [], None
    while True:
        answer = dynamodb.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        answer.pop("ResponseMetadata")
        pages.append(answer)
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def _sets_in_order(value):
    """DynamoDB gives a set's members in no particular order (moto's projection sorts number sets, not
    string sets); everything else must match exactly."""
    if isinstance(value, dict):
        return {
            key: sorted(member) if key in ("SS", "NS", "BS") else _sets_in_order(member)
            for key, member in value.items()
        }
    if isinstance(value, list):
        return [_sets_in_order(member) for member in value]
    return value


def test_fast_queries_give_moto_s_answers_page_by_page(server):
    """Table and index queries (key conditions, filters, COUNT, projections of every attribute type, nested
    projections, Limit pages, both directions, a missing partition, an unknown index) answer the same with
    moto's query and the partition-sized one that neither copies the items nor round-trips projections."""
    dynamodb, table, rng = client(server.url), f"q-{secrets.token_hex(4)}", random.Random(7)
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", **INDEXED_SCHEMA)
    for n in range(600):
        item = {
            "PK": S(f"P#{n % 7}"),
            "SK": S(f"SEAT#{rng.randrange(10_000):05d}"),
            "state": S(rng.choice("fhs")),
            "until": N(str(rng.randrange(100))),
        }
        if rng.random() < 0.6:
            item.update(g=S(f"G#{n % 3}"), gs=N(str(rng.randrange(50))))
        if rng.random() < 0.3:
            item["h"] = S(f"H#{n % 2}")
        dynamodb.put_item(TableName=table, Item=item)
    for n in range(5):  # every attribute type, for projections (moto's goes through Python values and back)
        dynamodb.put_item(
            TableName=table,
            Item={
                "PK": S("R#1"),
                "SK": S(f"R#{n}"),
                "h": S("H#9"),
                "n": N(["1.50", "-0", "10", "1E+2", "3.14159"][n]),
                "b": {"B": bytes([n, 255, 0])},
                "ok": {"BOOL": n % 2 == 0},
                "nothing": {"NULL": True},
                "lst": {"L": [S("a"), N("2"), {"M": {"x": S("y")}}]},
                "mp": {"M": {"k": {"SS": ["p", "q"]}, "z": N("0.5")}},
                "tags": {"SS": ["b", "a"]},
                "nums": {"NS": ["2", "1.5"]},
                "blobs": {"BS": [b"\x01", b"\x02"]},
            },
        )
    values = {
        ":p": S("P#3"),
        ":s": S("SEAT#0"),
        ":f": S("f"),
        ":u": N("40"),
        ":g": S("G#1"),
        ":n": N("20"),
        ":h": S("H#1"),
        ":none": S("P#99"),
        ":r": S("R#1"),
        ":h9": S("H#9"),
    }
    queries = [
        dict(KeyConditionExpression="PK = :p"),
        dict(KeyConditionExpression="PK = :p AND begins_with(SK, :s)", Limit=7),
        dict(KeyConditionExpression="PK = :p AND SK > :s", ScanIndexForward=False, Limit=11),
        dict(
            KeyConditionExpression="PK = :p",
            FilterExpression="#st = :f AND (attribute_not_exists(g) OR #u > :u)",
            ExpressionAttributeNames={"#st": "state", "#u": "until"},
            Select="COUNT",
        ),
        dict(
            KeyConditionExpression="PK = :p",
            ProjectionExpression="SK, #st",
            ExpressionAttributeNames={"#st": "state"},
            Limit=13,
        ),
        dict(KeyConditionExpression="PK = :none"),
        dict(IndexName="by_g", KeyConditionExpression="g = :g"),
        dict(IndexName="by_g", KeyConditionExpression="g = :g AND gs >= :n", Limit=9, ScanIndexForward=False),
        dict(
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            FilterExpression="#st = :f",
            ExpressionAttributeNames={"#st": "state"},
            Limit=17,
        ),
        dict(IndexName="by_h", KeyConditionExpression="h = :h", Limit=10),
        dict(IndexName="nope", KeyConditionExpression="g = :g"),
        dict(KeyConditionExpression="PK = :r"),
        dict(
            KeyConditionExpression="PK = :r",
            ProjectionExpression="n, b, ok, #no, lst, mp, tags, nums, blobs, SK",
            ExpressionAttributeNames={"#no": "nothing"},
        ),
        dict(KeyConditionExpression="PK = :r", ProjectionExpression="mp.k, lst[2].x, n", Limit=2),  # nested: moto's way
        dict(KeyConditionExpression="PK = :r", ProjectionExpression="absent, SK"),
        dict(IndexName="by_h", KeyConditionExpression="h = :h9"),
    ]

    def answers(fast: bool) -> list:
        (fast_dynamodb.install_fast_queries if fast else fast_dynamodb.uninstall_fast_queries)()
        out = []
        for query in queries:
            used = {k: v for k, v in values.items() if k in json.dumps(query)}
            try:
                out.append(_every_page(dynamodb, TableName=table, ExpressionAttributeValues=used, **query))
            except ClientError as error:
                out.append(error.response["Error"])
        return out

    try:
        moto_answers = _sets_in_order(answers(fast=False))
        assert _sets_in_order(answers(fast=True)) == moto_answers
        assert _sets_in_order(answers(fast=False)) == moto_answers  # answering without copies changed no stored item
    finally:
        fast_dynamodb.install_fast_queries()
    assert sum(page["Count"] for page in moto_answers[0]) == 600 // 7 + (1 if 3 < 600 % 7 else 0)
    assert len(moto_answers[1]) > 1 and len(moto_answers[7]) > 1  # several pages were compared
    assert moto_answers[10]["Code"] == "ResourceNotFoundException"  # an unknown index, both ways
    projected = moto_answers[12][0]["Items"][0]
    assert set(projected) == {"n", "b", "ok", "nothing", "lst", "mp", "tags", "nums", "blobs", "SK"}
    assert moto_answers[13][0]["Items"][0] == {
        "mp": {"M": {"k": {"SS": ["p", "q"]}}},
        "lst": {"L": [{"M": {"x": S("y")}}]},
        "n": N("1.50"),
    }


# -- answers: DynamoDB's item operations written as JSON answer exactly as moto's serializer ---------------
def _workload(dynamodb, table: str) -> list:
    """Every item operation the stack uses, with the answers' optional parts (old and new values, consumed
    capacity, pages, unprocessed keys, cancellation reasons), a binary value and a missing item."""
    key = {"PK": S("P#1"), "SK": S("SEAT#00001")}
    calls = [
        (
            "put_item",
            dict(
                Item={
                    **key,
                    "g": S("G#1"),
                    "gs": N("3"),
                    "state": S("free"),
                    "n": N("1.50"),
                    "l": {"L": [S("é"), {"NULL": True}, {"BOOL": False}]},
                    "m": {"M": {"k": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}}},
                },
                ReturnConsumedCapacity="INDEXES",
            ),
        ),
        (
            "put_item",
            dict(
                Item={"PK": S("P#1"), "SK": S("SEAT#00002"), "state": S("held"), "b": {"B": b"\0\1"}},
                ReturnValues="ALL_OLD",
            ),
        ),
        (
            "put_item",
            dict(
                Item={**key, "g": S("G#1"), "gs": N("3"), "state": S("held")},
                ReturnValues="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            ),
        ),
        ("get_item", dict(Key=key)),
        ("get_item", dict(Key={"PK": S("P#1"), "SK": S("SEAT#00002")})),
        ("get_item", dict(Key={"PK": S("P#9"), "SK": S("nothing")}, ConsistentRead=True)),
        ("get_item", dict(Key=key, ProjectionExpression="#s, gs", ExpressionAttributeNames={"#s": "state"})),
        (
            "update_item",
            dict(
                Key=key,
                UpdateExpression="SET gs = gs + :one, #s = :sold",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":one": N("1"), ":sold": S("sold")},
                ReturnValues="ALL_NEW",
                ReturnConsumedCapacity="TOTAL",
            ),
        ),
        ("update_item", dict(Key=key, UpdateExpression="REMOVE g", ReturnValues="UPDATED_OLD")),
        ("update_item", dict(Key=key, UpdateExpression="SET x = :x", ExpressionAttributeValues={":x": S("y")})),
        (
            "update_item",
            dict(
                Key=key,
                UpdateExpression="SET x = :x",
                ConditionExpression="x = :other",
                ExpressionAttributeValues={":x": S("z"), ":other": S("w")},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        ),
        (
            "batch_get_item",
            dict(
                RequestItems={
                    "{table}": {
                        "Keys": [key, {"PK": S("P#1"), "SK": S("SEAT#00002")}, {"PK": S("P#2"), "SK": S("none")}]
                    }
                },
                ReturnConsumedCapacity="TOTAL",
            ),
        ),
        (
            "batch_write_item",
            dict(
                RequestItems={
                    "{table}": [
                        {
                            "PutRequest": {
                                "Item": {
                                    "PK": S("P#2"),
                                    "SK": S(f"SEAT#{n:05d}"),
                                    "state": S("free"),
                                    "g": S("G#2"),
                                    "gs": N(str(n)),
                                }
                            }
                        }
                        for n in range(20)
                    ]
                }
            ),
        ),
        ("query", dict(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": S("P#2")}, Limit=7)),
        (
            "query",
            dict(
                KeyConditionExpression="PK = :p",
                ExpressionAttributeValues={":p": S("P#2")},
                Select="COUNT",
                ReturnConsumedCapacity="TOTAL",
            ),
        ),
        (
            "query",
            dict(
                IndexName="by_g",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": S("G#2")},
                ProjectionExpression="SK, gs",
                ScanIndexForward=False,
                Limit=5,
            ),
        ),
        ("query", dict(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": S("P#1")})),
        ("scan", dict(Limit=4)),
        (
            "transact_get_items",
            dict(
                TransactItems=[
                    {"Get": {"TableName": "{table}", "Key": key}},
                    {"Get": {"TableName": "{table}", "Key": {"PK": S("P#3"), "SK": S("none")}}},
                ]
            ),
        ),
        (
            "transact_write_items",
            dict(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "{table}",
                            "Key": {"PK": S("P#2"), "SK": S("SEAT#00003")},
                            "UpdateExpression": "SET #s = :h",
                            "ConditionExpression": "#s = :f",
                            "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": {":h": S("held"), ":f": S("free")},
                        }
                    },
                    {
                        "Put": {
                            "TableName": "{table}",
                            "Item": {"PK": S("HOLD#1"), "SK": S("HOLD")},
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ],
                ReturnConsumedCapacity="TOTAL",
            ),
        ),
        (
            "transact_write_items",
            dict(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "{table}",
                            "Key": {"PK": S("P#2"), "SK": S("SEAT#00003")},
                            "UpdateExpression": "SET #s = :h",
                            "ConditionExpression": "#s = :f",
                            "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": {":h": S("held"), ":f": S("free")},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    }
                ]
            ),
        ),
        ("delete_item", dict(Key={"PK": S("HOLD#1"), "SK": S("HOLD")}, ReturnValues="ALL_OLD")),
        ("delete_item", dict(Key={"PK": S("HOLD#1"), "SK": S("HOLD")})),
    ]
    answers = []
    for operation, arguments in calls:
        arguments = json.loads(
            json.dumps(arguments, default=lambda b: {"__bytes__": list(b)}).replace("{table}", table),
            object_hook=lambda d: bytes(d["__bytes__"]) if "__bytes__" in d else d,
        )
        if operation not in ("batch_get_item", "batch_write_item", "transact_get_items", "transact_write_items"):
            arguments["TableName"] = table
        try:
            answer = getattr(dynamodb, operation)(**arguments)
            answer.pop("ResponseMetadata")
        except ClientError as error:
            answer = {"error": error.response["Error"], "reasons": error.response.get("CancellationReasons")}
        answers.append((operation, json.loads(json.dumps(answer, default=repr).replace(table, "{table}"))))
    return answers


def test_json_answers_are_moto_s_answers(server):
    """The item operations answer the same, value for value, whether moto's serializer or `json.dumps`
    writes them; a binary value still goes through moto's serializer (base64) and reads back as bytes."""
    dynamodb = client(server.url)
    tables = {fast: f"a-{secrets.token_hex(4)}" for fast in (False, True)}
    for table in tables.values():
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", **INDEXED_SCHEMA)
    try:
        fast_dynamodb.uninstall_fast_answers()
        moto_answers = _workload(dynamodb, tables[False])
        fast_dynamodb.install_fast_answers()
        assert _workload(dynamodb, tables[True]) == moto_answers
    finally:
        fast_dynamodb.install_fast_answers()
    assert moto_answers[3][1]["Item"]["state"] == {"S": "held"} and "n" not in moto_answers[3][1]["Item"]
    assert moto_answers[4][1]["Item"]["b"] == {"B": repr(b"\0\1")}  # base64 on the wire, bytes again in boto3
    assert moto_answers[10][1]["error"]["Code"] == "ConditionalCheckFailedException"
    assert moto_answers[20][1]["reasons"][0]["Code"] == "ConditionalCheckFailed"
    assert "LastEvaluatedKey" in moto_answers[13][1] and moto_answers[14][1]["Count"] == 20


def test_moto_reads_its_module_list_once():
    from moto import backends

    moto_app.install_module_list_cache()
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()
    assert "dynamodb" in backends.list_of_moto_modules() and "stepfunctions" in backends.list_of_moto_modules()
