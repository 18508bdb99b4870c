"""Pricing a cart: its holds at their tariffs, bundle and subscription places at their share of the group's price,
then what the buyer added to the cart: the discount code and donations, and the gift card's part.

Every view of a cart, the checkout and the desk price it this way; the services that change a cart (its holds,
code, donations, card) only change the record and price it again here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain.bundles import BUNDLE_TARIFF, list_price
from ..domain.bundles import price_places as price_bundle_places
from ..domain.cart import Cart, CartLine, build_cart, price_hold
from ..domain.catalog import STANDING_CATEGORY
from ..domain.donations import Donation
from ..domain.errors import DomainError, NotFound
from ..domain.giftcards import card_payment
from ..domain.holds import Hold
from ..domain.money import Money
from ..domain.subscriptions import SUBSCRIPTION_TARIFF
from ..domain.subscriptions import price_places as price_subscription_places
from ..domain.uitpas import apply_social_tariffs
from ..domain.vouchers import apply_voucher
from ..store import bundles as bundle_store
from ..store import catalog, reservations, settlements
from ..store import giftcards as giftcard_store
from ..store import subscriptions as subscription_store
from ..store import vouchers as voucher_store
from ..store.carts import CartRecord


def price_entry(hold: Hold, entry: Mapping[str, Any]) -> list[CartLine]:
    """The cart lines of one hold at the tariffs its cart entry chose (ValidationFailed for an unknown tariff)."""
    performance = catalog.get_performance(hold.performance_id)
    seatmap = catalog.get_performance_seatmap(hold.performance_id) if hold.seat_ids else None
    lines = price_hold(hold, performance, seatmap, entry.get("tariffs") or {}, entry.get("tariff"))
    return apply_social_tariffs(lines, entry.get("uitpas") or {})  # places a UiTPAS pass was given for


def priced_cart(record: CartRecord, now: datetime) -> Cart:
    """The cart of a record with current prices; lapsed holds are listed apart, not charged.

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
            priced.append((hold, price_entry(hold, entry) if hold.is_live(now) else []))
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
    return with_card(record, with_offers(record, build_cart(record.id, priced, now, lapsed_bundles), now))


def price_bundle_holds(members: list[Hold]) -> list[CartLine]:
    """One cart line per place of a bundle purchase, each priced at its share of the bundle price (the cluster
    agreement's `bundle_split`), so the places add up to the bundle price times the bundles held.
    A subscription's chosen places are priced by its formula's discount instead."""
    if members[0].bundle_kind == "subscription":
        return price_subscription_holds(members)
    bundle = bundle_store.get_bundle(_group_of(members))
    performances = {member.performance_id: catalog.get_performance(member.performance_id) for member in members}
    places = held_places(members)
    shares = price_bundle_places(
        bundle,
        [(member.performance_id, category) for member, _, category in places],
        performances,
        settlements.get_agreement().bundle_split,
        members[0].bundle_quantity or 1,
    )
    group = members[0].bundle_hold_ids[0]
    return [
        CartLine(
            member.id, member.performance_id, member.house_id, seat_id, category, BUNDLE_TARIFF, share, bundle.id, group
        )
        for (member, seat_id, category), share in zip(places, shares)
    ]


def price_subscription_holds(members: list[Hold]) -> list[CartLine]:
    """One cart line per chosen place, each at its share of the discounted total (the agreement's split)."""
    formula = subscription_store.get_formula(_group_of(members))
    places = held_places(members)
    performances = {member.performance_id: catalog.get_performance(member.performance_id) for member in members}
    list_prices = [list_price(performances[member.performance_id], category) for member, _, category in places]
    shares = price_subscription_places(formula.discount, list_prices, settlements.get_agreement().bundle_split)
    group = members[0].bundle_hold_ids[0]
    return [
        CartLine(
            member.id,
            member.performance_id,
            member.house_id,
            seat_id,
            category,
            SUBSCRIPTION_TARIFF,
            Money(share, formula.currency),
            formula.id,
            group,
        )
        for (member, seat_id, category), share in zip(places, shares)
    ]


def _group_of(members: list[Hold]) -> str:
    """The bundle or formula a group of holds was taken for."""
    group_of = members[0].bundle_id
    if group_of is None:
        raise ValueError(f"hold {members[0].id} is not one of a group")
    return group_of


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


def donations_of(record: CartRecord) -> tuple[Donation, ...]:
    return tuple(Donation.from_dict(donation) for donation in record.donations)


def with_offers(record: CartRecord, cart: Cart, now: datetime) -> Cart:
    """The priced cart with its donations and its code's discount on the lines.

    A frozen cart (checkout began) claimed its use already: its code applies as it was. An open
    cart's code that does not apply now (expired, used up, the house's places taken out …) gives
    no discount; the cart says why, and checkout refuses it until the code is taken out.
    """
    cart = replace(cart, donations=donations_of(record), voucher_code=record.voucher_code)
    if not record.voucher_code:
        return cart
    try:
        voucher = voucher_store.get_voucher(record.voucher_code)
        if not record.order_id:
            voucher.check_usable(cart.lines, now)
    except DomainError as refusal:
        return replace(cart, voucher_issue=refusal.code)
    return replace(cart, lines=apply_voucher(voucher, cart.lines))


def with_card(record: CartRecord, cart: Cart) -> Cart:
    """The cart with the card's part of the total (a frozen cart: what its checkout claimed)."""
    if not record.gift_card_code:
        return cart
    use = giftcard_store.use_of(record.order_id) if record.order_id else None
    if use is not None:
        return replace(cart, gift_card=(use.code, use.house_id, int(use.amount_cents)))
    try:
        card = giftcard_store.get_card(record.gift_card_code)
    except NotFound:
        return cart
    return replace(cart, gift_card=(card.code, card.house_id, card_payment(card.balance.cents, cart.total.cents)))
