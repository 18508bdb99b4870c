"""Discount codes and donations.

Staff create, list and deactivate codes: a house admin its own house's codes, the cluster coordinator
the cluster-wide ones (or a house's). A buyer puts a code and donations on the cart (buyer session).
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.errors import Forbidden
from ..domain.vouchers import Voucher, VoucherKind, normalize_code
from ..services import vouchers as service
from ..services.carts import own_cart
from ..web.auth import Role, current_staff, public_route, staff
from ..web.http import endpoint, json_response, parse_body, utc_text
from ..web.limits import enforce_code_attempt_limits
from ..web.sessions import buyer_session
from . import schemas
from .views import cart_view

vouchers = Blueprint(__name__)
route = endpoint(vouchers)


def voucher_view(voucher: Voucher, now) -> dict:
    return {
        "code": voucher.code,
        "house_id": voucher.house_id,
        "kind": voucher.kind.value,
        "value": voucher.value,
        "currency": voucher.currency,
        "max_uses": voucher.max_uses,
        "uses": voucher.uses,
        "remaining": voucher.remaining,
        "valid_from": utc_text(voucher.valid_from),
        "valid_until": utc_text(voucher.valid_until),
        "min_cart_cents": voucher.min_cart_cents,
        "status": voucher.status.value,
        "usable_now": voucher.status.value == "active"
        and voucher.valid_from <= now < voucher.valid_until
        and voucher.remaining > 0,
    }


def _scope() -> str | None:
    """The house whose codes the caller manages (None: the coordinator's cluster-wide codes)."""
    caller = current_staff()
    return None if caller.role is Role.COORDINATOR else caller.house_id


@vouchers.route("/staff/vouchers", methods=["POST"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def create_voucher():
    """Create a code: a house admin's is its house's; the coordinator's is cluster-wide unless it names a house."""
    caller = current_staff()
    body = parse_body(vouchers.current_request, schemas.VoucherBody)
    house_id = body.house_id if caller.role is Role.COORDINATOR else caller.house_id
    if caller.role is not Role.COORDINATOR and body.house_id not in (None, caller.house_id):
        raise Forbidden("A house creates codes for its own performances only.")
    now = ports.clock().now()
    voucher = service.create_voucher(
        Voucher(
            normalize_code(body.code),
            house_id,
            VoucherKind(body.kind),
            body.value,
            body.max_uses,
            body.valid_from,
            body.valid_until,
            body.min_cart_cents,
            created_by=caller.subject,
            created_at=now,
        )
    )
    return json_response(voucher_view(voucher, now), 201, headers={"Location": f"/staff/vouchers/{voucher.code}"})


@vouchers.route("/staff/vouchers", methods=["GET"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def list_vouchers():
    now = ports.clock().now()
    return json_response({"vouchers": [voucher_view(voucher, now) for voucher in service.list_vouchers(_scope())]})


@vouchers.route("/staff/vouchers/{code}", methods=["GET"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def get_voucher(code: str):
    return json_response(voucher_view(service.own_voucher(code, _scope()), ports.clock().now()))


@vouchers.route("/staff/vouchers/{code}", methods=["DELETE"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def deactivate_voucher(code: str):
    """Stop new uses of a code; uses already claimed stay (their orders keep the discount)."""
    return json_response(voucher_view(service.deactivate(code, _scope()), ports.clock().now()))


@vouchers.route("/carts/{cart_id}/voucher", methods=["PUT"])
@route
@public_route(rate_limited=True)
def apply_voucher(cart_id: str):
    """Apply a discount code to the session's cart: the cart with the discount, or why the code does not apply
    (rate limited as a typed code: codes are not to be guessed)."""
    enforce_code_attempt_limits(vouchers.current_request)
    session = buyer_session(vouchers.current_request)
    own_cart(cart_id, session)  # an unknown cart is 404 whatever the body says
    body = parse_body(vouchers.current_request, schemas.CartVoucherBody)
    now = ports.clock().now()
    return json_response(cart_view(service.apply_code(cart_id, session, body.code, now), now))


@vouchers.route("/carts/{cart_id}/voucher", methods=["DELETE"])
@route
@public_route(rate_limited=True)
def remove_voucher(cart_id: str):
    now = ports.clock().now()
    return json_response(cart_view(service.remove_code(cart_id, buyer_session(vouchers.current_request), now), now))


@vouchers.route("/carts/{cart_id}/donations/{house_id}", methods=["PUT"])
@route
@public_route(rate_limited=True)
def donate(cart_id: str, house_id: str):
    """Give a house of the cluster a donation with the order (amount 0 takes it out)."""
    session = buyer_session(vouchers.current_request)
    own_cart(cart_id, session)
    body = parse_body(vouchers.current_request, schemas.DonationBody)
    now = ports.clock().now()
    return json_response(cart_view(service.donate(cart_id, session, house_id, body.amount, now), now))
