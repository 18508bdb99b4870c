"""Signed ticket payloads: round trips, tampering, key rotation, validity windows and size."""

from __future__ import annotations

import base64
import re
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError
from chalicelib.domain.ticket_errors import (
    TicketExpired,
    TicketMalformed,
    TicketNotYetValid,
    TicketRejected,
    TicketSignatureInvalid,
    TicketUnknownKey,
)
from chalicelib.domain.tickets import (
    MAX_FIELD_BYTES,
    MAX_PAYLOAD_LENGTH,
    TicketClaims,
    TicketSigner,
    TicketVerifier,
    epoch_seconds,
    generate_signing_key,
    new_ticket_id,
    validity_window,
)

# Keys are made once: generating them per example would only slow hypothesis down.
OLD_PRIVATE, OLD_PUBLIC = generate_signing_key()
NEW_PRIVATE, NEW_PUBLIC = generate_signing_key()
OLD = TicketSigner(OLD_PRIVATE, "2026-05")
NEW = TicketSigner(NEW_PRIVATE, "2026-11")
VERIFIER = TicketVerifier({"2026-05": OLD_PUBLIC, "2026-11": NEW_PUBLIC})

SALES_OPEN = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 12, 19, 0, tzinfo=UTC)
VALID_FROM, VALID_UNTIL = validity_window(SALES_OPEN, START)
DURING = VALID_FROM + 3600
URL_SAFE = re.compile(r"[A-Za-z0-9_.-]+")


def claims(**changes) -> TicketClaims:
    values = dict(
        ticket_id="t_mnbYawAHa4wHYXcx",
        order_id="o_IVZFJGfWogaomIUQ",
        performance_id="perf-3fa9c1d2e7",
        house_id="het-paleis",
        seat_label="PAR-K-14",
        tariff_code="full",
        valid_from=VALID_FROM,
        valid_until=VALID_UNTIL,
        issued_at=VALID_FROM + 60,
    )
    values.update(changes)
    return TicketClaims(**values)


PAYLOAD = NEW.sign(claims())


def test_round_trip_gives_back_the_claims():
    assert PAYLOAD.startswith("PD1.")
    assert VERIFIER.verify(PAYLOAD, DURING) == claims()


def test_standing_place_round_trips_without_a_seat_label():
    standing = claims(seat_label=None)
    verified = VERIFIER.verify(NEW.sign(standing), DURING)
    assert verified == standing and verified.is_standing


def test_verify_takes_an_aware_datetime_and_refuses_a_naive_one():
    assert VERIFIER.verify(PAYLOAD, START) == claims()
    with pytest.raises(ValueError):
        VERIFIER.verify(PAYLOAD, START.replace(tzinfo=None))


def test_signing_is_deterministic_and_the_payload_is_url_safe_text():
    assert NEW.sign(claims()) == PAYLOAD  # Ed25519 needs no randomness per signature
    assert URL_SAFE.fullmatch(PAYLOAD)


def test_signer_takes_a_key_object_and_publishes_its_public_half():
    key = Ed25519PrivateKey.generate()
    signer = TicketSigner(key, "k1")
    assert TicketVerifier({"k1": signer.public_key}).verify(signer.sign(claims()), DURING) == claims()


ID_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1, max_size=18)
# Any characters but surrogates and control characters; short enough that the payload always fits.
LABEL_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=6)
TIME = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def any_claims(draw) -> TicketClaims:
    start, end = sorted(draw(st.lists(TIME, min_size=2, max_size=2, unique=True)))
    return TicketClaims(
        ticket_id=draw(ID_TEXT),
        order_id=draw(ID_TEXT),
        performance_id=draw(ID_TEXT),
        house_id=draw(ID_TEXT),
        seat_label=draw(st.none() | LABEL_TEXT),
        tariff_code=draw(LABEL_TEXT),
        valid_from=start,
        valid_until=end,
        issued_at=draw(TIME),
    )


@given(any_claims())
def test_any_claims_round_trip(ticket):
    payload = NEW.sign(ticket)
    assert len(payload) <= MAX_PAYLOAD_LENGTH and URL_SAFE.fullmatch(payload)
    assert VERIFIER.verify(payload, ticket.valid_from) == ticket
    assert VERIFIER.verify(payload, ticket.valid_until - 1) == ticket


@given(st.data())
def test_flipping_any_single_character_is_rejected(data):
    index = data.draw(st.integers(min_value=0, max_value=len(PAYLOAD) - 1))
    replacement = data.draw(st.characters(exclude_categories=("Cs",)).filter(lambda char: char != PAYLOAD[index]))
    tampered = PAYLOAD[:index] + replacement + PAYLOAD[index + 1 :]
    with pytest.raises(TicketRejected):
        VERIFIER.verify(tampered, DURING)


