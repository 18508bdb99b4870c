"""The payment provider's webhook: verified on the raw body, recorded once per event id.

A payment's outcome resumes the order's checkout workflow (services.checkout.on_payment_event);
events are also stored once per event id, as the audit of what the provider said.
"""
from __future__ import annotations

from chalice import Blueprint

from ..domain.catalog import utcnow
from ..observability import count, logger
from ..payments.stripe_gateway import InvalidSignature, verify_webhook
from ..services import checkout
from ..store import payment_events
from .auth import public_route
from .http import endpoint, json_response, problem

payments = Blueprint(__name__)
route = endpoint(payments)


@payments.route("/webhooks/stripe", methods=["POST"])
@route
@public_route()
def stripe_webhook():
    request = payments.current_request
    try:
        event = verify_webhook(request.raw_body or b"", request.headers.get("stripe-signature", ""))
    except InvalidSignature:
        count("PaymentWebhooksRejected")
        logger.warning("payment webhook with a bad signature refused")
        return problem("malformed_request", "The Stripe-Signature does not match the body.", request, status=400)
    now = utcnow()
    # Apply first, record after: applying is idempotent, and an event whose handling failed (500) must
    # still be applied when the provider redelivers it, not be skipped as a duplicate.
    checkout.on_payment_event(event, now)
    fresh = payment_events.record_event(event, now)
    logger.info("payment webhook", extra={"event_id": event["id"], "event_type": event["type"], "duplicate": not fresh})
    count("PaymentWebhooks")
    return json_response({"received": True, "duplicate": not fresh})
