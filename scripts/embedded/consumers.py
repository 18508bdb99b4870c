"""The SQS consumers of the embedded stack: what Lambda's event source mappings do on AWS.

For every function whose event source (in the merged template) is one of the template's queues,
a thread polls that queue (in the functions process when the stack runs one, see functions.py;
`RemotePoller` pauses and resumes it from the supervisor), calls the project's chalice handler with a real
SQS-shaped event (`Records` with `messageId`, `receiptHandle`, `body`, `attributes`,
`messageAttributes`, `eventSourceARN` …), deletes the records that succeeded and leaves the ones
listed in `batchItemFailures` (all of them if the handler raised). Those come back once their
visibility lapses, and moto's redrive moves a message to the dead-letter queue after the
queue's `maxReceiveCount` receives, as SQS does.

Differences from AWS, on purpose: polls are short (moto serves one request at a time, so a long
poll would stall it) and back off while a queue is empty; a failed record is made visible again
after `retry_delay` seconds instead of the queue's VisibilityTimeout (360 s), so redelivery and
dead-lettering take seconds in tests.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from . import access, background, resources
from .lambda_context import LocalLambdaContext


@dataclass
class QueuePoller:
    function_logical_id: str
    queue_logical_id: str
    queue_url: str
    queue_arn: str
    handler: Callable[[dict, Any], Any]
    function_name: str
    batch_size: int = 10
    retry_delay: int = 1
    idle_min: float = 0.02
    idle_max: float = 0.25
    endpoint_url: str = ""
    batches: int = 0
    records: int = 0
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _resumed: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self._resumed.set()
        self._sqs = resources.client("sqs", self.endpoint_url)
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self.queue_logical_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._resumed.set()
        if self._thread:
            self._thread.join(timeout=10)

    def pause(self) -> None:
        """Stop taking messages (those in flight finish): tests reorder or inspect the queue meanwhile."""
        self._resumed.clear()
        time.sleep(0.3)

    def resume(self) -> None:
        self._resumed.set()

    def counts(self) -> dict:
        return {
            "records": self.records,
            "batches": self.batches,
            "failures": self.failures,
            "paused": not self._resumed.is_set(),
        }

    def _run(self) -> None:
        with background.work():  # a Lambda fed by a queue: no buyer waits on its requests
            self._poll_until_stopped()

    def _poll_until_stopped(self) -> None:
        idle = self.idle_min
        while not self._stop.is_set():
            self._resumed.wait()
            if self._stop.is_set():
                break
            try:
                handled = self.poll_once()
            except Exception as error:  # moto stopping, a network hiccup: try again shortly
                if not self._stop.is_set():
                    print(f"[consumers] {self.queue_logical_id}: {error}", file=sys.stderr)
                handled = 0
                time.sleep(0.5)
            idle = self.idle_min if handled else min(self.idle_max, idle * 2)
            if not handled:
                self._stop.wait(idle)

    def poll_once(self) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self.record(message) for message in messages]}
        try:
            result = self.handler(event, LocalLambdaContext(self.function_name))
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception:  # the whole batch failed (Powertools raises when every record failed)
            failed = {message["MessageId"] for message in messages}
            if not any("BatchProcessingError" in line for line in traceback.format_exc().splitlines()[-3:]):
                traceback.print_exc()
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(chunk)
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                )
        self.batches += 1
        self.records += len(messages)
        self.failures += len(failed)
        return len(messages)

    def record(self, message: dict) -> dict:
        """One SQS message as Lambda's SQS event source hands it to a function."""
        attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            attributes[name] = {key: item for key, item in attributes[name].items() if item is not None}
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody")
            or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": resources.REGION,
        }


