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

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.allocations import GENERAL_POOL, SellingPool
from ..domain.errors import HoldNotActive, HoldTooLarge, NotFound, SeatsUnavailable
from ..domain.holds import MAX_TRANSACTION_ITEMS, Hold, HoldStatus
from ..domain.waiting_room import Admission, AdmissionUsed
from .allocations import general_pool, live_counter, pool_condition
from .models import (
    AdmissionItem,
    HoldItem,
    SeatItem,
    StandingShardItem,
    any_condition_failed,
    hold_key,
    is_condition_failure,
    performance_holds_key,
    performance_key,
    seat_key,
    standing_shard_key,
    transaction_connection,
)
from .waiting_room import admission_item

# Seconds a hold record stays in the table after it stopped mattering (audit, then TTL).
HOLD_RECORD_RETENTION = 7 * 24 * 3600
# On AWS, concurrent transactions on one item are cancelled with TransactionConflict: retry briefly.
CONFLICT_RETRIES = 3


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class SeatState:
    seat_id: str
    state: str  # free | held | sold | blocked, with expired holds already shown as free
    hold_id: str | None
    allocation_id: str | None = None  # the allocation the seat is (or was) set aside for
    allocation_live: bool = False  # that allocation's deadline has not passed
    allocation_channel: str | None = None  # a channel allocation's channel
    claimed_in_allocation: bool = False  # its last hold came before the allocation's deadline

    def pool(self) -> str | None:
        """The live allocation the seat belongs to, None for the general sale."""
        return self.allocation_id if self.allocation_live else None

    def admitted_by(self, pool: SellingPool) -> bool:
        """A free seat `pool`'s seller may take."""
        return self.state == "free" and pool.admits(self.pool(), self.allocation_channel)


def seat_states(performance_id: str, now: datetime) -> dict[str, SeatState]:
    """Current state of every seat of a performance: one Query on its partition."""
    now_ms = epoch_ms(now)
    states: dict[str, SeatState] = {}
    for item in SeatItem.query(
        performance_key(performance_id),
        SeatItem.sk.startswith("SEAT#"),
        attributes_to_get=[
            "SK",
            "state",
            "hold_id",
            "hold_expires",
            "allocation_id",
            "allocation_until",
            "allocation_channel",
            "claimed_at",
        ],
    ):
        state = item.state
        hold_id: str | None = item.hold_id
        if state == "held" and (item.hold_expires or 0) <= now_ms:
            state, hold_id = "free", None
        seat_id = item.sk[len("SEAT#") :]
        until = item.allocation_until or 0
        states[seat_id] = SeatState(
            seat_id,
            state,
            hold_id,
            item.allocation_id,
            item.allocation_id is not None and until > now_ms,
            item.allocation_channel,
            item.claimed_at is not None and item.claimed_at < until,
        )
    return states


def seat_counts(performance_id: str, now: datetime) -> dict[str, int]:
    """How many seats are free for web buyers, held and sold, counted by DynamoDB (`Select: COUNT` with a
    filter) instead of read: summaries need numbers, and a count sends no items back. Agrees with
    `seat_states` seen through `services.availability.public_state`: a lapsed hold is free, a free seat
    set aside for a house or a channel other than the web is in none of the three."""
    now_ms = epoch_ms(now)
    key, seats = performance_key(performance_id), SeatItem.sk.startswith("SEAT#")
    held = SeatItem.state == "held"
    live_hold = held & (SeatItem.hold_expires > now_ms)
    lapsed_hold = held & (SeatItem.hold_expires.does_not_exist() | (SeatItem.hold_expires <= now_ms))
    set_aside = (
        SeatItem.allocation_id.exists()
        & (SeatItem.allocation_until > now_ms)
        & (SeatItem.allocation_channel.does_not_exist() | (SeatItem.allocation_channel != "web"))
    )
    free = ((SeatItem.state == "free") | lapsed_hold) & ~set_aside
    return {
        name: SeatItem.count(key, seats, filter_condition=condition)
        for name, condition in (("free", free), ("held", live_hold), ("sold", SeatItem.state == "sold"))
    }


def sold_or_blocked_count(performance_id: str) -> int:
    """Seats that will not come back by themselves (sold or blocked), counted by DynamoDB."""
    return SeatItem.count(
        performance_key(performance_id),
        SeatItem.sk.startswith("SEAT#"),
        filter_condition=SeatItem.state.is_in("sold", "blocked"),
    )


