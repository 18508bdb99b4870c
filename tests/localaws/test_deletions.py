"""The embedded stack learns of items deleted in moto (the outbox erases a buyer's mails by it)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from scripts.localaws import deletions, patching


@pytest.fixture
def table():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName="customers",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb
        deletions.unwatch("customers")


def test_a_watcher_sees_each_deleted_item_once_and_nothing_else(table):
    seen: list[str] = []
    deletions.watch("customers", lambda attributes: seen.append(attributes["PK"].value))
    for key in ("BUYER#a1", "BUYER#b2"):
        table.put_item(TableName="customers", Item={"PK": {"S": key}, "email": {"S": f"{key[-2:]}@example.org"}})
    table.delete_item(TableName="customers", Key={"PK": {"S": "BUYER#a1"}})
    table.delete_item(TableName="customers", Key={"PK": {"S": "BUYER#zz"}})  # nothing there: nothing told
    table.put_item(TableName="customers", Item={"PK": {"S": "BUYER#b2"}, "email": {"S": "other@example.org"}})
    assert seen == ["BUYER#a1"]
    assert "Item" not in table.get_item(TableName="customers", Key={"PK": {"S": "BUYER#a1"}})


def test_unwatching_the_last_table_puts_moto_s_delete_back(table):
    deletions.watch("customers", lambda attributes: None)
    assert patching.is_replaced(DynamoDBBackend, "delete_item")
    deletions.unwatch("customers")
    assert not patching.is_replaced(DynamoDBBackend, "delete_item")
