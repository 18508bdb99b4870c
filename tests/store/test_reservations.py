"""Seat and standing claims: all or nothing, conditional on the places being free, and given back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import HoldNotActive, HoldTooLarge, SeatsUnavailable
from chalicelib.domain.holds import MAX_TRANSACTION_ITEMS, Hold, HoldStatus
from chalicelib.store.models import SeatItem, StandingShardItem, performance_key, seat_key, standing_shard_key
from chalicelib.store.reservations import (
    claim_seats,
    claim_standing,
    get_hold,
    release_hold,
    seat_counts,
    standing_remaining,
)
from tests.store.conftest import table_items

NOW = datetime(2026, 3, 14, 19, 0, tzinfo=UTC)
PERFORMANCE = "perf-r4t8"


def seats(*seat_ids: str) -> None:
    for seat_id in seat_ids:
        SeatItem(performance_key(PERFORMANCE), seat_key(seat_id), state="free").save()


def shards(*remaining: int) -> None:
    for shard, places in enumerate(remaining):
        StandingShardItem(*standing_shard_key(PERFORMANCE, shard), capacity=places, remaining=places).save()


def hold(hold_id: str, seat_ids=(), standing=(), minutes: int = 10, created: datetime = NOW) -> Hold:
    return Hold(
        id=hold_id,
        performance_id=PERFORMANCE,
        house_id="house-r2k7",
        session_hash="s3ss1on9x",
        seat_ids=tuple(seat_ids),
        quantity=len(seat_ids) or sum(places for _, places in standing),
        created_at=created,
        expires_at=created + timedelta(minutes=minutes),
        status=HoldStatus.ACTIVE,
        standing_shards=tuple(standing),
    )


def seat_state(seat_id: str) -> SeatItem:
    return SeatItem.get(performance_key(PERFORMANCE), seat_key(seat_id), consistent_read=True)


def test_a_claim_holds_every_seat_and_records_the_hold(local_tables):
    seats("A-1", "A-2", "A-3")
    claim_seats(hold("h_first1", ["A-1", "A-2"]), NOW)
    assert [seat_state(s).state for s in ("A-1", "A-2", "A-3")] == ["held", "held", "free"]
    assert seat_state("A-1").hold_id == "h_first1"
    assert get_hold("h_first1").seat_ids == ("A-1", "A-2")
    assert seat_counts(PERFORMANCE, NOW)["free"] == 1


def test_a_second_claim_of_a_taken_seat_names_it_and_writes_nothing(local_tables):
    seats("B-1", "B-2", "B-3")
    claim_seats(hold("h_first2", ["B-2"]), NOW)
    before = table_items(local_tables)
    with pytest.raises(SeatsUnavailable) as refused:
        claim_seats(hold("h_secnd2", ["B-1", "B-2", "B-3"]), NOW + timedelta(minutes=1))
    assert refused.value.taken == ["B-2"]
    assert table_items(local_tables) == before  # B-1 and B-3 stay free, no hold record


def test_a_claim_of_a_seat_that_does_not_exist_writes_nothing(local_tables):
    seats("C-1")
    before = table_items(local_tables)
    with pytest.raises(TransactWriteError):
        claim_seats(hold("h_ghost3", ["C-1", "C-99"]), NOW)
    assert table_items(local_tables) == before


def test_a_seat_of_a_lapsed_hold_can_be_claimed_by_another(local_tables):
    seats("D-1")
    claim_seats(hold("h_lapse4", ["D-1"], minutes=5), NOW)
    later = NOW + timedelta(minutes=6)
    claim_seats(hold("h_after4", ["D-1"], created=later), later)
    assert seat_state("D-1").hold_id == "h_after4"


def test_the_same_hold_id_cannot_be_recorded_twice(local_tables):
    seats("E-1", "E-2")
    claim_seats(hold("h_twice5", ["E-1"]), NOW)
    before = table_items(local_tables)
    with pytest.raises(TransactWriteError):
        claim_seats(hold("h_twice5", ["E-2"]), NOW)
    assert table_items(local_tables) == before


def test_a_hold_too_large_for_one_transaction_is_refused_before_any_write(local_tables):
    seat_ids = [f"F-{number}" for number in range(MAX_TRANSACTION_ITEMS)]
    with pytest.raises(HoldTooLarge):
        claim_seats(hold("h_large6", seat_ids), NOW)
    assert table_items(local_tables) == []


def test_a_released_hold_frees_exactly_its_seats(local_tables):
    seats("G-1", "G-2", "G-3")
    mine = hold("h_mine7a", ["G-1", "G-2"])
    claim_seats(mine, NOW)
    claim_seats(hold("h_other7", ["G-3"]), NOW)
    release_hold(mine, NOW + timedelta(minutes=1))
    assert [seat_state(s).state for s in ("G-1", "G-2", "G-3")] == ["free", "free", "held"]
    assert get_hold("h_mine7a").status is HoldStatus.RELEASED
    with pytest.raises(HoldNotActive):
        release_hold(mine, NOW + timedelta(minutes=2))  # a second release changes nothing


def test_releasing_a_lapsed_hold_leaves_a_seat_someone_else_took_since(local_tables):
    seats("H-1")
    lapsed = hold("h_lapse8", ["H-1"], minutes=5)
    claim_seats(lapsed, NOW)
    later = NOW + timedelta(minutes=6)
    claim_seats(hold("h_newer8", ["H-1"], created=later), later)
    release_hold(lapsed, later, HoldStatus.EXPIRED)
    assert seat_state("H-1").state == "held" and seat_state("H-1").hold_id == "h_newer8"


def test_a_live_hold_is_not_expired(local_tables):
    seats("I-1")
    live = hold("h_alive9", ["I-1"])
    claim_seats(live, NOW)
    with pytest.raises(HoldNotActive):
        release_hold(live, NOW + timedelta(minutes=1), HoldStatus.EXPIRED)
    assert seat_state("I-1").state == "held"


def test_standing_places_are_taken_from_shards_and_given_back_on_release(local_tables):
    shards(5, 5)
    standing = hold("h_stand1", standing=[(0, 3), (1, 2)])
    assert claim_standing(standing, [(0, 3), (1, 2)], NOW)
    assert standing_remaining(PERFORMANCE, 2) == {0: 2, 1: 3}
    release_hold(standing, NOW + timedelta(minutes=1))
    assert standing_remaining(PERFORMANCE, 2) == {0: 5, 1: 5}


def test_a_standing_shard_never_goes_below_zero(local_tables):
    shards(2, 4)
    before = table_items(local_tables)
    assert not claim_standing(hold("h_short2", standing=[(0, 3), (1, 1)]), [(0, 3), (1, 1)], NOW)
    assert table_items(local_tables) == before  # the other shard was not touched either
    assert claim_standing(hold("h_exact2", standing=[(0, 2)]), [(0, 2)], NOW)
    assert not claim_standing(hold("h_empty2", standing=[(0, 1)]), [(0, 1)], NOW)
    assert standing_remaining(PERFORMANCE, 2) == {0: 0, 1: 4}
