"""Cart pricing: every place priced by its tariff and category; totals add up to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.cart import build_cart, price_hold
from chalicelib.domain.catalog import Performance, PerformanceStatus, Tariff
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.holds import Hold, HoldStatus
from chalicelib.domain.money import Money
from chalicelib.domain.seatmap import parse_seatmap
from scripts.embedded import demo_seatmaps

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
HALL = parse_seatmap(demo_seatmaps.grote_zaal())
CATEGORIES = sorted({seat.category for seat in HALL.seats})


def performance(house: str, prices: dict[str, dict[str, int]], seated: bool = True) -> Performance:
    return Performance(
        id=f"p-{house}",
        house_id=house,
        production_id="x",
        venue_id="v",
        starts_at=NOW + timedelta(days=3),
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=3),
        status=PerformanceStatus.ON_SALE,
        tariffs=tuple(Tariff(code, {"nl": code}, table) for code, table in prices.items()),
        seated=seated,
        capacity=HALL.capacity,
        title={"nl": "t"},
        venue_name="zaal",
    )


def hold(hold_id: str, performance_id: str, seats=(), quantity=0, expires_in=900) -> Hold:
    return Hold(
        id=hold_id,
        performance_id=performance_id,
        house_id="?",
        session_hash="s",
        seat_ids=tuple(seats),
        quantity=quantity or len(seats),
        created_at=NOW,
        expires_at=NOW + timedelta(seconds=expires_in),
        status=HoldStatus.ACTIVE,
    )


prices = st.integers(min_value=0, max_value=20_000)
price_tables = st.fixed_dictionaries(
    {
        "full": st.fixed_dictionaries({c: prices for c in CATEGORIES}),
        "reduced": st.fixed_dictionaries({c: prices for c in CATEGORIES}),
    }
)


@given(
    price_tables,
    st.lists(
        st.sampled_from([s.id for s in HALL.seats if s.kind.value == "standard"]), min_size=1, max_size=8, unique=True
    ),
    st.data(),
)
def test_each_place_costs_its_tariffs_price_and_totals_add_up(table, seat_ids, data):
    seated = performance("a", table)
    standing = performance("b", {"full": {"standing": 1500}, "reduced": {"standing": 1000}}, seated=False)
    chosen = {seat_id: data.draw(st.sampled_from(["full", "reduced"])) for seat_id in seat_ids}
    lines_a = price_hold(hold("h1", seated.id, seat_ids), seated, HALL, chosen)
    lines_b = price_hold(hold("h2", standing.id, quantity=3), standing, None, {"standing": "reduced"})
    cart = build_cart(
        "c", [(hold("h1", seated.id, seat_ids), lines_a), (hold("h2", standing.id, quantity=3), lines_b)], NOW
    )
    for line in lines_a:
        assert line.price == Money(table[chosen[line.seat_id]][HALL.seat(line.seat_id).category])
    assert cart.subtotals()["b"] == Money(3000)
    assert cart.total == sum(cart.subtotals().values(), Money(0)) == sum((line.price for line in cart.lines), Money(0))
    assert cart.houses == ("a", "b")


def test_the_cart_expires_with_its_first_hold_and_lists_lapsed_ones_apart():
    seated = performance("a", {"full": {c: 1000 for c in CATEGORIES}})
    seat = next(s.id for s in HALL.seats)
    early, late, lapsed = (
        hold("h1", seated.id, [seat], expires_in=60),
        hold("h2", seated.id, [seat], expires_in=600),
        hold("h3", seated.id, [seat], expires_in=-1),
    )
    cart = build_cart(
        "c",
        [(early, price_hold(early, seated, HALL, {})), (late, price_hold(late, seated, HALL, {})), (lapsed, [])],
        NOW,
    )
    assert cart.expires_at == early.expires_at and cart.expired_hold_ids == ("h3",)
    assert cart.total == Money(2000)


def test_unknown_tariffs_and_foreign_places_are_refused():
    seated = performance("a", {"full": {c: 1000 for c in CATEGORIES}})
    seat = HALL.seats[0].id
    with pytest.raises(ValidationFailed) as refused:
        price_hold(hold("h", seated.id, [seat]), seated, HALL, {seat: "vip"})
    assert refused.value.errors[0].code == "unknown_tariff"
    with pytest.raises(ValidationFailed) as refused:
        price_hold(hold("h", seated.id, [seat]), seated, HALL, {HALL.seats[1].id: "full"})
    assert refused.value.errors[0].code == "not_in_hold"
