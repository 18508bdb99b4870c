"""Waiting-room repository: the sharded counters that hand out places in line.

Each shard is its own item under its own partition key (`QUEUE#{performance}#{shard}`), so a burst
of joiners spreads its writes over `shards` keys instead of one. Spent admissions are written by
the reservation repository, in the hold's own transaction (`admission_put`).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from .models import AdmissionItem, QueueShardItem, is_condition_failure

# A spent admission's record outlives any admission's validity (at most an hour) with margin.
ADMISSION_RECORD_SECONDS = 2 * 3600


def queue_shard_key(performance_id: str, shard: int) -> str:
    return f"QUEUE#{performance_id}#{shard}"


def join(performance_id: str, shard: int, floor: int) -> int:
    """Count one more joiner on `shard` and return the new count, which is more than `floor`.

    In a busy line the counter is past the floor and this is one conditional add; after a quiet
    spell the counter is first raised to the floor (a second conditional write)."""
    item = QueueShardItem(queue_shard_key(performance_id, shard), "QUEUE")
    for _ in range(5):
        try:  # PynamoDB reads the new values back into `item`
            item.update(actions=[QueueShardItem.joined.add(1)], condition=QueueShardItem.joined >= floor)
            return int(item.joined)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
        try:
            item.update(
                actions=[QueueShardItem.joined.set(floor + 1)],
                condition=QueueShardItem.joined.does_not_exist() | (QueueShardItem.joined < floor),
            )
            return int(item.joined)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            # another joiner raised it meanwhile: count on top of theirs
    item.update(actions=[QueueShardItem.joined.add(1)])
    return int(item.joined)


def joined(performance_id: str, shards: int) -> int:
    """How many joined the line over all shards (reads only)."""
    keys = [(queue_shard_key(performance_id, shard), "QUEUE") for shard in range(shards)]
    return sum(int(item.joined or 0) for item in QueueShardItem.batch_get(keys))


def admission_item(nonce: str, hold_id: str, now: datetime) -> AdmissionItem:
    """The record that spends an admission; put with `attribute_not_exists` in the hold's transaction."""
    return AdmissionItem(
        f"ADMISSION#{nonce}", "ADMISSION", hold_id=hold_id, ttl=int(now.timestamp()) + ADMISSION_RECORD_SECONDS
    )
