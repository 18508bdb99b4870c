"""Selling a paid hold (held → sold): conditional on the hold, re-claiming lapsed seats when free."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import SeatsUnavailable
from scripts.embedded import demo_seatmaps

from .conftest import Client, buyer_session


def states(client, performance_id: str) -> dict[str, str]:
    seats = client.get(f"/performances/{performance_id}/seats").json()["seatmap"]["seats"]
    return {seat["id"]: seat["state"] for seat in seats}


def now():
    return datetime.now(UTC)


def test_a_live_hold_is_sold_once_even_when_the_task_is_retried(house, buyer, small_hall):
    from chalicelib.store import reservations

    performance = house.performance(small_hall)
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2}}).json()
    record = reservations.get_hold(hold["id"])
    reservations.sell_hold(record, "o_1", now())
    reservations.sell_hold(record, "o_1", now())  # a retried task changes nothing and does not fail
    sold = states(buyer, performance["id"])
    assert [sold[seat["id"]] for seat in hold["seats"]] == ["sold", "sold"]
    assert reservations.get_hold(hold["id"]).status.value == "confirmed"
    assert buyer.get(f"/performances/{performance['id']}").json()["availability"]["sold"] == 2
    assert buyer.delete(f"/holds/{hold['id']}").status_code == 409  # a sold hold cannot be released
    with pytest.raises(SeatsUnavailable):
        reservations.sell_hold(record, "o_other", now())  # nor sold to another order


def test_a_lapsed_hold_whose_seats_are_still_free_is_sold_by_reclaiming_them(house, quick_expiry, small_hall):
    from chalicelib.store import reservations

    performance = house.performance(small_hall)
    buyer = Client(quick_expiry, session_token=buyer_session())
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2}}).json()
    time.sleep(2.3)
    reservations.sell_hold(reservations.get_hold(hold["id"]), "o_2", now())
    assert [states(buyer, performance["id"])[seat["id"]] for seat in hold["seats"]] == ["sold", "sold"]


def test_a_lapsed_hold_whose_seat_someone_else_took_is_refused_and_changes_nothing(
    house, quick_expiry, stack, small_hall
):
    from chalicelib.store import reservations

    performance = house.performance(small_hall)
    late = Client(quick_expiry, session_token=buyer_session())
    hold = late.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2}}).json()
    time.sleep(2.3)
    taken = hold["seats"][1]["id"]
    other = Client(stack.api_url, session_token=buyer_session())
    assert other.post(f"/performances/{performance['id']}/holds", {"seats": [taken]}).status_code == 201
    with pytest.raises(SeatsUnavailable) as refused:
        reservations.sell_hold(reservations.get_hold(hold["id"]), "o_3", now())
    assert refused.value.taken == [taken]
    after = states(other, performance["id"])
    assert after[hold["seats"][0]["id"]] == "free" and after[taken] == "held"  # nothing of the order was sold
    assert reservations.get_hold(hold["id"]).status.value == "active"


def test_standing_places_of_a_swept_hold_are_taken_again_or_refused_when_gone(house, quick_expiry, stack):
    from chalicelib.store import reservations

    performance = house.performance(demo_seatmaps.standing_venue(5))
    path = f"/performances/{performance['id']}/holds"
    lapsed = Client(quick_expiry, session_token=buyer_session()).post(path, {"standing": {"count": 3}}).json()
    gone = Client(quick_expiry, session_token=buyer_session()).post(path, {"standing": {"count": 2}}).json()
    time.sleep(2.3)
    stack.sweep()  # both holds expire; their places go back to the counter
    reservations.sell_hold(reservations.get_hold(lapsed["id"]), "o_4", now())
    assert Client(stack.api_url).get(f"/performances/{performance['id']}").json()["availability"]["available"] == 2
    other = Client(stack.api_url, session_token=buyer_session())
    assert other.post(path, {"standing": {"count": 2}}).status_code == 201
    with pytest.raises(SeatsUnavailable) as refused:
        reservations.sell_hold(reservations.get_hold(gone["id"]), "o_5", now())
    assert refused.value.taken == ["standing"]


def test_compensation_gives_sold_places_back(house, buyer, small_hall):
    from chalicelib.store import reservations

    performance = house.performance(small_hall)
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 3}}).json()
    record = reservations.get_hold(hold["id"])
    reservations.sell_hold(record, "o_6", now())
    reservations.unsell_hold(record, "o_6")
    reservations.unsell_hold(record, "o_6")  # compensation may run twice
    assert buyer.get(f"/performances/{performance['id']}").json()["availability"]["available"] == 100
