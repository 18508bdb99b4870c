"""The settlement workflow's tasks (`settlement.asl.json`): thin handlers around `services.settlements`."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import settlements

settlement_tasks = Blueprint(__name__)


def _period(event: dict) -> str:
    logger.append_keys(correlation_id=event["period_id"], period_id=event["period_id"])
    return event["period_id"]


@settlement_tasks.lambda_function(name="settlement_gather")
def gather(event, context):
    return settlements.gather(_period(event), ports.clock().now())


@settlement_tasks.lambda_function(name="settlement_pay_house")
def pay_house(event, context):
    logger.append_keys(house_id=event["house_id"])
    return settlements.pay_house(_period(event), event["house_id"], ports.clock().now())


@settlement_tasks.lambda_function(name="settlement_close")
def close(event, context):
    return settlements.close_period(_period(event), ports.clock().now())
