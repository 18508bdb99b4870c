"""What every hosted page shares: the request's `Page` (language, selling house, embed mode, buyer cookie, CSP),
the `page_route` declaration, form reading, the error page and seat labels.

The buyer session lives in an HttpOnly cookie (`podium`: session token and cart id, and the waiting room's
place in line); forms carry a token derived from the session, so another site cannot post them on the
buyer's behalf. A page may be opened "via" a house (`?via=house-id`): it is then branded with the house's
logo and colour, and only the house's registered `website_domains` may frame it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from chalice import Blueprint, Response

from ..domain import errors as domain
from ..domain.catalog import House
from ..domain.waiting_room import WaitingRoomOn
from ..i18n import buyer_message, negotiate_language
from ..observability import logger
from ..services import catalog
from ..settings import get_settings
from ..web.auth import Access
from ..web.http import STATUS_BY_CODE, check_url_limits, error_answer, serve_page_errors
from ..web.limits import enforce_rate_limits
from . import rendering
from .rendering import LANGUAGES, gettext_for, localized

# The buyer pages' blueprint: every family module of this package adds its routes to it.
pages = Blueprint("chalicelib.pages")
COOKIE = "podium"
FORM = ["application/x-www-form-urlencoded"]
# A hold the buyer can do something about: the page shows why, in their language, and stays.
HOLD_REFUSALS = (
    domain.SeatsUnavailable,
    domain.NotEnoughSeats,
    domain.SoldOut,
    domain.NotOnSale,
    domain.HoldTooLarge,
    domain.ValidationFailed,
    WaitingRoomOn,
)


class PageError(domain.DomainError):
    """A refusal only pages make (a form without its token)."""

    code = "forbidden"


class Page:
    """What every page knows about its request: language, selling house, embed mode, buyer session."""

    def __init__(self, request) -> None:
        self.request = request
        query = request.query_params or {}
        wanted = query.get("lang")
        self.language = (
            wanted
            if wanted in LANGUAGES
            else negotiate_language(request.headers.get("accept-language"), get_settings().default_language)
        )
        self.explicit_language = wanted in LANGUAGES
        self.embed = query.get("embed") == "1"
        self.via: House | None = catalog.house(query["via"]) if query.get("via") else None
        self.session, self.cart_id, self.queue = self._read_cookie()
        self.session_is_new = False
        self.nonce = secrets.token_urlsafe(12)
        self.gettext = gettext_for(self.language)
        self.canonical: str | None = None if request.method == "GET" else "/p/agenda"
        self.stripe_js = False  # the pay page on AWS: Stripe.js, its frames and its API are allowed
        self.render_seconds = 0.0  # time spent in templates (the Server-Timing header's `render`)

    # -- the buyer's cookie -----------------------------------------------------------------------
    def _read_cookie(self) -> tuple[str | None, str | None, dict[str, str] | None]:
        for part in (self.request.headers.get("cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                value, _, queue = value.partition("!")
                session, _, cart = value.partition(".")
                if 16 <= len(session) <= 128 and all(c.isalnum() or c in "-_" for c in session):
                    return session, (cart or None), _queue_of(queue)
        return None, None, None

    def ensure_session(self) -> str:
        if self.session is None:
            self.session = secrets.token_urlsafe(24)
            self.session_is_new = True
        return self.session

    def cookie_header(self) -> str:
        value = f"{self.session}.{self.cart_id or ''}"
        if self.queue:  # the waiting room's place in line and admission (signed; checked by the services)
            value += "!" + "~".join(self.queue.get(name, "") for name in ("performance", "ticket", "admission"))
        secure = get_settings().public_base_url.startswith("https://")
        # Inside a house's iframe (another site) a Lax cookie is not sent: there the cookie is
        # SameSite=None, Secure and Partitioned (CHIPS), which needs https; locally the test host
        # page is same-site, so Lax works.
        if self.embed and secure:
            attributes = "SameSite=None; Secure; Partitioned"
        else:
            attributes = "SameSite=Lax" + ("; Secure" if secure else "")
        return f"{COOKIE}={value}; Path=/p; HttpOnly; Max-Age=86400; {attributes}"

    def admission_for(self, performance_id: str) -> str | None:
        """The waiting-room admission this buyer collected for the performance, if any."""
        if self.queue and self.queue["performance"] == performance_id and self.queue["admission"]:
            return self.queue["admission"]
        return None

    @property
    def csrf(self) -> str:
        return form_token(self.ensure_session())

    def check_form(self, form: dict[str, str]) -> None:
        if self.session is None or not hmac.compare_digest(form.get("csrf", ""), form_token(self.session)):
            raise PageError("This form has expired; reload the page and try again.")

    # -- links --------------------------------------------------------------------------------------
    def url(self, path: str, **params: Any) -> str:
        """A link that keeps the language, the selling house and embed mode."""
        query = {"lang": self.language} if self.explicit_language else {}
        if self.via:
            query["via"] = self.via.id
        if self.embed:
            query["embed"] = "1"
        query.update({name: value for name, value in params.items() if value not in (None, "")})
        return path + ("?" + urlencode(query, doseq=True) if query else "")

    def language_url(self, language: str) -> str:
        """This page in another language (after a form post: the page the form came from)."""
        query = dict(self.request.query_params or {})
        query["lang"] = language
        path = self.canonical or (self.request.context or {}).get("path") or "/p/agenda"
        return path + "?" + urlencode(query)

    def absolute(self, path: str) -> str:
        base = get_settings().public_base_url or f"http://{self.request.headers.get('host', '127.0.0.1')}"
        return base.rstrip("/") + path

    # -- responses ----------------------------------------------------------------------------------
    def html(self, template: str, status: int = 200, **context: Any) -> Response:
        began = time.perf_counter()
        body = rendering.render(
            template, self.language, page=self, cluster=get_settings().cluster_name, brand=self.brand(), **context
        )
        self.render_seconds += time.perf_counter() - began
        return Response(
            body=body, status_code=status, headers=self.headers({"Content-Type": "text/html; charset=utf-8"})
        )

    def redirect(self, location: str) -> Response:
        return Response(body="", status_code=303, headers=self.headers({"Location": location}))

    def headers(self, extra: dict[str, str]) -> dict[str, str | list[str]]:
        headers: dict[str, str | list[str]] = {
            "Content-Security-Policy": self.content_security_policy(),
            "Content-Language": self.language,
            "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
            **extra,
        }
        if self.session is not None:
            headers["Set-Cookie"] = self.cookie_header()
        return headers

    def content_security_policy(self) -> str:
        settings = get_settings()
        # Only the selling house's registered sites may frame its pages; other pages frame nowhere else.
        ancestors = ["'self'"]
        if self.via:
            schemes = ("https",) if settings.public_base_url.startswith("https://") else ("https", "http")
            ancestors += [f"{scheme}://{domain}" for domain in self.via.website_domains for scheme in schemes]
        # Stripe's published CSP for Stripe.js: its script, its frames (card fields, 3-D Secure) and its API.
        stripe = (
            [_origin(settings.stripe_js_url), "https://hooks.stripe.com", _origin(settings.stripe_api_url)]
            if self.stripe_js
            else []
        )
        return "; ".join(
            [
                "default-src 'self'",
                "img-src 'self' data: https:",
                f"style-src 'self' 'nonce-{self.nonce}'",
                " ".join(["script-src 'self'", *stripe[:1]]),
                " ".join(["connect-src 'self'", *stripe[2:]]),
                " ".join(["frame-src 'self'", *stripe[:2]]),
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors " + " ".join(ancestors),
            ]
        )

    def brand(self) -> dict | None:
        if self.via is None:
            return None
        color = self.via.brand_color
        return {
            "name": self.via.name,
            "logo_url": self.via.logo_url,
            "color": color,
            "text": readable_text_on(color) if color else None,
        }

    def _(self, text: str) -> str:
        return self.gettext(text)


def _origin(url: str) -> str:
    """`https://js.stripe.com/v3/` → `https://js.stripe.com`: what a CSP source names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _queue_of(text: str) -> dict[str, str] | None:
    parts = text.split("~")
    if (
        len(parts) != 3
        or not parts[0]
        or not all(len(p) <= 1000 and all(c.isalnum() or c in "-_." for c in p) for p in parts)
    ):
        return None
    return {"performance": parts[0], "ticket": parts[1], "admission": parts[2]}


