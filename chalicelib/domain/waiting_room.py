"""The waiting room of a hot on-sale: places in line, a schedule of turns, and signed tokens.

A buyer joins the line and gets a *queue ticket* (signed: performance, session, position). Turns
come by schedule, not by a shared "now serving" counter that every poll would read: position `n`
(0-based) is admitted `n / rate` after the room opened, so checking one's turn reads nothing.
When the turn has come the ticket is exchanged for an *admission* (signed: performance, session,
position, expiry, nonce). A hold needs a valid admission while the room is on; the store makes
it single use by putting `ADMISSION#{nonce}` with a condition in the hold's own transaction, so a
hold refused for a taken seat does not spend it. The nonce is derived from the position, so one
place in line gives one admission however often its holder asks.

Positions come from counters split into `shards` (each its own partition key, so joining is not
one hot key): shard `k`'s `c`-th joiner (c = 1, 2, …) has position `(c - 1) * shards + k`.
Positions are unique; arrival order is kept up to the imbalance between shards. A counter is
raised to the schedule's present before it counts (`counter_floor`), so after a quiet spell
the next joiners' turns are not in the past.

Tokens are HMAC-SHA256 over a compact JSON body with the cluster's admission key; a token of one
kind is never accepted as the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import DomainError, FieldError, ValidationFailed

MAX_RATE_PER_MINUTE = 60_000
MAX_SHARDS = 64
DEFAULT_SHARDS = 8
DEFAULT_ADMISSION_SECONDS = 600
# When a joiner asks again: at its turn, or after MAX_POLL_SECONDS if that is sooner (the rate may
# change meanwhile). Thousands of joiners polling every few seconds would cost the stack more than
# the holds it protects: this way a joiner asks about wait / 60 + 1 times and is on time.
MIN_POLL_SECONDS = 1
MAX_POLL_SECONDS = 60

QUEUE_TICKET = "q"
ADMISSION = "a"


class AdmissionRequired(DomainError):
    """The performance's waiting room is on and the request carries no admission."""

    code = "admission_required"


class WaitingRoomOn(DomainError):
    """A bundle or subscription hold takes places in several performances at once and spends no admission:
    while a performance's waiting room is on, such holds including it are refused (the line is the only
    way in), and open again when the house switches the room off."""

    code = "waiting_room_on"


class AdmissionInvalid(DomainError):
    """The admission or queue ticket is forged, damaged, or not for this session or performance."""

    code = "admission_invalid"


class AdmissionExpired(DomainError):
    """The admission's time ran out; join the line again."""

    code = "admission_expired"


class AdmissionUsed(DomainError):
    """This admission was already used for a hold."""

    code = "admission_used"


class NotYourTurn(DomainError):
    """An admission was asked for before the ticket's turn."""

    code = "not_your_turn"


