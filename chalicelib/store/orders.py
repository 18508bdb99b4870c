"""Order repository: orders, their tickets, ledger entries and refunds; every write conditional.

Writes are idempotent so a workflow task can be retried: tickets and ledger entries have stable
ids and are put only if absent; status changes name the statuses they may come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.donations import Donation
from ..domain.errors import Conflict, NotFound, NotRefundable
from ..domain.ledger import JournalEntry, account_house
from ..domain.orders import Order, OrderLine, OrderStatus, TicketStatus
from . import giftcards, vouchers
from .carts import CartRecord
from .models import (
    CartItem,
    LedgerItem,
    OrderItem,
    OrderPerformanceItem,
    RefundItem,
    TicketItem,
    cart_key,
    is_condition_failure,
    order_key,
    ticket_sort_key,
    transaction_connection,
)

ORDER_SK = "ORDER"


@dataclass(frozen=True)
class IssuedTicket:
    ticket_id: str
    order_id: str
    line_index: int
    performance_id: str
    house_id: str
    hold_id: str
    seat_id: str | None
    seat_label: str | None
    category: str
    tariff_code: str
    price_cents: int
    currency: str
    payload: str
    status: TicketStatus
    issued_at: datetime
    refund_id: str | None = None
    vat_cents: int = 0
    commission_cents: int = 0


@dataclass(frozen=True)
class Refund:
    refund_id: str
    order_id: str
    house_id: str | None
    ticket_ids: tuple[str, ...]
    amount_cents: int
    currency: str
    reason: str
    status: str
    provider_refund_id: str | None
    created_at: datetime
    note: str | None = None  # the house's own words; never in events, the exchange feed or logs


# -- orders -------------------------------------------------------------------------------------
def begin_checkout(cart: CartRecord, order: Order, performances: Mapping[str, str] | None = None) -> Order:
    """Freeze the cart and create its order together; a second submit of the same cart gets the same order.

    `performances` (performance id → owning house) are marked with the order, in the same transaction."""
    assert order.created_at is not None  # a new order is stamped when it is made
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                CartItem(cart_key(cart.id), "CART"),
                actions=[CartItem.order_id.set(order.id), CartItem.version.add(1)],
                condition=(CartItem.version == cart.version) & CartItem.order_id.does_not_exist(),
            )
            transaction.save(
                OrderItem(
                    order_key(order.id),
                    ORDER_SK,
                    order_id=order.id,
                    cart_id=cart.id,
                    session_hash=order.session_hash,
                    status=order.status.value,
                    language=order.language,
                    seller_house_id=order.seller_house_id,
                    channel=order.channel,
                    payment_method=order.payment_method,
                    customer_ids=dict(order.customer_ids),
                    created_at=order.created_at,
                    **_gift_card_attributes(order),
                ),
                condition=OrderItem.pk.does_not_exist(),
            )
            for performance_id, house_id in sorted((performances or {}).items()):
                transaction.save(
                    OrderPerformanceItem(
                        order_key(order.id),
                        f"PERF#{performance_id}",
                        order_id=order.id,
                        performance_id=performance_id,
                        house_id=house_id,
                        created_at=order.created_at,
                        gsi2pk=performance_orders_key(performance_id),
                        gsi2sk=f"{order.created_at.isoformat()}#{order.id}",
                    ),
                    condition=OrderPerformanceItem.pk.does_not_exist(),
                )
            if cart.voucher_code:  # the code's use is claimed with the freeze: all or nothing
                vouchers.claim_in(transaction, cart.voucher_code, order.id, order.created_at)
            if order.gift_card and order.gift_card[2]:  # so is the gift card's part (balance >= it)
                code, house_id, cents = order.gift_card
                giftcards.claim_in(transaction, code, house_id, order.id, cents, order.created_at)
    except TransactWriteError as error:
        try:
            return get_order(order.id)  # the other submit won: both answer with its order
        except NotFound:
            if cart.voucher_code:
                vouchers.explain_refusal(cart.voucher_code, order.created_at)
            raise Conflict("The cart changed meanwhile; reload it and try again.") from error
    return order


def _gift_card_attributes(order: Order) -> dict:
    if not order.gift_card:
        return {}
    code, house_id, cents = order.gift_card
    return {"gift_card_code": code, "gift_card_house": house_id, "gift_card_cents": cents}


def _order(item: OrderItem) -> Order:
    return Order(
        id=item.order_id,
        cart_id=item.cart_id,
        session_hash=item.session_hash,
        status=OrderStatus(item.status),
        lines=tuple(OrderLine.from_dict(line) for line in item.lines or ()),
        language=item.language,
        seller_house_id=item.seller_house_id,
        channel=item.channel or "web",
        payment_method=item.payment_method,
        customer_ids=dict(item.customer_ids or {}),
        payment_intent_id=item.payment_intent_id,
        client_secret=item.client_secret,
        payment_status=item.payment_status,
        last_payment_error=item.last_payment_error,
        failure_reason=item.failure_reason,
        lost_places=tuple(item.lost_places or ()),
        created_at=item.created_at,
        expires_at=item.expires_at,
        completed_at=item.completed_at,
        donations=tuple(Donation.from_dict(donation) for donation in item.donations or ()),
        gift_card=(item.gift_card_code, item.gift_card_house, int(item.gift_card_cents))
        if item.gift_card_code
        else None,
    )


def get_order(order_id: str) -> Order:
    try:
        return _order(OrderItem.get(order_key(order_id), ORDER_SK, consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such order.", order_id=order_id) from None


def _read(order_id: str, attribute: str):
    """One attribute of the order (the keys are read too: a projection of only a missing attribute is empty)."""
    return getattr(
        OrderItem.get(order_key(order_id), ORDER_SK, consistent_read=True, attributes_to_get=["PK", "SK", attribute]),
        attribute,
    )


def task_token(order_id: str) -> str | None:
    return _read(order_id, "task_token")


def _update(order_id: str, actions: list, condition=None) -> OrderItem | None:
    """Apply `actions` if `condition` holds; the order as it is after, or None if the condition failed."""
    item = OrderItem(order_key(order_id), ORDER_SK)
    try:
        item.update(
            actions=actions + [OrderItem.version.add(1)],
            condition=OrderItem.pk.exists() & condition if condition is not None else OrderItem.pk.exists(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return None
        raise
    return item


def _in(*statuses: OrderStatus):
    return OrderItem.status.is_in(*[status.value for status in statuses])


def set_priced(
    order_id: str, lines: Sequence[OrderLine], expires_at: datetime, donations: Sequence[Donation] = ()
) -> bool:
    """Store the priced lines (and donations) once (pricing again for a retried task changes nothing)."""
    total = sum(line.price.cents for line in lines) + sum(donation.amount.cents for donation in donations)
    return (
        _update(
            order_id,
            [
                OrderItem.lines.set([line.to_dict() for line in lines]),
                OrderItem.total_cents.set(total),
                OrderItem.expires_at.set(expires_at),
                OrderItem.donations.set([donation.to_dict() for donation in donations]),
            ],
            _in(OrderStatus.PENDING, OrderStatus.RESERVED) & OrderItem.total_cents.is_in(0, total),
        )
        is not None
    )


def list_reservation(order_id: str, house_id: str, expires_at: datetime) -> None:
    """Put an open desk reservation in its house's list (sparse index)."""
    _update(
        order_id,
        [OrderItem.gsi1pk.set(f"HOUSE#{house_id}#RESERVATIONS"), OrderItem.gsi1sk.set(expires_at.isoformat())],
        _in(OrderStatus.RESERVED),
    )


