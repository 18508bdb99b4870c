"""The buyer id, the preferences link's token, consent changes and erasure pseudonyms (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    read_preferences_token,
    session_token,
    verify_preferences_token,
    verify_session_token,
)
from chalicelib.domain.customers import (
    BuyerDetails,
    ConsentKind,
    OrderBuyer,
    consent_choices,
    customer_id,
    proven_choices,
)
from chalicelib.i18n import gettext

SECRET = b"cluster-secret"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


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


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "0" + t[1:],  # another buyer
        lambda t: ".".join(t.split(".")[:3] + ["ffffffffff"] + t.split(".")[4:]),  # a later expiry
        lambda t: ".".join(t.split(".")[:1] + ["o_other"] + t.split(".")[2:]),  # another order
        lambda t: ".".join(t.split(".")[:2] + ["another"] + t.split(".")[3:]),  # another use
        lambda t: t + ".x",
        lambda t: "",
        lambda t: "a.b.c",
        lambda t: "a.zz." + t.split(".")[2],
    ],
)
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
    logged = "\n".join(
        [
            '{"message": "tickets e-mailed", "order_id": "o_1"}',
            "to LIEN.DE.SMET@example.be",
            "greeting: Lien  De Smet,",
            "Annotated request",
            "reply ann@example.be",
        ]
    )
    assert personal_data.leaks_in(logged, known) == [
        "to LIEN.DE.SMET@example.be",
        "greeting: Lien  De Smet,",
        "reply ann@example.be",
    ]
    assert personal_data.leaks_in("Lien De Smetje came by", known) == []
    gateway = tmp_path / "gateway.log"
    gateway.write_text("GET /p/agenda 200\nPOST /carts/c1/checkout buyer=lien.de.smet@example.be\n")
    personal_data.add_log_file(gateway)
    personal_data.register(*known[0])
    assert "POST /carts/c1/checkout buyer=lien.de.smet@example.be" in personal_data.check()
    gateway.write_text("")  # this test's own leak must not fail the run


def test_each_link_names_its_order_and_is_a_token_of_its_own():
    buyer = buyer_id(SECRET, "an@example.org")
    first, second = (preferences_token(SECRET, buyer, NOW, order_id="o_abc123") for _ in range(2))
    assert first != second  # every e-mail brings a link that can be spent on its own
    link = read_preferences_token(SECRET, first, NOW)
    assert (link.buyer_id, link.order_id) == (buyer, "o_abc123") and link.nonce
    assert read_preferences_token(SECRET, preferences_token(SECRET, buyer, NOW), NOW).order_id is None


def test_a_page_session_is_short_and_is_never_a_link():
    buyer = buyer_id(SECRET, "an@example.org")
    session = session_token(SECRET, buyer, NOW)
    assert verify_session_token(SECRET, session, NOW + timedelta(minutes=29)) == buyer
    assert verify_session_token(SECRET, session, NOW + timedelta(minutes=31)) is None
    assert verify_session_token(b"another cluster", session, NOW) is None
    assert verify_session_token(SECRET, preferences_token(SECRET, buyer, NOW), NOW) is None
    with pytest.raises(LinkInvalid):
        read_preferences_token(SECRET, session, NOW)


def _order_buyer(marketing: bool, sharing: bool, given_at=NOW, applied_at=None, declined_at=None) -> OrderBuyer:
    choices = consent_choices(
        marketing, sharing, "fr", "Théâtre", "Cultuur Gent", given_at, "checkout", translate=gettext
    )
    return OrderBuyer(
        "theatre",
        "o_1",
        "cu_1",
        BuyerDetails("Ann Peeters", "an@example.org"),
        tuple(choices),
        given_at,
        applied_at,
        declined_at,
    )


def test_an_orders_choices_once_proven_are_verified_events_of_source_order_with_both_times():
    proven_at = NOW + timedelta(days=2)
    choices = proven_choices(_order_buyer(True, False), {}, proven_at)
    assert [(c.kind, c.granted, c.source, c.verified, c.order_id) for c in choices] == [
        (ConsentKind.MARKETING, True, "order", True, "o_1"),
        (ConsentKind.SHARING, False, "order", True, "o_1"),
    ]
    assert all(c.at == proven_at and c.given_at == NOW and c.wording.startswith("Oui") for c in choices)
    event = choices[0].to_dict()
    assert event["verified"] is True and event["given_at"] == NOW.isoformat() and event["source"] == "order"
    # the same choice already proven is not recorded again; an unproven one is confirmed
    current = {"marketing": {**event}, "sharing": {"granted": False, "verified": False}}
    assert [c.kind for c in proven_choices(_order_buyer(True, False), current, proven_at)] == [ConsentKind.SHARING]
    # a choice the buyer made on the preferences page after the order stands
    later = {"marketing": {"granted": False, "verified": True, "at": (NOW + timedelta(hours=1)).isoformat()}}
    assert [c.kind for c in proven_choices(_order_buyer(True, False), later, proven_at)] == [ConsentKind.SHARING]


def test_sharing_ticked_at_an_unproven_sale_covers_that_order_until_a_later_choice_or_the_proof():
    assert _order_buyer(False, True).shares_this_order({})
    assert not _order_buyer(False, False).shares_this_order({})
    earlier = {"sharing": {"granted": False, "at": (NOW - timedelta(days=1)).isoformat()}}
    assert _order_buyer(False, True).shares_this_order(earlier)
    later = {"sharing": {"granted": False, "at": (NOW + timedelta(days=1)).isoformat()}}
    assert not _order_buyer(False, True).shares_this_order(later)
    assert not _order_buyer(False, True, applied_at=NOW).shares_this_order({})


def test_an_orders_choices_wait_until_the_owner_confirms_or_declines_them_and_declined_ones_share_nothing():
    assert _order_buyer(False, True).waiting
    assert not _order_buyer(False, True, applied_at=NOW).waiting
    declined = _order_buyer(False, True, declined_at=NOW + timedelta(hours=1))
    assert not declined.waiting and not declined.shares_this_order({})
