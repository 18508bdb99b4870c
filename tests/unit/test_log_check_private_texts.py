"""The session-end log check also finds phone numbers, staff free texts and credentials (tests/personal_data.py)."""

from tests import personal_data

TOKEN = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhZG1pbiJ9.Qm9ndXNTaWduYXR1cmVGb3JUaGVMb2dDaGVja1Rlc3Q"
PRIVATE = {
    "+32 470 31 41 59": "phone number",
    "Klant was ontevreden over het zicht": "free text (note)",
    TOKEN: "staff token",
    "GC-7KQM-X2PD-9TRA-4HWZ": "gift card code",
    "pk.theatre.0123456789abcdef.c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA": "API key",
}


def test_a_phone_number_is_found_in_any_spelling_of_its_digits():
    logged = "call 0470/31.41.59 today\nticket 4703141590 scanned\norder o_31415"
    assert personal_data.leaks_in(logged, [], PRIVATE) == ["call 0470/31.41.59 today"]


def test_a_free_text_is_found_in_any_case_and_spacing():
    assert personal_data.leaks_in("note: klant was  ONTEVREDEN over het zicht", [], PRIVATE) == [
        "note: klant was  ONTEVREDEN over het zicht"
    ]
    assert personal_data.leaks_in("reason_code: other", [], PRIVATE) == []


def test_a_credential_is_found_by_its_secret_part_even_alone():
    signature = TOKEN.rsplit(".", 1)[-1]
    logged = "\n".join(
        [
            f"Authorization: Bearer {TOKEN}",
            f"sig={signature}",
            "GET /gift-cards/GC-7KQM-X2PD-9TRA-4HWZ 200",
            "key c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA",
            "GET /gift-cards/GC-7KQM-X2PD-9TRA-0000 404",
            "key id 0123456789abcdef used",
        ]
    )
    assert personal_data.leaks_in(logged, [], PRIVATE) == logged.splitlines()[:4]


def test_registering_a_body_registers_the_buyer_s_phone_and_every_free_text():
    personal_data.register_body(
        {
            "buyer": {"name": "Noor Vandamme", "email": "noor.v@example.org", "phone": "+32 9 123 45 67"},
            "lines": [{"note": "Rolstoel nodig bij ingang B"}],
            "reason": "ok",
        }
    )
    private = personal_data.private_texts()
    assert private["+32 9 123 45 67"] == "phone number" and private["Rolstoel nodig bij ingang B"] == "free text (note)"
    assert "ok" not in private  # too short to tell from ordinary words
    assert ("Noor Vandamme", "noor.v@example.org") in personal_data.buyers()


def test_a_made_up_token_is_known_by_its_random_part_not_by_an_ordinary_word_in_it():
    made_up = {"bu_0123abcd.o_404.nonce.6a0b1c2d.signature": "preferences token"}
    assert personal_data.leaks_in("payment webhook with a bad signature refused", [], made_up) == []
    assert personal_data.leaks_in("token bu_0123abcd seen", [], made_up) == ["token bu_0123abcd seen"]
