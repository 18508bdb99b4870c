"""A buyer's cart: holds of several performances and houses of one cluster, priced once.

A cart never mixes clusters by construction (one deployment per cluster). It lives as long as
its holds: it expires with the first of them, and says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .catalog import STANDING_CATEGORY, Performance
from .donations import Donation
from .errors import FieldError, ValidationFailed
from .giftcards import PaidByGiftCard
from .holds import Hold
from .money import Money
from .seatmap import SeatMap
from .uitpas import SocialTariffUse

MAX_HOLDS_PER_CART = 20


@dataclass(frozen=True)
class CartLine:
    """One place in the cart with the tariff the buyer chose for it."""

    hold_id: str
    performance_id: str
    house_id: str
    seat_id: str | None  # None for a standing place
    category: str
    tariff_code: str
    price: Money
    bundle_id: str | None = None  # a bundle's place: its price is its share of the bundle price
    bundle_group: str | None = None  # the bundle purchase (its first hold's id): added and removed as one
    uitpas: SocialTariffUse | None = None  # a UiTPAS social tariff replaced the place's price
    discount_cents: int = 0  # taken off `price` by a discount code (price is what the buyer pays)


@dataclass(frozen=True)
class Cart(PaidByGiftCard):
    id: str
    lines: tuple[CartLine, ...]
    expires_at: datetime | None
    expired_hold_ids: tuple[str, ...] = ()  # holds that lapsed: the buyer is told, they are not charged
    voucher_code: str | None = None  # the discount code the buyer applied (its parts are on the lines)
    voucher_issue: str | None = None  # why that code gives no discount now (a problem code), if it does not
    donations: tuple[Donation, ...] = ()
    gift_card: tuple[str, str, int] | None = None  # (code, issuing house, cents it pays of the total)

    @property
    def total(self) -> Money:
        return sum((line.price for line in self.lines), Money(0)) + sum(
            (donation.amount for donation in self.donations), Money(0)
        )

    def subtotals(self) -> dict[str, Money]:
        """Money per owning house, the base of its share."""
        totals: dict[str, Money] = defaultdict(lambda: Money(0))
        for line in self.lines:
            totals[line.house_id] = totals[line.house_id] + line.price
        return dict(totals)

    @property
    def houses(self) -> tuple[str, ...]:
        return tuple(sorted({line.house_id for line in self.lines}))

    def bundle_groups(self) -> dict[str, list[CartLine]]:
        """The bundle purchases in the cart, each with its places (a bundle is one line at one price)."""
        groups: dict[str, list[CartLine]] = {}
        for line in self.lines:
            if line.bundle_group:
                groups.setdefault(line.bundle_group, []).append(line)
        return groups


def price_hold(
    hold: Hold,
    performance: Performance,
    seatmap: SeatMap | None,
    tariffs: Mapping[str, str],
    default_tariff: str | None = None,
) -> list[CartLine]:
    """Price every place of a hold; `tariffs` maps seat id (or "standing") to a tariff code."""
    by_code = {tariff.code: tariff for tariff in performance.tariffs}
    default = default_tariff or performance.tariffs[0].code
    unknown = [code for code in set(tariffs.values()) | {default} if code not in by_code]
    if unknown:
        raise ValidationFailed(
            "Unknown tariff.",
            [FieldError("tariffs", "unknown_tariff", f"This performance has no tariff {sorted(unknown)[0]}.")],
        )
    places: list[tuple[str | None, str]] = []
    if hold.seat_ids:
        for seat_id in hold.seat_ids:
            seat = seatmap.seat(seat_id) if seatmap else None
            places.append((seat_id, seat.category if seat else ""))
    else:
        places = [(None, STANDING_CATEGORY)] * hold.quantity
    foreign = set(tariffs) - {seat_id for seat_id, _ in places} - {STANDING_CATEGORY}
    if foreign:
        raise ValidationFailed(
            "Tariffs name places outside this hold.",
            [
                FieldError(f"tariffs.{seat_id}", "not_in_hold", "This place is not in the hold.")
                for seat_id in sorted(foreign)
            ],
        )
    lines = []
    for place_seat_id, category in places:
        code = tariffs.get(place_seat_id or STANDING_CATEGORY, default)
        cents = by_code[code].prices.get(category)
        if cents is None:
            raise ValidationFailed(
                "This tariff has no price for the place.",
                [
                    FieldError(
                        f"tariffs.{place_seat_id or STANDING_CATEGORY}", "missing_price", f"No {code} price here."
                    )
                ],
            )
        lines.append(
            CartLine(
                hold.id,
                performance.id,
                performance.house_id,
                place_seat_id,
                category,
                code,
                Money(cents, performance.currency),
            )
        )
    return lines


def build_cart(
    cart_id: str,
    priced_holds: list[tuple[Hold, list[CartLine]]],
    now: datetime,
    lapsed_bundles: frozenset[str] | set[str] = frozenset(),
) -> Cart:
    """The cart of live holds; expiry is the first hold's. Holds in `lapsed_bundles` belong to a bundle
    purchase one of whose holds lapsed: the whole bundle is out, none of its places is charged."""
    if (
        len({hold.bundle_hold_ids[0] if hold.bundle_hold_ids else hold.id for hold, _ in priced_holds})
        > MAX_HOLDS_PER_CART
    ):
        raise ValidationFailed(
            f"At most {MAX_HOLDS_PER_CART} holds in one cart.",
            [FieldError("hold_id", "out_of_range", "The cart is full.")],
        )

    def live_hold(hold: Hold) -> bool:
        return hold.is_live(now) and hold.id not in lapsed_bundles

    live = [(hold, lines) for hold, lines in priced_holds if live_hold(hold)]
    lapsed = tuple(hold.id for hold, _ in priced_holds if not live_hold(hold))
    expires = min((hold.expires_at for hold, _ in live), default=None)
    return Cart(cart_id, tuple(line for _, lines in live for line in lines), expires, lapsed)
