"""What buyers see: availability summaries and live seat maps."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from ..domain.catalog import Performance
from ..store import catalog, reservations
from .cache import TtlCache

# The agenda summarises many performances; a few seconds' staleness is fine for counts there.
# Seat maps (where a buyer picks seats) are always read live.
AGENDA_CACHE_SECONDS = 3.0
FEW_LEFT_SHARE = 0.1

_summaries: TtlCache[dict] = TtlCache(AGENDA_CACHE_SECONDS)


def summary(performance: Performance, now: datetime) -> dict:
    """Capacity, available, held and sold places, and a traffic-light status for one performance."""
    if performance.seated:
        states = reservations.seat_states(performance.id, now).values()
        return _seated_summary(performance, (public_state(seat) for seat in states), now)
    remaining = sum(reservations.standing_remaining(performance.id, performance.standing_shards).values())
    available = remaining + reservations.standing_expired_places(performance.id, now)
    # Standing holds and sales are told apart once orders exist; until then all taken places count as held.
    return _summary(performance, available, performance.capacity - available, 0, now)


def public_state(seat: reservations.SeatState) -> str:
    """A free seat set aside for another house or a channel other than the web is `allocated`: not the web
    buyer's to take."""
    if seat.state == "free" and seat.pool() is not None and seat.allocation_channel != "web":
        return "allocated"
    return seat.state


def _seated_summary(performance: Performance, states, now: datetime) -> dict:
    counts = Counter(states)
    return _summary(performance, counts["free"], counts["held"], counts["sold"], now)


def _summary(performance: Performance, available: int, held: int, sold: int, now: datetime) -> dict:
    return {"capacity": performance.capacity, "available": available, "held": held, "sold": sold,
            "level": level(available, performance.capacity, performance.is_on_sale(now))}


def level(available: int, capacity: int, on_sale: bool) -> str:
    if not on_sale:
        return "not_on_sale"
    if available <= 0:
        return "sold_out"
    if available <= max(1, int(capacity * FEW_LEFT_SHARE)):
        return "few_left"
    return "available"


def cached_summary(performance: Performance, now: datetime) -> dict:
    """The summary as the agenda shows it: at most a few seconds old."""
    return _summaries.get(performance.id, lambda: summary(performance, now))


def seat_map_view(performance: Performance, now: datetime) -> dict:
    """The performance's seat map with each seat's live state (expired holds shown free)."""
    seatmap = catalog.get_performance_seatmap(performance.id)
    document = seatmap.to_dict()
    if performance.seated:
        states = reservations.seat_states(performance.id, now)
        for seat in document["seats"]:
            state = states.get(seat["id"])
            seat["state"] = "held" if state is None else public_state(state)
        availability = _seated_summary(performance, (seat["state"] for seat in document["seats"]), now)
    else:
        availability = summary(performance, now)
    return {"performance_id": performance.id, "seatmap": document, "availability": availability}
