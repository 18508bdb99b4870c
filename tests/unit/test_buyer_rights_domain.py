"""The buyer id, the preferences link's token, consent changes and erasure pseudonyms (pure domain)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.buyers import (
    ConsentWish,
    LinkExpired,
    LinkInvalid,
    buyer_id,
    changed_consents,
    erased_pseudonym,
    erasure_id,
    preferences_token,
    verify_preferences_token,
)
from chalicelib.domain.customers import ConsentKind, customer_id

SECRET = b"cluster-secret"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=timezone.utc)


def test_the_buyer_id_ignores_the_case_of_the_address_and_differs_per_cluster():
    assert buyer_id(SECRET, "An@Example.org") == buyer_id(SECRET, "an@example.org ")
    assert buyer_id(SECRET, "an@example.org") != buyer_id(b"another cluster", "an@example.org")
    assert buyer_id(SECRET, "an@example.org") != customer_id(SECRET, "theatre", "an@example.org")


def test_a_token_names_the_buyer_without_the_address_and_expires():
    buyer = buyer_id(SECRET, "an@example.org")
    token = preferences_token(SECRET, buyer, NOW, timedelta(days=10))
    assert "example" not in token and "@" not in token
    assert verify_preferences_token(SECRET, token, NOW + timedelta(days=9)) == buyer
    with pytest.raises(LinkExpired):
        verify_preferences_token(SECRET, token, NOW + timedelta(days=10))


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
    lambda t: "0" + t[1:],  # another buyer
    lambda t: t.split(".")[0] + ".ffffffffff." + t.split(".")[2],  # a later expiry
    lambda t: t + ".x", lambda t: "", lambda t: "a.b.c", lambda t: "a.zz." + t.split(".")[2],
])
def test_a_token_altered_in_any_part_or_signed_by_another_cluster_is_refused(tamper):
    token = preferences_token(SECRET, buyer_id(SECRET, "an@example.org"), NOW)
    with pytest.raises(LinkInvalid):
        verify_preferences_token(SECRET, tamper(token), NOW)
    with pytest.raises(LinkInvalid):
        verify_preferences_token(b"another cluster", token, NOW)


def test_only_what_the_wish_changes_is_recorded_again():
    current = {"marketing": {"granted": False}, "sharing": {"granted": True}}
    assert changed_consents(current, "theatre", ConsentWish({"theatre": True}, True)) == {ConsentKind.MARKETING: True}
    assert changed_consents(current, "theatre", ConsentWish({}, False)) == {ConsentKind.SHARING: False}
    assert changed_consents(current, "theatre", ConsentWish({"club": True}, True)) == {}
    assert changed_consents({}, "theatre", ConsentWish({"theatre": False}, False)) == {}


def test_the_erasure_pseudonym_is_stable_and_not_the_id_a_new_purchase_gets():
    customer = customer_id(SECRET, "theatre", "an@example.org")
    pseudonym = erased_pseudonym(SECRET, "theatre", customer)
    assert pseudonym == erased_pseudonym(SECRET, "theatre", customer) and pseudonym.startswith("ps_")
    assert pseudonym != customer and pseudonym != erased_pseudonym(SECRET, "club", customer)


def test_an_erasure_id_depends_on_the_records_not_their_order():
    assert erasure_id("bu_1", ["a", "b"]) == erasure_id("bu_1", ["b", "a"])
    assert erasure_id("bu_1", ["a"]) != erasure_id("bu_1", ["a", "b"]) != erasure_id("bu_2", ["a", "b"])


def test_the_log_check_finds_a_buyers_address_in_any_case_and_their_name_as_words(tmp_path):
    from tests import personal_data

    known = [("Lien De Smet", "lien.de.smet@example.be"), ("Ann", "ann@example.be")]
    logged = "\n".join(['{"message": "tickets e-mailed", "order_id": "o_1"}', "to LIEN.DE.SMET@example.be",
                        "greeting: Lien  De Smet,", "Annotated request", "reply ann@example.be"])
    assert personal_data.leaks_in(logged, known) == ["to LIEN.DE.SMET@example.be", "greeting: Lien  De Smet,",
                                                     "reply ann@example.be"]
    assert personal_data.leaks_in("Lien De Smetje came by", known) == []
    gateway = tmp_path / "gateway.log"
    gateway.write_text("GET /p/agenda 200\nPOST /carts/c1/checkout buyer=lien.de.smet@example.be\n")
    personal_data.add_log_file(gateway)
    personal_data.register(*known[0])
    assert "POST /carts/c1/checkout buyer=lien.de.smet@example.be" in personal_data.check()
    gateway.write_text("")  # this test's own leak must not fail the run
