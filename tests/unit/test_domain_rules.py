"""Domain rules that need no AWS: holds, sales windows, tariffs, money, languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.catalog import Performance, PerformanceStatus, Tariff, validate_schedule, validate_tariffs
from chalicelib.domain.errors import HoldExpired, HoldNotActive, HoldTooLarge, NotFound, NotOnSale, ValidationFailed
from chalicelib.domain.holds import Hold, HoldStatus, check_quantity, session_hash
from chalicelib.domain.money import Money
from chalicelib.i18n import negotiate_language
from chalicelib.store.catalog import split_capacity

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def performance(**changes) -> Performance:
    values = dict(
        id="p",
        house_id="h",
        production_id="x",
        venue_id="v",
        starts_at=NOW + timedelta(days=5),
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=5),
        status=PerformanceStatus.ON_SALE,
        tariffs=(),
        seated=True,
        capacity=10,
        title={"nl": "t"},
        venue_name="zaal",
    )
    values.update(changes)
    return Performance(**values)


def hold(**changes) -> Hold:
    values = dict(
        id="h1",
        performance_id="p",
        house_id="h",
        session_hash=session_hash("s" * 20),
        seat_ids=("a",),
        quantity=1,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        status=HoldStatus.ACTIVE,
    )
    values.update(changes)
    return Hold(**values)


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"status": PerformanceStatus.PAUSED}, "paused"),
        ({"status": PerformanceStatus.CANCELLED}, "cancelled"),
        ({"sales_start": NOW + timedelta(seconds=1)}, "not_started"),
        ({"sales_end": NOW}, "ended"),
    ],
)
def test_a_performance_off_sale_says_why(changes, reason):
    with pytest.raises(NotOnSale) as refused:
        performance(**changes).check_on_sale(NOW)
    assert refused.value.context["reason"] == reason


def test_a_performance_inside_its_window_is_on_sale():
    assert performance().is_on_sale(NOW)


def test_an_expired_hold_is_no_longer_live_and_says_so():
    expired = hold(expires_at=NOW)
    assert not expired.is_live(NOW)
    with pytest.raises(HoldExpired):
        expired.check_live(NOW)
    with pytest.raises(HoldExpired):
        hold(status=HoldStatus.EXPIRED).check_live(NOW)  # swept or not, the buyer hears the same
    with pytest.raises(HoldNotActive):
        hold(status=HoldStatus.RELEASED).check_live(NOW)


def test_another_session_is_told_the_hold_does_not_exist():
    with pytest.raises(NotFound):
        hold().check_owner(session_hash("t" * 20))
    hold().check_owner(session_hash("s" * 20))


@pytest.mark.parametrize(
    "count, error", [(0, ValidationFailed), (-1, ValidationFailed), (11, ValidationFailed), (100, HoldTooLarge)]
)
def test_hold_sizes_outside_the_limits_are_refused(count, error):
    with pytest.raises(error):
        check_quantity(count, 10, "count")


def test_sales_must_open_before_they_close_and_close_by_the_start():
    with pytest.raises(ValidationFailed) as refused:
        validate_schedule(NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    assert [e.code for e in refused.value.errors] == ["sales_after_start"]
    with pytest.raises(ValidationFailed):
        validate_schedule(NOW, NOW - timedelta(hours=1), NOW - timedelta(hours=2))
    validate_schedule(NOW, NOW - timedelta(days=1), NOW)


def test_tariffs_must_price_each_category_once():
    with pytest.raises(ValidationFailed) as refused:
        validate_tariffs(
            [Tariff("full", {"nl": "v"}, {"A": 1}), Tariff("full", {"nl": "v"}, {"A": 1, "B": -1})], {"A", "B"}
        )
    codes = sorted(error.code for error in refused.value.errors)
    assert codes == ["duplicate_tariff", "missing_price", "out_of_range"]


@given(st.integers(min_value=1, max_value=100_000), st.integers(min_value=1, max_value=64))
def test_standing_shards_always_add_up_to_the_capacity(capacity, shards):
    parts = split_capacity(capacity, shards)
    assert sum(parts) == capacity and len(parts) == shards and max(parts) - min(parts) <= 1


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), max_size=30))
def test_money_adds_up_exactly_in_cents(amounts):
    total = Money(0)
    for cents in amounts:
        total = total + Money(cents)
    assert total.cents == sum(amounts)


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(12.5)
    with pytest.raises(ValueError):
        Money(1, "USD")


@pytest.mark.parametrize(
    "header, language",
    [
        (None, "nl"),
        ("", "nl"),
        ("fr-BE,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB", "en"),
        ("de-DE", "nl"),
        ("en;q=0.5,fr;q=0.8", "fr"),
        ("fr;q=0,en", "en"),
        ("*", "nl"),
        ("nl;q=abc,en;q=0.1", "en"),
    ],
)
def test_the_buyers_language_is_negotiated_with_dutch_as_default(header, language):
    assert negotiate_language(header) == language
