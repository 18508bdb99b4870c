"""Cart repository: every change is conditional on the version read (optimistic concurrency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.errors import Conflict, NotFound
from .models import CartItem, cart_key, is_condition_failure

CART_RETENTION_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class CartRecord:
    id: str
    session_hash: str
    entries: tuple[dict, ...]
    version: int
    order_id: str | None = None  # checkout began: the cart is frozen
    voucher_code: str | None = None
    donations: tuple[dict, ...] = ()
    gift_card_code: str | None = None


def create_cart(cart_id: str, session_hash: str, now: datetime) -> CartRecord:
    """A new empty cart for a buyer session."""
    item = CartItem(
        cart_key(cart_id),
        "CART",
        session_hash=session_hash,
        entries=[],
        created_at=now,
        version=1,
        ttl=int(now.timestamp()) + CART_RETENTION_SECONDS,
    )
    try:
        item.save(condition=CartItem.pk.does_not_exist())
    except PutError as error:
        raise Conflict("That cart already exists.") from error
    return CartRecord(cart_id, session_hash, (), 1)


def get_cart(cart_id: str) -> CartRecord:
    """The cart, or NotFound."""
    try:
        item = CartItem.get(cart_key(cart_id), "CART", consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such cart.", cart_id=cart_id) from None
    return CartRecord(
        cart_id,
        item.session_hash,
        tuple(item.entries or ()),
        int(item.version),
        item.order_id,
        item.voucher_code,
        tuple(item.donations or ()),
        item.gift_card_code,
    )


def save_entries(cart: CartRecord, entries: list[dict], now: datetime) -> CartRecord:
    """Replace the cart's entries if nobody changed the cart since it was read."""
    item = CartItem(cart_key(cart.id), "CART")
    try:
        item.update(
            actions=[
                CartItem.entries.set(entries),
                CartItem.version.add(1),
                CartItem.ttl.set(int(now.timestamp()) + CART_RETENTION_SECONDS),
            ],
            condition=(CartItem.version == cart.version) & CartItem.order_id.does_not_exist(),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise Conflict("The cart changed meanwhile; reload it and try again.") from error
        raise
    return CartRecord(
        cart.id,
        cart.session_hash,
        tuple(entries),
        cart.version + 1,
        None,
        cart.voucher_code,
        cart.donations,
        cart.gift_card_code,
    )
