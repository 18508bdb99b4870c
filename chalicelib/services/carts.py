"""Cart services: a buyer session puts its holds of several houses in one cart, priced once."""
from __future__ import annotations

import secrets
from datetime import datetime

from ..domain.cart import MAX_HOLDS_PER_CART, Cart, CartLine, build_cart, price_hold
from ..domain.catalog import STANDING_CATEGORY
from ..domain.errors import CheckoutStarted, FieldError, HoldNotActive, NotFound, ValidationFailed
from ..domain.holds import Hold, session_hash
from ..domain.uitpas import apply_social_tariffs
from ..store import carts as store
from ..store import catalog, reservations
from . import reservations as holds_service


def new_cart_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


def create_cart(session_token: str, now: datetime) -> Cart:
    """An empty cart for this buyer session."""
    record = store.create_cart(new_cart_id(), session_hash(session_token), now)
    return Cart(record.id, (), None)


def own_cart(cart_id: str, session_token: str) -> store.CartRecord:
    record = store.get_cart(cart_id)
    if record.session_hash != session_hash(session_token):
        raise NotFound("No such cart.", cart_id=cart_id)  # another session's cart does not exist for you
    return record


def _open_cart(cart_id: str, session_token: str) -> store.CartRecord:
    record = own_cart(cart_id, session_token)
    if record.order_id:
        raise CheckoutStarted("Payment for this cart has started; it can no longer change.", cart_id=cart_id)
    return record


def _price(hold: Hold, entry: dict) -> list:
    performance = catalog.get_performance(hold.performance_id)
    seatmap = catalog.get_performance_seatmap(hold.performance_id) if hold.seat_ids else None
    lines = price_hold(hold, performance, seatmap, entry.get("tariffs") or {}, entry.get("tariff"))
    return apply_social_tariffs(lines, entry.get("uitpas") or {})  # places a UiTPAS pass was given for


def view_cart(cart_id: str, session_token: str, now: datetime) -> Cart:
    """The cart with current prices; lapsed holds are listed apart, not charged."""
    return priced_cart(own_cart(cart_id, session_token), now)


def priced_cart(record: store.CartRecord, now: datetime) -> Cart:
    """The cart of a record with current prices (checkout prices the frozen cart this way).

    A bundle purchase is priced as one: its places share the bundle price. If any of its holds lapsed,
    the whole bundle is listed as lapsed and nothing of it is charged.
    """
    holds = {entry["hold_id"]: reservations.get_hold(entry["hold_id"]) for entry in record.entries}
    priced = []
    lapsed_bundles: set[str] = set()
    groups_done: set[str] = set()
    for entry in record.entries:
        hold = holds[entry["hold_id"]]
        if not hold.in_bundle:
            priced.append((hold, _price(hold, entry) if hold.is_live(now) else []))
            continue
        group = hold.bundle_hold_ids[0]
        if group in groups_done:
            continue
        groups_done.add(group)
        members = [holds.get(hold_id) or reservations.get_hold(hold_id) for hold_id in hold.bundle_hold_ids]
        if all(member.is_live(now) for member in members):
            lines = price_bundle_holds(members)
            priced.extend((member, [line for line in lines if line.hold_id == member.id]) for member in members)
        else:
            lapsed_bundles.update(member.id for member in members)
            priced.extend((member, []) for member in members)
    from .giftcards import with_card
    from .vouchers import with_offers

    return with_card(record, with_offers(record, build_cart(record.id, priced, now, lapsed_bundles), now))


