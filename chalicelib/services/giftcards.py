"""Gift cards: a house's desk sells them; buyers check their balance and pay (part of) an order with one.

The card's part of an order is claimed with the cart's freeze at checkout (balance >= part, one
transaction); a checkout without a sale gives it back; a refund goes back on the card first, up to
what the card paid, and the rest to the buyer's payment.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.cart import Cart
from ..domain.errors import NotFound
from ..domain.giftcards import (
    GiftCard,
    GiftCardEmpty,
    GiftCardUnknown,
    new_code,
    normalize_card_code,
    redemption_entry,
    sale_entry,
)
from ..domain.money import Money
from ..domain.orders import Order
from ..observability import count
from ..store import giftcards as store
from ..store import orders as order_store
from . import carts


def issue_card(house_id: str, cents: int, issued_by: str, now: datetime) -> GiftCard:
    """The desk sold a card: a new unguessable code, the money held by the desk's house as a liability."""
    card = GiftCard(new_code(), house_id, Money(cents), Money(cents), now, issued_by)
    store.issue(card, order_store.ledger_items([sale_entry(card)], now))
    count("GiftCardsIssued")
    return card


def own_card(code: str, house_id: str) -> GiftCard:
    """A card the house issued; another house's card does not exist for it."""
    card = store.get_card(normalize_card_code(code))
    if card.house_id != house_id:
        raise NotFound("No such gift card.")
    return card


def house_cards(house_id: str) -> list[GiftCard]:
    """The cards the house issued."""
    return store.list_cards(house_id)


def card_by_code(code: str) -> GiftCard:
    """The card with this code, whichever house issued it (what its holder may see); NotFound for an unknown code."""
    return store.get_card(normalize_card_code(code))


def apply_card(cart_id: str, session_token: str, raw_code: str, now: datetime) -> Cart:
    """Pay the cart (partly) with a gift card that has a balance."""
    record = carts.open_cart(cart_id, session_token)
    try:
        card = store.get_card(normalize_card_code(raw_code))
    except NotFound:
        raise GiftCardUnknown("There is no such gift card.") from None
    if card.balance.cents <= 0:
        raise GiftCardEmpty("This gift card has no balance left.")
    store.set_cart_card(record, card.code)
    return carts.view_cart(cart_id, session_token, now)


def remove_card(cart_id: str, session_token: str, now: datetime) -> Cart:
    record = carts.open_cart(cart_id, session_token)
    store.set_cart_card(record, None)
    return carts.view_cart(cart_id, session_token, now)


def book_redemption(order: Order, now: datetime) -> None:
    """The ledger learns what the card paid (and an excess claimed over a smaller final total goes back)."""
    if not order.gift_card:
        return
    code, issuer, claimed = order.gift_card
    if order.gift_card_paid:
        order_store.put_ledger_entries(
            [redemption_entry(order.id, issuer, Money(order.gift_card_paid), order.seller_house_id)], now
        )
    if claimed > order.gift_card_paid:
        store.restore(order.id, "excess", claimed - order.gift_card_paid)


def give_back(order: Order, now: datetime, booked: bool = False) -> None:
    """A checkout without a sale: the card's part goes back (and its booking is reversed if it was booked)."""
    if order.gift_card and store.release(order.id):
        count("GiftCardPartsReturned")
    if order.gift_card and booked and order.gift_card_paid:
        order_store.put_ledger_entries(
            [
                redemption_entry(
                    order.id,
                    order.gift_card[1],
                    Money(order.gift_card_paid),
                    order.seller_house_id,
                    refund_id="checkout",
                )
            ],
            now,
        )


def refund_to_card(order: Order, refund_id: str, cents: int, now: datetime) -> int:
    """Put as much of a refund back on the card as the card paid and has not had back; the cents it took."""
    if not order.gift_card:
        return 0
    use = store.use_of(order.id)
    part = store.restored_for(order.id, refund_id)  # a retried step finds what it did the first time
    if use is not None and part is None:
        part = min(cents, order.gift_card_paid - int(use.restored_cents))
        if part <= 0 or not store.restore(order.id, refund_id, part):
            part = store.restored_for(order.id, refund_id) or 0
    if part:
        order_store.put_ledger_entries(
            [redemption_entry(order.id, order.gift_card[1], Money(part), order.seller_house_id, refund_id=refund_id)],
            now,
        )
    return part or 0
