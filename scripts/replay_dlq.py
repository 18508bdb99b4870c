"""`scripts/replay-dlq QUEUE`: move a dead-letter queue's messages back to the queue they came from.

Use it after fixing what made them fail (a missing mapping, a bug, an outside service that was
down for longer than the retries). Each message keeps its body and message attributes, so the
consumer sees the same event id: whatever was applied before is not applied twice (idempotency),
and what failed is applied now. Works against moto (AWS_ENDPOINT_URL) and AWS alike.
"""

from __future__ import annotations

import argparse
import os
import sys

import boto3

SHORT_NAMES = {"availability": "Availability", "uitdatabank": "Uitdatabank", "uitpas": "Uitpas", "exchange": "Exchange"}


def sqs_client():
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint and "AWS_ACCESS_KEY_ID" not in os.environ:  # moto accepts any credentials
        return boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    return boto3.client("sqs", endpoint_url=endpoint, region_name=region)


def dead_letter_queue_url(sqs, queue: str, stage: str) -> str:
    if queue.startswith("http://") or queue.startswith("https://"):
        return queue
    name = f"podium-{stage}-{SHORT_NAMES[queue]}DeadLetterQueue" if queue in SHORT_NAMES else queue
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def source_queue_url(sqs, dlq_url: str) -> str:
    """The queue whose redrive policy names this dead-letter queue."""
    try:
        sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    except Exception:  # noqa: BLE001 - an emulator without the call: fall back to the naming convention
        sources = []
    if len(sources) == 1:
        return sources[0]
    if dlq_url.endswith("DeadLetterQueue"):
        return sqs.get_queue_url(QueueName=dlq_url.rsplit("/", 1)[-1][: -len("DeadLetterQueue")] + "Queue")["QueueUrl"]
    raise SystemExit(f"cannot tell which queue {dlq_url} is the dead-letter queue of ({len(sources)} candidates)")


def replay(sqs, dlq_url: str, target_url: str, limit: int | None = None, dry_run: bool = False) -> int:
    moved = 0
    empty_polls = 0
    while empty_polls < 2 and (limit is None or moved < limit):
        batch = min(10, limit - moved) if limit is not None else 10
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=batch,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        if not messages:
            empty_polls += 1
            continue
        empty_polls = 0
        if dry_run:
            for message in messages:
                print(message["Body"][:200])
            return len(messages)
        entries = [
            {
                "Id": str(index),
                "MessageBody": message["Body"],
                "MessageAttributes": {
                    name: {
                        key: value
                        for key, value in attribute.items()
                        if key in ("DataType", "StringValue", "BinaryValue")
                    }
                    for name, attribute in (message.get("MessageAttributes") or {}).items()
                },
            }
            for index, message in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=target_url, Entries=entries)
        ok = {entry["Id"] for entry in sent.get("Successful", [])}
        done = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if str(index) in ok
        ]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=done)
        moved += len(done)
        if len(ok) < len(messages):
            print(f"{len(messages) - len(ok)} message(s) could not be sent back; they stay in the DLQ", file=sys.stderr)
            break
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/replay-dlq", description=__doc__)
    parser.add_argument("queue", help="availability | uitdatabank | uitpas | exchange, a DLQ name or URL")
    parser.add_argument("--stage", default=os.environ.get("PODIUM_STAGE", "demo"))
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument("--dry-run", action="store_true", help="show up to 10 messages, move nothing")
    args = parser.parse_args(argv)
    if args.stage == "demo":  # the embedded stack's moto, unless told otherwise
        os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:" + os.environ.get("PODIUM_MOTO_PORT", "5000"))
    sqs = sqs_client()
    dlq = dead_letter_queue_url(sqs, args.queue, args.stage)
    target = source_queue_url(sqs, dlq)
    moved = replay(sqs, dlq, target, args.max, args.dry_run)
    print(f"{'Would move' if args.dry_run else 'Moved'} {moved} message(s) from {dlq} to {target}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
