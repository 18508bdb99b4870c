"""Issuing an order's tickets and the shares their sale books: each ticket signed, carrying the VAT and
commission booked for it, so a refund or an exchange later reverses exactly what the sale booked."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.agreements import Agreement
from ..domain.catalog import Performance
from ..domain.ledger import SoldTicket, TicketShare, shares_of
from ..domain.money import Money
from ..domain.orders import Order, OrderLine, TicketStatus, ticket_id_for
from ..domain.seatmap import SeatMap
from ..domain.tickets import TicketClaims, epoch_seconds, validity_window
from ..store import catalog
from ..store.orders import IssuedTicket
from . import ticket_keys

MAX_LABEL_BYTES = 40


def _seat_label(line: OrderLine, performance: Performance, seatmaps: dict[str, SeatMap]) -> str | None:
    if not line.seat_id:
        return None
    if performance.id not in seatmaps:
        seatmaps[performance.id] = catalog.get_performance_seatmap(performance.id)
    seat = seatmaps[performance.id].seat(line.seat_id)
    label = f"{seat.section} {seat.row}-{seat.number}" if seat else line.seat_id
    return label.encode()[:MAX_LABEL_BYTES].decode(errors="ignore")


def make_tickets(order: Order, now: datetime) -> list[IssuedTicket]:
    """One signed ticket per order line; ids are stable per line, so a retry makes the same tickets."""
    signer = ticket_keys.signer()
    performances: dict[str, Performance] = {}
    seatmaps: dict[str, SeatMap] = {}
    tickets = []
    for line in order.lines:
        performance = performances.get(line.performance_id) or catalog.get_performance(line.performance_id)
        performances[line.performance_id] = performance
        label = _seat_label(line, performance, seatmaps)
        valid_from, valid_until = validity_window(now, performance.starts_at)
        ticket_id = ticket_id_for(order.id, line.index)
        claims = TicketClaims(
            ticket_id,
            order.id,
            line.performance_id,
            line.house_id,
            label,
            line.tariff_code,
            valid_from,
            max(valid_until, valid_from + 1),
            epoch_seconds(now),
        )
        tickets.append(
            IssuedTicket(
                ticket_id,
                order.id,
                line.index,
                line.performance_id,
                line.house_id,
                line.hold_id,
                line.seat_id,
                label,
                line.category,
                line.tariff_code,
                line.price.cents,
                line.price.currency,
                signer.sign(claims),
                TicketStatus.VALID,
                now,
            )
        )
    return tickets


def sold(ticket: IssuedTicket) -> SoldTicket:
    return SoldTicket(
        ticket.ticket_id,
        ticket.house_id,
        ticket.performance_id,
        ticket.tariff_code,
        Money(ticket.price_cents, ticket.currency),
    )


def booked_shares(tickets: list[IssuedTicket]) -> list[TicketShare]:
    """The VAT and commission each ticket's sale booked (kept on the ticket, whatever the agreement is now)."""
    return [TicketShare(sold(ticket), ticket.vat_cents, ticket.commission_cents) for ticket in tickets]


def with_shares(
    tickets: list[IssuedTicket], seller_house_id: str | None, agreement: Agreement
) -> tuple[list[IssuedTicket], list[TicketShare]]:
    """The tickets carrying their VAT and commission under the agreement, and those shares."""
    shares = shares_of([sold(ticket) for ticket in tickets], seller_house_id, agreement)
    return [
        replace(ticket, vat_cents=item.vat, commission_cents=item.commission) for ticket, item in zip(tickets, shares)
    ], shares
