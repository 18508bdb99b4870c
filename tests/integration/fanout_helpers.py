"""Helpers for the fan-out tests: one-house orders, waiting on the local outside services, the queues."""

from __future__ import annotations

import json
import time

from scripts.embedded import demo_seatmaps, resources

from .checkout_helpers import pay, submit, wait_for
from .conftest import Client, HouseFixture, buyer_session


def eventually(check, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def paid_single_house_order(stack, house: HouseFixture, performance: dict, count: int = 1) -> tuple[str, dict]:
    """A buyer takes `count` best-available seats (or standing places) of one performance and pays."""
    buyer = Client(stack.api_url, session_token=buyer_session())
    cart = buyer.post("/carts").json()
    body = (
        {"standing": {"count": count}} if not performance.get("seated", True) else {"best_available": {"count": count}}
    )
    hold = buyer.post(f"/performances/{performance['id']}/holds", body)
    assert hold.status_code == 201, hold.text
    response = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={})
    assert response.status_code == 200, response.text
    order_id = submit(buyer, cart["id"])["order_id"]
    pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    return order_id, wait_for(buyer, order_id, {"completed"}, stack=stack)


def small_performance(house: HouseFixture, seats: int = 2) -> dict:
    return house.performance(
        demo_seatmaps.test_hall(1, seats), tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 2800}}]
    )


def sale_id(ticket_id: str) -> str:
    return f"urn:podium:demo:verkoop:{ticket_id}"


def exchange_posts_about(stack, text: str) -> list:
    return [r for r in stack.uit.exchange.service.received("/transactions") if text in r.body]


def queue_url(stack, logical_id: str) -> str:
    return stack.refs[logical_id]


def queue_depth(stack, logical_id: str) -> int:
    sqs = resources.client("sqs", stack.moto.url)
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.refs[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def take_messages(stack, logical_id: str, keep) -> list[dict]:
    """Receive every message of a (paused) queue; delete and return those `keep` accepts, release the rest."""
    sqs = resources.client("sqs", stack.moto.url)
    url, taken = stack.refs[logical_id], []
    for _ in range(20):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"], VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            if keep(json.loads(message["Body"])):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                taken.append(message)
            else:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return taken


def send_back(stack, logical_id: str, message: dict) -> None:
    sqs = resources.client("sqs", stack.moto.url)
    attributes = {
        name: {k: v for k, v in value.items() if k in ("DataType", "StringValue")}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    sqs.send_message(QueueUrl=stack.refs[logical_id], MessageBody=message["Body"], MessageAttributes=attributes)


def events_queue(stack) -> str:
    """A queue subscribed to every event of the topic (what was published, for assertions)."""
    sqs, sns = resources.client("sqs", stack.moto.url), resources.client("sns", stack.moto.url)
    url = sqs.create_queue(QueueName=f"test-fanout-{time.time_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=stack.refs["EventsTopic"], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return url


def drain(stack, url: str) -> list[dict]:
    sqs = resources.client("sqs", stack.moto.url)
    found = []
    for _ in range(50):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return found
