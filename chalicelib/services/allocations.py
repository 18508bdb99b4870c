"""Allocation use cases: the owner sets seats aside, changes or releases them; sellers learn their pool;
owner, holder and coordinator read the distribution; the sweeper records what lapsed allocations returned."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import ports
from ..domain.allocations import (
    ALLOCATION_COUNTER_BASE,
    Allocation,
    AllocationCounts,
    Seller,
    SellingPool,
    count_allocation,
    count_standing,
    selling_pool,
    sells_for_another_house,
    validate_allocation,
    validate_deadline,
    validate_seats,
)
from ..domain.catalog import Performance
from ..domain.errors import Conflict, FieldError, NotFound, SoldOut, ValidationFailed
from ..observability import count, logger
from ..store import allocations as store
from ..store import catalog, reservations
from ..store.cache import TtlCache

# Standing counters re-read after a lost race when setting places aside.
STANDING_ATTEMPTS = 5
# Standing buyers find their channel's allocations (and lapsed ones to give back) in a list at most this old:
# the counters' conditions, not this list, keep others' places.
POOL_CACHE_SECONDS = 1.0
_pools: TtlCache[list[Allocation]] = TtlCache(POOL_CACHE_SECONDS)


def new_allocation_id() -> str:
    return ports.ids().allocation_id()


def _require_kind(performance: Performance, seat_ids: tuple[str, ...], places: int) -> None:
    if performance.seated and (places or not seat_ids):
        raise ValidationFailed(
            "This performance sells seats: set seats aside.",
            [FieldError("seats", "wrong_kind_of_place", "Name the seats to set aside.")],
        )
    if not performance.seated and (seat_ids or not places):
        raise ValidationFailed(
            "This performance sells standing places: set a number of places aside.",
            [FieldError("places", "wrong_kind_of_place", "Give the number of standing places.")],
        )


def create(
    owner_house_id: str,
    performance_id: str,
    holder_house_id: str | None,
    channel: str | None,
    seat_ids: tuple[str, ...],
    returns_at: datetime,
    now: datetime,
    places: int = 0,
) -> Allocation:
    """Set seats (or standing places) of the owner's performance aside for another house or a channel
    until `returns_at`."""
    performance = catalog.get_house_performance(owner_house_id, performance_id)
    _require_kind(performance, seat_ids, places)
    seat_exists = None
    if performance.seated:
        seatmap = catalog.get_performance_seatmap(performance_id)
        seat_exists = lambda seat_id: seatmap.seat(seat_id) is not None  # noqa: E731
    allocation = Allocation(
        new_allocation_id(),
        performance_id,
        owner_house_id,
        holder_house_id,
        channel,
        tuple(seat_ids),
        returns_at,
        now,
        places=places,
        counter=None if performance.seated else ALLOCATION_COUNTER_BASE + secrets.randbelow(10**9),
    )
    validate_allocation(
        allocation, performance.starts_at, {house.id for house in catalog.list_houses()}, seat_exists, now
    )
    if performance.seated:
        store.create_allocation(allocation, now)
    else:
        _create_standing(performance, allocation)
    count("AllocationsCreated")
    logger.info("allocation created", extra={"allocation_id": allocation.id, "places": allocation.size})
    return allocation


def _create_standing(performance: Performance, allocation: Allocation) -> None:
    """Take the places from the general shards (largest first), re-reading them after a lost race."""
    for _ in range(STANDING_ATTEMPTS):
        remaining = reservations.standing_remaining(performance.id, performance.standing_shards)
        if sum(remaining.values()) < allocation.places:
            raise SoldOut("Not this many standing places are free.", requested=allocation.places)
        takes, needed = [], allocation.places
        for shard in sorted(remaining, key=lambda s: -remaining[s]):
            take = min(needed, remaining[shard])
            if take:
                takes.append((shard, take))
                needed -= take
        if store.create_standing_allocation(allocation, takes):
            return
    raise Conflict("Standing places are being taken very fast right now; please try again.")


def own_performance(owner_house_id: str, performance_id: str) -> Performance:
    """The caller's own performance; another house's is NotFound."""
    return catalog.get_house_performance(owner_house_id, performance_id)


def own_allocation(owner_house_id: str, performance_id: str, allocation_id: str) -> Allocation:
    """An allocation of the caller's own performance, or NotFound."""
    own_performance(owner_house_id, performance_id)
    return store.get_allocation(performance_id, allocation_id)