def _hold_item(hold: Hold) -> HoldItem:
    expires = epoch_ms(hold.expires_at)
    return HoldItem(
        hold_key(hold.id),
        "HOLD",
        hold_id=hold.id,
        performance_id=hold.performance_id,
        house_id=hold.house_id,
        session_hash=hold.session_hash,
        seat_ids=list(hold.seat_ids),
        quantity=hold.quantity,
        standing_shards=[list(pair) for pair in hold.standing_shards],
        created_at=hold.created_at,
        expires_at=hold.expires_at,
        expires_epoch=expires,
        status=hold.status.value,
        ttl=expires // 1000 + HOLD_RECORD_RETENTION,
        bundle_id=hold.bundle_id,
        bundle_hold_ids=list(hold.bundle_hold_ids) or None,
        bundle_quantity=hold.bundle_quantity or None,
        bundle_kind=None if hold.bundle_kind == "bundle" else hold.bundle_kind,
        gsi1pk=performance_holds_key(hold.performance_id),
        gsi1sk=f"{expires:015d}",
    )


def _spend(transaction, admission: Admission | None, hold: Hold, now: datetime) -> None:
    """Spend a waiting-room admission in the hold's own transaction: a refused hold leaves it usable."""
    if admission is not None:
        transaction.save(
            admission_item(admission.nonce, hold.id, now),
            condition=AdmissionItem.pk.does_not_exist(),
            return_values="ALL_OLD",
        )


def _admission_spent(reasons) -> bool:
    return any(
        reason.code == "ConditionalCheckFailed"
        and reason.raw_item
        and reason.raw_item.get("SK", {}).get("S") == "ADMISSION"
        for reason in reasons
    )


