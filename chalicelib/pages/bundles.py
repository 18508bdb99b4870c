"""A bundle's page (a festival pass: places in several performances at one price) and holding it into the cart."""

from __future__ import annotations

from .. import ports
from ..i18n import buyer_message
from ..observability import logger
from ..services import bundles, catalog
from ..services.group_holds import PlaceChoice
from .cart import add_to_cart
from .rendering import localized
from .shared import HOLD_REFUSALS, Page, count_field, one, page_route, read_form


def _bundle_page(page: Page, bundle_id: str, status: int = 200, error: str | None = None):
    now = ports.clock().now()
    bundle = bundles.get_bundle(bundle_id)
    page.canonical = f"/p/bundles/{bundle_id}"
    performances = bundles.performances_of(bundle)
    view = bundles.availability_of(bundle, performances, now, live=True)
    parts = []
    for component in bundle.components:
        performance = performances[component.performance_id]
        categories = []
        if performance.seated:
            categories = [
                {"code": c.code, "name": localized(c.name, page.language)}
                for c in catalog.performance_seatmap(performance.id).categories
            ]
        parts.append(
            {
                "performance": performance,
                "places": component.places,
                "title": localized(performance.title, page.language),
                "house": catalog.house(performance.house_id),
                "categories": categories,
                "availability": view["performances"][performance.id],
            }
        )
    page.ensure_session()
    return page.html(
        "pages/bundle.html",
        status=status,
        bundle=bundle,
        name=localized(bundle.name, page.language),
        parts=parts,
        availability=view,
        error=error,
        max_bundles=max(0, min(bundles.MAX_BUNDLES_PER_HOLD, view["available"])),
    )


@page_route("/p/bundles/{bundle_id}")
def bundle_page(page: Page, bundle_id: str):
    return _bundle_page(page, bundle_id)


@page_route("/p/bundles/{bundle_id}/holds", methods=("POST",))
def hold_bundle(page: Page, bundle_id: str):
    """Hold the bundle's places in every performance (best available, optionally per category) and put it in the
    cart."""
    fields = read_form(page)
    bundle = bundles.get_bundle(bundle_id)
    quantity = count_field(one(fields, "quantity"))
    choices = {
        performance_id: PlaceChoice(category=one(fields, f"category-{performance_id}") or None)
        for performance_id in bundle.performance_ids
        if one(fields, f"category-{performance_id}")
    }
    now = ports.clock().now()
    session = page.ensure_session()
    try:
        holds = bundles.hold_bundle(bundle_id, session, quantity, choices, now)
    except HOLD_REFUSALS as error:
        message = buyer_message(error.code, page.language, seats="")
        return _bundle_page(
            page, bundle_id, 409 if error.code != "validation_failed" else 422, error=message or error.detail
        )
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    add_to_cart(page, holds[0].id, now)
    return page.redirect(page.url("/p/cart", added=holds[0].id))
