"""Allocations (contingents): seats of house A's performance set aside for house B or for a sales channel.

An allocation holds its seats until its return deadline; from then on its unsold, unheld seats are
A's general sale again without anybody acting (the seat's claim condition treats a lapsed
allocation as the general pool). A seller takes seats only from what it may sell from: a house
with live allocations on another house's performance sells from those alone, without any from the
general pool; the owner's own channels (its desk, the web) sell from the general pool plus the
allocations of their channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .errors import FieldError, ValidationFailed
from .holds import MAX_TRANSACTION_ITEMS

CHANNELS = ("web", "box_office", "partner")
# One transaction writes the allocation record and each of its seats: all or none.
MAX_ALLOCATION_SEATS = MAX_TRANSACTION_ITEMS - 1
# A standing allocation keeps its places in a counter of its own, kept like a standing shard with an index
# from here up, so holds, releases, sales and refunds of its places use the shard code paths unchanged.
ALLOCATION_COUNTER_BASE = 1000


@dataclass(frozen=True)
class Seller:
    """Who sells a hold's places: a house (its desk or its hosted link) or nobody in particular, and the channel."""

    house_id: str | None
    channel: str = "web"


@dataclass(frozen=True)
class Allocation:
    id: str
    performance_id: str
    owner_house_id: str
    holder_house_id: str | None  # the house that sells from it, or None for a channel allocation
    channel: str | None  # the channel that sells from it, or None for a house allocation
    seat_ids: tuple[str, ...]
    returns_at: datetime  # the return deadline (UTC); releasing early moves it to the moment of release
    created_at: datetime
    released: bool = False  # released early by the owner
    returned: int | None = None  # seats given back to the general sale, counted once by the sweeper
    places: int = 0  # standing places set aside (a standing performance), kept in counter `counter`
    counter: int | None = None

    @property
    def size(self) -> int:
        return self.places or len(self.seat_ids)

    def is_live(self, now: datetime) -> bool:
        """Still keeps its seats from everybody else."""
        return now < self.returns_at

    @property
    def holder(self) -> str:
        return f"house:{self.holder_house_id}" if self.holder_house_id else f"channel:{self.channel}"

    def visible_to(self, house_id: str | None, coordinator: bool = False) -> bool:
        """The owner, the holding house and the coordinator see an allocation; nobody else."""
        return coordinator or house_id in (self.owner_house_id, self.holder_house_id)

    def released_at(self, now: datetime) -> Allocation:
        return replace(self, returns_at=min(self.returns_at, now), released=True)


@dataclass(frozen=True)
class SellingPool:
    """What one seller may take seats from: the general pool (or not), these live allocations, and the live
    allocations of its channel (a seat of a channel allocation carries the channel, so no list is needed)."""

    general: bool
    allocation_ids: tuple[str, ...]
    channel: str | None = None

    def admits(self, allocation_id: str | None, channel: str | None = None) -> bool:
        """Whether a free seat (in live allocation `allocation_id` of `channel`; None: the general pool) is this
        seller's to take."""
        if allocation_id is None:
            return self.general
        return allocation_id in self.allocation_ids or (channel is not None and channel == self.channel)


GENERAL_POOL = SellingPool(True, ())


def sells_for_another_house(seller: Seller, owner_house_id: str) -> bool:
    """Only then do the performance's allocations decide the pool (they are read for it)."""
    return bool(seller.house_id) and seller.house_id != owner_house_id


def selling_pool(allocations: list[Allocation], seller: Seller, owner_house_id: str, now: datetime) -> SellingPool:
    """The pool `seller` sells from on a performance of `owner_house_id`, given its allocations."""
    if sells_for_another_house(seller, owner_house_id):
        # channel allocations are the owner's channels': another house's desk or link never sells from them
        own = tuple(a.id for a in allocations if a.is_live(now) and a.holder_house_id == seller.house_id)
        return SellingPool(False, own) if own else GENERAL_POOL
    return SellingPool(True, (), seller.channel)


