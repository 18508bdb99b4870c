"""The hosted subscription link `/p/subscriptions/{formula_id}`: the buyer ticks the performances to choose (and a
price category per seated one), sees the discount, and goes to the cart and pay page like any other hosted link."""
from __future__ import annotations

from chalice import Blueprint

from ..domain import errors as domain
from ..domain.bundles import list_price
from ..domain.catalog import utcnow
from ..domain.subscriptions import price_places
from ..i18n import buyer_message
from ..observability import logger
from ..services import availability
from ..services import subscriptions as service
from ..services.bundles import PlaceChoice
from ..store import catalog as store
from ..store import settlements
from ..store import subscriptions as subscription_store
from ..web.rendering import localized
from .pages import HOLD_REFUSALS, Page, _add_to_cart, _form, _one, page_route

subscription_pages = Blueprint(__name__)


def _formula_page(page: Page, formula_id: str, status: int = 200, error: str | None = None, chosen=frozenset(),
                  wrong_choices: bool = False):
    now = utcnow()
    formula = subscription_store.get_formula(formula_id)
    page.canonical = f"/p/subscriptions/{formula_id}"
    rule = settlements.get_agreement().bundle_split
    parts = []
    for performance in service.performances_of(formula).values():
        categories = []
        if performance.seated:
            categories = [{"code": c.code, "name": localized(c.name, page.language)}
                          for c in store.get_performance_seatmap(performance.id).categories]
        listed = list_price(performance, categories[0]["code"] if categories else "standing")
        summary = availability.cached_summary(performance, now)
        try:
            formula.check_performance(performance, now)
            open_ = summary["available"] > 0
        except domain.NotOnSale:
            open_ = False
        parts.append({"performance": performance, "title": localized(performance.title, page.language),
                      "house": store.get_house(performance.house_id), "categories": categories,
                      "list_price": listed, "price": price_places(formula.discount, [listed], rule)[0],
                      "level": summary["level"] if open_ else "not_on_sale", "open": open_,
                      "chosen": performance.id in chosen})
    page.ensure_session()
    return page.html("pages/subscription.html", status=status, formula=formula,
                     name=localized(formula.name, page.language), parts=parts, error=error,
                     wrong_choices=wrong_choices,
                     on_sale=formula.is_on_sale(now), in_presale=formula.in_presale(now),
                     percent=f"{formula.discount.value / 100:g}")


@page_route("/p/subscriptions/{formula_id}", blueprint=subscription_pages)
def subscription_page(page: Page, formula_id: str):
    return _formula_page(page, formula_id)


@page_route("/p/subscriptions/{formula_id}/holds", methods=("POST",), blueprint=subscription_pages)
def hold_subscription(page: Page, formula_id: str):
    """Hold the ticked performances at once (best available, optionally per category) and put them in the cart."""
    fields = _form(page)
    formula = subscription_store.get_formula(formula_id)
    chosen = [p for p in formula.performance_ids if _one(fields, f"choose-{p}")]
    choices = {p: PlaceChoice(category=_one(fields, f"category-{p}") or None) for p in chosen}
    now = utcnow()
    session = page.ensure_session()
    try:
        holds = service.hold_subscription(formula_id, session, choices, now)
    except HOLD_REFUSALS as error:
        if error.code == "validation_failed":  # the page says how many to choose, in the buyer's language
            return _formula_page(page, formula_id, 422, chosen=frozenset(chosen), wrong_choices=True)
        message = buyer_message(error.code, page.language, seats="")
        return _formula_page(page, formula_id, 409, error=message or error.detail, chosen=frozenset(chosen))
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    _add_to_cart(page, holds[0].id, now)
    return page.redirect(page.url("/p/cart", added=holds[0].id))
