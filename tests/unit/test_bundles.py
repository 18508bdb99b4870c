"""Bundles in the domain: validation, availability, and the price split that the ledger books to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.agreements import BUNDLE_SPLITS, Agreement, CommissionRule
from chalicelib.domain.bundles import (
    BUNDLE_TARIFF,
    Bundle,
    BundleComponent,
    bundles_available,
    price_places,
    validate_bundle,
)
from chalicelib.domain.catalog import Performance, PerformanceStatus, Tariff
from chalicelib.domain.errors import NotOnSale, ValidationFailed
from chalicelib.domain.ledger import SoldTicket, balances, house_account, sale_entries, shares_of
from chalicelib.domain.money import Money

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
HOUSES = ("vooruit", "handelsbeurs", "minard", "ntgent")


def performance(index: int, price: int, seated: bool = True) -> Performance:
    category = "A" if seated else "standing"
    return Performance(
        id=f"p-{index}",
        house_id=HOUSES[index % len(HOUSES)],
        production_id="x",
        venue_id="v",
        starts_at=NOW + timedelta(days=10),
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=10),
        status=PerformanceStatus.ON_SALE,
        tariffs=(Tariff("full", {"nl": "vol"}, {category: price}),),
        seated=seated,
        capacity=100,
        title={"nl": "t"},
        venue_name="zaal",
    )


def bundle(components, price: int = 5000, **changes) -> Bundle:
    values = dict(
        id="pass",
        name={"nl": "Pas"},
        components=tuple(components),
        price=Money(price),
        sales_start=NOW - timedelta(hours=1),
        sales_end=NOW + timedelta(days=5),
        status=PerformanceStatus.ON_SALE,
    )
    values.update(changes)
    return Bundle(**values)


def test_a_valid_bundle_over_two_houses_passes_and_sells_within_its_window():
    performances = {p.id: p for p in (performance(0, 2800), performance(1, 1500, seated=False))}
    valid = validate_bundle(bundle([BundleComponent("p-0"), BundleComponent("p-1", 2)]), performances)
    assert valid.places_per_bundle == 3 and valid.is_on_sale(NOW)
    with pytest.raises(NotOnSale) as refused:
        bundle([], status=PerformanceStatus.PAUSED).check_on_sale(NOW)
    assert refused.value.context["reason"] == "paused"
    assert not valid.is_on_sale(NOW + timedelta(days=6))


def test_every_problem_of_a_bundle_is_listed_as_a_field_error():
    performances = {"p-0": performance(0, 2800)}
    with pytest.raises(ValidationFailed) as refused:
        validate_bundle(
            bundle(
                [BundleComponent("p-0", 0, 100), BundleComponent("nope", 1)],
                price=300,
                sales_end=NOW + timedelta(days=20),
                name={"fr": "x"},
            ),
            performances,
        )
    codes = {(error.field, error.code) for error in refused.value.errors}
    assert codes == {
        ("name", "invalid_languages"),
        ("performances[0].places", "out_of_range"),
        ("performances[1].performance_id", "unknown_performance"),
        ("performances", "fixed_amounts_incomplete"),
        ("sales_end", "sales_after_start"),
    }


def test_a_bundle_is_available_as_often_as_its_scarcest_performance_allows():
    pass_ = bundle([BundleComponent("p-0", 2), BundleComponent("p-1", 1)])
    assert bundles_available(pass_, {"p-0": 9, "p-1": 7}) == 4
    assert bundles_available(pass_, {"p-0": 9, "p-1": 0}) == 0
    assert bundles_available(pass_, {"p-0": 9}) == 0  # a performance without places


def test_the_fixed_split_books_the_agreed_amounts_and_list_price_the_proportional_ones():
    performances = {p.id: p for p in (performance(0, 3000), performance(1, 1000))}
    pass_ = bundle([BundleComponent("p-0", 1, 1500), BundleComponent("p-1", 1, 2500)], price=4000)
    places = [("p-0", "A"), ("p-1", "A")]
    assert [m.cents for m in price_places(pass_, places, performances, "fixed")] == [1500, 2500]
    assert [m.cents for m in price_places(pass_, places, performances, "list_price")] == [3000, 1000]
    # no fixed amounts on the bundle: `fixed` falls back to list prices
    plain = bundle([BundleComponent("p-0"), BundleComponent("p-1")], price=4000)
    assert [m.cents for m in price_places(plain, places, performances, "fixed")] == [3000, 1000]


prices = st.integers(0, 30_000)


@st.composite
def bundle_sales(draw):
    count = draw(st.integers(2, 5))
    list_prices = [draw(prices) for _ in range(count)]
    performances = {
        p.id: p for p in (performance(i, price, seated=draw(st.booleans())) for i, price in enumerate(list_prices))
    }
    places = [draw(st.integers(1, 4)) for _ in range(count)]
    price = draw(st.integers(0, 200_000))
    fixed = draw(st.one_of(st.none(), st.lists(st.integers(0, 50_000), min_size=count, max_size=count)))
    if fixed is not None:
        fixed[-1] = max(0, price - sum(fixed[:-1])) if sum(fixed[:-1]) <= price else fixed[-1]
        price = sum(fixed)
    components = [BundleComponent(f"p-{i}", places[i], None if fixed is None else fixed[i]) for i in range(count)]
    quantity = draw(st.integers(1, 3))
    agreement = Agreement(
        commission=draw(st.builds(CommissionRule, st.just("percent"), st.integers(0, 3_000))),
        vat_rate_bp=draw(st.sampled_from([0, 600, 2100])),
        bundle_split=draw(st.sampled_from(BUNDLE_SPLITS)),
    )
    return bundle(components, price=price), performances, quantity, agreement, draw(st.sampled_from((None,) + HOUSES))


@settings(max_examples=300, deadline=None)
@given(bundle_sales())
def test_a_sold_bundle_books_every_house_its_share_and_the_ledger_balances_to_the_cent(sale):
    pass_, performances, quantity, agreement, seller = sale
    places = [
        (c.performance_id, "A" if performances[c.performance_id].seated else "standing")
        for c in pass_.components
        for _ in range(c.places * quantity)
    ]
    shares = price_places(pass_, places, performances, agreement.bundle_split, quantity)
    # the places add up to the bundle price times the bundles, no cent lost or made
    assert sum(m.cents for m in shares) == pass_.price.cents * quantity and all(m.cents >= 0 for m in shares)
    per_performance = defaultdict(int)
    for (performance_id, _), money in zip(places, shares):
        per_performance[performance_id] += money.cents
    if agreement.bundle_split == "fixed" and all(c.fixed_cents is not None for c in pass_.components):
        assert dict(per_performance) == {c.performance_id: c.fixed_cents * quantity for c in pass_.components}
    tickets = [
        SoldTicket(f"t{index}", performances[performance_id].house_id, performance_id, BUNDLE_TARIFF, money)
        for index, ((performance_id, _), money) in enumerate(zip(places, shares))
    ]
    ticket_shares = shares_of(tickets, seller, agreement)
    entries = sale_entries("o1", ticket_shares, seller)
    totals = balances(entries)
    assert sum(m.cents for m in totals.values()) == 0
    assert totals.get("payments:clearing", Money(0)).cents == pass_.price.cents * quantity
    owed, commission_on = defaultdict(int), defaultdict(int)
    for ticket, item in zip(tickets, ticket_shares):
        owed[ticket.house_id] += ticket.price.cents
        commission_on[ticket.house_id] += item.commission
    # each owning house is credited its split share minus the commission on its tickets, which the seller earns
    for house in HOUSES:
        credited = -sum(totals.get(house_account(house, kind), Money(0)).cents for kind in ("revenue", "vat"))
        assert credited + commission_on[house] == owed[house], house
    earned = -totals.get(house_account(seller, "commission"), Money(0)).cents if seller else 0
    assert earned == sum(commission_on[house] for house in HOUSES if house != seller)


def test_a_houses_statement_shows_its_bundle_tickets_as_their_own_line_at_its_share():
    from chalicelib.domain.statements import build_statement

    performances = {p.id: p for p in (performance(0, 3000), performance(1, 1000), performance(2, 2000))}
    pass_ = bundle([BundleComponent("p-0"), BundleComponent("p-1"), BundleComponent("p-2")], price=4500)
    places = [("p-0", "A"), ("p-1", "A"), ("p-2", "A")]
    shares = price_places(pass_, places, performances, "list_price")
    assert [m.cents for m in shares] == [2250, 750, 1500]
    tickets = [
        SoldTicket(f"t{i}", performances[p].house_id, p, BUNDLE_TARIFF, money)
        for i, ((p, _), money) in enumerate(zip(places, shares))
    ]
    full = SoldTicket("t9", "vooruit", "p-0", "full", Money(3000))
    agreement = Agreement(vat_rate_bp=600)
    entries = sale_entries("o1", shares_of(tickets + [full], None, agreement), None)
    statement = build_statement(
        "vooruit", "2026-W48", NOW - timedelta(days=1), NOW + timedelta(days=1), [(NOW, entry) for entry in entries]
    )
    lines = {(line["performance_id"], line["tariff_code"]): line for line in statement["lines"]}
    assert set(lines) == {("p-0", "bundle"), ("p-0", "full")}
    assert lines[("p-0", "bundle")]["tickets_sold"] == 1 and lines[("p-0", "bundle")]["gross"] == 2250
    assert statement["totals"]["gross"] == 2250 + 3000
