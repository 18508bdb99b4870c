"""Checkout: a frozen cart becomes one payment and one order with tickets of several houses.

`start_checkout` runs in the API; every other function is one task of the checkout workflow
(`chalicelib/workflows/checkout.asl.json`) or reacts to the payment provider's webhook. Each is
idempotent: Step Functions may run a task again, and webhooks come at least once, in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .. import ports
from ..domain.agreements import may_sell
from ..domain.cart import Cart
from ..domain.customers import BuyerDetails
from ..domain.donations import donation_entries
from ..domain.errors import EmptyCart, FieldError, HoldNotActive, NotFound, SeatsUnavailable, ValidationFailed
from ..domain.holds import HoldStatus, session_hash
from ..domain.ledger import SoldTicket, fee_entry, refund_entries, sale_entries
from ..domain.orders import (
    DEFAULT_PAYMENT_GRACE_SECONDS,
    Order,
    OrderStatus,
    PaymentCanceled,
    SeatsLost,
    order_id_for,
    order_lines,
    payment_idempotency_key,
    payment_window_seconds,
    refund_idempotency_key,
)
from ..domain.uitpas import CHECKOUT_FAILURES
from ..observability import count, logger
from ..settings import get_settings
from ..store import allocations, bundles, catalog, purchases, reservations, settlements
from ..store import carts as cart_store
from ..store import orders as store
from ..store import subscriptions as subscription_store
from . import carts, customers, giftcards, subscriptions, vouchers
from .cart_pricing import priced_cart
from .ticket_issuing import booked_shares, make_tickets, with_shares
from .ticketing import send_order_email, send_refund_email
from .uitpas import cancel_order_sales

# Why a checkout ended without an order, from the workflow's error name.
FAILURE_REASONS = {
    "States.Timeout": "payment_timeout",
    "PaymentCanceled": "payment_canceled",
    "EmptyCart": "cart_expired",
    "SeatsLost": "seats_lost",
    "ReservationCancelled": "reservation_cancelled",
}
FAILURE_REASONS.update(CHECKOUT_FAILURES)


def start_checkout(
    cart_id: str,
    session_token: str,
    buyer: BuyerDetails,
    marketing: bool,
    sharing: bool,
    language: str,
    seller_house_id: str | None,
    now: datetime,
) -> Order:
    """Freeze the session's cart, record the buyer per house and start the checkout workflow.

    Submitting the same cart again (or twice at once) answers with the same order and payment.
    """
    record = carts.own_cart(cart_id, session_token)
    order_id = order_id_for(cart_id)
    if record.order_id:
        order = store.get_order(record.order_id)
    else:
        cart = priced_cart(record, now)
        if not cart.lines:
            raise EmptyCart("The cart holds no live places.", cart_id=cart_id)
        vouchers.check_offers(cart)
        check_seller(cart, seller_house_id)
        customer_ids = customers.record_buyer(
            list(cart.houses), buyer, marketing, sharing, language, now, order_id=order_id
        )
        order = store.begin_checkout(
            record,
            Order(
                order_id,
                cart_id,
                session_hash(session_token),
                OrderStatus.PENDING,
                language=language,
                seller_house_id=seller_house_id,
                customer_ids=customer_ids,
                created_at=now,
                gift_card=cart.gift_card,
            ),
            performances={line.performance_id: line.house_id for line in cart.lines},
        )
    if order.status is OrderStatus.PENDING:  # (again) start its workflow: a second start changes nothing
        settings = get_settings()
        ports.workflows().start(
            "checkout", order.id, {"order_id": order.id, "payment_grace_seconds": settings.payment_grace_seconds}
        )
        count("CheckoutsStarted")
    return order


def check_seller(cart: Cart, seller_house_id: str | None) -> None:
    """The selling house named with a checkout (its hosted link's `?via=`, or the body's `seller_house_id`) earns
    the commission, so it must be a house allowed to sell every place of the cart (`agreements.may_sell`);
    ValidationFailed on `seller_house_id` otherwise, before anything is written."""
    if not seller_house_id:
        return
    agreement = settlements.get_agreement()
    holders: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}
    refused = []
    for line in cart.lines:
        if line.performance_id not in holders:
            holders[line.performance_id] = {
                a.holder_house_id for a in allocations.allocations_of(line.performance_id) if a.holder_house_id
            }
        fellows: set[str] = set()
        if line.bundle_group and line.bundle_id:
            if line.bundle_group not in groups:
                if line.tariff_code == "subscription":  # any house of the formula, chosen or not
                    performance_ids: Sequence[str] = subscription_store.get_formula(line.bundle_id).performance_ids
                else:
                    performance_ids = [c.performance_id for c in bundles.get_bundle(line.bundle_id).components]
                groups[line.bundle_group] = {catalog.get_performance(p).house_id for p in performance_ids}
            fellows = groups[line.bundle_group]
        if not may_sell(seller_house_id, line.house_id, agreement, tuple(holders[line.performance_id]), tuple(fellows)):
            refused.append(line.performance_id)
    if refused:
        names = ", ".join(dict.fromkeys(refused))
        raise ValidationFailed(
            "The selling house may not sell every place of this cart.",
            [
                FieldError(
                    "seller_house_id",
                    "not_a_seller",
                    f"House {seller_house_id} may not sell performance {names}: it is not its house, has no agreement "
                    f"with its house and no allocation of it.",
                )
            ],
        )


def own_order(order_id: str, session_token: str) -> Order:
    order = store.get_order(order_id)
    if order.session_hash != session_hash(session_token):
        raise NotFound("No such checkout.", order_id=order_id)
    return order


# -- workflow tasks ------------------------------------------------------------------------------
def price_order(order_id: str, grace_seconds: int | None, now: datetime) -> dict[str, Any]:
    """Freeze the prices of the cart's live places into the order; how long to wait for the payment."""
    order = store.get_order(order_id)
    cart = priced_cart(cart_store.get_cart(order.cart_id), now)
    if not order.lines:
        if not cart.lines:
            raise EmptyCart("Every hold of the cart lapsed before checkout.", order_id=order_id)
        assert cart.expires_at is not None  # a cart with places expires with its first hold
        store.set_priced(order_id, order_lines(cart.lines), cart.expires_at, cart.donations)
        order = store.get_order(order_id)
    expiry = cart.expires_at or order.expires_at or now
    grace = DEFAULT_PAYMENT_GRACE_SECONDS if grace_seconds is None else grace_seconds
    return {
        "amount": order.amount_due.cents,
        "currency": order.total.currency,
        "payment_timeout_seconds": payment_window_seconds(now, expiry, grace),
    }


