"""Orders for house staff: their own house's part of an order, and refunds of its tickets.

An order may hold tickets of several houses; staff of one house read and refund only their
house's tickets (read by key), never another house's — nor the buyer's personal data.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from chalice import Blueprint

from .. import ports
from ..domain.money import Money
from ..domain.orders import OrderStatus, refund_reason_code
from ..services import refunds as service
from ..services import staff_orders
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import MalformedRequest, endpoint, json_response, parse_body, query_param, utc_text
from . import schemas

orders = Blueprint(__name__)
route = endpoint(orders)
READERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE)
REFUNDERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE)


def refund_view(refund) -> dict:
    """A refund for the staff of a house it involves: its reason code and the house's internal note."""
    return {
        "refund_id": refund.refund_id,
        "order_id": refund.order_id,
        "ticket_ids": list(refund.ticket_ids),
        "amount": {"amount": refund.amount_cents, "currency": refund.currency},
        "reason_code": refund_reason_code(refund.reason),
        "note": refund.note,
        "status": refund.status,
        "created_at": utc_text(refund.created_at),
    }


@orders.route("/staff/orders/{order_id}", methods=["GET"])
@route
@staff(*READERS, scope="orders:read")
def house_order(order_id: str):
    """This house's part of the order in any state: its places, its tickets once issued, and its refunds."""
    now = ports.clock().now()
    found = staff_orders.house_order(house_of(current_staff()), order_id, now)
    order = found.order
    return json_response(
        {
            "order_id": order_id,
            "status": order.status.value,
            "created_at": utc_text(order.created_at) if order.created_at else None,
            "channel": order.channel,
            "lines": [
                {
                    "performance_id": line.performance_id,
                    "seat_id": line.seat_id,
                    "category": line.category,
                    "tariff": line.tariff_code,
                    "price": line.price.to_dict(),
                }
                for line in found.lines
            ],
            "tickets": [
                {
                    "ticket_id": t.ticket_id,
                    "performance_id": t.performance_id,
                    "seat_id": t.seat_id,
                    "seat_label": t.seat_label,
                    "tariff": t.tariff_code,
                    "price": {"amount": t.price_cents, "currency": t.currency},
                    "status": t.status.value,
                }
                for t in found.tickets
            ],
            "refunds": [refund_view(r) for r in found.refunds],
        }
    )


@orders.route("/staff/performances/{performance_id}/holds", methods=["GET"])
@route
@staff(*READERS)
def performance_holds(performance_id: str):
    """The live holds of the house's own performance, soonest expiry first, a page at a time (`next`)."""
    request, now = orders.current_request, ports.clock().now()
    after = _cursor_param(request, performance_id, HOLDS_CURSOR, "cursor")
    holds, after = staff_orders.performance_holds(
        house_of(current_staff()), performance_id, now, after, _limit_param(request, "limit")
    )
    return json_response(
        {
            "performance_id": performance_id,
            "holds": [
                {
                    "id": hold.id,
                    "places": hold.quantity,
                    "seats": list(hold.seat_ids),
                    "created_at": utc_text(hold.created_at),
                    "age_seconds": _age(hold.created_at, now),
                    "expires_at": utc_text(hold.expires_at),
                    "expires_in_seconds": max(0, int((hold.expires_at - now).total_seconds())),
                    "bundle_id": hold.bundle_id,
                }
                for hold in holds
            ],
            "next": _cursor(performance_id, after),
        }
    )


@orders.route("/staff/performances/{performance_id}/orders", methods=["GET"])
@route
@staff(*READERS, scope="orders:read")
def performance_orders(performance_id: str):
    """The orders with places of the house's own performance in any state (or `?status=`), oldest first."""
    request, now = orders.current_request, ports.clock().now()
    status = _status_param(request, "status")
    after = _cursor_param(request, performance_id, ORDERS_CURSOR, "cursor")
    found, after = staff_orders.performance_orders(
        house_of(current_staff()),
        performance_id,
        OrderStatus(status) if status else None,
        after,
        _limit_param(request, "limit"),
    )
    views = []
    for order in found:
        lines = [line for line in order.lines if line.performance_id == performance_id]
        views.append(
            {
                "order_id": order.id,
                "status": order.status.value,
                "created_at": utc_text(order.created_at) if order.created_at else None,
                "age_seconds": _age(order.created_at, now),
                "channel": order.channel,
                # places and amount once the order is priced (a pending order: null)
                "places": len(lines) if order.lines else None,
                "amount": Money(sum(line.price.cents for line in lines), order.total.currency).to_dict()
                if order.lines
                else None,
            }
        )
    return json_response({"performance_id": performance_id, "orders": views, "next": _cursor(performance_id, after)})


# Page cursors carry where the last page stopped, for one performance; anything else is refused (400).
HOLDS_CURSOR = re.compile(r"\d{15}#[A-Za-z0-9_-]{1,80}")
ORDERS_CURSOR = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.+-]{8,40}#o_[A-Za-z0-9_-]{1,80}")
DEFAULT_PAGE, MAX_PAGE = 50, 100


def _age(created_at, now) -> int | None:
    return max(0, int((now - created_at).total_seconds())) if created_at else None


def _status_param(request, name: str) -> str | None:
    status = query_param(request, name)
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise MalformedRequest(
            f"Unknown value for the query parameter {name}: one of " + ", ".join(s.value for s in OrderStatus) + "."
        )
    return status


def _limit_param(request, name: str) -> int:
    text = query_param(request, name)
    if text is None:
        return DEFAULT_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise MalformedRequest(f"The query parameter {name} (the page size) is 1 to {MAX_PAGE}.")
    return int(text)


def _cursor(performance_id: str, after: str | None) -> str | None:
    if after is None:
        return None
    raw = json.dumps({"p": performance_id, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_param(request, performance_id: str, pattern: re.Pattern, name: str) -> str | None:
    """Where the page named by `?cursor=` starts; a cursor this listing did not give (for this performance) is 400."""
    text = query_param(request, name)
    if text is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        valid = (
            isinstance(data, dict)
            and data.get("p") == performance_id
            and isinstance(data.get("a"), str)
            and pattern.fullmatch(data["a"]) is not None
        )
    except (ValueError, UnicodeDecodeError, binascii.Error):
        valid = False
    if not valid:
        raise MalformedRequest(
            f"The query parameter {name} was not given by this listing: use the `next` of its previous page."
        )
    return data["a"]


@orders.route("/staff/orders/{order_id}/refunds", methods=["POST"])
@route
@staff(*REFUNDERS)
def refund(order_id: str):
    """Refund some (or all) of this house's tickets of the order."""
    caller = current_staff()
    body = parse_body(orders.current_request, schemas.RefundBody)
    refund = service.request_refund(
        house_of(caller),
        order_id,
        body.ticket_ids,
        body.reason_code,
        caller.subject,
        ports.clock().now(),
        note=body.note,
    )
    return json_response(
        refund_view(refund), 202, headers={"Location": f"/staff/orders/{order_id}/refunds/{refund.refund_id}"}
    )


@orders.route("/staff/orders/{order_id}/refunds/{refund_id}", methods=["GET"])
@route
@staff(*READERS)
def get_refund(order_id: str, refund_id: str):
    house_id = house_of(current_staff())
    return json_response(refund_view(staff_orders.house_refund(house_id, order_id, refund_id)))
