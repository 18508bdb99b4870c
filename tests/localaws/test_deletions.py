"""The embedded stack learns of items deleted in moto (the outbox erases a buyer's mails by it)."""

from __future__ import annotations

import secrets

import pytest
from moto.dynamodb.models import DynamoDBBackend

from scripts.localaws import deletions, patching


@pytest.fixture
def table(client):
    """A table of its own on this process's moto (an embedded stack may share the process: no reset here)."""
    dynamodb = client("dynamodb")
    name = f"deletions-{secrets.token_hex(4)}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield dynamodb, name
    deletions.unwatch(name)
    dynamodb.delete_table(TableName=name)


def test_a_watcher_sees_each_deleted_item_once_and_nothing_else(table):
    dynamodb, name = table
    seen: list[str] = []
    deletions.watch(name, lambda attributes: seen.append(attributes["PK"].value))
    for key in ("BUYER#a1", "BUYER#b2"):
        dynamodb.put_item(TableName=name, Item={"PK": {"S": key}, "email": {"S": f"{key[-2:]}@example.org"}})
    dynamodb.delete_item(TableName=name, Key={"PK": {"S": "BUYER#a1"}})
    dynamodb.delete_item(TableName=name, Key={"PK": {"S": "BUYER#zz"}})  # nothing there: nothing told
    dynamodb.put_item(TableName=name, Item={"PK": {"S": "BUYER#b2"}, "email": {"S": "other@example.org"}})
    assert seen == ["BUYER#a1"]
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"PK": {"S": "BUYER#a1"}})


def test_an_unwatched_table_tells_nobody_and_the_last_unwatch_puts_moto_s_delete_back(table):
    dynamodb, name = table
    seen: list[str] = []
    watched_before = patching.is_replaced(DynamoDBBackend, "delete_item")  # an embedded stack may watch its own
    deletions.watch(name, lambda attributes: seen.append(attributes["PK"].value))
    assert patching.is_replaced(DynamoDBBackend, "delete_item")
    deletions.unwatch(name)
    dynamodb.put_item(TableName=name, Item={"PK": {"S": "BUYER#c3"}})
    dynamodb.delete_item(TableName=name, Key={"PK": {"S": "BUYER#c3"}})
    assert seen == []
    assert patching.is_replaced(DynamoDBBackend, "delete_item") == watched_before
