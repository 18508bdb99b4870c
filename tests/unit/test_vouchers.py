"""Discount codes and donations in the domain: when a code may be used, what it takes off, donation bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.cart import CartLine
from chalicelib.domain.donations import MAX_DONATIONS_PER_CART, Donation, set_donation
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import Money
from chalicelib.domain.vouchers import (
    REFUSALS,
    Voucher,
    VoucherBelowMinimum,
    VoucherExpired,
    VoucherInactive,
    VoucherKind,
    VoucherNotApplicable,
    VoucherNotYetValid,
    VoucherStatus,
    VoucherUsedUp,
    apply_voucher,
    normalize_code,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def line(house: str, cents: int, hold: str = "h1") -> CartLine:
    return CartLine(hold, "p1", house, None, "standing", "full", Money(cents))


def code(**terms) -> Voucher:
    values = dict(
        code="WINTER",
        house_id="munt",
        kind=VoucherKind.AMOUNT,
        value=500,
        max_uses=3,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        remaining=3,
    )
    values.update(terms)
    return Voucher(**values)


@pytest.mark.parametrize(
    "terms, lines, refusal",
    [
        ({"status": VoucherStatus.INACTIVE}, [line("munt", 2000)], VoucherInactive),
        ({"valid_from": NOW + timedelta(seconds=1)}, [line("munt", 2000)], VoucherNotYetValid),
        ({"valid_until": NOW}, [line("munt", 2000)], VoucherExpired),  # the end is exclusive
        ({"remaining": 0}, [line("munt", 2000)], VoucherUsedUp),
        ({}, [line("bozar", 2000)], VoucherNotApplicable),
        ({"min_cart_cents": 4001}, [line("munt", 2000), line("bozar", 2000)], VoucherBelowMinimum),
    ],
)
def test_a_code_that_may_not_be_used_says_why(terms, lines, refusal):
    with pytest.raises(refusal):
        code(**terms).check_usable(lines, NOW)
    assert REFUSALS[refusal.code] is refusal


def test_the_minimum_counts_the_whole_cart_and_the_discount_only_the_code_s_house():
    voucher = code(min_cart_cents=4000)
    lines = [line("munt", 1000), line("bozar", 3000)]
    voucher.check_usable(lines, NOW)
    discounted = apply_voucher(voucher, lines)
    assert [(line.price.cents, line.discount_cents) for line in discounted] == [(500, 500), (3000, 0)]


def test_an_amount_never_takes_more_than_the_places_cost_and_a_percentage_rounds_half_up():
    assert code(value=5000).discount_on(1200) == 1200
    assert code(kind=VoucherKind.PERCENT, value=15).discount_on(1010) == 152  # 151.5 → 152
    assert code(kind=VoucherKind.PERCENT, value=100).discount_on(1999) == 1999


def test_a_cluster_wide_code_spreads_its_cents_over_the_houses_by_largest_remainder():
    lines = [line("munt", 1000, "a"), line("bozar", 1000, "b"), line("kvs", 1000, "c")]
    discounted = apply_voucher(code(house_id=None, value=100), lines)
    assert [line.discount_cents for line in discounted] == [34, 33, 33]


def test_codes_are_compared_in_upper_case():
    assert normalize_code("  winter-26 ") == "WINTER-26"


def test_donations_are_bounded_one_per_house_and_zero_takes_one_out():
    donations = set_donation((), "munt", 500)
    donations = set_donation(donations, "munt", 700)
    assert donations == (Donation("munt", Money(700)),)
    assert set_donation(donations, "munt", 0) == ()
    for cents in (99, 100_001):
        with pytest.raises(ValidationFailed):
            set_donation((), "munt", cents)
    full = tuple(Donation(f"h{i}", Money(100)) for i in range(MAX_DONATIONS_PER_CART))
    with pytest.raises(ValidationFailed):
        set_donation(full, "another", 100)
