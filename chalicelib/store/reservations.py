"""Reservation repository: seat and standing-place claims, releases and expiry.

Every change is conditional: a seat is claimed only if it is free or its hold has expired
(so an expired hold never blocks a buyer, whether or not the sweeper ran), several seats are
claimed in one TransactWriteItems together with the hold record (all or nothing), and a
standing shard is decremented only while `remaining >= n`.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import HoldNotActive, NotFound, SeatsUnavailable
from ..domain.holds import Hold, HoldStatus
from .models import (
    HoldItem,
    SeatItem,
    StandingShardItem,
    TableItem,
    hold_key,
    is_condition_failure,
    performance_holds_key,
    performance_key,
    seat_key,
)

# Seconds a hold record stays in the table after it stopped mattering (audit, then TTL).
HOLD_RECORD_RETENTION = 7 * 24 * 3600
# On AWS, concurrent transactions on one item are cancelled with TransactionConflict: retry briefly.
CONFLICT_RETRIES = 3

_connection = Connection(region=TableItem.Meta.region, max_pool_connections=64)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class SeatState:
    seat_id: str
    state: str  # free | held | sold | blocked, with expired holds already shown as free
    hold_id: str | None


def seat_states(performance_id: str, now: datetime) -> dict[str, SeatState]:
    """Current state of every seat of a performance: one Query on its partition."""
    now_ms = epoch_ms(now)
    states: dict[str, SeatState] = {}
    for item in SeatItem.query(performance_key(performance_id), SeatItem.sk.startswith("SEAT#"),
                               attributes_to_get=["SK", "state", "hold_id", "hold_expires"]):
        state, hold_id = item.state, item.hold_id
        if state == "held" and (item.hold_expires or 0) <= now_ms:
            state, hold_id = "free", None
        seat_id = item.sk[len("SEAT#"):]
        states[seat_id] = SeatState(seat_id, state, hold_id)
    return states


def _hold_item(hold: Hold) -> HoldItem:
    expires = epoch_ms(hold.expires_at)
    return HoldItem(
        hold_key(hold.id), "HOLD", hold_id=hold.id, performance_id=hold.performance_id, house_id=hold.house_id,
        session_hash=hold.session_hash, seat_ids=list(hold.seat_ids), quantity=hold.quantity,
        standing_shards=[list(pair) for pair in hold.standing_shards], created_at=hold.created_at,
        expires_at=hold.expires_at, expires_epoch=expires, status=hold.status.value,
        ttl=expires // 1000 + HOLD_RECORD_RETENTION,
        gsi1pk=performance_holds_key(hold.performance_id), gsi1sk=f"{expires:015d}")


def claim_seats(hold: Hold, now: datetime) -> None:
    """Claim every seat of `hold` and record the hold in one transaction, or raise SeatsUnavailable."""
    now_ms = epoch_ms(now)
    expires = epoch_ms(hold.expires_at)
    claimable = (SeatItem.state == "free") | ((SeatItem.state == "held") & (SeatItem.hold_expires <= now_ms))
    pk = performance_key(hold.performance_id)
    for attempt in range(CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=_connection) as transaction:
                for seat_id in hold.seat_ids:
                    transaction.update(
                        SeatItem(pk, seat_key(seat_id)),
                        actions=[SeatItem.state.set("held"), SeatItem.hold_id.set(hold.id),
                                 SeatItem.hold_expires.set(expires), SeatItem.version.add(1)],
                        condition=claimable & SeatItem.pk.exists(), return_values="ALL_OLD")
                transaction.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
            return
        except TransactWriteError as error:
            reasons = [reason for reason in (error.cancellation_reasons or []) if reason]
            # The failed items come back whole (ALL_OLD): name the taken seats by their keys,
            # not by position, which PynamoDB reorders by kind of action.
            taken = sorted(reason.raw_item["SK"]["S"][len("SEAT#"):] for reason in reasons
                           if reason.code == "ConditionalCheckFailed" and reason.raw_item
                           and reason.raw_item.get("SK", {}).get("S", "").startswith("SEAT#"))
            if taken:
                raise SeatsUnavailable("Some of these seats were just taken by someone else.", taken=taken) from error
            if any(reason.code == "TransactionConflict" for reason in reasons) and attempt + 1 < CONFLICT_RETRIES:
                time.sleep(random.uniform(0.005, 0.03))
                continue
            raise


def standing_remaining(performance_id: str, shards: int) -> dict[int, int]:
    """Places left per standing shard (reads only: a sold-out answer costs no write)."""
    pk = performance_key(performance_id)
    items = StandingShardItem.batch_get([(pk, f"STANDING#{shard}") for shard in range(shards)],
                                        attributes_to_get=["SK", "remaining"])
    return {int(item.sk.split("#")[1]): int(item.remaining) for item in items}


def claim_standing(hold: Hold, shard_takes: list[tuple[int, int]]) -> bool:
    """Take places from the given shards and record the hold, all or nothing; False if a shard ran short."""
    pk = performance_key(hold.performance_id)
    try:
        with TransactWrite(connection=_connection) as transaction:
            for shard, places in shard_takes:
                transaction.update(
                    StandingShardItem(pk, f"STANDING#{shard}"),
                    actions=[StandingShardItem.remaining.add(-places)],
                    condition=StandingShardItem.remaining >= places)
            transaction.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
    except TransactWriteError as error:
        codes = [reason.code if reason else "None" for reason in (error.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            return False
        raise
    return True


def get_hold(hold_id: str) -> Hold:
    """The hold record, or NotFound."""
    try:
        item = HoldItem.get(hold_key(hold_id), "HOLD", consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such hold.", hold_id=hold_id) from None
    return _hold(item)


def _hold(item: HoldItem) -> Hold:
    return Hold(id=item.hold_id, performance_id=item.performance_id, house_id=item.house_id,
                session_hash=item.session_hash, seat_ids=tuple(item.seat_ids or ()), quantity=int(item.quantity),
                created_at=item.created_at, expires_at=item.expires_at, status=HoldStatus(item.status),
                standing_shards=tuple((int(shard), int(places)) for shard, places in (item.standing_shards or [])))


def release_hold(hold: Hold, now: datetime, final_status: HoldStatus = HoldStatus.RELEASED) -> None:
    """End an active hold and give its places back; safe to repeat and safe against re-taken seats."""
    pk = performance_key(hold.performance_id)
    record = HoldItem(hold_key(hold.id), "HOLD")
    ending = [HoldItem.status.set(final_status.value), HoldItem.gsi1pk.remove(), HoldItem.gsi1sk.remove()]
    still_active = HoldItem.status == HoldStatus.ACTIVE.value
    if final_status is HoldStatus.EXPIRED:
        still_active &= HoldItem.expires_epoch <= epoch_ms(now)
    if hold.standing_shards:
        # The hold's end and the places' return must happen together, or places leak.
        try:
            with TransactWrite(connection=_connection) as transaction:
                transaction.update(record, actions=ending, condition=still_active)
                for shard, places in hold.standing_shards:
                    transaction.update(StandingShardItem(pk, f"STANDING#{shard}"),
                                       actions=[StandingShardItem.remaining.add(places)])
        except TransactWriteError as error:
            raise HoldNotActive("This hold is no longer active.", hold_id=hold.id) from error
        return
    try:
        record.update(actions=ending, condition=still_active)
    except UpdateError as error:
        if is_condition_failure(error):
            raise HoldNotActive("This hold is no longer active.", hold_id=hold.id) from error
        raise
    # After expiry a seat may be someone else's: free only those still held by this hold.
    _free_seats_where(hold, (SeatItem.hold_id == hold.id) & (SeatItem.state == "held"))


def _free_seats_where(hold: Hold, condition) -> None:
    """Free the hold's seats one by one, each only if `condition` still holds for it (safe to repeat)."""
    pk = performance_key(hold.performance_id)
    for seat_id in hold.seat_ids:
        try:
            SeatItem(pk, seat_key(seat_id)).update(
                actions=[SeatItem.state.set("free"), SeatItem.hold_id.remove(), SeatItem.hold_expires.remove(),
                         SeatItem.order_id.remove(), SeatItem.version.add(1)],
                condition=condition)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise


