"""Allocations in the domain: who sells from what, validation, and the distribution counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.allocations import (
    GENERAL_POOL,
    MAX_ALLOCATION_SEATS,
    Allocation,
    Seller,
    SellingPool,
    count_allocation,
    selling_pool,
    validate_allocation,
)
from chalicelib.domain.errors import ValidationFailed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=7)


def allocation(id="al_1", holder="b", channel=None, seats=("A-1", "A-2", "A-3"), returns_at=NOW + timedelta(days=1)):
    return Allocation(id, "p1", "a", holder, channel, tuple(seats), returns_at, NOW)


def test_a_house_with_a_live_allocation_sells_from_it_alone():
    pool = selling_pool([allocation()], Seller("b", "box_office"), "a", NOW)
    assert pool == SellingPool(False, ("al_1",))
    assert pool.admits("al_1") and not pool.admits(None) and not pool.admits("al_other")


def test_once_the_allocation_lapsed_the_house_is_back_to_the_general_pool():
    lapsed = allocation(returns_at=NOW)
    assert selling_pool([lapsed], Seller("b", "box_office"), "a", NOW) == GENERAL_POOL


def test_other_sellers_get_the_general_pool_plus_their_channel_s_allocations():
    allocations = [allocation("al_web", holder=None, channel="web"), allocation("al_b")]
    web = selling_pool(allocations, Seller(None, "web"), "a", NOW)
    assert web == SellingPool(True, (), "web")
    assert web.admits(None) and web.admits("al_web", "web") and not web.admits("al_desk", "box_office")
    desk = selling_pool(allocations, Seller("a", "box_office"), "a", NOW)
    assert desk.admits("al_desk", "box_office") and not desk.admits("al_web", "web")
    # house C, without an allocation of its own, never gets B's
    assert not selling_pool(allocations, Seller("c", "box_office"), "a", NOW).admits("al_b")


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"holder": None}, "one_holder"),
        ({"channel": "web"}, "one_holder"),
        ({"holder": "a"}, "unknown_house"),
        ({"holder": "z"}, "unknown_house"),
        ({"holder": None, "channel": "fax"}, "unknown_channel"),
        ({"seats": ()}, "no_seats"),
        ({"seats": ("A-1", "A-1")}, "duplicate_seat"),
        ({"seats": ("Q-9",)}, "unknown_seat"),
        ({"seats": tuple(f"A-{n}" for n in range(MAX_ALLOCATION_SEATS + 1))}, "too_many_seats"),
        ({"returns_at": NOW}, "out_of_range"),
        ({"returns_at": STARTS + timedelta(seconds=1)}, "out_of_range"),
    ],
)
def test_an_invalid_allocation_names_the_field(changes, code):
    with pytest.raises(ValidationFailed) as refused:
        validate_allocation(allocation(**changes), STARTS, {"a", "b", "c"}, lambda seat: seat.startswith("A-"), NOW)
    assert code in {error.code for error in refused.value.errors}


def test_counts_while_live_and_after_the_deadline():
    marks = {"A-1": ("sold", "al_1", True), "A-2": ("held", "al_1", True), "A-3": ("free", "al_1", False)}
    live = allocation()
    assert count_allocation(live, marks, NOW).to_dict() == {"size": 3, "held": 1, "sold": 1, "free": 1, "returned": 0}
    lapsed = allocation(returns_at=NOW)
    assert count_allocation(lapsed, marks, NOW).to_dict() == {"size": 3, "held": 1, "sold": 1, "free": 0, "returned": 1}
    # a returned seat someone else bought after the deadline: still returned, not sold from the allocation
    marks["A-3"] = ("sold", "al_1", False)
    assert count_allocation(lapsed, marks, NOW).returned == 1


def test_releasing_moves_the_deadline_to_now_and_only_the_parties_see_it():
    released = allocation().released_at(NOW)
    assert released.released and not released.is_live(NOW)
    assert allocation().visible_to("a") and allocation().visible_to("b") and not allocation().visible_to("c")
    assert allocation().visible_to(None, coordinator=True)
