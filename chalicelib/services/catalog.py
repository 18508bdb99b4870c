"""Catalog services: creating productions and performances with their rules checked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import ports
from ..domain.catalog import (
    STANDING_CATEGORY,
    House,
    Performance,
    PerformanceStatus,
    Production,
    Tariff,
    validate_schedule,
    validate_tariffs,
)
from ..domain.seatmap import SeatMap
from ..domain.waiting_room import WaitingRoom
from ..observability import count
from ..store import catalog as store
from ..store import timeslots as timeslot_store
from .refunds import refund_cancelled_performance

# A Lambda runs at most 15 minutes: a create claimed longer ago than that has stopped for good.
ABANDONED_AFTER = timedelta(minutes=15)


def new_id(prefix: str) -> str:
    return ports.ids().catalog_id(prefix)


# A `body: Any` is the route's validated request model (api.schemas), which services may not import.
def create_production(house_id: str, body: Any) -> Production:
    """A new production of the caller's house."""
    production = Production(
        id=body.id or new_id("prod"),
        house_id=house_id,
        title=body.title,
        genre=body.genre,
        description=body.description,
    )
    store.create_production(production)
    return production


def create_performance(house_id: str, body: Any) -> Performance:
    """A dated performance of one of the house's productions in one of its venues, with its seats."""
    production = store.get_production(house_id, body.production_id)
    venue, seatmap = store.get_venue(house_id, body.venue_id)
    sales_end = body.sales_end or body.starts_at
    validate_schedule(body.starts_at, body.sales_start, sales_end)
    tariffs = [Tariff(code=t.code, name=t.name, prices=dict(t.prices)) for t in body.tariffs]
    categories = {STANDING_CATEGORY} if seatmap.is_standing else {c.code for c in seatmap.categories}
    validate_tariffs(tariffs, categories)
    performance = Performance(
        id=body.id or new_id("perf"),
        house_id=house_id,
        production_id=production.id,
        venue_id=body.venue_id,
        starts_at=body.starts_at,
        sales_start=body.sales_start,
        sales_end=sales_end,
        status=PerformanceStatus(body.status),
        tariffs=tuple(tariffs),
        seated=not seatmap.is_standing,
        capacity=seatmap.capacity,
        title=production.title,
        venue_name=venue.name,
        genre=production.genre,
        standing_shards=body.standing_shards if seatmap.is_standing else 1,
        waiting_room=waiting_room_of(body.waiting_room, body.sales_start),
    )
    store.create_performance(performance, seatmap)
    return performance


def waiting_room_of(body: Any, default_opening: datetime) -> WaitingRoom | None:
    """The waiting room a staff body asks for (None: none); it opens at `default_opening` unless told."""
    if body is None:
        return None
    return WaitingRoom(
        rate_per_minute=body.rate_per_minute,
        opens_at=body.opens_at or default_opening,
        admission_seconds=body.admission_seconds,
        shards=body.shards,
    )


def change_performance(house_id: str, performance_id: str, body: Any) -> Performance:
    """Change status or sales window of the house's own performance."""
    current = store.get_house_performance(house_id, performance_id)
    validate_schedule(current.starts_at, body.sales_start or current.sales_start, body.sales_end or current.sales_end)
    waiting_room = store.UNCHANGED
    if "waiting_room" in body.model_fields_set:
        opens = max(ports.clock().now(), body.sales_start or current.sales_start)
        waiting_room = waiting_room_of(body.waiting_room, opens)
    performance = store.update_performance(
        house_id,
        performance_id,
        status=PerformanceStatus(body.status) if body.status else None,
        sales_start=body.sales_start,
        sales_end=body.sales_end,
        expected_version=body.version,
        waiting_room=waiting_room,
    )
    if performance.status is PerformanceStatus.CANCELLED:
        # Every ticket sold is refunded (again harmless: a ticket is refunded once).
        refund_cancelled_performance(performance_id, ports.clock().now())
        publish_cancelled(performance)
    return performance


def publish_cancelled(performance: Performance) -> None:
    """`PerformanceCancelled` on the cluster's topic (one id per performance: repeating it changes nothing)."""
    ports.events().publish(
        "PerformanceCancelled",
        f"PerformanceCancelled:{performance.id}",
        ports.clock().now(),
        {
            "performance_id": performance.id,
            "house_id": performance.house_id,
            "production_id": performance.production_id,
            "starts_at": performance.starts_at.isoformat(),
        },
    )


def sweep_abandoned_creates(now: datetime) -> int:
    """Take back creates that stopped half-way (their Lambda died between the claim and showing the performance
    or series), so their ids are free again; how many claims were removed."""
    before = now - ABANDONED_AFTER
    removed = sum(store.discard_abandoned(*claim) for claim in store.abandoned_claims(before))
    removed += sum(timeslot_store.discard_abandoned_series(*claim) for claim in timeslot_store.abandoned_series(before))
    if removed:
        count("AbandonedCreatesRemoved", removed)
    return removed


# -- What the staff routes and the public agenda read or write as is ------------------------------------------------
def create_house(house: House) -> House:
    store.create_house(house)
    return house


def houses() -> list[House]:
    return store.list_houses()


def house(house_id: str) -> House:
    return store.get_house(house_id)


def import_venue(house_id: str, venue_id: str, seatmap: SeatMap) -> None:
    store.create_venue(house_id, venue_id, seatmap)


def venues(house_id: str) -> list[Any]:
    """The house's venues as summaries (id, name, capacity, seated), without decoding the maps."""
    return store.list_venues(house_id)


def venue_seatmap(house_id: str, venue_id: str) -> SeatMap:
    """The house's venue's seat map; another house's venue is NotFound."""
    return store.get_venue(house_id, venue_id)[1]


def productions(house_id: str) -> list[Production]:
    return store.list_productions(house_id)


def production(house_id: str, production_id: str) -> Production:
    return store.get_production(house_id, production_id)


def performances_for_staff(house_id: str) -> list[Performance]:
    return store.list_house_performances(house_id)


def performance_for_staff(house_id: str, performance_id: str) -> Performance:
    """The house's own performance; another house's is NotFound."""
    return store.get_house_performance(house_id, performance_id)


def performance(performance_id: str) -> Performance:
    return store.get_performance(performance_id)


def performance_seatmap(performance_id: str) -> SeatMap:
    return store.get_performance_seatmap(performance_id)


def agenda(
    house_id: str | None = None, genre: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> list[Performance]:
    """The agenda as buyers see it (a few seconds old at most), of one house or genre, starting in [start, end)."""
    return [
        performance
        for performance in store.listed_agenda()
        if (not house_id or performance.house_id == house_id)
        and (not genre or performance.genre == genre)
        and not (start and performance.starts_at < start or end and performance.starts_at >= end)
    ]


def listed_houses() -> list[House]:
    return store.listed_houses()