def test_every_single_character_substitution_of_a_payload_is_rejected():
    """Exhaustive: every position, every URL-safe character (what a misread QR code could give) and a few more."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "
    accepted = []
    for index, original in enumerate(PAYLOAD):
        for replacement in alphabet.replace(original, ""):
            try:
                VERIFIER.verify(PAYLOAD[:index] + replacement + PAYLOAD[index + 1 :], DURING)
            except TicketRejected:
                continue
            accepted.append((index, replacement))
    assert accepted == []


def test_truncated_extended_and_spliced_payloads_are_rejected():
    other = NEW.sign(claims(ticket_id="t_other", seat_label="PAR-K-15"))
    body, signature = PAYLOAD.rsplit(".", 1)
    spliced = f"{body}.{other.rsplit('.', 1)[1]}"
    for tampered in (
        PAYLOAD[:-1],
        PAYLOAD + "A",
        PAYLOAD + "=",
        " " + PAYLOAD,
        spliced,
        body,
        f"{other.rsplit('.', 1)[0]}.{signature}",
    ):
        with pytest.raises(TicketRejected):
            VERIFIER.verify(tampered, DURING)


def test_a_valid_signature_under_another_listed_key_is_rejected():
    # Body says kid 2026-05, but the new key signed it: the verifier must use the named key only.
    forged_signer = TicketSigner(NEW_PRIVATE, "2026-05")
    with pytest.raises(TicketSignatureInvalid) as raised:
        VERIFIER.verify(forged_signer.sign(claims()), DURING)
    assert raised.value.code == "ticket_signature_invalid"


def test_a_signature_by_an_outsider_key_is_rejected():
    outsider_private, _ = generate_signing_key()
    with pytest.raises(TicketSignatureInvalid):
        VERIFIER.verify(TicketSigner(outsider_private, "2026-11").sign(claims()), DURING)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "PD1",
        "PD1..",
        "PD2" + PAYLOAD[3:],
        PAYLOAD.replace(".", "!", 1),
        PAYLOAD + ".x",
        PAYLOAD.rsplit(".", 1)[0] + "." + PAYLOAD.rsplit(".", 1)[1][:-4],  # signature too short
        PAYLOAD.rsplit(".", 1)[0] + "." + PAYLOAD.rsplit(".", 1)[1] + "==",  # padding is not allowed
        "PD1." + "A" * 2000 + "." + "B" * 86,
        None,
        b"PD1.abc.def",
        12,
    ],
)
def test_malformed_payloads_are_rejected_as_malformed(payload):
    with pytest.raises(TicketMalformed) as raised:
        VERIFIER.verify(payload, DURING)
    assert raised.value.code == "ticket_malformed"


def test_non_canonical_base64_in_the_signature_is_malformed_not_accepted():
    # The last of 86 characters carries 2 data bits and 4 unused ones; setting an unused bit must not pass.
    last = PAYLOAD[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]
    assert base64.urlsafe_b64decode(PAYLOAD.rsplit(".", 1)[1][:-1] + sibling + "==") == base64.urlsafe_b64decode(
        PAYLOAD.rsplit(".", 1)[1] + "=="
    )
    with pytest.raises(TicketMalformed):
        VERIFIER.verify(PAYLOAD[:-1] + sibling, DURING)


def test_unknown_kid_is_rejected():
    stranger = TicketSigner(generate_signing_key()[0], "2027-05")
    with pytest.raises(TicketUnknownKey) as raised:
        VERIFIER.verify(stranger.sign(claims()), DURING)
    assert raised.value.code == "ticket_unknown_key" and raised.value.context["kid"] == "2027-05"


def test_rotation_old_key_verifies_while_listed_and_is_refused_once_retired():
    old_ticket, new_ticket = OLD.sign(claims()), NEW.sign(claims())
    assert VERIFIER.verify(old_ticket, DURING) == VERIFIER.verify(new_ticket, DURING) == claims()

    retiring = TicketVerifier({"2026-05": OLD_PUBLIC, "2026-11": NEW_PUBLIC}, retired=["2026-05"])
    with pytest.raises(TicketUnknownKey) as raised:
        retiring.verify(old_ticket, DURING)
    assert raised.value.context.get("retired") is True
    assert retiring.verify(new_ticket, DURING) == claims()

    dropped = TicketVerifier({"2026-11": NEW_PUBLIC})
    with pytest.raises(TicketUnknownKey):
        dropped.verify(old_ticket, DURING)


def test_verifier_accepts_pem_bytes_and_key_objects_and_refuses_other_key_types():
    from_bytes = TicketVerifier({"2026-11": NEW_PUBLIC.encode()})
    assert from_bytes.verify(PAYLOAD, DURING) == claims()
    ec_public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError):
        TicketVerifier({"ec": ec_public})
    ec_private = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        TicketSigner(ec_private, "ec")


def test_validity_window_bounds_are_inclusive_then_exclusive():
    assert VERIFIER.verify(PAYLOAD, VALID_FROM) == claims()
    assert VERIFIER.verify(PAYLOAD, VALID_UNTIL - 1) == claims()
    with pytest.raises(TicketNotYetValid) as early:
        VERIFIER.verify(PAYLOAD, VALID_FROM - 1)
    assert early.value.code == "ticket_not_yet_valid"
    with pytest.raises(TicketExpired) as late:
        VERIFIER.verify(PAYLOAD, VALID_UNTIL)
    assert late.value.code == "ticket_expired"


def test_validity_window_runs_from_sales_to_hours_after_the_start():
    assert epoch_seconds(SALES_OPEN) == VALID_FROM
    assert epoch_seconds(START + timedelta(hours=6)) == VALID_UNTIL
    with pytest.raises(TicketExpired):
        VERIFIER.verify(PAYLOAD, START + timedelta(hours=6, seconds=1))


def test_leeway_tolerates_a_drifting_scanner_clock():
    lenient = TicketVerifier({"2026-11": NEW_PUBLIC}, leeway_seconds=120)
    assert lenient.verify(PAYLOAD, VALID_FROM - 120) == claims()
    assert lenient.verify(PAYLOAD, VALID_UNTIL + 119) == claims()
    with pytest.raises(TicketExpired):
        lenient.verify(PAYLOAD, VALID_UNTIL + 120)


def test_time_checks_come_after_the_signature():
    # A forged ticket must say "signature", never leak whether its dates would have passed.
    forged = PAYLOAD[:-2] + ("AA" if PAYLOAD[-2:] != "AA" else "BA")
    with pytest.raises((TicketSignatureInvalid, TicketMalformed)):
        VERIFIER.verify(forged, VALID_UNTIL + 10)


def test_realistic_payload_is_short():
    assert len(PAYLOAD) < 260
    assert len(NEW.sign(claims(seat_label=None))) < 250


@given(
    st.lists(
        st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
            lambda text: len(text.encode()) <= MAX_FIELD_BYTES
        ),
        min_size=6,
        max_size=6,
    )
)
@settings(max_examples=60)
def test_sign_never_returns_a_payload_over_the_bound(texts):
    ticket = claims(
        ticket_id=texts[0],
        order_id=texts[1],
        performance_id=texts[2],
        house_id=texts[3],
        seat_label=texts[4],
        tariff_code=texts[5],
    )
    try:
        payload = NEW.sign(ticket)
    except ValueError as error:
        assert "characters" in str(error)
        return
    assert len(payload) <= MAX_PAYLOAD_LENGTH
    assert VERIFIER.verify(payload, DURING) == ticket


def test_longest_identifiers_everywhere_are_refused_at_signing():
    longest = "x" * MAX_FIELD_BYTES
    with pytest.raises(ValueError, match="characters"):
        NEW.sign(claims(ticket_id=longest, order_id=longest, performance_id=longest, house_id=longest))


@pytest.mark.parametrize(
    "changes",
    [
        {"ticket_id": ""},
        {"order_id": "x" * (MAX_FIELD_BYTES + 1)},
        {"seat_label": ""},
        {"tariff_code": "a\nb"},
        {"house_id": "é" * 21},
        {"valid_from": VALID_UNTIL},
        {"valid_until": 2**32},
        {"issued_at": -1},
        {"valid_from": True},
        {"issued_at": 1.5},
        {"performance_id": None},
    ],
)
def test_claims_refuse_what_cannot_be_encoded_or_makes_no_sense(changes):
    with pytest.raises(ValueError):
        claims(**changes)


@pytest.mark.parametrize("kid", ["", "x" * 17, "2026/11", "kid 1", "é"])
def test_signer_refuses_a_bad_kid(kid):
    with pytest.raises(ValueError):
        TicketSigner(NEW_PRIVATE, kid)


def test_new_ticket_ids_are_short_url_safe_and_distinct():
    ids = {new_ticket_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"t_[A-Za-z0-9_-]{16}", ticket_id) for ticket_id in ids)


def test_generated_keys_are_pem_text():
    private_pem, public_pem = generate_signing_key()
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_rejections_are_domain_errors_with_stable_codes():
    codes = {
        cls: cls.code
        for cls in (TicketMalformed, TicketUnknownKey, TicketSignatureInvalid, TicketNotYetValid, TicketExpired)
    }
    assert codes == {
        TicketMalformed: "ticket_malformed",
        TicketUnknownKey: "ticket_unknown_key",
        TicketSignatureInvalid: "ticket_signature_invalid",
        TicketNotYetValid: "ticket_not_yet_valid",
        TicketExpired: "ticket_expired",
    }
    assert all(issubclass(cls, TicketRejected) and issubclass(cls, DomainError) for cls in codes)


def test_claims_are_frozen():
    with pytest.raises(FrozenInstanceError):
        claims().ticket_id = "other"  # type: ignore[misc]
    assert replace(claims(), seat_label=None).is_standing
