"""Refunds: house staff refund their own house's tickets; a cancelled performance refunds every ticket.

Asking for a refund (API) marks the tickets `refunding` and records the refund in one
transaction, so a ticket is refunded at most once. The refund workflow (`refund.asl.json`) then
pays the money back at the provider, voids the tickets, puts the places back on sale, reverses
the ledger and publishes `TicketRefunded`. Every step is idempotent.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from .. import ports
from ..domain.errors import FieldError, NotFound, NotRefundable, ValidationFailed
from ..domain.ledger import refund_entries
from ..domain.money import Money
from ..domain.orders import REFUND_REASONS, OrderStatus, TicketStatus, refund_idempotency_key, refund_reason_code
from ..observability import count, logger
from ..store import orders as store
from ..store import reservations
from .donations import refund_with_last_tickets
from .giftcards import refund_to_card
from .ticket_issuing import booked_shares
from .ticketing import send_refund_email

MAX_TICKETS_PER_REFUND = 90  # one transaction: the refund record plus each ticket


def request_refund(
    house_id: str | None,
    order_id: str,
    ticket_ids: list[str] | None,
    reason: str,
    requested_by: str,
    now: datetime,
    refund_id: str | None = None,
    note: str | None = None,
) -> store.Refund:
    """Refund tickets of the order that belong to `house_id` (all of them if `ticket_ids` is empty).

    `reason` is a code of REFUND_REASONS (it travels with `TicketRefunded`); `note` is the house's own
    words and stays on the refund record."""
    if reason not in REFUND_REASONS:
        raise ValidationFailed(
            "Unknown refund reason.",
            [FieldError("reason_code", "unknown_reason", "One of " + ", ".join(REFUND_REASONS) + ".")],
        )
    order = store.get_order(order_id)
    if order.status is not OrderStatus.COMPLETED:
        raise NotRefundable("Only a completed order's tickets can be refunded.", order_id=order_id)
    tickets = store.tickets_of(order_id, house_id)  # another house's tickets are not even read
    if not tickets:
        raise NotFound("No such order.", order_id=order_id)
    by_id = {ticket.ticket_id: ticket for ticket in tickets}
    if ticket_ids:
        unknown = [ticket_id for ticket_id in ticket_ids if ticket_id not in by_id]
        if unknown:
            raise NotFound("No such ticket in this order.", ticket_ids=unknown)
        chosen = [by_id[ticket_id] for ticket_id in dict.fromkeys(ticket_ids)]
    else:
        chosen = [ticket for ticket in tickets if ticket.status is TicketStatus.VALID]
    if not chosen or any(ticket.status is not TicketStatus.VALID for ticket in chosen):
        raise NotRefundable("These tickets are refunded already.", order_id=order_id)
    if len(chosen) > MAX_TICKETS_PER_REFUND:
        raise ValidationFailed(
            "Too many tickets in one refund.",
            [FieldError("ticket_ids", "out_of_range", f"At most {MAX_TICKETS_PER_REFUND} tickets per refund.")],
        )
    refund = store.Refund(
        refund_id or ports.ids().refund_id(),
        order_id,
        house_id,
        tuple(ticket.ticket_id for ticket in chosen),
        sum(ticket.price_cents for ticket in chosen),
        chosen[0].currency,
        reason,
        "requested",
        None,
        now,
        note,
    )
    store.create_refund(refund)
    ports.workflows().start(
        "refund", f"{order_id}-{refund.refund_id}", {"order_id": order_id, "refund_id": refund.refund_id}
    )
    count("RefundsRequested")
    logger.info(
        "refund requested",
        extra={
            "order_id": order_id,
            "refund_id": refund.refund_id,
            "tickets": len(chosen),
            "amount": refund.amount_cents,
        },
    )
    return refund


def refund_cancelled_performance(performance_id: str, now: datetime) -> int:
    """Refund every valid ticket of a cancelled performance, one refund per order; returns how many."""
    started = 0
    refund_id = f"cancel-{performance_id}"
    for order_id in store.performance_ticket_orders(performance_id):
        tickets = [
            t
            for t in store.tickets_of(order_id)
            if t.performance_id == performance_id and t.status is TicketStatus.VALID
        ]
        if not tickets:
            continue
        try:
            request_refund(
                None,
                order_id,
                [t.ticket_id for t in tickets],
                "performance_cancelled",
                "system",
                now,
                refund_id=refund_id,
            )
            started += 1
        except NotRefundable:
            continue  # refunded already (the cancellation was repeated)
    return started


# -- workflow tasks ------------------------------------------------------------------------------
def pay_back(order_id: str, refund_id: str) -> dict[str, Any]:
    """The money goes back to the buyer (the idempotency key is the refund's: a retry is the same refund)."""
    refund = store.get_refund(order_id, refund_id)
    order = store.get_order(order_id)
    now = ports.clock().now()
    refund_with_last_tickets(order, now)  # the order's last tickets: its donations go back too
    to_card = refund_to_card(order, refund_id, refund.amount_cents, now)  # a gift card's part goes back on it
    if not order.payment_intent_id or not refund.amount_cents - to_card:
        return {"provider_refund_id": None}  # free tickets (or all back on the card): nothing to pay back
    provider_refund = ports.payments().refund_payment(
        order.payment_intent_id,
        refund.amount_cents - to_card,
        refund_idempotency_key(order_id, refund_id),
        {"order_id": order_id, "refund_id": refund_id},
    )
    store.set_provider_refund(order_id, refund_id, provider_refund)
    return {"provider_refund_id": provider_refund}


def void_and_release(order_id: str, refund_id: str, now: datetime) -> dict[str, Any]:
    """Void the tickets, give their places back, reverse the ledger; the refund is complete."""
    refund = store.get_refund(order_id, refund_id)
    order = store.get_order(order_id)
    tickets = [t for t in store.tickets_of(order_id) if t.ticket_id in refund.ticket_ids]
    store.void_tickets(refund, tickets)
    by_hold: dict[str, list[store.IssuedTicket]] = {}
    for ticket in tickets:
        by_hold.setdefault(ticket.hold_id, []).append(ticket)
    for hold_id, group in by_hold.items():
        hold = reservations.get_hold(hold_id)
        reservations.return_sold_places(
            hold, order_id, refund_id, [t.seat_id for t in group if t.seat_id], sum(1 for t in group if not t.seat_id)
        )
    store.put_ledger_entries(
        refund_entries(order_id, refund_id, booked_shares(tickets), order.seller_house_id, order.collected_by), now
    )
    if store.complete_refund(refund, now):
        count("TicketsRefunded", len(tickets))
        count("RefundedCents", refund.amount_cents)
    return {"tickets": len(tickets)}


def notify(order_id: str, refund_id: str, now: datetime) -> dict[str, Any]:
    """`TicketRefunded` on the cluster's topic (no personal data: the reason code, never the note) and an
    e-mail to the buyer."""
    refund = store.get_refund(order_id, refund_id)
    tickets = [t for t in store.tickets_of(order_id) if t.ticket_id in refund.ticket_ids]
    per_performance = Counter(t.performance_id for t in tickets)
    detail = {
        "order_id": order_id,
        "refund_id": refund_id,
        "amount": refund.amount_cents,
        "currency": refund.currency,
        "reason": refund_reason_code(refund.reason),
        "performances": dict(per_performance),
        "tickets": [
            {
                "ticket_id": t.ticket_id,
                "performance_id": t.performance_id,
                "house_id": t.house_id,
                "tariff_code": t.tariff_code,
                "price": t.price_cents,
                "seat_id": t.seat_id,
            }
            for t in tickets
        ],
    }
    message_id = ports.events().publish("TicketRefunded", f"TicketRefunded:{order_id}:{refund_id}", now, detail)
    reason = "performance_cancelled" if refund.reason == "performance_cancelled" else "refunded_by_house"
    send_refund_email(store.get_order(order_id), Money(refund.amount_cents, refund.currency), reason)
    return {"message_id": message_id}
