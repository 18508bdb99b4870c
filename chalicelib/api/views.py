"""JSON views of domain objects (times in UTC, with the Brussels wall-clock time beside them)."""
from __future__ import annotations

from datetime import datetime

from ..domain.cart import Cart
from ..domain.catalog import House, Performance, Production
from ..domain.holds import Hold
from ..domain.seatmap import SeatMap
from .http import brussels_text, utc_text


def house_view(house: House) -> dict:
    return {"id": house.id, "name": house.name, "slug": house.slug, "website_domains": list(house.website_domains)}


def production_view(production: Production) -> dict:
    return {"id": production.id, "house_id": production.house_id, "title": production.title,
            "genre": production.genre, "description": production.description}


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
        "tariffs": [{"code": tariff.code, "name": tariff.name,
                     "prices": {category: {"amount": cents, "currency": performance.currency}
                                for category, cents in tariff.prices.items()}}
                    for tariff in performance.tariffs],
    }
    if availability is not None:
        view["availability"] = availability
    return view


def hold_view(hold: Hold, seatmap: SeatMap | None, now: datetime) -> dict:
    seats = []
    for seat_id in hold.seat_ids:
        seat = seatmap.seat(seat_id) if seatmap else None
        seats.append({"id": seat_id, "section": seat.section if seat else None, "row": seat.row if seat else None,
                      "number": seat.number if seat else None, "category": seat.category if seat else None})
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
    }


def cart_view(cart: Cart, now: datetime) -> dict:
    return {
        "id": cart.id,
        "lines": [{"hold_id": line.hold_id, "performance_id": line.performance_id, "house_id": line.house_id,
                   "seat_id": line.seat_id, "category": line.category, "tariff": line.tariff_code,
                   "price": line.price.to_dict()} for line in cart.lines],
        "houses": [{"house_id": house_id, "subtotal": subtotal.to_dict()}
                   for house_id, subtotal in sorted(cart.subtotals().items())],
        "total": cart.total.to_dict(),
        "expires_at": utc_text(cart.expires_at) if cart.expires_at else None,
        "expires_in_seconds": max(0, int((cart.expires_at - now).total_seconds())) if cart.expires_at else None,
        "expired_holds": list(cart.expired_hold_ids),
    }
