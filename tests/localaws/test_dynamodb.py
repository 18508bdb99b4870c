"""DynamoDB's fast paths refuse what moto refuses and answer what moto answers (scripts/localaws/dynamodb.py)."""

from __future__ import annotations

import contextlib
import secrets

import pytest
from botocore.exceptions import ClientError

from scripts.localaws import dynamodb as fast

SCHEMA = dict(
    KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "g")],
    GlobalSecondaryIndexes=[
        {
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    BillingMode="PAY_PER_REQUEST",
)


@contextlib.contextmanager
def upstream(install, uninstall):
    """moto's own implementation for the block; the patch again afterwards."""
    uninstall()
    try:
        yield
    finally:
        install()


@pytest.fixture
def table(client):
    dynamodb = client("dynamodb")
    names = []

    def make() -> str:
        name = f"localaws-{secrets.token_hex(4)}"
        dynamodb.create_table(TableName=name, **SCHEMA)
        names.append(name)
        return name

    yield make
    for name in names:
        dynamodb.delete_table(TableName=name)


def seat(table: str, number: int, state: str) -> dict:
    return {
        "Put": {
            "TableName": table,
            "Item": {
                "PK": {"S": "PERF#p1"},
                "SK": {"S": f"SEAT#{number:04d}"},
                "state": {"S": state},
                "g": {"S": f"G#{number % 3}"},
            },
        }
    }


def claim(table: str, number: int) -> dict:
    return {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": "PERF#p1"}, "SK": {"S": f"SEAT#{number:04d}"}},
            "UpdateExpression": "SET #s = :held",
            "ConditionExpression": "#s = :free",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":held": {"S": "held"}, ":free": {"S": "free"}},
        }
    }


def order(table: str) -> dict:
    return {
        "Put": {
            "TableName": table,
            "Item": {"PK": {"S": "ORDER#o1"}, "SK": {"S": "ORDER"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def outcome(dynamodb, table: str, transaction: list[dict]) -> tuple:
    """What the client was told and what the table holds after."""
    try:
        dynamodb.transact_write_items(TransactItems=transaction)
        told = ("ok",)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        told = (error.response["Error"]["Code"], tuple(reason.get("Code", "None") for reason in reasons))
    items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return told, sorted((item["PK"]["S"], item["SK"]["S"], item.get("state", {}).get("S")) for item in items)


def scenarios(table: str) -> dict[str, list[dict]]:
    late_failure = {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": "PERF#p1"}, "SK": {"S": "SEAT#0002"}},
            "UpdateExpression": "ADD #s :one",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    return {
        "a taken seat refuses the whole order": [order(table), claim(table, 1), claim(table, 2)],
        "free seats are claimed with the order": [order(table), claim(table, 2), claim(table, 3)],
        "a write moto rejects late undoes the earlier ones": [order(table), claim(table, 3), late_failure],
        "the same item twice is a validation error": [claim(table, 2), claim(table, 2)],
    }


@pytest.mark.parametrize(
    "scenario",
    [
        "a taken seat refuses the whole order",
        "free seats are claimed with the order",
        "a write moto rejects late undoes the earlier ones",
        "the same item twice is a validation error",
    ],
)
def test_a_transaction_is_told_and_leaves_what_moto_s_own_would(client, table, scenario):
    dynamodb = client("dynamodb")
    results = []
    for patched in (True, False):
        name = table()
        dynamodb.transact_write_items(
            TransactItems=[seat(name, 1, "held"), seat(name, 2, "free"), seat(name, 3, "free")]
        )
        if patched:
            assert fast.fast_transactions_installed()
            results.append(outcome(dynamodb, name, scenarios(name)[scenario]))
        else:
            with upstream(fast.install_fast_transactions, fast.uninstall_fast_transactions):
                results.append(outcome(dynamodb, name, scenarios(name)[scenario]))
    assert results[0] == results[1]


def test_a_conditional_write_through_the_patched_transaction_still_refuses(client, table):
    dynamodb = client("dynamodb")
    name = table()
    dynamodb.transact_write_items(TransactItems=[seat(name, 1, "held"), seat(name, 2, "free")])
    told, items = outcome(dynamodb, name, [order(name), claim(name, 2), claim(name, 1)])
    assert told == ("TransactionCanceledException", ("None", "None", "ConditionalCheckFailed"))
    assert items == [("PERF#p1", "SEAT#0001", "held"), ("PERF#p1", "SEAT#0002", "free")]  # no order, seat 2 free


def queries(dynamodb, name: str) -> list:
    asked = [
        dict(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "PERF#p1"}}),
        dict(
            KeyConditionExpression="PK = :p AND begins_with(SK, :s)",
            ScanIndexForward=False,
            ExpressionAttributeValues={":p": {"S": "PERF#p1"}, ":s": {"S": "SEAT#001"}},
        ),
        dict(
            KeyConditionExpression="PK = :p",
            Limit=7,
            ProjectionExpression="SK, #s",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":p": {"S": "PERF#p1"}},
        ),
        dict(IndexName="by_g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "G#1"}}),
        dict(KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "PERF#none"}}),
    ]
    answers = []
    for query in asked:
        answer = dynamodb.query(TableName=name, **query)
        answers.append((answer["Items"], answer.get("LastEvaluatedKey"), answer["Count"]))
    answers.append(dynamodb.get_item(TableName=name, Key={"PK": {"S": "PERF#p1"}, "SK": {"S": "SEAT#0004"}})["Item"])
    return answers


def test_partition_sized_queries_and_json_answers_give_moto_s_answers(client, table):
    dynamodb = client("dynamodb")
    name = table()
    for number in range(0, 40, 20):
        dynamodb.transact_write_items(TransactItems=[seat(name, n, "free") for n in range(number, number + 20)])
    dynamodb.put_item(
        TableName=name,
        Item={
            "PK": {"S": "PERF#p2"},
            "SK": {"S": "SEAT#0001"},
            "g": {"S": "G#1"},
            "b": {"B": b"\0\1"},
            "n": {"N": "1.50"},
            "l": {"L": [{"NULL": True}]},
        },
    )
    patched = queries(dynamodb, name)
    with (
        upstream(fast.install_fast_queries, fast.uninstall_fast_queries),
        upstream(fast.install_fast_answers, fast.uninstall_fast_answers),
    ):
        assert queries(dynamodb, name) == patched
    assert [count for _, _, count in patched[:5]] == [40, 10, 7, 14, 0]
    assert patched[2][0][0] == {"SK": {"S": "SEAT#0000"}, "state": {"S": "free"}}  # projected


def test_apply_installs_every_dynamodb_fast_path():
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoResult

    fast.apply()
    assert fast.fast_transactions_installed()
    assert (Table.query, Item.project, DynamoResult.execute_result) == (
        fast.fast_query,
        fast.fast_project,
        fast.fast_execute_result,
    )