def create_payment(order_id: str) -> dict[str, Any]:
    """One PaymentIntent for the whole order (idempotency key from the order id)."""
    order = store.get_order(order_id)
    if order.payment_status == "canceled":  # the buyer gave up before there was anything to pay
        raise PaymentCanceled(f"payment of {order_id} was cancelled")
    if not order.payment_intent_id and order.amount_due.cents > 0:  # a free order takes no payment
        intent = ports.payments().create_payment_intent(
            order.id,
            order.amount_due.cents,
            order.total.currency,
            payment_idempotency_key(order.id),
            f"Podium order {order.id}",
        )
        store.set_payment(order.id, intent.id, intent.client_secret)
        order = store.get_order(order_id)
    return {"payment_intent_id": order.payment_intent_id}


def await_payment(order_id: str, task_token: str) -> dict[str, Any]:
    """Park the workflow on the payment: the webhook resumes it. The outcome may be known already."""
    order = store.set_task_token(order_id, task_token)
    if order.payment_status == "succeeded" or order.amount_due.cents == 0:  # paid already, or nothing to pay
        ports.workflows().send_success(task_token, _paid(order))
    elif order.payment_status == "canceled":
        raise PaymentCanceled(f"payment of {order_id} was cancelled")
    return {}


def _paid(order: Order) -> dict[str, Any]:
    return {"payment_intent_id": order.payment_intent_id, "status": "succeeded"}


