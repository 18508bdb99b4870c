"""The payment provider's webhook: verified on the raw body, recorded once per event id.

Checkout's workflow consumes the recorded events (payment succeeded, failed, canceled); this
route only proves the sender and makes redeliveries harmless.
"""
from __future__ import annotations

from chalice import Blueprint

from ..domain.catalog import utcnow
from ..observability import count, logger
from ..payments.stripe_gateway import InvalidSignature, verify_webhook
from ..store import payment_events
from .http import endpoint, json_response, problem

payments = Blueprint(__name__)
route = endpoint(payments)


@payments.route("/webhooks/stripe", methods=["POST"])
@route
def stripe_webhook():
    request = payments.current_request
    try:
        event = verify_webhook(request.raw_body or b"", request.headers.get("stripe-signature", ""))
    except InvalidSignature:
        count("PaymentWebhooksRejected")
        logger.warning("payment webhook with a bad signature refused")
        return problem("malformed_request", "The Stripe-Signature does not match the body.", request, status=400)
    fresh = payment_events.record_event(event, utcnow())
    logger.info("payment webhook", extra={"event_id": event["id"], "event_type": event["type"], "duplicate": not fresh})
    count("PaymentWebhooks")
    return json_response({"received": True, "duplicate": not fresh})
