"""Buyer details, customer ids and consents: the rules, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.customers import ConsentKind, consent_choices, customer_id, validate_buyer
from chalicelib.domain.errors import ValidationFailed
from chalicelib.i18n import gettext

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_buyer_details_are_normalised():
    buyer = validate_buyer("  An   Peeters ", "An.Peeters@Example.BE ", "+32 470 12 34 56", " 9000 ")
    assert (buyer.name, buyer.email, buyer.postcode) == ("An Peeters", "An.Peeters@example.be", "9000")


def test_every_bad_field_is_named():
    with pytest.raises(ValidationFailed) as refused:
        validate_buyer("", "not-an-address", "call me", "#####")
    assert {e.field for e in refused.value.errors} == {"buyer.name", "buyer.email", "buyer.phone", "buyer.postcode"}


@given(st.emails())
def test_a_customer_id_is_stable_per_house_and_differs_between_houses_and_clusters(email):
    key = b"cluster-secret"
    assert customer_id(key, "a", email) == customer_id(key, "a", email.upper())
    assert customer_id(key, "a", email) != customer_id(key, "b", email)
    assert customer_id(key, "a", email) != customer_id(b"other-cluster", "a", email)
    assert email.lower() not in customer_id(key, "a", email)


def test_consents_are_recorded_with_the_wording_shown_and_are_off_unless_ticked():
    choices = consent_choices(False, True, "fr", "CC Westrand", "Cultuur Gent", NOW, "checkout", translate=gettext)
    by_kind = {choice.kind: choice for choice in choices}
    assert by_kind[ConsentKind.MARKETING].granted is False
    assert by_kind[ConsentKind.SHARING].granted is True
    assert "Cultuur Gent" in by_kind[ConsentKind.SHARING].wording and by_kind[ConsentKind.SHARING].language == "fr"
    assert consent_choices(False, False, "de", "h", "c", NOW, "checkout", translate=gettext)[0].language == "nl"
