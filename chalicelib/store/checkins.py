"""Admissions at the door: each ticket admitted once, whichever scanner is first (conditional put)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.orders import TicketStatus
from .models import CheckInCountItem, CheckInItem, performance_key, transaction_connection
from .orders import IssuedTicket


@dataclass(frozen=True)
class CheckIn:
    ticket_id: str
    performance_id: str
    scan_id: str
    scanner: str
    gate: str | None
    scanned_at: datetime


def is_void(ticket: IssuedTicket) -> bool:
    return ticket.status is not TicketStatus.VALID


def admit(check_in: CheckIn, now: datetime) -> tuple[bool, CheckIn]:
    """(True, it) if this scan admitted the ticket; (False, the earlier admission) otherwise.

    The admission and the hall's count move together; the same scan sent again (a scanner
    syncing after a network loss) finds itself and counts as admitted, not as a second entry.
    """
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.save(
                CheckInItem(
                    f"TICKET#{check_in.ticket_id}",
                    "CHECKIN",
                    ticket_id=check_in.ticket_id,
                    performance_id=check_in.performance_id,
                    scan_id=check_in.scan_id,
                    scanner=check_in.scanner,
                    gate=check_in.gate,
                    scanned_at=check_in.scanned_at,
                    recorded_at=now,
                ),
                condition=CheckInItem.pk.does_not_exist(),
            )
            transaction.update(
                CheckInCountItem(performance_key(check_in.performance_id), "CHECKINS"),
                actions=[CheckInCountItem.admitted.add(1)],
            )
    except TransactWriteError:
        earlier = get_check_in(check_in.ticket_id)
        if earlier is None:
            raise
        return earlier.scan_id == check_in.scan_id, earlier
    return True, check_in


def get_check_in(ticket_id: str) -> CheckIn | None:
    try:
        item = CheckInItem.get(f"TICKET#{ticket_id}", "CHECKIN", consistent_read=True)
    except DoesNotExist:
        return None
    return CheckIn(item.ticket_id, item.performance_id, item.scan_id, item.scanner, item.gate, item.scanned_at)


def admitted_count(performance_id: str) -> int:
    try:
        return int(CheckInCountItem.get(performance_key(performance_id), "CHECKINS", consistent_read=True).admitted)
    except DoesNotExist:
        return 0
