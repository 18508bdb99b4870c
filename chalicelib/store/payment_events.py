"""Payment provider events, stored once per event id (webhooks arrive at least once, in any order)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from .models import PaymentEventItem, is_condition_failure, payment_event_key

EVENT_RETENTION_SECONDS = 90 * 24 * 3600


def record_event(event: dict, now: datetime) -> bool:
    """Store the event if it is new; False for a duplicate delivery (nothing changes then)."""
    data = event.get("data", {}).get("object", {})
    payment_intent = data.get("id") if data.get("object") == "payment_intent" else data.get("payment_intent")
    item = PaymentEventItem(
        payment_event_key(event["id"]),
        "EVENT",
        event_type=event["type"],
        payment_intent_id=payment_intent,
        created=int(event.get("created", 0)),
        received_at=now,
        payload=event,
        ttl=int(now.timestamp()) + EVENT_RETENTION_SECONDS,
    )
    try:
        item.save(condition=PaymentEventItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
