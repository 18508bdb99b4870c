"""Waiting-room services: join the line, learn one's place, collect the admission when it is one's turn.

Cheap on the hot path: joining is one atomic add on one of the line's shards; asking for one's
place reads nothing (the schedule and the signed ticket say it all); a hold spends its admission
inside the hold's own transaction (`store.reservations`).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities import parameters

from ..domain.catalog import Performance
from ..domain.errors import Conflict
from ..domain.holds import session_hash
from ..domain.waiting_room import (
    Admission,
    AdmissionRequired,
    NotYourTurn,
    QueueTicket,
    WaitingRoom,
    admit,
    issue_queue_ticket,
    read_admission,
    read_queue_ticket,
)
from ..observability import count
from ..settings import get_settings
from ..store import waiting_room as store

SECRET_MAX_AGE = 300


def admission_key() -> bytes:
    """The cluster's waiting-room HMAC key (Secrets Manager, cached per process)."""
    return parameters.get_secret(get_settings().admission_key_secret_arn, max_age=SECRET_MAX_AGE).encode()


def _room(performance: Performance, now: datetime) -> WaitingRoom:
    if performance.waiting_room is None:
        raise Conflict("This performance has no waiting room; hold places directly.", reason="no_waiting_room")
    if performance.status.value == "cancelled" or now >= performance.sales_end:
        performance.check_on_sale(now)  # says why (cancelled, ended)
    return performance.waiting_room


def join_line(performance: Performance, session_token: str, now: datetime) -> dict[str, Any]:
    """A new place in line for this buyer session; the answer carries its signed queue ticket."""
    room = _room(performance, now)
    shard = random.randrange(room.shards)  # spreads the joiners' writes over the shards' keys
    position = room.position(shard, store.join(performance.id, shard, room.counter_floor(now)))
    ticket = QueueTicket(performance.id, session_hash(session_token), position)
    count("QueueJoined")
    return {"queue_ticket": issue_queue_ticket(admission_key(), ticket), **_place(room, ticket, now)}


def place_in_line(performance: Performance, session_token: str, queue_ticket: str, now: datetime) -> dict[str, Any]:
    """Where this ticket stands; once its turn has come, the admission (the same one however often asked)."""
    room = _room(performance, now)
    key = admission_key()
    ticket = read_queue_ticket(key, queue_ticket, performance.id, session_hash(session_token))
    answer = _place(room, ticket, now)
    try:
        admission, token = admit(key, room, ticket, now)
    except NotYourTurn:
        return answer
    count("QueueAdmitted")
    return {**answer, "admission": token, "admission_expires_at": admission.expires_at.isoformat()}


def _place(room: WaitingRoom, ticket: QueueTicket, now: datetime) -> dict[str, Any]:
    return {
        "position": ticket.position + 1,
        "people_ahead": room.people_ahead(ticket.position, now),
        "seconds_to_wait": room.seconds_to_wait(ticket.position, now),
        "turn_at": room.turn_at(ticket.position).isoformat(),
        "poll_seconds": room.poll_seconds(ticket.position, now),
        "admission": None,
        "admission_expires_at": None,
    }


def admission_for_hold(
    performance: Performance, session_token: str, token: str | None, now: datetime
) -> Admission | None:
    """The admission a hold must spend while the room is on (None when it is off); raises if missing or bad."""
    if performance.waiting_room is None:
        return None
    if not token:
        raise AdmissionRequired(
            "Sales for this performance go through a waiting room; join the line first.",
            queue=f"/performances/{performance.id}/queue",
        )
    return read_admission(admission_key(), token, performance.id, session_hash(session_token), now)
