"""The erasure workflow's tasks (`erasure.asl.json`): thin handlers around `services.buyers`.

Their input and output are the buyer id, the erasure id and counts: no personal data reaches the
execution history or the logs.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import buyers

erasure_tasks = Blueprint(__name__)


def _ids(event: dict) -> tuple[str, str]:
    logger.append_keys(correlation_id=event["erasure_id"], erasure_id=event["erasure_id"])
    return event["buyer_id"], event["erasure_id"]


@erasure_tasks.lambda_function(name="erasure_pseudonymise")
def pseudonymise(event, context):
    buyer_id, _ = _ids(event)
    return buyers.pseudonymise(buyer_id)


@erasure_tasks.lambda_function(name="erasure_forget")
def forget(event, context):
    buyer_id, _ = _ids(event)
    return buyers.forget(buyer_id)


@erasure_tasks.lambda_function(name="erasure_complete")
def complete(event, context):
    buyer_id, erasure = _ids(event)
    return buyers.complete(
        buyer_id, erasure, {**event.get("pseudonymised", {}), **event.get("forgotten", {})}, ports.clock().now()
    )
