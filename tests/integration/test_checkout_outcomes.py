"""Checkout outcomes other than a plain success: declines, timeouts, lost places, duplicates and races."""

from __future__ import annotations

import json
import threading
import time

import pytest
import stripe

from scripts.embedded import demo_seatmaps, resources

from .checkout_helpers import BUYER, pay, provider_client, submit, two_house_cart, wait_for, wait_for_execution
from .conftest import Client, buyer_session
from .fanout_helpers import events_queue


def order_placed_queue(stack) -> str:
    """An SQS queue subscribed to the cluster's event topic, to read what was published."""
    return events_queue(stack)


def published(stack, queue_url: str, order_id: str) -> list[dict]:
    sqs = resources.client("sqs", stack.moto.url)
    found = []
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            break
        found += [json.loads(m["Body"]) for m in messages]
    return [event for event in found if event["detail"].get("order_id") == order_id]


def test_a_declined_card_keeps_the_places_and_another_card_completes_the_order(stack, signing_key, buyer):
    cart, *_ = two_house_cart(stack, signing_key, buyer, seats=1, places=1)
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    with pytest.raises(stripe.CardError) as declined:
        pay(stack, view, "pm_card_chargeDeclined")
    assert declined.value.code == "card_declined"
    stack.payments.wait_for_deliveries(20)
    view = buyer.get(f"/checkouts/{order_id}", headers={"Accept-Language": "fr"}).json()
    assert view["status"] == "awaiting_payment" and view["payment"]["last_error"] == "generic_decline"
    assert "refusé" in view["message"]
    pay(stack, view, "pm_card_mastercard")
    assert wait_for(buyer, order_id, {"completed"}, stack=stack)["status"] == "completed"


def test_a_payment_that_never_comes_times_out_releases_the_places_and_cancels_the_payment(
    stack, signing_key, quick_checkout
):
    buyer = Client(quick_checkout, session_token=buyer_session())
    cart, _, (seated, standing), holds = two_house_cart(stack, signing_key, buyer, seats=2, places=2)
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    view = wait_for(buyer, order_id, {"failed"}, timeout=30)
    assert view["reason"] == "payment_timeout" and "niets aangerekend" in view["message"]
    intent = provider_client(stack).v1.payment_intents.retrieve(
        view["payment"] and view["payment"]["payment_intent_id"] or _intent_of(stack, order_id)
    )
    assert intent.status == "canceled"
    assert buyer.get(f"/holds/{holds[0]['id']}").json()["status"] in ("released", "expired")
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 50
    assert wait_for_execution(stack, order_id)["status"] == "SUCCEEDED"  # a business outcome, not a fault


def _intent_of(stack, order_id: str) -> str:
    keys = [
        r
        for r in stack.payments.api_requests
        if r.method == "POST" and r.path == "/v1/payment_intents" and r.idempotency_key == f"order:{order_id}:payment"
    ]
    assert keys
    return next(
        e["data"]["object"]["id"]
        for e in stack.payments.events
        if e["data"]["object"].get("metadata", {}).get("order_id") == order_id
    )


def test_a_buyer_who_gives_up_while_the_payment_is_being_created_ends_without_a_sale(stack, signing_key, buyer):
    """The cancel lands while the workflow waits on the provider for the PaymentIntent (answer held back 3 s)."""
    cart, _, (_, standing), holds = two_house_cart(stack, signing_key, buyer, seats=1, places=2)
    slow = stack.payments.inject("/v1/payment_intents", status=None, delay=3, method="POST")
    try:
        order_id = submit(buyer, cart["id"])["order_id"]
        deadline = time.monotonic() + 20
        while slow.remaining:  # the provider has the request: it creates the intent, answers 3 s later
            assert time.monotonic() < deadline, "the workflow never asked for a payment"
            time.sleep(0.05)
        cancelled = buyer.post(f"/checkouts/{order_id}/cancel")
        assert cancelled.status_code == 202 and cancelled.json()["status"] == "pending"
    finally:
        slow.remaining = 0
    view = wait_for(buyer, order_id, {"failed"}, timeout=30)
    assert view["reason"] == "payment_canceled"
    # the PaymentIntent created meanwhile is cancelled, nothing is charged, the places are back on sale
    assert provider_client(stack).v1.payment_intents.retrieve(_intent_of(stack, order_id)).status == "canceled"
    assert buyer.get(f"/holds/{holds[0]['id']}").json()["status"] in ("released", "expired")
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 50
    assert wait_for_execution(stack, order_id)["status"] == "SUCCEEDED"


def test_a_payment_that_succeeds_while_the_checkout_times_out_is_refunded_in_full(stack, signing_key, quick_checkout):
    buyer = Client(quick_checkout, session_token=buyer_session())
    cart, *_ = two_house_cart(stack, signing_key, buyer, seats=1, places=1)
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    stack.payments.hold_deliveries()  # the bank says yes, but the webhook is late
    try:
        intent = pay(stack, view)
        assert intent.status == "succeeded"
        view = wait_for(buyer, order_id, {"refunded", "failed"}, timeout=30)
    finally:
        stack.payments.release_deliveries()
    assert view["status"] == "refunded" and view["reason"] == "payment_timeout"
    refunds = provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data
    assert [refund.amount for refund in refunds] == [intent.amount]
    stack.payments.wait_for_deliveries(20)
    assert buyer.get(f"/checkouts/{order_id}").json()["status"] == "refunded"  # the late webhook changes nothing