def form_token(session: str) -> str:
    """The token a page's forms carry: unguessable without the (HttpOnly) session cookie."""
    return hashlib.sha256(f"podium-form:{session}".encode()).hexdigest()[:32]


def readable_text_on(color: str) -> str:
    """Black or white, whichever contrasts more with a "#rrggbb" background (WCAG relative luminance)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def page_route(path: str, methods=("GET",), blueprint: Blueprint | None = None) -> Callable:
    """A page: refusals and failures become the error page for browsers and a problem document for other
    clients (`web.http.error_answer`, which knows the path as a page route). Pages are public; their form
    posts are rate limited like the API's writes. (A family with a blueprint of its own, like the preferences,
    passes it.)"""
    blueprint = blueprint or pages
    access = Access(roles=(), house_scoped=False, rate_limited="POST" in methods)
    serve_page_errors(path, error_page)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            request = blueprint.current_request
            logger.thread_safe_clear_keys()
            page = None
            try:
                check_url_limits(request, kwargs)
                if access.rate_limited:
                    enforce_rate_limits(request)
                page = Page(request)
                response = view(page, *args, **kwargs)
            except Exception as error:  # an unknown ?via= house, too many posts, any refusal or bug
                response = error_answer(error, request, page)
            return with_server_timing(response, began, page.render_seconds if page else 0.0)

        wrapper.access = access  # type: ignore[attr-defined]
        options = {"content_types": FORM} if "POST" in methods else {}
        blueprint.route(path, methods=list(methods), **options)(wrapper)
        return wrapper

    return decorate


def with_server_timing(response: Any, began: float, render_seconds: float) -> Any:
    """Say how long the page took in the function (`app`: the whole view, its reads included) and how much of
    that was the template (`render`), as a `Server-Timing` header: browsers' developer tools and
    `scripts/bench pages` read it."""
    if isinstance(response, Response):
        app = (time.perf_counter() - began) * 1000
        timing = f"app;dur={app:.1f}" + (f", render;dur={render_seconds * 1000:.1f}" if render_seconds else "")
        response.headers = {**(response.headers or {}), "Server-Timing": timing}
    return response


def error_page(request, error: domain.DomainError | None, page: Page | None = None) -> Response:
    """The error page in the buyer's language: what went wrong and what to do (`error` None: a failure of ours)."""
    page = page or _bare_page(request)
    code = error.code if error else "internal_error"
    status = STATUS_BY_CODE.get(code, 400) if error else 500
    message = buyer_message(code, page.language, seats=", ".join(getattr(error, "taken", []) or [])) if error else None
    if isinstance(error, domain.ValidationFailed) and any(e.code == "not_a_seller" for e in error.errors):
        # a hosted link's house (`?via=`) that may not sell the cart: say so, trying again would not help
        message = buyer_message("not_a_seller", page.language)
    response = page.html("pages/error.html", status=status, code=code, message=message)
    if isinstance(error, domain.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _bare_page(request) -> Page:
    """A page for a request that failed before its own was made: without the (maybe unknown) selling house."""
    query = dict(request.query_params or {})
    query.pop("via", None)
    request.query_params = query
    return Page(request)


def read_form(page: Page) -> dict[str, list[str]]:
    """The posted URL-encoded form, once its token is checked."""
    raw = page.request.raw_body or b""
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise domain.ValidationFailed(
            "The form could not be read.", [domain.FieldError("", "malformed_form", "Send a URL-encoded form.")]
        ) from None
    page.check_form({name: values[-1] for name, values in fields.items()})
    return fields


def one(fields: dict[str, list[str]], name: str) -> str:
    """A form field's (last) value, trimmed; empty when absent."""
    return (fields.get(name) or [""])[-1].strip()


def count_field(text: str) -> int:
    """A number of places typed in a form (0 to 99)."""
    try:
        value = int(text)
    except ValueError:
        raise domain.ValidationFailed(
            "Give a number of places.", [domain.FieldError("count", "invalid_number", "A whole number.")]
        ) from None
    if not 0 <= value <= 99:
        raise domain.ValidationFailed(
            "Give a number of places.", [domain.FieldError("count", "out_of_range", "Between 1 and 99.")]
        )
    return value


def seat_label(seatmap, seat_id: str | None, page: Page) -> str:
    """A seat as the buyer reads it ("Parterre, row 3, seat 12"), or a standing place."""
    if seat_id is None:
        return page._("Standing place")
    seat = seatmap.seat(seat_id) if seatmap else None
    if seat is None:
        return seat_id
    section = next((localized(s.name, page.language) for s in seatmap.sections if s.id == seat.section), seat.section)
    return page._("%(section)s, row %(row)s, seat %(number)s") % {
        "section": section,
        "row": seat.row,
        "number": seat.number,
    }
