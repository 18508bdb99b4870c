"""Use cases of the fan-out consumers: booking availability, UiTdatabank, UiTPAS and the exchange platform.

Each takes one domain event and is safe to run again with the same event (the consumers also
apply each event once per integration through Powertools idempotency).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import ports
from ..domain import booking
from ..domain import exchange as mapping
from ..domain.errors import NotFound
from ..integrations import exchange as exchange_adapter
from ..integrations import uitdatabank, uitpas
from ..integrations.consumer import DomainEvent
from ..integrations.uitpas import TicketSaleRequest
from ..observability import count, logger
from ..settings import get_settings
from ..store import catalog as catalog_store
from ..store import integrations as store
from ..store import orders as order_store
from ..store import reservations

MAX_RECHECKS = 3


# -- booking availability (the availability consumer) -----------------------------------------
def performances_of(event: DomainEvent) -> list[str]:
    tickets = event.detail.get("tickets") or []
    return sorted({ticket["performance_id"] for ticket in tickets if "performance_id" in ticket})


def taken_for_good(performance_id: str, seated: bool) -> int:
    """Places that will not come back by themselves: sold (or blocked) seats, live standing tickets."""
    if seated:  # counted, not read: every sale asks, and a hall's Query per order weighs on its partition
        return reservations.sold_or_blocked_count(performance_id)
    return store.live_tickets(performance_id)


def refresh_availability(event: DomainEvent) -> dict[str, Any]:
    """Recompute each touched performance's booking state; publish SoldOut / Available on a change only."""
    published = {}
    for performance_id in performances_of(event):
        published[performance_id] = refresh_performance(performance_id, ports.clock().now())
    return published


def refresh_performance(performance_id: str, now: datetime) -> list[str]:
    performance = catalog_store.get_performance(performance_id)
    sent = _publish_pending(performance_id)
    for _ in range(MAX_RECHECKS):
        state = store.integration_state(performance_id)
        new = booking.booking_state(performance.capacity, taken_for_good(performance_id, performance.seated))
        if not booking.flips(state.published_availability, new):
            break
        flip = store.record_flip(performance_id, new, state.published_availability)
        if flip is None:
            continue  # another consumer changed it meanwhile: read again
        sent.append(_publish_flip(performance_id, new, flip, now))
    return sent


def _publish_flip(performance_id: str, state: str, flip: int, now: datetime) -> str:
    event_type = booking.EVENT_TYPES[state]
    ports.events().publish(
        event_type, f"{event_type}:{performance_id}:{flip}", now, {"performance_id": performance_id, "flip": flip}
    )
    store.mark_flip_published(performance_id, flip)
    count(event_type)
    logger.info("booking availability changed", extra={"performance_id": performance_id, "state": state, "flip": flip})
    return event_type


def _publish_pending(performance_id: str) -> list[str]:
    """A change recorded but not published (the process stopped in between) is published now, same id."""
    state = store.integration_state(performance_id)
    if state.flips > state.flips_published and state.published_availability:
        return [_publish_flip(performance_id, state.published_availability, state.flips, ports.clock().now())]
    return []


# -- UiTdatabank -------------------------------------------------------------------------------
def push_booking_availability(event: DomainEvent) -> dict[str, Any]:
    """Tell UiTdatabank whether the performance's date can be booked.

    The current state is sent, not the event's: events may arrive out of order, and whichever
    arrives last then still leaves UiTdatabank right.
    """
    performance_id = event.detail["performance_id"]
    state = store.integration_state(performance_id)
    if not state.uitdatabank_event_id or state.uitdatabank_sub_event is None:
        count("UitdatabankUnmapped")
        logger.info("performance not in UiTdatabank", extra={"performance_id": performance_id})
        return {"skipped": "not_mapped"}
    available = state.status != "cancelled" and state.published_availability != booking.SOLD_OUT
    uitdatabank.client().set_sub_event_availability(state.uitdatabank_event_id, state.uitdatabank_sub_event, available)
    count("UitdatabankAvailabilityUpdates")
    return {"event_id": state.uitdatabank_event_id, "sub_event": state.uitdatabank_sub_event, "available": available}


