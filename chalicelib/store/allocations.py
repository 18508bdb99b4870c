"""Allocation repository: the allocation records and the mark each of its seats carries.

A seat set aside carries `allocation_id` and `allocation_until` (the deadline, epoch ms), written in the
same transaction as the allocation record. Every claim on a seat conditions on that mark
(`pool_condition`), so who may take a seat is decided by DynamoDB at the moment of the claim, and a
lapsed deadline returns the seat to the general sale without any write.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.allocations import Allocation, SellingPool
from ..domain.errors import AlreadyExists, Conflict, NotFound, SeatsUnavailable
from .models import (
    HoldItem,
    SeatItem,
    StandingShardItem,
    TableItem,
    _Gsi1,
    any_condition_failed,
    is_condition_failure,
    performance_holds_key,
    performance_key,
    seat_key,
    standing_shard_key,
    string_list,
    transaction_connection,
)

ALLOCATION_PREFIX = "ALLOCATION#"


class AllocationItem(TableItem):
    """One allocation, in its performance's partition; the holding house finds its own through gsi1."""

    allocation_id = UnicodeAttribute()
    performance_id = UnicodeAttribute()
    owner_house_id = UnicodeAttribute()
    holder_house_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    seat_ids = string_list(default=list)
    returns_at = UTCDateTimeAttribute()
    returns_epoch = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    released = BooleanAttribute(default=False)
    returned = NumberAttribute(null=True)
    places = NumberAttribute(null=True)  # a standing allocation: its places, kept in standing counter `counter`
    counter = NumberAttribute(null=True)
    version = NumberAttribute(default=1)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def holder_key(house_id: str) -> str:
    return f"HOUSE#{house_id}#ALLOCATIONS"


def general_pool(now_ms: int):
    """A seat of the general sale: never set aside, or its allocation lapsed (or was released)."""
    return SeatItem.allocation_id.does_not_exist() | (SeatItem.allocation_until <= now_ms)


def pool_condition(pool: SellingPool, now_ms: int):
    """The claim condition on a seat's allocation mark for a seller selling from `pool`."""
    clauses = [general_pool(now_ms)] if pool.general else []
    if pool.allocation_ids:
        clauses.append(SeatItem.allocation_id.is_in(*pool.allocation_ids) & (SeatItem.allocation_until > now_ms))
    if pool.channel:
        clauses.append((SeatItem.allocation_channel == pool.channel) & (SeatItem.allocation_until > now_ms))
    condition = clauses[0]
    for clause in clauses[1:]:
        condition = condition | clause
    return condition


def live_counter(now: datetime):
    """A standing counter to take places from: a general shard, or a standing allocation's before its deadline."""
    return StandingShardItem.allocation_until.does_not_exist() | (StandingShardItem.allocation_until > epoch_ms(now))


def free_or_lapsed_hold(now_ms: int):
    return (SeatItem.state == "free") | ((SeatItem.state == "held") & (SeatItem.hold_expires <= now_ms))


def _allocation(item: AllocationItem) -> Allocation:
    return Allocation(
        item.allocation_id,
        item.performance_id,
        item.owner_house_id,
        item.holder_house_id,
        item.channel,
        tuple(item.seat_ids or ()),
        item.returns_at,
        item.created_at,
        bool(item.released),
        None if item.returned is None else int(item.returned),
        int(item.places or 0),
        None if item.counter is None else int(item.counter),
    )


def get_allocation(performance_id: str, allocation_id: str) -> Allocation:
    """The allocation, or NotFound."""
    try:
        item = AllocationItem.get(
            performance_key(performance_id), ALLOCATION_PREFIX + allocation_id, consistent_read=True
        )
    except DoesNotExist:
        raise NotFound("No such allocation.", allocation_id=allocation_id) from None
    return _allocation(item)


def allocations_of(performance_id: str) -> list[Allocation]:
    """Every allocation of a performance (one Query on its partition)."""
    return [
        _allocation(item)
        for item in AllocationItem.query(
            performance_key(performance_id), AllocationItem.sk.startswith(ALLOCATION_PREFIX), consistent_read=True
        )
    ]


