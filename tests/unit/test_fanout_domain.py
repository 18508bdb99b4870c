"""The fan-out's plain-Python parts: exchange mapping and pseudonyms, booking state, retry rules, tokens."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.domain import booking
from chalicelib.domain.exchange import (
    CONTEXT,
    buyer_pseudonym,
    document,
    postcode_area,
    transactions_from_event,
)
from chalicelib.integrations.http import HttpClient, HttpResponse, ServiceRejected, ServiceUnavailable
from chalicelib.integrations.publiq import PubliqApi, TokenProvider
from chalicelib.integrations.uitpas import cents, euros
from scripts.embedded.uit import validate_document

KEY = b"exchange-key-of-the-cluster"
AT = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
ORDER = {
    "order_id": "o_1",
    "currency": "EUR",
    "seller_house_id": "cc-a",
    "tickets": [
        {
            "ticket_id": "t1",
            "performance_id": "p1",
            "house_id": "cc-a",
            "category": "A",
            "tariff_code": "full",
            "price": 2800,
        },
        {
            "ticket_id": "t2",
            "performance_id": "p2",
            "house_id": "cc-b",
            "category": "standing",
            "tariff_code": "reduced",
            "price": 1250,
        },
    ],
}


def test_the_buyer_pseudonym_is_stable_per_house_and_unlinkable_across_houses():
    first = buyer_pseudonym(KEY, "cc-a", "cust-a")
    assert first == buyer_pseudonym(KEY, "cc-a", "cust-a")
    assert first != buyer_pseudonym(KEY, "cc-b", "cust-a")  # same customer id, another house
    assert first != buyer_pseudonym(b"another cluster", "cc-a", "cust-a")
    assert first.startswith("urn:podium:deelnemer:") and "cust-a" not in first


def test_only_two_digits_of_a_belgian_postcode_are_kept():
    assert postcode_area("9000") == "90" and postcode_area(" 8500 ") == "85"
    assert postcode_area(None) is None and postcode_area("NL-1234AB") is None and postcode_area("12345") is None


def test_a_sale_and_its_refund_map_to_valid_documents_that_net_to_zero():
    pseudonyms = {"cc-a": buyer_pseudonym(KEY, "cc-a", "x"), "cc-b": buyer_pseudonym(KEY, "cc-b", "y")}
    sale = document(
        "gent",
        "OrderPlaced:o_1",
        transactions_from_event("OrderPlaced", ORDER, AT, pseudonyms, {"cc-a": "90", "cc-b": None}, {"p1": "prod-1"}),
    )
    assert validate_document(sale) == []
    assert sale["@context"] == CONTEXT
    first, second = sale["@graph"]
    assert first["@id"] == "urn:podium:gent:verkoop:t1" and first["prijs"] == "28.00"
    assert first["productie"] == "urn:podium:gent:productie:prod-1" and "productie" not in second
    assert first["postcodegebied"] == "90" and "postcodegebied" not in second
    refund = document(
        "gent",
        "TicketRefunded:o_1:r1",
        transactions_from_event(
            "TicketRefunded",
            {**ORDER, "refund_id": "r1", "reason": "refunded_by_house", "tickets": ORDER["tickets"][:1]},
            AT,
            pseudonyms,
            {},
            {},
        ),
    )
    assert validate_document(refund) == []
    node = refund["@graph"][0]
    assert node["betreft"] == first["@id"] and node["prijs"] == "-28.00" and node["aantal"] == -1
    assert node["reden"] == "other"  # an older refund's value outside the list is sent as `other`


def test_a_refund_reaches_the_feed_as_a_reason_code_never_as_typed_text():
    refunded = {**ORDER, "refund_id": "r1", "tickets": ORDER["tickets"][:1]}
    coded = document(
        "gent",
        "TicketRefunded:o_1:r1",
        transactions_from_event("TicketRefunded", {**refunded, "reason": "duplicate"}, AT, {}, {}, {}),
    )
    assert coded["@graph"][0]["reden"] == "duplicate"
    typed = document(
        "gent",
        "TicketRefunded:o_1:r2",
        transactions_from_event(
            "TicketRefunded", {**refunded, "reason": "Jan Peeters kon niet komen (ziek)"}, AT, {}, {}, {}
        ),
    )
    assert typed["@graph"][0]["reden"] == "other" and "Peeters" not in json.dumps(typed)
    assert validate_document(coded) == [] and validate_document(typed) == []
    typed["@graph"][0]["reden"] = "Jan Peeters kon niet komen"  # the local receiver refuses anything but a code
    assert "reden" in json.dumps(validate_document(typed))


def test_the_receiver_refuses_personal_data_and_unknown_keys():
    sale = document("gent", "OrderPlaced:o_1", transactions_from_event("OrderPlaced", ORDER, AT, {}, {}, {}))
    sale["@graph"][0]["naam"] = "Testkoper"
    sale["@graph"][1]["tariefcategorie"] = "koper@example.org"
    problems = json.dumps(validate_document(sale))
    assert "naam" in problems and "e-mail" in problems


def test_a_performance_is_sold_out_only_when_every_place_is_gone_for_good():
    assert booking.booking_state(100, 99) == booking.AVAILABLE
    assert booking.booking_state(100, 100) == booking.SOLD_OUT
    assert not booking.flips(None, booking.AVAILABLE)  # a new performance is available already
    assert booking.flips(None, booking.SOLD_OUT) and booking.flips(booking.SOLD_OUT, booking.AVAILABLE)


def test_uitpas_prices_convert_between_euros_and_cents_exactly():
    assert euros(2800) == 28.0 and cents(7.0) == 700 and cents("0.29") == 29 and cents(12.345) == 1235


class ScriptedClient(HttpClient):
    """An HTTP client that answers from a script instead of the network."""

    def __init__(self, answers, **kwargs):
        super().__init__(**kwargs)
        self.answers, self.sent, self.slept = list(answers), [], []
        self.sleep = self.slept.append

    def _send(self, method, url, data, headers):
        self.sent.append((method, url, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def answer(status, body=None, **headers):
    return HttpResponse(
        status,
        {k.lower().replace("_", "-"): v for k, v in headers.items()},
        json.dumps(body).encode() if body is not None else b"",
    )


def test_transient_failures_are_retried_with_backoff_and_retry_after():
    client = ScriptedClient([answer(500), answer(429, retry_after="2"), TimeoutError("slow"), answer(204)])
    assert client.request("PATCH", "http://x/events/1/sub-events", json_body=[]).status == 204
    assert len(client.sent) == 4 and client.slept[1] == 2.0
    assert 0.1 <= client.slept[0] <= 0.2 and 0.4 <= client.slept[2] <= 0.8  # exponential, with jitter


def test_a_rejected_request_is_not_retried_and_a_lasting_failure_gives_up():
    client = ScriptedClient([answer(400, {"type": "https://api.publiq.be/probs/body/invalid-data"})])
    with pytest.raises(ServiceRejected) as rejected:
        client.request("PATCH", "http://x")
    assert rejected.value.problem["type"].endswith("invalid-data") and len(client.sent) == 1
    client = ScriptedClient([answer(503)] * 4)
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "http://x")
    assert len(client.sent) == 4


def test_the_token_is_reused_refreshed_before_expiry_and_once_on_a_401():
    now = [1000.0]
    auth = ScriptedClient([answer(200, {"access_token": f"tok{i}", "expires_in": 300}) for i in range(3)])
    tokens = TokenProvider("http://auth", "id", "secret", auth, clock=lambda: now[0])
    assert tokens.token() == tokens.token() == "tok0" and tokens.fetched == 1
    now[0] += 241  # within a minute of expiry: replaced before use
    assert tokens.token() == "tok1"
    api_http = ScriptedClient([answer(401), answer(204)])
    assert PubliqApi("http://udb", tokens, api_http).call("PATCH", "/events/e/sub-events", json_body=[]).status == 204
    assert [headers["Authorization"] for _, _, headers in api_http.sent] == ["Bearer tok1", "Bearer tok2"]