def expired_holds(performance_id: str, now: datetime, limit: int = 100) -> list[Hold]:
    """Active holds of a performance past their expiry (sparse index: live holds only)."""
    items = HoldItem.by_gsi1.query(performance_holds_key(performance_id),
                                   HoldItem.gsi1sk <= f"{epoch_ms(now):015d}", limit=limit)
    return [_hold(item) for item in items if item.status == HoldStatus.ACTIVE.value]


def expire_hold(hold: Hold, now: datetime) -> bool:
    """Release an expired hold for good; False if someone else already ended it."""
    try:
        release_hold(hold, now, final_status=HoldStatus.EXPIRED)
    except HoldNotActive:
        return False
    return True


def standing_expired_places(performance_id: str, now: datetime) -> int:
    """Places of expired-but-not-yet-swept standing holds: availability counts them as free."""
    return sum(hold.quantity for hold in expired_holds(performance_id, now))



def sell_hold(hold: Hold, order_id: str, now: datetime) -> None:
    """Turn a paid hold's places into sold places, all or nothing; SeatsUnavailable names lost places.

    A seat is sold if it is still held by this hold, or if this hold lapsed and the seat is free
    (or only held by another lapsed hold): paid seats are re-claimed when nobody else has them.
    Selling again for the same order changes nothing, so the workflow task may be retried.
    """
    for _ in range(CONFLICT_RETRIES):
        reasons = _try_sell(hold, order_id, now)
        if reasons is None:
            return
        lost = sorted(key[len("SEAT#"):] if key.startswith("SEAT#") else "standing" for key in reasons)
        if lost:
            raise SeatsUnavailable("Places of this order were taken after its hold lapsed.", taken=lost)
        hold = get_hold(hold.id)  # only the hold record moved on (e.g. the sweeper expired it): read again
    raise SeatsUnavailable("The order's hold keeps changing; it could not be sold.", taken=[])