def held_by(house_id: str) -> list[Allocation]:
    return store.allocations_held_by(house_id)


def change(
    owner_house_id: str,
    performance_id: str,
    allocation_id: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    returns_at: datetime | None,
    now: datetime,
) -> Allocation:
    """Add seats, give free seats back or move the deadline of a live allocation."""
    before = own_allocation(owner_house_id, performance_id, allocation_id)
    if not before.is_live(now):
        raise Conflict("This allocation has lapsed; its seats are back on general sale.", allocation_id=allocation_id)
    performance = catalog.get_performance(performance_id)
    if before.counter is not None:
        return _change_standing(performance, before, add, remove, returns_at, now)
    seatmap = catalog.get_performance_seatmap(performance_id)
    seat_ids = tuple(s for s in before.seat_ids if s not in remove) + tuple(s for s in add if s not in before.seat_ids)
    errors = validate_seats(seat_ids, lambda seat_id: seatmap.seat(seat_id) is not None)
    errors += [
        FieldError(f"remove[{i}]", "not_allocated", f"Seat {s} is not in this allocation.")
        for i, s in enumerate(remove)
        if s not in before.seat_ids
    ]
    if returns_at is not None:
        errors += validate_deadline(returns_at, performance.starts_at, now)
    if errors:
        raise ValidationFailed("This change is not valid.", errors)
    after = replace(before, seat_ids=seat_ids, returns_at=returns_at or before.returns_at)
    store.change_allocation(before, after, now)
    return after


def _change_standing(
    performance: Performance,
    before: Allocation,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    returns_at: datetime | None,
    now: datetime,
) -> Allocation:
    errors = [
        FieldError(field, "wrong_kind_of_place", "A standing allocation changes its deadline only.")
        for field, value in (("add", add), ("remove", remove))
        if value
    ]
    if returns_at is not None:
        errors += validate_deadline(returns_at, performance.starts_at, now)
    if errors:
        raise ValidationFailed("This change is not valid.", errors)
    if returns_at is None:
        return before
    store.move_standing_deadline(before, returns_at, now)
    return replace(before, returns_at=returns_at)


def release(owner_house_id: str, performance_id: str, allocation_id: str, now: datetime) -> Allocation:
    """Return the allocation's unsold, unheld seats (or standing places) to the general sale now."""
    allocation = own_allocation(owner_house_id, performance_id, allocation_id)
    if allocation.counter is not None:
        store.return_standing(allocation, now, release=True)
    else:
        store.release_allocation(allocation, now)
    count("AllocationsReleased")
    return allocation.released_at(now)


def selling_pool_for(performance: Performance, seller: Seller | None, now: datetime) -> SellingPool:
    """The seats `seller` may take on `performance`. Only another house's pool needs the allocations, read
    fresh (it must never be given the general pool while it has one); the general buyer's costs no read."""
    seller = seller or Seller(None, "web")
    if not sells_for_another_house(seller, performance.house_id):
        return SellingPool(True, (), seller.channel)
    return selling_pool(store.allocations_of(performance.id), seller, performance.house_id, now)


def standing_counters(performance: Performance, seller: Seller | None, now: datetime) -> tuple[bool, dict[int, int]]:
    """Whether `seller` takes standing places from the general shards, and the places left in each counter of
    the standing allocations it sells from."""
    pool = selling_pool_for(performance, seller, now)
    allocations = store.allocations_of(performance.id) if pool.allocation_ids else _recent_allocations(performance.id)
    counters = [
        a.counter
        for a in allocations
        if a.counter is not None
        and a.is_live(now)
        and (a.id in pool.allocation_ids or (pool.channel and a.channel == pool.channel))
    ]
    return pool.general, store.counters_remaining(performance.id, counters) if counters else {}


