"""Scheduled work: the sweeper that releases expired holds for good.

Availability already treats an expired hold as free; the sweeper makes it so in the table
(and returns standing places to their counters) because DynamoDB's TTL may lag by hours.
"""
from __future__ import annotations

from chalice import Blueprint, Rate

from ..domain.catalog import utcnow
from ..observability import logger
from ..services import reservations

maintenance = Blueprint(__name__)


@maintenance.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_expired_holds")
def sweep_expired_holds(event):
    released = reservations.sweep_expired_holds(utcnow())
    logger.info("sweep done", extra={"released": released})
    return {"released": released}
