"""A buyer session: an opaque token the client keeps (header `X-Podium-Session`, made with `POST /sessions`
or by the client), or the hosted pages' cookie. Holds, carts and checkouts are seen only by their own session."""

from __future__ import annotations

import re

from chalice.app import Request

from .http import MalformedRequest, current_request

SESSION_HEADER = "x-podium-session"
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
PAGE_COOKIE = "podium"  # the hosted pages' cookie: `session.cart`


def buyer_session(request: Request | None = None) -> str:
    """The buyer session token of the request (header X-Podium-Session)."""
    token = (request or current_request()).headers.get(SESSION_HEADER, "")
    if not SESSION_PATTERN.match(token):
        raise MalformedRequest(
            "Send the buyer session in the X-Podium-Session header (16-128 letters, digits, - or _)."
        )
    return token


def buyer_session_of(request: Request) -> str | None:
    """The buyer session the request names (header or the pages' cookie), if any."""
    session = request.headers.get(SESSION_HEADER, "")
    if SESSION_PATTERN.match(session):
        return session
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        session = value.partition(".")[0]
        if name == PAGE_COOKIE and SESSION_PATTERN.match(session):
            return session
    return None