def lapse(buyer: Client, hold: dict) -> None:
    """Wait until the hold has expired."""
    while buyer.get(f"/holds/{hold['id']}").json()["status"] == "active":
        time.sleep(0.2)


def test_a_paid_place_taken_after_its_hold_lapsed_refunds_the_buyer_and_says_why(
    stack, signing_key, house, quick_checkout
):
    performance = house.performance(demo_seatmaps.test_hall(2, 5))
    late = Client(quick_checkout, session_token=buyer_session())
    hold = late.post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-A-1", "zaal-A-2"]})
    assert hold.status_code == 201, hold.text
    cart = late.post("/carts").json()
    late.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={})
    order_id = submit(late, cart["id"])["order_id"]
    view = wait_for(late, order_id, {"awaiting_payment"}, stack=stack)
    lapse(late, hold.json())  # the hold lapses; someone else takes one of its seats
    rival = Client(stack.api_url, session_token=buyer_session())
    assert rival.post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-A-2"]}).status_code == 201
    intent = pay(stack, view)
    view = wait_for(late, order_id, {"refunded", "completed"}, timeout=30)
    assert view["status"] == "refunded" and view["reason"] == "seats_lost" and view["lost_places"] == ["zaal-A-2"], view
    assert "zaal-A-2" in view["message"] and "terugbetaald" in view["message"]
    refunds = provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data
    assert sum(refund.amount for refund in refunds) == intent.amount == 4000
    seats = {
        s["id"]: s["state"] for s in late.get(f"/performances/{performance['id']}/seats").json()["seatmap"]["seats"]
    }
    assert seats["zaal-A-1"] == "free" and seats["zaal-A-2"] == "held"  # ours back on sale, the rival keeps theirs


def test_a_paid_lapsed_hold_whose_seats_are_still_free_is_sold(stack, signing_key, house, quick_checkout):
    performance = house.performance(demo_seatmaps.test_hall(2, 5))
    late = Client(quick_checkout, session_token=buyer_session())
    hold = late.post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-B-1"]}).json()
    cart = late.post("/carts").json()
    late.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    order_id = submit(late, cart["id"])["order_id"]
    view = wait_for(late, order_id, {"awaiting_payment"}, stack=stack)
    lapse(late, hold)
    pay(stack, view)
    view = wait_for(late, order_id, {"completed", "refunded"}, timeout=30, stack=stack)
    assert view["status"] == "completed" and [t["seat_id"] for t in view["tickets"]] == ["zaal-B-1"]


def test_duplicate_and_out_of_order_webhooks_give_exactly_one_order(stack, signing_key, buyer):
    queue = order_placed_queue(stack)
    cart, *_ = two_house_cart(stack, signing_key, buyer, seats=2, places=1)
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    stack.payments.hold_deliveries()
    try:
        with pytest.raises(stripe.CardError):
            pay(stack, view, "pm_card_chargeDeclinedInsufficientFunds")
        pay(stack, view)
    finally:
        sent = stack.payments.release_deliveries(order="reverse")  # success first, then the old decline
    succeeded = [e["id"] for e in stack.payments.events if e["id"] in sent and e["type"] == "payment_intent.succeeded"]
    assert len(succeeded) == 1
    for _ in range(3):
        stack.payments.redeliver(succeeded[0])
    stack.payments.wait_for_deliveries(20)
    view = wait_for(buyer, order_id, {"completed"}, stack=stack)
    assert wait_for_execution(stack, order_id)["status"] == "SUCCEEDED"
    view = buyer.get(f"/checkouts/{order_id}").json()
    assert len(view["tickets"]) == 3 and view["message"] is None
    assert len({t["ticket_id"] for t in view["tickets"]}) == 3
    events = published(stack, queue, order_id)
    assert [event["type"] for event in events] == ["OrderPlaced"]
    assert BUYER["email"] not in json.dumps(events) and BUYER["name"] not in json.dumps(events)


def test_two_concurrent_submits_of_one_cart_give_one_order_and_one_payment(stack, signing_key, buyer):
    cart, *_ = two_house_cart(stack, signing_key, buyer, seats=1, places=2)
    answers: list = []
    barrier = threading.Barrier(6)

    def submit_now():
        barrier.wait()
        answers.append(buyer.post(f"/carts/{cart['id']}/checkout", {"buyer": BUYER}))

    threads = [threading.Thread(target=submit_now) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {answer.status_code for answer in answers} == {202}, [a.text for a in answers]
    order_ids = {answer.json()["order_id"] for answer in answers}
    assert len(order_ids) == 1
    order_id = order_ids.pop()
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    created = [
        r
        for r in stack.payments.api_requests
        if r.method == "POST"
        and r.path == "/v1/payment_intents"
        and r.idempotency_key == f"order:{order_id}:payment"
        and not r.replayed
    ]
    assert len(created) == 1
    pay(stack, view)
    assert wait_for(buyer, order_id, {"completed"}, stack=stack)["status"] == "completed"


def test_a_free_order_needs_no_payment_and_is_ticketed_at_once(stack, house, buyer):
    performance = house.performance(
        demo_seatmaps.test_hall(2, 5), tariffs=[{"code": "free", "name": {"nl": "Gratis"}, "prices": {"A": 0}}]
    )
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2}}).json()
    cart = buyer.post("/carts").json()
    buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"completed"}, stack=stack)
    assert view["total"]["amount"] == 0 and len(view["tickets"]) == 2 and view["payment"] is None
    assert not [r for r in stack.payments.api_requests if r.idempotency_key == f"order:{order_id}:payment"]
