"""Buyer records per house against moto's server: one per house of an order, consents appended."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.customers import validate_buyer
from chalicelib.domain.errors import NotFound


def test_an_order_over_two_houses_records_the_buyer_at_each_and_nowhere_else(stack, signing_key):
    from chalicelib.services.customers import record_buyer
    from chalicelib.store.customers import get_customer, order_buyer

    from .conftest import HouseFixture

    a, b, c = (HouseFixture(stack, signing_key) for _ in range(3))
    now = datetime.now(timezone.utc)
    buyer = validate_buyer("Lien De Smet", "lien@example.be", None, "9000")
    ids = record_buyer([a.id, b.id, a.id], buyer, marketing=False, sharing=True, language="nl", now=now,
                       order_id="o_first")
    assert set(ids) == {a.id, b.id} and ids[a.id] != ids[b.id]
    record = get_customer(a.id, ids[a.id])
    assert record.details == buyer and record.consents == {} and record.consent_log == ()  # nothing proven yet
    kept = order_buyer(a.id, "o_first")
    assert kept.details == buyer and kept.customer_id == ids[a.id] and kept.applied_at is None
    assert [(choice.kind.value, choice.granted, choice.verified) for choice in kept.pending] == [
        ("marketing", False, False), ("sharing", True, False)]
    with pytest.raises(NotFound):
        get_customer(c.id, ids[a.id])  # another house's key finds nothing
    with pytest.raises(NotFound):
        get_customer(b.id, ids[a.id])
    assert order_buyer(c.id, "o_first") is None


def test_another_sale_with_a_known_address_changes_nothing_of_the_record(stack, signing_key):
    from chalicelib.services.customers import record_buyer
    from chalicelib.store.customers import get_customer, order_buyer

    from .conftest import HouseFixture

    house = HouseFixture(stack, signing_key)
    now = datetime.now(timezone.utc)
    owner = validate_buyer("Lien De Smet", "lien.eigen@example.be", "+32 470 11 22 33", "9000")
    ids = record_buyer([house.id], owner, marketing=False, sharing=False, language="nl", now=now, order_id="o_own")
    before = get_customer(house.id, ids[house.id])
    someone = validate_buyer("Iemand Anders", "Lien.Eigen@example.be", None, "1000")
    later = now + timedelta(minutes=5)
    assert record_buyer([house.id], someone, marketing=True, sharing=True, language="en", now=later,
                        source="box_office", order_id="o_other") == ids
    assert get_customer(house.id, ids[house.id]) == before
    other = order_buyer(house.id, "o_other")
    assert other.details.name == "Iemand Anders" and {c.source for c in other.pending} == {"box_office"}
    assert order_buyer(house.id, "o_own").details == owner  # each order keeps its own buyer
