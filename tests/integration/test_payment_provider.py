"""The local payment provider, driven by the real `stripe` library over real HTTP.

Each test starts its own provider and its own webhook endpoint, so events never leak between
tests. Webhooks are verified with `stripe.Webhook.construct_event`, as Podium will.
"""

from __future__ import annotations

import html
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from scripts.embedded.payments import IDEMPOTENCY_TTL, parse_params, start_payment_provider

API_KEY = "sk_test_podium_house_a"
RETURN_URL = "https://tickets.example.be/bestelling/o-1?stap=betaald"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):
        pass


class WebhookReceiver:
    """A webhook endpoint: records each POST (raw body and signature) and answers with the next
    status of `script` (200 once the script has run out)."""

    def __init__(self):
        self.received: list[tuple[str, str]] = []
        self.script: list[int] = []
        self._changed = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/webhooks/stripe"

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._changed:
            self.received.append((request.get_data(as_text=True), request.headers.get("Stripe-Signature", "")))
            status = self.script.pop(0) if self.script else 200
            self._changed.notify_all()
        return Response("", status=status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, str]]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)

    def event_ids(self) -> list[str]:
        with self._changed:
            return [json.loads(body)["id"] for body, _ in self.received]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def provider(receiver):
    handle = start_payment_provider(webhook_url=receiver.url, webhook_backoff=0.02)
    yield handle
    handle.stop()


@pytest.fixture
def client(provider):
    return stripe.StripeClient(API_KEY, base_addresses={"api": provider.url})


def paid_intent(client, amount=2500, **extra):
    intent = client.v1.payment_intents.create(
        {"amount": amount, "currency": "eur", "payment_method_types": ["card"], **extra}
    )
    return client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})


def verified(provider, body, signature):
    return stripe.Webhook.construct_event(body, signature, provider.webhook_secret)


def event_types(provider):
    return [event["type"] for event in provider.events]


def hidden_fields(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def redirect_query(response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith("https://tickets.example.be/bestelling/o-1?stap=betaald&"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


# --------------------------------------------------------------------------------------------
# Payments and their webhooks
# --------------------------------------------------------------------------------------------


def test_successful_payment_fires_a_webhook_that_stripe_verifies(provider, client, receiver):
    intent = client.v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "eur",
            "payment_method_types": ["card"],
            "transfer_group": "order-o-1",
            "metadata": {"order_id": "o-1"},
            "description": "2 × Hamlet",
            "receipt_email": "koper@example.be",
        }
    )
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    confirmed = client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert (confirmed.status, confirmed.amount_received) == ("succeeded", 2500)
    charge = client.v1.charges.retrieve(confirmed.latest_charge)
    assert (charge.amount, charge.status, charge.payment_intent, charge.transfer_group) == (
        2500,
        "succeeded",
        intent.id,
        "order-o-1",
    )

    body, signature = receiver.wait_for(1)[0]
    event = verified(provider, body, signature)
    assert event.type == "payment_intent.succeeded"
    assert (event.data.object.id, event.data.object.metadata["order_id"]) == (intent.id, "o-1")
    assert event.livemode is False and event.id.startswith("evt_")
    assert client.v1.events.retrieve(event.id).id == event.id

    tampered = body.replace('"amount": 2500', '"amount": 1')
    assert tampered != body
    for payload, header, secret in [
        (tampered, signature, provider.webhook_secret),
        (body, signature[:-1] + ("0" if signature[-1] != "0" else "1"), provider.webhook_secret),
        (body, signature, "whsec_someone_else"),
    ]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload, header, secret)


def test_declined_card_raises_card_error_and_reopens_the_payment(provider, client, receiver):
    intent = client.v1.payment_intents.create({"amount": 2500, "currency": "eur", "payment_method_types": ["card"]})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_chargeDeclined"})
    error = declined.value
    assert (error.http_status, error.code, error.error.decline_code) == (402, "card_declined", "generic_decline")
    assert error.error.payment_intent.status == "requires_payment_method"

    reopened = client.v1.payment_intents.retrieve(intent.id)
    assert reopened.status == "requires_payment_method"
    assert reopened.last_payment_error.code == "card_declined"
    assert client.v1.charges.retrieve(reopened.latest_charge).status == "failed"

    event = verified(provider, *receiver.wait_for(1)[0])
    assert event.type == "payment_intent.payment_failed"

    # The buyer tries another card on the same PaymentIntent.
    retried = client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"


