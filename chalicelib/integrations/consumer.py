"""The shared shape of every fan-out consumer: a Powertools BatchProcessor over the SQS batch,
each record applied once per consumer (Powertools idempotency on the event id).

A record whose handling raises is reported in `batchItemFailures`: SQS delivers it again, and
after the queue's `maxReceiveCount` moves it to the dead-letter queue. The idempotency record
of a failed attempt is deleted by Powertools, so a later delivery (or a replay from the DLQ)
runs again; a record that succeeded answers from the idempotency table without side effects.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from ..observability import count, logger
from .config import integration_settings

IDEMPOTENCY_SECONDS = 7 * 24 * 3600  # longer than a message can live in a queue and its DLQ is replayed


@dataclass(frozen=True)
class DomainEvent:
    """An event from the cluster's topic, typed at the boundary."""

    type: str
    id: str
    occurred_at: datetime
    detail: dict

    @classmethod
    def parse(cls, body: str) -> DomainEvent:
        document = json.loads(body)
        return cls(
            str(document["type"]),
            str(document["id"]),
            datetime.fromisoformat(document["occurred_at"]),
            dict(document.get("detail") or {}),
        )


Apply = Callable[[DomainEvent], Any]


class Consumer:
    """One integration's consumer: its own batch processor and its own idempotency keys."""

    def __init__(self, name: str, apply: Apply):
        self.name = name
        self.apply = apply
        self.processor = BatchProcessor(event_type=EventType.SQS)
        self._once: Callable[..., Any] | None = None
        self._config: IdempotencyConfig | None = None
        self._lock = threading.Lock()

    def _build(self) -> Callable[..., Any]:
        # Built on first use: the table name comes from the environment the stack sets late.
        with self._lock:
            if self._once is None:
                self._config = IdempotencyConfig(
                    event_key_jmespath="[consumer, event_id]",
                    raise_on_no_idempotency_key=True,
                    expires_after_seconds=IDEMPOTENCY_SECONDS,
                )
                persistence = DynamoDBPersistenceLayer(table_name=integration_settings().idempotency_table_name)
                apply = self.apply
                name = self.name

                @idempotent_function(
                    data_keyword_argument="envelope", persistence_store=persistence, config=self._config
                )
                def apply_once(envelope: dict) -> dict:
                    event = DomainEvent.parse(envelope["body"])
                    result = apply(event)
                    count(f"{name.capitalize()}EventsApplied")
                    return {
                        "event_id": event.id,
                        "result": result
                        if isinstance(result, (dict, list, str, int)) or result is None
                        else str(result),
                    }

                self._once = apply_once
            return self._once

    def record_handler(self, record: SQSRecord) -> Any:
        once = self._build()
        try:
            event_id = json.loads(record.body)["id"]
        except (ValueError, KeyError, TypeError):
            count(f"{self.name.capitalize()}EventsMalformed")
            logger.error(
                "fan-out message is not a domain event", extra={"consumer": self.name, "message_id": record.message_id}
            )
            raise
        try:
            # The consumer's name is part of the key: every integration applies an event once, independently.
            return once(envelope={"consumer": self.name, "event_id": event_id, "body": record.body})
        except Exception as error:
            count(f"{self.name.capitalize()}EventsFailed")
            logger.warning(
                "fan-out event failed",
                extra={
                    "consumer": self.name,
                    "event_id": event_id,
                    "error": type(error).__name__,
                    "detail": str(error)[:300],
                },
            )
            raise

    def __call__(self, event: dict, context: Any) -> PartialItemFailureResponse:
        self._build()
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._config.register_lambda_context(context)  # type: ignore[union-attr]
        return process_partial_response(
            event=event, record_handler=self.record_handler, processor=self.processor, context=context
        )
