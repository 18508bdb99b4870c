"""Holding places in several performances at once, as one group that lives and dies together: a bundle's
places, a subscription's chosen performances (or the one place that replaces a choice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.best_available import choose_best_available
from ..domain.catalog import Performance
from ..domain.errors import FieldError, NotEnoughSeats, SeatsUnavailable, SoldOut, ValidationFailed
from ..domain.holds import Hold, HoldStatus, hold_expiry, session_hash
from ..domain.waiting_room import WaitingRoomOn
from ..observability import count
from ..settings import get_settings
from ..store import catalog, reservations
from .reservations import (
    BEST_AVAILABLE_ATTEMPTS,
    RETRY_SNAPSHOT_SECONDS,
    free_seats,
    new_hold_id,
    reclaim_expired,
    standing_plans,
)


@dataclass(frozen=True)
class PlaceChoice:
    """How the buyer wants the places of one performance: specific seats, best available, or standing."""

    seat_ids: tuple[str, ...] = ()
    category: str | None = None
    wheelchair: int = 0


def claim_together(
    group_of: str,
    kind: str,
    quantity: int,
    performances: dict[str, Performance],
    places: dict[str, int],
    choices: dict[str, PlaceChoice],
    session_token: str,
    now: datetime,
) -> list[Hold]:
    """Hold `places[p]` places in every performance `p` in ONE transaction, so all are held or none; the holds
    form one group (`bundle_id` = `group_of`, `bundle_kind` = `kind`) that lives and dies together.

    Best-available performances are picked afresh after a lost race (up to 3 more tries), standing shards re-read;
    specific seats someone else has end it with SeatsUnavailable naming them.
    """
    rushed = sorted(p for p, performance in performances.items() if performance.waiting_room is not None)
    if rushed:  # the line is the only way in: a group hold spends no admission
        raise WaitingRoomOn(
            "A performance of this group sells through its waiting room now; the group is on "
            "sale again when the room is switched off.",
            performances=rushed,
            queue=f"/performances/{rushed[0]}/queue",
        )
    seatmaps = {}
    errors: list[FieldError] = []
    for performance_id, performance in performances.items():
        choice = choices.get(performance_id, PlaceChoice())
        field = f"performances.{performance_id}"
        if not performance.seated:
            if choice.seat_ids or choice.category or choice.wheelchair:
                errors.append(FieldError(field, "wrong_kind_of_place", "This performance sells standing places."))
            continue
        seatmaps[performance_id] = seatmap = catalog.get_performance_seatmap(performance_id)
        if choice.seat_ids:
            if len(choice.seat_ids) != places[performance_id]:
                errors.append(
                    FieldError(f"{field}.seats", "wrong_count", f"Choose exactly {places[performance_id]} seats here.")
                )
            if len(set(choice.seat_ids)) != len(choice.seat_ids):
                errors.append(FieldError(f"{field}.seats", "duplicate_seat", "A seat is asked for twice."))
            errors.extend(
                FieldError(f"{field}.seats", "unknown_seat", f"This hall has no seat {seat_id}.")
                for seat_id in choice.seat_ids
                if seatmap.seat(seat_id) is None
            )
        elif choice.category is not None and choice.category not in {c.code for c in seatmap.categories}:
            errors.append(FieldError(f"{field}.category", "unknown_category", f"No category {choice.category}."))
    if errors:
        raise ValidationFailed("Some choices are not valid.", errors)

    expires = hold_expiry(now, get_settings().hold_ttl_seconds)
    hold_ids = {performance_id: new_hold_id() for performance_id in performances}
    lost: dict[str, set[str]] = {performance_id: set() for performance_id in performances}
    reclaimed: set[str] = set()
    for attempt in range(BEST_AVAILABLE_ATTEMPTS + 1):
        claims = []
        for performance_id, performance in performances.items():
            choice = choices.get(performance_id, PlaceChoice())
            wanted = places[performance_id]
            seat_ids: tuple[str, ...] = ()
            shards: list[tuple[int, int]] = []
            if not performance.seated:
                shards = _standing_take(performance, wanted, now, reclaimed)
            elif choice.seat_ids:
                seat_ids = choice.seat_ids
            else:
                max_age = RETRY_SNAPSHOT_SECONDS if attempt else None
                with free_seats.choosing(performance_id, now, max_age=max_age) as free:
                    try:
                        seat_ids = tuple(
                            choose_best_available(
                                seatmaps[performance_id],
                                free - lost[performance_id],
                                wanted,
                                wheelchair=choice.wheelchair,
                                category=choice.category,
                            )
                        )
                    except NotEnoughSeats as error:
                        error.context["performance_id"] = performance_id
                        raise
                    free.difference_update(seat_ids)
            claims.append(
                (
                    Hold(
                        id=hold_ids[performance_id],
                        performance_id=performance_id,
                        house_id=performance.house_id,
                        session_hash=session_hash(session_token),
                        seat_ids=seat_ids,
                        quantity=len(seat_ids) or wanted,
                        created_at=now,
                        expires_at=expires,
                        status=HoldStatus.ACTIVE,
                        standing_shards=tuple(shards),
                        bundle_id=group_of,
                        bundle_hold_ids=tuple(hold_ids.values()),
                        bundle_quantity=quantity,
                        bundle_kind=kind,
                    ),
                    shards,
                )
            )
        outcome = reservations.claim_bundle(claims, now)
        if outcome is None:
            holds = [hold for hold, _ in claims]
            count("HoldsCreated")  # the checkout funnel counts a bundle purchase as one hold
            count("PlacesHeld", sum(hold.quantity for hold in holds))
            return holds
        for performance_id, seats in outcome.taken.items():
            if choices.get(performance_id, PlaceChoice()).seat_ids:
                count("HoldConflicts")
                raise SeatsUnavailable(
                    "Some of these seats were just taken by someone else.", taken=seats, performance_id=performance_id
                )
            lost[performance_id].update(seats)  # a racer won these; choose again without them
    count("HoldConflicts")
    raise SeatsUnavailable("Places keep being taken by other buyers; please try again.", taken=[])


def _standing_take(performance: Performance, wanted: int, now: datetime, reclaimed: set[str]) -> list[tuple[int, int]]:
    """A plan of standing shards with enough places (read now), or SoldOut; a sold-out answer writes nothing
    unless expired holds can be given back first."""
    for _ in range(2):
        remaining = reservations.standing_remaining(performance.id, performance.standing_shards)
        if sum(remaining.values()) >= wanted:
            return next(iter(standing_plans(remaining, wanted)))
        if performance.id in reclaimed or not reclaim_expired(performance.id, now):
            break
        reclaimed.add(performance.id)
    count("HoldConflicts")
    raise SoldOut("No standing places left for this many people.", requested=wanted, performance_id=performance.id)
