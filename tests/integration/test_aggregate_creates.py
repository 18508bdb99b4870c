"""A create is create-if-absent for its whole aggregate: an id in use, by any house, is refused with 409
`already_exists` and nothing is written (every table is the same before and after, the other house's
sold and held places unchanged); an update of another house's item is 404 and writes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import Performance, PerformanceStatus, Tariff
from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.seatmap import SeatMap, parse_seatmap
from chalicelib.store import catalog
from chalicelib.store.models import transaction_connection
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps, resources

from .conftest import Client, HouseFixture, buyer_session, unique
from .refusal_helpers import differences, snapshot, wait_until_quiet

PROBLEM = "application/problem+json"


def soon(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@pytest.fixture(scope="module")
def houses(stack, signing_key) -> tuple[HouseFixture, HouseFixture]:
    return HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)


@pytest.fixture(scope="module")
def coordinator(stack, signing_key) -> Client:
    return Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))


def performance_body(house: HouseFixture, seatmap: dict, performance_id: str | None = None) -> dict:
    standing = bool(seatmap.get("standing"))
    categories = ["standing"] if standing else [c["code"] for c in seatmap["categories"]]
    body = {
        "production_id": house.production(),
        "venue_id": house.venue(seatmap),
        "starts_at": soon(days=7),
        "sales_start": soon(days=-1),
        "status": "on_sale",
        "tariffs": [{"code": "full", "name": {"nl": "Volle prijs"}, "prices": {c: 2000 for c in categories}}],
    }
    return {**body, "id": performance_id} if performance_id else body


def series_body(house: HouseFixture, series_id: str | None, slots: int = 3) -> dict:
    first = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {
        "production_id": house.production(),
        "venue_id": house.venue(demo_seatmaps.standing_venue(40)),
        "first_start": first.isoformat(),
        "slot_minutes": 30,
        "slots": slots,
        "capacity": 20,
        "sales_start": soon(hours=-1),
        "status": "on_sale",
        "tariffs": [{"code": "full", "name": {"nl": "Volle prijs"}, "prices": {"standing": 1200}}],
    }
    return {**body, "id": series_id} if series_id else body


def sell_and_hold(stack, house: HouseFixture, performance_id: str, sold: dict, held: dict) -> None:
    """A desk sale (cash) of `sold` and a buyer's hold of `held` (each a hold body) in the house's performance."""
    desk = Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    cart = desk.post("/carts").json()
    hold = desk.post(f"/performances/{performance_id}/holds", sold)
    assert hold.status_code == 201, hold.text
    assert desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={}).status_code == 200
    sale = desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"})
    assert sale.status_code == 201, sale.text
    buyer = Client(stack.api_url, session_token=buyer_session())
    assert buyer.post(f"/performances/{performance_id}/holds", held).status_code == 201


def availability(stack, performance_id: str) -> dict:
    answer = Client(stack.api_url).get(f"/performances/{performance_id}")
    assert answer.status_code == 200, answer.text
    return {name: answer.json()["availability"][name] for name in ("capacity", "available", "held", "sold")}


def refused_whole(stack, send, status: int = 409, code: str = "already_exists"):
    """Send the request; it must be refused with `status`/`code` as a problem, and no table may change."""
    wait_until_quiet(stack)
    before = snapshot(stack)
    answer = send()
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM) and answer.json()["code"] == code, answer.text
    wait_until_quiet(stack)
    assert differences(before, snapshot(stack)) == []
    return answer


def test_a_seated_performance_id_of_another_house_is_refused_and_its_sold_and_held_seats_stay(stack, houses):
    a, b = houses
    performance_id = unique("perf")
    created = a.admin.post("/staff/performances", performance_body(a, demo_seatmaps.test_hall(3, 6), performance_id))
    assert created.status_code == 201, created.text
    sell_and_hold(stack, a, performance_id, {"seats": ["zaal-A-1", "zaal-A-2"]}, {"seats": ["zaal-B-1"]})
    counts = availability(stack, performance_id)
    assert (counts["sold"], counts["held"]) == (2, 1)

    body = performance_body(b, demo_seatmaps.test_hall(4, 8), performance_id)  # other seats, more of them
    answer = refused_whole(stack, lambda: b.admin.post("/staff/performances", body, headers={"Accept-Language": "fr"}))
    assert answer.json()["title"] == "Existe déjà"
    assert availability(stack, performance_id) == counts
    assert b.admin.get(f"/staff/performances/{performance_id}").status_code == 404
    # A's sold seat cannot be held again
    taken = Client(stack.api_url, session_token=buyer_session()).post(
        f"/performances/{performance_id}/holds", {"seats": ["zaal-A-1"]}
    )
    assert taken.status_code == 409 and taken.json()["code"] == "seats_unavailable", taken.text
    # the same house's second create with the id is refused the same way
    again = performance_body(a, demo_seatmaps.test_hall(2, 2), performance_id)
    refused_whole(stack, lambda: a.admin.post("/staff/performances", again))


def test_a_standing_performance_id_of_another_house_is_refused_and_its_shards_stay(stack, houses):
    a, b = houses
    performance_id = unique("club")
    body = performance_body(a, demo_seatmaps.standing_venue(30), performance_id) | {"standing_shards": 3}
    assert a.admin.post("/staff/performances", body).status_code == 201
    sell_and_hold(stack, a, performance_id, {"standing": {"count": 4}}, {"standing": {"count": 2}})
    counts = availability(stack, performance_id)
    assert (counts["sold"], counts["held"], counts["available"]) == (4, 2, 24)
    theirs = performance_body(b, demo_seatmaps.standing_venue(500), performance_id) | {"standing_shards": 8}
    refused_whole(stack, lambda: b.admin.post("/staff/performances", theirs))
    assert availability(stack, performance_id) == counts


def test_a_performance_without_an_id_gets_a_random_one(stack, houses):
    a, _ = houses
    first = a.admin.post("/staff/performances", performance_body(a, demo_seatmaps.test_hall(1, 3)))
    second = a.admin.post("/staff/performances", performance_body(a, demo_seatmaps.test_hall(1, 3)))
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_a_timeslot_series_id_of_another_house_is_refused(stack, houses):
    a, b = houses
    series_id = unique("expo")
    created = a.admin.post("/staff/timeslots", series_body(a, series_id))
    assert created.status_code == 201, created.text
    slot = created.json()["slots"][0]["performance_id"]
    sell_and_hold(stack, a, slot, {"standing": {"count": 3}}, {"standing": {"count": 1}})
    counts = availability(stack, slot)
    theirs = series_body(b, series_id, slots=5)
    refused_whole(stack, lambda: b.admin.post("/staff/timeslots", theirs))
    assert availability(stack, slot) == counts
    assert b.admin.get(f"/staff/timeslots/{series_id}").status_code == 404
    assert a.admin.get(f"/staff/timeslots/{series_id}").json()["slots"][0]["available"] == counts["available"]


def test_a_series_whose_slot_would_take_another_houses_performance_id_writes_nothing(stack, houses):
    a, b = houses
    series_id = unique("expo")
    taken = a.admin.post("/staff/performances", performance_body(a, demo_seatmaps.test_hall(2, 4), f"{series_id}-2"))
    assert taken.status_code == 201, taken.text
    sell_and_hold(stack, a, f"{series_id}-2", {"seats": ["zaal-A-1"]}, {"seats": ["zaal-A-2"]})
    counts = availability(stack, f"{series_id}-2")
    theirs = series_body(b, series_id)
    refused_whole(stack, lambda: b.admin.post("/staff/timeslots", theirs))
    assert availability(stack, f"{series_id}-2") == counts
    assert Client(stack.api_url).get(f"/timeslots/{series_id}").status_code == 404
    assert Client(stack.api_url).get(f"/performances/{series_id}-1").status_code == 404
    anonymous = b.admin.post("/staff/timeslots", series_body(b, None, slots=2))
    assert anonymous.status_code == 201, anonymous.text
    assert len(anonymous.json()["slots"]) == 2


def test_venue_and_production_ids_are_each_houses_own(stack, houses):
    a, b = houses
    venue_id, production_id = unique("zaal"), unique("prod")
    assert a.admin.post("/staff/venues", {"id": venue_id, "seatmap": demo_seatmaps.test_hall(2, 3)}).status_code == 201
    assert a.admin.post("/staff/productions", {"id": production_id, "title": {"nl": "Van A"}}).status_code == 201
    ours = {key: value for key, value in snapshot(stack)[stack.refs["MainTable"]].items() if f"HOUSE#{a.id}" in key}
    refused_whole(
        stack, lambda: a.admin.post("/staff/venues", {"id": venue_id, "seatmap": demo_seatmaps.test_hall(5, 5)})
    )
    refused_whole(stack, lambda: a.admin.post("/staff/productions", {"id": production_id, "title": {"nl": "Nog"}}))
    # B's venue and production of the same ids live under B's key: A's items are untouched
    assert b.admin.post("/staff/venues", {"id": venue_id, "seatmap": demo_seatmaps.test_hall(5, 5)}).status_code == 201
    assert b.admin.post("/staff/productions", {"id": production_id, "title": {"nl": "Van B"}}).status_code == 201
    after = {key: value for key, value in snapshot(stack)[stack.refs["MainTable"]].items() if f"HOUSE#{a.id}" in key}
    assert after == ours
    assert a.admin.get(f"/staff/productions/{production_id}").json()["title"] == {"nl": "Van A"}
    assert len(a.admin.get(f"/staff/venues/{venue_id}").json()["seatmap"]["seats"]) == 6
    generated = b.admin.post("/staff/venues", {"seatmap": demo_seatmaps.test_hall(1, 2)})
    assert generated.status_code == 201 and generated.json()["id"], generated.text


def test_a_house_id_in_use_is_refused(stack, houses, coordinator):
    a, _ = houses
    refused_whole(stack, lambda: coordinator.post("/staff/houses", {"id": a.id, "name": "Overname"}))


def test_bundle_and_formula_ids_in_use_are_refused_and_another_houses_formula_is_404(stack, houses, coordinator):
    a, b = houses
    first = a.performance(demo_seatmaps.test_hall(2, 4))
    second = a.performance(demo_seatmaps.test_hall(2, 4))
    theirs = b.performance(demo_seatmaps.test_hall(2, 4))
    bundle = {
        "id": unique("pass"),
        "name": {"nl": "Pas"},
        "performances": [{"performance_id": first["id"]}, {"performance_id": second["id"]}],
        "price": 3000,
        "sales_start": soon(hours=-1),
        "sales_end": soon(days=6),
        "status": "on_sale",
    }
    assert coordinator.post("/staff/bundles", bundle).status_code == 201
    refused_whole(
        stack,
        lambda: coordinator.post(
            "/staff/bundles",
            bundle | {"performances": [{"performance_id": theirs["id"]}, {"performance_id": first["id"]}]},
        ),
    )

    formula = {
        "id": unique("abo"),
        "name": {"nl": "Abo"},
        "performances": [first["id"], second["id"]],
        "min_choices": 1,
        "max_choices": 2,
        "discount": {"kind": "percent", "value": 1000},
        "sales_start": soon(hours=-1),
        "sales_end": soon(days=6),
        "season": "2026-2027",
        "status": "on_sale",
    }
    assert a.admin.post("/staff/subscription-formulas", formula).status_code == 201
    refused_whole(
        stack,
        lambda: b.admin.post(
            "/staff/subscription-formulas", formula | {"performances": [theirs["id"]], "max_choices": 1}
        ),
    )
    refused_whole(
        stack,
        lambda: b.admin.patch(f"/staff/subscription-formulas/{formula['id']}", {"status": "paused"}),
        404,
        "not_found",
    )
    generated = a.admin.post(
        "/staff/subscription-formulas", {key: value for key, value in formula.items() if key != "id"}
    )
    assert generated.status_code == 201 and generated.json()["id"] != formula["id"], generated.text


def test_a_discount_code_of_another_house_is_refused(stack, houses):
    a, b = houses
    code = unique("code").upper()
    body = {
        "code": code,
        "kind": "amount",
        "value": 500,
        "max_uses": 3,
        "valid_from": soon(days=-1),
        "valid_until": soon(days=3),
    }
    assert a.admin.post("/staff/vouchers", body).status_code == 201
    refused_whole(stack, lambda: b.admin.post("/staff/vouchers", body | {"value": 100_000, "max_uses": 1000}))
    assert [v["code"] for v in a.admin.get("/staff/vouchers").json()["vouchers"] if v["code"] == code] == [code]


# -- the store, racing ---------------------------------------------------------------------------------------
def performance_items(stack, performance_id: str) -> list[dict]:
    """Every item of a performance's partition and its standing shards' partitions, read from the table."""
    dynamodb = resources.client("dynamodb", stack.moto.url)
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.refs["MainTable"]):
        items += [
            item
            for item in page["Items"]
            if item["PK"]["S"] == f"PERF#{performance_id}"
            or item["PK"]["S"].startswith(f"PERF#{performance_id}#STANDING#")
        ]
    return items


def bare_performance(house_id: str, performance_id: str, hall: SeatMap) -> Performance:
    """A seated performance of `hall` on sale, for the store's own create."""
    start = datetime.now(UTC) + timedelta(days=9)
    return Performance(
        id=performance_id,
        house_id=house_id,
        production_id="p",
        venue_id="v",
        starts_at=start,
        sales_start=start - timedelta(days=30),
        sales_end=start,
        status=PerformanceStatus.ON_SALE,
        tariffs=(Tariff(code="full", name={"nl": "Vol"}, prices={"A": 1000}),),
        seated=True,
        capacity=hall.capacity,
        title={"nl": "Race"},
        venue_name="Zaal",
        genre="",
    )


