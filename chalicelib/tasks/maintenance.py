"""Scheduled work: the sweeper that releases expired holds for good.

Availability already treats an expired hold as free; the sweeper makes it so in the table
(and returns standing places to their counters) because DynamoDB's TTL may lag by hours.
The same round records how many seats each allocation that lapsed gave back to the general sale
(the seats went back at the deadline already: the claim condition treats a lapsed allocation as general),
and takes back performance and series creates that stopped half-way, so their ids are free again.
"""

from __future__ import annotations

from chalice import Blueprint, Rate

from .. import ports
from ..observability import logger
from ..services import allocations, catalog, reservations

maintenance = Blueprint(__name__)


@maintenance.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_expired_holds")
def sweep_expired_holds(event):
    now = ports.clock().now()
    released = reservations.sweep_expired_holds(now)
    returned = allocations.sweep_lapsed(now)
    abandoned = catalog.sweep_abandoned_creates(now)
    logger.info(
        "sweep done", extra={"released": released, "allocations_returned": returned, "abandoned_creates": abandoned}
    )
    return {"released": released, "allocations_returned": returned, "abandoned_creates": abandoned}