def map_to_uitdatabank(house_id: str, performance_id: str, event_id: str, sub_event: int) -> store.IntegrationState:
    catalog_store.get_house_performance(house_id, performance_id)  # NotFound for another house's performance
    return store.set_uitdatabank_ids(house_id, performance_id, event_id, sub_event)


# -- UiTPAS ------------------------------------------------------------------------------------
def register_uitpas_sales(order_id: str, sales: list[tuple[str, TicketSaleRequest]], now: datetime) -> list[str]:
    """Register the UiTPAS ticket sales of an order's tickets (all or none) and keep each sale's id.

    For the checkout workflow (a step before payment, with `cancel_uitpas_sale` as its compensation).
    """
    ids = uitpas.client().register_ticket_sales([request for _, request in sales])
    for (ticket_id, request), sale_id in zip(sales, ids):
        store.record_uitpas_sale(
            store.UitpasSale(
                ticket_id,
                order_id,
                sale_id,
                request.event_id,
                request.tariff_id,
                request.regular_price_cents,
                "registered",
            ),
            now,
        )
    count("UitpasSalesRegistered", len(ids))
    return ids


def cancel_uitpas_sale(ticket_id: str, now: datetime) -> bool:
    """Cancel the ticket's registered UiTPAS sale, if it has one that is not cancelled yet."""
    sale = store.uitpas_sale(ticket_id)
    if sale is None or sale.status != "registered":
        return False
    uitpas.client().cancel_ticket_sale(sale.ticket_sale_id)  # a sale UiTPAS no longer knows is cancelled too
    store.mark_uitpas_sale_cancelled(ticket_id, now)
    count("UitpasSalesCancelled")
    return True


def cancel_refunded_uitpas_sales(event: DomainEvent) -> dict[str, Any]:
    """On `TicketRefunded`: every refunded ticket's UiTPAS sale is cancelled."""
    cancelled = [
        ticket["ticket_id"]
        for ticket in event.detail.get("tickets", [])
        if cancel_uitpas_sale(ticket["ticket_id"], ports.clock().now())
    ]
    return {"cancelled": cancelled}


# -- UiTwisselingsplatform ---------------------------------------------------------------------
def publish_to_exchange(event: DomainEvent) -> dict[str, Any]:
    """Sales, refunds and check-ins as pseudonymised JSON-LD to the exchange platform."""
    client = exchange_adapter.client()
    if client is None:
        count("ExchangeNotConfigured")
        return {"skipped": "not_configured"}
    detail = event.detail
    if event.type == "CheckedIn" and not detail.get("order_id"):
        facts = store.ticket_facts(detail["ticket_id"])  # the scan names the ticket only
        detail = {**(facts or {}), **detail}
    order_id = detail.get("order_id")
    pseudonyms: dict[str, str] = {}
    areas: dict[str, str | None] = {}
    if order_id:
        try:
            order = order_store.get_order(order_id)
        except NotFound:
            order = None
        if order is not None:
            key = exchange_adapter.exchange_secret()["pseudonym_key"].encode()
            for house_id, customer_id in (order.customer_ids or {}).items():
                pseudonyms[house_id] = mapping.buyer_pseudonym(key, house_id, customer_id)
                areas[house_id] = mapping.postcode_area(store.postcode(house_id, customer_id))
    tickets = detail.get("tickets") or [detail]
    productions = {}
    for performance_id in {ticket["performance_id"] for ticket in tickets if "performance_id" in ticket}:
        try:
            productions[performance_id] = catalog_store.get_performance(performance_id).production_id
        except NotFound:
            pass
    transactions = mapping.transactions_from_event(
        event.type, detail, event.occurred_at, pseudonyms, areas, productions
    )
    if not transactions:
        return {"transactions": 0}
    client.publish(mapping.document(get_settings().stage, event.id, transactions))
    count("ExchangeTransactions", len(transactions))
    return {"transactions": len(transactions)}