def test_payment_intent_lifecycle_update_and_cancel(provider, client):
    intent = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "eur", "metadata": {"order_id": "o-2", "seats": "A1,A2"}}
    )
    assert intent.payment_method_types == ["card", "bancontact"]  # automatic payment methods for euro

    updated = client.v1.payment_intents.update(intent.id, {"metadata": {"seats": "", "hold": "h-9"}})
    assert updated.metadata.to_dict() == {"order_id": "o-2", "hold": "h-9"}

    canceled = client.v1.payment_intents.cancel(intent.id, {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert event_types(provider) == ["payment_intent.canceled"]
    with pytest.raises(stripe.InvalidRequestError) as late:
        client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert late.value.code == "payment_intent_unexpected_state"

    paid = paid_intent(client)
    with pytest.raises(stripe.InvalidRequestError) as too_late:
        client.v1.payment_intents.cancel(paid.id)
    assert too_late.value.code == "payment_intent_unexpected_state"


def test_bad_requests_get_stripes_error_shapes(provider, client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")

    cases = [
        ({"currency": "eur"}, "parameter_missing", "amount"),
        ({"amount": "12.50", "currency": "eur"}, "parameter_invalid_integer", "amount"),
        ({"amount": 10, "currency": "eur"}, "amount_too_small", "amount"),
        ({"amount": 1000, "currency": "eur", "colour": "red"}, "parameter_unknown", "colour"),
    ]
    for params, code, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as bad:
            client.v1.payment_intents.create(params)
        assert (bad.value.http_status, bad.value.code, bad.value.param) == (400, code, param)

    unauthenticated = requests.post(f"{provider.url}/v1/payment_intents", data={"amount": 1000}, timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_live_real_money", base_addresses={"api": provider.url}).v1.payment_intents.retrieve(
            "pi_x"
        )
    unknown = requests.get(f"{provider.url}/v1/unicorns", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5)
    assert unknown.status_code == 404 and "Unrecognized request URL" in unknown.json()["error"]["message"]


def test_curl_style_requests_are_understood(provider):
    """`key[]` arrays and basic auth, as `curl -u sk_test_…: -d 'payment_method_types[]=card'` sends them."""
    body = (
        "amount=1500&currency=eur&payment_method_types[]=card&payment_method_types[]=bancontact&metadata[order_id]=o-9"
    )
    created = requests.post(
        f"{provider.url}/v1/payment_intents",
        data=body,
        auth=(API_KEY, ""),
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["payment_method_types"] == ["card", "bancontact"]
    assert created.json()["metadata"] == {"order_id": "o-9"}
    assert created.headers["Request-Id"].startswith("req_")


# --------------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------------


def test_idempotency_keys_replay_reject_and_expire(provider, client):
    params = {"amount": 1800, "currency": "eur", "metadata": {"order_id": "o-3"}}
    first = client.v1.payment_intents.create(params, {"idempotency_key": "order-o-3"})
    again = client.v1.payment_intents.create(params, {"idempotency_key": "order-o-3"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None

    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create({**params, "amount": 1900}, {"idempotency_key": "order-o-3"})
    with pytest.raises(stripe.IdempotencyError):  # same key, another endpoint
        client.v1.payment_intents.update(first.id, {"metadata": {"x": "y"}}, {"idempotency_key": "order-o-3"})

    # Keys are scoped per API key: another house's key may reuse the string.
    other_house = stripe.StripeClient("sk_test_podium_house_b", base_addresses={"api": provider.url})
    assert (
        other_house.v1.payment_intents.create({**params, "amount": 1900}, {"idempotency_key": "order-o-3"}).id
        != first.id
    )

    # A request rejected before it changed anything is not saved: fix it, retry with the same key.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create({"amount": 1800}, {"idempotency_key": "order-o-4"})
    assert client.v1.payment_intents.create(params, {"idempotency_key": "order-o-4"}).amount == 1800

    # After 24 hours the key is forgotten.
    real_clock = provider.provider.clock
    provider.provider.clock = lambda: real_clock() + IDEMPOTENCY_TTL + 1
    try:
        later = client.v1.payment_intents.create({**params, "amount": 2000}, {"idempotency_key": "order-o-3"})
    finally:
        provider.provider.clock = real_clock
    assert later.id != first.id and later.amount == 2000


def test_a_replayed_decline_does_not_charge_again(provider, client):
    intent = client.v1.payment_intents.create({"amount": 2500, "currency": "eur", "payment_method_types": ["card"]})
    declines = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.confirm(
                intent.id, {"payment_method": "pm_card_chargeDeclined"}, {"idempotency_key": "confirm-o-5"}
            )
        declines.append(declined.value)
    assert declines[0].http_body == declines[1].http_body
    assert declines[1].headers.get("Idempotent-Replayed") == "true"
    assert event_types(provider) == ["payment_intent.payment_failed"]


def test_concurrent_requests_with_one_key_create_one_payment(provider, client):
    params = {"amount": 1500, "currency": "eur"}
    with ThreadPoolExecutor(8) as pool:
        ids = set(
            pool.map(lambda _: client.v1.payment_intents.create(params, {"idempotency_key": "burst"}).id, range(16))
        )
    assert len(ids) == 1


# --------------------------------------------------------------------------------------------
# The hosted pay page: 3-D Secure, test cards, Bancontact
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, status, redirect_status, event_type",
    [
        ("approve", "succeeded", "succeeded", "payment_intent.succeeded"),
        ("fail", "requires_payment_method", "failed", "payment_intent.payment_failed"),
    ],
)
def test_authentication_required_goes_through_the_pay_page(
    provider, client, receiver, answer, status, redirect_status, event_type
):
    intent = client.v1.payment_intents.create({"amount": 4200, "currency": "eur", "payment_method_types": ["card"]})
    pending = client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_authenticationRequired", "return_url": RETURN_URL}
    )
    assert pending.status == "requires_action"
    assert pending.next_action.type == "redirect_to_url"

    page = requests.get(pending.next_action.redirect_to_url.url, timeout=5)
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text and "Bevestig de betaling" in page.text and "€ 42,00" in page.text
    answered = requests.post(
        f"{provider.url}/pay/{intent.id}",
        data={**hidden_fields(page.text), "action": answer},
        allow_redirects=False,
        timeout=5,
    )
    query = redirect_query(answered)
    assert (query["payment_intent"], query["redirect_status"]) == (intent.id, redirect_status)
    assert query["payment_intent_client_secret"] == intent.client_secret

    assert client.v1.payment_intents.retrieve(intent.id).status == status
    types = [verified(provider, body, signature).type for body, signature in receiver.wait_for(2)]
    assert types == ["payment_intent.requires_action", event_type]


def test_pay_page_offers_test_cards_in_the_buyers_language(provider, client):
    intent = client.v1.payment_intents.create({"amount": 1250, "currency": "eur", "payment_method_types": ["card"]})
    query = {"client_secret": intent.client_secret, "return_url": RETURN_URL, "lang": "fr"}
    page = requests.get(f"{provider.url}/pay/{intent.id}?{urlencode(query)}", timeout=5)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "12,50 €" in page.text
    assert "4000 0000 0000 0002" in page.text and "Bancontact" not in page.text  # card only
    fields = hidden_fields(page.text)

    declined = requests.post(
        f"{provider.url}/pay/{intent.id}", data={**fields, "action": "card", "card": "4000 0000 0000 0002"}, timeout=5
    )
    assert declined.status_code == 200 and 'role="alert"' in declined.text
    assert "Votre carte a été refusée" in declined.text
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"

    paid = requests.post(
        f"{provider.url}/pay/{intent.id}",
        data={**fields, "action": "card", "card": "4242 4242 4242 4242"},
        allow_redirects=False,
        timeout=5,
    )
    assert redirect_query(paid)["redirect_status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"

    stranger = requests.get(f"{provider.url}/pay/{intent.id}?client_secret=guess", timeout=5)
    assert stranger.status_code == 404


def test_a_browser_confirms_with_the_publishable_key_and_the_client_secret_as_stripe_js_does(provider, client):
    script = requests.get(f"{provider.url}/v3/", timeout=5)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert (
        "window.Stripe" in script.text and json.dumps(provider.url) in script.text and "4000000000000002" in script.text
    )
    intent = client.v1.payment_intents.create({"amount": 1250, "currency": "eur", "payment_method_types": ["card"]})
    browser = {"key": "pk_test_9f3kQ2x7", "client_secret": intent.client_secret, "return_url": RETURN_URL}
    confirm = f"{provider.url}/v1/payment_intents/{intent.id}/confirm"

    guessed = requests.post(
        confirm,
        data={**browser, "client_secret": f"{intent.id}_secret_x9Qz4", "payment_method": "pm_card_visa"},
        timeout=5,
    )
    assert guessed.status_code == 401
    secret_key_only = requests.post(
        confirm, data={**browser, "key": "sk_test_4hG7d2", "payment_method": "pm_card_visa"}, timeout=5
    )
    assert secret_key_only.status_code == 401  # a secret key belongs in the header, never in a page
    assert requests.get(f"{provider.url}/v1/payment_intents/{intent.id}", params=browser, timeout=5).status_code == 401

    declined = requests.post(confirm, data={**browser, "payment_method": "pm_card_chargeDeclined"}, timeout=5)
    assert declined.status_code == 402 and declined.json()["error"]["message"] == "Your card was declined."
    assert declined.headers["Access-Control-Allow-Origin"] == "*"  # the pay page's script reads the answer
    paid = requests.post(confirm, data={**browser, "payment_method": "pm_card_visa"}, timeout=5)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_bancontact_is_euro_only(client):
    with pytest.raises(stripe.InvalidRequestError) as dollars:
        client.v1.payment_intents.create(
            {"amount": 2500, "currency": "usd", "payment_method_types": ["card", "bancontact"]}
        )
    assert (dollars.value.code, dollars.value.param) == ("payment_intent_invalid_parameter", "payment_method_types")
    assert client.v1.payment_intents.create({"amount": 2500, "currency": "usd"}).payment_method_types == ["card"]


def test_bancontact_redirect_processing_then_settled(provider, client, receiver):
    intent = client.v1.payment_intents.create(
        {"amount": 3500, "currency": "eur", "payment_method_types": ["bancontact"]}
    )
    bancontact = {"type": "bancontact", "billing_details": {"name": "An Peeters"}}
    with pytest.raises(stripe.InvalidRequestError) as no_return:
        client.v1.payment_intents.confirm(intent.id, {"payment_method_data": bancontact})
    assert no_return.value.param == "return_url"
    with pytest.raises(stripe.InvalidRequestError) as card:
        client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa", "return_url": RETURN_URL})
    assert card.value.code == "payment_intent_incompatible_payment_method"

    pending = client.v1.payment_intents.confirm(
        intent.id, {"payment_method_data": bancontact, "return_url": RETURN_URL}
    )
    assert pending.status == "requires_action"
    page = requests.get(pending.next_action.redirect_to_url.url, timeout=5)
    assert "Bancontact" in page.text
    answered = requests.post(
        f"{provider.url}/pay/{intent.id}",
        data={**hidden_fields(page.text), "action": "process"},
        allow_redirects=False,
        timeout=5,
    )
    assert redirect_query(answered)["redirect_status"] == "processing"
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"

    provider.settle(intent.id)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    types = [verified(provider, body, signature).type for body, signature in receiver.wait_for(3)]
    assert types == ["payment_intent.requires_action", "payment_intent.processing", "payment_intent.succeeded"]


def test_buyer_chooses_bancontact_on_the_pay_page(provider, client):
    intent = client.v1.payment_intents.create({"amount": 2000, "currency": "eur"})
    query = {"client_secret": intent.client_secret, "return_url": RETURN_URL}
    page = requests.get(f"{provider.url}/pay/{intent.id}?{urlencode(query)}", timeout=5)
    assert "Betalen met Bancontact" in page.text and "4242 4242 4242 4242" in page.text
    step = requests.post(
        f"{provider.url}/pay/{intent.id}",
        timeout=5,
        data={**hidden_fields(page.text), "action": "bancontact", "name": "Jan Janssens"},
    )
    assert step.status_code == 200 and "Goedkeuren" in step.text  # followed the 303 to the approval step
    approved = requests.post(
        f"{provider.url}/pay/{intent.id}",
        data={**hidden_fields(step.text), "action": "approve"},
        allow_redirects=False,
        timeout=5,
    )
    assert redirect_query(approved)["redirect_status"] == "succeeded"
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded"
    assert client.v1.payment_methods.retrieve(paid.payment_method).billing_details.name == "Jan Janssens"


# --------------------------------------------------------------------------------------------
# Refunds and Connect
# --------------------------------------------------------------------------------------------


def test_partial_then_full_refund_and_no_more(provider, client):
    paid = paid_intent(client, 2500)
    partial = client.v1.refunds.create(
        {"payment_intent": paid.id, "amount": 1000, "reason": "requested_by_customer", "metadata": {"order_id": "o-6"}}
    )
    assert (partial.amount, partial.status, partial.charge) == (1000, "succeeded", paid.latest_charge)
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)

    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create({"payment_intent": paid.id, "amount": 1501})
    assert (over.value.code, over.value.param) == ("amount_too_large", "amount")

    rest = client.v1.refunds.create({"charge": paid.latest_charge})
    assert rest.amount == 1500
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2500, True)
    assert client.v1.refunds.retrieve(partial.id).metadata["order_id"] == "o-6"

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"payment_intent": paid.id})
    assert again.value.code == "charge_already_refunded"
    unpaid = client.v1.payment_intents.create({"amount": 900, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": unpaid.id})

    refunded = [event for event in provider.events if event["type"] == "charge.refunded"]
    assert [event["data"]["previous_attributes"]["amount_refunded"] for event in refunded] == [0, 1000]
    assert event_types(provider).count("refund.created") == 2


def test_transfers_are_capped_by_their_source_charge_and_can_be_reversed(provider, client):
    house = client.v1.accounts.create(
        {"type": "express", "country": "BE", "email": "kassa@huis.be", "metadata": {"house_id": "h-1"}}
    )
    assert house.id.startswith("acct_") and client.v1.accounts.retrieve(house.id).metadata["house_id"] == "h-1"
    paid = paid_intent(client, 10_000, transfer_group="order-o-7")
    share = {
        "currency": "eur",
        "destination": house.id,
        "transfer_group": "order-o-7",
        "source_transaction": paid.latest_charge,
    }

    first = client.v1.transfers.create({**share, "amount": 6000, "metadata": {"order_id": "o-7"}})
    with pytest.raises(stripe.InvalidRequestError) as capped:
        client.v1.transfers.create({**share, "amount": 4001})
    assert (capped.value.code, capped.value.param) == ("balance_insufficient", "amount")
    second = client.v1.transfers.create({**share, "amount": 4000})
    client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": house.id, "transfer_group": "other"})
    listed = client.v1.transfers.list({"transfer_group": "order-o-7"})
    assert {transfer.id for transfer in listed.data} == {first.id, second.id} and listed.has_more is False

    partial = client.v1.transfers.reversals.create(first.id, {"amount": 1000})
    assert partial.id.startswith("trr_") and partial.transfer == first.id
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.transfers.reversals.create(first.id, {"amount": 5001})
    assert (over.value.code, over.value.param) == ("amount_too_large", "amount")
    assert (
        client.v1.transfers.retrieve(first.id).amount_reversed,
        client.v1.transfers.retrieve(first.id).reversed,
    ) == (1000, False)
    rest = client.v1.transfers.reversals.create(first.id)
    assert rest.amount == 5000
    reversed_transfer = client.v1.transfers.retrieve(first.id)
    assert (reversed_transfer.amount_reversed, reversed_transfer.reversed) == (6000, True)
    assert [reversal.id for reversal in reversed_transfer.reversals.data] == [rest.id, partial.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(first.id, {"amount": 1})
    with pytest.raises(stripe.InvalidRequestError) as still_capped:  # a reversal does not free the charge
        client.v1.transfers.create({**share, "amount": 1})
    assert still_capped.value.code == "balance_insufficient"
    with pytest.raises(stripe.InvalidRequestError) as nowhere:
        client.v1.transfers.create({**share, "amount": 1, "destination": "acct_unknown"})
    assert (nowhere.value.code, nowhere.value.param) == ("resource_missing", "destination")

    types = event_types(provider)
    assert (types.count("transfer.created"), types.count("transfer.reversed")) == (3, 2)


# --------------------------------------------------------------------------------------------
# Webhook delivery: retries, redelivery, order
# --------------------------------------------------------------------------------------------


def test_webhooks_are_retried_until_the_endpoint_accepts_them(provider, client, receiver):
    receiver.script = [500, 503]
    paid_intent(client)
    received = receiver.wait_for(3)
    assert len({json.loads(body)["id"] for body, _ in received}) == 1
    assert all(verified(provider, body, signature) for body, signature in received)
    assert provider.wait_for_deliveries()
    assert [(d.attempt, d.status) for d in provider.deliveries] == [(1, 500), (2, 503), (3, 200)]


def test_webhook_retries_are_bounded(provider, client, receiver):
    receiver.script = [500] * 10
    paid_intent(client)
    receiver.wait_for(5)
    assert provider.wait_for_deliveries()  # idle: no sixth attempt is scheduled
    assert [d.attempt for d in provider.deliveries] == [1, 2, 3, 4, 5]
    assert not any(d.ok for d in provider.deliveries) and len(receiver.received) == 5


def test_held_events_are_delivered_out_of_order_and_redelivered(provider, client, receiver):
    provider.hold_deliveries()
    paid = paid_intent(client)
    client.v1.refunds.create({"payment_intent": paid.id})
    created = [event["id"] for event in provider.events]
    assert len(created) == 3  # payment_intent.succeeded, refund.created, charge.refunded
    assert provider.wait_for_deliveries() and receiver.received == []

    provider.release_deliveries(order="reverse")
    assert [id for id in (json.loads(body)["id"] for body, _ in receiver.wait_for(3))] == created[::-1]

    provider.redeliver(created[0])
    body, signature = receiver.wait_for(4)[3]
    assert verified(provider, body, signature).id == created[0]
    assert body == next(body for body, _ in receiver.received[:3] if json.loads(body)["id"] == created[0])
    assert provider.wait_for_deliveries()
    assert [d.redelivery for d in provider.deliveries] == [False, False, False, True]

    provider.hold_deliveries()
    late = client.v1.refunds.create({"charge": paid_intent(client).latest_charge})
    newest = [event["id"] for event in provider.events][3:]
    assert provider.release_deliveries(order=[newest[-1]])[0] == newest[-1]
    receiver.wait_for(4 + len(newest))
    assert receiver.event_ids()[4:] == [newest[-1], *newest[:-1]]
    assert late.status == "succeeded"


# --------------------------------------------------------------------------------------------
# Fault injection against the stripe library's own retries
# --------------------------------------------------------------------------------------------


def test_injected_500s_are_retried_by_the_stripe_library_with_one_idempotency_key(provider):
    retrying = stripe.StripeClient(API_KEY, base_addresses={"api": provider.url}, max_network_retries=2)
    provider.inject("/v1/payment_intents", status=500, count=2, method="POST")
    intent = retrying.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    attempts = [request for request in provider.api_requests if request.path == "/v1/payment_intents"]
    assert [(request.status, request.fault) for request in attempts] == [(500, True), (500, True), (200, False)]
    assert len({request.idempotency_key for request in attempts}) == 1
    assert retrying.v1.payment_intents.retrieve(intent.id).amount == 2500

    provider.inject("/v1/payment_intents", status=500, count=1, method="POST")
    # StripeClient does not retry unless told to (the module-level default is 2 retries).
    with pytest.raises(stripe.APIError) as failed:
        stripe.StripeClient(API_KEY, base_addresses={"api": provider.url}).v1.payment_intents.create(
            {"amount": 2500, "currency": "eur"}
        )
    assert failed.value.http_status == 500


def test_a_timed_out_confirmation_is_retried_without_charging_twice(provider, client):
    intent = client.v1.payment_intents.create({"amount": 2500, "currency": "eur", "payment_method_types": ["card"]})
    impatient = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": provider.url},
        max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=0.4),
    )
    # The first confirmation is carried out, but its answer comes after the client gave up.
    provider.inject(f"/v1/payment_intents/{intent.id}/confirm", status=None, delay=1.2)
    confirmed = impatient.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert confirmed.status == "succeeded"
    attempts = [request for request in provider.api_requests if request.path.endswith("/confirm")]
    assert [request.replayed for request in attempts] == [False, True]
    assert event_types(provider) == ["payment_intent.succeeded"]
    assert sum(obj["object"] == "charge" for obj in provider.provider.objects.values()) == 1


# --------------------------------------------------------------------------------------------
# Parameter decoding matches what stripe-python encodes
# --------------------------------------------------------------------------------------------

_names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
_values = st.recursive(
    st.text(max_size=8),
    lambda inner: st.lists(inner, min_size=1, max_size=3) | st.dictionaries(_names, inner, min_size=1, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_names, _values, min_size=1, max_size=4))
def test_params_decode_what_the_stripe_library_encodes(params):
    from stripe._encode import _api_encode  # what the library puts on the wire, exactly

    wire = urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")  # as _api_requestor does
    assert parse_params(parse_qsl(wire, keep_blank_values=True)) == params
