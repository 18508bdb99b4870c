"""Domain events for the fan-out: each integration's queue receives the ones it subscribes to."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Events(Protocol):
    def publish(self, event_type: str, event_id: str, occurred_at: datetime, detail: dict) -> str:
        """Publish one event; `event_id` is stable, so consumers that see it twice apply it once.
        Returns the message id."""
