"""Subscriptions in the domain: formulas, the pre-sale window, swap rules, and the discounted split that the ledger
books to the cent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.agreements import BUNDLE_SPLITS, Agreement, CommissionRule
from chalicelib.domain.catalog import Performance, PerformanceStatus, Tariff
from chalicelib.domain.errors import NotOnSale, ValidationFailed
from chalicelib.domain.ledger import (
    SoldTicket,
    TicketShare,
    balances,
    exchange_entries,
    house_account,
    sale_entries,
    shares_of,
)
from chalicelib.domain.money import Money
from chalicelib.domain.subscriptions import (
    SUBSCRIPTION_TARIFF,
    Discount,
    SubscriptionFormula,
    check_same_price,
    check_swap,
    price_places,
    validate_formula,
)

NOW = datetime(2026, 9, 1, 10, tzinfo=UTC)
HOUSES = ("ccbe", "ccmechelen", "deroma", "dewarande")


def performance(index: int, price: int = 2000, sales_in_days: int = -1, starts_in_days: int = 30) -> Performance:
    return Performance(
        id=f"p-{index}",
        house_id=HOUSES[index % len(HOUSES)],
        production_id="x",
        venue_id="v",
        starts_at=NOW + timedelta(days=starts_in_days),
        sales_start=NOW + timedelta(days=sales_in_days),
        sales_end=NOW + timedelta(days=starts_in_days),
        status=PerformanceStatus.ON_SALE,
        tariffs=(Tariff("full", {"nl": "vol"}, {"A": price}),),
        seated=True,
        capacity=100,
        title={"nl": "t"},
        venue_name="zaal",
    )


def formula(ids=("p-0", "p-1", "p-2", "p-3"), **changes) -> SubscriptionFormula:
    values = dict(
        id="abo-2026",
        name={"nl": "Keuzeabonnement"},
        performance_ids=tuple(ids),
        min_choices=2,
        max_choices=3,
        discount=Discount("percent", 2000),
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=20),
        status=PerformanceStatus.ON_SALE,
        season="2026-2027",
    )
    values.update(changes)
    return SubscriptionFormula(**values)


def test_a_percentage_comes_off_the_list_prices_and_a_fixed_price_is_per_chosen_performance():
    assert Discount("percent", 2000).total([2000, 1500, 1250]) == 3800  # 20 % off 47.50
    assert Discount("percent", 1000).total([1005]) == 904  # 100.5 cents of discount round to 101, the buyer's way
    assert Discount("fixed_per_performance", 1200).total([2000, 1500, 900]) == 3600
    assert price_places(Discount("percent", 2000), [2000, 1500, 1250], "list_price") == [1600, 1200, 1000]
    assert price_places(Discount("fixed_per_performance", 1200), [2000, 1000], "fixed") == [1200, 1200]
    assert price_places(Discount("fixed_per_performance", 1200), [2000, 1000], "list_price") == [1600, 800]


def test_a_valid_cross_house_formula_passes_and_its_problems_are_each_listed():
    performances = {p.id: p for p in (performance(0), performance(1), performance(2), performance(3))}
    assert validate_formula(formula(), performances).max_choices == 3
    with pytest.raises(ValidationFailed) as refused:
        validate_formula(
            formula(
                ("p-0", "p-0", "nope"),
                min_choices=3,
                max_choices=4,
                name={"fr": "x"},
                discount=Discount("percent", 12000),
                presale_start=NOW,
                renews="abo-2026",
                sales_end=NOW - timedelta(days=2),
            ),
            performances,
        )
    codes = {(error.field, error.code) for error in refused.value.errors}
    assert codes == {
        ("name", "invalid_languages"),
        ("performances[1]", "duplicate"),
        ("performances[2]", "unknown_performance"),
        ("max_choices", "out_of_range"),
        ("discount.value", "out_of_range"),
        ("sales_end", "sales_window_empty"),
        ("presale_end", "presale_incomplete"),
        ("renews", "renews_itself"),
        ("renewal_end", "renewal_window_empty"),
    }
    # a house's own formula lists that house's performances only
    with pytest.raises(ValidationFailed) as refused:
        validate_formula(formula(house_id="ccbe"), performances)
    assert {e.field for e in refused.value.errors} == {"performances[1]", "performances[2]", "performances[3]"}


def test_in_the_presale_a_subscriber_may_take_a_performance_whose_general_sale_has_not_opened():
    later = performance(0, sales_in_days=10)
    presale = formula(presale_start=NOW - timedelta(hours=1), presale_end=NOW + timedelta(days=5))
    presale.check_performance(later, NOW)  # allowed: the pre-sale is on
    with pytest.raises(NotOnSale) as refused:
        formula().check_performance(later, NOW)  # no pre-sale: the general rule applies
    assert refused.value.context["reason"] == "not_started" and refused.value.context["performance_id"] == "p-0"
    with pytest.raises(NotOnSale):
        presale.check_performance(later, NOW + timedelta(days=6))  # the pre-sale is over, general sale not open
    with pytest.raises(NotOnSale):  # a paused performance stays paused, pre-sale or not
        presale.check_performance(replace(later, status=PerformanceStatus.PAUSED), NOW)
    # the formula itself opens at the pre-sale's start
    early = formula(
        sales_start=NOW + timedelta(days=3), presale_start=NOW - timedelta(hours=1), presale_end=NOW + timedelta(days=3)
    )
    assert early.is_on_sale(NOW) and not formula(sales_start=NOW + timedelta(days=3)).is_on_sale(NOW)


def test_the_number_of_choices_must_lie_between_the_formulas_minimum_and_maximum():
    formula().check_choice_count(2)
    for wrong in (1, 4):
        with pytest.raises(ValidationFailed) as refused:
            formula().check_choice_count(wrong)
        assert refused.value.errors[0].code == "wrong_number_of_choices"


def test_a_choice_moves_only_to_an_unchosen_performance_of_the_formula_before_the_old_one_starts():
    chosen = ["p-0", "p-1"]
    check_swap(formula(), chosen, performance(0), performance(2), NOW)
    cases = [
        (performance(2), performance(3), "from_performance_id", "not_chosen"),
        (performance(0, starts_in_days=-1), performance(2), "from_performance_id", "already_started"),
        (performance(0), performance(1), "to_performance_id", "already_chosen"),
        (performance(0), performance(9), "to_performance_id", "not_in_formula"),
    ]
    for leaving, joining, field, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            check_swap(formula(), chosen, leaving, joining, NOW)
        assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)
    check_same_price(2000, 2000)
    with pytest.raises(ValidationFailed) as refused:
        check_same_price(2000, 2500)
    assert refused.value.errors[0].code == "price_differs"


def test_a_renewal_window_must_close_before_anyone_else_can_buy_the_renewed_seats():
    performances = {p.id: p for p in (performance(0, sales_in_days=5), performance(1), performance(2), performance(3))}
    renewing = formula(
        renews="abo-2025",
        renewal_start=NOW - timedelta(days=1),
        renewal_end=NOW + timedelta(days=2),
        sales_start=NOW + timedelta(days=3),
        corresponding={"old-0": "p-0"},
    )
    validate_formula(renewing, performances)
    assert renewing.in_renewal(NOW) and not renewing.is_on_sale(NOW)  # only renewing subscribers for now
    renewing.check_renewal(NOW)
    renewing.check_performance(performances["p-0"], NOW)  # before its general sale: the renewal's right
    with pytest.raises(NotOnSale):
        renewing.check_renewal(NOW + timedelta(days=2))
    with pytest.raises(ValidationFailed) as refused:
        validate_formula(
            replace(
                renewing,
                renewal_end=NOW + timedelta(days=6),
                corresponding={"old-0": "p-0", "old-1": "p-1", "old-9": "p-9"},
            ),
            performances,
        )
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("renewal_end", "renewal_after_sales_start"),
        ("corresponding.old-0", "renewal_after_general_sale"),
        ("corresponding.old-1", "renewal_after_general_sale"),
        ("corresponding.old-9", "not_in_formula"),
    }
    with pytest.raises(ValidationFailed) as refused:
        validate_formula(replace(renewing, renewal_end=None), performances)
    assert refused.value.errors[0].code == "renewal_window_empty"


@st.composite
def subscription_sales(draw):
    chosen = draw(st.integers(1, 12))
    list_prices = draw(st.lists(st.integers(0, 20_000), min_size=chosen, max_size=chosen))
    houses = draw(st.lists(st.sampled_from(HOUSES), min_size=chosen, max_size=chosen))
    discount = draw(
        st.one_of(
            st.builds(Discount, st.just("percent"), st.integers(0, 10_000)),
            st.builds(Discount, st.just("fixed_per_performance"), st.integers(0, 10_000)),
        )
    )
    agreement = Agreement(
        commission=draw(st.builds(CommissionRule, st.sampled_from(["percent", "fixed"]), st.integers(0, 2_000))),
        vat_rate_bp=draw(st.sampled_from([0, 600, 2100])),
        bundle_split=draw(st.sampled_from(BUNDLE_SPLITS)),
    )
    seller = draw(st.one_of(st.none(), st.sampled_from(HOUSES)))
    return list_prices, houses, discount, agreement, seller


@settings(max_examples=300, deadline=None)
@given(subscription_sales())
def test_a_sold_subscription_books_every_house_its_share_and_the_ledger_balances_to_the_cent(sale):
    list_prices, houses, discount, agreement, seller = sale
    shares = price_places(discount, list_prices, agreement.bundle_split)
    # the places add up to the discounted total, no cent lost or made, none negative
    assert sum(shares) == discount.total(list_prices) and all(cents >= 0 for cents in shares)
    tickets = [
        SoldTicket(f"t{i}", house, f"p-{i}", SUBSCRIPTION_TARIFF, Money(cents))
        for i, (house, cents) in enumerate(zip(houses, shares))
    ]
    ticket_shares = shares_of(tickets, seller, agreement)
    totals = balances(sale_entries("o1", ticket_shares, seller))
    assert sum(m.cents for m in totals.values()) == 0
    assert totals.get("payments:clearing", Money(0)).cents == discount.total(list_prices)
    owed, commission_on = defaultdict(int), defaultdict(int)
    for ticket, item in zip(tickets, ticket_shares):
        owed[ticket.house_id] += ticket.price.cents
        commission_on[ticket.house_id] += item.commission
    for house in HOUSES:
        credited = -sum(totals.get(house_account(house, kind), Money(0)).cents for kind in ("revenue", "vat"))
        assert credited + commission_on[house] == owed[house], house


@settings(max_examples=200, deadline=None)
@given(subscription_sales(), st.sampled_from(HOUSES), st.data())
def test_a_changed_choice_moves_the_share_between_houses_and_leaves_the_money_where_it_was(sale, joining_house, data):
    list_prices, houses, discount, agreement, seller = sale
    shares = price_places(discount, list_prices, agreement.bundle_split)
    tickets = [
        SoldTicket(f"t{i}", house, f"p-{i}", SUBSCRIPTION_TARIFF, Money(cents))
        for i, (house, cents) in enumerate(zip(houses, shares))
    ]
    booked = shares_of(tickets, seller, agreement)
    leaving = data.draw(st.sampled_from(booked))
    joining = shares_of(
        [SoldTicket("t-new", joining_house, "p-new", SUBSCRIPTION_TARIFF, leaving.ticket.price)], seller, agreement
    )
    entries = sale_entries("o1", booked, seller) + exchange_entries("o1", "c1", [leaving], joining, seller)
    totals = balances(entries)
    assert sum(m.cents for m in totals.values()) == 0
    assert totals.get("payments:clearing", Money(0)).cents == sum(shares)  # the buyer paid what they paid
    after = [item for item in booked if item is not leaving] + joining
    expected = balances(sale_entries("o2", after, seller))
    assert {account: money.cents for account, money in totals.items() if money.cents} == {
        account: money.cents for account, money in expected.items() if money.cents
    }
    assert isinstance(leaving, TicketShare)


@pytest.mark.parametrize(
    "language, words",
    [("nl", "Je abonnementscode"), ("fr", "Votre code d'abonnement"), ("en", "Your subscription code")],
)
def test_the_order_email_gives_each_subscriptions_secret_code_in_the_buyers_language(language, words):
    from chalicelib.notifications.rendering import render_tickets
    from tests.unit.test_email_rendering import CHERRY

    rendered = render_tickets("Ann", language, "o_abo", [CHERRY], Money(3440), subscription_ids=["s_abc.secret123"])
    assert words in rendered.text and "s_abc.secret123" in rendered.text
    assert "s_abc.secret123" in rendered.html and (
        words in rendered.html or words.replace("'", "&#39;") in rendered.html
    )
    assert "abonnement" not in render_tickets("Ann", "nl", "o_x", [CHERRY], Money(100)).text
