"""Donations given with an order go back when the whole order is refunded.

Ticket refunds are per house; the donations go back with the refund that leaves the order without a
valid ticket. Two houses refunding their last tickets at once may both see that: paying back uses
one idempotency key per order and the reversing entries have stable ids, so it happens once.
"""

from __future__ import annotations

from datetime import datetime

from .. import ports
from ..domain.donations import donation_entries
from ..domain.orders import Order, TicketStatus, refund_idempotency_key
from ..observability import count
from ..store import orders as store

DONATION_REFUND_ID = "donations"


def refund_with_last_tickets(order: Order, now: datetime) -> bool:
    """Pay back and reverse the order's donations if none of its tickets is still valid; True if it did."""
    if not order.donations or any(ticket.status is TicketStatus.VALID for ticket in store.tickets_of(order.id)):
        return False
    amount = sum(donation.amount.cents for donation in order.donations)
    if order.payment_intent_id:
        ports.payments().refund_payment(
            order.payment_intent_id,
            amount,
            refund_idempotency_key(order.id, DONATION_REFUND_ID),
            {"order_id": order.id, "refund_id": DONATION_REFUND_ID},
        )
    store.put_ledger_entries(
        donation_entries(
            order.id, f"refund:{DONATION_REFUND_ID}", order.donations, order.seller_house_id, -1, order.collected_by
        ),
        now,
    )
    count("DonationsRefunded")
    return True