def confirm_seats(order_id: str, now: datetime) -> dict[str, Any]:
    """Sell every held place of the paid order; SeatsLost if a lapsed hold's place went to someone else."""
    order = store.get_order(order_id)
    for hold_id in order.hold_ids:
        hold = reservations.get_hold(hold_id)
        try:
            reservations.sell_hold(hold, order_id, now)
        except SeatsUnavailable as lost:
            store.mark(
                order_id,
                OrderStatus.PAID,
                now,
                allowed_from=[OrderStatus.AWAITING_PAYMENT, OrderStatus.PENDING, OrderStatus.RESERVED],
                lost_places=lost.taken or [hold_id],
            )
            count("PaidPlacesLost")
            raise SeatsLost(f"order {order_id} lost {lost.taken}") from lost
    store.mark(
        order_id,
        OrderStatus.PAID,
        now,
        allowed_from=[OrderStatus.AWAITING_PAYMENT, OrderStatus.PENDING, OrderStatus.RESERVED],
    )
    return {"holds": len(order.hold_ids)}


def issue_tickets(order_id: str, now: datetime) -> dict[str, Any]:
    """Tickets with signed QR payloads and the balanced ledger entries; the order is complete."""
    order = store.get_order(order_id)
    tickets, shares = with_shares(make_tickets(order, now), order.seller_house_id, settlements.get_agreement())
    store.put_tickets(tickets)
    store.put_ledger_entries(sale_entries(order.id, shares, order.seller_house_id, order.collected_by), now)
    store.put_ledger_entries(
        donation_entries(order.id, "donation", order.donations, order.seller_house_id, 1, order.collected_by), now
    )
    giftcards.book_redemption(order, now)
    _book_payment_fee(order, now)
    _record_purchases(order, tickets, now)
    _record_bundle_sales(order, now)
    _record_subscriptions(order, tickets, now)
    store.mark(order_id, OrderStatus.COMPLETED, now, allowed_from=[OrderStatus.PAID])
    count("OrdersCompleted")
    count("TicketsIssued", len(tickets))
    count("RevenueCents", order.total.cents)
    return {"tickets": len(tickets)}


def email_tickets(order_id: str) -> dict[str, Any]:
    """E-mail the tickets once (the message id is kept; a retried task does not send twice)."""
    return {"message_id": send_order_email(store.get_order(order_id))}


def publish_order_placed(order_id: str, now: datetime) -> dict[str, Any]:
    """`OrderPlaced` on the cluster's topic, without personal data; the order id is its id."""
    order = store.get_order(order_id)
    tickets = store.tickets_of(order_id)
    detail = {
        "order_id": order.id,
        "total": order.total.cents,
        "currency": order.total.currency,
        "seller_house_id": order.seller_house_id,
        "houses": {house: sum(t.price_cents for t in tickets if t.house_id == house) for house in order.houses},
        "tickets": [
            {
                "ticket_id": t.ticket_id,
                "performance_id": t.performance_id,
                "house_id": t.house_id,
                "category": t.category,
                "tariff_code": t.tariff_code,
                "price": t.price_cents,
                "seat_id": t.seat_id,
            }
            for t in tickets
        ],
    }
    message_id = ports.events().publish("OrderPlaced", f"OrderPlaced:{order.id}", order.completed_at or now, detail)
    return {"message_id": message_id}


def release_checkout(order_id: str, error_name: str, now: datetime) -> dict[str, Any]:
    """Compensation before the sale: cancel the payment, give the places back, end the order as failed.

    If the payment succeeded after all (it raced the timeout), the buyer is refunded in full.
    """
    order = store.get_order(order_id)
    reason = FAILURE_REASONS.get(error_name, "checkout_error")
    refunded = False
    if order.payment_intent_id:
        intent = ports.payments().cancel_payment_intent(order.payment_intent_id, f"order:{order.id}:cancel")
        if intent.status == "succeeded":
            ports.payments().refund_payment(
                intent.id,
                intent.amount,
                refund_idempotency_key(order.id, "release"),
                {"order_id": order.id, "reason": reason},
            )
            refunded = True
    _give_back_places(order, now)
    _cancel_uitpas_sales(order, now)
    vouchers.give_back(order.id)
    giftcards.give_back(order, now)
    status = OrderStatus.REFUNDED if refunded else OrderStatus.FAILED
    store.mark(
        order_id,
        status,
        now,
        failure_reason=reason,
        allowed_from=[OrderStatus.PENDING, OrderStatus.RESERVED, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID],
    )
    count("CheckoutsFailed")
    logger.info("checkout released", extra={"order_id": order_id, "reason": reason, "refunded": refunded})
    return {"status": status.value, "reason": reason}


