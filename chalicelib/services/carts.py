"""Cart services: a buyer session puts its holds of several houses in one cart, priced once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .. import ports
from ..domain.cart import MAX_HOLDS_PER_CART, Cart
from ..domain.errors import CheckoutStarted, FieldError, HoldNotActive, NotFound, ValidationFailed
from ..domain.holds import Hold, session_hash
from ..store import carts as store
from ..store import reservations
from . import reservations as holds_service
from .cart_pricing import price_entry, priced_cart


def new_cart_id() -> str:
    return ports.ids().cart_id()


def create_cart(session_token: str, now: datetime) -> Cart:
    """An empty cart for this buyer session."""
    record = store.create_cart(new_cart_id(), session_hash(session_token), now)
    return Cart(record.id, (), None)


def own_cart(cart_id: str, session_token: str) -> store.CartRecord:
    record = store.get_cart(cart_id)
    if record.session_hash != session_hash(session_token):
        raise NotFound("No such cart.", cart_id=cart_id)  # another session's cart does not exist for you
    return record


def open_cart(cart_id: str, session_token: str) -> store.CartRecord:
    """The session's cart while it may still change (CheckoutStarted once its checkout began)."""
    record = own_cart(cart_id, session_token)
    if record.order_id:
        raise CheckoutStarted("Payment for this cart has started; it can no longer change.", cart_id=cart_id)
    return record


def view_cart(cart_id: str, session_token: str, now: datetime) -> Cart:
    """The cart with current prices; lapsed holds are listed apart, not charged."""
    return priced_cart(own_cart(cart_id, session_token), now)


def put_hold(
    cart_id: str, session_token: str, hold_id: str, tariffs: dict[str, str], tariff: str | None, now: datetime
) -> Cart:
    """Add the session's live hold to its cart (or change its tariffs), priced before it is saved."""
    record = open_cart(cart_id, session_token)
    hold = holds_service.get_hold(hold_id, session_token)
    hold.check_live(now)
    if hold.in_bundle:
        return _put_bundle(record, session_token, hold, tariffs, tariff, now)
    entry = {"hold_id": hold.id, "tariffs": dict(tariffs), "tariff": tariff}
    price_entry(hold, entry)  # refuse an unknown tariff or a place outside the hold before saving anything
    entries = [existing for existing in record.entries if existing["hold_id"] != hold.id] + [entry]
    if len(_purchases(entries)) > MAX_HOLDS_PER_CART:
        raise ValidationFailed(
            f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
            [FieldError("hold_id", "out_of_range", "The cart is full.")],
        )
    store.save_entries(record, entries, now)
    return view_cart(cart_id, session_token, now)


def _purchases(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """What the cart's size limit counts: a bundle purchase is one, however many holds it has."""
    return {entry.get("bundle_group") or entry["hold_id"] for entry in entries}


def _put_bundle(
    record: store.CartRecord, session_token: str, hold: Hold, tariffs: dict[str, str], tariff: str | None, now: datetime
) -> Cart:
    """Put every hold of a bundle purchase in the cart as one bundle line at the bundle price."""
    if tariffs or tariff:
        raise ValidationFailed(
            "A bundle has one price; its places take no tariff.",
            [
                FieldError(
                    "tariff" if tariff else "tariffs", "bundle_has_one_price", "Leave the tariff out for a bundle."
                )
            ],
        )
    members = [hold if hold_id == hold.id else reservations.get_hold(hold_id) for hold_id in hold.bundle_hold_ids]
    for member in members:
        member.check_live(now)
    group = hold.bundle_hold_ids[0]
    entries = [existing for existing in record.entries if existing["hold_id"] not in hold.bundle_hold_ids]
    entries += [{"hold_id": member.id, "tariffs": {}, "tariff": None, "bundle_group": group} for member in members]
    if len(_purchases(entries)) > MAX_HOLDS_PER_CART:
        raise ValidationFailed(
            f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
            [FieldError("hold_id", "out_of_range", "The cart is full.")],
        )
    store.save_entries(record, entries, now)
    return view_cart(record.id, session_token, now)


def remove_hold(cart_id: str, session_token: str, hold_id: str, now: datetime) -> Cart:
    """Take a hold out of the cart and give its places back; a bundle's holds go out and back together."""
    record = open_cart(cart_id, session_token)
    entry = next((entry for entry in record.entries if entry["hold_id"] == hold_id), None)
    if entry is None:
        raise NotFound("This hold is not in the cart.", hold_id=hold_id)
    hold = reservations.get_hold(hold_id)
    leaving = set(hold.bundle_hold_ids) | {hold_id}
    entries = [entry for entry in record.entries if entry["hold_id"] not in leaving]
    store.save_entries(record, entries, now)
    for member in [hold] + [reservations.get_hold(other) for other in hold.bundle_hold_ids if other != hold_id]:
        if member.is_live(now):
            try:
                reservations.release_hold(member, now)
            except HoldNotActive:
                pass  # released or expired meanwhile: the places are back either way
    return view_cart(cart_id, session_token, now)
