"""Holds: a buyer session claims seats or standing places for a while, or gives them back.

A buyer session is an opaque token the client keeps (header `X-Podium-Session`, made with
`POST /sessions` or by the client); a hold can only be seen or released by its own session.
"""

from __future__ import annotations

import re
import secrets

from chalice import Blueprint

from .. import ports
from ..domain.allocations import Seller
from ..observability import logger
from ..services import catalog, reservations, waiting_room
from ..services.reservations import HoldRequest
from ..web.auth import Access, Role, authorize, public_route
from ..web.http import MalformedRequest, endpoint, json_response, parse_body, refuse_body
from ..web.sessions import buyer_session
from . import schemas
from .views import hold_view

holds = Blueprint(__name__)
route = endpoint(holds)
ADMISSION_HEADER = "x-podium-admission"
QUEUE_TICKET_HEADER = "x-podium-queue-ticket"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,1000}$")


@holds.route("/sessions", methods=["POST"])
@route
@public_route(rate_limited=True)
def new_session():
    refuse_body(holds.current_request)
    return json_response({"session": secrets.token_urlsafe(24)}, 201)


@holds.route("/performances/{performance_id}/holds", methods=["POST"])
@route
@public_route(rate_limited=True)
def create_hold(performance_id: str):
    """Hold specific seats, the best N seats, or N standing places; all or nothing."""
    session = buyer_session()
    body = parse_body(holds.current_request, schemas.HoldBody)
    request = HoldRequest(
        seat_ids=tuple(body.seats or ()),
        best_available=body.best_available.count if body.best_available else 0,
        wheelchair=body.best_available.wheelchair if body.best_available else 0,
        category=body.best_available.category if body.best_available else None,
        standing=body.standing.count if body.standing else 0,
        kind="standing" if body.standing else "best_available" if body.best_available else "seats",
    )
    now = ports.clock().now()
    desk = _desk()
    hold = reservations.create_hold(
        performance_id,
        session,
        request,
        now,
        admission_token=_token(ADMISSION_HEADER),
        staff=desk is not None,
        seller=desk,
    )
    logger.thread_safe_append_keys(correlation_id=hold.id)
    seatmap = catalog.performance_seatmap(performance_id) if hold.seat_ids else None
    return json_response(hold_view(hold, seatmap, now), 201, headers={"Location": f"/holds/{hold.id}"})


def _token(header: str) -> str | None:
    value = holds.current_request.headers.get(header)
    if value is None:
        return None
    if not TOKEN_PATTERN.match(value):
        raise MalformedRequest(f"The {header} header is not a token.")
    return value


def _desk() -> Seller | None:
    """The box office holds with a staff token: it is not sent through the waiting room, and it sells
    for its own house (from that house's allocations, on another house's performance)."""
    if not holds.current_request.headers.get("authorization"):
        return None
    principal = authorize(holds.current_request, Access(roles=(Role.COORDINATOR, Role.HOUSE_ADMIN, Role.BOX_OFFICE)))
    return Seller(principal.house_id, "box_office")


@holds.route("/performances/{performance_id}/queue", methods=["POST"])
@route
@public_route(rate_limited=True)
def join_queue(performance_id: str):
    """Join the performance's waiting room: a signed queue ticket, the place in line and the wait."""
    performance = reservations.cached_performance(performance_id)
    session = buyer_session()
    if holds.current_request.raw_body:
        parse_body(holds.current_request, schemas.JoinQueueBody)  # nothing to send; anything else is refused
    return json_response(waiting_room.join_line(performance, session, ports.clock().now()), 201)


@holds.route("/performances/{performance_id}/queue", methods=["GET"])
@route
@public_route()
def place_in_queue(performance_id: str):
    """Where the queue ticket (header X-Podium-Queue-Ticket) stands; its admission once it is its turn."""
    performance = reservations.cached_performance(performance_id)
    session = buyer_session()
    ticket = _token(QUEUE_TICKET_HEADER)
    if not ticket:
        raise MalformedRequest("Send the queue ticket from joining in the X-Podium-Queue-Ticket header.")
    return json_response(waiting_room.place_in_line(performance, session, ticket, ports.clock().now()))


@holds.route("/holds/{hold_id}", methods=["GET"])
@route
@public_route()
def get_hold(hold_id: str):
    now = ports.clock().now()
    hold = reservations.get_hold(hold_id, buyer_session())
    seatmap = catalog.performance_seatmap(hold.performance_id) if hold.seat_ids else None
    return json_response(hold_view(hold, seatmap, now))


@holds.route("/holds/{hold_id}", methods=["DELETE"])
@route
@public_route(rate_limited=True)
def release_hold(hold_id: str):
    """Give the places back at once."""
    now = ports.clock().now()
    logger.thread_safe_append_keys(correlation_id=hold_id)
    hold = reservations.release_hold(hold_id, buyer_session(), now)
    return json_response({"id": hold.id, "status": "released"})
