"""An order's printable tickets and the buyer's e-mails about it (the buyer's language, Belgian formats)."""

from __future__ import annotations

from collections import OrderedDict

from .. import i18n, ports
from ..domain.bundles import BUNDLE_TARIFF, BUNDLE_TARIFF_NAME
from ..domain.customers import BuyerDetails
from ..domain.errors import NotFound
from ..domain.money import Money
from ..domain.orders import Order, TicketStatus
from ..notifications import email
from ..observability import logger
from ..settings import get_settings
from ..store import catalog
from ..store import orders as store
from ..store.orders import IssuedTicket
from ..tickets.pdf import OrderDocument, TicketDocument, order_pdf
from .buyers import preferences_url
from .customers import order_buyer_details
from .subscriptions import subscriptions_of


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
        tariff_names = {
            tariff.code: tariff.name.get(language) or tariff.name.get("nl") or tariff.code
            for tariff in performance.tariffs
        }
        tariff_names.setdefault(BUNDLE_TARIFF, i18n.gettext(language, BUNDLE_TARIFF_NAME))
        printed = []
        for ticket in group:
            seat = seatmap.seat(ticket.seat_id) if seatmap and ticket.seat_id else None
            printed.append(
                TicketDocument(
                    ticket.ticket_id,
                    ticket.payload,
                    tariff_names.get(ticket.tariff_code, ticket.tariff_code),
                    ticket.price_cents,
                    ticket.currency,
                    seat.section if seat else None,
                    seat.row if seat else None,
                    seat.number if seat else None,
                )
            )
        title = performance.title.get(language) or performance.title.get("nl") or next(iter(performance.title.values()))
        documents.append(
            OrderDocument(order.id, house.name, title, performance.venue_name, performance.starts_at, tuple(printed))
        )
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


def _buyer(order: Order) -> BuyerDetails:
    """The buyer's contact details as the order gave them (not the house's record of that address)."""
    details = order_buyer_details(order.id, order.customer_ids)
    if details is None:
        raise NotFound("The order's buyer is gone.", order_id=order.id)
    return details


def _preferences_url(email_address: str, language: str, order_id: str) -> str | None:
    return preferences_url(email_address, language, ports.clock().now(), order_id=order_id)


def send_order_email(order: Order) -> str:
    current = store.email_message_id(order.id)
    if current:
        return current
    buyer = _buyer(order)
    base = get_settings().public_base_url
    message_id = email.send_tickets(
        buyer.email,
        buyer.name,
        order.language,
        order.id,
        order_documents(order, order.language),
        order.total,
        f"{base}/checkouts/{order.id}" if base else None,
        preferences_url=_preferences_url(buyer.email, order.language, order.id),
        render_pdf=order_pdf,
        subscription_ids=[s.id for s in subscriptions_of(order)],
    )
    store.set_email_message(order.id, message_id)
    logger.info("tickets e-mailed", extra={"order_id": order.id})
    return message_id


def send_refund_email(order: Order, amount: Money, reason: str) -> str | None:
    """Tell the buyer about a refund; a failure is logged, never undoes the refund."""
    try:
        buyer = _buyer(order)
        return email.send_refund_notice(
            buyer.email,
            buyer.name,
            order.language,
            order.id,
            amount,
            reason,
            preferences_url=_preferences_url(buyer.email, order.language, order.id),
        )
    except Exception:  # the refund stands; the buyer also sees it on the checkout page
        logger.exception("refund e-mail failed", extra={"order_id": order.id})
        return None


def tickets_of(order_id: str) -> list[IssuedTicket]:
    """An order's issued tickets, of every house, as its buyer's order page shows them."""
    return store.tickets_of(order_id)
