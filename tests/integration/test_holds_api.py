"""Holds over HTTP: specific seats, best available, standing places, release, ownership, expiry."""

from __future__ import annotations

import time

import pytest

from scripts.embedded import demo_seatmaps

from .conftest import Client, buyer_session


def seats_of(hold: dict) -> list[str]:
    return [seat["id"] for seat in hold["seats"]]


def test_two_buyers_wanting_the_same_seat_only_one_wins_and_the_other_is_told_which(house, stack, small_hall):
    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    first, second = (Client(stack.api_url, session_token=buyer_session()) for _ in range(2))
    wanted = [small_hall["seats"][0]["id"], small_hall["seats"][1]["id"]]
    won = first.post(path, {"seats": wanted})
    assert won.status_code == 201
    assert seats_of(won.json()) == wanted and won.json()["expires_in_seconds"] > 800
    lost = second.post(path, {"seats": [wanted[1], small_hall["seats"][2]["id"]]}, headers={"Accept-Language": "fr"})
    assert lost.status_code == 409
    problem = lost.json()
    assert problem["code"] == "seats_unavailable" and problem["taken"] == [wanted[1]]
    assert problem["title"] == "Places plus disponibles" and wanted[1] in problem["message"]
    # all or nothing: the free seat of the refused request was not taken either
    states = {
        s["id"]: s["state"] for s in second.get(f"/performances/{performance['id']}/seats").json()["seatmap"]["seats"]
    }
    assert states[small_hall["seats"][2]["id"]] == "free"


def test_best_available_gives_adjacent_seats_in_one_row(house, buyer):
    hall = demo_seatmaps.grote_zaal()
    performance = house.performance(hall)
    response = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 4}})
    assert response.status_code == 201, response.text
    seats = response.json()["seats"]
    assert len({(seat["section"], seat["row"]) for seat in seats}) == 1
    numbers = sorted(seat["number"] for seat in seats)
    assert numbers == list(range(numbers[0], numbers[0] + 4))


def test_best_available_with_a_wheelchair_place_brings_its_companion_seat(house, buyer):
    hall = demo_seatmaps.grote_zaal()
    kinds = {seat["id"]: seat for seat in hall["seats"]}
    performance = house.performance(hall)
    response = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2, "wheelchair": 1}})
    assert response.status_code == 201, response.text
    chosen = [kinds[seat_id] for seat_id in seats_of(response.json())]
    wheelchair = [seat for seat in chosen if seat["kind"] == "wheelchair"]
    companion = [seat for seat in chosen if seat["kind"] == "companion"]
    assert len(wheelchair) == 1 and len(companion) == 1
    assert companion[0]["companion_of"] == wheelchair[0]["id"]


def test_standing_places_are_counted_down_and_refused_when_gone(house, stack):
    performance = house.performance(demo_seatmaps.standing_venue(5), standing_shards=2)
    path = f"/performances/{performance['id']}/holds"
    first, second = (Client(stack.api_url, session_token=buyer_session()) for _ in range(2))
    assert first.post(path, {"standing": {"count": 4}}).status_code == 201
    refused = second.post(path, {"standing": {"count": 2}})
    assert refused.status_code == 409 and refused.json()["code"] == "sold_out"
    assert second.post(path, {"standing": {"count": 1}}).status_code == 201
    assert second.get(f"/performances/{performance['id']}").json()["availability"]["available"] == 0


def test_releasing_a_hold_frees_its_seats_and_a_second_release_is_refused(house, buyer, public, small_hall):
    performance = house.performance(small_hall)
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 3}}).json()
    released = buyer.delete(f"/holds/{hold['id']}")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert public.get(f"/performances/{performance['id']}").json()["availability"]["available"] == 100
    again = buyer.delete(f"/holds/{hold['id']}")
    assert again.status_code == 409 and again.json()["code"] == "hold_not_active"
    assert buyer.get(f"/holds/{hold['id']}").json()["status"] == "released"