def refund_checkout(order_id: str, error_name: str, now: datetime) -> dict[str, Any]:
    """Compensation after the payment: places lost (or fulfilment failed) → everything back, buyer refunded."""
    order = store.get_order(order_id)
    reason = "seats_lost" if error_name == "SeatsLost" else "fulfilment_failed"
    _give_back_places(order, now)
    _cancel_uitpas_sales(order, now)
    vouchers.give_back(order.id)
    tickets = store.tickets_of(order_id)
    if tickets:  # fulfilment failed half-way: the tickets and the sale entries are cancelled too
        store.void_order_tickets(order_id, tickets)
        store.put_ledger_entries(
            refund_entries(order.id, "checkout", booked_shares(tickets), order.seller_house_id, order.collected_by), now
        )
        store.put_ledger_entries(
            donation_entries(
                order.id, "refund:checkout:donation", order.donations, order.seller_house_id, -1, order.collected_by
            ),
            now,
        )
    giftcards.give_back(order, now, booked=bool(tickets))
    _book_payment_fee(order, now)  # the provider keeps its fee on a refunded payment
    if order.payment_intent_id:  # a free order took no payment
        ports.payments().refund_payment(
            order.payment_intent_id,
            order.amount_due.cents,
            refund_idempotency_key(order.id, "checkout"),
            {"order_id": order.id, "reason": reason},
        )
    store.mark(
        order_id,
        OrderStatus.REFUNDED,
        now,
        failure_reason=reason,
        allowed_from=[OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.COMPLETED],
    )
    count("CheckoutsRefunded")
    send_refund_email(store.get_order(order_id), order.total, reason)
    return {"status": OrderStatus.REFUNDED.value, "reason": reason}


def _record_purchases(order: Order, tickets: Sequence[store.IssuedTicket], now: datetime) -> None:
    """Each house's CRM learns what its buyer bought there (pseudonymous id; none for an anonymous desk sale)."""
    genres: dict[str, str] = {}
    for house_id, customer_id in order.customer_ids.items():
        mine = [t for t in tickets if t.house_id == house_id]
        if not mine:
            continue
        performances = tuple(dict.fromkeys(t.performance_id for t in mine))
        for performance_id in performances:
            genres.setdefault(performance_id, catalog.get_performance(performance_id).genre)
        purchases.record(
            purchases.Purchase(
                house_id,
                customer_id,
                order.id,
                performances,
                tuple(sorted({genres[p] for p in performances if genres[p]})),
                len(mine),
                sum(t.price_cents for t in mine),
                order.channel,
                now,
            )
        )


def _record_bundle_sales(order: Order, now: datetime) -> None:
    """Each bundle purchase of the order, once, for the cluster report (a retried task records nothing new)."""
    groups = {
        line.bundle_group: line.bundle_id
        for line in order.lines
        if line.bundle_group and line.bundle_id and line.tariff_code != "subscription"
    }  # subscriptions are recorded below
    for group, bundle_id in sorted(groups.items()):
        quantity = reservations.get_hold(group).bundle_quantity or 1
        bundles.record_sale(bundle_id, order.id, group, quantity, order.completed_at or now)


def _record_subscriptions(order: Order, tickets: Sequence[store.IssuedTicket], now: datetime) -> None:
    """Each subscription purchase of the order gets its record and secret id, once."""
    subscriptions.record_sales(order, tickets, now)


def _book_payment_fee(order: Order, now: datetime) -> None:
    """The provider's fee for the order's payment, borne as the cluster agreed (once: a stable entry id)."""
    if not order.payment_intent_id:
        return
    agreement = settlements.get_agreement()
    entry = fee_entry(
        order.id,
        [
            SoldTicket(f"line{line.index}", line.house_id, line.performance_id, line.tariff_code, line.price)
            for line in order.lines
        ],
        order.seller_house_id,
        agreement.payment_fee(order.amount_due),
        agreement,
    )
    if entry:
        store.put_ledger_entries([entry], now)


