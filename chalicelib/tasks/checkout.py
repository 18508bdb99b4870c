"""The checkout workflow's tasks: thin Lambda handlers around `services.checkout`.

Each is one Task of `checkout.asl.json`. A Python exception reaches the state machine as its
class name (`SeatsLost`, `PaymentCanceled`, `PaymentProviderUnavailable` …) for Retry and Catch.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import checkout, uitpas

workflow_tasks = Blueprint(__name__)


def _order_id(event: dict) -> str:
    order_id = event["order_id"]
    logger.append_keys(correlation_id=order_id, order_id=order_id)
    return order_id


def _error_name(event: dict) -> str:
    return (event.get("error") or {}).get("Error", "")


@workflow_tasks.lambda_function(name="checkout_price")
def price(event, context):
    return checkout.price_order(_order_id(event), event.get("payment_grace_seconds"), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_register_uitpas")
def register_uitpas(event, context):
    return uitpas.register_order_sales(_order_id(event), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_create_payment")
def create_payment(event, context):
    return checkout.create_payment(_order_id(event))


@workflow_tasks.lambda_function(name="checkout_await_payment")
def await_payment(event, context):
    return checkout.await_payment(_order_id(event), event["task_token"])


@workflow_tasks.lambda_function(name="checkout_confirm_seats")
def confirm_seats(event, context):
    return checkout.confirm_seats(_order_id(event), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_issue_tickets")
def issue_tickets(event, context):
    return checkout.issue_tickets(_order_id(event), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_email_tickets")
def email_tickets(event, context):
    return checkout.email_tickets(_order_id(event))


@workflow_tasks.lambda_function(name="checkout_publish_order")
def publish_order(event, context):
    return checkout.publish_order_placed(_order_id(event), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_release")
def release(event, context):
    return checkout.release_checkout(_order_id(event), _error_name(event), ports.clock().now())


@workflow_tasks.lambda_function(name="checkout_refund")
def refund(event, context):
    return checkout.refund_checkout(_order_id(event), _error_name(event), ports.clock().now())