def test_two_houses_creating_one_performance_id_at_once_leave_exactly_one_whole_performance(stack, houses):
    performance_id = unique("race")
    halls = {
        house.id: parse_seatmap(seatmap)
        for house, seatmap in zip(houses, (demo_seatmaps.test_hall(12, 20), demo_seatmaps.test_hall(15, 22)))
    }
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(len(houses))

    def create(house: HouseFixture) -> None:
        performance = bare_performance(house.id, performance_id, halls[house.id])
        barrier.wait()
        try:
            catalog.create_performance(performance, halls[house.id])
            outcomes[house.id] = "created"
        except AlreadyExists:
            outcomes[house.id] = "already_exists"

    threads = [threading.Thread(target=create, args=(house,)) for house in houses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes.values()) == ["already_exists", "created"], outcomes
    winner = next(house_id for house_id, outcome in outcomes.items() if outcome == "created")
    items = performance_items(stack, performance_id)
    by_sort_key = {item["SK"]["S"]: item for item in items}
    assert len(by_sort_key) == len(items)
    assert by_sort_key["PERF"]["house_id"]["S"] == winner and "creating" not in by_sort_key["PERF"]
    assert "SEATMAP" in by_sort_key
    seats = {sk[len("SEAT#") :] for sk in by_sort_key if sk.startswith("SEAT#")}
    assert seats == {seat.id for seat in halls[winner].seats}
    assert all(by_sort_key[f"SEAT#{seat}"]["state"]["S"] == "free" for seat in seats)
    assert len(items) == len(seats) + 2
    assert catalog.get_performance(performance_id).house_id == winner
    assert catalog.get_performance_seatmap(performance_id).capacity == halls[winner].capacity