def unlist_reservation(order_id: str, payment_method: str | None = None) -> None:
    actions: list[Action] = [OrderItem.gsi1pk.remove(), OrderItem.gsi1sk.remove()]
    if payment_method:
        actions.append(OrderItem.payment_method.set(payment_method))
    _update(order_id, actions)


def reservations_of(house_id: str) -> list[Order]:
    """The house's open desk reservations, soonest expiry first (by its key)."""
    return [_order(item) for item in OrderItem.by_gsi1.query(f"HOUSE#{house_id}#RESERVATIONS")]


def set_payment(order_id: str, payment_intent_id: str, client_secret: str) -> bool:
    return (
        _update(
            order_id,
            [
                OrderItem.payment_intent_id.set(payment_intent_id),
                OrderItem.client_secret.set(client_secret),
                OrderItem.status.set(OrderStatus.AWAITING_PAYMENT.value),
            ],
            _in(OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT),
        )
        is not None
    )


def set_task_token(order_id: str, token: str) -> Order:
    """Remember the workflow's token; returns the order as it is now (the payment may be known already)."""
    item = _update(order_id, [OrderItem.task_token.set(token)])
    return _order(OrderItem.get(order_key(order_id), ORDER_SK, consistent_read=True)) if item else get_order(order_id)


def record_payment_outcome(order_id: str, outcome: str, charge_id: str | None) -> Order | None:
    """Record the provider's final word once (succeeded or canceled); None if another outcome came first."""
    actions = [OrderItem.payment_status.set(outcome)]
    if charge_id:
        actions.append(OrderItem.charge_id.set(charge_id))
    item = _update(order_id, actions, OrderItem.payment_status.does_not_exist() | (OrderItem.payment_status == outcome))
    return get_order(order_id) if item is not None else None


