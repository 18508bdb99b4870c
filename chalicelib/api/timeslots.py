"""Timed entry: a house's series of time slots, each slot a standing performance with its own capacity.

Buyers hold places in a slot with `POST /performances/{slot performance id}/holds` (standing) and
check out as for any performance; this blueprint creates series and lists their slots.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..services import timeslots as service
from ..web.auth import Role, current_staff, house_of, public_route, staff
from ..web.http import brussels_text, endpoint, json_response, parse_body, utc_text
from . import schemas

timeslots = Blueprint(__name__)
route = endpoint(timeslots)


def series_view(series, now) -> dict:
    slots = []
    for slot, performance, summary in service.slots_with_availability(series, now):
        slots.append(
            {
                "performance_id": slot.performance_id,
                "starts_at": utc_text(slot.starts_at),
                "ends_at": utc_text(slot.ends_at),
                "starts_at_local": brussels_text(slot.starts_at),
                "ends_at_local": brussels_text(slot.ends_at),
                "capacity": slot.capacity,
                "available": summary["available"],
                "level": summary["level"],
                "on_sale": performance.is_on_sale(now),
                "status": performance.status.value,
            }
        )
    first = service.first_performance(series)
    return {
        "id": series.id,
        "house_id": series.house_id,
        "production_id": series.production_id,
        "venue_id": series.venue_id,
        "title": first.title,
        "venue_name": first.venue_name,
        "tariffs": [
            {
                "code": t.code,
                "name": t.name,
                "prices": {c: {"amount": cents, "currency": first.currency} for c, cents in t.prices.items()},
            }
            for t in first.tariffs
        ],
        "slots": slots,
    }


@timeslots.route("/staff/timeslots", methods=["POST"])
@route
@staff(Role.HOUSE_ADMIN)
def create_series():
    """A series of time slots (one standing performance per slot, with the slot's capacity)."""
    caller = current_staff()
    now = ports.clock().now()
    body = parse_body(timeslots.current_request, schemas.TimeslotSeriesBody)
    series = service.create_series(house_of(caller), body, now)
    return json_response(series_view(series, now), 201, headers={"Location": f"/timeslots/{series.id}"})


@timeslots.route("/staff/timeslots/{series_id}", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER, scope="catalog:read")
def get_house_series(series_id: str):
    caller = current_staff()
    return json_response(series_view(service.series_of_house(house_of(caller), series_id), ports.clock().now()))


@timeslots.route("/timeslots/{series_id}", methods=["GET"])
@route
@public_route()
def get_series(series_id: str):
    """The slots with their live availability (a buyer picks one and holds places in it)."""
    return json_response(series_view(service.get_series(series_id), ports.clock().now()))
