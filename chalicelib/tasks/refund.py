"""The refund workflow's tasks (`refund.asl.json`): thin handlers around `services.refunds`."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import refunds

refund_tasks = Blueprint(__name__)


def _ids(event: dict) -> tuple[str, str]:
    logger.append_keys(correlation_id=event["order_id"], order_id=event["order_id"], refund_id=event["refund_id"])
    return event["order_id"], event["refund_id"]


@refund_tasks.lambda_function(name="refund_pay_back")
def pay_back(event, context):
    return refunds.pay_back(*_ids(event))


@refund_tasks.lambda_function(name="refund_void_tickets")
def void_tickets(event, context):
    return refunds.void_and_release(*_ids(event), ports.clock().now())


@refund_tasks.lambda_function(name="refund_notify")
def notify(event, context):
    return refunds.notify(*_ids(event), ports.clock().now())
