"""Refunds against the services: the request, the provider's refund, the tickets voided and the places back on
sale, the ledger reversed, the buyer told and the fan-out informed — with the ports faked."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from chalicelib.domain.errors import NotRefundable, ValidationFailed
from chalicelib.domain.ledger import house_balance
from chalicelib.domain.orders import TicketStatus
from chalicelib.services import catalog, refunds
from chalicelib.store import orders as order_store

from .conftest import ADULT_CENTS, HOUSE, STANDING_CENTS
from .flows import BUYER, OTHER_SESSION, hold_seats, hold_standing, paid_order


def refund_workflow(cluster, order_id: str, refund_id: str) -> None:
    """The refund state machine's tasks, in order."""
    refunds.pay_back(order_id, refund_id)
    refunds.void_and_release(order_id, refund_id, cluster.now)
    refunds.notify(order_id, refund_id, cluster.now)


def sales_and_refunds(cluster) -> list:
    return [
        entry
        for _, entry in order_store.house_ledger(HOUSE, cluster.now + timedelta(days=1))
        if entry.kind in ("sale", "refund")
    ]


def test_a_house_refunding_one_ticket_starts_the_refund_workflow_with_its_reason(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))
    first, _ = sorted(order_store.tickets_of(order.id), key=lambda ticket: ticket.seat_id)

    refund = refunds.request_refund(HOUSE, order.id, [first.ticket_id], "customer_request", "staff", cluster.now)

    assert refund.amount_cents == ADULT_CENTS
    assert refund.reason == "customer_request"
    (execution,) = cluster.ports.workflows.started("refund")
    assert execution.name == f"{order.id}-{refund.refund_id}"
    assert execution.payload == {"order_id": order.id, "refund_id": refund.refund_id}
    statuses = {ticket.ticket_id: ticket.status for ticket in order_store.tickets_of(order.id)}
    assert statuses[first.ticket_id] is TicketStatus.REFUNDING
    assert cluster.ports.payments.refunds == []  # the money goes back in the workflow, not here


def test_an_unknown_reason_code_is_refused_before_anything_is_written(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))

    with pytest.raises(ValidationFailed) as refused:
        refunds.request_refund(HOUSE, order.id, None, "because I say so", "staff", cluster.now)

    assert [error.field for error in refused.value.errors] == ["reason_code"]
    assert cluster.ports.workflows.started("refund") == []
    assert all(ticket.status is TicketStatus.VALID for ticket in order_store.tickets_of(order.id))


def test_a_refund_pays_back_voids_the_ticket_frees_the_seat_and_balances_the_ledger(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))
    first = sorted(order_store.tickets_of(order.id), key=lambda ticket: ticket.seat_id)[0]
    refund = refunds.request_refund(HOUSE, order.id, [first.ticket_id], "customer_request", "staff", cluster.now)

    refund_workflow(cluster, order.id, refund.refund_id)

    (paid_back,) = cluster.ports.payments.refunds
    assert paid_back["amount"] == ADULT_CENTS
    assert paid_back["payment_intent"] == order.payment_intent_id
    statuses = {ticket.seat_id: ticket.status for ticket in order_store.tickets_of(order.id)}
    assert statuses == {"zaal-A-1": TicketStatus.VOID, "zaal-A-2": TicketStatus.VALID}
    assert hold_seats(cluster, "zaal-A-1", session=OTHER_SESSION).seat_ids == ("zaal-A-1",)
    assert house_balance(sales_and_refunds(cluster), HOUSE) == ADULT_CENTS  # one ticket still sold
    assert order_store.get_refund(order.id, refund.refund_id).status == "completed"


def test_the_buyer_is_mailed_and_the_fan_out_told_with_the_reason_code_only(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    refund = refunds.request_refund(
        HOUSE, order.id, None, "customer_request", "staff", cluster.now, note="Buyer An Koper phoned on Tuesday"
    )

    refund_workflow(cluster, order.id, refund.refund_id)

    (refunded,) = cluster.ports.events.of_type("TicketRefunded")
    assert refunded.id == f"TicketRefunded:{order.id}:{refund.refund_id}"
    assert refunded.detail["reason"] == "customer_request"
    assert refunded.detail["amount"] == ADULT_CENTS
    assert "Koper" not in repr(refunded.detail)  # the house's note never travels
    tickets_mail, refund_mail = cluster.ports.mail.sent
    assert refund_mail.to_address == BUYER.email
    assert refund_mail.attachments == []


def test_a_retried_pay_back_is_the_same_refund_at_the_provider(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    refund = refunds.request_refund(HOUSE, order.id, None, "customer_request", "staff", cluster.now)

    first = refunds.pay_back(order.id, refund.refund_id)
    second = refunds.pay_back(order.id, refund.refund_id)

    assert first == second
    assert cluster.ports.payments.refunded_cents() == ADULT_CENTS
    assert len(cluster.ports.payments.refunds) == 1
    assert cluster.ports.payments.calls.count("refund_payment") == 2


def test_a_ticket_is_refunded_once(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    refund = refunds.request_refund(HOUSE, order.id, None, "customer_request", "staff", cluster.now)
    refund_workflow(cluster, order.id, refund.refund_id)

    with pytest.raises(NotRefundable):
        refunds.request_refund(HOUSE, order.id, None, "customer_request", "staff", cluster.now)

    assert cluster.ports.payments.refunded_cents() == ADULT_CENTS
    assert len(cluster.ports.workflows.started("refund")) == 1


def test_a_whole_refund_leaves_the_sale_and_its_reversal_at_zero(cluster):
    order = paid_order(cluster, hold_standing(cluster, 3))
    refund = refunds.request_refund(HOUSE, order.id, None, "customer_request", "staff", cluster.now)

    refund_workflow(cluster, order.id, refund.refund_id)

    assert refund.amount_cents == 3 * STANDING_CENTS
    assert cluster.ports.payments.refunded_cents(order.payment_intent_id) == 3 * STANDING_CENTS
    assert house_balance(sales_and_refunds(cluster), HOUSE) == 0
    # every place back on sale: the club's 20 in two holds of at most 10
    assert hold_standing(cluster, 10, session=OTHER_SESSION).quantity == 10
    assert hold_standing(cluster, 10, session=OTHER_SESSION).quantity == 10


def test_cancelling_a_performance_refunds_every_order_and_announces_it_once(cluster):
    first = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    second = paid_order(
        cluster, hold_seats(cluster, "zaal-B-1", "zaal-B-2", session=OTHER_SESSION), session=OTHER_SESSION
    )
    body = SimpleNamespace(status="cancelled", sales_start=None, sales_end=None, version=None, model_fields_set=set())

    catalog.change_performance(HOUSE, cluster.seated.id, body)
    catalog.change_performance(HOUSE, cluster.seated.id, body)  # repeated: nothing more

    executions = cluster.ports.workflows.started("refund")
    assert sorted(execution.payload["order_id"] for execution in executions) == sorted([first.id, second.id])
    assert {execution.payload["refund_id"] for execution in executions} == {f"cancel-{cluster.seated.id}"}
    (cancelled,) = {event.id for event in cluster.ports.events.of_type("PerformanceCancelled")}
    assert cancelled == f"PerformanceCancelled:{cluster.seated.id}"
