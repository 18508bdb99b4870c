"""Bundles and festival passes: the coordinator creates them; buyers list them and hold all their places at once.

Creating a bundle is the cluster coordinator's: it binds several houses' performances to one price and
its revenue is split by the cluster agreement, which is the coordinator's too.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.bundles import Bundle, BundleComponent
from ..domain.catalog import PerformanceStatus
from ..domain.money import Money
from ..observability import logger
from ..services import bundles as service
from ..services import catalog, staff_orders
from ..services.catalog import new_id
from ..services.group_holds import PlaceChoice
from ..web.auth import Role, current_staff, public_route, staff
from ..web.http import endpoint, json_response, parse_body, utc_text
from ..web.sessions import buyer_session
from . import schemas
from .orders import refund_view
from .views import hold_view, performance_view

bundles = Blueprint(__name__)
route = endpoint(bundles)


def bundle_view(bundle: Bundle, now, live: bool = False) -> dict:
    performances = service.performances_of(bundle)
    return {
        "id": bundle.id,
        "name": bundle.name,
        "price": bundle.price.to_dict(),
        "status": bundle.status.value,
        "sales_start": utc_text(bundle.sales_start),
        "sales_end": utc_text(bundle.sales_end),
        "on_sale": bundle.is_on_sale(now),
        "performances": [
            {
                "performance_id": c.performance_id,
                "places": c.places,
                "fixed_cents": c.fixed_cents,
                "performance": performance_view(performances[c.performance_id], now),
            }
            for c in bundle.components
        ],
        "houses": sorted({p.house_id for p in performances.values()}),
        "availability": service.availability_of(bundle, performances, now, live),
    }


def group_hold_views(holds, now) -> list[dict]:
    """The views of a group of holds made together (a bundle's, a subscription's), one per performance."""
    views = []
    for hold in holds:
        seatmap = catalog.performance_seatmap(hold.performance_id) if hold.seat_ids else None
        views.append(hold_view(hold, seatmap, now))
    return views


@bundles.route("/staff/bundles", methods=["POST"])
@route
@staff(Role.COORDINATOR)
def create_bundle():
    """Create a bundle (coordinator): its performances, one price, optional fixed split amounts, a sales window."""
    caller = current_staff()
    body = parse_body(bundles.current_request, schemas.BundleBody)
    now = ports.clock().now()
    bundle = service.create_bundle(
        Bundle(
            body.id or new_id("bundle"),
            dict(body.name),
            tuple(BundleComponent(p.performance_id, p.places, p.fixed_cents) for p in body.performances),
            Money(body.price, body.currency),
            body.sales_start,
            body.sales_end,
            PerformanceStatus(body.status),
            caller.subject,
            now,
        )
    )
    return json_response(bundle_view(bundle, now), 201, headers={"Location": f"/bundles/{bundle.id}"})


@bundles.route("/staff/bundles/{bundle_id}", methods=["PATCH"])
@route
@staff(Role.COORDINATOR)
def patch_bundle(bundle_id: str):
    """Open, pause or cancel a bundle's sale (coordinator); tickets already sold stay valid."""
    service.get_bundle(bundle_id)
    body = parse_body(bundles.current_request, schemas.BundlePatch)
    return json_response(bundle_view(service.set_status(bundle_id, body.status), ports.clock().now()))


@bundles.route("/bundles", methods=["GET"])
@route
@public_route()
def list_bundles():
    now = ports.clock().now()
    return json_response({"bundles": [bundle_view(bundle, now) for bundle in service.list_bundles()]})


@bundles.route("/bundles/{bundle_id}", methods=["GET"])
@route
@public_route()
def get_bundle(bundle_id: str):
    now = ports.clock().now()
    return json_response(bundle_view(service.get_bundle(bundle_id), now, live=True))


@bundles.route("/bundles/{bundle_id}/holds", methods=["POST"])
@route
@public_route(rate_limited=True)
def hold_bundle(bundle_id: str):
    """Hold the places of `quantity` bundles in every performance at once, or none (one transaction)."""
    session = buyer_session(bundles.current_request)
    service.get_bundle(bundle_id)  # an unknown bundle is 404 whatever the body says
    body = parse_body(bundles.current_request, schemas.BundleHoldBody)
    now = ports.clock().now()
    choices = {
        performance_id: PlaceChoice(tuple(places.seats or ()), places.category, places.wheelchair)
        for performance_id, places in body.performances.items()
    }
    holds = service.hold_bundle(bundle_id, session, body.quantity, choices, now)
    logger.thread_safe_append_keys(correlation_id=holds[0].id)
    views = group_hold_views(holds, now)
    return json_response(
        {
            "id": holds[0].id,
            "bundle_id": bundle_id,
            "quantity": body.quantity,
            "holds": views,
            "expires_at": utc_text(holds[0].expires_at),
            "expires_in_seconds": views[0]["expires_in_seconds"],
        },
        201,
        headers={"Location": f"/holds/{holds[0].id}"},
    )


@bundles.route("/staff/orders/{order_id}/bundle-refunds", methods=["POST"])
@route
@staff(Role.COORDINATOR)
def refund_bundles(order_id: str):
    """Refund an order's bundles whole (coordinator): every house's tickets of them, each for its booked share."""
    caller = current_staff()
    staff_orders.order_of_cluster(order_id)  # an unknown order is 404 whatever the body says
    body = parse_body(bundles.current_request, schemas.BundleRefundBody)
    refund = service.refund_bundles(
        order_id, body.bundle_id, body.reason_code, caller.subject, ports.clock().now(), note=body.note
    )
    return json_response(
        refund_view(refund), 202, headers={"Location": f"/staff/orders/{order_id}/refunds/{refund.refund_id}"}
    )