@dataclass(frozen=True)
class WaitingRoom:
    """A performance's on-sale mode: `rate_per_minute` buyers admitted per minute from `opens_at`."""

    rate_per_minute: int
    opens_at: datetime
    admission_seconds: int = DEFAULT_ADMISSION_SECONDS
    shards: int = DEFAULT_SHARDS

    def __post_init__(self) -> None:
        errors = []
        if not 1 <= self.rate_per_minute <= MAX_RATE_PER_MINUTE:
            errors.append(
                FieldError(
                    "waiting_room.rate_per_minute", "out_of_range", f"Must be between 1 and {MAX_RATE_PER_MINUTE}."
                )
            )
        if not 60 <= self.admission_seconds <= 3600:
            errors.append(FieldError("waiting_room.admission_seconds", "out_of_range", "Must be between 60 and 3600."))
        if not 1 <= self.shards <= MAX_SHARDS:
            errors.append(FieldError("waiting_room.shards", "out_of_range", f"Must be between 1 and {MAX_SHARDS}."))
        if self.opens_at.tzinfo is None:
            errors.append(FieldError("waiting_room.opens_at", "naive_datetime", "Give a time zone."))
        if errors:
            raise ValidationFailed("The waiting room's settings are not valid.", errors)

    def counter_floor(self, now: datetime) -> int:
        """The least value a shard's counter must have before counting a joiner at `now`.

        Turns come by schedule, so a line that was quiet for a while has turns in the past that
        nobody took; a burst after the lull would all be admitted at once. Counters are first raised
        to this floor, which puts every new joiner's turn at `now` or later: the rate holds."""
        return math.ceil(self.admitted_so_far(now) / self.shards)

    def position(self, shard: int, count: int) -> int:
        """The 0-based place in line of shard `shard`'s `count`-th joiner (count starts at 1)."""
        return (count - 1) * self.shards + shard

    def turn_at(self, position: int) -> datetime:
        """When position `position` is admitted."""
        return self.opens_at + timedelta(seconds=position * 60 / self.rate_per_minute)

    def admitted_so_far(self, now: datetime) -> int:
        """How many positions have had their turn by `now`."""
        if now < self.opens_at:
            return 0
        return math.floor((now - self.opens_at).total_seconds() * self.rate_per_minute / 60) + 1

    def people_ahead(self, position: int, now: datetime) -> int:
        return max(0, position - self.admitted_so_far(now))

    def seconds_to_wait(self, position: int, now: datetime) -> int:
        return max(0, math.ceil((self.turn_at(position) - now).total_seconds()))

    def poll_seconds(self, position: int, now: datetime) -> int:
        """When a joiner at `position` should ask again."""
        return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, self.seconds_to_wait(position, now)))

    def admission_expires(self, position: int) -> datetime:
        """An admission is usable from its turn for `admission_seconds`; after that the turn is lost."""
        return self.turn_at(position) + timedelta(seconds=self.admission_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate_per_minute": self.rate_per_minute,
            "opens_at": self.opens_at.isoformat(),
            "admission_seconds": self.admission_seconds,
            "shards": self.shards,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WaitingRoom:
        return cls(
            rate_per_minute=int(data["rate_per_minute"]),
            opens_at=datetime.fromisoformat(data["opens_at"]),
            admission_seconds=int(data.get("admission_seconds", DEFAULT_ADMISSION_SECONDS)),
            shards=int(data.get("shards", DEFAULT_SHARDS)),
        )


@dataclass(frozen=True)
class QueueTicket:
    performance_id: str
    session_hash: str
    position: int


@dataclass(frozen=True)
class Admission:
    performance_id: str
    session_hash: str
    position: int
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, claims: dict[str, Any]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def _claims(key: bytes, token: str, kind: str) -> dict[str, Any]:
    """The claims of a token of `kind` signed with `key`, or AdmissionInvalid."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise ValueError("bad signature")
        claims: dict[str, Any] = json.loads(_unb64(body))
        if claims.get("k") != kind:
            raise ValueError("wrong kind")
        return claims
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AdmissionInvalid("This token is not valid.") from error


def _session_part(session_hash: str) -> str:
    return session_hash[:32]  # 128 bits of the session's hash bind the token to it


def issue_queue_ticket(key: bytes, ticket: QueueTicket) -> str:
    return _sign(
        key,
        {"k": QUEUE_TICKET, "p": ticket.performance_id, "s": _session_part(ticket.session_hash), "n": ticket.position},
    )


def read_queue_ticket(key: bytes, token: str, performance_id: str, session_hash: str) -> QueueTicket:
    """The queue ticket if it is genuine and this session's for this performance, else AdmissionInvalid."""
    claims = _claims(key, token, QUEUE_TICKET)
    if (
        claims.get("p") != performance_id
        or claims.get("s") != _session_part(session_hash)
        or not isinstance(claims.get("n"), int)
        or claims["n"] < 0
    ):
        raise AdmissionInvalid("This place in line belongs to another buyer or performance.")
    return QueueTicket(performance_id, session_hash, claims["n"])


def admission_nonce(key: bytes, performance_id: str, position: int) -> str:
    """One nonce per place in line: asking again for an admission gives the same, single-use nonce."""
    return _b64(hmac.new(key, f"nonce:{performance_id}:{position}".encode(), hashlib.sha256).digest()[:18])


def admit(key: bytes, room: WaitingRoom, ticket: QueueTicket, now: datetime) -> tuple[Admission, str]:
    """Exchange a queue ticket whose turn has come for an admission (and its token)."""
    if now < room.turn_at(ticket.position):
        raise NotYourTurn("It is not your turn yet.", seconds_to_wait=room.seconds_to_wait(ticket.position, now))
    expires_at = room.admission_expires(ticket.position)
    if now >= expires_at:
        raise AdmissionExpired("Your turn has passed; join the line again.")
    admission = Admission(
        ticket.performance_id,
        ticket.session_hash,
        ticket.position,
        expires_at,
        admission_nonce(key, ticket.performance_id, ticket.position),
    )
    token = _sign(
        key,
        {
            "k": ADMISSION,
            "p": admission.performance_id,
            "s": _session_part(admission.session_hash),
            "n": admission.position,
            "x": int(expires_at.timestamp()),
            "o": admission.nonce,
        },
    )
    return admission, token


def read_admission(key: bytes, token: str, performance_id: str, session_hash: str, now: datetime) -> Admission:
    """The admission if genuine, this session's, for this performance and not expired; raises otherwise.

    Whether it was used already is the store's to say (the conditional put of its nonce)."""
    claims = _claims(key, token, ADMISSION)
    if (
        claims.get("p") != performance_id
        or claims.get("s") != _session_part(session_hash)
        or not isinstance(claims.get("x"), int)
        or not isinstance(claims.get("o"), str)
    ):
        raise AdmissionInvalid("This admission belongs to another buyer or performance.")
    expires_at = datetime.fromtimestamp(claims["x"], tz=UTC)
    if now >= expires_at:
        raise AdmissionExpired("This admission has expired; join the line again.")
    return Admission(performance_id, session_hash, int(claims["n"]), expires_at, claims["o"])
