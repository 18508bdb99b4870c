"""Checkout and after: the buyer's details and consents, paying (the provider's page or Stripe's Payment Element),
waiting for the workflow, the order with its tickets (QR codes, PDF) or why there are none."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice import Response

from .. import i18n, ports
from ..domain import errors as domain
from ..domain.customers import consent_choices, validate_buyer
from ..domain.orders import OrderStatus
from ..i18n import checkout_outcome
from ..observability import logger
from ..services import catalog, subscriptions, ticketing
from ..services import checkout as checkout_service
from ..settings import get_settings
from ..tickets.pdf import order_pdf
from ..tickets.qr import qr_svg
from .cart import cart_model, open_cart
from .rendering import localized
from .shared import Page, one, page_route, read_form

WAIT_FOR_PAYMENT_SECONDS = 10.0  # the workflow creates the PaymentIntent within a second or two
WAIT_FOR_TICKETS_SECONDS = 10.0


def _consent_texts(page: Page, cart) -> dict[str, str]:
    names = [catalog.house(house_id).name for house_id in cart.houses]
    house_names = page._(" and ").join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    choices = consent_choices(
        False,
        False,
        page.language,
        house_names,
        get_settings().cluster_name,
        ports.clock().now(),
        "hosted",
        translate=i18n.gettext,
    )
    return {choice.kind.value: choice.wording for choice in choices}


@page_route("/p/checkout")
def checkout_page(page: Page):
    cart = open_cart(page)
    if cart is None or not cart.lines:
        return page.redirect(page.url("/p/cart"))
    page.ensure_session()
    return page.html(
        "pages/checkout.html",
        cart=cart,
        groups=cart_model(page, cart.lines),
        consents=_consent_texts(page, cart),
        values={},
        errors={},
    )


@page_route("/p/checkout", methods=("POST",))
def submit_checkout(page: Page):
    """Record the buyer (with the two consents as ticked) and start paying."""
    fields = read_form(page)
    cart = open_cart(page)
    if cart is None or not cart.lines:
        return page.redirect(page.url("/p/cart"))
    values = {name: one(fields, name) for name in ("name", "email", "phone", "postcode")}
    marketing, sharing = one(fields, "marketing") == "yes", one(fields, "sharing") == "yes"
    try:
        buyer = validate_buyer(values["name"], values["email"], values["phone"] or None, values["postcode"] or None)
    except domain.ValidationFailed as error:
        errors = {e.field.split(".")[-1]: e.code for e in error.errors}
        page.canonical = "/p/checkout"
        return page.html(
            "pages/checkout.html",
            status=422,
            cart=cart,
            groups=cart_model(page, cart.lines),
            consents=_consent_texts(page, cart),
            values=values,
            errors=errors,
            marketing=marketing,
            sharing=sharing,
        )
    order = checkout_service.start_checkout(
        cart.id,
        page.ensure_session(),
        buyer,
        marketing,
        sharing,
        page.language,
        page.via.id if page.via else None,
        ports.clock().now(),
    )
    logger.thread_safe_append_keys(correlation_id=order.id)
    page.cart_id = None  # the cart is frozen now: the next places go in a new one
    return page.redirect(page.url(f"/p/orders/{order.id}/pay"))


def _own_order(page: Page, order_id: str):
    if page.session is None:
        raise domain.NotFound("No such checkout.", order_id=order_id)
    return checkout_service.own_order(order_id, page.session)


def _wait(page: Page, order_id: str, done: Callable, seconds: float):
    order = _own_order(page, order_id)
    deadline = time.monotonic() + seconds
    while not done(order) and time.monotonic() < deadline:
        time.sleep(0.2)
        order = _own_order(page, order_id)
    return order


@page_route("/p/orders/{order_id}/pay")
def pay_page(page: Page, order_id: str):
    """Where the buyer pays: Stripe's Payment Element on this page (`PAYMENT_PUBLISHABLE_KEY`), which confirms
    the PaymentIntent and returns to the order page."""
    order = _wait(page, order_id, lambda o: o.status is not OrderStatus.PENDING, WAIT_FOR_PAYMENT_SECONDS)
    if order.status is not OrderStatus.AWAITING_PAYMENT or not order.payment_intent_id:
        if order.status is OrderStatus.PENDING:
            return page.html("pages/waiting.html", order=order, retry=page.url(f"/p/orders/{order.id}/pay"))
        return page.redirect(page.url(f"/p/orders/{order.id}"))
    settings = get_settings()
    return_url = page.absolute(page.url(f"/p/orders/{order.id}"))
    stripe = None
    if settings.payment_publishable_key and order.client_secret:
        page.stripe_js = True
        stripe = {
            "key": settings.payment_publishable_key,
            "client_secret": order.client_secret,
            "locale": page.language,
            "return_url": return_url,
            "js_url": settings.stripe_js_url,
        }
    return page.html("pages/pay.html", order=order, groups=cart_model(page, order.lines), stripe=stripe)


@page_route("/p/orders/{order_id}")
def order_page(page: Page, order_id: str):
    """The confirmation: tickets with QR codes and PDF, or why not (declined, expired …) and what next."""
    redirect_status = (page.request.query_params or {}).get("redirect_status")
    declined_now, paid_now = redirect_status == "failed", redirect_status in ("succeeded", "processing")
    finished = (OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.REFUNDED)
    # An earlier decline stays on the order until it completes: after a successful retry, wait for the tickets.
    order = _wait(
        page,
        order_id,
        lambda o: o.status in finished or (not paid_now and (declined_now or bool(o.last_payment_error))),
        WAIT_FOR_TICKETS_SECONDS,
    )
    context: dict[str, Any] = {"order": order, "groups": cart_model(page, order.lines), "tickets": [], "message": None}
    if order.status is OrderStatus.COMPLETED:
        by_performance: dict[str, list] = {}
        for ticket in ticketing.tickets_of(order.id):
            by_performance.setdefault(ticket.performance_id, []).append(ticket)
        performances = {performance_id: catalog.performance(performance_id) for performance_id in by_performance}
        context["tickets"] = [
            {
                "performance": performances[performance_id],
                "title": localized(performances[performance_id].title, page.language),
                "pdf": page.url(f"/p/orders/{order.id}/tickets.pdf", performance=items[0].ticket_id),
                "entries": [
                    {"ticket": t, "qr": qr_svg(t.payload, scale=3), "label": t.seat_label or page._("Standing place")}
                    for t in items
                ],
            }
            for performance_id, items in by_performance.items()
        ]
        context["subscriptions"] = subscriptions.subscriptions_of(order)  # their secret ids: the key to change choices
    elif order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        context["message"] = checkout_outcome(
            order.failure_reason or "checkout_error", page.language, places=", ".join(order.lost_places)
        )
    elif order.status is OrderStatus.AWAITING_PAYMENT and not paid_now and (order.last_payment_error or declined_now):
        context["message"] = checkout_outcome("payment_declined", page.language)
    return page.html("pages/order.html", **context)


@page_route("/p/orders/{order_id}/cancel", methods=("POST",))
def cancel_order(page: Page, order_id: str):
    read_form(page)
    if page.session is None:
        raise domain.NotFound("No such checkout.", order_id=order_id)
    checkout_service.cancel_checkout(order_id, page.session)
    return page.redirect(page.url(f"/p/orders/{order_id}"))


@page_route("/p/orders/{order_id}/tickets.pdf")
def tickets_pdf(page: Page, order_id: str):
    order = _own_order(page, order_id)
    if order.status is not OrderStatus.COMPLETED:
        raise domain.NotFound("This order has no tickets (yet).", order_id=order_id)
    documents = ticketing.order_documents(order, page.language)
    if not documents:
        raise domain.NotFound("Every ticket of this order was refunded.", order_id=order_id)
    wanted = (page.request.query_params or {}).get("performance")
    document = next((d for d in documents if wanted and wanted in {t.ticket_id for t in d.tickets}), documents[0])
    return Response(
        body=order_pdf(document, page.language),
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="tickets-{order.id}.pdf"',
        },
    )
