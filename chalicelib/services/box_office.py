"""Selling at the desk: the box office's cart becomes a paid order at once (cash, card terminal, invoice).

The sale is the desk's house's (it is the seller, it holds the money: `house:{desk}:collected` in
the ledger); the revenue is the owning house's. Selling another house's performance needs the
cluster agreement's consent (`desk_resale`). Seats, tickets, ledger, e-mail and `OrderPlaced` go
through the same steps as an online checkout, run here in one request because nothing waits for
a payment provider.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.cart import Cart
from ..domain.customers import BuyerDetails
from ..domain.errors import (
    Conflict,
    DomainError,
    EmptyCart,
    FieldError,
    Forbidden,
    NotFound,
    SeatsUnavailable,
    ValidationFailed,
)
from ..domain.holds import session_hash
from ..domain.orders import Order, OrderStatus, SeatsLost, order_id_for, order_lines
from ..observability import count
from ..store import catalog, reservations, settlements
from ..store import orders as store
from ..store.carts import CartRecord
from . import carts, checkout, customers, vouchers
from .cart_pricing import priced_cart
from .uitpas import register_order_sales


def _desk_cart(desk_house_id: str, cart_id: str, session_token: str, now: datetime) -> tuple[CartRecord, Cart | None]:
    record = carts.own_cart(cart_id, session_token)
    if record.order_id:
        return record, None
    cart = priced_cart(record, now)
    if not cart.lines:
        raise EmptyCart("The cart holds no live places.", cart_id=cart_id)
    vouchers.check_offers(cart)
    if any(house != desk_house_id for house in cart.houses) and not settlements.get_agreement().desk_resale:
        raise Forbidden("The cluster agreement does not let box offices sell other houses' performances.")
    return record, cart


def _desk_order(
    desk_house_id: str,
    record: CartRecord,
    cart: Cart,
    session_token: str,
    status: OrderStatus,
    payment_method: str | None,
    buyer: BuyerDetails | None,
    marketing: bool,
    sharing: bool,
    language: str,
    expires_at: datetime | None,
    now: datetime,
) -> Order:
    customer_ids = (
        customers.record_buyer(
            list(cart.houses),
            buyer,
            marketing,
            sharing,
            language,
            now,
            source="box_office",
            order_id=order_id_for(record.id),
        )
        if buyer
        else {}
    )
    order = store.begin_checkout(
        record,
        Order(
            order_id_for(record.id),
            record.id,
            session_hash(session_token),
            status,
            language=language,
            seller_house_id=desk_house_id,
            channel="box_office",
            payment_method=payment_method,
            customer_ids=customer_ids,
            created_at=now,
        ),
        performances={line.performance_id: line.house_id for line in cart.lines},
    )
    expires = expires_at or cart.expires_at
    assert expires is not None  # a cart with places expires with its first hold
    store.set_priced(order.id, order_lines(cart.lines), expires, cart.donations)
    return order


def desk_sale(
    desk_house_id: str,
    cart_id: str,
    session_token: str,
    payment_method: str,
    buyer: BuyerDetails | None,
    marketing: bool,
    sharing: bool,
    language: str,
    now: datetime,
) -> Order:
    """Sell the desk's cart; a second submit of the same cart answers with the same order."""
    record, cart = _desk_cart(desk_house_id, cart_id, session_token, now)
    if cart is None:
        assert record.order_id is not None  # its checkout began: the same order
        return store.get_order(record.order_id)
    order = _desk_order(
        desk_house_id,
        record,
        cart,
        session_token,
        OrderStatus.PENDING,
        payment_method,
        buyer,
        marketing,
        sharing,
        language,
        None,
        now,
    )
    return _complete(order, buyer is not None, now)


def _complete(order: Order, email: bool, now: datetime) -> Order:
    """Sell the places, issue the tickets (and e-mail them), publish `OrderPlaced`."""
    _register_uitpas_sales(order, now)
    try:
        checkout.confirm_seats(order.id, now)
    except SeatsLost as lost:
        checkout.release_checkout(order.id, "SeatsLost", now)
        raise SeatsUnavailable(
            "A place of this sale was taken meanwhile.", taken=list(store.get_order(order.id).lost_places)
        ) from lost
    checkout.issue_tickets(order.id, now)
    if email:
        checkout.email_tickets(order.id)
    checkout.publish_order_placed(order.id, now)
    count("DeskSales")
    return store.get_order(order.id)


def _register_uitpas_sales(order: Order, now: datetime) -> None:
    """Social-tariff places are registered at UiTPAS before the sale, as online; refused: nothing is sold."""
    if not any(line.uitpas for line in store.get_order(order.id).lines):  # the priced lines, read again
        return
    try:
        register_order_sales(order.id, now)
    except DomainError as refused:
        checkout.release_checkout(order.id, type(refused).__name__, now)
        raise


def reserve(
    desk_house_id: str,
    cart_id: str,
    session_token: str,
    buyer: BuyerDetails,
    marketing: bool,
    sharing: bool,
    language: str,
    until: datetime,
    now: datetime,
) -> Order:
    """Keep the desk's cart for a buyer who pays later, until `until` (before the first performance starts)."""
    record, cart = _desk_cart(desk_house_id, cart_id, session_token, now)
    if cart is None:
        assert record.order_id is not None  # its checkout began: the same order
        return store.get_order(record.order_id)
    first_start = min(catalog.get_performance(p).starts_at for p in {line.performance_id for line in cart.lines})
    if not now < until <= first_start:
        raise ValidationFailed(
            "A reservation ends after now and no later than the performance.",
            [FieldError("expires_at", "out_of_range", "Between now and the start of the first performance.")],
        )
    for hold_id in dict.fromkeys(line.hold_id for line in cart.lines):
        reservations.extend_hold(reservations.get_hold(hold_id), until, now)
    order = _desk_order(
        desk_house_id,
        record,
        cart,
        session_token,
        OrderStatus.RESERVED,
        None,
        buyer,
        marketing,
        sharing,
        language,
        until,
        now,
    )
    store.list_reservation(order.id, desk_house_id, until)
    count("DeskReservations")
    return store.get_order(order.id)


def _own_reservation(desk_house_id: str, order_id: str) -> Order:
    order = store.get_order(order_id)
    if order.channel != "box_office" or order.seller_house_id != desk_house_id:
        raise NotFound("No such reservation.", order_id=order_id)
    return order


def pay_reservation(desk_house_id: str, order_id: str, payment_method: str, now: datetime) -> Order:
    """The buyer pays at the desk: the reservation becomes a sale (a lapsed one only if its places are still free)."""
    order = _own_reservation(desk_house_id, order_id)
    if order.status is not OrderStatus.RESERVED:
        if order.status is OrderStatus.COMPLETED:
            return order
        raise Conflict("This reservation is no longer open.", order_id=order_id, order_status=order.status.value)
    store.unlist_reservation(order_id, payment_method)
    return _complete(store.get_order(order_id), bool(order.customer_ids), now)


def cancel_reservation(desk_house_id: str, order_id: str, now: datetime) -> Order:
    """Give the reserved places back on sale."""
    order = _own_reservation(desk_house_id, order_id)
    if order.status is OrderStatus.RESERVED:
        checkout.release_checkout(order_id, "ReservationCancelled", now)
        store.unlist_reservation(order_id)
    return store.get_order(order_id)


def open_reservations(desk_house_id: str) -> list[Order]:
    return store.reservations_of(desk_house_id)
