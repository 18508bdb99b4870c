"""Proof that nothing is oversold: hundreds of buyers race over HTTP for the same places."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.embedded import demo_seatmaps, resources

from .conftest import Client, buyer_session

BUYERS = 240


def race(api_url: str, path: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Every buyer fires at once (a barrier), each with its own session; returns (status, body) per buyer."""
    start = threading.Barrier(len(bodies))

    def attempt(body: dict) -> tuple[int, dict]:
        client = Client(api_url, session_token=buyer_session())
        start.wait(timeout=60)
        response = client.post(path, body, timeout=120)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(attempt, bodies))


def table_query(stack, performance_id: str, prefix: str) -> list[dict]:
    dynamodb = resources.client("dynamodb", stack.moto.url)
    pages = dynamodb.get_paginator("query").paginate(
        TableName=stack.refs["MainTable"],
        ConsistentRead=True,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"PERF#{performance_id}"}, ":prefix": {"S": prefix}},
    )
    return [item for page in pages for item in page["Items"]]


@pytest.mark.race
def test_240_buyers_racing_for_100_seats_never_get_one_seat_twice(stack, house):
    hall = demo_seatmaps.test_hall(10, 10)
    performance = house.performance(hall)
    seat_ids = [seat["id"] for seat in hall["seats"]]
    rng = random.Random(7)
    bodies = []
    for index in range(BUYERS):
        count = rng.randint(1, 4)
        if index % 2:
            bodies.append({"seats": rng.sample(seat_ids, count)})
        else:
            bodies.append({"best_available": {"count": count}})
    results = race(stack.api_url, f"/performances/{performance['id']}/holds", bodies)

    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    assert all(body["code"] in ("seats_unavailable", "not_enough_seats") for status, body in results if status == 409)
    winners = {body["id"]: [seat["id"] for seat in body["seats"]] for status, body in results if status == 201}
    claimed = [seat for seats in winners.values() for seat in seats]
    assert len(claimed) == len(set(claimed)), "a seat was given to two buyers"
    assert len(claimed) <= 100

    held = {
        item["SK"]["S"][5:]: item["hold_id"]["S"]
        for item in table_query(stack, performance["id"], "SEAT#")
        if item["state"]["S"] == "held"
    }
    told = {seat: hold_id for hold_id, seats in winners.items() for seat in seats}
    assert held == told, "the table differs from what buyers were told"
    assert len(winners) > 20 and statuses.count(409) > 20  # it really was a race, with winners and losers


@pytest.mark.race
def test_240_buyers_racing_for_100_standing_places_never_exceed_capacity(stack, house):
    performance = house.performance(demo_seatmaps.standing_venue(100), standing_shards=4)
    rng = random.Random(11)
    bodies = [{"standing": {"count": rng.randint(1, 4)}} for _ in range(BUYERS)]
    results = race(stack.api_url, f"/performances/{performance['id']}/holds", bodies)

    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    assert all(body["code"] in ("sold_out", "seats_unavailable") for status, body in results if status == 409)
    sold = sum(body["quantity"] for status, body in results if status == 201)
    dynamodb = resources.client("dynamodb", stack.moto.url)
    shards = [
        dynamodb.get_item(
            TableName=stack.refs["MainTable"],
            ConsistentRead=True,
            Key={"PK": {"S": f"PERF#{performance['id']}#STANDING#{shard}"}, "SK": {"S": f"STANDING#{shard}"}},
        )["Item"]
        for shard in range(4)
    ]
    remaining = sum(int(item["remaining"]["N"]) for item in shards)
    assert sold + remaining == 100, (sold, remaining)
    assert 96 <= sold <= 100  # the last few places only go unsold when every later buyer wanted more
    holds = [body for status, body in results if status == 201]
    assert len({hold["id"] for hold in holds}) == len(holds)
