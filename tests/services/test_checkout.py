"""Checkout against the services: hold → cart → checkout → payment → tickets, with the ports faked."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.holds import HoldStatus
from chalicelib.domain.ledger import house_balance
from chalicelib.domain.orders import OrderStatus, SeatsLost
from chalicelib.ports import EmailNotSent, InvalidSignature, PaymentProviderUnavailable
from chalicelib.services import checkout, payment_webhooks
from chalicelib.services.reservations import get_hold, sweep_expired_holds
from chalicelib.store import orders as order_store
from tests.fakes import VALID_SIGNATURE

from .conftest import ADULT_CENTS, HOUSE
from .flows import (
    BUYER,
    OTHER_SESSION,
    SESSION,
    cart_with,
    hold_seats,
    paid_order,
    run_until_payment,
    start_checkout,
    token_of,
)


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


def test_a_provider_outage_fails_the_step_and_its_retry_makes_one_payment(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    checkout.price_order(order.id, None, cluster.now)
    cluster.ports.payments.fail_next()

    with pytest.raises(PaymentProviderUnavailable):  # the state machine retries on this name
        checkout.create_payment(order.id)
    intent_id = checkout.create_payment(order.id)["payment_intent_id"]

    assert list(cluster.ports.payments.intents) == [intent_id]
    assert order_store.get_order(order.id).payment_intent_id == intent_id


def test_a_repeated_payment_webhook_is_applied_once(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    event = cluster.ports.payments.pay(run_until_payment(cluster, order.id))
    body = json.dumps(event).encode()

    first, first_time = payment_webhooks.receive(body, VALID_SIGNATURE, cluster.now)
    _, second_time = payment_webhooks.receive(body, VALID_SIGNATURE, cluster.now)

    assert first["id"] == event["id"]
    assert (first_time, second_time) == (True, False)
    assert list(cluster.ports.workflows.successes) == [token_of(order.id)]
    assert order_store.get_order(order.id).payment_status == "succeeded"


def test_a_webhook_with_a_wrong_signature_changes_nothing(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    event = cluster.ports.payments.pay(run_until_payment(cluster, order.id))

    with pytest.raises(InvalidSignature):
        payment_webhooks.receive(json.dumps(event).encode(), "t=1,v1=Zq8xW3vR7kP2", cluster.now)

    assert order_store.get_order(order.id).payment_status != "succeeded"
    assert cluster.ports.workflows.successes == {}


def test_retried_ticket_tasks_issue_mail_and_announce_once(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))

    checkout.issue_tickets(order.id, cluster.now)  # Step Functions runs a task again after a lost answer
    checkout.email_tickets(order.id)
    checkout.publish_order_placed(order.id, cluster.now)

    assert len(order_store.tickets_of(order.id)) == 2
    assert len(cluster.ports.mail.sent) == 1
    # the event is published again under the same id: consumers apply it once
    assert {event.id for event in cluster.ports.events.of_type("OrderPlaced")} == {f"OrderPlaced:{order.id}"}
    entries = [
        entry for _, entry in order_store.house_ledger(HOUSE, cluster.now + timedelta(days=1)) if entry.kind == "sale"
    ]
    assert house_balance(entries, HOUSE) == 2 * ADULT_CENTS


def test_the_buyer_cancelling_before_paying_cancels_the_payment_and_frees_the_seats(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    intent_id = run_until_payment(cluster, order.id)

    cancelled = checkout.cancel_checkout(order.id, SESSION)
    error, _ = cluster.ports.workflows.failures[token_of(order.id)]
    checkout.release_checkout(order.id, error, cluster.now)  # the workflow's Catch

    assert cluster.ports.payments.intents[intent_id].status == "canceled"
    assert cancelled.payment_status == "canceled"
    assert error == "PaymentCanceled"
    assert order_store.get_order(order.id).failure_reason == "payment_canceled"
    assert hold_seats(cluster, "zaal-A-1", session=OTHER_SESSION).seat_ids == ("zaal-A-1",)


def test_a_payment_that_times_out_releases_the_order_and_its_seats(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2")))
    intent_id = run_until_payment(cluster, order.id)
    cluster.ports.clock.advance(minutes=20)

    result = checkout.release_checkout(order.id, "States.Timeout", cluster.now)

    assert result["reason"] == "payment_timeout"
    released = order_store.get_order(order.id)
    assert released.status is OrderStatus.FAILED
    assert released.failure_reason == "payment_timeout"
    assert cluster.ports.payments.intents[intent_id].status == "canceled"
    assert cluster.ports.payments.refunds == []
    assert hold_seats(cluster, "zaal-A-1", "zaal-A-2", session=OTHER_SESSION).quantity == 2


def test_a_payment_arriving_after_the_checkout_gave_up_is_refunded_whole(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    intent_id = run_until_payment(cluster, order.id)
    checkout.release_checkout(order.id, "States.Timeout", cluster.now)
    cluster.ports.payments.intents[intent_id] = replace(
        cluster.ports.payments.intents[intent_id], status="requires_payment_method"
    )  # the buyer paid anyway

    checkout.on_payment_event(cluster.ports.payments.pay(intent_id), cluster.now)

    (refund,) = cluster.ports.payments.refunds
    assert (refund["payment_intent"], refund["amount"]) == (intent_id, ADULT_CENTS)
    assert refund["metadata"]["reason"] == "late_payment"
    assert order_store.get_order(order.id).status is OrderStatus.REFUNDED


def test_a_declined_card_is_recorded_and_the_workflow_keeps_waiting(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    intent_id = run_until_payment(cluster, order.id)
    payments = cluster.ports.payments
    event = payments.event("payment_intent.payment_failed", payments.intents[intent_id])
    event["data"]["object"]["last_payment_error"] = {"code": "card_declined", "decline_code": "insufficient_funds"}

    checkout.on_payment_event(event, cluster.now)

    assert order_store.get_order(order.id).last_payment_error == "insufficient_funds"
    assert cluster.ports.workflows.successes == {} and cluster.ports.workflows.failures == {}


def test_seats_lost_while_paying_late_are_refunded_and_the_other_buyer_keeps_them(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    intent_id = run_until_payment(cluster, order.id)
    cluster.ports.clock.advance(minutes=16)  # the hold lapsed …
    sweep_expired_holds(cluster.now)
    other = hold_seats(cluster, "zaal-A-1", session=OTHER_SESSION)  # … and someone else took the seat
    checkout.on_payment_event(cluster.ports.payments.pay(intent_id), cluster.now)

    with pytest.raises(SeatsLost):
        checkout.confirm_seats(order.id, cluster.now)
    result = checkout.refund_checkout(order.id, "SeatsLost", cluster.now)

    assert result == {"status": "refunded", "reason": "seats_lost"}
    assert cluster.ports.payments.refunded_cents(intent_id) == ADULT_CENTS
    assert get_hold(other.id, OTHER_SESSION).status is HoldStatus.ACTIVE
    assert order_store.tickets_of(order.id) == []
    (mail,) = cluster.ports.mail.sent  # the refund notice, not tickets
    assert mail.attachments == []


def test_a_refused_ticket_mail_fails_the_task_and_its_retry_sends_it(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    checkout.on_payment_event(cluster.ports.payments.pay(run_until_payment(cluster, order.id)), cluster.now)
    checkout.confirm_seats(order.id, cluster.now)
    checkout.issue_tickets(order.id, cluster.now)
    cluster.ports.mail.refuse_next("Throttling")

    with pytest.raises(EmailNotSent) as refused:
        checkout.email_tickets(order.id)
    checkout.email_tickets(order.id)

    assert refused.value.code == "Throttling"
    assert [mail.to_address for mail in cluster.ports.mail.sent] == [BUYER.email]
