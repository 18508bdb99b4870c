"""The staff catalog API and the public agenda, over HTTP against the embedded stack."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from chalicelib.services.reservations import PERFORMANCE_CACHE_SECONDS
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps

from .conftest import Client, unique


def test_a_house_imports_a_seat_map_and_exports_it_unchanged(house):
    seatmap = demo_seatmaps.grote_zaal()
    venue_id = house.venue(seatmap)
    exported = house.admin.get(f"/staff/venues/{venue_id}").json()["seatmap"]
    assert exported == house.admin.get(f"/staff/venues/{venue_id}").json()["seatmap"]
    assert len(exported["seats"]) == len(seatmap["seats"])
    assert {seat["id"] for seat in exported["seats"]} == {seat["id"] for seat in seatmap["seats"]}
    listed = house.admin.get("/staff/venues").json()["venues"]
    assert [(v["id"], v["capacity"], v["seated"]) for v in listed] == [(venue_id, len(seatmap["seats"]), True)]


def test_a_bad_seat_map_is_refused_with_field_errors_and_nothing_is_stored(house):
    seatmap = demo_seatmaps.test_hall(3, 4)
    seatmap["seats"][1]["id"] = seatmap["seats"][0]["id"]  # duplicate id
    seatmap["seats"][2]["section"] = "nowhere"  # unknown section
    seatmap["seats"][5]["x"], seatmap["seats"][5]["y"] = seatmap["seats"][4]["x"], seatmap["seats"][4]["y"]  # overlap
    response = house.admin.post("/staff/venues", {"id": "broken", "seatmap": seatmap})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "seatmap_invalid"
    found = {(error["field"], error["code"]) for error in problem["errors"]}
    assert ("seats[1].id", "duplicate_seat_id") in found
    assert ("seats[2].section", "unknown_section") in found
    assert any(code == "overlapping_seats" for _, code in found)
    assert house.admin.get("/staff/venues").json()["venues"] == []
    assert house.admin.get("/staff/venues/broken").status_code == 404


def test_staff_routes_need_a_valid_token_and_the_right_role(stack, house):
    anonymous = Client(stack.api_url)
    assert anonymous.get("/staff/venues").status_code == 401
    forged = Client(stack.api_url, issue_token("not-the-key", "x", Role.HOUSE_ADMIN, house.id))
    assert forged.get("/staff/venues").json()["code"] == "unauthorized"
    expired = Client(stack.api_url, issue_token(house.key, "x", Role.HOUSE_ADMIN, house.id, ttl_seconds=-10))
    assert expired.get("/staff/venues").status_code == 401
    scanner = Client(stack.api_url, house.token_for(Role.SCANNER))
    response = scanner.post("/staff/productions", {"title": {"nl": "x"}})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert house.admin.post("/staff/houses", {"id": unique("h"), "name": "x"}).status_code == 403


def test_a_house_cannot_reach_another_houses_catalog(stack, signing_key, house, small_hall):
    from .conftest import HouseFixture

    other = HouseFixture(stack, signing_key)
    performance = other.performance(small_hall)
    venue_id = performance["venue_id"]
    assert house.admin.get(f"/staff/venues/{venue_id}").status_code == 404
    assert house.admin.get(f"/staff/productions/{performance['production_id']}").status_code == 404
    assert house.admin.get(f"/staff/performances/{performance['id']}").status_code == 404
    response = house.admin.patch(f"/staff/performances/{performance['id']}", {"status": "cancelled"})
    assert response.status_code == 404
    assert other.admin.get(f"/staff/performances/{performance['id']}").json()["status"] == "on_sale"
    assert performance["id"] not in {p["id"] for p in house.admin.get("/staff/performances").json()["performances"]}


def test_tariffs_must_price_every_category_of_the_hall(house):
    venue_id = house.venue(demo_seatmaps.grote_zaal())
    now = datetime.now(UTC)
    response = house.admin.post(
        "/staff/performances",
        {
            "production_id": house.production(),
            "venue_id": venue_id,
            "starts_at": (now + timedelta(days=3)).isoformat(),
            "sales_start": now.isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 2000, "Z": 100}}],
        },
    )
    assert response.status_code == 422
    fields = {error["field"]: error["code"] for error in response.json()["errors"]}
    assert fields["tariffs[0].prices.B"] == "missing_price"
    assert fields["tariffs[0].prices.Z"] == "unknown_category"
    assert house.admin.get("/staff/performances").json()["performances"] == []


def test_the_sales_window_must_close_by_the_start(house, small_hall):
    venue_id = house.venue(small_hall)
    now = datetime.now(UTC)
    response = house.admin.post(
        "/staff/performances",
        {
            "production_id": house.production(),
            "venue_id": venue_id,
            "starts_at": (now + timedelta(days=3)).isoformat(),
            "sales_start": now.isoformat(),
            "sales_end": (now + timedelta(days=4)).isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 2000}}],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "sales_after_start"
    naive = house.admin.post(
        "/staff/performances",
        {
            "production_id": house.production(),
            "venue_id": venue_id,
            "starts_at": "2030-01-01T20:00:00",
            "sales_start": now.isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 2000}}],
        },
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "starts_at"


def test_pausing_and_cancelling_stop_sales_within_a_second(house, buyer, small_hall):
    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    settle = PERFORMANCE_CACHE_SECONDS + 0.2  # holds see the sales status at most this old
    assert buyer.post(path, {"best_available": {"count": 1}}).status_code == 201
    paused = house.admin.patch(f"/staff/performances/{performance['id']}", {"status": "paused"})
    assert paused.status_code == 200 and paused.json()["on_sale"] is False
    time.sleep(settle)
    refused = buyer.post(path, {"best_available": {"count": 1}})
    assert refused.status_code == 409 and refused.json()["code"] == "not_on_sale"
    assert refused.json()["reason"] == "paused"
    house.admin.patch(f"/staff/performances/{performance['id']}", {"status": "on_sale"})
    time.sleep(settle)
    assert buyer.post(path, {"best_available": {"count": 1}}).status_code == 201
    house.admin.patch(f"/staff/performances/{performance['id']}", {"status": "cancelled"})
    time.sleep(settle)
    assert buyer.post(path, {"best_available": {"count": 1}}).json()["reason"] == "cancelled"


def test_sales_that_have_not_started_refuse_holds(house, buyer, small_hall):
    now = datetime.now(UTC)
    performance = house.performance(small_hall, sales_start=(now + timedelta(days=2)).isoformat())
    response = buyer.post(f"/performances/{performance['id']}/holds", {"seats": [small_hall["seats"][0]["id"]]})
    assert response.status_code == 409
    assert response.json()["reason"] == "not_started"


def test_the_agenda_shows_every_house_with_availability_and_filters(stack, signing_key, house, public, small_hall):
    from .conftest import HouseFixture

    other = HouseFixture(stack, signing_key)
    mine = house.performance(small_hall)
    theirs = other.performance(demo_seatmaps.standing_venue(50))
    agenda = public.get("/agenda").json()
    by_id = {p["id"]: p for p in agenda["performances"]}
    assert by_id[mine["id"]]["availability"]["available"] == 100
    assert by_id[theirs["id"]]["availability"] == {
        "capacity": 50,
        "available": 50,
        "held": 0,
        "sold": 0,
        "level": "available",
    }
    assert by_id[mine["id"]]["price_from"] == {"amount": 2000, "currency": "EUR"}
    assert by_id[mine["id"]]["starts_at"].endswith("Z")
    assert by_id[mine["id"]]["starts_at_local"][-6:] in ("+01:00", "+02:00")
    only_mine = public.get("/agenda", params={"house": house.id}).json()["performances"]
    assert [p["id"] for p in only_mine] == [mine["id"]]
    starts = [p["starts_at"] for p in agenda["performances"]]
    assert starts == sorted(starts)


def test_the_public_seat_map_shows_live_states(house, buyer, public, small_hall):
    performance = house.performance(small_hall)
    seat_ids = [seat["id"] for seat in small_hall["seats"][:2]]
    assert buyer.post(f"/performances/{performance['id']}/holds", {"seats": seat_ids}).status_code == 201
    view = public.get(f"/performances/{performance['id']}/seats").json()
    states = {seat["id"]: seat["state"] for seat in view["seatmap"]["seats"]}
    assert [states[seat_id] for seat_id in seat_ids] == ["held", "held"]
    assert sum(1 for state in states.values() if state == "free") == 98
    assert view["availability"]["held"] == 2
    assert public.get("/performances/nope/seats").status_code == 404
