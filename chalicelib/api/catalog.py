"""Staff catalog API: houses, venues (seat maps), productions, performances and tariffs.

Every call is scoped to the caller's house (from its token), never to a house named in the URL.
"""
from __future__ import annotations

from chalice import Blueprint

from ..domain.catalog import House, utcnow
from ..domain.errors import FieldError, ValidationFailed
from ..domain.seatmap import parse_seatmap
from ..services import catalog as service
from ..store import catalog as store
from . import schemas
from .auth import Role, authenticate, house_of
from .http import endpoint, json_response, parse_body
from .views import house_view, performance_view, production_view

catalog = Blueprint(__name__)
route = endpoint(catalog)
WRITERS = (Role.HOUSE_ADMIN,)
READERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER)


@catalog.route("/staff/houses", methods=["POST"])
@route
def create_house():
    authenticate(catalog.current_request, Role.COORDINATOR)
    body = parse_body(catalog.current_request, schemas.HouseBody)
    house = House(id=body.id, name=body.name, slug=body.id, website_domains=tuple(body.website_domains))
    store.create_house(house)
    return json_response(house_view(house), 201)


@catalog.route("/staff/houses", methods=["GET"])
@route
def list_houses():
    authenticate(catalog.current_request, Role.COORDINATOR)
    return json_response({"houses": [house_view(house) for house in store.list_houses()]})


@catalog.route("/staff/house", methods=["GET"])
@route
def own_house():
    staff = authenticate(catalog.current_request, *READERS)
    return json_response(house_view(store.get_house(house_of(staff))))


@catalog.route("/staff/venues", methods=["POST"])
@route
def import_venue():
    staff = authenticate(catalog.current_request, *WRITERS)
    body = parse_body(catalog.current_request, schemas.VenueBody)
    seatmap = parse_seatmap(body.seatmap)
    store.create_venue(house_of(staff), body.id, seatmap)
    return json_response({"id": body.id, "name": seatmap.name, "capacity": seatmap.capacity,
                          "seated": not seatmap.is_standing}, 201)


@catalog.route("/staff/venues", methods=["GET"])
@route
def list_venues():
    staff = authenticate(catalog.current_request, *READERS)
    venues = store.list_venues(house_of(staff))
    return json_response({"venues": [{"id": v.venue_id, "name": v.name, "capacity": int(v.capacity),
                                      "seated": bool(v.seated)} for v in venues]})


@catalog.route("/staff/venues/{venue_id}", methods=["GET"])
@route
def export_venue(venue_id: str):
    """The venue with its seat map in the documented `podium.seatmap/1` format."""
    staff = authenticate(catalog.current_request, *READERS)
    _, seatmap = store.get_venue(house_of(staff), venue_id)
    return json_response({"id": venue_id, "seatmap": seatmap.to_dict()})


@catalog.route("/staff/productions", methods=["POST"])
@route
def create_production():
    staff = authenticate(catalog.current_request, *WRITERS)
    body = parse_body(catalog.current_request, schemas.ProductionBody)
    production = service.create_production(house_of(staff), body)
    return json_response(production_view(production), 201)


@catalog.route("/staff/productions", methods=["GET"])
@route
def list_productions():
    staff = authenticate(catalog.current_request, *READERS)
    return json_response({"productions": [production_view(p) for p in store.list_productions(house_of(staff))]})


@catalog.route("/staff/productions/{production_id}", methods=["GET"])
@route
def get_production(production_id: str):
    staff = authenticate(catalog.current_request, *READERS)
    return json_response(production_view(store.get_production(house_of(staff), production_id)))


@catalog.route("/staff/performances", methods=["POST"])
@route
def create_performance():
    staff = authenticate(catalog.current_request, *WRITERS)
    body = parse_body(catalog.current_request, schemas.PerformanceBody)
    performance = service.create_performance(house_of(staff), body)
    return json_response(performance_view(performance, utcnow()), 201)


@catalog.route("/staff/performances", methods=["GET"])
@route
def list_performances():
    staff = authenticate(catalog.current_request, *READERS)
    now = utcnow()
    return json_response({"performances": [performance_view(p, now)
                                           for p in store.list_house_performances(house_of(staff))]})


@catalog.route("/staff/performances/{performance_id}", methods=["GET"])
@route
def get_performance(performance_id: str):
    staff = authenticate(catalog.current_request, *READERS)
    performance = store.get_house_performance(house_of(staff), performance_id)
    return json_response(performance_view(performance, utcnow()))


@catalog.route("/staff/performances/{performance_id}", methods=["PATCH"])
@route
def change_performance(performance_id: str):
    """Put on sale, pause or cancel a performance, or move its sales window."""
    staff = authenticate(catalog.current_request, *WRITERS)
    body = parse_body(catalog.current_request, schemas.PerformancePatch)
    if body.status is None and body.sales_start is None and body.sales_end is None:
        raise ValidationFailed("Nothing to change.", [FieldError("", "required", "Give status or a sales time.")])
    performance = service.change_performance(house_of(staff), performance_id, body)
    return json_response(performance_view(performance, utcnow()))

