"""Hosted buyer pages (`/p/…`): agenda, last minute, performance with seat map, cart, checkout, pay, tickets.

Server-rendered with Jinja2 (chalicelib/web), calling the same services as the JSON API; a little
progressive JavaScript makes the seat map clickable, zoomable and operable by keyboard. The buyer
session lives in an HttpOnly cookie (`podium`: session token and cart id); forms carry a token
derived from the session, so another site cannot post them on the buyer's behalf.

A page may be opened "via" a house (`?via=house-id`): the house's hosted checkout link. It is then
branded with the house's logo and colour, the order records that house as seller, and only the
house's registered `website_domains` may frame it (`?embed=1` for the iframe version, which
reports its height to the host page by postMessage).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

from chalice import Blueprint, Response

from ..domain import errors as domain
from ..domain.allocations import Seller
from ..domain.catalog import House, utcnow
from ..domain.customers import consent_choices, validate_buyer
from ..domain.orders import OrderStatus
from ..domain.uitpas import STATUS_BY_CODE as UITPAS_CODES
from ..domain.uitpas import place_keys
from ..i18n import buyer_message, checkout_outcome, negotiate_language
from ..observability import logger
from ..domain.waiting_room import AdmissionExpired, AdmissionInvalid, AdmissionRequired, AdmissionUsed, WaitingRoomOn
from ..services import availability, carts as cart_service, checkout as checkout_service, reservations, waiting_room
from ..services.reservations import HoldRequest
from ..settings import get_settings
from .openapi import answers
from ..store import catalog as store
from ..store import orders as order_store
from ..tickets.qr import qr_svg
from ..web import rendering
from ..web.rendering import LANGUAGES, brussels_date, gettext_for, localized
from ..web.seatmaps import seat_map_for
from .auth import Access, public_route
from .http import check_url_limits, domain_problem, problem
from .limits import enforce_rate_limits

pages = Blueprint(__name__)
COOKIE = "podium"
FORM = ["application/x-www-form-urlencoded"]
STATIC_TYPES = {"pages.css": "text/css; charset=utf-8", "pages.js": "text/javascript; charset=utf-8",
                "embed.js": "text/javascript; charset=utf-8", "desk.css": "text/css; charset=utf-8",
                "desk.js": "text/javascript; charset=utf-8",  # the desk's (/staff/desk, api/desk.py)
                "pay.js": "text/javascript; charset=utf-8",  # Stripe's Payment Element on the pay page
                "preferences.js": "text/javascript; charset=utf-8"}  # hands the e-mail link's token over (api/gdpr.py)
LAST_MINUTE_HOURS = 48
# A hold the buyer can do something about: the page shows why, in their language, and stays.
HOLD_REFUSALS = (domain.SeatsUnavailable, domain.NotEnoughSeats, domain.SoldOut, domain.NotOnSale,
                 domain.HoldTooLarge, domain.ValidationFailed, WaitingRoomOn)
AGENDA_PAGE_SIZE = 30
WAIT_FOR_PAYMENT_SECONDS = 10.0  # the workflow creates the PaymentIntent within a second or two
WAIT_FOR_TICKETS_SECONDS = 10.0


class PageError(domain.DomainError):
    """A refusal only pages make (a form without its token)."""

    code = "forbidden"


class Page:
    """What every page knows about its request: language, selling house, embed mode, buyer session."""

    def __init__(self, request) -> None:
        self.request = request
        query = request.query_params or {}
        wanted = query.get("lang")
        self.language = wanted if wanted in LANGUAGES else negotiate_language(
            request.headers.get("accept-language"), get_settings().default_language)
        self.explicit_language = wanted in LANGUAGES
        self.embed = query.get("embed") == "1"
        self.via: House | None = store.get_house(query["via"]) if query.get("via") else None
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
        body = rendering.render(template, self.language, page=self, cluster=get_settings().cluster_name,
                                brand=self.brand(), **context)
        self.render_seconds += time.perf_counter() - began
        return Response(body=body, status_code=status, headers=self.headers({"Content-Type": "text/html; charset=utf-8"}))

    def redirect(self, location: str) -> Response:
        return Response(body="", status_code=303, headers=self.headers({"Location": location}))

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {"Content-Security-Policy": self.content_security_policy(), "Content-Language": self.language,
                   "Cache-Control": "no-store", "Referrer-Policy": "same-origin",
                   "X-Content-Type-Options": "nosniff", **extra}
        if self.session is not None:
            headers["Set-Cookie"] = self.cookie_header()
        return headers

    def content_security_policy(self) -> str:
        settings = get_settings()
        pay = settings.payment_api_base.rstrip("/")
        # Only the selling house's registered sites may frame its pages; other pages frame nowhere else.
        ancestors = ["'self'"]
        if self.via:
            schemes = ("https",) if settings.public_base_url.startswith("https://") else ("https", "http")
            ancestors += [f"{scheme}://{domain}" for domain in self.via.website_domains for scheme in schemes]
        # Stripe's published CSP for Stripe.js: its script, its frames (card fields, 3-D Secure) and its API.
        stripe = ["https://js.stripe.com", "https://hooks.stripe.com", "https://api.stripe.com"] \
            if self.stripe_js else []
        return "; ".join([
            "default-src 'self'", "img-src 'self' data: https:", f"style-src 'self' 'nonce-{self.nonce}'",
            " ".join(["script-src 'self'", *stripe[:1]]), " ".join(["connect-src 'self'", *stripe[2:]]),
            " ".join(["frame-src 'self'", *stripe[:2]]), "object-src 'none'", "base-uri 'none'",
            "form-action 'self'" + (f" {pay}" if pay else ""), "frame-ancestors " + " ".join(ancestors)])

    def brand(self) -> dict | None:
        if self.via is None:
            return None
        color = self.via.brand_color
        return {"name": self.via.name, "logo_url": self.via.logo_url, "color": color,
                "text": readable_text_on(color) if color else None}

    def _(self, text: str) -> str:
        return self.gettext(text)


def _queue_of(text: str) -> dict[str, str] | None:
    parts = text.split("~")
    if len(parts) != 3 or not parts[0] or not all(len(p) <= 1000 and all(c.isalnum() or c in "-_." for c in p)
                                                  for p in parts):
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

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def wants_html(request) -> bool:
    return "text/html" in (request.headers.get("accept") or "")


def page_route(path: str, methods=("GET",), blueprint: Blueprint | None = None) -> Callable:
    """A page: refusals become an HTML page for browsers and a problem document for API clients.
    Pages are public; their form posts are rate limited like the API's writes. (Another area's pages,
    like the buyer's preferences, pass their own blueprint.)"""
    blueprint = blueprint or pages
    access = Access(roles=(), house_scoped=False, rate_limited="POST" in methods)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            request = blueprint.current_request
            logger.thread_safe_clear_keys()
            try:
                check_url_limits(request, kwargs)
                if access.rate_limited:
                    enforce_rate_limits(request)
                page = Page(request)
            except domain.DomainError as error:  # an unknown ?via= house, too many posts
                return domain_problem(error, request) if not wants_html(request) else _error_page(None, request, error)
            return with_server_timing(answer(page, request, *args, **kwargs), began, page.render_seconds)

        def answer(page: Page, request, *args: Any, **kwargs: Any) -> Any:
            try:
                return view(page, *args, **kwargs)
            except domain.DomainError as error:
                if not wants_html(request):
                    return domain_problem(error, request)
                return _error_page(page, request, error)
            except Exception:
                logger.exception("unhandled error on a page")
                if not wants_html(request):
                    return problem("internal_error", "An unexpected error occurred; it has been logged.", request,
                                   status=500)
                return _error_page(page, request, None)

        wrapper.access = access  # type: ignore[attr-defined]
        kwargs = {"content_types": FORM} if "POST" in methods else {}
        blueprint.route(path, methods=list(methods), **kwargs)(wrapper)
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