def record_payment_error(order_id: str, message: str) -> None:
    """The last decline, for the buyer to see while they may still try another card (not after the outcome)."""
    _update(order_id, [OrderItem.last_payment_error.set(message[:500])], OrderItem.payment_status.does_not_exist())


def mark(
    order_id: str,
    status: OrderStatus,
    now: datetime,
    *,
    allowed_from: Iterable[OrderStatus],
    failure_reason: str | None = None,
    lost_places: Sequence[str] = (),
) -> bool:
    """Move the order to `status` from one of `allowed_from` (or stay if it is there already)."""
    actions = [OrderItem.status.set(status.value)]
    if failure_reason:
        actions.append(OrderItem.failure_reason.set(failure_reason))
    if lost_places:
        actions.append(OrderItem.lost_places.set(list(lost_places)))
    if status.is_final:
        actions += [OrderItem.completed_at.set(now), OrderItem.task_token.remove()]
    return _update(order_id, actions, _in(status, *allowed_from)) is not None


def email_message_id(order_id: str) -> str | None:
    return _read(order_id, "email_message_id")


def set_email_message(order_id: str, message_id: str) -> None:
    _update(order_id, [OrderItem.email_message_id.set(message_id)])


# -- tickets and ledger ---------------------------------------------------------------------------
def _put_once(item) -> None:
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


def put_tickets(tickets: Sequence[IssuedTicket]) -> None:
    """Store tickets that are not stored yet (a retried task puts the same ids again: no change)."""
    for ticket in tickets:
        _put_once(
            TicketItem(
                order_key(ticket.order_id),
                ticket_sort_key(ticket.house_id, ticket.ticket_id),
                ticket_id=ticket.ticket_id,
                order_id=ticket.order_id,
                line_index=ticket.line_index,
                performance_id=ticket.performance_id,
                house_id=ticket.house_id,
                hold_id=ticket.hold_id,
                seat_id=ticket.seat_id,
                seat_label=ticket.seat_label,
                category=ticket.category,
                tariff_code=ticket.tariff_code,
                price_cents=ticket.price_cents,
                currency=ticket.currency,
                payload=ticket.payload,
                status=ticket.status.value,
                issued_at=ticket.issued_at,
                vat_cents=ticket.vat_cents,
                commission_cents=ticket.commission_cents,
                gsi1pk=f"TICKET#{ticket.ticket_id}",
                gsi1sk="TICKET",
                gsi2pk=f"PERF#{ticket.performance_id}#TICKETS",
                gsi2sk=f"{ticket.order_id}#{ticket.ticket_id}",
            )
        )


def _ticket(item: TicketItem) -> IssuedTicket:
    return IssuedTicket(
        item.ticket_id,
        item.order_id,
        int(item.line_index),
        item.performance_id,
        item.house_id,
        item.hold_id,
        item.seat_id,
        item.seat_label,
        item.category,
        item.tariff_code,
        int(item.price_cents),
        item.currency,
        item.payload,
        TicketStatus(item.status),
        item.issued_at,
        item.refund_id,
        int(item.vat_cents or 0),
        int(item.commission_cents or 0),
    )


def ticket_by_id(ticket_id: str) -> IssuedTicket | None:
    """A ticket found by its id alone (the door knows nothing else)."""
    items = list(TicketItem.by_gsi1.query(f"TICKET#{ticket_id}", TicketItem.gsi1sk == "TICKET", limit=1))
    return _ticket(items[0]) if items else None


