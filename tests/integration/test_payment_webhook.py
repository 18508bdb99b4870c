"""The payment webhook over HTTP: the provider's signed events are recorded once; forgeries change nothing."""

from __future__ import annotations

import json
import time

import requests
import stripe

from scripts.embedded import resources


def stored_events(stack, event_id: str) -> list[dict]:
    dynamodb = resources.client("dynamodb", stack.moto.url)
    return dynamodb.query(
        TableName=stack.refs["MainTable"],
        ConsistentRead=True,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PAYEVENT#{event_id}"}},
    )["Items"]


def test_a_paid_payment_intents_webhook_is_verified_recorded_once_and_redeliveries_change_nothing(stack):
    keys = json.loads(stack.secret_values["PaymentSecret"])
    client = stripe.StripeClient(keys["api_key"], base_addresses={"api": stack.payments.url})
    intent = client.v1.payment_intents.create(
        params={"amount": 5600, "currency": "eur", "payment_method_types": ["card"]},
        options={"idempotency_key": f"test:{time.time_ns()}"},
    )
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    event = next(
        e
        for e in stack.payments.events
        if e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == intent.id
    )
    stack.payments.wait_for_deliveries(20)
    assert len(stored_events(stack, event["id"])) == 1
    stack.payments.redeliver(event["id"])
    stack.payments.wait_for_deliveries(20)
    items = stored_events(stack, event["id"])
    assert len(items) == 1 and items[0]["payment_intent_id"]["S"] == intent.id


def test_a_webhook_with_a_bad_signature_is_refused_with_400_and_changes_nothing(stack):
    body = json.dumps(
        {
            "id": "evt_forged",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {"object": {"id": "pi_forged", "object": "payment_intent"}},
        }
    )
    forged = stripe.WebhookSignature._compute_signature(f"{int(time.time())}.{body}", "whsec_not_ours")
    for signature in (f"t={int(time.time())},v1={forged}", "", "garbage"):
        response = requests.post(
            f"{stack.api_url}/webhooks/stripe",
            data=body,
            timeout=30,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        assert response.status_code == 400 and response.json()["code"] == "malformed_request"
    assert stored_events(stack, "evt_forged") == []