def validate_allocation(
    allocation: Allocation,
    starts_at: datetime,
    known_houses: set[str],
    seat_exists: Callable[[str], bool] | None,
    now: datetime,
) -> None:
    """Raise ValidationFailed unless the holder, the seats and the deadline make sense."""
    errors: list[FieldError] = []
    if bool(allocation.holder_house_id) == bool(allocation.channel):
        errors.append(FieldError("house_id", "one_holder", "Give either a house or a channel, not both or neither."))
    elif allocation.holder_house_id and (
        allocation.holder_house_id == allocation.owner_house_id or allocation.holder_house_id not in known_houses
    ):
        errors.append(FieldError("house_id", "unknown_house", "Another house of this cluster."))
    elif allocation.channel and allocation.channel not in CHANNELS:
        errors.append(FieldError("channel", "unknown_channel", f"One of {', '.join(CHANNELS)}."))
    if seat_exists is None:  # a standing performance: a number of places
        if allocation.places < 1:
            errors.append(FieldError("places", "out_of_range", "At least one standing place."))
    else:
        errors += validate_seats(allocation.seat_ids, seat_exists)
    errors += validate_deadline(allocation.returns_at, starts_at, now)
    if errors:
        raise ValidationFailed("This allocation is not valid.", errors)


def validate_seats(
    seat_ids: Sequence[str], seat_exists: Callable[[str], bool], field: str = "seats"
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not seat_ids:
        errors.append(FieldError(field, "no_seats", "An allocation sets aside at least one seat."))
    if len(seat_ids) > MAX_ALLOCATION_SEATS:
        errors.append(FieldError(field, "too_many_seats", f"At most {MAX_ALLOCATION_SEATS} seats per allocation."))
    seen: set[str] = set()
    for index, seat_id in enumerate(seat_ids):
        if seat_id in seen:
            errors.append(FieldError(f"{field}[{index}]", "duplicate_seat", f"Seat {seat_id} is named twice."))
        elif not seat_exists(seat_id):
            errors.append(FieldError(f"{field}[{index}]", "unknown_seat", f"This hall has no seat {seat_id}."))
        seen.add(seat_id)
    return errors


def validate_deadline(returns_at: datetime, starts_at: datetime, now: datetime) -> list[FieldError]:
    if not now < returns_at <= starts_at:
        return [FieldError("returns_at", "out_of_range", "After now and no later than the performance starts.")]
    return []


@dataclass(frozen=True)
class AllocationCounts:
    """An allocation's distribution: its size, places held and sold from it, still free, and returned."""

    size: int
    held: int
    sold: int
    free: int
    returned: int

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "held": self.held, "sold": self.sold, "free": self.free, "returned": self.returned}


def count_standing(allocation: Allocation, remaining: int, held: int, now: datetime) -> AllocationCounts:
    """Counts of a standing allocation from its counter's `remaining` and the places its live holds keep.

    Once lapsed, what the counter still has is returned too (the sweeper moves it to the general sale)."""
    returned = (allocation.returned or 0) + (0 if allocation.is_live(now) else remaining)
    free = remaining if allocation.is_live(now) else 0
    return AllocationCounts(allocation.places, held, allocation.places - free - held - returned, free, returned)


def count_allocation(allocation: Allocation, seat_states: dict[str, Any], now: datetime) -> AllocationCounts:
    """Counts from the seats' live states (`seat_id → (state, allocation_id, claimed before its deadline)`): a seat
    the allocation no longer has, or not sold or held from it by the deadline, is returned."""
    held = sold = free = 0
    for seat_id in allocation.seat_ids:
        state, allocation_id, claimed_in_time = seat_states.get(seat_id, ("free", None, False))
        if allocation_id != allocation.id or (state in ("sold", "held") and not claimed_in_time):
            continue
        if state == "sold":
            sold += 1
        elif state == "held":
            held += 1
        elif allocation.is_live(now):
            free += 1
    return AllocationCounts(len(allocation.seat_ids), held, sold, free, len(allocation.seat_ids) - held - sold - free)