def test_a_performance_whose_seats_are_not_all_written_is_not_found_and_a_failed_create_leaves_nothing(stack, houses):
    a, _ = houses
    hall = parse_seatmap(demo_seatmaps.test_hall(12, 20))  # 240 seats: three transactions of children
    public = Client(stack.api_url, session_token=buyer_session())

    # claimed, some seats written, not shown yet: nobody finds, lists or holds it
    performance_id = unique("half")
    performance = bare_performance(a.id, performance_id, hall)
    with TransactWrite(connection=transaction_connection) as transaction:
        catalog.claim_in(transaction, performance)
    written: list = []
    catalog.write_children(performance, hall, written)
    assert public.get(f"/performances/{performance_id}").status_code == 404
    assert public.post(f"/performances/{performance_id}/holds", {"seats": ["zaal-A-1"]}).status_code == 404
    assert a.admin.get(f"/staff/performances/{performance_id}").status_code == 404
    assert a.admin.patch(f"/staff/performances/{performance_id}", {"status": "paused"}).status_code == 404
    assert performance_id not in {p["id"] for p in a.admin.get("/staff/performances").json()["performances"]}
    catalog.show_performance(performance)
    assert public.post(f"/performances/{performance_id}/holds", {"seats": ["zaal-A-1"]}).status_code == 201

    # a seat item already under the id (left by anyone) refuses the create half-way: what it wrote is taken back
    performance_id = unique("half")
    dynamodb = resources.client("dynamodb", stack.moto.url)
    stray = {
        "PK": {"S": f"PERF#{performance_id}"},
        "SK": {"S": f"SEAT#{hall.seats[150].id}"},
        "state": {"S": "sold"},
        "order_id": {"S": "o-elsewhere"},
        "version": {"N": "3"},
    }
    dynamodb.put_item(TableName=stack.refs["MainTable"], Item=stray)
    with pytest.raises(AlreadyExists):
        catalog.create_performance(bare_performance(a.id, performance_id, hall), hall)
    assert performance_items(stack, performance_id) == [stray]


