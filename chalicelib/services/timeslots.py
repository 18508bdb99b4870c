"""Timed entry: staff create a series of time slots; the public sees each slot's live availability."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.catalog import (
    STANDING_CATEGORY,
    Performance,
    PerformanceStatus,
    Tariff,
    validate_schedule,
    validate_tariffs,
)
from ..domain.errors import FieldError, ValidationFailed
from ..domain.timeslots import TimeslotSeries, plan_slots
from ..store import catalog as store
from ..store import timeslots as timeslot_store
from . import availability
from .catalog import new_id


# A `body: Any` is the route's validated request model (api.schemas), which services may not import.
def create_series(house_id: str, body: Any, now: datetime) -> TimeslotSeries:
    """A series of slots in one of the house's standing venues: one standing performance per slot,
    with the slot's capacity as its own counter. The series' and slots' ids are claimed together first
    (AlreadyExists, nothing written, if any is taken); the series shows once every slot is complete."""
    production = store.get_production(house_id, body.production_id)
    venue, seatmap = store.get_venue(house_id, body.venue_id)
    if not seatmap.is_standing:
        raise ValidationFailed(
            "Time slots need a standing venue.",
            [FieldError("venue_id", "not_standing", "Pick a venue with a standing capacity.")],
        )
    series_id = body.id or new_id("slots")
    slots = plan_slots(series_id, body.first_start, body.slot_minutes, body.slots, body.capacity, seatmap.capacity)
    validate_schedule(slots[0].starts_at, body.sales_start, slots[0].starts_at)
    tariffs = [Tariff(code=t.code, name=t.name, prices=dict(t.prices)) for t in body.tariffs]
    validate_tariffs(tariffs, {STANDING_CATEGORY})
    series = TimeslotSeries(series_id, house_id, production.id, body.venue_id, slots, now)
    performances = [
        Performance(
            id=slot.performance_id,
            house_id=house_id,
            production_id=production.id,
            venue_id=body.venue_id,
            starts_at=slot.starts_at,
            sales_start=body.sales_start,
            sales_end=slot.starts_at,
            status=PerformanceStatus(body.status),
            tariffs=tuple(tariffs),
            seated=False,
            capacity=slot.capacity,
            title=production.title,
            venue_name=venue.name,
            genre=production.genre,
        )
        for slot in slots
    ]
    timeslot_store.claim_series(series, performances)
    slot_hall = replace(seatmap, standing_capacity=body.capacity)
    written: dict[str, list[tuple[str, str]]] = {performance.id: [] for performance in performances}
    try:
        for performance in performances:
            store.write_children(performance, slot_hall, written[performance.id])
    except Exception:
        for performance in performances:
            store.discard_claimed(performance, written[performance.id])
        timeslot_store.discard_series(series)
        raise
    for performance in performances:
        store.show_performance(performance)
    timeslot_store.show_series(series)
    return series


def slots_with_availability(series: TimeslotSeries, now: datetime) -> list[tuple[Any, ...]]:
    """Each slot with its performance and live availability (read now, not from the agenda's cache)."""
    result = []
    for slot in series.slots:
        performance = store.get_performance(slot.performance_id)
        result.append((slot, performance, availability.summary(performance, now)))
    return result


def series_of_house(house_id: str, series_id: str) -> TimeslotSeries:
    """The house's own series; another house's is NotFound."""
    return timeslot_store.get_house_series(house_id, series_id)


def get_series(series_id: str) -> TimeslotSeries:
    return timeslot_store.get_series(series_id)


def first_performance(series: TimeslotSeries) -> Performance:
    """The series' first slot's performance: what every slot shares (title, venue, tariffs) is read from it."""
    return store.get_performance(series.slots[0].performance_id)
