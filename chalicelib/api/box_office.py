"""The box office: house staff sell from the desk's cart and print the tickets.

The desk holds places like a buyer (its own `X-Podium-Session`, the same hold and cart routes),
then sells the cart here, paid at the desk.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import ports
from ..domain.customers import validate_buyer
from ..services import box_office as service
from ..services.customers import order_buyer_details
from ..services.ticketing import desk_sale_documents
from ..tickets.pdf import tickets_pdf
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, language_of, parse_body
from ..web.sessions import buyer_session
from . import schemas
from .checkout import checkout_view

box_office = Blueprint(__name__)
route = endpoint(box_office)
DESK = (Role.BOX_OFFICE, Role.HOUSE_ADMIN)


@box_office.route("/staff/box-office/sales", methods=["POST"])
@route
@staff(*DESK)
def sell():
    """Sell the desk's cart, paid at the desk → 201 with the tickets."""
    request = box_office.current_request
    caller = current_staff()
    body = parse_body(request, schemas.DeskSaleBody)
    buyer = (
        validate_buyer(body.buyer.name, body.buyer.email, body.buyer.phone, body.buyer.postcode) if body.buyer else None
    )
    order = service.desk_sale(
        house_of(caller),
        body.cart_id,
        buyer_session(request),
        body.payment_method,
        buyer,
        body.consents.marketing,
        body.consents.sharing,
        body.language,
        ports.clock().now(),
    )
    return json_response(_sale_view(order, body.language), 201)


@box_office.route("/staff/box-office/sales/{order_id}/tickets.pdf", methods=["GET"])
@route
@staff(*DESK)
def print_tickets(order_id: str):
    """The tickets to print, for the desk that sold them."""
    request = box_office.current_request
    house_id = house_of(current_staff())
    language = language_of(request)
    documents = desk_sale_documents(house_id, order_id, language)
    return Response(body=tickets_pdf(documents, language), status_code=200, headers={"Content-Type": "application/pdf"})


def _sale_view(order, language: str) -> dict:
    return {
        **checkout_view(order, language),
        "channel": order.channel,
        "payment_method": order.payment_method,
        "tickets_pdf": f"/staff/box-office/sales/{order.id}/tickets.pdf" if order.status.value == "completed" else None,
    }


def _reservation_view(order, language: str, desk_house_id: str) -> dict:
    """A reservation with the buyer the desk named."""
    view = _sale_view(order, language)
    buyer = order_buyer_details(order.id, order.customer_ids, desk_house_id)  # as the desk typed it
    view["buyer"] = {"name": buyer.name, "email": buyer.email} if buyer else None
    return view


@box_office.route("/staff/box-office/reservations", methods=["POST"])
@route
@staff(*DESK)
def reserve():
    """Keep the desk's cart for a buyer who pays later → 201 (`status` reserved, `expires_at`)."""
    request = box_office.current_request
    caller = current_staff()
    body = parse_body(request, schemas.DeskReservationBody)
    buyer = validate_buyer(body.buyer.name, body.buyer.email, body.buyer.phone, body.buyer.postcode)
    order = service.reserve(
        house_of(caller),
        body.cart_id,
        buyer_session(request),
        buyer,
        body.consents.marketing,
        body.consents.sharing,
        body.language,
        body.expires_at,
        ports.clock().now(),
    )
    return json_response(_reservation_view(order, body.language, house_of(caller)), 201)


@box_office.route("/staff/box-office/reservations", methods=["GET"])
@route
@staff(*DESK)
def open_reservations():
    """This desk's reservations still to be paid, soonest expiry first."""
    request = box_office.current_request
    house_id = house_of(current_staff())
    return json_response(
        {
            "reservations": [
                _reservation_view(order, language_of(request), house_id)
                for order in service.open_reservations(house_id)
            ]
        }
    )


@box_office.route("/staff/box-office/reservations/{order_id}/payment", methods=["POST"])
@route
@staff(*DESK)
def pay_reservation(order_id: str):
    """The buyer pays at the desk: tickets now (409 if a lapsed reservation's places were taken)."""
    request = box_office.current_request
    house_id = house_of(current_staff())
    body = parse_body(request, schemas.DeskPaymentBody)
    order = service.pay_reservation(house_id, order_id, body.payment_method, ports.clock().now())
    return json_response(_sale_view(order, language_of(request)))


@box_office.route("/staff/box-office/reservations/{order_id}", methods=["DELETE"])
@route
@staff(*DESK)
def cancel_reservation(order_id: str):
    request = box_office.current_request
    house_id = house_of(current_staff())
    return json_response(
        _sale_view(service.cancel_reservation(house_id, order_id, ports.clock().now()), language_of(request))
    )
