"""Domain events to the cluster's one SNS topic; each integration's queue subscribes to it.

Every event has a stable id, so consumers that see it twice (SNS and SQS are at-least-once)
apply it once. The event type is a message attribute for subscription filters.
"""
from __future__ import annotations

import json
from datetime import datetime

from .aws import client
from .settings import get_settings


def publish(event_type: str, event_id: str, occurred_at: datetime, detail: dict) -> str:
    """Publish one event; returns the SNS message id."""
    body = {"type": event_type, "id": event_id, "occurred_at": occurred_at.isoformat(), "detail": detail}
    response = client("sns").publish(
        TopicArn=get_settings().events_topic_arn, Message=json.dumps(body, sort_keys=True),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}})
    return response["MessageId"]
