"""UiTPAS social tariff: a buyer gives a pass per place in the cart; checkout registers the sales.

Following publiq's contract, the ticket sales are registered when checkout has priced the order,
before the payment, and cancelled (`DELETE /ticket-sales/{id}`) when the payment fails, the order
is abandoned or refunded. A registered sale is kept per (future) ticket id, so the refund path
(`TicketRefunded` → the UiTPAS consumer) cancels a refunded ticket's sale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import uitpas as domain
from ..domain.cart import Cart
from ..domain.errors import FieldError, NotFound, ValidationFailed
from ..domain.orders import ticket_id_for
from ..integrations import uitpas as integration
from ..integrations.http import ServiceRejected, ServiceUnavailable
from ..observability import count, logger
from ..store import carts as cart_store
from ..store import integrations as integration_store
from ..store import orders as order_store
from ..store import reservations
from . import carts
from .cart_pricing import price_entry
from .integrations import cancel_uitpas_sale, register_uitpas_sales


def apply_pass(cart_id: str, session_token: str, hold_id: str, place: str, uitpas_number: str, now: datetime) -> Cart:
    """Price one place of a hold in the cart with the social tariff UiTPAS grants this pass.

    Nothing is saved unless UiTPAS grants it and the pass stays within its limit for the event.
    """
    number = domain.clean_number(uitpas_number)
    record, entries, entry = _entry(cart_id, session_token, hold_id, now)
    lines = price_entry(reservations.get_hold(hold_id), {**entry, "uitpas": {}})
    places = domain.place_keys(lines)
    if place not in places:
        raise ValidationFailed(
            "This place is not in the hold.", [FieldError("place", "not_in_hold", "This place is not in the hold.")]
        )
    line = lines[places.index(place)]
    event_id = integration_store.integration_state(line.performance_id).uitdatabank_event_id
    if not event_id:
        raise domain.UitpasNotOffered(
            "This performance is not in UiTdatabank, so not a UiTPAS event.", performance_id=line.performance_id
        )
    tariff = domain.choose_social_tariff(*_offer(event_id, number, line.price.cents))
    uses = {
        (other["hold_id"], other_place): use
        for other in entries
        for other_place, use in (other.get("uitpas") or {}).items()
    }
    uses[(hold_id, place)] = domain.SocialTariffUse(
        number, tariff.id, tariff.name, event_id, tariff.price_cents, line.price.cents
    ).to_dict()
    domain.check_pass_limit(
        sum(1 for use in uses.values() if use["uitpas_number"] == number and use["event_id"] == event_id),
        tariff.remaining,
    )
    _save(record, entries, entry, {**(entry.get("uitpas") or {}), place: uses[(hold_id, place)]}, now)
    count("UitpasTariffsApplied")
    return carts.view_cart(cart_id, session_token, now)


def remove_pass(cart_id: str, session_token: str, hold_id: str, place: str, now: datetime) -> Cart:
    """The place goes back to its regular price."""
    record, entries, entry = _entry(cart_id, session_token, hold_id, now)
    uses = dict(entry.get("uitpas") or {})
    if uses.pop(place, None) is None:
        raise NotFound("This place has no UiTPAS social tariff.", hold_id=hold_id, place=place)
    _save(record, entries, entry, uses, now)
    return carts.view_cart(cart_id, session_token, now)


def _entry(
    cart_id: str, session_token: str, hold_id: str, now: datetime
) -> tuple[cart_store.CartRecord, list[dict[str, Any]], dict[str, Any]]:
    record = carts.open_cart(cart_id, session_token)
    entries = [dict(entry) for entry in record.entries]
    entry = next((entry for entry in entries if entry["hold_id"] == hold_id), None)
    if entry is None:
        raise NotFound("This hold is not in the cart.", hold_id=hold_id)
    reservations.get_hold(hold_id).check_live(now)
    if entry.get("bundle_group"):
        raise ValidationFailed(
            "A bundle has one price; its places take no social tariff.",
            [FieldError("hold_id", "bundle_has_one_price", "A bundle's places take no UiTPAS social tariff.")],
        )
    return record, entries, entry


def _save(
    record: cart_store.CartRecord,
    entries: list[dict[str, Any]],
    entry: dict[str, Any],
    uses: dict[str, Any],
    now: datetime,
) -> None:
    entry["uitpas"] = uses
    cart_store.save_entries(record, entries, now)


def _offer(event_id: str, number: str, regular_price_cents: int) -> tuple[Any, ...]:
    """UiTPAS's tariffs for the pass: (available, message, problem type). Errors never carry the number on."""
    try:
        offer = integration.client().tariffs(event_id, number, regular_price_cents)
    except ServiceRejected as rejected:
        status = rejected.status
        if status == 404:
            raise domain.UitpasUnknown("UiTPAS does not know this number.") from None
        if status in (400, 422):
            raise domain.UitpasRefused("UiTPAS refused this pass for this performance.") from None
        logger.warning("UiTPAS refused the tariffs query", extra={"status": status})
        raise domain.UitpasUnavailable("UiTPAS refused our request; try again later.") from None
    except ServiceUnavailable as unavailable:
        logger.warning("UiTPAS unavailable", extra={"status": unavailable.status})
        count("UitpasUnavailable")
        raise domain.UitpasUnavailable("UiTPAS did not answer; nothing was changed.") from None
    return offer.available, offer.end_user_message, offer.problem_type


# -- checkout ------------------------------------------------------------------------------------
def register_order_sales(order_id: str, now: datetime) -> dict[str, Any]:
    """Register the order's social-tariff places at UiTPAS, all or none, once (a retried task registers nothing new)."""
    order = order_store.get_order(order_id)
    sales = [
        (
            ticket_id_for(order.id, line.index),
            integration.TicketSaleRequest(
                line.uitpas.regular_price_cents, line.uitpas.tariff_id, line.uitpas.event_id, line.uitpas.uitpas_number
            ),
        )
        for line in order.lines
        if line.uitpas
    ]
    if not sales or integration_store.uitpas_sale(sales[0][0]) is not None:
        return {"registered": 0}
    try:
        ids = register_uitpas_sales(order.id, sales, now)
    except ServiceRejected as rejected:  # the pass lost its right since the cart: the checkout ends
        raise domain.UitpasRefused(f"UiTPAS refused the ticket sales of {order_id} ({rejected.status})") from None
    except ServiceUnavailable:
        raise domain.UitpasUnavailable(f"UiTPAS did not register the ticket sales of {order_id}") from None
    return {"registered": len(ids)}


def cancel_order_sales(order_id: str, now: datetime) -> int:
    """Compensation: every registered UiTPAS sale of the order is cancelled; how many were."""
    order = order_store.get_order(order_id)
    return sum(
        1 for line in order.lines if line.uitpas and cancel_uitpas_sale(ticket_id_for(order.id, line.index), now)
    )
