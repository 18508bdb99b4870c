"""Performances: a create claims the id for the whole aggregate, and a half-made create can be taken back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import STANDING_CATEGORY, Performance, PerformanceStatus, Tariff
from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.seatmap import parse_seatmap
from chalicelib.store import catalog
from chalicelib.store.models import is_condition_failure, transaction_connection
from chalicelib.store.reservations import seat_counts, standing_remaining
from scripts.embedded import demo_seatmaps
from tests.store.conftest import table_items

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
HALL = parse_seatmap(demo_seatmaps.test_hall(2, 3))
CLUB = parse_seatmap(demo_seatmaps.standing_venue(10))


def performance(performance_id: str, seatmap=HALL, house_id: str = "house-c4t9", shards: int = 1) -> Performance:
    category = STANDING_CATEGORY if seatmap.is_standing else "A"
    return Performance(
        id=performance_id,
        house_id=house_id,
        production_id="prod-m5n2",
        venue_id="venue-p8r1",
        starts_at=NOW + timedelta(days=14),
        sales_start=NOW,
        sales_end=NOW + timedelta(days=14),
        status=PerformanceStatus.ON_SALE,
        tariffs=(Tariff(code="full", name={"nl": "Volwassene"}, prices={category: 2000}),),
        seated=not seatmap.is_standing,
        capacity=seatmap.capacity,
        title={"nl": "Meeuw"},
        venue_name=seatmap.name,
        standing_shards=shards,
    )


def claim(made: Performance) -> None:
    with TransactWrite(connection=transaction_connection) as transaction:
        catalog.claim_in(transaction, made)


def test_a_seated_performance_is_created_with_every_seat_free(local_tables):
    catalog.create_performance(performance("perf-a1x7"), HALL)
    assert catalog.get_performance("perf-a1x7").capacity == 6
    assert seat_counts("perf-a1x7", NOW)["free"] == 6


def test_a_standing_capacity_is_split_over_its_shards_exactly(local_tables):
    catalog.create_performance(performance("perf-b2y8", CLUB, shards=3), CLUB)
    assert standing_remaining("perf-b2y8", 3) == {0: 4, 1: 3, 2: 3}


def test_a_second_create_with_the_same_id_is_refused_and_writes_nothing(local_tables):
    catalog.create_performance(performance("perf-c3z9"), HALL)
    before = table_items(local_tables)
    with pytest.raises(AlreadyExists):
        catalog.create_performance(performance("perf-c3z9", CLUB, house_id="house-o6w3"), CLUB)
    assert table_items(local_tables) == before


def test_discard_claimed_takes_back_a_half_made_create(local_tables):
    made = performance("perf-d4q1")
    before = table_items(local_tables)
    written: list[tuple[str, str]] = []
    claim(made)
    catalog.write_children(made, HALL, written)  # and then the create stopped before showing it
    assert len(written) == 1 + 6  # the seat map copy and the seats
    catalog.discard_claimed(made, written)
    assert table_items(local_tables) == before


def test_discard_claimed_leaves_a_performance_that_finished_its_create(local_tables):
    made = performance("perf-e5s2")
    catalog.create_performance(made, HALL)
    catalog.discard_claimed(made, [])
    assert catalog.get_performance("perf-e5s2").id == "perf-e5s2"


def test_another_house_cannot_show_a_claimed_performance(local_tables):
    made = performance("perf-f6u3")
    claim(made)
    with pytest.raises(UpdateError) as refused:
        catalog.show_performance(replace(made, house_id="house-o6w3"))
    assert is_condition_failure(refused.value)
    catalog.show_performance(made)
    with pytest.raises(UpdateError):
        catalog.show_performance(made)  # shown once: the claim's mark is gone


def test_an_abandoned_claim_is_found_and_discarded_with_its_children(local_tables):
    made = performance("perf-g7v4", CLUB, shards=2)
    claim(made)
    catalog.write_children(made, CLUB, [])
    finished = performance("perf-h8w5")
    catalog.create_performance(finished, HALL)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert catalog.abandoned_claims(later) == [("perf-g7v4", "house-c4t9", 2)]
    assert catalog.discard_abandoned("perf-g7v4", "house-c4t9", 2) is True
    assert {item["PK"]["S"] for item in table_items(local_tables)} == {"PERF#perf-h8w5"}
    assert catalog.discard_abandoned("perf-h8w5", "house-c4t9", 1) is False  # a shown performance stays