def _recent_allocations(performance_id: str) -> list[Allocation]:
    """A performance's allocations as at most POOL_CACHE_SECONDS ago (most performances have none: one read a
    second)."""
    return _pools.get(performance_id, lambda: store.allocations_of(performance_id))


def return_lapsed_standing(performance_id: str, now: datetime) -> int:
    """Move what lapsed standing allocations of a performance still have back to the general sale; how many.

    Sold-out answers call this: it reads the second-old list, so without standing allocations it costs nothing."""
    return sum(
        store.return_standing(a, now)
        for a in _recent_allocations(performance_id)
        if a.counter is not None and not a.is_live(now)
    )


def _marks(states: dict[str, Any]) -> dict[str, Any]:
    """seat id → (state, allocation id, claimed before its deadline): what a seated allocation's counts are made of."""
    return {seat_id: (seat.state, seat.allocation_id, seat.claimed_in_allocation) for seat_id, seat in states.items()}


def distribution(performance_id: str, house_id: str | None, coordinator: bool, now: datetime) -> dict[str, Any]:
    """Per allocation its counts and deadline, as the caller may see them, plus the performance's totals.

    The owner and the coordinator see every allocation; another house only those it holds (NotFound if none)."""
    performance = catalog.get_performance(performance_id)
    allocations = [
        a
        for a in store.allocations_of(performance_id)
        if a.visible_to(house_id, coordinator or house_id == performance.house_id)
    ]
    if not allocations and not coordinator and house_id != performance.house_id:
        raise NotFound("No such performance.", performance_id=performance_id)
    if performance.seated:
        states = reservations.seat_states(performance_id, now)
        totals = _seated_totals(performance, states)
    else:
        states, totals = {}, _standing_totals(performance, allocations, now)
    marks = _marks(states)
    return {
        "performance_id": performance_id,
        "owner_house_id": performance.house_id,
        "totals": totals,
        "allocations": [(a, _counts(a, marks, now)) for a in allocations],
    }


def _seated_totals(performance: Performance, states: dict[str, Any]) -> dict[str, Any]:
    totals = {"capacity": performance.capacity, "sold": 0, "held": 0, "free": 0, "allocated": 0}
    for seat in states.values():
        if seat.state in ("sold", "held"):
            totals[seat.state] += 1
        elif seat.state == "free":
            totals["allocated" if seat.pool() else "free"] += 1  # `free`: for the general sale
    return totals


def _standing_totals(performance: Performance, allocations: list[Allocation], now: datetime) -> dict[str, Any]:
    live = [a.counter for a in allocations if a.counter is not None and a.is_live(now)]
    return {
        "capacity": performance.capacity,
        "free": sum(reservations.standing_remaining(performance.id, performance.standing_shards).values()),
        "allocated": sum(store.counters_remaining(performance.id, live).values()) if live else 0,
    }


def _counts(allocation: Allocation, marks: dict[str, Any], now: datetime) -> AllocationCounts:
    if allocation.counter is None:
        return count_allocation(allocation, marks, now)
    return count_standing(allocation, store.counter_remaining(allocation), store.places_held_from(allocation, now), now)


def sweep_lapsed(now: datetime) -> int:
    """Record, once, how many seats each allocation that lapsed gave back to the general sale; returns how many
    allocations were recorded. The seats themselves went back at the deadline already (the claim condition)."""
    recorded = 0
    for performance in catalog.list_agenda():
        if not performance.seated:
            recorded += bool(return_lapsed_standing(performance.id, now))
            continue
        lapsed = [a for a in store.allocations_of(performance.id) if not a.is_live(now) and a.returned is None]
        if not lapsed:
            continue
        marks = _marks(reservations.seat_states(performance.id, now))
        for allocation in lapsed:
            returned = count_allocation(allocation, marks, now).returned
            if store.record_returned(allocation, returned):
                recorded += 1
                count("AllocationSeatsReturned", returned)
                logger.info("allocation returned", extra={"allocation_id": allocation.id, "returned": returned})
    return recorded