def test_a_series_refused_half_way_by_an_item_under_a_slots_id_takes_back_every_slot_and_itself(stack, houses):
    a, _ = houses
    series_id = unique("expo")
    stray = {
        "PK": {"S": f"PERF#{series_id}-3#STANDING#0"},
        "SK": {"S": "STANDING#0"},
        "capacity": {"N": "5"},
        "remaining": {"N": "1"},
    }
    resources.client("dynamodb", stack.moto.url).put_item(TableName=stack.refs["MainTable"], Item=stray)
    body = series_body(a, series_id, slots=4)
    refused_whole(stack, lambda: a.admin.post("/staff/timeslots", body))
    assert [performance_items(stack, f"{series_id}-{n}") for n in range(1, 5)] == [[], [], [stray], []]
    assert a.admin.get(f"/staff/timeslots/{series_id}").status_code == 404


def test_a_create_that_stopped_half_way_is_taken_back_by_the_sweeper_and_its_id_is_free_again(stack, houses):
    # a Lambda that died between the claim and showing the performance leaves a hidden claim: after 15 minutes
    # (no Lambda runs longer) the sweeper removes it with its seats, so the id is not taken for ever
    a, _ = houses
    hall = parse_seatmap(demo_seatmaps.test_hall(12, 20))
    dynamodb = resources.client("dynamodb", stack.moto.url)
    claims = {}
    for age in ("old", "young"):
        performance_id = unique(f"stopped-{age}")
        performance = bare_performance(a.id, performance_id, hall)
        with TransactWrite(connection=transaction_connection) as transaction:
            catalog.claim_in(transaction, performance)
        catalog.write_children(performance, hall, [])  # then the Lambda stopped
        claims[age] = performance_id
    claimed_long_ago = (datetime.now(UTC) - timedelta(minutes=16)).isoformat()
    dynamodb.update_item(
        TableName=stack.refs["MainTable"],
        Key={"PK": {"S": f"PERF#{claims['old']}"}, "SK": {"S": "PERF"}},
        UpdateExpression="SET gsi1sk = :at",
        ExpressionAttributeValues={":at": {"S": f"{claimed_long_ago}#{claims['old']}"}},
    )
    assert len(performance_items(stack, claims["old"])) == 1 + 1 + len(hall.seats)  # claim, seat map, seats

    assert stack.sweep()["abandoned_creates"] >= 1
    assert performance_items(stack, claims["old"]) == []
    assert len(performance_items(stack, claims["young"])) == 1 + 1 + len(hall.seats)  # may still be running
    again = a.admin.post("/staff/performances", performance_body(a, demo_seatmaps.test_hall(12, 20), claims["old"]))
    assert again.status_code == 201, again.text
    assert Client(stack.api_url).get(f"/performances/{claims['old']}").json()["availability"]["available"] == 240
