"""What buyers see: availability summaries and live seat maps."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..domain.catalog import Performance
from ..store import catalog, orders, reservations
from ..store.cache import TtlCache

# The agenda summarises many performances; a few seconds' staleness is fine for counts there.
AGENDA_CACHE_SECONDS = 3.0
# The performance page draws its seat map from a snapshot of the seats' states at most this old, as
# best-available picks from one (services/reservations.py). In an on-sale thousands of buyers view
# one hall: a fresh Query per view reads ~20 RCU for 1,000 seats, so a partition's 3,000 RCU/s would
# carry ~150 views/s; per process and second it is one read. A stale seat costs the buyer nothing but
# the clear "just taken" answer the conditional claim gives anyway; this process's own holds mark their
# seats taken in it (`note_taken`) and its releases drop it (`forget`), so a buyer sees their own changes.
SEAT_MAP_SNAPSHOT_SECONDS = 1.0
FEW_LEFT_SHARE = 0.1

_summaries: TtlCache[dict[str, Any]] = TtlCache(AGENDA_CACHE_SECONDS)
_seat_snapshots: TtlCache[dict[str, str]] = TtlCache(SEAT_MAP_SNAPSHOT_SECONDS, max_entries=256)


def summary(performance: Performance, now: datetime) -> dict[str, Any]:
    """Capacity, available, held and sold places, and a traffic-light status for one performance."""
    if performance.seated:
        counts = reservations.seat_counts(performance.id, now)
        return _summary(performance, counts["free"], counts["held"], counts["sold"], now)
    remaining = sum(reservations.standing_remaining(performance.id, performance.standing_shards).values())
    available = remaining + reservations.standing_expired_places(performance.id, now)
    # Held: the places of live holds (in a cart, at checkout, awaiting payment, kept at the desk); sold: the places
    # on valid tickets. What neither counts is set aside in allocations (or sold a moment before its tickets).
    held = reservations.live_held_places(performance.id, now)
    return _summary(performance, available, held, orders.sold_places(performance.id), now)


def public_state(seat: reservations.SeatState) -> str:
    """A free seat set aside for another house or a channel other than the web is `allocated`: not the web
    buyer's to take."""
    if seat.state == "free" and seat.pool() is not None and seat.allocation_channel != "web":
        return "allocated"
    return seat.state


def _seated_summary(performance: Performance, states: Iterable[str], now: datetime) -> dict[str, Any]:
    counts = Counter(states)
    return _summary(performance, counts["free"], counts["held"], counts["sold"], now)


def _summary(performance: Performance, available: int, held: int, sold: int, now: datetime) -> dict[str, Any]:
    return {
        "capacity": performance.capacity,
        "available": available,
        "held": held,
        "sold": sold,
        "level": level(available, performance.capacity, performance.is_on_sale(now)),
    }


def level(available: int, capacity: int, on_sale: bool) -> str:
    if not on_sale:
        return "not_on_sale"
    if available <= 0:
        return "sold_out"
    if available <= max(1, int(capacity * FEW_LEFT_SHARE)):
        return "few_left"
    return "available"


def cached_summary(performance: Performance, now: datetime, born: float | None = None) -> dict[str, Any]:
    """The summary as the agenda shows it: at most a few seconds old."""
    return _summaries.get(performance.id, lambda: summary(performance, now), born)


def cached_summaries(performances: Iterable[Performance], now: datetime) -> dict[str, dict[str, Any]]:
    """The summaries of a list (an agenda page), each at most a few seconds old. Those read for one list
    are dated alike, so they go stale together: one view a few seconds later reads them again, rather
    than every view reading the few that were read last."""
    born = time.monotonic()
    return {performance.id: cached_summary(performance, now, born) for performance in performances}


def note_taken(performance_id: str, seat_ids: Iterable[str]) -> None:
    """Seats this process just held, or learnt were taken: shown taken without reading the hall again."""
    snapshot = _seat_snapshots.peek(performance_id)
    if snapshot is not None:
        for seat_id in seat_ids:
            if seat_id in snapshot:  # replacing a value keeps the dict's size: readers may be iterating it
                snapshot[seat_id] = "held"


def forget(performance_id: str) -> None:
    """This process freed seats of the performance: its next page reads them as they are now."""
    _seat_snapshots.discard(performance_id)
    _summaries.discard(performance_id)


def public_seat_states(performance: Performance, now: datetime, snapshot: bool = False) -> dict[str, str]:
    """Each seat's state as buyers see it (free, held, sold, allocated, blocked); from the process's snapshot
    of at most `SEAT_MAP_SNAPSHOT_SECONDS` when `snapshot`, else read now."""

    def read() -> dict[str, str]:
        return {seat_id: public_state(seat) for seat_id, seat in reservations.seat_states(performance.id, now).items()}

    return _seat_snapshots.get(performance.id, read) if snapshot else read()


def seat_map_states(
    performance: Performance, now: datetime, snapshot: bool = False
) -> tuple[dict[str, str], dict[str, Any]]:
    """The states of a performance's seats (empty when it is not seated) and its availability summary."""
    if not performance.seated:
        return {}, summary(performance, now)
    states = public_seat_states(performance, now, snapshot)
    return states, _seated_summary(performance, states.values(), now)


def seat_map_view(performance: Performance, now: datetime) -> dict[str, Any]:
    """The performance's seat map with each seat's live state (expired holds shown free)."""
    document = catalog.get_performance_seatmap(performance.id).to_dict()
    states, availability = seat_map_states(performance, now)
    if performance.seated:
        for seat in document["seats"]:
            seat["state"] = states.get(seat["id"], "held")
    return {"performance_id": performance.id, "seatmap": document, "availability": availability}
