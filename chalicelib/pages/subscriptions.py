"""The hosted subscription link `/p/subscriptions/{formula_id}`: the buyer ticks the performances to choose (and a
price category per seated one), sees the discount, and goes to the cart and pay page like any other hosted link."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain import errors as domain
from ..domain.bundles import list_price
from ..domain.subscriptions import price_places
from ..i18n import buyer_message
from ..observability import logger
from ..services import availability, catalog
from ..services import subscriptions as service
from ..services.group_holds import PlaceChoice
from .cart import add_to_cart
from .rendering import localized
from .shared import HOLD_REFUSALS, Page, one, page_route, read_form

subscription_pages = Blueprint("chalicelib.pages.subscriptions")


def _formula_page(
    page: Page,
    formula_id: str,
    status: int = 200,
    error: str | None = None,
    chosen=frozenset(),
    wrong_choices: bool = False,
):
    now = ports.clock().now()
    formula = service.get_formula(formula_id)
    page.canonical = f"/p/subscriptions/{formula_id}"
    rule = service.price_split()
    parts = []
    for performance in service.performances_of(formula).values():
        categories = []
        if performance.seated:
            categories = [
                {"code": c.code, "name": localized(c.name, page.language)}
                for c in catalog.performance_seatmap(performance.id).categories
            ]
        listed = list_price(performance, categories[0]["code"] if categories else "standing")
        summary = availability.cached_summary(performance, now)
        try:
            formula.check_performance(performance, now)
            open_ = summary["available"] > 0
        except domain.NotOnSale:
            open_ = False
        parts.append(
            {
                "performance": performance,
                "title": localized(performance.title, page.language),
                "house": catalog.house(performance.house_id),
                "categories": categories,
                "list_price": listed,
                "price": price_places(formula.discount, [listed], rule)[0],
                "level": summary["level"] if open_ else "not_on_sale",
                "open": open_,
                "chosen": performance.id in chosen,
            }
        )
    page.ensure_session()
    return page.html(
        "pages/subscription.html",
        status=status,
        formula=formula,
        name=localized(formula.name, page.language),
        parts=parts,
        error=error,
        wrong_choices=wrong_choices,
        on_sale=formula.is_on_sale(now),
        in_presale=formula.in_presale(now),
        percent=f"{formula.discount.value / 100:g}",
    )


@page_route("/p/subscriptions/{formula_id}", blueprint=subscription_pages)
def subscription_page(page: Page, formula_id: str):
    return _formula_page(page, formula_id)


@page_route("/p/subscriptions/{formula_id}/holds", methods=("POST",), blueprint=subscription_pages)
def hold_subscription(page: Page, formula_id: str):
    """Hold the ticked performances at once (best available, optionally per category) and put them in the cart."""
    fields = read_form(page)
    formula = service.get_formula(formula_id)
    chosen = [p for p in formula.performance_ids if one(fields, f"choose-{p}")]
    choices = {p: PlaceChoice(category=one(fields, f"category-{p}") or None) for p in chosen}
    now = ports.clock().now()
    session = page.ensure_session()
    try:
        holds = service.hold_subscription(formula_id, session, choices, now)
    except HOLD_REFUSALS as error:
        if error.code == "validation_failed":  # the page says how many to choose, in the buyer's language
            return _formula_page(page, formula_id, 422, chosen=frozenset(chosen), wrong_choices=True)
        message = buyer_message(error.code, page.language, seats="")
        return _formula_page(page, formula_id, 409, error=message or error.detail, chosen=frozenset(chosen))
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    add_to_cart(page, holds[0].id, now)
    return page.redirect(page.url("/p/cart", added=holds[0].id))
