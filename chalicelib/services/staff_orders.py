"""What a house's staff see of orders and holds: one order's part of their house in any state, and a performance's
live holds and orders, page by page. Everything is read by the house's keys; nothing names the buyer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.cart import CartLine
from ..domain.errors import NotFound
from ..domain.holds import Hold
from ..domain.orders import Order, OrderLine, OrderStatus
from ..store import carts as cart_store
from ..store import catalog, reservations
from ..store import orders as store
from .cart_pricing import priced_cart

# The most orders examined for one page of a status-filtered listing (a page may then hold fewer than asked).
MAX_EXAMINED_PER_PAGE = 500


@dataclass(frozen=True)
class HouseOrder:
    """The caller's house's part of an order: its lines (priced at checkout), its tickets once issued, its refunds."""

    order: Order
    lines: tuple[OrderLine | CartLine, ...]  # CartLine while the order is still being priced
    tickets: tuple[store.IssuedTicket, ...]
    refunds: tuple[store.Refund, ...]


def house_order(house_id: str, order_id: str, now: datetime) -> HouseOrder:
    """The house's part of the order in any state; NotFound when it has none of its places (or does not exist)."""
    tickets = store.tickets_of(order_id, house_id)
    order = store.get_order(order_id)
    lines = order.lines or _pricing(order, now)
    mine = tuple(line for line in lines if line.house_id == house_id)
    if not mine and not tickets:
        raise NotFound("No such order.", order_id=order_id)
    ticket_ids = {t.ticket_id for t in tickets}
    refunds = tuple(
        r for r in store.refunds_of(order_id) if r.house_id in (house_id, None) and set(r.ticket_ids) & ticket_ids
    )
    return HouseOrder(order, mine, tuple(tickets), refunds)


def order_of_cluster(order_id: str) -> Order:
    """Any order, for the coordinator (who acts for the whole cluster), or NotFound."""
    return store.get_order(order_id)


def house_refund(house_id: str, order_id: str, refund_id: str) -> store.Refund:
    """A refund the house is part of; another house's, or one of an order without the house's tickets, is NotFound."""
    refund = store.get_refund(order_id, refund_id)
    if refund.house_id not in (house_id, None) or not store.tickets_of(order_id, house_id):
        raise NotFound("No such refund.", refund_id=refund_id)
    return refund


def _pricing(order: Order, now: datetime) -> tuple[CartLine, ...]:
    """A pending order's places before the workflow froze its lines: its frozen cart's, priced as checkout will."""
    if order.status is not OrderStatus.PENDING:
        return ()
    return priced_cart(cart_store.get_cart(order.cart_id), now).lines


def performance_holds(
    house_id: str, performance_id: str, now: datetime, after: str | None, limit: int
) -> tuple[list[Hold], str | None]:
    """The live holds of the house's own performance (another house's: NotFound), soonest expiry first."""
    catalog.get_house_performance(house_id, performance_id)
    return reservations.live_holds(performance_id, now, after, limit)


def performance_orders(
    house_id: str, performance_id: str, status: OrderStatus | None, after: str | None, limit: int
) -> tuple[list[Order], str | None]:
    """Orders with places of the house's own performance (another house's: NotFound), oldest first, in any state
    or in `status`; and where the next page starts."""
    catalog.get_house_performance(house_id, performance_id)
    chosen: list[Order] = []
    examined = 0
    while True:
        page, after = store.performance_orders(performance_id, after, limit - len(chosen))
        examined += len(page)
        chosen += [order for order in page if status is None or order.status is status]
        if after is None or len(chosen) >= limit or examined >= MAX_EXAMINED_PER_PAGE:
            return chosen, after
