"""Events port on AWS: domain events to the cluster's one SNS topic; each integration's queue subscribes to it.

The event type is a message attribute for subscription filters.
"""

from __future__ import annotations

import json
from datetime import datetime

from ..settings import get_settings
from .aws_clients import client


class SnsEvents:
    def publish(self, event_type: str, event_id: str, occurred_at: datetime, detail: dict) -> str:
        """Publish one event; returns the SNS message id."""
        body = {"type": event_type, "id": event_id, "occurred_at": occurred_at.isoformat(), "detail": detail}
        response = client("sns").publish(
            TopicArn=get_settings().events_topic_arn,
            Message=json.dumps(body, sort_keys=True),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
        )
        return response["MessageId"]
