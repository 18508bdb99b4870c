"""UiTPAS social tariff in the cart: a pass number per place; UiTPAS says which tariff it grants."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import logger
from ..services import uitpas as service
from ..web.auth import public_route
from ..web.http import endpoint, json_response, parse_body
from ..web.sessions import buyer_session
from . import schemas
from .views import cart_view

uitpas = Blueprint(__name__)
route = endpoint(uitpas)
PLACE_PATH = "/carts/{cart_id}/holds/{hold_id}/places/{place}/uitpas"


@uitpas.route(PLACE_PATH, methods=["PUT"])
@route
@public_route(rate_limited=True)
def apply_pass(cart_id: str, hold_id: str, place: str):
    """Give a UiTPAS number for one place (a seat id, or `standing-N`): its price becomes the social tariff."""
    now = ports.clock().now()
    logger.thread_safe_append_keys(correlation_id=cart_id)  # never the pass number: it is personal data
    body = parse_body(uitpas.current_request, schemas.UitpasPassBody)
    cart = service.apply_pass(cart_id, buyer_session(uitpas.current_request), hold_id, place, body.uitpas_number, now)
    return json_response(cart_view(cart, now))


@uitpas.route(PLACE_PATH, methods=["DELETE"])
@route
@public_route(rate_limited=True)
def remove_pass(cart_id: str, hold_id: str, place: str):
    """The place goes back to its regular price."""
    now = ports.clock().now()
    cart = service.remove_pass(cart_id, buyer_session(uitpas.current_request), hold_id, place, now)
    return json_response(cart_view(cart, now))