def allocations_held_by(house_id: str) -> list[Allocation]:
    """Every allocation another house gave `house_id`, soonest deadline first."""
    return [_allocation(item) for item in AllocationItem.by_gsi1.query(holder_key(house_id))]


def _mark_seats(transaction, allocation: Allocation, seat_ids, now_ms: int) -> None:
    """Set seats aside: each must exist, be free (or only held by a lapsed hold) and in no live allocation."""
    pk = performance_key(allocation.performance_id)
    until = epoch_ms(allocation.returns_at)
    for seat_id in seat_ids:
        transaction.update(
            SeatItem(pk, seat_key(seat_id)),
            actions=[
                SeatItem.allocation_id.set(allocation.id),
                SeatItem.allocation_until.set(until),
                SeatItem.allocation_channel.set(allocation.channel)
                if allocation.channel
                else SeatItem.allocation_channel.remove(),
                SeatItem.version.add(1),
            ],
            condition=SeatItem.pk.exists() & free_or_lapsed_hold(now_ms) & general_pool(now_ms),
            return_values="ALL_OLD",
        )


def _refused_seats(error: TransactWriteError) -> list[str]:
    return sorted(
        reason.raw_item["SK"]["S"][len("SEAT#") :]
        for reason in (error.cancellation_reasons or [])
        if reason
        and reason.code == "ConditionalCheckFailed"
        and reason.raw_item
        and reason.raw_item.get("SK", {}).get("S", "").startswith("SEAT#")
    )


def _item(allocation: Allocation, version: int) -> AllocationItem:
    deadline = epoch_ms(allocation.returns_at)
    holder: dict[str, Any] = {}
    if allocation.holder_house_id:
        holder = {"gsi1pk": holder_key(allocation.holder_house_id), "gsi1sk": f"{deadline:015d}#{allocation.id}"}
    return AllocationItem(
        performance_key(allocation.performance_id),
        ALLOCATION_PREFIX + allocation.id,
        allocation_id=allocation.id,
        performance_id=allocation.performance_id,
        owner_house_id=allocation.owner_house_id,
        holder_house_id=allocation.holder_house_id,
        channel=allocation.channel,
        seat_ids=list(allocation.seat_ids),
        returns_at=allocation.returns_at,
        returns_epoch=deadline,
        created_at=allocation.created_at,
        released=allocation.released,
        version=version,
        places=allocation.places or None,
        counter=allocation.counter,
        **holder,
    )


