"""Cart services: a buyer session puts its holds of several houses in one cart, priced once."""
from __future__ import annotations

import secrets
from datetime import datetime

from ..domain.cart import MAX_HOLDS_PER_CART, Cart, build_cart, price_hold
from ..domain.errors import FieldError, HoldNotActive, NotFound, ValidationFailed
from ..domain.holds import Hold, session_hash
from ..store import carts as store
from ..store import catalog, reservations
from . import reservations as holds_service


def new_cart_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


def create_cart(session_token: str, now: datetime) -> Cart:
    """An empty cart for this buyer session."""
    record = store.create_cart(new_cart_id(), session_hash(session_token), now)
    return Cart(record.id, (), None)


def _own_cart(cart_id: str, session_token: str) -> store.CartRecord:
    record = store.get_cart(cart_id)
    if record.session_hash != session_hash(session_token):
        raise NotFound("No such cart.", cart_id=cart_id)  # another session's cart does not exist for you
    return record


def _price(hold: Hold, entry: dict) -> list:
    performance = catalog.get_performance(hold.performance_id)
    seatmap = catalog.get_performance_seatmap(hold.performance_id) if hold.seat_ids else None
    return price_hold(hold, performance, seatmap, entry.get("tariffs") or {}, entry.get("tariff"))


def view_cart(cart_id: str, session_token: str, now: datetime) -> Cart:
    """The cart with current prices; lapsed holds are listed apart, not charged."""
    record = _own_cart(cart_id, session_token)
    priced = []
    for entry in record.entries:
        hold = reservations.get_hold(entry["hold_id"])
        priced.append((hold, _price(hold, entry) if hold.is_live(now) else []))
    return build_cart(record.id, priced, now)


def put_hold(cart_id: str, session_token: str, hold_id: str, tariffs: dict[str, str], tariff: str | None,
             now: datetime) -> Cart:
    """Add the session's live hold to its cart (or change its tariffs), priced before it is saved."""
    record = _own_cart(cart_id, session_token)
    hold = holds_service.get_hold(hold_id, session_token)
    hold.check_live(now)
    entry = {"hold_id": hold.id, "tariffs": dict(tariffs), "tariff": tariff}
    _price(hold, entry)  # refuse an unknown tariff or a place outside the hold before saving anything
    entries = [existing for existing in record.entries if existing["hold_id"] != hold.id] + [entry]
    if len(entries) > MAX_HOLDS_PER_CART:
        raise ValidationFailed(f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
                               [FieldError("hold_id", "out_of_range", "The cart is full.")])
    store.save_entries(record, entries, now)
    return view_cart(cart_id, session_token, now)


def remove_hold(cart_id: str, session_token: str, hold_id: str, now: datetime) -> Cart:
    """Take a hold out of the cart and give its places back."""
    record = _own_cart(cart_id, session_token)
    entries = [entry for entry in record.entries if entry["hold_id"] != hold_id]
    if len(entries) == len(record.entries):
        raise NotFound("This hold is not in the cart.", hold_id=hold_id)
    store.save_entries(record, entries, now)
    hold = reservations.get_hold(hold_id)
    if hold.is_live(now):
        try:
            reservations.release_hold(hold, now)
        except HoldNotActive:
            pass  # released or expired meanwhile: the places are back either way
    return view_cart(cart_id, session_token, now)
