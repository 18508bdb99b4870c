"""The payment provider's webhooks: verified on the raw body, applied to their order, recorded once per event id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import ports
from ..store import payment_events
from .checkout import on_payment_event


def receive(raw_body: bytes, signature_header: str, now: datetime) -> tuple[dict[str, Any], bool]:
    """The webhook's event and whether it is the first of its id; `ports.InvalidSignature` if the signature does
    not match the body."""
    event = ports.payments().verify_webhook(raw_body, signature_header)
    # Apply first, record after: applying is idempotent, and an event whose handling failed (500) must
    # still be applied when the provider redelivers it, not be skipped as a duplicate.
    on_payment_event(event, now)
    return event, payment_events.record_event(event, now)
