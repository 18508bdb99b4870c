"""Holds: temporary claims on seats or standing places while a buyer checks out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from .errors import FieldError, HoldExpired, HoldNotActive, HoldTooLarge, NotFound, ValidationFailed

# DynamoDB allows 100 actions per transaction; one is the hold record itself.
MAX_TRANSACTION_ITEMS = 100
MAX_SEATS_PER_TRANSACTION = MAX_TRANSACTION_ITEMS - 1


class HoldStatus(str, Enum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Hold:
    id: str
    performance_id: str
    house_id: str
    session_hash: str
    seat_ids: tuple[str, ...]
    quantity: int
    created_at: datetime
    expires_at: datetime
    status: HoldStatus
    standing_shards: tuple[tuple[int, int], ...] = ()  # (shard, places) for standing holds
    # A bundle's holds (one per performance) are made in one transaction and live and die together.
    bundle_id: str | None = None
    bundle_hold_ids: tuple[str, ...] = ()  # every hold of the same bundle purchase, this one included
    bundle_quantity: int = 0  # how many bundles the group holds places for
    bundle_kind: str = "bundle"  # or "subscription": the group is a subscription's chosen places, bundle_id its formula

    @property
    def in_bundle(self) -> bool:
        return self.bundle_id is not None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def is_live(self, now: datetime) -> bool:
        """Active and not past its expiry: only such a hold keeps places from others."""
        return self.status is HoldStatus.ACTIVE and not self.is_expired(now)

    def check_owner(self, session_hash: str) -> None:
        """A hold belongs to the buyer session that made it; others are told it does not exist."""
        if session_hash != self.session_hash:
            raise NotFound("No such hold.", hold_id=self.id)

    def check_live(self, now: datetime) -> None:
        """Raise unless the hold still keeps its places; expired reads the same before and after the sweep."""
        if self.status is HoldStatus.EXPIRED or (self.status is HoldStatus.ACTIVE and self.is_expired(now)):
            raise HoldExpired("This hold has expired; its places are free again.", hold_id=self.id)
        if self.status is not HoldStatus.ACTIVE:
            raise HoldNotActive(f"This hold is {self.status.value}.", hold_id=self.id, hold_status=self.status.value)


def hold_expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


def session_hash(session_token: str) -> str:
    """Holds store a hash of the buyer's session token, never the token itself."""
    return hashlib.sha256(session_token.encode()).hexdigest()


def check_quantity(count: int, max_per_hold: int, field: str) -> None:
    """Refuse 0, negative and too-large requests with a clear field error."""
    if count < 1:
        raise ValidationFailed(
            "Ask for at least one place.", [FieldError(field, "out_of_range", "Must be at least 1.")]
        )
    if count > MAX_SEATS_PER_TRANSACTION:
        raise HoldTooLarge(
            f"One hold can take at most {MAX_SEATS_PER_TRANSACTION} places (a single all-or-nothing transaction).",
            limit=MAX_SEATS_PER_TRANSACTION,
        )
    if count > max_per_hold:
        raise ValidationFailed(
            f"At most {max_per_hold} places per hold.",
            [FieldError(field, "out_of_range", f"Must be at most {max_per_hold}.")],
            limit=max_per_hold,
        )
