"""Door check-in: a scanned QR is verified by its signature (no lookup needed), then admitted once.

Scanners verify offline with the published keys and queue scans while the network is down; when
they sync, each scan carries its own id and the time it was made, so a resent scan is recognised
and a ticket scanned at two doors during the outage is admitted once — the other door learns when
and where.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import ports
from ..domain.ticket_errors import TicketAlreadyScanned, TicketVoid, TicketWrongPerformance
from ..observability import count
from ..store import catalog, orders
from ..store import checkins as store
from . import ticket_keys


def scan(
    house_id: str,
    performance_id: str,
    payload: str,
    scanner: str,
    gate: str | None,
    scan_id: str | None,
    scanned_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Admit the ticket of `payload` at this house's performance; a TicketRejected subclass says why not."""
    performance = catalog.get_house_performance(house_id, performance_id)  # another house's door: NotFound
    moment = scanned_at or now
    claims = ticket_keys.verifier().verify(payload, moment)
    if claims.performance_id != performance.id or claims.house_id != house_id:
        raise TicketWrongPerformance(
            "This ticket is for another performance.",
            ticket_id=claims.ticket_id,
            ticket_performance_id=claims.performance_id,
        )
    ticket = orders.ticket_by_id(claims.ticket_id)
    if ticket is None or store.is_void(ticket):
        raise TicketVoid("This ticket was refunded.", ticket_id=claims.ticket_id)
    admitted, check_in = store.admit(
        store.CheckIn(claims.ticket_id, performance.id, scan_id or ports.ids().scan_id(), scanner, gate, moment), now
    )
    if not admitted:
        count("CheckInsRefused")
        raise TicketAlreadyScanned(
            "This ticket was scanned before.",
            ticket_id=claims.ticket_id,
            scanned_at=check_in.scanned_at.isoformat(),
            gate=check_in.gate,
            scanner=check_in.scanner,
        )
    count("CheckIns")
    _publish(check_in, house_id, now)
    return {
        "result": "admitted",
        "ticket_id": claims.ticket_id,
        "seat_label": claims.seat_label,
        "tariff": claims.tariff_code,
        "scanned_at": check_in.scanned_at.isoformat(),
        "in_hall": store.admitted_count(performance.id),
    }


def _publish(check_in: store.CheckIn, house_id: str, now: datetime) -> None:
    ports.events().publish(
        "CheckedIn",
        f"CheckedIn:{check_in.ticket_id}",
        check_in.scanned_at,
        {
            "ticket_id": check_in.ticket_id,
            "performance_id": check_in.performance_id,
            "house_id": house_id,
            "gate": check_in.gate,
        },
    )


def hall(house_id: str, performance_id: str) -> dict[str, Any]:
    performance = catalog.get_house_performance(house_id, performance_id)
    return {
        "performance_id": performance.id,
        "in_hall": store.admitted_count(performance.id),
        "capacity": performance.capacity,
    }
