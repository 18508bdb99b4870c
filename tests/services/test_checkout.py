"""Checkout against the services: hold → cart → checkout → payment → tickets, with the ports faked."""
from __future__ import annotations

from chalicelib.domain.orders import OrderStatus
from chalicelib.services import checkout
from chalicelib.store import orders as order_store

from .conftest import ADULT_CENTS
from .flows import BUYER, cart_with, hold_seats, paid_order, run_until_payment, start_checkout, token_of


def test_starting_a_checkout_starts_its_workflow_once_per_order(cluster):
    cart_id = cart_with(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))

    order = start_checkout(cluster, cart_id)
    again = start_checkout(cluster, cart_id)

    assert again.id == order.id
    (execution,) = cluster.ports.workflows.started("checkout")
    assert execution.name == order.id
    assert execution.payload["order_id"] == order.id
    assert order.status is OrderStatus.PENDING


def test_the_payment_intent_is_for_the_orders_total_and_made_once(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2")))

    intent_id = run_until_payment(cluster, order.id)
    assert checkout.create_payment(order.id)["payment_intent_id"] == intent_id  # a retried task

    payments = cluster.ports.payments
    assert list(payments.intents) == [intent_id]
    assert payments.intents[intent_id].amount == 2 * ADULT_CENTS
    assert payments.metadata[intent_id] == {"order_id": order.id}


def test_a_paid_order_gets_its_tickets_by_mail_and_is_announced(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))

    assert order.status is OrderStatus.COMPLETED
    tickets = order_store.tickets_of(order.id)
    assert sorted(ticket.seat_id for ticket in tickets) == ["zaal-A-1", "zaal-A-2"]
    (mail,) = cluster.ports.mail.sent
    assert mail.to_address == BUYER.email
    assert order.id in mail.subject
    assert len(mail.attachments) == 1
    (placed,) = cluster.ports.events.of_type("OrderPlaced")
    assert placed.id == f"OrderPlaced:{order.id}"
    assert placed.detail["total"] == 2 * ADULT_CENTS
    assert BUYER.email not in repr(placed.detail)  # events carry no personal data
    assert cluster.ports.workflows.successes[token_of(order.id)]["status"] == "succeeded"