def _error_page(page: Page | None, request, error: domain.DomainError | None) -> Response:
    from .http import STATUS_BY_CODE

    page = page or _bare_page(request)
    code = error.code if error else "internal_error"
    status = STATUS_BY_CODE.get(code, 400) if error else 500
    message = (buyer_message(code, page.language, seats=", ".join(getattr(error, "taken", []) or []))
               if error else None)
    if isinstance(error, domain.ValidationFailed) and any(e.code == "not_a_seller" for e in error.errors):
        # a hosted link's house (`?via=`) that may not sell the cart: say so, trying again would not help
        message = buyer_message("not_a_seller", page.language)
    response = page.html("pages/error.html", status=status, code=code, message=message)
    if isinstance(error, domain.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _bare_page(request) -> Page:
    query = dict(request.query_params or {})
    query.pop("via", None)
    request.query_params = query
    return Page(request)


def _form(page: Page) -> dict[str, list[str]]:
    raw = page.request.raw_body or b""
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise domain.ValidationFailed("The form could not be read.", [
            domain.FieldError("", "malformed_form", "Send a URL-encoded form.")]) from None
    page.check_form({name: values[-1] for name, values in fields.items()})
    return fields


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[-1].strip()


# ---------------------------------------------------------------------------------------- agenda
def _agenda_rows(page: Page, performances) -> list[dict]:
    now = utcnow()
    rows = []
    summaries = availability.cached_summaries(performances, now)
    for performance in performances:
        summary = summaries[performance.id]
        prices = [cents for tariff in performance.tariffs for cents in tariff.prices.values()]
        rows.append({"performance": performance, "title": localized(performance.title, page.language),
                     "availability": summary, "price_from": min(prices) if prices else None,
                     "day": brussels_date(performance.starts_at),
                     "url": page.url(f"/p/performances/{performance.id}")})
    return rows


def _upcoming():
    now = utcnow()
    return [p for p in store.listed_agenda() if p.starts_at > now]


@page_route("/p")
def home(page: Page):
    return page.redirect(page.url("/p/agenda"))


@page_route("/p/agenda")
def agenda(page: Page):
    """Every house's coming performances; filter by house, day and genre."""
    query = page.request.query_params or {}
    house_filter = query.get("house") or (page.via.id if page.via else "")
    genre, day = query.get("genre", ""), query.get("date", "")
    houses = {house.id: house.name for house in store.listed_houses()}
    upcoming = _upcoming()
    genres = sorted({p.genre for p in upcoming if p.genre})
    chosen = [p for p in upcoming if (not house_filter or p.house_id == house_filter)
              and (not genre or p.genre == genre) and (not day or brussels_date(p.starts_at) == day)]
    # Availability is read per performance: a page shows AGENDA_PAGE_SIZE of them, the rest on later pages.
    number = max(1, int(query["page"])) if query.get("page", "").isdigit() else 1
    shown = chosen[(number - 1) * AGENDA_PAGE_SIZE:number * AGENDA_PAGE_SIZE]
    filters = {"house": house_filter, "genre": genre, "date": day}
    pages_links = {"previous": page.url("/p/agenda", page=number - 1, **filters) if number > 1 else None,
                   "next": page.url("/p/agenda", page=number + 1, **filters)
                   if len(chosen) > number * AGENDA_PAGE_SIZE else None}
    page.ensure_session()
    return page.html("pages/agenda.html", rows=_agenda_rows(page, shown), total=len(chosen), houses=houses,
                     genres=genres, filters=filters, links=pages_links)


@page_route("/p/houses/{house_id}")
def house_page(page: Page, house_id: str):
    """A house's hosted programme: its own performances, branded, sold by the house."""
    house = store.get_house(house_id)
    page.via = house
    upcoming = _upcoming()
    rows = _agenda_rows(page, [p for p in upcoming if p.house_id == house.id])
    page.ensure_session()
    return page.html("pages/house.html", house=house, rows=rows, bundles=_bundles_with(house.id, upcoming))


def _bundles_with(house_id: str, upcoming) -> list[dict]:
    """The bundles on sale that include one of the house's coming performances (festival passes it takes part in)."""
    from ..store import bundles as bundle_store

    now = utcnow()
    own = {p.id for p in upcoming if p.house_id == house_id}
    return [{"bundle": bundle, "performances": len(bundle.components)} for bundle in bundle_store.list_bundles()
            if bundle.is_on_sale(now) and own & set(bundle.performance_ids)]


@page_route("/p/last-minute")
def last_minute(page: Page):
    """Performances of the next 48 hours that still have places, with availability kept live."""
    now = utcnow()
    until = now + timedelta(hours=LAST_MINUTE_HOURS)
    soon = [p for p in store.listed_agenda() if now < p.starts_at <= until and p.is_on_sale(now)]
    rows = [row for row in _agenda_rows(page, soon) if row["availability"]["available"] > 0]
    houses = {house.id: house.name for house in store.listed_houses()}
    page.ensure_session()
    return page.html("pages/last_minute.html", rows=rows, houses=houses,
                     window={"from": now.isoformat().replace("+00:00", "Z"),
                             "to": until.isoformat().replace("+00:00", "Z")})


# ----------------------------------------------------------------------------------- performance
def _performance_page(page: Page, performance_id: str, status: int = 200, error: str | None = None,
                      taken: list[str] | None = None):
    now = utcnow()
    performance = store.get_performance(performance_id)
    page.canonical = f"/p/performances/{performance_id}"
    # A buyer who just lost seats sees the hall as it is now; other views draw from the snapshot.
    states, summary = availability.seat_map_states(performance, now, snapshot=not taken)
    hall = store.get_performance_seatmap(performance_id)
    seatmap = seat_map_for(performance, hall, states, page.language, taken) if performance.seated else None
    house = store.get_house(performance.house_id)
    page.ensure_session()
    return page.html("pages/performance.html", status=status, performance=performance, house=house,
                     title=localized(performance.title, page.language), availability=summary,
                     seatmap=seatmap, on_sale=performance.is_on_sale(now), error=error, taken=taken or [],
                     categories=hall.categories, max_places=get_settings().max_seats_per_hold)



@page_route("/p/performances/{performance_id}")
def performance_page(page: Page, performance_id: str):
    performance = reservations.cached_performance(performance_id)
    if performance.waiting_room is not None and performance.is_on_sale(utcnow()) \
            and not page.admission_for(performance_id):
        return page.redirect(page.url(f"/p/performances/{performance_id}/queue"))
    return _performance_page(page, performance_id)


@page_route("/p/performances/{performance_id}/queue")
def queue_page(page: Page, performance_id: str):
    """The waiting room: the buyer's place in line and the estimated wait, reloading until it is their turn."""
    performance = reservations.cached_performance(performance_id)
    if performance.waiting_room is None:
        return page.redirect(page.url(f"/p/performances/{performance_id}"))
    now = utcnow()
    session = page.ensure_session()
    place = None
    if page.queue and page.queue["performance"] == performance_id and page.queue["ticket"]:
        try:
            place = waiting_room.place_in_line(performance, session, page.queue["ticket"], now)
        except (AdmissionInvalid, AdmissionExpired):
            place = None  # a stale or foreign ticket: take a new place in line
    if place is None:
        place = waiting_room.join_line(performance, session, now)
        page.queue = {"performance": performance_id, "ticket": place["queue_ticket"], "admission": ""}
    if place["admission"]:
        page.queue["admission"] = place["admission"]
    return page.html("pages/queue.html", performance=performance, title=localized(performance.title, page.language),
                     place=place, minutes=-(-place["seconds_to_wait"] // 60),
                     admission_minutes=performance.waiting_room.admission_seconds // 60,
                     request_path=f"/p/performances/{performance_id}/queue",
                     next_url=page.url(f"/p/performances/{performance_id}"))


@page_route("/p/performances/{performance_id}/holds", methods=("POST",))
def hold_places(page: Page, performance_id: str):
    """Hold the chosen seats (or the best N, or N standing places) and put them in the cart."""
    fields = _form(page)
    mode = _one(fields, "mode")
    count = _count(_one(fields, "count")) if mode in ("best", "standing") else 0
    request = HoldRequest(
        seat_ids=tuple(dict.fromkeys(v for v in fields.get("seat", []) if v)) if mode == "seats" else (),
        best_available=count if mode == "best" else 0,
        wheelchair=_count(_one(fields, "wheelchair") or "0") if mode == "best" else 0,
        category=(_one(fields, "category") or None) if mode == "best" else None,
        standing=count if mode == "standing" else 0)
    if mode == "seats" and not request.seat_ids:
        return _performance_page(page, performance_id, 422, error=page._("Choose at least one seat on the map."))
    if mode not in ("seats", "best", "standing"):
        raise domain.ValidationFailed("Unknown way of choosing.", [domain.FieldError("mode", "invalid_value",
                                                                                     "seats, best or standing")])
    now = utcnow()
    session = page.ensure_session()
    try:
        hold = reservations.create_hold(performance_id, session, request, now,
                                        admission_token=page.admission_for(performance_id),
                                        seller=Seller(page.via.id, "web") if page.via else None)
    except (AdmissionRequired, AdmissionInvalid, AdmissionExpired, AdmissionUsed):
        page.queue = None  # back in line for a new admission
        return page.redirect(page.url(f"/p/performances/{performance_id}/queue"))
    except HOLD_REFUSALS as error:
        taken = list(getattr(error, "taken", []) or [])
        message = buyer_message(error.code, page.language, seats=_seat_names(performance_id, taken, page))
        return _performance_page(page, performance_id, 409 if error.code != "validation_failed" else 422,
                                 error=message or error.detail, taken=taken)
    logger.thread_safe_append_keys(correlation_id=hold.id)
    _add_to_cart(page, hold.id, now)
    return page.redirect(page.url("/p/cart", added=hold.id))


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise domain.ValidationFailed("Give a number of places.", [
            domain.FieldError("count", "invalid_number", "A whole number.")]) from None
    if not 0 <= value <= 99:
        raise domain.ValidationFailed("Give a number of places.", [
            domain.FieldError("count", "out_of_range", "Between 1 and 99.")])
    return value


def _seat_names(performance_id: str, seat_ids: list[str], page: Page) -> str:
    if not seat_ids:
        return ""
    seatmap = store.get_performance_seatmap(performance_id)
    return ", ".join(seat_label(seatmap, seat_id, page) for seat_id in seat_ids)


def seat_label(seatmap, seat_id: str | None, page: Page) -> str:
    if seat_id is None:
        return page._("Standing place")
    seat = seatmap.seat(seat_id) if seatmap else None
    if seat is None:
        return seat_id
    section = next((localized(s.name, page.language) for s in seatmap.sections if s.id == seat.section), seat.section)
    return page._("%(section)s, row %(row)s, seat %(number)s") % {"section": section, "row": seat.row,
                                                                  "number": seat.number}


def _add_to_cart(page: Page, hold_id: str, now) -> None:
    """Put the hold in the session's open cart, starting a new cart when there is none (or it was paid)."""
    session = page.ensure_session()
    for _attempt in range(2):
        if page.cart_id is None:
            page.cart_id = cart_service.create_cart(session, now).id
        try:
            cart_service.put_hold(page.cart_id, session, hold_id, {}, None, now)
            return
        except (domain.NotFound, domain.CheckoutStarted):
            page.cart_id = None
    raise domain.Conflict("Could not put the places in a cart.")


# ----------------------------------------------------------------------------------------- bundle
def _bundle_page(page: Page, bundle_id: str, status: int = 200, error: str | None = None):
    from ..services import bundles as bundle_service
    from ..store import bundles as bundle_store

    now = utcnow()
    bundle = bundle_store.get_bundle(bundle_id)
    page.canonical = f"/p/bundles/{bundle_id}"
    performances = bundle_service.performances_of(bundle)
    view = bundle_service.availability_of(bundle, performances, now, live=True)
    parts = []
    for component in bundle.components:
        performance = performances[component.performance_id]
        categories = []
        if performance.seated:
            categories = [{"code": c.code, "name": localized(c.name, page.language)}
                          for c in store.get_performance_seatmap(performance.id).categories]
        parts.append({"performance": performance, "places": component.places,
                      "title": localized(performance.title, page.language),
                      "house": store.get_house(performance.house_id), "categories": categories,
                      "availability": view["performances"][performance.id]})
    page.ensure_session()
    return page.html("pages/bundle.html", status=status, bundle=bundle, name=localized(bundle.name, page.language),
                     parts=parts, availability=view, error=error,
                     max_bundles=max(0, min(bundle_service.MAX_BUNDLES_PER_HOLD, view["available"])))


@page_route("/p/bundles/{bundle_id}")
def bundle_page(page: Page, bundle_id: str):
    return _bundle_page(page, bundle_id)


@page_route("/p/bundles/{bundle_id}/holds", methods=("POST",))
def hold_bundle(page: Page, bundle_id: str):
    """Hold the bundle's places in every performance (best available, optionally per category) and put it in the cart."""
    from ..services import bundles as bundle_service
    from ..store import bundles as bundle_store

    fields = _form(page)
    bundle = bundle_store.get_bundle(bundle_id)
    quantity = _count(_one(fields, "quantity"))
    choices = {performance_id: bundle_service.PlaceChoice(category=_one(fields, f"category-{performance_id}") or None)
               for performance_id in bundle.performance_ids if _one(fields, f"category-{performance_id}")}
    now = utcnow()
    session = page.ensure_session()
    try:
        holds = bundle_service.hold_bundle(bundle_id, session, quantity, choices, now)
    except HOLD_REFUSALS as error:
        message = buyer_message(error.code, page.language, seats="")
        return _bundle_page(page, bundle_id, 409 if error.code != "validation_failed" else 422,
                            error=message or error.detail)
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    _add_to_cart(page, holds[0].id, now)
    return page.redirect(page.url("/p/cart", added=holds[0].id))


# ------------------------------------------------------------------------------------------- cart
def _cart(page: Page):
    if page.session is None or page.cart_id is None:
        return None
    try:
        return cart_service.view_cart(page.cart_id, page.session, utcnow())
    except domain.DomainError:
        page.cart_id = None
        return None


def cart_model(page: Page, lines, expires_at=None) -> list[dict]:
    """Cart or order lines grouped per performance (with its house), labelled for the buyer."""
    groups: dict[tuple[str, str], dict] = {}
    houses: dict[str, House] = {}
    bundles: dict[str, dict] = {}
    for line, place in zip(lines, place_keys(lines)):
        tariff_code = getattr(line, "tariff_code", None)
        if getattr(line, "bundle_group", None):
            _bundle_line(page, bundles, groups, line)
            continue
        key = (line.performance_id, line.hold_id)
        if key not in groups:
            performance = store.get_performance(line.performance_id)
            if line.house_id not in houses:
                houses[line.house_id] = store.get_house(line.house_id)
            groups[key] = {"hold_id": line.hold_id, "performance": performance, "bundle": None,
                           "title": localized(performance.title, page.language), "house": houses[line.house_id],
                           "seatmap": store.get_performance_seatmap(performance.id) if performance.seated else None,
                           "places": [], "tariff": tariff_code, "total": 0,
                           "tariffs": [{"code": t.code, "name": localized(t.name, page.language)}
                                       for t in performance.tariffs]}
        group = groups[key]
        social = getattr(line, "uitpas", None)
        group["places"].append({"label": seat_label(group["seatmap"], line.seat_id, page), "category": line.category,
                                "price": line.price.cents, "place": place,
                                "uitpas_ending": social.uitpas_number[-4:] if social else None})
        group["total"] += line.price.cents
    return list(groups.values())


def _bundle_line(page: Page, bundles: dict[str, dict], groups: dict, line) -> None:
    """A bundle purchase is one group at one price: its places are listed per performance, without prices."""
    from ..store import bundles as bundle_store

    group = groups.get(("bundle", line.bundle_group))
    if group is None:
        subscription = line.tariff_code == "subscription"  # a subscription's chosen places: its formula names it
        if subscription:
            from ..store import subscriptions as subscription_store

            bundle = bundles.get(line.bundle_id) or subscription_store.get_formula(line.bundle_id)
        else:
            bundle = bundles.get(line.bundle_id) or bundle_store.get_bundle(line.bundle_id)
        bundles[line.bundle_id] = bundle
        group = groups[("bundle", line.bundle_group)] = {
            "hold_id": line.bundle_group, "bundle": bundle, "title": localized(bundle.name, page.language),
            "places": [], "tariff": None, "tariffs": [], "total": 0, "performance": None, "seatmaps": {},
            "subscription": subscription}
    performance = store.get_performance(line.performance_id)
    seatmap = group["seatmaps"].get(performance.id)
    if performance.seated and seatmap is None:
        seatmap = group["seatmaps"][performance.id] = store.get_performance_seatmap(performance.id)
    group["places"].append({"label": seat_label(seatmap, line.seat_id, page), "category": line.category,
                            "price": None, "title": localized(performance.title, page.language),
                            "starts_at": performance.starts_at, "house": store.get_house(performance.house_id)})
    group["total"] += line.price.cents


@page_route("/p/cart")
def cart_page(page: Page):
    cart = _cart(page)
    groups = cart_model(page, cart.lines) if cart else []
    subtotals = []
    if cart:
        for house_id, subtotal in sorted(cart.subtotals().items()):
            subtotals.append({"house": store.get_house(house_id), "amount": subtotal.cents})
    page.ensure_session()
    from .offer_pages import offers_model

    query = page.request.query_params or {}
    refused = query.get("uitpas_error")
    # Only our own codes: the message is ours, never text from the query (None: the number's format).
    uitpas_error = {"place": query.get("place"), "message": buyer_message(refused, page.language)
                    if refused in UITPAS_CODES else None} if refused else None
    return page.html("pages/cart.html", cart=cart, groups=groups, subtotals=subtotals,
                     expired=bool(cart and cart.expired_hold_ids), uitpas_error=uitpas_error,
                     offers=offers_model(page, cart))


@page_route("/p/cart/holds/{hold_id}", methods=("POST",))
def change_cart_hold(page: Page, hold_id: str):
    """Change the tariff of a hold's places, or take the hold out (`action=remove`)."""
    fields = _form(page)
    now = utcnow()
    if page.cart_id is None:
        raise domain.NotFound("There is no cart.", hold_id=hold_id)
    if _one(fields, "action") == "remove":
        cart_service.remove_hold(page.cart_id, page.session, hold_id, now)
    else:
        cart_service.put_hold(page.cart_id, page.session, hold_id, {}, _one(fields, "tariff") or None, now)
    return page.redirect(page.url("/p/cart"))


@page_route("/p/cart/holds/{hold_id}/places/{place}/uitpas", methods=("POST",))
def change_place_uitpas(page: Page, hold_id: str, place: str):
    """Give a UiTPAS number for one place (its price becomes the social tariff), or take it off (`action=remove`).

    A refusal comes back to the cart, next to the place's field, in the buyer's language.
    """
    from ..services import uitpas as uitpas_service

    fields = _form(page)
    now = utcnow()
    if page.cart_id is None:
        raise domain.NotFound("There is no cart.", hold_id=hold_id)
    try:
        if _one(fields, "action") == "remove":
            uitpas_service.remove_pass(page.cart_id, page.session, hold_id, place, now)
        else:
            uitpas_service.apply_pass(page.cart_id, page.session, hold_id, place, _one(fields, "uitpas_number"), now)
    except domain.DomainError as error:
        if error.code not in UITPAS_CODES and error.code != "validation_failed":
            raise
        return page.redirect(page.url("/p/cart", uitpas_error=error.code, place=f"{hold_id}/{place}"))
    return page.redirect(page.url("/p/cart"))


# --------------------------------------------------------------------------------------- checkout
def _consent_texts(page: Page, cart) -> dict[str, str]:
    names = [store.get_house(house_id).name for house_id in cart.houses]
    house_names = page._(" and ").join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    choices = consent_choices(False, False, page.language, house_names, get_settings().cluster_name, utcnow(), "hosted")
    return {choice.kind.value: choice.wording for choice in choices}


@page_route("/p/checkout")
def checkout_page(page: Page):
    cart = _cart(page)
    if cart is None or not cart.lines:
        return page.redirect(page.url("/p/cart"))
    page.ensure_session()
    return page.html("pages/checkout.html", cart=cart, groups=cart_model(page, cart.lines),
                     consents=_consent_texts(page, cart), values={}, errors={})


@page_route("/p/checkout", methods=("POST",))
def submit_checkout(page: Page):
    """Record the buyer (with the two consents as ticked) and start paying."""
    fields = _form(page)
    cart = _cart(page)
    if cart is None or not cart.lines:
        return page.redirect(page.url("/p/cart"))
    values = {name: _one(fields, name) for name in ("name", "email", "phone", "postcode")}
    marketing, sharing = _one(fields, "marketing") == "yes", _one(fields, "sharing") == "yes"
    try:
        buyer = validate_buyer(values["name"], values["email"], values["phone"] or None, values["postcode"] or None)
    except domain.ValidationFailed as error:
        errors = {e.field.split(".")[-1]: e.code for e in error.errors}
        page.canonical = "/p/checkout"
        return page.html("pages/checkout.html", status=422, cart=cart, groups=cart_model(page, cart.lines),
                         consents=_consent_texts(page, cart), values=values, errors=errors,
                         marketing=marketing, sharing=sharing)
    order = checkout_service.start_checkout(page.cart_id, page.session, buyer, marketing, sharing, page.language,
                                            page.via.id if page.via else None, utcnow())
    logger.thread_safe_append_keys(correlation_id=order.id)
    page.cart_id = None  # the cart is frozen now: the next places go in a new one
    return page.redirect(page.url(f"/p/orders/{order.id}/pay"))


def _own_order(page: Page, order_id: str):
    if page.session is None:
        raise domain.NotFound("No such checkout.", order_id=order_id)
    return checkout_service.own_order(order_id, page.session)


def _wait(page: Page, order_id: str, done: Callable, seconds: float):
    order = _own_order(page, order_id)
    deadline = time.monotonic() + seconds
    while not done(order) and time.monotonic() < deadline:
        time.sleep(0.2)
        order = _own_order(page, order_id)
    return order


@page_route("/p/orders/{order_id}/pay")
def pay_page(page: Page, order_id: str):
    """Where the buyer pays: locally the provider's pay page; on AWS Stripe's Payment Element on this page
    (`PAYMENT_PUBLISHABLE_KEY`), which confirms the PaymentIntent and returns to the order page."""
    order = _wait(page, order_id, lambda o: o.status is not OrderStatus.PENDING, WAIT_FOR_PAYMENT_SECONDS)
    if order.status is not OrderStatus.AWAITING_PAYMENT or not order.payment_intent_id:
        if order.status is OrderStatus.PENDING:
            return page.html("pages/waiting.html", order=order, retry=page.url(f"/p/orders/{order.id}/pay"))
        return page.redirect(page.url(f"/p/orders/{order.id}"))
    settings = get_settings()
    return_url = page.absolute(page.url(f"/p/orders/{order.id}"))
    stripe = None
    if settings.payment_publishable_key and order.client_secret:
        page.stripe_js = True
        stripe = {"key": settings.payment_publishable_key, "client_secret": order.client_secret,
                  "locale": page.language, "return_url": return_url}
    elif settings.payment_api_base:  # the embedded stack's provider has a pay page of its own
        query = urlencode({"client_secret": order.client_secret, "return_url": return_url, "lang": page.language})
        return page.redirect(f"{settings.payment_api_base.rstrip('/')}/pay/{order.payment_intent_id}?{query}")
    return page.html("pages/pay.html", order=order, groups=cart_model(page, order.lines), stripe=stripe)


@page_route("/p/orders/{order_id}")
def order_page(page: Page, order_id: str):
    """The confirmation: tickets with QR codes and PDF, or why not (declined, expired …) and what next."""
    redirect_status = (page.request.query_params or {}).get("redirect_status")
    declined_now, paid_now = redirect_status == "failed", redirect_status in ("succeeded", "processing")
    finished = (OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.REFUNDED)
    # An earlier decline stays on the order until it completes: after a successful retry, wait for the tickets.
    order = _wait(page, order_id, lambda o: o.status in finished or (
        not paid_now and (declined_now or bool(o.last_payment_error))), WAIT_FOR_TICKETS_SECONDS)
    context: dict[str, Any] = {"order": order, "groups": cart_model(page, order.lines), "tickets": [],
                               "message": None}
    if order.status is OrderStatus.COMPLETED:
        tickets = [t for t in order_store.tickets_of(order.id)]
        by_performance: dict[str, list] = {}
        for ticket in tickets:
            by_performance.setdefault(ticket.performance_id, []).append(ticket)
        context["tickets"] = [{
            "performance": store.get_performance(performance_id),
            "title": localized(store.get_performance(performance_id).title, page.language),
            "pdf": page.url(f"/p/orders/{order.id}/tickets.pdf", performance=items[0].ticket_id),
            "entries": [{"ticket": t, "qr": qr_svg(t.payload, scale=3),
                       "label": t.seat_label or page._("Standing place")} for t in items]}
            for performance_id, items in by_performance.items()]
        from ..services.subscriptions import subscriptions_of

        context["subscriptions"] = subscriptions_of(order)  # their secret ids: the buyer's key to change choices
    elif order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        context["message"] = checkout_outcome(order.failure_reason or "checkout_error", page.language,
                                              places=", ".join(order.lost_places))
    elif order.status is OrderStatus.AWAITING_PAYMENT and not paid_now and (order.last_payment_error or declined_now):
        context["message"] = checkout_outcome("payment_declined", page.language)
    return page.html("pages/order.html", **context)


@page_route("/p/orders/{order_id}/cancel", methods=("POST",))
def cancel_order(page: Page, order_id: str):
    _form(page)
    if page.session is None:
        raise domain.NotFound("No such checkout.", order_id=order_id)
    checkout_service.cancel_checkout(order_id, page.session)
    return page.redirect(page.url(f"/p/orders/{order_id}"))


@page_route("/p/orders/{order_id}/tickets.pdf")
def tickets_pdf(page: Page, order_id: str):
    from ..services.ticketing import order_documents
    from ..tickets.pdf import order_pdf

    order = _own_order(page, order_id)
    if order.status is not OrderStatus.COMPLETED:
        raise domain.NotFound("This order has no tickets (yet).", order_id=order_id)
    documents = order_documents(order, page.language)
    if not documents:
        raise domain.NotFound("Every ticket of this order was refunded.", order_id=order_id)
    wanted = (page.request.query_params or {}).get("performance")
    document = next((d for d in documents if wanted and wanted in {t.ticket_id for t in d.tickets}), documents[0])
    return Response(body=order_pdf(document, page.language), status_code=200,
                    headers={"Content-Type": "application/pdf", "Cache-Control": "no-store",
                             "Content-Disposition": f'inline; filename="tickets-{order.id}.pdf"'})


# ------------------------------------------------------------------------------------ static files
@pages.route("/p/static/{name}", methods=["GET"])
@public_route()
@answers("text/css", "text/javascript")
def static_file(name: str):
    """The pages' CSS and scripts, and `embed.js` for houses' sites (a fixed list: no path from the URL)."""
    if name not in STATIC_TYPES:
        return problem("not_found", "No such file.", pages.current_request)
    body = (rendering.STATIC / name).read_text(encoding="utf-8")
    headers = {"Content-Type": STATIC_TYPES[name], "Cache-Control": "public, max-age=300",
               "X-Content-Type-Options": "nosniff"}
    if name == "embed.js":
        headers["Access-Control-Allow-Origin"] = "*"
    return Response(body=body, status_code=200, headers=headers)
