"""Holds: a buyer session claims seats or standing places for a while, or gives them back.

A buyer session is an opaque token the client keeps (header `X-Podium-Session`, made with
`POST /sessions` or by the client); a hold can only be seen or released by its own session.
"""
from __future__ import annotations

import re
import secrets

from chalice import Blueprint

from ..domain.catalog import utcnow
from ..services import reservations
from ..services.reservations import HoldRequest
from ..store import catalog as store
from ..observability import logger
from . import schemas
from .http import MalformedRequest, endpoint, json_response, parse_body
from .views import hold_view

holds = Blueprint(__name__)
route = endpoint(holds)
SESSION_HEADER = "x-podium-session"
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def buyer_session(request=None) -> str:
    """The buyer session token of the request (header X-Podium-Session)."""
    token = (request or holds.current_request).headers.get(SESSION_HEADER, "")
    if not SESSION_PATTERN.match(token):
        raise MalformedRequest("Send the buyer session in the X-Podium-Session header (16-128 letters, digits, - or _).")
    return token


@holds.route("/sessions", methods=["POST"])
@route
def new_session():
    return json_response({"session": secrets.token_urlsafe(24)}, 201)


@holds.route("/performances/{performance_id}/holds", methods=["POST"])
@route
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
    )
    now = utcnow()
    hold = reservations.create_hold(performance_id, session, request, now)
    logger.thread_safe_append_keys(correlation_id=hold.id)
    seatmap = store.get_performance_seatmap(performance_id) if hold.seat_ids else None
    return json_response(hold_view(hold, seatmap, now), 201, headers={"Location": f"/holds/{hold.id}"})


@holds.route("/holds/{hold_id}", methods=["GET"])
@route
def get_hold(hold_id: str):
    now = utcnow()
    hold = reservations.get_hold(hold_id, buyer_session())
    seatmap = store.get_performance_seatmap(hold.performance_id) if hold.seat_ids else None
    return json_response(hold_view(hold, seatmap, now))


@holds.route("/holds/{hold_id}", methods=["DELETE"])
@route
def release_hold(hold_id: str):
    """Give the places back at once."""
    now = utcnow()
    logger.thread_safe_append_keys(correlation_id=hold_id)
    hold = reservations.release_hold(hold_id, buyer_session(), now)
    return json_response({"id": hold.id, "status": "released"})
