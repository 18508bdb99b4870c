"""Cluster agreements and settlement periods: exact splits, commissions, payment fees, rule checks, period bounds."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.agreements import (
    BUNDLE_SPLITS,
    FEE_BEARERS,
    Agreement,
    CommissionRule,
    split_largest_remainder,
    validate_agreement,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ledger import SoldTicket, share
from chalicelib.domain.money import Money
from chalicelib.domain.periods import check_closed, custom_period, period_bounds

BRUSSELS = ZoneInfo("Europe/Brussels")
HOUSES = ("munt", "bozar", "kvs", "ab", "flagey")
TARIFF_CODES = ("full", "reduced", "u26")
PROPERTY = settings(max_examples=200, deadline=None)

commission_rules = st.one_of(
    st.builds(CommissionRule, st.just("percent"), st.integers(0, 10_000)),
    st.builds(CommissionRule, st.just("fixed"), st.integers(0, 100_000)),
)
house_pairs = st.tuples(st.sampled_from(HOUSES), st.sampled_from(HOUSES)).filter(lambda pair: pair[0] != pair[1])
agreements = st.builds(
    Agreement,
    version=st.integers(0, 1_000),
    commission=commission_rules,
    pair_commissions=st.dictionaries(house_pairs.map(">".join), commission_rules, max_size=4),
    fee_bearer=st.sampled_from(FEE_BEARERS),
    fee_percent_bp=st.integers(0, 5_000),
    fee_fixed_cents=st.integers(0, 1_000),
    vat_rate_bp=st.integers(0, 5_000),
    tariff_vat_bp=st.dictionaries(st.sampled_from(TARIFF_CODES), st.integers(0, 5_000), max_size=3),
    bundle_split=st.sampled_from(BUNDLE_SPLITS),
)
weights = st.lists(st.one_of(st.just(0), st.integers(0, 10), st.integers(0, 1_000_000)), min_size=1, max_size=8)
totals = st.one_of(st.integers(-1_000, 1_000), st.integers(-10_000_000, 10_000_000))


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


# -- largest remainder ----------------------------------------------------------------------------------------------
@PROPERTY
@given(totals, weights)
def test_a_largest_remainder_split_adds_up_exactly_and_stays_within_a_cent_of_the_exact_share(total, parts_weights):
    parts = split_largest_remainder(total, parts_weights)

    assert len(parts) == len(parts_weights)
    assert sum(parts) == total
    whole = sum(parts_weights)
    if whole:
        assert all(abs(part - Fraction(total * weight, whole)) < 1 for part, weight in zip(parts, parts_weights))
        assert all(part == 0 for part, weight in zip(parts, parts_weights) if weight == 0)
    else:  # all zero: an equal split
        assert max(parts) - min(parts) <= 1


@PROPERTY
@given(totals, weights)
def test_a_negative_total_is_split_as_the_mirror_of_the_positive_one(total, parts_weights):
    assert split_largest_remainder(-total, parts_weights) == [
        -part for part in split_largest_remainder(total, parts_weights)
    ]


@PROPERTY
@given(st.integers(0, 10_000_000), weights, st.integers(1, 50))
def test_a_bigger_weight_never_gets_less_and_scaling_the_weights_changes_nothing(total, parts_weights, factor):
    parts = split_largest_remainder(total, parts_weights)

    for i, j in zip(range(len(parts)), range(1, len(parts))):
        for a, b in ((i, j), (j, i)):
            if parts_weights[a] > parts_weights[b]:
                assert parts[a] >= parts[b]
    for i in range(len(parts)):  # ties go to the earlier part
        for j in range(i + 1, len(parts)):
            if parts_weights[i] == parts_weights[j]:
                assert parts[i] - 1 <= parts[j] <= parts[i]
    assert split_largest_remainder(total, [weight * factor for weight in parts_weights]) == parts


@pytest.mark.parametrize(
    "total, parts_weights, expected",
    [
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (-1, [1, 1], [-1, 0]),
        (5, [0, 0], [3, 2]),
        (10, [0, 3, 0, 7], [0, 3, 0, 7]),
        (7, [0, 1, 0, 1], [0, 4, 0, 3]),
        (0, [5, 0, 2], [0, 0, 0]),
        (99, [2, 1], [66, 33]),
        (101, [1, 2], [34, 67]),
        (3, [], []),
    ],
)
def test_largest_remainder_examples(total, parts_weights, expected):
    assert split_largest_remainder(total, parts_weights) == expected


# -- commission and VAT -----------------------------------------------------------------------------------------------
@PROPERTY
@given(st.sampled_from(["percent", "fixed"]), st.integers(-1_000_000, 1_000_000), st.integers(0, 1_000_000), st.data())
def test_a_commission_is_never_more_than_the_price_without_vat_nor_negative(kind, value, price, data):
    vat = data.draw(st.integers(0, price))
    commission = CommissionRule(kind, value).on(price, vat)

    assert 0 <= commission <= price - vat
    raw = half_up(Fraction(price * value, 10_000)) if kind == "percent" else value
    assert commission == max(0, min(raw, price - vat))


@PROPERTY
@given(
    agreements,
    st.sampled_from(HOUSES),
    st.one_of(st.none(), st.sampled_from(HOUSES)),
    st.sampled_from(TARIFF_CODES + ("other",)),
    st.integers(0, 1_000_000),
)
def test_a_tickets_vat_is_included_in_its_price_and_its_commission_never_eats_into_it(
    agreement, owner, seller, tariff, price
):
    item = share(SoldTicket("t", owner, "p", tariff, Money(price)), seller, agreement)
    rate = agreement.tariff_vat_bp.get(tariff, agreement.vat_rate_bp)

    assert item.vat == half_up(Fraction(price * rate, 10_000 + rate))
    assert 0 <= item.vat <= price
    assert 0 <= item.commission <= price - item.vat
    assert item.revenue == price - item.vat - item.commission >= 0
    if seller in (None, owner):
        assert item.commission == 0


def test_a_pair_rule_overrides_the_cluster_rule_for_that_seller_and_owner_only():
    agreement = Agreement(
        commission=CommissionRule("percent", 1_000), pair_commissions={"bozar>munt": CommissionRule("fixed", 150)}
    )

    assert agreement.commission_rule("bozar", "munt") == CommissionRule("fixed", 150)
    assert agreement.commission_rule("munt", "bozar") == CommissionRule("percent", 1_000)
    assert agreement.commission_rule("kvs", "munt") == CommissionRule("percent", 1_000)
    assert agreement.commission_rule("munt", "munt") is None
    assert agreement.commission_rule(None, "munt") is None
    # € 21.20 at 6 %: VAT € 1.20; 10 % commission of the price: € 2.12
    ticket = SoldTicket("t", "munt", "p", "full", Money(2_120))
    assert (share(ticket, "kvs", agreement).vat, share(ticket, "kvs", agreement).commission) == (120, 212)
    assert share(ticket, "bozar", agreement).commission == 150


# -- payment fee ------------------------------------------------------------------------------------------------------
@PROPERTY
@given(agreements, st.integers(-100_000, 10_000_000))
def test_the_payment_fee_is_nothing_for_a_free_order_and_never_more_than_the_payment(agreement, amount):
    fee = agreement.payment_fee(Money(amount))

    assert fee.currency == "EUR"
    if amount <= 0:
        assert fee == Money(0)
    else:
        assert 0 <= fee.cents <= amount
        assert fee.cents == min(
            amount, half_up(Fraction(amount * agreement.fee_percent_bp, 10_000)) + agreement.fee_fixed_cents
        )


def test_the_default_payment_fee_is_one_and_a_half_percent_plus_25_cents():
    assert Agreement().payment_fee(Money(10_000)) == Money(175)
    assert Agreement().payment_fee(Money(30)) == Money(25)  # 0.45 rounds to 0
    assert Agreement().payment_fee(Money(10)) == Money(10)  # never more than what was paid
    assert Agreement().payment_fee(Money(0)) == Money(0)


# -- validation -------------------------------------------------------------------------------------------------------
bad_percent = st.one_of(st.integers(max_value=-1), st.integers(min_value=10_001))
bad_fixed = st.one_of(st.integers(max_value=-1), st.integers(min_value=100_001))
bad_bp = st.one_of(st.integers(max_value=-1), st.integers(min_value=5_001))
bad_choice = st.text(max_size=8).filter(lambda text: text not in ("percent", "fixed", "owner", "seller", "list_price"))
bad_rules = st.one_of(
    st.tuples(bad_choice.map(lambda kind: CommissionRule(kind, 0)), st.just(("kind", "invalid_choice"))),
    st.tuples(bad_percent.map(lambda value: CommissionRule("percent", value)), st.just(("value", "out_of_range"))),
    st.tuples(bad_fixed.map(lambda value: CommissionRule("fixed", value)), st.just(("value", "out_of_range"))),
)


@st.composite
def corrupted(draw) -> tuple[Agreement, set[tuple[str, str]]]:
    """A valid agreement with some of its rules broken, and the (field, code) each should be refused with."""
    agreement, expected = draw(agreements), set()
    if draw(st.booleans()):
        rule, (name, code) = draw(bad_rules)
        agreement = replace(agreement, commission=rule)
        expected.add((f"commission.{name}", code))
    pairs = dict(agreement.pair_commissions)
    if draw(st.booleans()):
        pair = draw(st.sampled_from(["munt>munt", "munt", ">kvs", "kvs>", ""]))
        pairs[pair] = draw(commission_rules)
        expected.add((f"pair_commissions.{pair}", "invalid_pair"))
    if draw(st.booleans()):
        rule, (name, code) = draw(bad_rules)
        pairs["kvs>ab"] = rule
        expected.add((f"pair_commissions.kvs>ab.{name}", code))
    agreement = replace(agreement, pair_commissions=pairs)
    for name, values, code in (
        ("fee_bearer", bad_choice, "invalid_choice"),
        ("bundle_split", bad_choice.filter(lambda text: text != "fixed"), "invalid_choice"),
        ("fee_percent_bp", bad_bp, "out_of_range"),
        ("vat_rate_bp", bad_bp, "out_of_range"),
        ("fee_fixed_cents", st.one_of(st.integers(max_value=-1), st.integers(min_value=1_001)), "out_of_range"),
    ):
        if draw(st.booleans()):
            agreement = replace(agreement, **{name: draw(values)})
            expected.add((name, code))
    if draw(st.booleans()):
        agreement = replace(agreement, tariff_vat_bp={**agreement.tariff_vat_bp, "group": draw(bad_bp)})
        expected.add(("tariff_vat_bp.group", "out_of_range"))
    return agreement, expected


@PROPERTY
@given(corrupted())
def test_an_agreement_with_bad_rules_is_refused_naming_every_bad_field(case):
    agreement, expected = case
    if not expected:
        assert validate_agreement(agreement) is agreement
        return
    with pytest.raises(ValidationFailed) as refused:
        validate_agreement(agreement)
    assert {(error.field, error.code) for error in refused.value.errors} == expected
    assert len(refused.value.errors) == len(expected)
    assert all(error.message for error in refused.value.errors)


@PROPERTY
@given(agreements)
def test_an_agreement_reads_back_equal_from_its_stored_form(agreement):
    assert validate_agreement(agreement) is agreement
    assert Agreement.from_dict(agreement.to_dict()) == agreement
    assert Agreement.from_dict(json.loads(json.dumps(agreement.to_dict()))) == agreement


def test_an_empty_stored_agreement_is_the_default_one():
    assert Agreement.from_dict({}) == Agreement()
    assert Agreement().vat_rate("full") == 600 and Agreement().fee_bearer == "owner"


# -- settlement periods -------------------------------------------------------------------------------------------
def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), BRUSSELS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@PROPERTY
@given(st.dates(min_value=date(1980, 1, 1), max_value=date(2100, 12, 31)))
def test_a_week_runs_from_monday_midnight_to_the_next_monday_midnight_in_brussels(day):
    year, week, _ = day.isocalendar()
    start, end = period_bounds(f"{year}-W{week:02d}")
    monday = day - timedelta(days=day.weekday())

    assert start.tzinfo == end.tzinfo == UTC
    assert start == local_midnight(monday) and end == local_midnight(monday + timedelta(days=7))
    assert start.astimezone(BRUSSELS).time() == end.astimezone(BRUSSELS).time() == time(0)
    assert start <= local_midnight(day) < end
    assert end - start in (timedelta(hours=167), timedelta(hours=168), timedelta(hours=169))  # DST: one hour less/more
    following = monday + timedelta(days=7)
    next_year, next_week, _ = following.isocalendar()
    assert period_bounds(f"{next_year}-W{next_week:02d}")[0] == end  # weeks follow each other, across years too


@PROPERTY
@given(st.integers(1980, 2100), st.integers(1, 12))
def test_a_month_runs_from_its_first_to_the_next_months_first_midnight_in_brussels(year, month):
    start, end = period_bounds(f"{year}-{month:02d}")
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)

    assert start == local_midnight(date(year, month, 1)) and end == local_midnight(following)
    assert start.astimezone(BRUSSELS).day == end.astimezone(BRUSSELS).day == 1
    assert period_bounds(f"{following.year}-{following.month:02d}")[0] == end


@pytest.mark.parametrize(
    "period_id, start, end",
    [
        ("2026-W13", utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)),  # summer time starts on Sunday 29 March: 167 h
        ("2026-W43", utc(2026, 10, 18, 22), utc(2026, 10, 25, 23)),  # and ends on Sunday 25 October: 169 h
        ("2026-W47", utc(2026, 11, 15, 23), utc(2026, 11, 22, 23)),
        ("2026-W53", utc(2026, 12, 27, 23), utc(2027, 1, 3, 23)),  # 2026 has 53 weeks; this one ends in 2027
        ("2027-W01", utc(2027, 1, 3, 23), utc(2027, 1, 10, 23)),
        ("2026-03", utc(2026, 2, 28, 23), utc(2026, 3, 31, 22)),
        ("2026-10", utc(2026, 9, 30, 22), utc(2026, 10, 31, 23)),
        ("2026-12", utc(2026, 11, 30, 23), utc(2026, 12, 31, 23)),  # December → January
        ("2027-01", utc(2026, 12, 31, 23), utc(2027, 1, 31, 23)),
        ("2028-02", utc(2028, 1, 31, 23), utc(2028, 2, 29, 23)),  # a leap year
    ],
)
def test_period_bounds_examples(period_id, start, end):
    assert period_bounds(period_id) == (start, end)


@pytest.mark.parametrize(
    "period_id",
    [
        "",
        "2026",
        "2026-1",
        "2026-13",
        "2026-00",
        "26-11",
        "2026-11-01",
        "2026-W00",
        "2026-W54",
        "2025-W53",
        "2026-W5",
        "2026W47",
        "2026-w47",
        " 2026-11",
        "2026-11 ",
        "0000-01",
        "0001-01",
        "0001-W01",
        "9999-12",
        "9999-W52",
    ],
)
def test_an_unknown_period_is_refused(period_id):
    with pytest.raises(ValidationFailed) as refused:
        period_bounds(period_id)
    assert [(error.field, error.code) for error in refused.value.errors] == [("period", "invalid_period")]


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@PROPERTY
@given(instants, instants)
def test_a_custom_period_must_end_after_it_starts(starts_at, ends_at):
    if starts_at >= ends_at:
        with pytest.raises(ValidationFailed) as refused:
            custom_period(starts_at, ends_at)
        assert [(error.field, error.code) for error in refused.value.errors] == [("ends_at", "before_start")]
    else:
        period_id = custom_period(starts_at, ends_at)
        # the same instants written in Brussels time name the same period
        assert custom_period(starts_at.astimezone(BRUSSELS), ends_at.astimezone(BRUSSELS)) == period_id
        assert period_id == f"{starts_at:%Y%m%dT%H%M%SZ}-{ends_at:%Y%m%dT%H%M%SZ}"


def test_a_custom_period_examples():
    assert custom_period(utc(2026, 11, 1), utc(2026, 11, 22, 21, 30)) == "20261101T000000Z-20261122T213000Z"
    with pytest.raises(ValidationFailed):
        custom_period(utc(2026, 11, 1), utc(2026, 11, 1))


@PROPERTY
@given(instants, st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30)))
def test_only_a_period_that_has_ended_can_be_settled(ends_at, offset):
    now = ends_at + offset
    if ends_at > now:
        with pytest.raises(ValidationFailed) as refused:
            check_closed(ends_at, now)
        assert [(error.field, error.code) for error in refused.value.errors] == [("period", "not_ended")]
    else:
        check_closed(ends_at, now)  # ends exactly now: settled


def test_a_period_ending_now_can_be_settled_but_not_a_microsecond_earlier():
    start, end = period_bounds("2026-W47")
    check_closed(end, end)
    with pytest.raises(ValidationFailed):
        check_closed(end, end - timedelta(microseconds=1))


def test_only_the_owner_a_paired_house_an_allocation_holder_or_a_fellow_bundle_house_may_sell():
    from chalicelib.domain.agreements import may_sell

    agreement = Agreement(pair_commissions={"club>theatre": CommissionRule("percent", 500)})
    assert may_sell("theatre", "theatre", agreement)
    assert may_sell("club", "theatre", agreement)
    assert not may_sell("theatre", "club", agreement)  # a pair goes one way
    assert not may_sell("bar", "theatre", agreement)
    assert may_sell("bar", "theatre", agreement, allocation_holders=("bar",))
    assert may_sell("bar", "theatre", agreement, fellow_houses=("bar", "theatre"))