def tickets_of(order_id: str, house_id: str | None = None) -> list[IssuedTicket]:
    """The order's tickets, or only one house's (read by key, never filtered after reading)."""
    prefix = f"HOUSE#{house_id}#TICKET#" if house_id else "HOUSE#"
    items = TicketItem.query(order_key(order_id), TicketItem.sk.startswith(prefix), consistent_read=True)
    return sorted((_ticket(item) for item in items), key=lambda ticket: ticket.line_index)


def performance_orders_key(performance_id: str) -> str:
    return f"PERF#{performance_id}#ORDERS"


def performance_orders(performance_id: str, after: str | None, limit: int) -> tuple[list[Order], str | None]:
    """Up to `limit` orders with places of the performance, oldest first, from just after the sort key `after`;
    and the sort key to go on from (None at the end). One Query on the performance's index key, one BatchGet."""
    last_key = None
    if after:
        order_id = after.rsplit("#", 1)[1]
        last_key = {
            "PK": {"S": order_key(order_id)},
            "SK": {"S": f"PERF#{performance_id}"},
            "gsi2pk": {"S": performance_orders_key(performance_id)},
            "gsi2sk": {"S": after},
        }
    marks = OrderPerformanceItem.by_gsi2.query(
        performance_orders_key(performance_id), limit=limit, last_evaluated_key=last_key
    )
    keys = [item.gsi2sk for item in marks]
    if not keys:
        return [], None
    found = {
        item.order_id: _order(item)
        for item in OrderItem.batch_get([(order_key(key.rsplit("#", 1)[1]), ORDER_SK) for key in keys])
    }
    orders = [found[key.rsplit("#", 1)[1]] for key in keys if key.rsplit("#", 1)[1] in found]
    return orders, keys[-1] if marks.last_evaluated_key else None


def sold_places(performance_id: str) -> int:
    """A performance's places sold on tickets still valid (or being refunded), counted by DynamoDB."""
    return TicketItem.by_gsi2.count(
        f"PERF#{performance_id}#TICKETS",
        filter_condition=TicketItem.status.is_in(TicketStatus.VALID.value, TicketStatus.REFUNDING.value),
    )


def performance_ticket_orders(performance_id: str) -> list[str]:
    """Ids of the orders holding tickets of a performance."""
    orders = {item.order_id for item in TicketItem.by_gsi2.query(f"PERF#{performance_id}#TICKETS")}
    return sorted(orders)


def ledger_items(entries: Sequence[JournalEntry], booked_at: datetime) -> list[LedgerItem]:
    """The items that store balanced entries: one per entry and house it touches."""
    items = []
    for entry in entries:
        houses = sorted({house for p in entry.postings if (house := account_house(p.account)) is not None}) or [
            entry.house_id
        ]
        partition = (
            f"SETTLEMENT#{entry.order_id.split(':', 1)[1]}" if entry.kind == "transfer" else order_key(entry.order_id)
        )
        for house_id in houses:
            items.append(
                LedgerItem(
                    partition,
                    f"LEDGER#{entry.entry_id}#{house_id}",
                    entry=entry.to_dict(),
                    house_id=house_id,
                    kind=entry.kind,
                    booked_at=booked_at,
                    gsi1pk=f"HOUSE#{house_id}#LEDGER",
                    gsi1sk=f"{booked_at.isoformat()}#{entry.entry_id}",
                )
            )
    return items


def put_ledger_entries(entries: Sequence[JournalEntry], booked_at: datetime) -> None:
    """Append balanced entries, each only once (by its id), under every house it touches."""
    for item in ledger_items(entries, booked_at):
        _put_once(item)


def house_ledger(house_id: str, until: datetime) -> list[tuple[datetime, JournalEntry]]:
    """Every entry touching the house booked before `until`, oldest first (by key: the house's own)."""
    items = LedgerItem.by_gsi1.query(f"HOUSE#{house_id}#LEDGER", LedgerItem.gsi1sk < until.isoformat())
    return [(item.booked_at, JournalEntry.from_dict(item.entry)) for item in items]