def _cancel_uitpas_sales(order: Order, now: datetime) -> None:
    """Compensation: the UiTPAS ticket sales registered for the order's social-tariff places are cancelled."""
    if any(line.uitpas for line in order.lines):
        cancel_order_sales(order.id, now)


def _give_back_places(order: Order, now: datetime) -> None:
    hold_ids = order.hold_ids or tuple(entry["hold_id"] for entry in cart_store.get_cart(order.cart_id).entries)
    for hold_id in hold_ids:
        hold = reservations.get_hold(hold_id)
        if hold.status is HoldStatus.CONFIRMED:
            reservations.unsell_hold(hold, order.id)
        elif hold.status is HoldStatus.ACTIVE:
            try:
                reservations.release_hold(hold, now)
            except HoldNotActive:
                pass


# -- the payment provider's word -------------------------------------------------------------------
def on_payment_event(event: dict[str, Any], now: datetime) -> None:
    """Apply a (verified, first-seen) payment event to its order and wake the waiting workflow."""
    intent = event.get("data", {}).get("object", {})
    if intent.get("object") != "payment_intent":
        return
    order_id = (intent.get("metadata") or {}).get("order_id")
    if not order_id:
        return
    kind = event["type"]
    if kind == "payment_intent.succeeded":
        order = store.record_payment_outcome(order_id, "succeeded", intent.get("latest_charge"))
        if order is None:
            return
        if order.status is OrderStatus.FAILED:  # paid after the checkout gave up: give the money back
            ports.payments().refund_payment(
                intent["id"],
                int(intent["amount"]),
                refund_idempotency_key(order_id, "late"),
                {"order_id": order_id, "reason": "late_payment"},
            )
            store.mark(
                order_id, OrderStatus.REFUNDED, now, failure_reason="late_payment", allowed_from=[OrderStatus.FAILED]
            )
            count("LatePaymentsRefunded")
            return
        token = store.task_token(order_id)
        if token:
            ports.workflows().send_success(token, _paid(order))
    elif kind == "payment_intent.canceled":
        order = store.record_payment_outcome(order_id, "canceled", None)
        token = store.task_token(order_id) if order else None
        if token:
            ports.workflows().send_failure(token, "PaymentCanceled", f"payment of {order_id} was cancelled")
    elif kind == "payment_intent.payment_failed":
        error = intent.get("last_payment_error") or {}
        store.record_payment_error(order_id, error.get("decline_code") or error.get("code") or "payment_failed")
        count("PaymentFailures")


def cancel_checkout(order_id: str, session_token: str) -> Order:
    """The buyer gives up: the payment is cancelled and the workflow gives the places back.

    Before the payment exists (the order is still being priced) the wish is recorded on the order:
    the workflow ends instead of asking for a payment, or — if the payment was being created at that
    very moment — ends as soon as it parks on it.
    """
    order = own_order(order_id, session_token)
    if order.status is OrderStatus.PENDING and not order.payment_intent_id:
        if store.record_payment_outcome(order.id, "canceled", None) is None:
            return store.get_order(order_id)  # the provider's word came first
        order = store.get_order(order_id)
        token = store.task_token(order_id)
        if token:  # the workflow parked on a payment created meanwhile: the release cancels that one too
            ports.workflows().send_failure(token, "PaymentCanceled", f"payment of {order_id} was cancelled")
        return order
    if not (order.payment_intent_id and order.status is OrderStatus.AWAITING_PAYMENT):
        return order  # paid, ended, or a reservation kept at the desk: nothing to give up here
    intent = ports.payments().cancel_payment_intent(order.payment_intent_id, f"order:{order.id}:cancel")
    if intent.status == "canceled":
        on_payment_event(
            {
                "type": "payment_intent.canceled",
                "data": {"object": {"object": "payment_intent", "id": intent.id, "metadata": {"order_id": order.id}}},
            },
            ports.clock().now(),
        )
    return store.get_order(order_id)
