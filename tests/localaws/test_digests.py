"""The table digest route (scripts/localaws/digests.py) answers what moto's own Scan holds, item by item."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid

from scripts.localaws import digests

from .conftest import REGION


def ask(moto_url: str, request: dict) -> dict:
    sent = urllib.request.Request(
        moto_url + digests.PATH, data=json.dumps({"region": REGION, **request}).encode(), method="POST"
    )
    with urllib.request.urlopen(sent, timeout=30) as response:  # nosec B310 - the test's own local server
        return json.loads(response.read())


def as_printed(value):
    """A Scan's parsed item as a test prints it: binary values by their digest."""
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, dict):
        return {name: as_printed(nested) for name, nested in value.items()}
    if isinstance(value, list):
        return [as_printed(nested) for nested in value]
    return value


def make_table(dynamodb, range_key: bool) -> str:
    name = f"digests-{uuid.uuid4().hex[:8]}"
    schema = [{"AttributeName": "PK", "KeyType": "HASH"}] + (
        [{"AttributeName": "SK", "KeyType": "RANGE"}] if range_key else []
    )
    dynamodb.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=[{"AttributeName": entry["AttributeName"], "AttributeType": "S"} for entry in schema],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def items(range_key: bool) -> list[dict]:
    every_kind = {
        "title": {"S": "Zaal 1"},
        "seats": {"N": "170"},
        "seatmap": {"B": b"\x1f\x8b compressed \x00\xff"},
        "keys": {"BS": [b"k1x9", b"k2y8"]},
        "tags": {"SS": ["a7", "b3"]},
        "prices": {"NS": ["1500", "900"]},
        "open": {"BOOL": True},
        "gone": {"NULL": True},
        "plan": {"M": {"rows": {"L": [{"S": "A"}, {"N": "2"}, {"B": b"\x00r0w"}]}, "art": {"M": {}}}},
    }
    found = []
    for number in range(3):
        key = {"PK": {"S": f"HOUSE#h{number}x7"}} | ({"SK": {"S": f"VENUE#v{number}"}} if range_key else {})
        found.append(key | every_kind | {"number": {"N": str(number)}})
    rate = {"PK": {"S": "RATE#caller9k2"}} | ({"SK": {"S": "WINDOW#17"}} if range_key else {})
    return found + [rate | {"count": {"N": "3"}}]


def key_of(item: dict, names: list[str]) -> str:
    return json.dumps([item.get(name) for name in names], sort_keys=True)


def test_the_digests_and_items_are_moto_s_own_scan_canonically_written(client, moto_url):
    dynamodb = client("dynamodb")
    for range_key in (True, False):
        table = make_table(dynamodb, range_key)
        for item in items(range_key):
            dynamodb.put_item(TableName=table, Item=item)
        names = ["PK", "SK"] if range_key else ["PK"]
        scanned = {
            key_of(item, names): json.dumps(as_printed(item), sort_keys=True)
            for item in dynamodb.scan(TableName=table)["Items"]
        }
        answer = ask(moto_url, {"tables": [table], "items": {table: sorted(scanned)}})
        assert answer["items"][table] == scanned
        assert answer["tables"][table] == {
            "count": 4,
            "digests": {key: "sha256:" + hashlib.sha256(item.encode()).hexdigest() for key, item in scanned.items()},
        }
        without_counters = ask(moto_url, {"tables": [table], "skip_keys_containing": "RATE#"})
        assert without_counters["tables"][table]["count"] == 3
        assert not any("RATE#" in key for key in without_counters["tables"][table]["digests"])


def test_a_written_attribute_changes_that_item_s_digest_only(client, moto_url):
    dynamodb = client("dynamodb")
    table = make_table(dynamodb, True)
    for item in items(True):
        dynamodb.put_item(TableName=table, Item=item)
    before = ask(moto_url, {"tables": [table]})["tables"][table]["digests"]
    key = {"PK": {"S": "HOUSE#h1x7"}, "SK": {"S": "VENUE#v1"}}
    dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET seatmap = :map",
        ExpressionAttributeValues={":map": {"B": b"\x1f\x8b compressed \x00\xfe"}},  # one byte of a binary
    )
    after = ask(moto_url, {"tables": [table]})["tables"][table]["digests"]
    assert [name for name in before if before[name] != after[name]] == [key_of(key, ["PK", "SK"])]
    assert set(before) == set(after)


def test_an_unknown_table_is_left_out_and_a_bad_request_is_a_400(moto_url):
    assert ask(moto_url, {"tables": ["no-such-table"], "items": {"no-such-table": ["[]"]}}) == {
        "tables": {},
        "items": {},
    }
    sent = urllib.request.Request(moto_url + digests.PATH, data=b"{not json", method="POST")
    try:
        urllib.request.urlopen(sent, timeout=30)  # nosec B310 - the test's own local server
        raise AssertionError("a malformed request was answered")
    except urllib.error.HTTPError as error:
        assert error.code == 400
