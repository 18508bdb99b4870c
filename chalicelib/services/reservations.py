"""Reservation services: the use cases behind the hold routes and the sweeper."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from .. import ports
from ..domain.allocations import Seller, SellingPool
from ..domain.best_available import choose_best_available
from ..domain.catalog import Performance
from ..domain.errors import FieldError, NotEnoughSeats, SeatsUnavailable, SoldOut, ValidationFailed
from ..domain.holds import Hold, HoldStatus, check_quantity, hold_expiry, session_hash
from ..domain.seatmap import SeatMap
from ..domain.waiting_room import Admission
from ..observability import count, logger
from ..settings import get_settings
from ..store import catalog, reservations
from ..store.cache import TtlCache
from . import allocations, availability, waiting_room

# Best-available re-reads and retries when someone takes "its" seats in between.
BEST_AVAILABLE_ATTEMPTS = 3
# Sales status as holds see it may be this old: pausing or cancelling takes effect within a second.
PERFORMANCE_CACHE_SECONDS = 1.0
# How old the free-seat snapshot may be when a best-available buyer chooses again after a lost race.
RETRY_SNAPSHOT_SECONDS = 0.25
# Standing counters re-read after lost races; each round costs reads only until a claim is tried.
STANDING_ATTEMPTS = 8

# Makes the request's hold from its places: seat_ids=…, or quantity=… and shards=… (standing).
MakeHold = Callable[..., Hold]


@dataclass(frozen=True)
class HoldRequest:
    """What a buyer asks for: specific seats, the best N seats, or N standing places."""

    seat_ids: tuple[str, ...] = ()
    best_available: int = 0
    wheelchair: int = 0
    category: str | None = None
    standing: int = 0
    kind: str = ""  # "seats", "best_available" or "standing" as asked (a count of 0 must still be refused as such)

    @property
    def asked_for(self) -> str:
        """Which of the three the buyer asked for: its errors name that field."""
        if self.kind:
            return self.kind
        return "standing" if self.standing else "best_available" if self.best_available else "seats"


def new_hold_id() -> str:
    return ports.ids().hold_id()


def create_hold(
    performance_id: str,
    session_token: str,
    request: HoldRequest,
    now: datetime,
    admission_token: str | None = None,
    staff: bool = False,
    seller: Seller | None = None,
) -> Hold:
    """Claim places for a buyer session, all or nothing; raises a DomainError saying why not.

    While the performance's waiting room is on, a buyer's hold spends a valid admission from the
    line (`admission_token`); the house's own box office (`staff`) is not queued. Seats are taken
    only from what the `seller` (a house's desk or hosted link; anyone on the web by default) may
    sell: see domain/allocations.py."""
    performance = cached_performance(performance_id)
    performance.check_on_sale(now)
    admission = None if staff else waiting_room.admission_for_hold(performance, session_token, admission_token, now)
    settings = get_settings()
    logger.thread_safe_append_keys(performance_id=performance_id)

    def make_hold(seat_ids: tuple[str, ...] = (), quantity: int = 0, shards: Iterable[tuple[int, int]] = ()) -> Hold:
        return Hold(
            id=new_hold_id(),
            performance_id=performance.id,
            house_id=performance.house_id,
            session_hash=session_hash(session_token),
            seat_ids=seat_ids,
            quantity=quantity or len(seat_ids),
            created_at=now,
            expires_at=hold_expiry(now, settings.hold_ttl_seconds),
            status=HoldStatus.ACTIVE,
            standing_shards=tuple(shards),
        )

    try:
        if request.asked_for == "standing":
            hold = _hold_standing(performance, request, make_hold, now, admission, seller)
        elif request.asked_for == "best_available":
            hold = _hold_best_available(performance, request, make_hold, now, admission, seller)
        else:
            hold = _hold_specific(performance, request, make_hold, now, admission, seller)
    except (SeatsUnavailable, SoldOut, NotEnoughSeats) as refusal:
        count("HoldConflicts")
        logger.info("hold refused", extra={"code": refusal.code})
        if isinstance(refusal, SeatsUnavailable):
            availability.note_taken(performance.id, refusal.taken)
        raise
    availability.note_taken(performance.id, hold.seat_ids)
    count("HoldsCreated")
    count("PlacesHeld", hold.quantity)
    logger.info("hold created", extra={"hold_id": hold.id, "places": hold.quantity})
    return hold


def cached_performance(performance_id: str) -> Performance:
    """The performance as the hot paths see it: at most PERFORMANCE_CACHE_SECONDS old (NotFound if none)."""
    return _performances.get(performance_id, lambda: catalog.get_performance(performance_id))


def _require_seated(performance: Performance, seated: bool, field: str) -> None:
    if performance.seated != seated:
        what = "seats" if performance.seated else "standing places"
        raise ValidationFailed(
            f"This performance sells {what}.",
            [FieldError(field, "wrong_kind_of_place", f"This performance sells {what}.")],
        )


def _hold_specific(
    performance: Performance,
    request: HoldRequest,
    make_hold: MakeHold,
    now: datetime,
    admission: Admission | None = None,
    seller: Seller | None = None,
) -> Hold:
    _require_seated(performance, True, "seats")
    seat_ids = request.seat_ids
    check_quantity(len(seat_ids), get_settings().max_seats_per_hold, "seats")
    seatmap = catalog.get_performance_seatmap(performance.id)
    errors = []
    seen: set[str] = set()
    for index, seat_id in enumerate(seat_ids):
        if seat_id in seen:
            errors.append(FieldError(f"seats[{index}]", "duplicate_seat", f"Seat {seat_id} is asked for twice."))
        elif seatmap.seat(seat_id) is None:
            errors.append(FieldError(f"seats[{index}]", "unknown_seat", f"This hall has no seat {seat_id}."))
        seen.add(seat_id)
    if errors:
        raise ValidationFailed("Some seats are not valid.", errors)
    hold = make_hold(seat_ids=tuple(seat_ids))
    try:
        reservations.claim_seats(hold, now, admission, allocations.selling_pool_for(performance, seller, now))
    except SeatsUnavailable as conflict:
        free_seats.discard(performance.id, conflict.taken)  # best-available buyers here need not find out again
        raise
    return hold


def _hold_best_available(
    performance: Performance,
    request: HoldRequest,
    make_hold: MakeHold,
    now: datetime,
    admission: Admission | None = None,
    seller: Seller | None = None,
) -> Hold:
    _require_seated(performance, True, "best_available")
    check_quantity(request.best_available, get_settings().max_seats_per_hold, "best_available.count")
    seatmap = catalog.get_performance_seatmap(performance.id)
    if request.category is not None and request.category not in {c.code for c in seatmap.categories}:
        raise ValidationFailed(
            "Unknown price category.",
            [FieldError("best_available.category", "unknown_category", f"No category {request.category}.")],
        )
    pool = allocations.selling_pool_for(performance, seller, now)
    if pool.allocation_ids or not pool.general:
        return _hold_best_in_pool(performance, request, make_hold, now, admission, seatmap, pool)
    lost: set[str] = set()
    for attempt in range(BEST_AVAILABLE_ATTEMPTS):
        # The first choice may start from a snapshot up to a second old: the conditional claim is
        # what guarantees correctness, a stale pick only costs a retry. A retry takes a snapshot at
        # most RETRY_SNAPSHOT_SECONDS old: in a burst every lost race reading the whole hall again
        # would multiply reads of the performance's one partition (every seat item, read units by the
        # hall's size) and add a Query to each retry's latency, while the seats lost are already struck
        # from the shared snapshot.
        with free_seats.choosing(performance.id, now, max_age=RETRY_SNAPSHOT_SECONDS if attempt else None) as free:
            seat_ids = choose_best_available(
                seatmap, free - lost, request.best_available, wheelchair=request.wheelchair, category=request.category
            )
            free.difference_update(seat_ids)  # concurrent buyers of this process now pick other seats
        hold = make_hold(seat_ids=tuple(seat_ids))
        try:
            reservations.claim_seats(hold, now, admission)
            return hold
        except SeatsUnavailable as conflict:
            lost.update(conflict.taken)  # a racer won these; choose again without them
            free_seats.discard(performance.id, conflict.taken)  # and nobody else in this process picks them
    raise SeatsUnavailable("Seats keep being taken by other buyers; please try again.", taken=sorted(lost))


def _hold_best_in_pool(
    performance: Performance,
    request: HoldRequest,
    make_hold: MakeHold,
    now: datetime,
    admission: Admission | None,
    seatmap: SeatMap,
    pool: SellingPool,
) -> Hold:
    """Best available among the seats of a seller's allocations (and the general sale, if it may sell from it).

    Read fresh each attempt: allocations are sold by few sellers, so the shared snapshot buys nothing here."""
    lost: set[str] = set()
    for _ in range(BEST_AVAILABLE_ATTEMPTS):
        free = {
            seat_id for seat_id, seat in reservations.seat_states(performance.id, now).items() if seat.admitted_by(pool)
        }
        seat_ids = choose_best_available(
            seatmap, free - lost, request.best_available, wheelchair=request.wheelchair, category=request.category
        )
        hold = make_hold(seat_ids=tuple(seat_ids))
        try:
            reservations.claim_seats(hold, now, admission, pool)
            return hold
        except SeatsUnavailable as conflict:
            lost.update(conflict.taken)
    raise SeatsUnavailable("Seats keep being taken by other buyers; please try again.", taken=sorted(lost))


class FreeSeatSnapshots:
    """Per-process snapshot of each performance's free seats, refreshed after `max_age` seconds.

    Reading a 1,000-seat partition per best-available request, and concurrent buyers all
    picking the same best block from it, were the first bottleneck of the hold benchmark.
    Buyers of one process now share one read per second and pick one after another from it,
    each removing its pick before claiming, so they do not collide with each other.
    """

    def __init__(self, max_age: float = 1.0) -> None:
        self.max_age = max_age
        self._snapshots: dict[str, tuple[float, set[str]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def choosing(self, performance_id: str, now: datetime, max_age: float | None = None) -> Iterator[set[str]]:
        """Yield the performance's free seats, alone: the caller removes what it picks."""
        with self._guard:
            lock = self._locks.setdefault(performance_id, threading.Lock())
        with lock:
            cached = self._snapshots.get(performance_id)
            if not cached or time.monotonic() - cached[0] >= (self.max_age if max_age is None else max_age):
                states = reservations.seat_states(performance_id, now)
                # Seats set aside for a house or channel are not the general buyer's to pick.
                cached = (
                    time.monotonic(),
                    {seat_id for seat_id, seat in states.items() if seat.state == "free" and seat.pool() is None},
                )
                self._snapshots[performance_id] = cached
            yield cached[1]

    def discard(self, performance_id: str, seat_ids: Iterable[str]) -> None:
        """Strike seats known to be taken from the snapshot.

        Without the performance's lock: waiting behind a snapshot being read cost a request slot for
        the length of a hall's Query. `set.difference_update` runs under the GIL in one step."""
        cached = self._snapshots.get(performance_id)
        if cached:
            cached[1].difference_update(seat_ids)


free_seats = FreeSeatSnapshots()  # shared with group holds (bundles, subscriptions) of this process
_performances: TtlCache[Performance] = TtlCache(PERFORMANCE_CACHE_SECONDS)


def _hold_standing(
    performance: Performance,
    request: HoldRequest,
    make_hold: MakeHold,
    now: datetime,
    admission: Admission | None = None,
    seller: Seller | None = None,
) -> Hold:
    _require_seated(performance, False, "standing")
    places = request.standing
    check_quantity(places, get_settings().max_seats_per_hold, "standing.count")
    reclaimed = False
    for _ in range(STANDING_ATTEMPTS):
        general, counters = allocations.standing_counters(performance, seller, now)
        remaining = reservations.standing_remaining(performance.id, performance.standing_shards) if general else {}
        remaining.update(counters)  # the seller's standing allocations, each its own counter
        if sum(remaining.values()) < places:
            # Sold out as far as live holds go; expired holds (and lapsed standing allocations) may still keep
            # places the sweeper has not given back.
            if reclaimed or not any(
                [
                    reclaim_expired(performance.id, now),
                    general and allocations.return_lapsed_standing(performance.id, now),
                ]
            ):
                raise SoldOut("No standing places left for this many people.", requested=places)
            reclaimed = True
            continue
        for takes in standing_plans(remaining, places):
            hold = make_hold(quantity=places, shards=takes)
            if reservations.claim_standing(hold, takes, now, admission):
                return hold
        # Every plan lost a race to other buyers: read the counters again.
    raise SeatsUnavailable("Places are being taken very fast right now; please try again.")


def standing_plans(remaining: dict[int, int], places: int) -> Iterator[list[tuple[int, int]]]:
    """Ways to take `places`: one shard that has enough (random order spreads hot sales), else several."""
    shards = [shard for shard, left in remaining.items() if left >= places]
    random.shuffle(shards)
    for shard in shards:
        yield [(shard, places)]
    takes: list[tuple[int, int]] = []
    needed = places
    for shard in sorted(remaining, key=lambda s: -remaining[s]):
        take = min(needed, remaining[shard])
        if take:
            takes.append((shard, take))
            needed -= take
    if not needed and len(takes) > 1:
        yield takes


def reclaim_expired(performance_id: str, now: datetime) -> bool:
    """Give back places of expired holds right away instead of waiting for the sweeper."""
    return any([reservations.expire_hold(hold, now) for hold in reservations.expired_holds(performance_id, now)])


def get_hold(hold_id: str, session_token: str) -> Hold:
    """The buyer's own hold; another session's hold is NotFound."""
    hold = reservations.get_hold(hold_id)
    hold.check_owner(session_hash(session_token))
    return hold


def release_hold(hold_id: str, session_token: str, now: datetime) -> Hold:
    """The buyer gives the places back before checking out."""
    hold = get_hold(hold_id, session_token)
    hold.check_live(now)
    released = [hold]
    if hold.in_bundle:  # a bundle's places go back together, in every performance
        released += [reservations.get_hold(other) for other in hold.bundle_hold_ids if other != hold.id]
        reservations.release_bundle_holds(released, now)
    else:
        reservations.release_hold(hold, now)
    for performance_id in {each.performance_id for each in released}:
        availability.forget(performance_id)
    count("HoldsReleased")
    logger.info("hold released", extra={"hold_id": hold.id})
    return hold


def sweep_expired_holds(now: datetime) -> int:
    """Release every expired hold of every performance still to come; returns how many."""
    released = 0
    for performance in catalog.list_agenda():
        for hold in reservations.expired_holds(performance.id, now):
            if reservations.expire_hold(hold, now):
                released += 1
    if released:
        count("HoldsExpired", released)
    logger.info("expired holds swept", extra={"released": released})
    return released
