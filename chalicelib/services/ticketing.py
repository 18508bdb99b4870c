"""Turning a paid order into tickets, PDFs and e-mails (the buyer's language, Belgian formats)."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

from ..domain.agreements import Agreement
from ..domain.bundles import BUNDLE_TARIFF, BUNDLE_TARIFF_NAME
from ..domain.ledger import SoldTicket, TicketShare, shares_of

from ..domain.catalog import Performance
from ..domain.money import Money
from ..domain.orders import Order, OrderLine, TicketStatus, ticket_id_for
from ..domain.tickets import TicketClaims, epoch_seconds, validity_window
from ..observability import logger
from ..store import catalog
from ..domain.errors import NotFound
from ..store import orders as store
from ..store.orders import IssuedTicket
from ..tickets.pdf import OrderDocument, TicketDocument
from . import ticket_keys

MAX_LABEL_BYTES = 40


def _seat_label(line: OrderLine, performance: Performance, seatmaps: dict) -> str | None:
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
    seatmaps: dict = {}
    tickets = []
    for line in order.lines:
        performance = performances.get(line.performance_id) or catalog.get_performance(line.performance_id)
        performances[line.performance_id] = performance
        label = _seat_label(line, performance, seatmaps)
        valid_from, valid_until = validity_window(now, performance.starts_at)
        ticket_id = ticket_id_for(order.id, line.index)
        claims = TicketClaims(ticket_id, order.id, line.performance_id, line.house_id, label, line.tariff_code,
                              valid_from, max(valid_until, valid_from + 1), epoch_seconds(now))
        tickets.append(IssuedTicket(ticket_id, order.id, line.index, line.performance_id, line.house_id, line.hold_id,
                                    line.seat_id, label, line.category, line.tariff_code, line.price.cents,
                                    line.price.currency, signer.sign(claims), TicketStatus.VALID, now))
    return tickets


def sold(ticket: IssuedTicket) -> SoldTicket:
    return SoldTicket(ticket.ticket_id, ticket.house_id, ticket.performance_id, ticket.tariff_code,
                      Money(ticket.price_cents, ticket.currency))


def booked_shares(tickets: list[IssuedTicket]) -> list[TicketShare]:
    """The VAT and commission each ticket's sale booked (kept on the ticket, whatever the agreement is now)."""
    return [TicketShare(sold(ticket), ticket.vat_cents, ticket.commission_cents) for ticket in tickets]


def with_shares(tickets: list[IssuedTicket], seller_house_id: str | None,
                agreement: Agreement) -> tuple[list[IssuedTicket], list[TicketShare]]:
    """The tickets carrying their VAT and commission under the agreement, and those shares."""
    shares = shares_of([sold(ticket) for ticket in tickets], seller_house_id, agreement)
    return [replace(ticket, vat_cents=item.vat, commission_cents=item.commission)
            for ticket, item in zip(tickets, shares)], shares


def order_documents(order: Order, language: str) -> list[OrderDocument]:
    """The order as printable documents: one per performance, its tickets in order."""
    tickets = store.tickets_of(order.id)
    by_performance: OrderedDict[str, list[IssuedTicket]] = OrderedDict()
    for ticket in tickets:
        if ticket.status is TicketStatus.VALID:
            by_performance.setdefault(ticket.performance_id, []).append(ticket)
    documents = []
    for performance_id, group in by_performance.items():
        performance = catalog.get_performance(performance_id)
        house = catalog.get_house(performance.house_id)
        seatmap = catalog.get_performance_seatmap(performance_id) if performance.seated else None
        tariff_names = {tariff.code: tariff.name.get(language) or tariff.name.get("nl") or tariff.code
                        for tariff in performance.tariffs}
        tariff_names.setdefault(BUNDLE_TARIFF, BUNDLE_TARIFF_NAME.get(language, BUNDLE_TARIFF_NAME["nl"]))
        printed = []
        for ticket in group:
            seat = seatmap.seat(ticket.seat_id) if seatmap and ticket.seat_id else None
            printed.append(TicketDocument(ticket.ticket_id, ticket.payload, tariff_names.get(ticket.tariff_code,
                                                                                             ticket.tariff_code),
                                          ticket.price_cents, ticket.currency,
                                          seat.section if seat else None, seat.row if seat else None,
                                          seat.number if seat else None))
        title = performance.title.get(language) or performance.title.get("nl") or next(iter(performance.title.values()))
        documents.append(OrderDocument(order.id, house.name, title, performance.venue_name, performance.starts_at,
                                       tuple(printed)))
    return documents


def desk_sale_documents(desk_house_id: str, order_id: str, language: str) -> list[OrderDocument]:
    """The tickets of the desk's own sale, to print; any other order, or a sale whose every ticket was refunded,
    is NotFound."""
    order = store.get_order(order_id)
    if order.channel != "box_office" or order.seller_house_id != desk_house_id:
        raise NotFound("No such sale.", order_id=order_id)
    documents = order_documents(order, language)
    if not documents:
        raise NotFound("Every ticket of this sale was refunded.", order_id=order_id)
    return documents


def _buyer(order: Order):
    """The buyer's contact details as the order gave them (not the house's record of that address)."""
    from .customers import order_buyer_details

    details = order_buyer_details(order.id, order.customer_ids)
    if details is None:
        raise NotFound("The order's buyer is gone.", order_id=order.id)
    return details


def _preferences_url(email_address: str, language: str, order_id: str) -> str | None:
    from ..domain.catalog import utcnow
    from .buyers import preferences_url

    return preferences_url(email_address, language, utcnow(), order_id=order_id)


def send_order_email(order: Order) -> str:
    from ..notifications import email
    from ..settings import get_settings

    current = store.email_message_id(order.id)
    if current:
        return current
    buyer = _buyer(order)
    base = get_settings().public_base_url
    message_id = email.send_tickets(buyer.email, buyer.name, order.language, order.id,
                                    order_documents(order, order.language), order.total,
                                    f"{base}/checkouts/{order.id}" if base else None,
                                    preferences_url=_preferences_url(buyer.email, order.language, order.id),
                                    subscription_ids=[s.id for s in _subscriptions_of(order)])
    store.set_email_message(order.id, message_id)
    logger.info("tickets e-mailed", extra={"order_id": order.id})
    return message_id


def _subscriptions_of(order: Order):
    from .subscriptions import subscriptions_of

    return subscriptions_of(order)


def send_refund_email(order: Order, amount: Money, reason: str) -> str | None:
    """Tell the buyer about a refund; a failure is logged, never undoes the refund."""
    from ..notifications import email

    try:
        buyer = _buyer(order)
        return email.send_refund_notice(buyer.email, buyer.name, order.language, order.id, amount, reason,
                                        preferences_url=_preferences_url(buyer.email, order.language, order.id))
    except Exception:  # the refund stands; the buyer also sees it on the checkout page
        logger.exception("refund e-mail failed", extra={"order_id": order.id})
        return None
