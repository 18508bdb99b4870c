"""Catalog services: creating productions and performances with their rules checked."""
from __future__ import annotations

import secrets

from ..domain.catalog import (
    STANDING_CATEGORY,
    Performance,
    PerformanceStatus,
    Production,
    Tariff,
    validate_schedule,
    validate_tariffs,
)
from ..store import catalog as store


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def create_production(house_id: str, body) -> Production:
    """A new production of the caller's house."""
    production = Production(id=body.id or new_id("prod"), house_id=house_id, title=body.title, genre=body.genre,
                            description=body.description)
    store.create_production(production)
    return production


def create_performance(house_id: str, body) -> Performance:
    """A dated performance of one of the house's productions in one of its venues, with its seats."""
    production = store.get_production(house_id, body.production_id)
    venue, seatmap = store.get_venue(house_id, body.venue_id)
    sales_end = body.sales_end or body.starts_at
    validate_schedule(body.starts_at, body.sales_start, sales_end)
    tariffs = [Tariff(code=t.code, name=t.name, prices=dict(t.prices)) for t in body.tariffs]
    categories = {STANDING_CATEGORY} if seatmap.is_standing else {c.code for c in seatmap.categories}
    validate_tariffs(tariffs, categories)
    performance = Performance(
        id=body.id or new_id("perf"), house_id=house_id, production_id=production.id, venue_id=body.venue_id,
        starts_at=body.starts_at, sales_start=body.sales_start, sales_end=sales_end,
        status=PerformanceStatus(body.status), tariffs=tuple(tariffs), seated=not seatmap.is_standing,
        capacity=seatmap.capacity, title=production.title, venue_name=venue.name, genre=production.genre,
        standing_shards=body.standing_shards if seatmap.is_standing else 1)
    store.create_performance(performance, seatmap)
    return performance


def change_performance(house_id: str, performance_id: str, body) -> Performance:
    """Change status or sales window of the house's own performance."""
    current = store.get_house_performance(house_id, performance_id)
    validate_schedule(current.starts_at, body.sales_start or current.sales_start, body.sales_end or current.sales_end)
    return store.update_performance(
        house_id, performance_id, status=PerformanceStatus(body.status) if body.status else None,
        sales_start=body.sales_start, sales_end=body.sales_end, expected_version=body.version)