def claim_seats(
    hold: Hold, now: datetime, admission: Admission | None = None, pool: SellingPool = GENERAL_POOL
) -> None:
    """Claim every seat of `hold` and record the hold in one transaction, or raise SeatsUnavailable.

    Only seats of the seller's `pool` are claimed (a seat set aside for someone else counts as taken).
    With a waiting-room `admission` the transaction also spends it (AdmissionUsed if spent before)."""
    if len(hold.seat_ids) + 1 + (admission is not None) > MAX_TRANSACTION_ITEMS:
        raise HoldTooLarge(
            "Too many seats for one all-or-nothing transaction.",
            limit=MAX_TRANSACTION_ITEMS - 1 - (admission is not None),
        )
    now_ms = epoch_ms(now)
    expires = epoch_ms(hold.expires_at)
    claimable = (SeatItem.state == "free") | ((SeatItem.state == "held") & (SeatItem.hold_expires <= now_ms))
    pk = performance_key(hold.performance_id)
    actions: list[Action] = [
        SeatItem.state.set("held"),
        SeatItem.hold_id.set(hold.id),
        SeatItem.hold_expires.set(expires),
        SeatItem.claimed_at.set(now_ms),
        SeatItem.version.add(1),
    ]
    for attempt in range(CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                for seat_id in hold.seat_ids:
                    transaction.update(
                        SeatItem(pk, seat_key(seat_id)),
                        actions=actions,
                        condition=claimable & pool_condition(pool, now_ms) & SeatItem.pk.exists(),
                        return_values="ALL_OLD",
                    )
                transaction.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
                _spend(transaction, admission, hold, now)
            return
        except TransactWriteError as error:
            reasons = [reason for reason in (error.cancellation_reasons or []) if reason]
            if _admission_spent(reasons):
                raise AdmissionUsed("This admission was already used.") from error
            # The failed items come back whole (ALL_OLD): name the taken seats by their keys,
            # not by position, which PynamoDB reorders by kind of action.
            taken = sorted(
                reason.raw_item["SK"]["S"][len("SEAT#") :]
                for reason in reasons
                if reason.code == "ConditionalCheckFailed"
                and reason.raw_item
                and reason.raw_item.get("SK", {}).get("S", "").startswith("SEAT#")
            )
            if taken:
                raise SeatsUnavailable("Some of these seats were just taken by someone else.", taken=taken) from error
            if any(reason.code == "TransactionConflict" for reason in reasons) and attempt + 1 < CONFLICT_RETRIES:
                time.sleep(random.uniform(0.005, 0.03))
                continue
            raise


def standing_remaining(performance_id: str, shards: int) -> dict[int, int]:
    """Places left per standing shard (reads only: a sold-out answer costs no write)."""
    items = StandingShardItem.batch_get(
        [standing_shard_key(performance_id, shard) for shard in range(shards)], attributes_to_get=["SK", "remaining"]
    )
    return {int(item.sk.split("#")[1]): int(item.remaining) for item in items}


def claim_standing(
    hold: Hold, shard_takes: list[tuple[int, int]], now: datetime | None = None, admission: Admission | None = None
) -> bool:
    """Take places from the given shards and record the hold, all or nothing; False if a shard ran short.

    With a waiting-room `admission` the transaction also spends it (AdmissionUsed if spent before)."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            for shard, places in shard_takes:
                transaction.update(
                    StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                    actions=[StandingShardItem.remaining.add(-places)],
                    condition=(StandingShardItem.remaining >= places) & live_counter(now or hold.created_at),
                )
            transaction.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
            _spend(transaction, admission, hold, now or hold.created_at)
    except TransactWriteError as error:
        if _admission_spent([reason for reason in (error.cancellation_reasons or []) if reason]):
            raise AdmissionUsed("This admission was already used.") from error
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
    return Hold(
        id=item.hold_id,
        performance_id=item.performance_id,
        house_id=item.house_id,
        session_hash=item.session_hash,
        seat_ids=tuple(item.seat_ids or ()),
        quantity=int(item.quantity),
        created_at=item.created_at,
        expires_at=item.expires_at,
        status=HoldStatus(item.status),
        standing_shards=tuple((int(shard), int(places)) for shard, places in (item.standing_shards or [])),
        bundle_id=item.bundle_id,
        bundle_hold_ids=tuple(item.bundle_hold_ids or ()),
        bundle_quantity=int(item.bundle_quantity or 0),
        bundle_kind=item.bundle_kind or "bundle",
    )


def release_hold(hold: Hold, now: datetime, final_status: HoldStatus = HoldStatus.RELEASED) -> None:
    """End an active hold and give its places back; safe to repeat and safe against re-taken seats."""
    record = HoldItem(hold_key(hold.id), "HOLD")
    ending: list[Action] = [HoldItem.status.set(final_status.value), HoldItem.gsi1pk.remove(), HoldItem.gsi1sk.remove()]
    still_active = HoldItem.status == HoldStatus.ACTIVE.value
    if final_status is HoldStatus.EXPIRED:
        still_active &= HoldItem.expires_epoch <= epoch_ms(now)
    if hold.standing_shards:
        # The hold's end and the places' return must happen together, or places leak.
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.update(record, actions=ending, condition=still_active)
                for shard, places in hold.standing_shards:
                    transaction.update(
                        StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                        actions=[StandingShardItem.remaining.add(places)],
                    )
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
        _free_seat_where(pk, seat_id, condition)


def _free_seat_where(pk: str, seat_id: str, condition) -> None:
    try:
        SeatItem(pk, seat_key(seat_id)).update(
            actions=[
                SeatItem.state.set("free"),
                SeatItem.hold_id.remove(),
                SeatItem.hold_expires.remove(),
                SeatItem.order_id.remove(),
                SeatItem.version.add(1),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def expired_holds(performance_id: str, now: datetime, limit: int = 100) -> list[Hold]:
    """Active holds of a performance past their expiry (sparse index: live holds only)."""
    items = HoldItem.by_gsi1.query(
        performance_holds_key(performance_id), HoldItem.gsi1sk <= f"{epoch_ms(now):015d}", limit=limit
    )
    return [_hold(item) for item in items if item.status == HoldStatus.ACTIVE.value]


def expire_hold(hold: Hold, now: datetime) -> bool:
    """Release an expired hold for good; False if someone else already ended it."""
    try:
        release_hold(hold, now, final_status=HoldStatus.EXPIRED)
    except HoldNotActive:
        return False
    return True


def live_holds(performance_id: str, now: datetime, after: str | None, limit: int) -> tuple[list[Hold], str | None]:
    """Up to `limit` live holds of a performance, soonest expiry first, from just after `after` (`expiry#hold id`,
    as returned); and where to go on from (None at the end). One Query of the sparse index of live holds."""
    last_key = None
    if after:
        expiry, hold_id = after.split("#", 1)
        last_key = {
            "PK": {"S": hold_key(hold_id)},
            "SK": {"S": "HOLD"},
            "gsi1pk": {"S": performance_holds_key(performance_id)},
            "gsi1sk": {"S": expiry},
        }
    items = HoldItem.by_gsi1.query(
        performance_holds_key(performance_id),
        HoldItem.gsi1sk > f"{epoch_ms(now):015d}",
        limit=limit,
        last_evaluated_key=last_key,
    )
    found = list(items)
    holds = [_hold(item) for item in found if item.status == HoldStatus.ACTIVE.value]
    more = items.last_evaluated_key is not None and bool(found)
    return holds, f"{found[-1].gsi1sk}#{found[-1].hold_id}" if more else None


def live_held_places(performance_id: str, now: datetime) -> int:
    """Places of a performance's live holds (the sparse index keeps active holds only; lapsed ones count as free)."""
    items = HoldItem.by_gsi1.query(
        performance_holds_key(performance_id),
        HoldItem.gsi1sk > f"{epoch_ms(now):015d}",
        attributes_to_get=["quantity", "status"],
    )
    return sum(int(item.quantity) for item in items if item.status == HoldStatus.ACTIVE.value)


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
        lost = sorted(key[len("SEAT#") :] if key.startswith("SEAT#") else "standing" for key in reasons)
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
        with TransactWrite(connection=transaction_connection) as transaction:
            for seat_id in hold.seat_ids:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[
                        SeatItem.state.set("sold"),
                        SeatItem.order_id.set(order_id),
                        SeatItem.hold_id.set(hold.id),
                        SeatItem.hold_expires.remove(),
                        SeatItem.version.add(1),
                    ],
                    condition=(ours | (claimable & general_pool(now_ms)) | already) & SeatItem.pk.exists(),
                    return_values="ALL_OLD",
                )
            if hold.standing_shards and hold.status is HoldStatus.EXPIRED:
                # The lapsed hold's places went back to the counters: take them again.
                for shard, places in hold.standing_shards:
                    transaction.update(
                        StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                        actions=[StandingShardItem.remaining.add(-places)],
                        condition=StandingShardItem.remaining >= places,
                        return_values="ALL_OLD",
                    )
            transaction.update(
                HoldItem(hold_key(hold.id), "HOLD"),
                actions=[
                    HoldItem.status.set(HoldStatus.CONFIRMED.value),
                    HoldItem.order_id.set(order_id),
                    HoldItem.gsi1pk.remove(),
                    HoldItem.gsi1sk.remove(),
                ],
                condition=(HoldItem.status == hold.status.value) | (HoldItem.order_id == order_id),
            )
    except TransactWriteError as error:
        reasons = [reason for reason in (error.cancellation_reasons or []) if reason]
        if not any(reason.code == "ConditionalCheckFailed" for reason in reasons):
            raise
        return [
            reason.raw_item["SK"]["S"]
            for reason in reasons
            if reason.code == "ConditionalCheckFailed"
            and reason.raw_item
            and reason.raw_item.get("SK", {}).get("S", "").startswith(("SEAT#", "STANDING#"))
        ]
    return None


