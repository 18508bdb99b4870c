"""The payment provider's webhook: verified on the raw body, recorded once per event id.

A payment's outcome resumes the order's checkout workflow (services.payment_webhooks → services.checkout);
events are also stored once per event id, as the audit of what the provider said.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..observability import count, logger
from ..ports import InvalidSignature
from ..services import payment_webhooks
from ..web.auth import public_route
from ..web.http import endpoint, json_response, problem

payments = Blueprint(__name__)
route = endpoint(payments)


@payments.route("/webhooks/stripe", methods=["POST"])
@route
@public_route()
def stripe_webhook():
    request = payments.current_request
    try:
        event, fresh = payment_webhooks.receive(
            # chalice annotates raw_body as str | bytes, but it always returns bytes
            request.raw_body or b"",  # type: ignore[arg-type]
            request.headers.get("stripe-signature", ""),
            ports.clock().now(),
        )
    except InvalidSignature:
        count("PaymentWebhooksRejected")
        logger.warning("payment webhook with a bad signature refused")
        return problem("malformed_request", "The Stripe-Signature does not match the body.", request, status=400)
    logger.info("payment webhook", extra={"event_id": event["id"], "event_type": event["type"], "duplicate": not fresh})
    count("PaymentWebhooks")
    return json_response({"received": True, "duplicate": not fresh})