def create_allocation(allocation: Allocation, now: datetime) -> None:
    """Record the allocation and set its seats aside, all or nothing; SeatsUnavailable names seats not free."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            _mark_seats(transaction, allocation, allocation.seat_ids, epoch_ms(now))
            transaction.save(_item(allocation, 1), condition=AllocationItem.pk.does_not_exist())
    except TransactWriteError as error:
        taken = _refused_seats(error)
        if taken:
            raise SeatsUnavailable("Some seats are sold, held or set aside already.", taken=taken) from error
        if any_condition_failed(error):
            raise AlreadyExists("This allocation id exists already.", allocation_id=allocation.id) from error
        raise


def change_allocation(before: Allocation, after: Allocation, now: datetime) -> None:
    """Add seats, give seats back (only free ones) and move the deadline of a live allocation, all or nothing.

    Conditional on the allocation being unchanged since `before` was read (Conflict otherwise)."""
    now_ms = epoch_ms(now)
    pk = performance_key(before.performance_id)
    added = [s for s in after.seat_ids if s not in before.seat_ids]
    removed = [s for s in before.seat_ids if s not in after.seat_ids]
    kept = [s for s in after.seat_ids if s in before.seat_ids] if after.returns_at != before.returns_at else []
    ours = SeatItem.allocation_id == before.id
    item = _item(after, 0)
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            _mark_seats(transaction, after, added, now_ms)
            for seat_id in removed:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[
                        SeatItem.allocation_id.remove(),
                        SeatItem.allocation_until.remove(),
                        SeatItem.allocation_channel.remove(),
                        SeatItem.version.add(1),
                    ],
                    condition=ours & free_or_lapsed_hold(now_ms),
                    return_values="ALL_OLD",
                )
            for seat_id in kept:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[SeatItem.allocation_until.set(epoch_ms(after.returns_at))],
                    condition=ours,
                    return_values="ALL_OLD",
                )
            transaction.update(
                AllocationItem(pk, ALLOCATION_PREFIX + before.id),
                actions=[
                    AllocationItem.seat_ids.set(list(after.seat_ids)),
                    AllocationItem.returns_at.set(after.returns_at),
                    AllocationItem.returns_epoch.set(item.returns_epoch),
                    AllocationItem.version.add(1),
                    *([AllocationItem.gsi1sk.set(item.gsi1sk)] if item.gsi1sk else []),
                ],
                condition=(AllocationItem.returns_epoch > now_ms)
                & (AllocationItem.seat_ids == list(before.seat_ids))
                & (AllocationItem.returns_epoch == epoch_ms(before.returns_at))
                & (AllocationItem.owner_house_id == before.owner_house_id),
            )
    except TransactWriteError as error:
        refused = _refused_seats(error)
        if refused:
            raise SeatsUnavailable("Some seats are sold, held or set aside already.", taken=refused) from error
        raise Conflict(
            "This allocation changed or lapsed meanwhile; read it again.", allocation_id=before.id
        ) from error


def release_allocation(allocation: Allocation, now: datetime) -> None:
    """Give every seat not sold or held back to the general sale now (the deadline moves to now)."""
    pk = performance_key(allocation.performance_id)
    now_ms = epoch_ms(now)
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            for seat_id in allocation.seat_ids:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[SeatItem.allocation_until.set(now_ms)],
                    condition=SeatItem.allocation_id == allocation.id,
                )
            transaction.update(
                AllocationItem(pk, ALLOCATION_PREFIX + allocation.id),
                actions=[
                    AllocationItem.returns_at.set(now),
                    AllocationItem.returns_epoch.set(now_ms),
                    AllocationItem.released.set(True),
                    AllocationItem.version.add(1),
                ],
                condition=(AllocationItem.returns_epoch > now_ms)
                & (AllocationItem.owner_house_id == allocation.owner_house_id),
            )
    except TransactWriteError as error:
        raise Conflict("This allocation has lapsed or was released already.", allocation_id=allocation.id) from error


def record_returned(allocation: Allocation, returned: int) -> bool:
    """Record once how many seats a lapsed allocation gave back; False if recorded before."""
    try:
        AllocationItem(performance_key(allocation.performance_id), ALLOCATION_PREFIX + allocation.id).update(
            actions=[AllocationItem.returned.set(returned)],
            condition=AllocationItem.returned.does_not_exist() & AllocationItem.pk.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def _counter_key(allocation: Allocation) -> tuple[str, str]:
    """The key of a standing allocation's own counter shard."""
    assert allocation.counter is not None  # a standing allocation has its counter
    return standing_shard_key(allocation.performance_id, allocation.counter)


def _counter(allocation: Allocation) -> StandingShardItem:
    return StandingShardItem(*_counter_key(allocation))


def create_standing_allocation(allocation: Allocation, shard_takes: list[tuple[int, int]]) -> bool:
    """Move places from the general shards to the allocation's own counter and record it, all or nothing;
    False if a shard ran short meanwhile."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            for shard, places in shard_takes:
                transaction.update(
                    StandingShardItem(*standing_shard_key(allocation.performance_id, shard)),
                    actions=[StandingShardItem.remaining.add(-places)],
                    condition=StandingShardItem.remaining >= places,
                )
            counter = _counter(allocation)
            counter.capacity, counter.remaining = allocation.places, allocation.places
            counter.allocation_until = epoch_ms(allocation.returns_at)
            transaction.save(counter, condition=StandingShardItem.pk.does_not_exist())
            transaction.save(_item(allocation, 1), condition=AllocationItem.pk.does_not_exist())
    except TransactWriteError as error:
        if any(
            reason and reason.code in ("ConditionalCheckFailed", "TransactionConflict")
            for reason in error.cancellation_reasons or []
        ):
            return False
        raise
    return True


def counter_remaining(allocation: Allocation) -> int:
    """Places left in a standing allocation's counter."""
    return int(StandingShardItem.get(*_counter_key(allocation), consistent_read=True).remaining)