def unsell_hold(hold: Hold, order_id: str) -> None:
    """Compensation: give back places sold to `order_id` (a later part of the order failed)."""
    _free_seats_where(hold, (SeatItem.state == "sold") & (SeatItem.order_id == order_id))
    if hold.standing_shards:
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.update(
                    HoldItem(hold_key(hold.id), "HOLD"),
                    actions=[HoldItem.status.set(HoldStatus.RELEASED.value)],
                    condition=(HoldItem.status == HoldStatus.CONFIRMED.value) & (HoldItem.order_id == order_id),
                )
                for shard, places in hold.standing_shards:
                    transaction.update(
                        StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                        actions=[StandingShardItem.remaining.add(places)],
                    )
        except TransactWriteError:
            pass  # already given back


def return_sold_places(hold: Hold, order_id: str, refund_id: str, seat_ids: list[str], standing_places: int) -> None:
    """A refund gives sold places back on sale: seats only if still sold to `order_id`, standing places once.

    Standing places go back to the hold's first shard in the same transaction that records the refund
    on the hold, so a retried refund never adds them twice.
    """
    pk = performance_key(hold.performance_id)
    for seat_id in seat_ids:
        _free_seat_where(pk, seat_id, (SeatItem.state == "sold") & (SeatItem.order_id == order_id))
    if standing_places and hold.standing_shards:
        shard = hold.standing_shards[0][0]
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                transaction.update(
                    HoldItem(hold_key(hold.id), "HOLD"),
                    actions=[HoldItem.returned_for.add({refund_id})],
                    condition=(HoldItem.order_id == order_id)
                    & (HoldItem.returned_for.does_not_exist() | ~HoldItem.returned_for.contains(refund_id)),
                )
                transaction.update(
                    StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                    actions=[StandingShardItem.remaining.add(standing_places)],
                )
        except TransactWriteError as error:
            if not any_condition_failed(error):
                raise  # a condition failure means this refund's places went back already