def _try_sell(hold: Hold, order_id: str, now: datetime) -> list[str] | None:
    """One attempt; None when sold, else the keys (SEAT#…, STANDING#…) whose condition failed."""
    now_ms = epoch_ms(now)
    pk = performance_key(hold.performance_id)
    ours = (SeatItem.hold_id == hold.id) & (SeatItem.state == "held")
    claimable = (SeatItem.state == "free") | ((SeatItem.state == "held") & (SeatItem.hold_expires <= now_ms))
    already = (SeatItem.state == "sold") & (SeatItem.order_id == order_id)
    try:
        with TransactWrite(connection=_connection) as transaction:
            for seat_id in hold.seat_ids:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[SeatItem.state.set("sold"), SeatItem.order_id.set(order_id), SeatItem.hold_id.set(hold.id),
                             SeatItem.hold_expires.remove(), SeatItem.version.add(1)],
                    condition=(ours | claimable | already) & SeatItem.pk.exists(), return_values="ALL_OLD")
            if hold.standing_shards and hold.status is HoldStatus.EXPIRED:
                # The lapsed hold's places went back to the counters: take them again.
                for shard, places in hold.standing_shards:
                    transaction.update(StandingShardItem(pk, f"STANDING#{shard}"),
                                       actions=[StandingShardItem.remaining.add(-places)],
                                       condition=StandingShardItem.remaining >= places, return_values="ALL_OLD")
            transaction.update(
                HoldItem(hold_key(hold.id), "HOLD"),
                actions=[HoldItem.status.set(HoldStatus.CONFIRMED.value), HoldItem.order_id.set(order_id),
                         HoldItem.gsi1pk.remove(), HoldItem.gsi1sk.remove()],
                condition=(HoldItem.status == hold.status.value) | (HoldItem.order_id == order_id))
    except TransactWriteError as error:
        reasons = [reason for reason in (error.cancellation_reasons or []) if reason]
        if not any(reason.code == "ConditionalCheckFailed" for reason in reasons):
            raise
        return [reason.raw_item["SK"]["S"] for reason in reasons
                if reason.code == "ConditionalCheckFailed" and reason.raw_item
                and reason.raw_item.get("SK", {}).get("S", "").startswith(("SEAT#", "STANDING#"))]
    return None


def unsell_hold(hold: Hold, order_id: str) -> None:
    """Compensation: give back places sold to `order_id` (a later part of the order failed)."""
    pk = performance_key(hold.performance_id)
    _free_seats_where(hold, (SeatItem.state == "sold") & (SeatItem.order_id == order_id))
    if hold.standing_shards:
        try:
            with TransactWrite(connection=_connection) as transaction:
                transaction.update(HoldItem(hold_key(hold.id), "HOLD"),
                                   actions=[HoldItem.status.set(HoldStatus.RELEASED.value)],
                                   condition=(HoldItem.status == HoldStatus.CONFIRMED.value)
                                   & (HoldItem.order_id == order_id))
                for shard, places in hold.standing_shards:
                    transaction.update(StandingShardItem(pk, f"STANDING#{shard}"),
                                       actions=[StandingShardItem.remaining.add(places)])
        except TransactWriteError:
            pass  # already given back
