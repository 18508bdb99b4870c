"""Staff catalog API: houses, venues (seat maps), productions, performances and tariffs.

Every call is scoped to the caller's house (from its token), never to a house named in the URL.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.catalog import House
from ..domain.errors import FieldError, ValidationFailed
from ..domain.seatmap import parse_seatmap
from ..services import availability
from ..services import catalog as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, parse_body
from . import schemas
from .views import house_view, performance_view, production_view

catalog = Blueprint(__name__)
route = endpoint(catalog)
WRITERS = (Role.HOUSE_ADMIN,)
READERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER)


@catalog.route("/staff/houses", methods=["POST"])
@route
@staff(Role.COORDINATOR)
def create_house():
    body = parse_body(catalog.current_request, schemas.HouseBody)
    house = House(
        id=body.id,
        name=body.name,
        slug=body.id,
        website_domains=tuple(body.website_domains),
        logo_url=body.logo_url,
        brand_color=body.brand_color.lower() if body.brand_color else None,
    )
    service.create_house(house)
    return json_response(house_view(house), 201)


@catalog.route("/staff/houses", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def list_houses():
    return json_response({"houses": [house_view(house) for house in service.houses()]})


@catalog.route("/staff/house", methods=["GET"])
@route
@staff(*READERS)
def own_house():
    caller = current_staff()
    return json_response(house_view(service.house(house_of(caller))))


@catalog.route("/staff/venues", methods=["POST"])
@route
@staff(*WRITERS)
def import_venue():
    caller = current_staff()
    body = parse_body(catalog.current_request, schemas.VenueBody)
    seatmap = parse_seatmap(body.seatmap)
    venue_id = body.id or service.new_id("venue")
    service.import_venue(house_of(caller), venue_id, seatmap)
    return json_response(
        {"id": venue_id, "name": seatmap.name, "capacity": seatmap.capacity, "seated": not seatmap.is_standing}, 201
    )


@catalog.route("/staff/venues", methods=["GET"])
@route
@staff(*READERS)
def list_venues():
    caller = current_staff()
    venues = service.venues(house_of(caller))
    return json_response(
        {
            "venues": [
                {"id": v.venue_id, "name": v.name, "capacity": int(v.capacity), "seated": bool(v.seated)}
                for v in venues
            ]
        }
    )


@catalog.route("/staff/venues/{venue_id}", methods=["GET"])
@route
@staff(*READERS)
def export_venue(venue_id: str):
    """The venue with its seat map in the documented `podium.seatmap/1` format."""
    caller = current_staff()
    seatmap = service.venue_seatmap(house_of(caller), venue_id)
    return json_response({"id": venue_id, "seatmap": seatmap.to_dict()})


@catalog.route("/staff/productions", methods=["POST"])
@route
@staff(*WRITERS)
def create_production():
    caller = current_staff()
    body = parse_body(catalog.current_request, schemas.ProductionBody)
    production = service.create_production(house_of(caller), body)
    return json_response(production_view(production), 201)


@catalog.route("/staff/productions", methods=["GET"])
@route
@staff(*READERS)
def list_productions():
    caller = current_staff()
    return json_response({"productions": [production_view(p) for p in service.productions(house_of(caller))]})


@catalog.route("/staff/productions/{production_id}", methods=["GET"])
@route
@staff(*READERS)
def get_production(production_id: str):
    caller = current_staff()
    return json_response(production_view(service.production(house_of(caller), production_id)))


@catalog.route("/staff/performances", methods=["POST"])
@route
@staff(*WRITERS)
def create_performance():
    caller = current_staff()
    body = parse_body(catalog.current_request, schemas.PerformanceBody)
    performance = service.create_performance(house_of(caller), body)
    return json_response(performance_view(performance, ports.clock().now()), 201)


@catalog.route("/staff/performances", methods=["GET"])
@route
@staff(*READERS, scope="catalog:read")
def list_performances():
    caller = current_staff()
    now = ports.clock().now()
    performances = service.performances_for_staff(house_of(caller))
    summaries = availability.cached_summaries(performances, now)
    return json_response({"performances": [performance_view(p, now, summaries[p.id]) for p in performances]})


@catalog.route("/staff/performances/{performance_id}", methods=["GET"])
@route
@staff(*READERS, scope="catalog:read")
def get_performance(performance_id: str):
    caller = current_staff()
    performance = service.performance_for_staff(house_of(caller), performance_id)
    now = ports.clock().now()
    return json_response(performance_view(performance, now, availability.summary(performance, now)))


@catalog.route("/staff/performances/{performance_id}", methods=["PATCH"])
@route
@staff(*WRITERS)
def change_performance(performance_id: str):
    """Put on sale, pause or cancel a performance, or move its sales window."""
    caller = current_staff()
    body = parse_body(catalog.current_request, schemas.PerformancePatch)
    if (
        body.status is None
        and body.sales_start is None
        and body.sales_end is None
        and "waiting_room" not in body.model_fields_set
    ):
        raise ValidationFailed(
            "Nothing to change.", [FieldError("", "required", "Give status, a sales time or the waiting room.")]
        )
    performance = service.change_performance(house_of(caller), performance_id, body)
    return json_response(performance_view(performance, ports.clock().now()))
