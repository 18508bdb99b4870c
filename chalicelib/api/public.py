"""Public buyer API: the cluster's agenda and live seat maps (no login)."""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint

from .. import ports
from ..services import availability, catalog, ticket_keys
from ..settings import get_settings
from ..web.auth import public_route
from ..web.http import date_param, endpoint, json_response, query_param
from . import openapi
from .views import performance_view

public = Blueprint(__name__)
route = endpoint(public)


def _date_param(name: str) -> datetime | None:
    return date_param(public.current_request, name)


@public.route("/agenda", methods=["GET"])
@route
@public_route()
def agenda():
    """Every house's performances (filter: house, genre, from, to) with an availability summary."""
    now = ports.clock().now()
    house = query_param(public.current_request, "house")
    genre = query_param(public.current_request, "genre")
    start, end = _date_param("from"), _date_param("to")
    chosen = catalog.agenda(house, genre, start, end)
    summaries = availability.cached_summaries(chosen, now)
    performances = [performance_view(performance, now, summaries[performance.id]) for performance in chosen]
    houses = {house.id: house.name for house in catalog.listed_houses()}
    return json_response({"cluster": get_settings().cluster_name, "houses": houses, "performances": performances})


@public.route("/performances/{performance_id}", methods=["GET"])
@route
@public_route()
def performance(performance_id: str):
    now = ports.clock().now()
    found = catalog.performance(performance_id)
    return json_response(performance_view(found, now, availability.summary(found, now)))


@public.route("/performances/{performance_id}/seats", methods=["GET"])
@route
@public_route()
def seat_map(performance_id: str):
    """The seat map with each seat's live state: free, held, sold or blocked."""
    now = ports.clock().now()
    return json_response(availability.seat_map_view(catalog.performance(performance_id), now))


@public.route("/ticket-keys", methods=["GET"])
@route
@public_route()
def ticket_keys_view():
    """The public keys that verify ticket QR codes offline (door scanners cache them), by key id."""
    return json_response(
        {"algorithm": "Ed25519", "keys": ticket_keys.public_keys()}, headers={"Cache-Control": "public, max-age=300"}
    )


@public.route("/openapi.json", methods=["GET"])
@route
@public_route()
def openapi_document():
    """This API as an OpenAPI 3.1 document (routes, access, request bodies, answers)."""
    return json_response(openapi.document(public.current_app), headers={"Cache-Control": "public, max-age=300"})