def test_a_hold_is_invisible_to_another_buyer_session(house, buyer, stack, small_hall):
    performance = house.performance(small_hall)
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    stranger = Client(stack.api_url, session_token=buyer_session())
    assert stranger.get(f"/holds/{hold['id']}").status_code == 404
    assert stranger.delete(f"/holds/{hold['id']}").status_code == 404
    assert buyer.get(f"/holds/{hold['id']}").json()["status"] == "active"
    no_session = Client(stack.api_url)
    assert no_session.post(f"/performances/{performance['id']}/holds", {"seats": ["x"]}).status_code == 400


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"best_available": {"count": 0}}, 422, "validation_failed"),
        ({"best_available": {"count": -2}}, 422, "validation_failed"),
        ({"best_available": {"count": 11}}, 422, "validation_failed"),
        ({"best_available": {"count": 150}}, 422, "hold_too_large"),
        ({"seats": []}, 422, "validation_failed"),
        ({"standing": {"count": 2}}, 422, "validation_failed"),
        ({"seats": ["NOPE-1"]}, 422, "validation_failed"),
        ({"best_available": {"count": "2"}}, 422, "validation_failed"),
        ({"seats": ["A"], "standing": {"count": 1}}, 422, "validation_failed"),
        ({"best_available": {"count": 2, "category": "Z"}}, 422, "validation_failed"),
    ],
)
def test_bad_hold_requests_get_a_clear_problem_and_change_nothing(house, buyer, public, small_hall, body, status, code):
    performance = house.performance(small_hall)
    response = buyer.post(f"/performances/{performance['id']}/holds", body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code and problem["type"].endswith(code) and problem["title"] and problem["detail"]
    assert public.get(f"/performances/{performance['id']}").json()["availability"]["available"] == 100


@pytest.mark.parametrize(
    "standing, body, field",
    [
        (True, {"standing": {"count": 0}}, "standing.count"),
        (True, {"standing": {"count": 11}}, "standing.count"),
        (False, {"best_available": {"count": 0}}, "best_available.count"),
        (False, {"seats": []}, "seats"),
        (False, {"standing": {"count": 0}}, "standing"),
        (True, {"best_available": {"count": 0}}, "best_available"),
    ],
)
def test_a_refused_hold_names_the_field_that_was_sent(house, buyer, small_hall, standing, body, field):
    performance = house.performance(demo_seatmaps.standing_venue(20) if standing else small_hall)
    response = buyer.post(f"/performances/{performance['id']}/holds", body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_more_seats_than_one_transaction_can_take_is_refused_clearly(house, buyer):
    performance = house.performance(demo_seatmaps.test_hall(12, 12))
    response = buyer.post(f"/performances/{performance['id']}/holds", {"seats": [f"X-{n}" for n in range(120)]})
    assert response.status_code == 422 and response.json()["code"] == "hold_too_large"
    assert response.json()["limit"] == 99


def test_an_expired_hold_never_blocks_the_next_buyer_even_before_the_sweeper(house, quick_expiry, stack, small_hall):
    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    early, late = (Client(quick_expiry, session_token=buyer_session()) for _ in range(2))
    seat_ids = [seat["id"] for seat in small_hall["seats"][:2]]
    hold = early.post(path, {"seats": seat_ids}).json()
    assert late.post(path, {"seats": seat_ids}).status_code == 409
    time.sleep(2.3)
    states = {
        s["id"]: s["state"] for s in late.get(f"/performances/{performance['id']}/seats").json()["seatmap"]["seats"]
    }
    assert [states[seat_id] for seat_id in seat_ids] == ["free", "free"]
    assert late.post(path, {"seats": seat_ids}).status_code == 201
    expired = early.delete(f"/holds/{hold['id']}")
    assert expired.status_code == 410 and expired.json()["code"] == "hold_expired"
    assert early.get(f"/holds/{hold['id']}").json()["status"] == "expired"


def test_expired_standing_places_return_at_once_and_the_sweeper_makes_it_final(house, quick_expiry, stack):
    performance = house.performance(demo_seatmaps.standing_venue(4))
    path = f"/performances/{performance['id']}/holds"
    early, late = (Client(quick_expiry, session_token=buyer_session()) for _ in range(2))
    assert early.post(path, {"standing": {"count": 4}}).status_code == 201
    assert late.post(path, {"standing": {"count": 1}}).status_code == 409
    time.sleep(2.3)
    assert late.get(f"/performances/{performance['id']}").json()["availability"]["available"] == 4
    assert late.post(path, {"standing": {"count": 3}}).status_code == 201  # reclaims the expired hold
    time.sleep(2.3)
    assert stack.sweep()["released"] >= 1
    availability = late.get(f"/performances/{performance['id']}").json()["availability"]
    assert availability["available"] == 4 and availability["held"] == 0


def test_the_sweeper_frees_expired_seats_in_the_table_and_leaves_live_holds_alone(
    house, quick_expiry, stack, small_hall
):
    from .test_race import table_query

    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    buyer = Client(quick_expiry, session_token=buyer_session())
    expiring = buyer.post(path, {"seats": [seat["id"] for seat in small_hall["seats"][:3]]}).json()
    time.sleep(2.3)
    live = (
        Client(stack.api_url, session_token=buyer_session())
        .post(path, {"seats": [small_hall["seats"][5]["id"]]})
        .json()
    )  # the normal gateway: 15 minutes
    assert stack.sweep()["released"] >= 1
    seats = {item["SK"]["S"][5:]: item for item in table_query(stack, performance["id"], "SEAT#")}
    for seat in expiring["seats"]:
        assert seats[seat["id"]]["state"]["S"] == "free" and "hold_id" not in seats[seat["id"]]
    assert seats[live["seats"][0]["id"]]["hold_id"]["S"] == live["id"]
    assert buyer.get(f"/holds/{expiring['id']}").json()["status"] == "expired"
    again = buyer.delete(f"/holds/{expiring['id']}")  # the same answer as before the sweep
    assert again.status_code == 410 and again.json()["code"] == "hold_expired"
