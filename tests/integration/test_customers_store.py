"""Buyer records per house against moto's server: one per house of an order, consents appended."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.customers import validate_buyer
from chalicelib.domain.errors import NotFound


def test_an_order_over_two_houses_records_the_buyer_at_each_and_nowhere_else(stack, signing_key):
    from chalicelib.services.customers import record_buyer
    from chalicelib.store.customers import get_customer

    from .conftest import HouseFixture

    a, b, c = (HouseFixture(stack, signing_key) for _ in range(3))
    now = datetime.now(timezone.utc)
    buyer = validate_buyer("Lien De Smet", "lien@example.be", None, "9000")
    ids = record_buyer([a.id, b.id, a.id], buyer, marketing=False, sharing=False, language="nl", now=now)
    assert set(ids) == {a.id, b.id} and ids[a.id] != ids[b.id]
    record = get_customer(a.id, ids[a.id])
    assert record.details == buyer
    assert {kind: choice["granted"] for kind, choice in record.consents.items()} == {"marketing": False,
                                                                                     "sharing": False}
    with pytest.raises(NotFound):
        get_customer(c.id, ids[a.id])  # another house's key finds nothing
    with pytest.raises(NotFound):
        get_customer(b.id, ids[a.id])

    later = now + timedelta(minutes=5)
    record_buyer([a.id], buyer, marketing=True, sharing=False, language="en", now=later, source="preferences")
    record = get_customer(a.id, ids[a.id])
    assert record.consents["marketing"]["granted"] is True and record.consents["marketing"]["language"] == "en"
    assert [entry["granted"] for entry in record.consent_log if entry["kind"] == "marketing"] == [False, True]
    assert [entry["source"] for entry in record.consent_log] == ["checkout", "checkout", "preferences", "preferences"]
    assert get_customer(b.id, ids[b.id]).consents["marketing"]["granted"] is False  # house B unchanged
