"""Subscriptions (abonnementen): formulas made by the coordinator (across houses) or by a house admin (its own
performances only); buyers hold their chosen performances at once; after payment the subscription's secret id
opens it to see and change the choices.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.catalog import PerformanceStatus
from ..domain.errors import NotFound
from ..domain.subscriptions import Discount, SubscriptionFormula
from ..observability import logger
from ..services import carts as cart_service
from ..services import subscriptions as service
from ..services.catalog import new_id
from ..services.group_holds import PlaceChoice
from ..web.auth import Role, current_staff, public_route, staff
from ..web.http import endpoint, json_response, parse_body, refuse_body, utc_text
from ..web.sessions import buyer_session
from . import schemas
from .bundles import group_hold_views
from .views import cart_view, performance_view

subscriptions = Blueprint(__name__)
route = endpoint(subscriptions)

# A subscription's code is `{public id}.{secret}`; the secret opens and changes it, so it travels in this header,
# never in a URL (paths and queries reach access logs). The path names the public id only.
SUBSCRIPTION_KEY_HEADER = "X-Podium-Subscription-Key"


def opened_subscription(public_id: str) -> str:
    """The subscription id a request opens: the path's public id with the header's secret (NotFound without
    either, like a wrong secret: nothing says which part was wrong)."""
    secret = subscriptions.current_request.headers.get(SUBSCRIPTION_KEY_HEADER, "")
    if "." in public_id or not secret or len(secret) > 100:
        raise NotFound("No such subscription.")
    return f"{public_id}.{secret}"


def formula_view(formula: SubscriptionFormula, now) -> dict:
    performances = service.performances_of(formula)
    return {
        "id": formula.id,
        "name": formula.name,
        "season": formula.season,
        "house_id": formula.house_id,
        "min_choices": formula.min_choices,
        "max_choices": formula.max_choices,
        "discount": formula.discount.to_dict(),
        "currency": formula.currency,
        "status": formula.status.value,
        "sales_start": utc_text(formula.sales_start),
        "sales_end": utc_text(formula.sales_end),
        "presale_start": utc_text(formula.presale_start) if formula.presale_start else None,
        "presale_end": utc_text(formula.presale_end) if formula.presale_end else None,
        "in_presale": formula.in_presale(now),
        "renews": formula.renews,
        "on_sale": formula.is_on_sale(now),
        "renewal_start": utc_text(formula.renewal_start) if formula.renewal_start else None,
        "renewal_end": utc_text(formula.renewal_end) if formula.renewal_end else None,
        "in_renewal": formula.in_renewal(now),
        "corresponding": dict(formula.corresponding),
        "performances": [performance_view(performances[p], now) for p in formula.performance_ids],
        "houses": sorted({p.house_id for p in performances.values()}),
    }


def subscription_view(subscription, formula: SubscriptionFormula, now) -> dict:
    return {
        "id": subscription.id,
        "formula": {"id": formula.id, "name": formula.name, "season": formula.season},
        "order_id": subscription.order_id,
        "sold_at": utc_text(subscription.sold_at),
        "choices": [
            {
                "performance_id": c["performance_id"],
                "house_id": c["house_id"],
                "ticket_id": c["ticket_id"],
                "seat_id": c["seat_id"],
                "category": c["category"],
                "price": {"amount": c["price"], "currency": formula.currency},
            }
            for c in sorted(subscription.choices, key=lambda c: c["performance_id"])
        ],
        "changes": subscription.changes,
        "can_choose_from": [
            p for p in formula.performance_ids if p not in {c["performance_id"] for c in subscription.choices}
        ],
    }


def _choices(places: dict) -> dict[str, PlaceChoice]:
    return {
        performance_id: PlaceChoice(tuple(body.seats or ()), body.category, body.wheelchair)
        for performance_id, body in places.items()
    }


def _own_formula(formula_id: str) -> SubscriptionFormula:
    """The formula if the caller may manage it: the coordinator any, a house admin its own house's
    (another house's does not exist for it: NotFound)."""
    formula = service.get_formula(formula_id)
    house_id = _managing_house()
    if house_id is not None and formula.house_id != house_id:
        raise NotFound("No such subscription.", formula_id=formula_id)
    return formula


def _managing_house() -> str | None:
    """None for the coordinator (every formula), else the house admin's own house."""
    caller = current_staff()
    return None if caller.role is Role.COORDINATOR else caller.house_id


@subscriptions.route("/staff/subscription-formulas", methods=["POST"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def create_formula():
    """Create a formula: the coordinator across houses, a house admin over its own performances only."""
    caller = current_staff()
    body = parse_body(subscriptions.current_request, schemas.SubscriptionFormulaBody)
    now = ports.clock().now()
    house_id = None if caller.role is Role.COORDINATOR else caller.house_id
    formula = service.create_formula(
        SubscriptionFormula(
            body.id or new_id("abo"),
            dict(body.name),
            tuple(body.performances),
            body.min_choices,
            body.max_choices,
            Discount(body.discount.kind, body.discount.value),
            body.sales_start,
            body.sales_end,
            PerformanceStatus(body.status),
            body.season,
            house_id,
            body.presale_start,
            body.presale_end,
            body.renews,
            body.currency,
            caller.subject,
            now,
            body.renewal_start,
            body.renewal_end,
            dict(body.corresponding),
        )
    )
    return json_response(formula_view(formula, now), 201, headers={"Location": f"/subscription-formulas/{formula.id}"})


@subscriptions.route("/staff/subscription-formulas/{formula_id}", methods=["PATCH"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def patch_formula(formula_id: str):
    """Open, pause or cancel a formula's sale; subscriptions sold stay valid."""
    _own_formula(formula_id)
    body = parse_body(subscriptions.current_request, schemas.BundlePatch)
    return json_response(
        formula_view(service.set_status(formula_id, body.status, _managing_house()), ports.clock().now())
    )


@subscriptions.route("/subscription-formulas", methods=["GET"])
@route
@public_route()
def list_formulas():
    now = ports.clock().now()
    return json_response({"formulas": [formula_view(formula, now) for formula in service.list_formulas()]})


@subscriptions.route("/subscription-formulas/{formula_id}", methods=["GET"])
@route
@public_route()
def get_formula(formula_id: str):
    now = ports.clock().now()
    return json_response(formula_view(service.get_formula(formula_id), now))


@subscriptions.route("/subscription-formulas/{formula_id}/holds", methods=["POST"])
@route
@public_route(rate_limited=True)
def hold_subscription(formula_id: str):
    """Hold one place in each chosen performance, all at once or none (one transaction)."""
    session = buyer_session(subscriptions.current_request)
    service.get_formula(formula_id)  # an unknown formula is 404 whatever the body says
    body = parse_body(subscriptions.current_request, schemas.SubscriptionHoldBody)
    now = ports.clock().now()
    holds = service.hold_subscription(formula_id, session, _choices(body.performances), now)
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    views = group_hold_views(holds, now)
    return json_response(
        {
            "id": holds[0].id,
            "formula_id": formula_id,
            "holds": views,
            "expires_at": utc_text(holds[0].expires_at),
            "expires_in_seconds": views[0]["expires_in_seconds"],
        },
        201,
        headers={"Location": f"/holds/{holds[0].id}"},
    )


@subscriptions.route("/subscriptions/{subscription_id}", methods=["GET"])
@route
@public_route(rate_limited=True)
def get_subscription(subscription_id: str):
    """The subscription its secret id opens: the chosen performances and tickets, and what may still be chosen."""
    subscription_id = opened_subscription(subscription_id)
    now = ports.clock().now()
    subscription, formula = service.view(subscription_id, now)
    return json_response(subscription_view(subscription, formula, now))


@subscriptions.route("/subscriptions/{subscription_id}/changes", methods=["POST"])
@route
@public_route(rate_limited=True)
def change_choice(subscription_id: str):
    """Swap a chosen performance for another of the formula (same list price; the ticket keeps its price)."""
    subscription_id = opened_subscription(subscription_id)
    now = ports.clock().now()
    service.view(subscription_id, now)  # an unknown subscription is 404 whatever the body says
    body = parse_body(subscriptions.current_request, schemas.SubscriptionChangeBody)
    place = body.place
    subscription = service.change_choice(
        subscription_id,
        body.from_performance_id,
        body.to_performance_id,
        PlaceChoice(tuple(place.seats or ()), place.category, place.wheelchair),
        now,
    )
    return json_response(subscription_view(subscription, service.get_formula(subscription.formula_id), now), 201)


@subscriptions.route("/subscriptions/{subscription_id}/renewal", methods=["POST"])
@route
@public_route(rate_limited=True)
def renew(subscription_id: str):
    """Last season's subscriber renews: their same seats in this season's corresponding performances are held and
    offered in a new cart of the session (only in the renewal window, before anyone else may buy)."""
    subscription_id = opened_subscription(subscription_id)
    session = buyer_session(subscriptions.current_request)
    now = ports.clock().now()
    service.get_subscription(subscription_id)  # an unknown subscription is 404 whatever else is wrong
    refuse_body(subscriptions.current_request)
    holds = service.renew(subscription_id, session, now)
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    cart = cart_service.create_cart(session, now)
    view = cart_view(cart_service.put_hold(cart.id, session, holds[0].id, {}, None, now), now)
    return json_response(
        {"formula_id": holds[0].bundle_id, "hold_id": holds[0].id, "cart": view},
        201,
        headers={"Location": f"/carts/{cart.id}"},
    )
