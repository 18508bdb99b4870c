"""Orders for house staff: their own house's part of an order, and refunds of its tickets.

An order may hold tickets of several houses; staff of one house read and refund only their
house's tickets (read by key), never another house's — nor the buyer's personal data.
"""
from __future__ import annotations

from chalice import Blueprint

from ..domain.catalog import utcnow
from ..domain.errors import NotFound
from ..domain.orders import refund_reason_code
from ..services import refunds as service
from ..store import orders as store
from . import schemas
from .auth import Role, current_staff, house_of, staff
from .http import endpoint, json_response, parse_body, utc_text

orders = Blueprint(__name__)
route = endpoint(orders)
READERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE)
REFUNDERS = (Role.HOUSE_ADMIN, Role.BOX_OFFICE)


def refund_view(refund: store.Refund) -> dict:
    """A refund for the staff of a house it involves: its reason code and the house's internal note."""
    return {"refund_id": refund.refund_id, "order_id": refund.order_id, "ticket_ids": list(refund.ticket_ids),
            "amount": {"amount": refund.amount_cents, "currency": refund.currency},
            "reason_code": refund_reason_code(refund.reason), "note": refund.note,
            "status": refund.status, "created_at": utc_text(refund.created_at)}


@orders.route("/staff/orders/{order_id}", methods=["GET"])
@route
@staff(*READERS, scope="orders:read")
def house_order(order_id: str):
    """This house's tickets of the order, with their state, and its refunds."""
    house_id = house_of(current_staff())
    tickets = store.tickets_of(order_id, house_id)
    if not tickets:
        raise NotFound("No such order.", order_id=order_id)
    order = store.get_order(order_id)
    return json_response({
        "order_id": order_id, "status": order.status.value, "created_at": utc_text(order.created_at),
        "tickets": [{"ticket_id": t.ticket_id, "performance_id": t.performance_id, "seat_id": t.seat_id,
                     "seat_label": t.seat_label, "tariff": t.tariff_code,
                     "price": {"amount": t.price_cents, "currency": t.currency}, "status": t.status.value}
                    for t in tickets],
        "refunds": [refund_view(r) for r in store.refunds_of(order_id) if r.house_id in (house_id, None)
                    and set(r.ticket_ids) & {t.ticket_id for t in tickets}],
    })


@orders.route("/staff/orders/{order_id}/refunds", methods=["POST"])
@route
@staff(*REFUNDERS)
def refund(order_id: str):
    """Refund some (or all) of this house's tickets of the order."""
    caller = current_staff()
    body = parse_body(orders.current_request, schemas.RefundBody)
    refund = service.request_refund(house_of(caller), order_id, body.ticket_ids, body.reason_code, caller.subject,
                                    utcnow(), note=body.note)
    return json_response(refund_view(refund), 202,
                         headers={"Location": f"/staff/orders/{order_id}/refunds/{refund.refund_id}"})


@orders.route("/staff/orders/{order_id}/refunds/{refund_id}", methods=["GET"])
@route
@staff(*READERS)
def get_refund(order_id: str, refund_id: str):
    house_id = house_of(current_staff())
    refund = store.get_refund(order_id, refund_id)
    if refund.house_id not in (house_id, None) or not store.tickets_of(order_id, house_id):
        raise NotFound("No such refund.", refund_id=refund_id)
    return json_response(refund_view(refund))
