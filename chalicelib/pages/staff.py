"""The staff's pages: the box office desk (find a performance, hold places, sell or reserve the cart, print) and
the door scanner.

The desk is rendered here (the chosen performance's seat map with the buyer pages' markup); its script
(`static/desk.js`, with `pages.js` for the seat map) asks for the staff token once (kept in the tab's
sessionStorage), holds places with the desk's own buyer session and sells with
`POST /staff/box-office/sales` or reserves with `POST /staff/box-office/reservations` (paid or cancelled from the
page's list of open reservations). Without a token the page holds nothing: every write is an API call.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import i18n, ports
from ..domain.customers import consent_choices
from ..domain.errors import NotFound
from ..services import availability, catalog
from ..settings import get_settings
from ..web.auth import public_route
from ..web.http import endpoint, language_of
from .rendering import localized, render
from .seatmaps import seat_map_for

desk = Blueprint("chalicelib.pages.staff")
route = endpoint(desk)
SEARCH_RESULTS = 30


def desk_texts(language: str) -> dict[str, str]:
    """The desk's words in `language`, by key, from the catalogue (English msgids; the desk's own words where a
    buyer's page says the same English otherwise)."""
    _ = i18n.translator(language)
    return {
        "title": _("Box office"),
        "token": _("Access code (box office)"),
        "sign_in": _("Sign in"),
        "sign_out": _("Sign out"),
        "signed_in": _("Signed in: {house}"),
        "bad_token": _("This access code does not work (box office or house admin)."),
        "search": i18n.pgettext(language, "desk", "Find a performance"),
        "search_label": _("Title, house, hall or date"),
        "search_button": _("Search"),
        "results": _("Performances"),
        "no_results": _("No performance found."),
        "free": _("{n} free"),
        "not_on_sale": _("not on sale"),
        "choose": _("Choose"),
        "own_house": _("own house"),
        "seats": _("Choose seats"),
        "map_help": _("Arrow keys move between seats; Space or Enter picks one."),
        "none_chosen": i18n.pgettext(language, "desk", "No seats chosen yet."),
        "chosen": _("Chosen: {seats}"),
        "too_many": _("At most {n} places at once."),
        "add_seats": _("Chosen seats to the cart"),
        "best": i18n.pgettext(language, "desk", "Best available"),
        "count": _("Number"),
        "category": _("Category"),
        "any_category": _("Any"),
        "add_best": _("Best seats to the cart"),
        "standing": _("Standing places"),
        "add_standing": _("To the cart"),
        "tariff": _("Tariff"),
        "cart": i18n.pgettext(language, "desk", "Cart"),
        "empty_cart": _("The cart is empty."),
        "remove": _("Remove"),
        "standing_place": _("standing"),
        "subtotal": _("Subtotal {house}"),
        "total": _("Total"),
        "expires": _("Held until {time}"),
        "pay": i18n.pgettext(language, "desk", "Payment"),
        "method": _("Paid by"),
        "cash": _("Cash"),
        "card_terminal": _("Card terminal"),
        "invoice": _("Invoice"),
        "buyer": _("Buyer (optional)"),
        "buyer_help": _("With an e-mail address the buyer also gets the tickets by e-mail."),
        "name": _("Name"),
        "email": _("E-mail address"),
        "consents": _("The buyer's choices (optional)"),
        "sell": _("Sell"),
        "sold": _("Sold: {n} tickets"),
        "tickets": _("Tickets"),
        "print": _("Print the tickets (PDF)"),
        "new_sale": _("New sale"),
        "held": _("In the cart."),
        "working": _("One moment…"),
        "error": _("That did not work"),
        "needs_js": _("The box office needs JavaScript."),
        "the_house": _("the house"),
        "and": _(" and "),
        "sign_in_first": _("Sign in first."),
        "reserve": _("Reserve, pay later"),
        "reserve_until": _("Reserved until (Brussels time)"),
        "reserve_help": _("A reservation needs the buyer's name and e-mail address."),
        "reserve_button": i18n.pgettext(language, "desk", "Reserve"),
        "reserve_needs_buyer": _("Fill in the buyer's name and e-mail address."),
        "reserve_needs_until": _("Choose until when the places stay reserved."),
        "reserved": _("Reserved for {name} until {time}."),
        "reservations": _("Open reservations"),
        "no_reservations": _("No open reservations."),
        "until": _("until {time}"),
        "paid": _("Paid:"),
        "cancel": _("Cancel"),
        "cancelled": _("Reservation of {name} cancelled."),
        "reservation_of": _("Reservation of {name}"),
        "allocations": _("Our allocations (from other houses)"),
        "no_allocations": _("No current allocations."),
        "allocation_size": _("{n} places"),
    }


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _matches(performance, text: str, houses: dict[str, str]) -> bool:
    words = text.lower().split()
    haystack = " ".join(
        [
            *performance.title.values(),
            houses.get(performance.house_id, ""),
            performance.venue_name or "",
            performance.starts_at.isoformat(),
        ]
    ).lower()
    return all(word in haystack for word in words)