@dataclass
class RemotePoller:
    """A poller running in the functions process (functions.py), controlled over HTTP."""

    queue_logical_id: str
    queue_url: str
    control_url: str

    def pause(self) -> None:
        requests.post(f"{self.control_url}/consumers/{self.queue_logical_id}/pause", timeout=30).raise_for_status()

    def resume(self) -> None:
        requests.post(f"{self.control_url}/consumers/{self.queue_logical_id}/resume", timeout=30).raise_for_status()

    def stop(self) -> None:
        pass  # it stops with its process

    def counts(self) -> dict:
        return requests.get(f"{self.control_url}/consumers", timeout=30).json()[self.queue_logical_id]


@dataclass
class Consumers:
    pollers: dict[str, QueuePoller | RemotePoller]  # by queue logical id
    endpoint_url: str

    def stop(self) -> None:
        for poller in self.pollers.values():
            poller.stop()

    def __getitem__(self, queue_logical_id: str) -> QueuePoller | RemotePoller:
        return self.pollers[queue_logical_id]

    @functools.cached_property
    def _sqs(self):
        return resources.client("sqs", self.endpoint_url)

    def counts(self) -> dict[str, dict]:
        """Records, batches and failures handled, and whether paused, per queue."""
        return {name: poller.counts() for name, poller in self.pollers.items()}

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every source queue is empty and nothing is in flight (messages waiting to be retried count)."""
        sqs = self._sqs
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = 0
            for poller in self.pollers.values():
                attributes = sqs.get_queue_attributes(
                    QueueUrl=poller.queue_url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                busy += int(attributes["ApproximateNumberOfMessages"]) + int(
                    attributes["ApproximateNumberOfMessagesNotVisible"]
                )
            if busy == 0:
                return True
            time.sleep(0.1)
        return False


def event_sources(template: dict) -> dict[str, str]:
    """Function logical id → the logical id of the queue its SQS event source names."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        for source in resource.get("Properties", {}).get("Events", {}).values():
            queue = source.get("Properties", {}).get("Queue")
            # `{"Fn::Sub": "${Q.Arn}"}`: a Sub, because the template merges into chalice's own Sub of a queue name
            match = re.fullmatch(r"\$\{(\w+)\.Arn\}", queue.get("Fn::Sub", "")) if isinstance(queue, dict) else None
            if match:
                found[logical_id] = match.group(1)
    return found


def _queue_functions(app) -> list[tuple[Any, str, str]]:
    """(chalice SQS event config, function logical id, queue logical id) per `on_sqs_message` function."""
    from chalice.app import SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    sources = event_sources(resources.load_template())
    found = []
    for config in app.event_sources:
        if not isinstance(config, SQSEventConfig):
            continue
        logical_id = to_cfn_resource_name(config.name)
        queue = sources.get(logical_id)
        if queue is None:
            raise RuntimeError(f"{logical_id} has no queue in infra/template.json")
        found.append((config, logical_id, queue))
    return found


def start_consumers(app, refs: dict[str, str], stage: str, endpoint_url: str, retry_delay: int = 1) -> Consumers:
    """A poller per chalice `on_sqs_message` function, on the queue the template gives it."""
    pollers = {}
    for config, logical_id, queue in _queue_functions(app):
        module_name, _, attribute = config.handler_string.rpartition(".")
        handler = access.as_function(logical_id, getattr(importlib.import_module(module_name), attribute))
        poller = QueuePoller(
            logical_id,
            queue,
            refs[queue],
            refs[f"{queue}.Arn"],
            handler,
            resources.physical_name(stage, logical_id),
            batch_size=config.batch_size,
            retry_delay=retry_delay,
            endpoint_url=endpoint_url,
        )
        poller.start()
        pollers[queue] = poller
    return Consumers(pollers, endpoint_url)


def remote_consumers(app, refs: dict[str, str], endpoint_url: str, control_url: str) -> Consumers:
    """The consumers the functions process runs, as this process sees them."""
    return Consumers(
        {queue: RemotePoller(queue, refs[queue], control_url) for _, _, queue in _queue_functions(app)}, endpoint_url
    )
