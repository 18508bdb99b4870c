"""Timed entry (an exhibition, a tour): a series of time slots, each with its own capacity.

Each slot is a standing performance of its own (starting at the slot's start, with the slot's
capacity as its standing capacity), so holding, checking out, tickets and the door work per slot
unchanged, and a slot can never be sold beyond its capacity: its places are a conditional counter.
The series ties the slots together for staff and for the public page that lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import FieldError, ValidationFailed

MAX_SLOTS = 48  # a long day in quarters of an hour, or two in half hours
SLOT_MINUTES = (5, 480)


@dataclass(frozen=True)
class Slot:
    """One time slot: its performance, start and end (UTC) and how many visitors it admits."""

    performance_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass(frozen=True)
class TimeslotSeries:
    id: str
    house_id: str
    production_id: str
    venue_id: str
    slots: tuple[Slot, ...]
    created_at: datetime


def slot_id(series_id: str, index: int) -> str:
    """The performance id of the series' slot `index` (from 0): stable, readable, `<series>-<n>`."""
    return f"{series_id}-{index + 1}"


def plan_slots(
    series_id: str, first_start: datetime, slot_minutes: int, count: int, capacity: int, venue_capacity: int
) -> tuple[Slot, ...]:
    """Consecutive slots of `slot_minutes` from `first_start`, each admitting `capacity` visitors.

    A slot admits no more than the venue holds at once; times must carry a time zone.
    """
    errors = []
    if first_start.tzinfo is None:
        errors.append(FieldError("first_start", "naive_datetime", "Give a time zone (e.g. +01:00 or Z)."))
    if not SLOT_MINUTES[0] <= slot_minutes <= SLOT_MINUTES[1]:
        errors.append(
            FieldError("slot_minutes", "out_of_range", f"A slot lasts {SLOT_MINUTES[0]} to {SLOT_MINUTES[1]} minutes.")
        )
    if not 1 <= count <= MAX_SLOTS:
        errors.append(FieldError("slots", "out_of_range", f"A series has 1 to {MAX_SLOTS} slots."))
    if not 1 <= capacity <= venue_capacity:
        errors.append(
            FieldError(
                "capacity",
                "over_venue_capacity",
                f"A slot admits 1 to {venue_capacity} visitors (the venue's capacity).",
            )
        )
    if errors:
        raise ValidationFailed("The time slots are not valid.", errors)
    length = timedelta(minutes=slot_minutes)
    return tuple(
        Slot(slot_id(series_id, index), first_start + index * length, first_start + (index + 1) * length, capacity)
        for index in range(count)
    )
