"""Buyer records per house in the customer table: one per house of an order, consents appended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.catalog import House
from chalicelib.domain.customers import validate_buyer
from chalicelib.domain.errors import NotFound
from chalicelib.services.customers import record_buyer
from chalicelib.store.catalog import create_house
from chalicelib.store.customers import get_customer, order_buyer
from scripts.embedded import resources
from tests import personal_data


@pytest.fixture(scope="module", autouse=True)
def customer_key(local_tables_session, tmp_path_factory):
    """The cluster's key for buyer pseudonyms in Secrets Manager, as the template makes it."""
    template = resources.load_template()["Resources"]["CustomerKeySecret"]["Properties"]
    arn = resources._secret(
        None, resources.physical_name("demo", "CustomerKeySecret"), resources.generated_secret(template)
    )
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("CUSTOMER_KEY_SECRET_ARN", arn)
        yield arn


def buyer(name: str, email: str, phone: str | None, postcode: str):
    personal_data.register(name, email)  # never in a log
    personal_data.register_phone(phone)
    return validate_buyer(name, email, phone, postcode)


def houses(*ids: str) -> tuple[str, ...]:
    for house_id in ids:
        create_house(House(house_id, f"Huis {house_id}", house_id))
    return ids


def test_an_order_over_two_houses_records_the_buyer_at_each_and_nowhere_else(local_tables):
    a, b, c = houses("house-a7k2", "house-b3m9", "house-c5q1")
    now = datetime.now(UTC)
    lien = buyer("Lien De Smet", "lien@example.be", None, "9000")
    ids = record_buyer([a, b, a], lien, marketing=False, sharing=True, language="nl", now=now, order_id="o_first")
    assert set(ids) == {a, b} and ids[a] != ids[b]
    record = get_customer(a, ids[a])
    assert record.details == lien and record.consents == {} and record.consent_log == ()  # nothing proven yet
    kept = order_buyer(a, "o_first")
    assert kept.details == lien and kept.customer_id == ids[a] and kept.applied_at is None
    assert [(choice.kind.value, choice.granted, choice.verified) for choice in kept.pending] == [
        ("marketing", False, False),
        ("sharing", True, False),
    ]
    with pytest.raises(NotFound):
        get_customer(c, ids[a])  # another house's key finds nothing
    with pytest.raises(NotFound):
        get_customer(b, ids[a])
    assert order_buyer(c, "o_first") is None


def test_another_sale_with_a_known_address_changes_nothing_of_the_record(local_tables):
    (house,) = houses("house-d8w4")
    now = datetime.now(UTC)
    owner = buyer("Lien De Smet", "lien.eigen@example.be", "+32 470 11 22 33", "9000")
    ids = record_buyer([house], owner, marketing=False, sharing=False, language="nl", now=now, order_id="o_own")
    before = get_customer(house, ids[house])
    someone = buyer("Iemand Anders", "Lien.Eigen@example.be", None, "1000")
    later = now + timedelta(minutes=5)
    assert (
        record_buyer(
            [house],
            someone,
            marketing=True,
            sharing=True,
            language="en",
            now=later,
            source="box_office",
            order_id="o_other",
        )
        == ids
    )
    assert get_customer(house, ids[house]) == before
    other = order_buyer(house, "o_other")
    assert other.details.name == "Iemand Anders" and {c.source for c in other.pending} == {"box_office"}
    assert order_buyer(house, "o_own").details == owner  # each order keeps its own buyer