def price_bundle_holds(members: list[Hold]) -> list[CartLine]:
    """One cart line per place of a bundle purchase, each priced at its share of the bundle price (the cluster
    agreement's `bundle_split`), so the places add up to the bundle price times the bundles held.
    A subscription's chosen places are priced by its formula's discount instead."""
    from ..domain.bundles import BUNDLE_TARIFF, price_places
    from ..store import bundles as bundle_store
    from ..store import settlements

    if members[0].bundle_kind == "subscription":
        from .subscriptions import price_subscription_holds

        return price_subscription_holds(members)
    bundle = bundle_store.get_bundle(members[0].bundle_id)
    performances = {member.performance_id: catalog.get_performance(member.performance_id) for member in members}
    places = held_places(members)
    shares = price_places(bundle, [(member.performance_id, category) for member, _, category in places],
                          performances, settlements.get_agreement().bundle_split, members[0].bundle_quantity or 1)
    group = members[0].bundle_hold_ids[0]
    return [CartLine(member.id, member.performance_id, member.house_id, seat_id, category, BUNDLE_TARIFF, share,
                     bundle.id, group) for (member, seat_id, category), share in zip(places, shares)]


def held_places(members: list[Hold]) -> list[tuple[Hold, str | None, str]]:
    """(hold, seat id or None for standing, category) of every place the holds keep, in order."""
    places: list[tuple[Hold, str | None, str]] = []
    for member in members:
        if member.seat_ids:
            seatmap = catalog.get_performance_seatmap(member.performance_id)
            for seat_id in member.seat_ids:
                seat = seatmap.seat(seat_id)
                places.append((member, seat_id, seat.category if seat else ""))
        else:
            places.extend((member, None, STANDING_CATEGORY) for _ in range(member.quantity))
    return places


def put_hold(cart_id: str, session_token: str, hold_id: str, tariffs: dict[str, str], tariff: str | None,
             now: datetime) -> Cart:
    """Add the session's live hold to its cart (or change its tariffs), priced before it is saved."""
    record = _open_cart(cart_id, session_token)
    hold = holds_service.get_hold(hold_id, session_token)
    hold.check_live(now)
    if hold.in_bundle:
        return _put_bundle(record, session_token, hold, tariffs, tariff, now)
    entry = {"hold_id": hold.id, "tariffs": dict(tariffs), "tariff": tariff}
    _price(hold, entry)  # refuse an unknown tariff or a place outside the hold before saving anything
    entries = [existing for existing in record.entries if existing["hold_id"] != hold.id] + [entry]
    if len(_purchases(entries)) > MAX_HOLDS_PER_CART:
        raise ValidationFailed(f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
                               [FieldError("hold_id", "out_of_range", "The cart is full.")])
    store.save_entries(record, entries, now)
    return view_cart(cart_id, session_token, now)


def _purchases(entries) -> set[str]:
    """What the cart's size limit counts: a bundle purchase is one, however many holds it has."""
    return {entry.get("bundle_group") or entry["hold_id"] for entry in entries}


def _put_bundle(record: store.CartRecord, session_token: str, hold: Hold, tariffs: dict[str, str],
                tariff: str | None, now: datetime) -> Cart:
    """Put every hold of a bundle purchase in the cart as one bundle line at the bundle price."""
    if tariffs or tariff:
        raise ValidationFailed("A bundle has one price; its places take no tariff.", [
            FieldError("tariff" if tariff else "tariffs", "bundle_has_one_price", "Leave the tariff out for a bundle.")])
    members = [hold if hold_id == hold.id else reservations.get_hold(hold_id) for hold_id in hold.bundle_hold_ids]
    for member in members:
        member.check_live(now)
    group = hold.bundle_hold_ids[0]
    entries = [existing for existing in record.entries if existing["hold_id"] not in hold.bundle_hold_ids]
    entries += [{"hold_id": member.id, "tariffs": {}, "tariff": None, "bundle_group": group} for member in members]
    if len(_purchases(entries)) > MAX_HOLDS_PER_CART:
        raise ValidationFailed(f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
                               [FieldError("hold_id", "out_of_range", "The cart is full.")])
    store.save_entries(record, entries, now)
    return view_cart(record.id, session_token, now)


def remove_hold(cart_id: str, session_token: str, hold_id: str, now: datetime) -> Cart:
    """Take a hold out of the cart and give its places back; a bundle's holds go out and back together."""
    record = _open_cart(cart_id, session_token)
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


# The UiTPAS service changes one entry of an open cart and prices it as the cart does.
open_cart = _open_cart
price_entry = _price