def extend_hold(hold: Hold, until: datetime, now: datetime) -> None:
    """Keep a live hold's places until `until` (a box office reservation), hold record and seats together."""
    until_ms = epoch_ms(until)
    pk = performance_key(hold.performance_id)
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                HoldItem(hold_key(hold.id), "HOLD"),
                actions=[
                    HoldItem.expires_at.set(until),
                    HoldItem.expires_epoch.set(until_ms),
                    HoldItem.gsi1sk.set(f"{until_ms:015d}"),
                    HoldItem.ttl.set(until_ms // 1000 + HOLD_RECORD_RETENTION),
                ],
                condition=(HoldItem.status == HoldStatus.ACTIVE.value) & (HoldItem.expires_epoch > epoch_ms(now)),
            )
            for seat_id in hold.seat_ids:
                transaction.update(
                    SeatItem(pk, seat_key(seat_id)),
                    actions=[SeatItem.hold_expires.set(until_ms)],
                    condition=(SeatItem.hold_id == hold.id) & (SeatItem.state == "held"),
                )
    except TransactWriteError as error:
        raise HoldNotActive("This hold is no longer active.", hold_id=hold.id) from error


@dataclass(frozen=True)
class BundleClaimLost:
    """Why a bundle's transaction was cancelled: seats someone else has, standing shards that ran short."""

    taken: dict[str, list[str]]  # performance id → seat ids
    short: set[str]  # performance ids whose standing shard had too few places


def claim_bundle(claims: list[tuple[Hold, list[tuple[int, int]]]], now: datetime) -> BundleClaimLost | None:
    """Claim every place of a bundle purchase in ONE transaction: each hold's seats (or standing shards, given as
    (shard, places)) and each hold record; all or nothing. None when claimed, else what was lost."""
    now_ms = epoch_ms(now)
    claimable = (SeatItem.state == "free") | ((SeatItem.state == "held") & (SeatItem.hold_expires <= now_ms))
    for attempt in range(CONFLICT_RETRIES):
        try:
            with TransactWrite(connection=transaction_connection) as transaction:
                for hold, shard_takes in claims:
                    pk = performance_key(hold.performance_id)
                    expires = epoch_ms(hold.expires_at)
                    for seat_id in hold.seat_ids:
                        transaction.update(
                            SeatItem(pk, seat_key(seat_id)),
                            actions=[
                                SeatItem.state.set("held"),
                                SeatItem.hold_id.set(hold.id),
                                SeatItem.hold_expires.set(expires),
                                SeatItem.claimed_at.set(now_ms),
                                SeatItem.version.add(1),
                            ],
                            condition=claimable & general_pool(now_ms) & SeatItem.pk.exists(),
                            return_values="ALL_OLD",
                        )
                    for shard, places in shard_takes:
                        transaction.update(
                            StandingShardItem(*standing_shard_key(hold.performance_id, shard)),
                            actions=[StandingShardItem.remaining.add(-places)],
                            condition=StandingShardItem.remaining >= places,
                            return_values="ALL_OLD",
                        )
                    transaction.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
            return None
        except TransactWriteError as error:
            reasons = [reason for reason in (error.cancellation_reasons or []) if reason]
            failed = [
                reason.raw_item for reason in reasons if reason.code == "ConditionalCheckFailed" and reason.raw_item
            ]
            taken: dict[str, list[str]] = {}
            short: set[str] = set()
            for item in failed:
                # PERF#p for a seat, PERF#p#STANDING#k for a standing shard
                performance_id = item.get("PK", {}).get("S", "")[len("PERF#") :].split("#STANDING#")[0]
                sort_key = item.get("SK", {}).get("S", "")
                if sort_key.startswith("SEAT#"):
                    taken.setdefault(performance_id, []).append(sort_key[len("SEAT#") :])
                elif sort_key.startswith("STANDING#"):
                    short.add(performance_id)
            if taken or short:
                return BundleClaimLost({p: sorted(seats) for p, seats in taken.items()}, short)
            if any(reason.code == "TransactionConflict" for reason in reasons) and attempt + 1 < CONFLICT_RETRIES:
                time.sleep(random.uniform(0.005, 0.03))
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def release_bundle_holds(holds: list[Hold], now: datetime) -> None:
    """Give back every still-active hold of a bundle purchase (each release is conditional and safe to repeat)."""
    for hold in holds:
        if hold.status is HoldStatus.ACTIVE:
            try:
                release_hold(hold, now)
            except HoldNotActive:
                pass  # released or expired meanwhile: its places are back either way
