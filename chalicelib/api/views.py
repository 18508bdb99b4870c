"""JSON views of domain objects (times in UTC, with the Brussels wall-clock time beside them)."""

from __future__ import annotations

from datetime import datetime

from ..domain.cart import Cart
from ..domain.catalog import House, Performance, Production
from ..domain.holds import Hold
from ..domain.orders import Order
from ..domain.seatmap import SeatMap
from ..domain.uitpas import place_keys
from ..domain.vouchers import discounts_by_house
from ..web.http import brussels_text, utc_text

# The money figures of the tabular documents (statements, sales reports, the CRM's buyers), kept in integer cents
# inside (their CSV, PDF and HTML use them so) and answered as money like every other amount.
STATEMENT_MONEY = frozenset(
    {
        "opening_balance",
        "gross",
        "refunds",
        "vat",
        "commission",
        "revenue",
        "commission_paid",
        "commission_earned",
        "fees",
        "donations",
        "activity",
        "closing_balance",
        "to_transfer",
        "transferred",
    }
)
REPORT_MONEY = frozenset({"gross", "refunds", "net"})
CUSTOMER_MONEY = frozenset({"spent", "amount"})


def with_money(document, names: frozenset, currency: str = "EUR"):
    """A copy of `document` whose integer figures under the keys `names` are `{"amount": cents, "currency"}`."""
    if isinstance(document, dict):
        return {
            key: {"amount": value, "currency": currency}
            if key in names and isinstance(value, int) and not isinstance(value, bool)
            else with_money(value, names, currency)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [with_money(value, names, currency) for value in document]
    return document


def house_view(house: House) -> dict:
    return {
        "id": house.id,
        "name": house.name,
        "slug": house.slug,
        "website_domains": list(house.website_domains),
        "logo_url": house.logo_url,
        "brand_color": house.brand_color,
    }


def production_view(production: Production) -> dict:
    return {
        "id": production.id,
        "house_id": production.house_id,
        "title": production.title,
        "genre": production.genre,
        "description": production.description,
    }


def performance_view(performance: Performance, now: datetime, availability: dict | None = None) -> dict:
    prices = [cents for tariff in performance.tariffs for cents in tariff.prices.values()]
    view = {
        "id": performance.id,
        "house_id": performance.house_id,
        "production_id": performance.production_id,
        "venue_id": performance.venue_id,
        "venue_name": performance.venue_name,
        "title": performance.title,
        "genre": performance.genre,
        "starts_at": utc_text(performance.starts_at),
        "starts_at_local": brussels_text(performance.starts_at),
        "sales_start": utc_text(performance.sales_start),
        "sales_end": utc_text(performance.sales_end),
        "status": performance.status.value,
        "on_sale": performance.is_on_sale(now),
        "seated": performance.seated,
        "capacity": performance.capacity,
        "price_from": {"amount": min(prices), "currency": performance.currency} if prices else None,
        "tariffs": [
            {
                "code": tariff.code,
                "name": tariff.name,
                "prices": {
                    category: {"amount": cents, "currency": performance.currency}
                    for category, cents in tariff.prices.items()
                },
            }
            for tariff in performance.tariffs
        ],
    }
    room = performance.waiting_room
    view["waiting_room"] = (
        None
        if room is None
        else {
            "rate_per_minute": room.rate_per_minute,
            "opens_at": utc_text(room.opens_at),
            "admission_seconds": room.admission_seconds,
            "shards": room.shards,
        }
    )
    if availability is not None:
        view["availability"] = availability
    return view


def hold_view(hold: Hold, seatmap: SeatMap | None, now: datetime) -> dict:
    seats = []
    for seat_id in hold.seat_ids:
        seat = seatmap.seat(seat_id) if seatmap else None
        seats.append(
            {
                "id": seat_id,
                "section": seat.section if seat else None,
                "row": seat.row if seat else None,
                "number": seat.number if seat else None,
                "category": seat.category if seat else None,
            }
        )
    return {
        "id": hold.id,
        "performance_id": hold.performance_id,
        "house_id": hold.house_id,
        "status": hold.status.value if hold.is_live(now) or hold.status.value != "active" else "expired",
        "quantity": hold.quantity,
        "seats": seats,
        "created_at": utc_text(hold.created_at),
        "expires_at": utc_text(hold.expires_at),
        "expires_in_seconds": max(0, int((hold.expires_at - now).total_seconds())),
        # a bundle's hold: the other holds of the same purchase are put in carts and released with it
        "bundle": {
            "bundle_id": hold.bundle_id,
            "hold_ids": list(hold.bundle_hold_ids),
            "quantity": hold.bundle_quantity,
        }
        if hold.in_bundle
        else None,
    }


def cart_view(cart: Cart, now: datetime) -> dict:
    return {
        "id": cart.id,
        "lines": [
            {
                "hold_id": line.hold_id,
                "performance_id": line.performance_id,
                "house_id": line.house_id,
                "seat_id": line.seat_id,
                "category": line.category,
                "tariff": line.tariff_code,
                "price": line.price.to_dict(),
                "bundle_id": line.bundle_id,
                "place": place,
                "uitpas": uitpas_view(line),
            }
            for line, place in zip(cart.lines, place_keys(cart.lines))
        ],
        # A bundle purchase is one line at one price; its places above carry their shares of it.
        "bundles": [
            {
                "bundle_id": lines[0].bundle_id,
                "hold_ids": list(dict.fromkeys(line.hold_id for line in lines)),
                "places": len(lines),
                "price": {"amount": sum(line.price.cents for line in lines), "currency": lines[0].price.currency},
            }
            for lines in cart.bundle_groups().values()
            if lines[0].tariff_code != "subscription"
        ],
        # A subscription purchase likewise: its chosen places share the discounted total.
        "subscriptions": [
            {
                "formula_id": lines[0].bundle_id,
                "hold_ids": [line.hold_id for line in lines],
                "performances": len(lines),
                "price": {"amount": sum(line.price.cents for line in lines), "currency": lines[0].price.currency},
            }
            for lines in cart.bundle_groups().values()
            if lines[0].tariff_code == "subscription"
        ],
        "houses": [
            {"house_id": house_id, "subtotal": subtotal.to_dict()}
            for house_id, subtotal in sorted(cart.subtotals().items())
        ],
        "total": cart.total.to_dict(),
        "expires_at": utc_text(cart.expires_at) if cart.expires_at else None,
        "expires_in_seconds": max(0, int((cart.expires_at - now).total_seconds())) if cart.expires_at else None,
        "expired_holds": list(cart.expired_hold_ids),
        # the discount code: each owning house's discount line (already off the places' prices and the total)
        "voucher": {
            "code": cart.voucher_code,
            "problem": cart.voucher_issue,
            "discounts": discount_lines(cart),
        }
        if cart.voucher_code
        else None,
        **paying_parts(cart),
    }


def discount_lines(priced: Cart | Order) -> list[dict]:
    """A discount code's line per owning house (already off the places' prices and the total)."""
    return [
        {"house_id": house_id, "amount": {"amount": -cents, "currency": priced.total.currency}}
        for house_id, cents in sorted(discounts_by_house(priced.lines).items())
    ]


def paying_parts(priced: Cart | Order) -> dict:
    """Donations, the gift card's part and what is left to pay: alike for a cart and the order made of it."""
    return {
        "donations": [
            {"house_id": donation.house_id, "amount": donation.amount.to_dict()} for donation in priced.donations
        ],
        # a gift card pays part of the total: the rest is what the buyer pays at the provider
        "gift_card": {
            "code": priced.gift_card[0],
            "pays": {"amount": priced.gift_card_paid, "currency": priced.total.currency},
        }
        if priced.gift_card
        else None,
        "amount_due": priced.amount_due.to_dict(),
    }


def uitpas_view(line) -> dict | None:
    """A social-tariff place: the tariff and the pass's last digits only (the number is personal data)."""
    if not line.uitpas:
        return None
    return {
        "tariff_id": line.uitpas.tariff_id,
        "tariff_name": line.uitpas.tariff_name,
        "regular_price": {"amount": line.uitpas.regular_price_cents, "currency": line.price.currency},
        "uitpas_number_ending": line.uitpas.uitpas_number[-4:],
    }
