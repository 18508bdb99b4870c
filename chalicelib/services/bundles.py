"""Bundle services: creating and listing bundles, holding a bundle's places in all its performances at once, and
refunding an order's bundle purchases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.bundles import Bundle, bundles_available, validate_bundle
from ..domain.catalog import Performance, PerformanceStatus
from ..domain.errors import FieldError, HoldTooLarge, NotFound, NotRefundable, ValidationFailed
from ..domain.holds import MAX_TRANSACTION_ITEMS, Hold
from ..domain.orders import TicketStatus, ticket_id_for
from ..observability import count, logger
from ..settings import get_settings
from ..store import bundles as store
from ..store import catalog, reservations
from ..store import orders as order_store
from . import availability, refunds
from .group_holds import PlaceChoice, claim_together

MAX_BUNDLES_PER_HOLD = 10


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


def availability_of(bundle: Bundle, performances: dict[str, Performance], now: datetime, live: bool) -> dict[str, Any]:
    """Bundles still for sale = the minimum over its performances; `live` reads every performance afresh."""
    summaries = {
        performance_id: (availability.summary if live else availability.cached_summary)(performance, now)
        for performance_id, performance in performances.items()
    }
    on_sale = bundle.is_on_sale(now) and all(p.is_on_sale(now) for p in performances.values())
    available = bundles_available(bundle, {p: s["available"] for p, s in summaries.items()}) if on_sale else 0
    level = (
        "not_on_sale"
        if not on_sale
        else "sold_out"
        if available <= 0
        else "few_left"
        if any(s["level"] == "few_left" for s in summaries.values())
        else "available"
    )
    return {
        "available": available,
        "level": level,
        "performances": {p: {"available": s["available"], "level": s["level"]} for p, s in summaries.items()},
    }


def hold_bundle(
    bundle_id: str, session_token: str, quantity: int, choices: dict[str, PlaceChoice], now: datetime
) -> list[Hold]:
    """Hold `quantity` bundles: every performance's places in ONE transaction, so all are held or none.

    Best-available performances are picked afresh after a lost race (up to 3 more tries), standing shards re-read;
    specific seats someone else has end it with SeatsUnavailable naming them.
    """
    bundle = store.get_bundle(bundle_id)
    bundle.check_on_sale(now)
    logger.thread_safe_append_keys(bundle_id=bundle_id)
    if not 1 <= quantity <= MAX_BUNDLES_PER_HOLD:
        raise ValidationFailed(
            f"Hold 1 to {MAX_BUNDLES_PER_HOLD} bundles at once.",
            [FieldError("quantity", "out_of_range", f"Must be 1 to {MAX_BUNDLES_PER_HOLD}.")],
        )
    foreign = sorted(set(choices) - set(bundle.performance_ids))
    if foreign:
        raise ValidationFailed(
            "These performances are not in the bundle.",
            [
                FieldError(f"performances.{p}", "not_in_bundle", "This performance is not in the bundle.")
                for p in foreign
            ],
        )
    performances = performances_of(bundle)
    places = {c.performance_id: c.places * quantity for c in bundle.components}
    limit = get_settings().max_seats_per_hold  # the cluster's cap on places per hold holds per performance too
    if max(places.values()) > limit:
        raise ValidationFailed(
            f"At most {limit} places per performance in one hold.",
            [
                FieldError(
                    "quantity",
                    "out_of_range",
                    f"At most {limit // max(c.places for c in bundle.components)} bundles at once.",
                )
            ],
            limit=limit,
        )
    if sum(places.values()) + len(places) > MAX_TRANSACTION_ITEMS:
        raise HoldTooLarge(
            f"This many bundles do not fit one all-or-nothing transaction ({MAX_TRANSACTION_ITEMS} "
            "items); hold fewer at once.",
            limit=MAX_TRANSACTION_ITEMS,
        )
    for performance in performances.values():
        performance.check_on_sale(now)
    holds = claim_together(bundle.id, "bundle", quantity, performances, places, choices, session_token, now)
    count("BundleHoldsCreated")
    logger.info("bundle hold created", extra={"hold_id": holds[0].id, "bundles": quantity})
    return holds


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


def refund_bundles(
    order_id: str, bundle_id: str | None, reason: str, requested_by: str, now: datetime, note: str | None = None
) -> order_store.Refund:
    """Refund every still-valid ticket of the order's bundle purchases (of one bundle if given), whichever house
    owns it, as one refund: each ticket for the share it booked, so the ledger reverses exactly the sale."""
    order = order_store.get_order(order_id)
    lines = [line for line in order.lines if line.bundle_group and bundle_id in (None, line.bundle_id)]
    if not lines:
        raise NotFound("This order has no such bundle.", order_id=order_id, bundle_id=bundle_id)
    wanted = {ticket_id_for(order.id, line.index) for line in lines}
    valid = [
        ticket.ticket_id
        for ticket in order_store.tickets_of(order_id)
        if ticket.ticket_id in wanted and ticket.status is TicketStatus.VALID
    ]
    if not valid:
        raise NotRefundable("This bundle is refunded already.", order_id=order_id)
    return refunds.request_refund(None, order_id, valid, reason, requested_by, now, note=note)
