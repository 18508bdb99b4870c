"""The UiTPAS social tariff on cart places: numbers, places, repricing, refusals and limits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.domain.cart import CartLine
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import Money
from chalicelib.domain.orders import OrderLine, order_lines
from chalicelib.domain.uitpas import (
    UITPAS_TARIFF,
    SocialTariffUse,
    UitpasBlocked,
    UitpasExpired,
    UitpasLimitReached,
    UitpasRefused,
    apply_social_tariffs,
    check_pass_limit,
    choose_social_tariff,
    clean_number,
    place_keys,
)

PROBS = "https://api.publiq.be/probs/uitpas/"


def line(hold_id: str = "h1", seat_id: str | None = "A-1", cents: int = 2800) -> CartLine:
    return CartLine(hold_id, "p1", "house", seat_id, "A" if seat_id else "standing", "full", Money(cents))


def use(number: str = "0900000095902", price: int = 700) -> dict:
    return SocialTariffUse(number, "kansentarief", "Kansentarief", "event-1", price, 2800).to_dict()


def test_a_uitpas_number_is_13_digits_written_with_or_without_spaces():
    assert clean_number(" 0900 0000.95902 ") == "0900000095902"
    for wrong in ("", "090000009590", "09000000959021", "09000000959O2"):
        with pytest.raises(ValidationFailed) as refused:
            clean_number(wrong)
        assert refused.value.errors[0].code == "invalid_uitpas_number"


def test_places_are_seat_ids_or_numbered_standing_places_per_hold():
    lines = [line("h1", "A-1"), line("h2", None), line("h2", None), line("h3", None)]
    assert place_keys(lines) == ["A-1", "standing-1", "standing-2", "standing-1"]


def test_only_the_place_with_a_pass_is_repriced_and_carries_its_social_tariff():
    lines = [line("h1", None), line("h1", None)]
    priced = apply_social_tariffs(lines, {"standing-2": use()})
    assert [(line.tariff_code, line.price.cents) for line in priced] == [("full", 2800), (UITPAS_TARIFF, 700)]
    assert priced[1].uitpas.regular_price_cents == 2800 and priced[0].uitpas is None
    assert apply_social_tariffs(lines, {}) == lines


def test_the_social_tariff_survives_the_order_line_round_trip():
    (frozen,) = order_lines(apply_social_tariffs([line()], {"A-1": use()}))
    again = OrderLine.from_dict(frozen.to_dict())
    assert again == frozen and again.uitpas.uitpas_number == "0900000095902"
    assert "uitpas" not in order_lines([line()])[0].to_dict()


def tariff(kind: str = "SOCIALTARIFF", remaining: int | None = 3):
    return SimpleNamespace(id="kansentarief", name="Kansentarief", price_cents=700, type=kind, remaining=remaining)


def test_the_social_tariff_is_chosen_and_each_refusal_keeps_uitpas_message():
    assert choose_social_tariff([tariff("COUPON"), tariff()], None).type == "SOCIALTARIFF"
    cases = [
        (PROBS + "uitpas-blocked", UitpasBlocked),
        (PROBS + "social-tariff-expired", UitpasExpired),
        (None, UitpasRefused),
    ]
    for problem_type, refusal in cases:
        with pytest.raises(refusal) as refused:
            choose_social_tariff([], "Boodschap van UiTPAS", problem_type)
        assert refused.value.context["uitpas_message"] == "Boodschap van UiTPAS"
    with pytest.raises(UitpasRefused):
        choose_social_tariff([tariff(remaining=0)], None)


def test_a_pass_is_used_for_at_most_the_places_uitpas_has_left():
    check_pass_limit(2, 2)
    check_pass_limit(5, None)
    with pytest.raises(UitpasLimitReached):
        check_pass_limit(3, 2)