def return_standing(allocation: Allocation, now: datetime, release: bool = False) -> int:
    """Move what a lapsed (or, with `release`, a live) standing allocation's counter has to general shard 0, in
    one transaction conditional on the counter's count, adding it to the record's `returned`; how many moved.

    Places that come back to the counter later (a hold lapsing, a refund) are moved by the next call."""
    now_ms = epoch_ms(now)
    for _ in range(3):
        remaining = counter_remaining(allocation)
        if not remaining and not release:
            return 0
        record: list[Action] = [AllocationItem.returned.add(remaining), AllocationItem.version.add(1)]
        if release:
            record += [
                AllocationItem.returns_at.set(now),
                AllocationItem.returns_epoch.set(now_ms),
                AllocationItem.released.set(True),
            ]
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.update(
                    _counter(allocation),
                    actions=[
                        StandingShardItem.remaining.set(0),
                        *([StandingShardItem.allocation_until.set(0)] if release else []),
                    ],
                    condition=(StandingShardItem.remaining == remaining)
                    & (
                        StandingShardItem.allocation_until > now_ms
                        if release
                        else StandingShardItem.allocation_until <= now_ms
                    ),
                )
                if remaining:
                    transaction.update(
                        StandingShardItem(*standing_shard_key(allocation.performance_id, 0)),
                        actions=[StandingShardItem.remaining.add(remaining)],
                    )
                transaction.update(
                    AllocationItem(performance_key(allocation.performance_id), ALLOCATION_PREFIX + allocation.id),
                    actions=record,
                    condition=AllocationItem.pk.exists(),
                )
            return remaining
        except TransactWriteError as error:
            if (
                release
                and StandingShardItem.get(*_counter_key(allocation), consistent_read=True).allocation_until <= now_ms
            ):
                raise Conflict(
                    "This allocation has lapsed or was released already.", allocation_id=allocation.id
                ) from error
            continue  # a hold took or gave back places meanwhile: read the count again
    if release:
        raise Conflict("Places of this allocation keep changing; try again.", allocation_id=allocation.id)
    return 0


def counters_remaining(performance_id: str, counters: list[int]) -> dict[int, int]:
    """Places left per standing allocation counter (reads only)."""
    items = StandingShardItem.batch_get(
        [standing_shard_key(performance_id, counter) for counter in counters], attributes_to_get=["SK", "remaining"]
    )
    return {int(item.sk.split("#")[1]): int(item.remaining) for item in items}


def move_standing_deadline(allocation: Allocation, returns_at: datetime, now: datetime) -> None:
    """Move a live standing allocation's deadline, on its record and its counter together."""
    now_ms, until = epoch_ms(now), epoch_ms(returns_at)
    item = _item(replace(allocation, returns_at=returns_at), 0)
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                _counter(allocation),
                actions=[StandingShardItem.allocation_until.set(until)],
                condition=StandingShardItem.allocation_until > now_ms,
            )
            transaction.update(
                AllocationItem(performance_key(allocation.performance_id), ALLOCATION_PREFIX + allocation.id),
                actions=[
                    AllocationItem.returns_at.set(returns_at),
                    AllocationItem.returns_epoch.set(until),
                    AllocationItem.version.add(1),
                    *([AllocationItem.gsi1sk.set(item.gsi1sk)] if item.gsi1sk else []),
                ],
                condition=AllocationItem.returns_epoch > now_ms,
            )
    except TransactWriteError as error:
        raise Conflict("This allocation has lapsed meanwhile.", allocation_id=allocation.id) from error


def places_held_from(allocation: Allocation, now: datetime) -> int:
    """Places that live holds keep from a standing allocation's counter (the sparse index of live holds)."""
    held = 0
    for item in HoldItem.by_gsi1.query(
        performance_holds_key(allocation.performance_id), HoldItem.gsi1sk > f"{epoch_ms(now):015d}"
    ):
        held += sum(int(places) for shard, places in (item.standing_shards or []) if int(shard) == allocation.counter)
    return held
