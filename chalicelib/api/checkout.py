"""Checkout for buyers: submit the cart once, follow the payment, get the tickets.

`POST /carts/{id}/checkout` answers 202 with the order id at once; the workflow does the rest.
`GET /checkouts/{id}` is what the buyer's page polls: status, what to pay and where, then the
tickets, or why it ended without a sale — in the buyer's language.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from .. import ports
from ..domain.customers import validate_buyer
from ..domain.errors import NotFound
from ..domain.orders import Order, OrderStatus
from ..i18n import checkout_outcome
from ..observability import logger
from ..services import checkout as service
from ..services.subscriptions import subscriptions_of
from ..services.ticketing import order_documents, tickets_of
from ..tickets.pdf import order_pdf
from ..web.auth import public_route
from ..web.http import endpoint, json_response, language_of, parse_body, query_param, refuse_body, utc_text
from ..web.sessions import buyer_session
from . import schemas
from .views import discount_lines, paying_parts

checkout = Blueprint(__name__)
route = endpoint(checkout)


@checkout.route("/carts/{cart_id}/checkout", methods=["POST"])
@route
@public_route(rate_limited=True)
def submit(cart_id: str):
    """Freeze the cart and start paying for it; the same cart submitted again gets the same order."""
    request = checkout.current_request
    now = ports.clock().now()
    body = parse_body(request, schemas.CheckoutBody)
    buyer = validate_buyer(body.buyer.name, body.buyer.email, body.buyer.phone, body.buyer.postcode)
    language = body.language or language_of(request)
    logger.thread_safe_append_keys(correlation_id=cart_id)
    order = service.start_checkout(
        cart_id,
        buyer_session(request),
        buyer,
        body.consents.marketing,
        body.consents.sharing,
        language,
        body.seller_house_id,
        now,
    )
    view = checkout_view(order, language)
    return json_response(view, 202, headers={"Location": f"/checkouts/{order.id}"})


@checkout.route("/checkouts/{order_id}", methods=["GET"])
@route
@public_route()
def status(order_id: str):
    request = checkout.current_request
    order = service.own_order(order_id, buyer_session(request))
    return json_response(checkout_view(order, _language(request, order)))


@checkout.route("/checkouts/{order_id}/cancel", methods=["POST"])
@route
@public_route(rate_limited=True)
def cancel(order_id: str):
    """The buyer gives up paying: the payment is cancelled and the places go back on sale."""
    request = checkout.current_request
    refuse_body(request)
    order = service.cancel_checkout(order_id, buyer_session(request))
    return json_response(checkout_view(order, language_of(request)), 202)


@checkout.route("/checkouts/{order_id}/tickets.pdf", methods=["GET"])
@route
@public_route()
def tickets_pdf(order_id: str):
    request = checkout.current_request
    order = service.own_order(order_id, buyer_session(request))
    if order.status is not OrderStatus.COMPLETED:
        raise NotFound("This order has no tickets (yet).", order_id=order_id)
    language = _language(request, order)
    documents = order_documents(order, language)
    if not documents:
        raise NotFound("Every ticket of this order was refunded.", order_id=order_id)
    # One PDF per performance is what the e-mail attaches; here the first, or ?performance=…
    wanted = query_param(request, "performance")
    document = next((d for d in documents if wanted and wanted in {t.ticket_id for t in d.tickets}), documents[0])
    return Response(
        body=order_pdf(document, language),
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="tickets-{order.id}.pdf"',
        },
    )


def _language(request, order: Order) -> str:
    """The language asked for, else the one the buyer checked out in."""
    return language_of(request) if request.headers.get("accept-language") else order.language


def checkout_view(order: Order, language: str) -> dict:
    view: dict[str, Any] = {
        "order_id": order.id,
        "cart_id": order.cart_id,
        "status": order.status.value,
        "lines": [
            {
                "ticket_line": line.index,
                "hold_id": line.hold_id,
                "performance_id": line.performance_id,
                "house_id": line.house_id,
                "seat_id": line.seat_id,
                "category": line.category,
                "tariff": line.tariff_code,
                "price": line.price.to_dict(),
            }
            for line in order.lines
        ],
        "houses": [
            {
                "house_id": house_id,
                "subtotal": {
                    "amount": sum(line.price.cents for line in order.lines_of(house_id)),
                    "currency": order.total.currency,
                },
            }
            for house_id in order.houses
        ],
        "total": order.total.to_dict(),
        "expires_at": utc_text(order.expires_at) if order.expires_at else None,
        "payment": None,
        "tickets": [],
        "message": None,
        "discounts": discount_lines(order),
        **paying_parts(order),
    }
    if order.payment_intent_id and order.status is OrderStatus.AWAITING_PAYMENT:
        view["payment"] = {
            "provider": "stripe",
            "payment_intent_id": order.payment_intent_id,
            "client_secret": order.client_secret,
        }
        if order.last_payment_error:
            view["payment"]["last_error"] = order.last_payment_error
            view["message"] = checkout_outcome("payment_declined", language)
    if order.status is OrderStatus.COMPLETED:
        view["tickets"] = [
            {
                "ticket_id": t.ticket_id,
                "performance_id": t.performance_id,
                "house_id": t.house_id,
                "seat_id": t.seat_id,
                "seat_label": t.seat_label,
                "tariff": t.tariff_code,
                "price": {"amount": t.price_cents, "currency": t.currency},
                "status": t.status.value,
                "qr_payload": t.payload,
            }
            for t in tickets_of(order.id)
        ]
        view["tickets_pdf"] = f"/checkouts/{order.id}/tickets.pdf"
        view["subscriptions"] = [
            {
                "subscription_id": s.id,
                "formula_id": s.formula_id,
                "url": f"/subscriptions/{s.public_id}",
                "key": s.secret,
            }
            for s in subscriptions_of(order)
        ]
    if order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        view["reason"] = order.failure_reason
        view["lost_places"] = list(order.lost_places)
        view["message"] = checkout_outcome(
            order.failure_reason or "checkout_error", language, places=", ".join(order.lost_places)
        )
    return view
