"""The cart page: the held places grouped per performance (or per bundle and subscription), their tariffs, a
UiTPAS number per place, and the cart's discount code and donations (`offers.py`)."""

from __future__ import annotations

from .. import ports
from ..domain import errors as domain
from ..domain.bundles import Bundle
from ..domain.catalog import House
from ..domain.subscriptions import SubscriptionFormula
from ..domain.uitpas import STATUS_BY_CODE as UITPAS_CODES
from ..domain.uitpas import place_keys
from ..i18n import buyer_message
from ..services import bundles, catalog, subscriptions, uitpas
from ..services import carts as cart_service
from .offers import offers_model
from .rendering import localized
from .shared import Page, one, page_route, read_form, seat_label


def open_cart(page: Page):
    """The buyer's open cart, or None (none yet, expired, or paid: the cookie then forgets it)."""
    if page.session is None or page.cart_id is None:
        return None
    try:
        return cart_service.view_cart(page.cart_id, page.ensure_session(), ports.clock().now())
    except domain.DomainError:
        page.cart_id = None
        return None


def add_to_cart(page: Page, hold_id: str, now) -> None:
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


def cart_model(page: Page, lines) -> list[dict]:
    """Cart or order lines grouped per performance (with its house), labelled for the buyer."""
    groups: dict[tuple[str, str], dict] = {}
    houses: dict[str, House] = {}
    offers: dict[str, Bundle | SubscriptionFormula] = {}
    for line, place in zip(lines, place_keys(lines)):
        tariff_code = getattr(line, "tariff_code", None)
        if getattr(line, "bundle_group", None):
            _bundle_line(page, offers, groups, line)
            continue
        key = (line.performance_id, line.hold_id)
        if key not in groups:
            performance = catalog.performance(line.performance_id)
            if line.house_id not in houses:
                houses[line.house_id] = catalog.house(line.house_id)
            groups[key] = {
                "hold_id": line.hold_id,
                "performance": performance,
                "bundle": None,
                "title": localized(performance.title, page.language),
                "house": houses[line.house_id],
                "seatmap": catalog.performance_seatmap(performance.id) if performance.seated else None,
                "places": [],
                "tariff": tariff_code,
                "total": 0,
                "tariffs": [{"code": t.code, "name": localized(t.name, page.language)} for t in performance.tariffs],
            }
        group = groups[key]
        social = getattr(line, "uitpas", None)
        group["places"].append(
            {
                "label": seat_label(group["seatmap"], line.seat_id, page),
                "category": line.category,
                "price": line.price.cents,
                "place": place,
                "uitpas_ending": social.uitpas_number[-4:] if social else None,
            }
        )
        group["total"] += line.price.cents
    return list(groups.values())


def _bundle_line(page: Page, offers: dict[str, Bundle | SubscriptionFormula], groups: dict, line) -> None:
    """A bundle purchase is one group at one price: its places are listed per performance, without prices."""
    group = groups.get(("bundle", line.bundle_group))
    if group is None:
        subscription = line.tariff_code == "subscription"  # a subscription's chosen places: its formula names it
        offer = offers.get(line.bundle_id) or (
            subscriptions.get_formula(line.bundle_id) if subscription else bundles.get_bundle(line.bundle_id)
        )
        offers[line.bundle_id] = offer
        group = groups[("bundle", line.bundle_group)] = {
            "hold_id": line.bundle_group,
            "bundle": offer,
            "title": localized(offer.name, page.language),
            "places": [],
            "tariff": None,
            "tariffs": [],
            "total": 0,
            "performance": None,
            "seatmaps": {},
            "subscription": subscription,
        }
    performance = catalog.performance(line.performance_id)
    seatmap = group["seatmaps"].get(performance.id)
    if performance.seated and seatmap is None:
        seatmap = group["seatmaps"][performance.id] = catalog.performance_seatmap(performance.id)
    group["places"].append(
        {
            "label": seat_label(seatmap, line.seat_id, page),
            "category": line.category,
            "price": None,
            "title": localized(performance.title, page.language),
            "starts_at": performance.starts_at,
            "house": catalog.house(performance.house_id),
        }
    )
    group["total"] += line.price.cents


@page_route("/p/cart")
def cart_page(page: Page):
    cart = open_cart(page)
    groups = cart_model(page, cart.lines) if cart else []
    subtotals = []
    if cart:
        for house_id, subtotal in sorted(cart.subtotals().items()):
            subtotals.append({"house": catalog.house(house_id), "amount": subtotal.cents})
    page.ensure_session()
    query = page.request.query_params or {}
    refused = query.get("uitpas_error")
    # Only our own codes: the message is ours, never text from the query (None: the number's format).
    uitpas_error = (
        {
            "place": query.get("place"),
            "message": buyer_message(refused, page.language) if refused in UITPAS_CODES else None,
        }
        if refused
        else None
    )
    return page.html(
        "pages/cart.html",
        cart=cart,
        groups=groups,
        subtotals=subtotals,
        expired=bool(cart and cart.expired_hold_ids),
        uitpas_error=uitpas_error,
        offers=offers_model(page, cart),
    )


@page_route("/p/cart/holds/{hold_id}", methods=("POST",))
def change_cart_hold(page: Page, hold_id: str):
    """Change the tariff of a hold's places, or take the hold out (`action=remove`)."""
    fields = read_form(page)
    now = ports.clock().now()
    if page.cart_id is None:
        raise domain.NotFound("There is no cart.", hold_id=hold_id)
    if one(fields, "action") == "remove":
        cart_service.remove_hold(page.cart_id, page.ensure_session(), hold_id, now)
    else:
        cart_service.put_hold(page.cart_id, page.ensure_session(), hold_id, {}, one(fields, "tariff") or None, now)
    return page.redirect(page.url("/p/cart"))


@page_route("/p/cart/holds/{hold_id}/places/{place}/uitpas", methods=("POST",))
def change_place_uitpas(page: Page, hold_id: str, place: str):
    """Give a UiTPAS number for one place (its price becomes the social tariff), or take it off (`action=remove`).

    A refusal comes back to the cart, next to the place's field, in the buyer's language.
    """
    fields = read_form(page)
    now = ports.clock().now()
    if page.cart_id is None:
        raise domain.NotFound("There is no cart.", hold_id=hold_id)
    try:
        if one(fields, "action") == "remove":
            uitpas.remove_pass(page.cart_id, page.ensure_session(), hold_id, place, now)
        else:
            uitpas.apply_pass(page.cart_id, page.ensure_session(), hold_id, place, one(fields, "uitpas_number"), now)
    except domain.DomainError as error:
        if error.code not in UITPAS_CODES and error.code != "validation_failed":
            raise
        return page.redirect(page.url("/p/cart", uitpas_error=error.code, place=f"{hold_id}/{place}"))
    return page.redirect(page.url("/p/cart"))
