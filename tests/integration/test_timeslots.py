"""Timed entry over HTTP: staff create slots of 30 minutes with 40 visitors each; buyers hold, pay and
get tickets for one slot; a slot is never sold beyond its capacity, even when buyers race for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.web.auth import Role
from scripts.embedded import demo_seatmaps

from .checkout_helpers import pay, submit, wait_for
from .conftest import Client, buyer_session, unique
from .test_race import race

BRUSSELS = ZoneInfo("Europe/Brussels")


def series_body(house, capacity: int = 40, slots: int = 4, venue_capacity: int = 60) -> dict:
    first = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "id": unique("expo"),
        "production_id": house.production(),
        "venue_id": house.venue(demo_seatmaps.standing_venue(venue_capacity)),
        "first_start": first.isoformat(),
        "slot_minutes": 30,
        "slots": slots,
        "capacity": capacity,
        "sales_start": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "status": "on_sale",
        "tariffs": [{"code": "full", "name": {"nl": "Volle prijs"}, "prices": {"standing": 1200}}],
    }


def test_staff_create_slots_the_public_sees_live_availability_and_a_ticket_names_its_slot(stack, house):
    body = series_body(house)
    created = house.admin.post("/staff/timeslots", body)
    assert created.status_code == 201, created.text
    series = created.json()
    assert [s["capacity"] for s in series["slots"]] == [40] * 4
    first, second = series["slots"][:2]
    starts = datetime.fromisoformat(body["first_start"])
    assert datetime.fromisoformat(first["starts_at"].replace("Z", "+00:00")) == starts
    assert datetime.fromisoformat(second["ends_at"].replace("Z", "+00:00")) == starts + timedelta(hours=1)
    assert second["starts_at_local"].startswith(
        starts.astimezone(BRUSSELS).replace(minute=30).strftime("%Y-%m-%dT%H:%M")
    )
    assert house.admin.post("/staff/timeslots", body).status_code == 409  # the id is taken

    buyer = Client(stack.api_url, session_token=buyer_session())
    cart_id = buyer.post("/carts").json()["id"]
    hold = buyer.post(f"/performances/{first['performance_id']}/holds", {"standing": {"count": 3}})
    assert hold.status_code == 201, hold.text
    listed = Client(stack.api_url).get(f"/timeslots/{series['id']}").json()
    assert [s["available"] for s in listed["slots"]] == [37, 40, 40, 40]  # live: the hold counts at once
    assert buyer.request("PUT", f"/carts/{cart_id}/holds/{hold.json()['id']}", json={}).status_code == 200
    order_id = submit(buyer, cart_id)["order_id"]
    pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    done = wait_for(buyer, order_id, {"completed"}, stack=stack)
    assert {t["performance_id"] for t in done["tickets"]} == {first["performance_id"]} and len(done["tickets"]) == 3

    # the door admits the ticket at its own slot only
    door = Client(stack.api_url, house.token_for(Role.SCANNER))
    ticket = done["tickets"][0]
    wrong = door.post("/staff/checkins", {"performance_id": second["performance_id"], "payload": ticket["qr_payload"]})
    assert wrong.status_code == 422 and wrong.json()["code"] == "ticket_wrong_performance"
    admitted = door.post(
        "/staff/checkins", {"performance_id": first["performance_id"], "payload": ticket["qr_payload"]}
    )
    assert admitted.status_code in (200, 201), admitted.text

    staff_view = house.admin.get(f"/staff/timeslots/{series['id']}").json()
    assert staff_view["slots"][0]["available"] == 37


def test_slots_are_refused_beyond_the_venue_or_in_a_seated_hall(stack, house):
    too_many = series_body(house, capacity=61)
    refused = house.admin.post("/staff/timeslots", too_many)
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "over_venue_capacity"
    seated = {**series_body(house), "venue_id": house.venue(demo_seatmaps.test_hall(1, 4))}
    assert house.admin.post("/staff/timeslots", seated).json()["errors"][0]["code"] == "not_standing"
    assert Client(stack.api_url).get("/timeslots/does-not-exist").status_code == 404


@pytest.mark.race
def test_buyers_racing_for_one_slot_never_get_more_than_its_capacity(stack, house):
    series = house.admin.post("/staff/timeslots", series_body(house, capacity=40, slots=2)).json()
    slot = series["slots"][0]["performance_id"]
    results = race(stack.api_url, f"/performances/{slot}/holds", [{"standing": {"count": 3}} for _ in range(24)])
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    held = sum(body["quantity"] for status, body in results if status == 201)
    assert statuses.count(201) == 13 and held == 39  # 13 × 3 fit in 40; the 14th would be 42
    listed = Client(stack.api_url).get(f"/timeslots/{series['id']}").json()["slots"]
    assert [s["available"] for s in listed] == [1, 40]  # the other slot is untouched
