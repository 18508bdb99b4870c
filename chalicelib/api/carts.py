"""Carts: one buyer session's holds across the cluster's houses, priced with their tariffs."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import carts as service
from ..web.auth import public_route
from ..web.http import endpoint, json_response, parse_body, refuse_body
from ..web.sessions import buyer_session
from . import schemas
from .views import cart_view

carts = Blueprint(__name__)
route = endpoint(carts)


@carts.route("/carts", methods=["POST"])
@route
@public_route(rate_limited=True)
def create_cart():
    refuse_body(carts.current_request)
    now = ports.clock().now()
    cart = service.create_cart(buyer_session(carts.current_request), now)
    return json_response(cart_view(cart, now), 201, headers={"Location": f"/carts/{cart.id}"})


@carts.route("/carts/{cart_id}", methods=["GET"])
@route
@public_route()
def get_cart(cart_id: str):
    now = ports.clock().now()
    return json_response(cart_view(service.view_cart(cart_id, buyer_session(carts.current_request), now), now))


@carts.route("/carts/{cart_id}/holds/{hold_id}", methods=["PUT"])
@route
@public_route(rate_limited=True)
def put_hold(cart_id: str, hold_id: str):
    """Add a hold to the cart, or change the tariffs of its places."""
    now = ports.clock().now()
    logger.thread_safe_append_keys(correlation_id=cart_id)
    session = buyer_session(carts.current_request)
    body = parse_body(carts.current_request, schemas.CartHoldBody)
    cart = service.put_hold(cart_id, session, hold_id, body.tariffs, body.tariff, now)
    return json_response(cart_view(cart, now))


@carts.route("/carts/{cart_id}/holds/{hold_id}", methods=["DELETE"])
@route
@public_route(rate_limited=True)
def remove_hold(cart_id: str, hold_id: str):
    """Take a hold out of the cart; its places go back on sale."""
    now = ports.clock().now()
    cart = service.remove_hold(cart_id, buyer_session(carts.current_request), hold_id, now)
    return json_response(cart_view(cart, now))
