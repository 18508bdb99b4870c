"""The pages' CSS and scripts, and `embed.js` for houses' sites (`/p/static/{name}`)."""

from __future__ import annotations

from chalice import Response

from ..web.auth import public_route
from ..web.http import answers, problem
from .rendering import STATIC
from .shared import pages

STATIC_TYPES = {
    "pages.css": "text/css; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "embed.js": "text/javascript; charset=utf-8",
    "desk.css": "text/css; charset=utf-8",
    "desk.js": "text/javascript; charset=utf-8",  # the desk's (/staff/desk, pages/staff.py)
    "pay.js": "text/javascript; charset=utf-8",  # Stripe's Payment Element on the pay page
    # hands the e-mail link's token over (preferences.py)
    "preferences.js": "text/javascript; charset=utf-8",
}


@pages.route("/p/static/{name}", methods=["GET"])
@public_route()
@answers("text/css", "text/javascript")
def static_file(name: str):
    """The pages' CSS and scripts, and `embed.js` for houses' sites (a fixed list: no path from the URL)."""
    if name not in STATIC_TYPES:
        return problem("not_found", "No such file.", pages.current_request)
    body = (STATIC / name).read_text(encoding="utf-8")
    headers: dict[str, str | list[str]] = {
        "Content-Type": STATIC_TYPES[name],
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if name == "embed.js":
        headers["Access-Control-Allow-Origin"] = "*"
    return Response(body=body, status_code=200, headers=headers)
