"""Bundle services: creating and listing bundles, and holding a bundle's places in all its performances at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.best_available import choose_best_available
from ..domain.bundles import Bundle, bundles_available, validate_bundle
from ..domain.catalog import Performance, PerformanceStatus
from ..domain.errors import FieldError, HoldTooLarge, NotEnoughSeats, NotFound, SeatsUnavailable, SoldOut, ValidationFailed
from ..domain.holds import MAX_TRANSACTION_ITEMS, Hold, HoldStatus, hold_expiry, session_hash
from ..domain.waiting_room import WaitingRoomOn
from ..observability import count, logger
from ..settings import get_settings
from ..store import bundles as store
from ..store import catalog, reservations
from . import availability
from .reservations import (BEST_AVAILABLE_ATTEMPTS, RETRY_SNAPSHOT_SECONDS, _free_seats, _reclaim_expired,
                           _standing_plans, new_hold_id)

MAX_BUNDLES_PER_HOLD = 10


@dataclass(frozen=True)
class PlaceChoice:
    """How the buyer wants the places of one performance: specific seats, best available, or standing."""

    seat_ids: tuple[str, ...] = ()
    category: str | None = None
    wheelchair: int = 0


def create_bundle(bundle: Bundle) -> Bundle:
    """Validate a bundle against its performances and store it (its id must be new)."""
    performances = {}
    for performance_id in dict.fromkeys(bundle.performance_ids):
        try:
            performances[performance_id] = catalog.get_performance(performance_id)
        except NotFound:
            pass
    store.create_bundle(validate_bundle(bundle, performances))
    logger.info("bundle created", extra={"bundle_id": bundle.id, "performances": len(bundle.components)})
    return bundle


def performances_of(bundle: Bundle) -> dict[str, Performance]:
    return {performance_id: catalog.get_performance(performance_id) for performance_id in bundle.performance_ids}


def availability_of(bundle: Bundle, performances: dict[str, Performance], now: datetime, live: bool) -> dict:
    """Bundles still for sale = the minimum over its performances; `live` reads every performance afresh."""
    summaries = {performance_id: (availability.summary if live else availability.cached_summary)(performance, now)
                 for performance_id, performance in performances.items()}
    on_sale = bundle.is_on_sale(now) and all(p.is_on_sale(now) for p in performances.values())
    available = bundles_available(bundle, {p: s["available"] for p, s in summaries.items()}) if on_sale else 0
    level = "not_on_sale" if not on_sale else "sold_out" if available <= 0 else \
        "few_left" if any(s["level"] == "few_left" for s in summaries.values()) else "available"
    return {"available": available, "level": level,
            "performances": {p: {"available": s["available"], "level": s["level"]} for p, s in summaries.items()}}


def hold_bundle(bundle_id: str, session_token: str, quantity: int, choices: dict[str, PlaceChoice],
                now: datetime) -> list[Hold]:
    """Hold `quantity` bundles: every performance's places in ONE transaction, so all are held or none.

    Best-available performances are picked afresh after a lost race (up to 3 more tries), standing shards re-read;
    specific seats someone else has end it with SeatsUnavailable naming them.
    """
    bundle = store.get_bundle(bundle_id)
    bundle.check_on_sale(now)
    logger.thread_safe_append_keys(bundle_id=bundle_id)
    if not 1 <= quantity <= MAX_BUNDLES_PER_HOLD:
        raise ValidationFailed(f"Hold 1 to {MAX_BUNDLES_PER_HOLD} bundles at once.", [
            FieldError("quantity", "out_of_range", f"Must be 1 to {MAX_BUNDLES_PER_HOLD}.")])
    foreign = sorted(set(choices) - set(bundle.performance_ids))
    if foreign:
        raise ValidationFailed("These performances are not in the bundle.", [
            FieldError(f"performances.{p}", "not_in_bundle", "This performance is not in the bundle.") for p in foreign])
    performances = performances_of(bundle)
    places = {c.performance_id: c.places * quantity for c in bundle.components}
    limit = get_settings().max_seats_per_hold  # the cluster's cap on places per hold holds per performance too
    if max(places.values()) > limit:
        raise ValidationFailed(f"At most {limit} places per performance in one hold.", [
            FieldError("quantity", "out_of_range", f"At most {limit // max(c.places for c in bundle.components)} "
                                                   "bundles at once.")], limit=limit)
    if sum(places.values()) + len(places) > MAX_TRANSACTION_ITEMS:
        raise HoldTooLarge(f"This many bundles do not fit one all-or-nothing transaction ({MAX_TRANSACTION_ITEMS} "
                           "items); hold fewer at once.", limit=MAX_TRANSACTION_ITEMS)
    for performance in performances.values():
        performance.check_on_sale(now)
    holds = claim_together(bundle.id, "bundle", quantity, performances, places, choices, session_token, now)
    count("BundleHoldsCreated")
    logger.info("bundle hold created", extra={"hold_id": holds[0].id, "bundles": quantity})
    return holds


def claim_together(group_of: str, kind: str, quantity: int, performances: dict[str, Performance],
                   places: dict[str, int], choices: dict[str, PlaceChoice], session_token: str,
                   now: datetime) -> list[Hold]:
    """Hold `places[p]` places in every performance `p` in ONE transaction, so all are held or none; the holds
    form one group (`bundle_id` = `group_of`, `bundle_kind` = `kind`) that lives and dies together.

    Best-available performances are picked afresh after a lost race (up to 3 more tries), standing shards re-read;
    specific seats someone else has end it with SeatsUnavailable naming them.
    """
    rushed = sorted(p for p, performance in performances.items() if performance.waiting_room is not None)
    if rushed:  # the line is the only way in: a group hold spends no admission
        raise WaitingRoomOn("A performance of this group sells through its waiting room now; the group is on "
                            "sale again when the room is switched off.", performances=rushed,
                            queue=f"/performances/{rushed[0]}/queue")
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
                errors.append(FieldError(f"{field}.seats", "wrong_count",
                                         f"Choose exactly {places[performance_id]} seats here."))
            if len(set(choice.seat_ids)) != len(choice.seat_ids):
                errors.append(FieldError(f"{field}.seats", "duplicate_seat", "A seat is asked for twice."))
            errors.extend(FieldError(f"{field}.seats", "unknown_seat", f"This hall has no seat {seat_id}.")
                          for seat_id in choice.seat_ids if seatmap.seat(seat_id) is None)
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
                with _free_seats.choosing(performance_id, now, max_age=RETRY_SNAPSHOT_SECONDS if attempt else None) as free:
                    try:
                        seat_ids = tuple(choose_best_available(seatmaps[performance_id], free - lost[performance_id],
                                                               wanted, wheelchair=choice.wheelchair,
                                                               category=choice.category))
                    except NotEnoughSeats as error:
                        error.context["performance_id"] = performance_id
                        raise
                    free.difference_update(seat_ids)
            claims.append((Hold(id=hold_ids[performance_id], performance_id=performance_id,
                                house_id=performance.house_id, session_hash=session_hash(session_token),
                                seat_ids=seat_ids, quantity=len(seat_ids) or wanted, created_at=now, expires_at=expires,
                                status=HoldStatus.ACTIVE, standing_shards=tuple(shards), bundle_id=group_of,
                                bundle_hold_ids=tuple(hold_ids.values()), bundle_quantity=quantity,
                                bundle_kind=kind), shards))
        outcome = reservations.claim_bundle(claims, now)
        if outcome is None:
            holds = [hold for hold, _ in claims]
            count("HoldsCreated")  # the checkout funnel counts a bundle purchase as one hold
            count("PlacesHeld", sum(hold.quantity for hold in holds))
            return holds
        for performance_id, seats in outcome.taken.items():
            if choices.get(performance_id, PlaceChoice()).seat_ids:
                count("HoldConflicts")
                raise SeatsUnavailable("Some of these seats were just taken by someone else.", taken=seats,
                                       performance_id=performance_id)
            lost[performance_id].update(seats)  # a racer won these; choose again without them
    count("HoldConflicts")
    raise SeatsUnavailable("Places keep being taken by other buyers; please try again.", taken=[])


def _standing_take(performance: Performance, wanted: int, now: datetime, reclaimed: set[str]) -> list[tuple[int, int]]:
    """A plan of standing shards with enough places (read now), or SoldOut; a sold-out answer writes nothing
    unless expired holds can be given back first."""
    for _ in range(2):
        remaining = reservations.standing_remaining(performance.id, performance.standing_shards)
        if sum(remaining.values()) >= wanted:
            return next(iter(_standing_plans(remaining, wanted)))
        if performance.id in reclaimed or not _reclaim_expired(performance.id, now):
            break
        reclaimed.add(performance.id)
    count("HoldConflicts")
    raise SoldOut("No standing places left for this many people.", requested=wanted, performance_id=performance.id)


def bundle_holds(hold: Hold) -> list[Hold]:
    """Every hold of the bundle purchase `hold` belongs to (just `hold` when it is not in a bundle)."""
    if not hold.in_bundle:
        return [hold]
    return [hold if hold_id == hold.id else reservations.get_hold(hold_id) for hold_id in hold.bundle_hold_ids]


def release_bundle(hold: Hold, now: datetime) -> None:
    reservations.release_bundle_holds(bundle_holds(hold), now)
    count("HoldsReleased")


def get_bundle(bundle_id: str) -> Bundle:
    return store.get_bundle(bundle_id)


def list_bundles() -> list[Bundle]:
    return store.list_bundles()


def set_status(bundle_id: str, status: str) -> Bundle:
    return store.set_status(bundle_id, PerformanceStatus(status))


def refund_bundles(order_id: str, bundle_id: str | None, reason: str, requested_by: str, now: datetime,
                   note: str | None = None):
    """Refund every still-valid ticket of the order's bundle purchases (of one bundle if given), whichever house
    owns it, as one refund: each ticket for the share it booked, so the ledger reverses exactly the sale."""
    from ..domain.errors import NotRefundable
    from ..domain.orders import TicketStatus, ticket_id_for
    from ..store import orders as order_store
    from . import refunds

    order = order_store.get_order(order_id)
    lines = [line for line in order.lines if line.bundle_group and bundle_id in (None, line.bundle_id)]
    if not lines:
        raise NotFound("This order has no such bundle.", order_id=order_id, bundle_id=bundle_id)
    wanted = {ticket_id_for(order.id, line.index) for line in lines}
    valid = [ticket.ticket_id for ticket in order_store.tickets_of(order_id)
             if ticket.ticket_id in wanted and ticket.status is TicketStatus.VALID]
    if not valid:
        raise NotRefundable("This bundle is refunded already.", order_id=order_id)
    return refunds.request_refund(None, order_id, valid, reason, requested_by, now, note=note)
