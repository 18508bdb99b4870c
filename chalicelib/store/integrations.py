"""What the fan-out consumers keep: the performance's published booking state and UiTdatabank ids,
and the UiTPAS ticket sales registered per ticket.

`PerformanceIntegration` maps a few optional attributes of the performance item (`PERF#p` /
`PERF`) only: updating them never touches the catalog's attributes, and the catalog's model
ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.errors import NotFound
from .models import CustomerItem, TableItem, TicketItem, customer_key, house_key, is_condition_failure, performance_key


class PerformanceIntegration(TableItem):
    house_id = UnicodeAttribute(null=True)
    production_id = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    seated = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    uitdatabank_event_id = UnicodeAttribute(null=True)
    uitdatabank_sub_event = NumberAttribute(null=True)
    published_availability = UnicodeAttribute(null=True)  # sold_out | available, as last published
    availability_flips = NumberAttribute(null=True)  # how many times it changed (each change is one event)
    availability_flips_published = NumberAttribute(null=True)


@dataclass(frozen=True)
class IntegrationState:
    performance_id: str
    house_id: str
    production_id: str
    status: str
    uitdatabank_event_id: str | None
    uitdatabank_sub_event: int | None
    published_availability: str | None
    flips: int
    flips_published: int


def integration_state(performance_id: str) -> IntegrationState:
    """The performance's integration attributes (consistent read), or NotFound."""
    try:
        item = PerformanceIntegration.get(performance_key(performance_id), "PERF", consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such performance.", performance_id=performance_id) from None
    return IntegrationState(
        performance_id,
        item.house_id or "",
        item.production_id or "",
        item.status or "",
        item.uitdatabank_event_id,
        None if item.uitdatabank_sub_event is None else int(item.uitdatabank_sub_event),
        item.published_availability,
        int(item.availability_flips or 0),
        int(item.availability_flips_published or 0),
    )


def record_flip(performance_id: str, state: str, previous: str | None) -> int | None:
    """Record `state` as published if the last published state is still `previous`; the change's number.

    Conditional on the state read, so of two consumers racing with the same news only one wins,
    and a redelivered event finds nothing to change.
    """
    item = PerformanceIntegration(performance_key(performance_id), "PERF")
    condition = PerformanceIntegration.pk.exists()
    if previous is None:
        condition &= PerformanceIntegration.published_availability.does_not_exist()
    else:
        condition &= PerformanceIntegration.published_availability == previous
    try:
        item.update(
            actions=[
                PerformanceIntegration.published_availability.set(state),
                PerformanceIntegration.availability_flips.add(1),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return None
        raise
    return int(item.availability_flips)


def mark_flip_published(performance_id: str, flip: int) -> None:
    item = PerformanceIntegration(performance_key(performance_id), "PERF")
    try:
        item.update(
            actions=[PerformanceIntegration.availability_flips_published.set(flip)],
            condition=PerformanceIntegration.availability_flips_published.does_not_exist()
            | (PerformanceIntegration.availability_flips_published < flip),
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def set_uitdatabank_ids(house_id: str, performance_id: str, event_id: str, sub_event: int) -> IntegrationState:
    """Map the house's own performance to one sub-event of a UiTdatabank event."""
    item = PerformanceIntegration(performance_key(performance_id), "PERF")
    try:
        item.update(
            actions=[
                PerformanceIntegration.uitdatabank_event_id.set(event_id),
                PerformanceIntegration.uitdatabank_sub_event.set(sub_event),
            ],
            condition=PerformanceIntegration.house_id == house_id,
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("No such performance.", performance_id=performance_id) from None
        raise
    return integration_state(performance_id)


def live_tickets(performance_id: str) -> int:
    """Tickets of the performance that are not void (sold, or being refunded)."""
    return sum(
        1
        for item in TicketItem.by_gsi2.query(f"PERF#{performance_id}#TICKETS", attributes_to_get=["status"])
        if item.status != "void"
    )


def ticket_facts(ticket_id: str) -> dict | None:
    """What a check-in does not say about its ticket: order, tariff, category and price."""
    for item in TicketItem.by_gsi1.query(f"TICKET#{ticket_id}", limit=1):
        return {
            "order_id": item.order_id,
            "tariff_code": item.tariff_code,
            "category": item.category,
            "price": int(item.price_cents),
            "house_id": item.house_id,
            "performance_id": item.performance_id,
        }
    return None


def postcode(house_id: str, customer_id: str) -> str | None:
    """Only the buyer's postcode at one house (nothing else of the record is read)."""
    try:
        item = CustomerItem.get(house_key(house_id), customer_key(customer_id), attributes_to_get=["postcode"])
    except DoesNotExist:
        return None
    return item.postcode


# -- UiTPAS ticket sales ----------------------------------------------------------------------
class UitpasSaleItem(TableItem):
    """A ticket sale registered at UiTPAS for one ticket (PK `UITPAS#ticket`, SK `SALE`)."""

    ticket_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    ticket_sale_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    tariff_id = UnicodeAttribute()
    regular_price_cents = NumberAttribute()
    status = UnicodeAttribute()  # registered | cancelled
    registered_at = UTCDateTimeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True)
class UitpasSale:
    ticket_id: str
    order_id: str
    ticket_sale_id: str
    event_id: str
    tariff_id: str
    regular_price_cents: int
    status: str


def uitpas_key(ticket_id: str) -> str:
    return f"UITPAS#{ticket_id}"


def record_uitpas_sale(sale: UitpasSale, now: datetime) -> None:
    """Keep a registered sale's id (once per ticket: a retried registration stores nothing new)."""
    item = UitpasSaleItem(
        uitpas_key(sale.ticket_id),
        "SALE",
        ticket_id=sale.ticket_id,
        order_id=sale.order_id,
        ticket_sale_id=sale.ticket_sale_id,
        event_id=sale.event_id,
        tariff_id=sale.tariff_id,
        regular_price_cents=sale.regular_price_cents,
        status="registered",
        registered_at=now,
    )
    try:
        item.save(condition=UitpasSaleItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


def uitpas_sale(ticket_id: str) -> UitpasSale | None:
    try:
        item = UitpasSaleItem.get(uitpas_key(ticket_id), "SALE", consistent_read=True)
    except DoesNotExist:
        return None
    return UitpasSale(
        item.ticket_id,
        item.order_id,
        item.ticket_sale_id,
        item.event_id,
        item.tariff_id,
        int(item.regular_price_cents),
        item.status,
    )


def mark_uitpas_sale_cancelled(ticket_id: str, now: datetime) -> bool:
    item = UitpasSaleItem(uitpas_key(ticket_id), "SALE")
    try:
        item.update(
            actions=[UitpasSaleItem.status.set("cancelled"), UitpasSaleItem.cancelled_at.set(now)],
            condition=UitpasSaleItem.status == "registered",
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