# -- refunds --------------------------------------------------------------------------------------
def create_refund(refund: Refund) -> Refund:
    """Record a refund and mark its tickets `refunding`, all or nothing; a ticket can be refunded once."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.save(
                RefundItem(
                    order_key(refund.order_id),
                    f"REFUND#{refund.refund_id}",
                    refund_id=refund.refund_id,
                    order_id=refund.order_id,
                    house_id=refund.house_id,
                    ticket_ids=list(refund.ticket_ids),
                    amount_cents=refund.amount_cents,
                    currency=refund.currency,
                    reason=refund.reason,
                    note=refund.note,
                    status="requested",
                    created_at=refund.created_at,
                ),
                condition=RefundItem.pk.does_not_exist(),
            )
            for ticket in tickets_of(refund.order_id):
                if ticket.ticket_id in refund.ticket_ids:
                    transaction.update(
                        TicketItem(order_key(refund.order_id), ticket_sort_key(ticket.house_id, ticket.ticket_id)),
                        actions=[
                            TicketItem.status.set(TicketStatus.REFUNDING.value),
                            TicketItem.refund_id.set(refund.refund_id),
                        ],
                        condition=TicketItem.status == TicketStatus.VALID.value,
                    )
    except TransactWriteError as error:
        raise NotRefundable("A ticket of this refund is refunded already or being refunded.") from error
    return refund


def _refund(item: RefundItem) -> Refund:
    return Refund(
        item.refund_id,
        item.order_id,
        item.house_id,
        tuple(item.ticket_ids or ()),
        int(item.amount_cents),
        item.currency,
        item.reason,
        item.status,
        item.provider_refund_id,
        item.created_at,
        item.note,
    )


def get_refund(order_id: str, refund_id: str) -> Refund:
    try:
        return _refund(RefundItem.get(order_key(order_id), f"REFUND#{refund_id}", consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such refund.", refund_id=refund_id) from None


def refunds_of(order_id: str) -> list[Refund]:
    return [
        _refund(item)
        for item in RefundItem.query(order_key(order_id), RefundItem.sk.startswith("REFUND#"), consistent_read=True)
    ]


def forget_refund_notes(order_id: str) -> int:
    """Erasure: the staff's internal notes on the order's refunds may name its buyer, so they go (the refund,
    its reason code and amounts stay); how many were removed. Safe to repeat."""
    removed = 0
    for item in RefundItem.query(
        order_key(order_id),
        RefundItem.sk.startswith("REFUND#"),
        consistent_read=True,
        attributes_to_get=["PK", "SK", "note"],
    ):
        if item.note is None:
            continue
        item.update(actions=[RefundItem.note.remove()], condition=RefundItem.pk.exists())
        removed += 1
    return removed


def set_provider_refund(order_id: str, refund_id: str, provider_refund_id: str) -> None:
    RefundItem(order_key(order_id), f"REFUND#{refund_id}").update(
        actions=[RefundItem.provider_refund_id.set(provider_refund_id)]
    )


def void_tickets(refund: Refund, tickets: Sequence[IssuedTicket]) -> None:
    """The refunded tickets become void (each only from `refunding` under this refund: safe to repeat)."""
    for ticket in tickets:
        try:
            TicketItem(order_key(refund.order_id), ticket_sort_key(ticket.house_id, ticket.ticket_id)).update(
                actions=[TicketItem.status.set(TicketStatus.VOID.value)],
                condition=(TicketItem.refund_id == refund.refund_id)
                & TicketItem.status.is_in(TicketStatus.REFUNDING.value, TicketStatus.VOID.value),
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise


def void_order_tickets(order_id: str, tickets: Sequence[IssuedTicket]) -> None:
    """Void tickets of an order that was refunded as a whole before it was delivered."""
    for ticket in tickets:
        TicketItem(order_key(order_id), ticket_sort_key(ticket.house_id, ticket.ticket_id)).update(
            actions=[TicketItem.status.set(TicketStatus.VOID.value)]
        )


def complete_refund(refund: Refund, now: datetime) -> bool:
    """Mark the refund done and add its amount to the order's refunded total, exactly once."""
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.update(
                RefundItem(order_key(refund.order_id), f"REFUND#{refund.refund_id}"),
                actions=[RefundItem.status.set("completed"), RefundItem.completed_at.set(now)],
                condition=RefundItem.status == "requested",
            )
            transaction.update(
                OrderItem(order_key(refund.order_id), ORDER_SK),
                actions=[OrderItem.refunded_cents.add(refund.amount_cents), OrderItem.version.add(1)],
            )
    except TransactWriteError:
        return False
    return True
