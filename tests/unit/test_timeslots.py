"""Timed entry: consecutive slots with their own capacity, within the venue's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.timeslots import plan_slots

NINE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def test_slots_follow_each_other_and_each_admits_its_capacity():
    slots = plan_slots("expo", NINE, 30, 4, 40, 60)
    assert [s.performance_id for s in slots] == ["expo-1", "expo-2", "expo-3", "expo-4"]
    assert all(later.starts_at == earlier.ends_at for earlier, later in zip(slots, slots[1:]))
    assert slots[-1].ends_at - slots[0].starts_at == timedelta(hours=2)
    assert {s.capacity for s in slots} == {40}


@pytest.mark.parametrize(
    "minutes, count, capacity, field, code",
    [
        (30, 4, 61, "capacity", "over_venue_capacity"),
        (30, 4, 0, "capacity", "over_venue_capacity"),
        (2, 4, 40, "slot_minutes", "out_of_range"),
        (30, 49, 40, "slots", "out_of_range"),
    ],
)
def test_slots_outside_the_rules_are_refused_field_by_field(minutes, count, capacity, field, code):
    with pytest.raises(ValidationFailed) as refused:
        plan_slots("expo", NINE, minutes, count, capacity, 60)
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]


def test_a_slot_start_without_a_time_zone_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        plan_slots("expo", NINE.replace(tzinfo=None), 30, 1, 10, 60)
    assert refused.value.errors[0].code == "naive_datetime"
