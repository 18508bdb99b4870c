"""Allocations (contingents): the owning house sets seats of its performance aside for another house or a
sales channel until a return deadline; owner, holder and coordinator read how they are being sold.

Selling from an allocation needs no route of its own: the holding house's desk (staff token on the hold
route) and its hosted link (`?via=`) hold seats only from its allocations (chalicelib/domain/allocations.py).
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.allocations import Allocation, AllocationCounts
from ..services import allocations as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, parse_body, refuse_body, utc_text
from . import schemas

allocations = Blueprint(__name__)
route = endpoint(allocations)


def allocation_view(allocation: Allocation, counts: AllocationCounts | None = None) -> dict:
    view = {
        "id": allocation.id,
        "performance_id": allocation.performance_id,
        "owner_house_id": allocation.owner_house_id,
        "house_id": allocation.holder_house_id,
        "channel": allocation.channel,
        "seats": list(allocation.seat_ids),
        "places": allocation.places,
        "returns_at": utc_text(allocation.returns_at),
        "released": allocation.released,
        "recorded_returned": allocation.returned,
    }
    if counts is not None:
        view.update(counts.to_dict())
    return view


@allocations.route("/staff/performances/{performance_id}/allocations", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN)
def create_allocation(performance_id: str):
    """Set seats (or standing `places`) aside for another house (`house_id`) or a `channel` until `returns_at` → 201."""
    house_id = house_of(current_staff())
    service.own_performance(house_id, performance_id)
    body = parse_body(allocations.current_request, schemas.AllocationBody)
    allocation = service.create(
        house_id,
        performance_id,
        body.house_id,
        body.channel,
        tuple(body.seats),
        body.returns_at,
        ports.clock().now(),
        places=body.places or 0,
    )
    return json_response(
        allocation_view(allocation),
        201,
        headers={"Location": f"/staff/performances/{performance_id}/allocations/{allocation.id}"},
    )


@allocations.route("/staff/performances/{performance_id}/allocations", methods=["GET"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN, Role.BOX_OFFICE)
def distribution(performance_id: str):
    """Per allocation its size, held, sold, free, returned and deadline, with the performance's totals.

    The owner and the coordinator see every allocation; a holding house only its own."""
    caller = current_staff()
    view = service.distribution(performance_id, caller.house_id, caller.role is Role.COORDINATOR, ports.clock().now())
    return json_response({**view, "allocations": [allocation_view(a, c) for a, c in view["allocations"]]})


@allocations.route("/staff/performances/{performance_id}/allocations/{allocation_id}", methods=["PATCH"])
@route
@staff(Role.HOUSE_ADMIN)
def change_allocation(performance_id: str, allocation_id: str):
    """Add seats, give free seats back (`remove`) or move `returns_at` of a live allocation."""
    house_id = house_of(current_staff())
    service.own_allocation(house_id, performance_id, allocation_id)
    body = parse_body(allocations.current_request, schemas.AllocationPatch)
    allocation = service.change(
        house_id,
        performance_id,
        allocation_id,
        tuple(body.add),
        tuple(body.remove),
        body.returns_at,
        ports.clock().now(),
    )
    return json_response(allocation_view(allocation))


@allocations.route("/staff/performances/{performance_id}/allocations/{allocation_id}/release", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN)
def release_allocation(performance_id: str, allocation_id: str):
    """Return the allocation's unsold, unheld seats to the general sale now (its deadline becomes now)."""
    refuse_body(allocations.current_request)
    allocation = service.release(house_of(current_staff()), performance_id, allocation_id, ports.clock().now())
    return json_response(allocation_view(allocation))


@allocations.route("/staff/allocations", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE)
def my_allocations():
    """The allocations other houses gave the caller's house, soonest deadline first (what its desk sells from)."""
    now = ports.clock().now()
    return json_response(
        {
            "allocations": [
                allocation_view(a) | {"live": a.is_live(now)} for a in service.held_by(house_of(current_staff()))
            ]
        }
    )