@desk.route("/staff/desk", methods=["GET"])
@route
@public_route()
def desk_page():
    """The desk (`?q=` finds performances without the script, `?performance=` shows one to sell from)."""
    request = desk.current_request
    language = language_of(request)
    texts = desk_texts(language)
    params: dict[str, str] = dict(request.query_params or {})
    query, performance_id = params.get("q", "").strip()[:100], params.get("performance", "").strip()[:100]
    now = ports.clock().now()
    houses = {house.id: house.name for house in catalog.houses()}
    results = []
    if query:
        upcoming = [p for p in catalog.agenda() if p.starts_at >= now]
        results = [
            {
                "id": p.id,
                "title": localized(p.title, language),
                "house": houses.get(p.house_id, p.house_id),
                "starts_at": p.starts_at,
                "on_sale": p.is_on_sale(now),
            }
            for p in upcoming
            if _matches(p, query, houses)
        ][:SEARCH_RESULTS]
    chosen = None
    if performance_id:
        try:
            performance = catalog.performance(performance_id)
        except NotFound:
            performance = None
        if performance is not None:
            states, summary = availability.seat_map_states(performance, now)  # the desk sees seats live
            chosen = {
                "performance": performance,
                "title": localized(performance.title, language),
                "house": houses.get(performance.house_id, performance.house_id),
                "availability": summary,
                "on_sale": performance.is_on_sale(now),
                "tariffs": [
                    {"code": t.code, "name": localized(t.name, language) or t.code} for t in performance.tariffs
                ],
                "seatmap": seat_map_for(performance, catalog.performance_seatmap(performance.id), states, language)
                if performance.seated
                else None,
            }
    settings = get_settings()
    consents = {
        choice.kind.value: choice.wording
        for choice in consent_choices(
            False, False, language, "{house}", settings.cluster_name, now, "box_office", translate=i18n.gettext
        )
    }
    body = render(
        "staff/desk.html",
        language,
        t=texts,
        query=query,
        results=results,
        chosen=chosen,
        consents=consents,
        cluster=settings.cluster_name,
        taken=[],
        max_places=settings.max_seats_per_hold,
    )
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Language": language,
            "Cache-Control": "no-store",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def scanner_texts(language: str) -> dict[str, str]:
    """The scanner page's words in `language`, by key, from the catalogue (English msgids)."""
    _ = i18n.translator(language)
    return {
        "title": _("Scan tickets"),
        "token": _("Access code (scanner)"),
        "performance": _("Performance (id)"),
        "gate": _("Gate"),
        "main_gate": _("main entrance"),
        "start": _("Start"),
        "code": _("Code (or scan with the camera)"),
        "check": _("Check"),
        "welcome": _("Welcome"),
        "in_hall": _("{n} inside"),
        "queued": _("{n} scans waiting for the network"),
        "already": _("Already scanned at {at} at {gate}"),
        "refused": _("Refused"),
        "offline_ok": _("Valid — kept until the network is back"),
        "not_ticket": _("Not a ticket"),
        "unknown_key": _("Unknown signing key"),
        "forged": _("Forged ticket"),
        "other_performance": _("Ticket for another performance"),
        "expired": _("Ticket not valid now"),
    }


@desk.route("/staff/scanner", methods=["GET"])
@route
@public_route()
def scanner_page():
    """The door scanner page (camera where the browser has one, manual entry otherwise); its API calls carry
    the scanner's token, which the page asks for and keeps in memory only."""
    language = language_of(desk.current_request)
    page = render("staff/scanner.html", language, t=scanner_texts(language))
    return Response(
        body=page,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline' 'self'; "
            "style-src 'unsafe-inline'; media-src 'self' blob:; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), usb=()",
        },
    )
