"""Helpers for checkout tests: fill a cart over houses, submit it, pay at the local provider, wait."""

from __future__ import annotations

import json
import time

import stripe

from scripts.embedded import demo_seatmaps, resources
from tests import personal_data

from .conftest import Client, HouseFixture

BUYER = {"name": "Testkoper Checkout", "email": "koper.checkout@example.org", "postcode": "9000"}
personal_data.register(BUYER["name"], BUYER["email"])


def provider_client(stack) -> stripe.StripeClient:
    keys = json.loads(stack.secret_values["PaymentSecret"])
    return stripe.StripeClient(keys["api_key"], base_addresses={"api": stack.payments.url})


def two_house_cart(stack, signing_key, buyer: Client, seats: int = 2, places: int = 3):
    """A cart with best-available seats at a theatre and standing places at a club; returns (cart, houses)."""
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    seated = theatre.performance(
        demo_seatmaps.test_hall(5, 10),
        tariffs=[{"code": "full", "name": {"nl": "Vol", "fr": "Plein"}, "prices": {"A": 2800}}],
    )
    standing = club.performance(
        demo_seatmaps.standing_venue(50),
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 1500}}],
    )
    cart = buyer.post("/carts").json()
    holds = [
        buyer.post(f"/performances/{seated['id']}/holds", {"best_available": {"count": seats}}).json(),
        buyer.post(f"/performances/{standing['id']}/holds", {"standing": {"count": places}}).json(),
    ]
    for hold in holds:
        response = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
        assert response.status_code == 200, response.text
    return buyer.get(f"/carts/{cart['id']}").json(), (theatre, club), (seated, standing), holds


def poll(fetch, done, timeout: float = 60, interval: float = 0.1, what: str = "the state"):
    """Call `fetch` until `done(value)`; the value, or an AssertionError naming the last one seen."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not reached after {timeout} s: {value}")


def submit(client: Client, cart_id: str, **extra) -> dict:
    response = client.post(f"/carts/{cart_id}/checkout", {"buyer": BUYER, **extra})
    assert response.status_code == 202, response.text
    return response.json()


def wait_for(buyer: Client, order_id: str, statuses, timeout: float = 60, stack=None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = buyer.get(f"/checkouts/{order_id}").json()
        if view["status"] in statuses:
            return view
        if view["status"] in ("failed", "refunded") and stack is not None:
            break
        time.sleep(0.1)
    why = failures(stack, order_id) if stack is not None else ""
    raise AssertionError(f"checkout {order_id} is {view['status']}, not {statuses}: {why}")


def pay(stack, view: dict, payment_method: str = "pm_card_visa"):
    """What the buyer's browser does at the pay page: confirm the PaymentIntent with a test card."""
    client = provider_client(stack)
    return client.v1.payment_intents.confirm(
        view["payment"]["payment_intent_id"], params={"payment_method": payment_method}
    )


def execution(stack, order_id: str) -> dict:
    sfn = resources.client("stepfunctions", stack.moto.url)
    arn = stack.refs["CheckoutStateMachine"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    return sfn.describe_execution(executionArn=arn)


def wait_for_execution(stack, order_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = execution(stack, order_id)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"execution {order_id} still running")


def table_items(stack, pk: str, prefix: str = "") -> list[dict]:
    dynamodb = resources.client("dynamodb", stack.moto.url)
    return dynamodb.query(
        TableName=stack.refs["MainTable"],
        ConsistentRead=True,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
    )["Items"]


def failures(stack, order_id: str) -> list[dict]:
    """The failed steps of an order's execution (for assertion messages)."""
    sfn = resources.client("stepfunctions", stack.moto.url)
    arn = stack.refs["CheckoutStateMachine"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    return [
        event
        for event in sfn.get_execution_history(executionArn=arn)["events"]
        if "Failed" in event["type"] or "TimedOut" in event["type"]
    ]


def ledger_entries(stack, order_id: str) -> dict[str, dict]:
    """The order's journal entries by id (an entry touching two houses is stored under each)."""
    entries = {}
    for item in table_items(stack, f"ORDER#{order_id}", "LEDGER#"):
        entry = json.loads(item["entry"]["S"])
        entries[entry["entry_id"]] = entry
    return entries


def net_by_account(entries) -> dict[str, int]:
    net: dict[str, int] = {}
    for entry in entries:
        assert sum(p["amount"] for p in entry["postings"]) == 0, entry
        for posting in entry["postings"]:
            net[posting["account"]] = net.get(posting["account"], 0) + posting["amount"]
    return {account: cents for account, cents in net.items() if cents}


def vat_in(price_cents: int, rate_bp: int = 600) -> int:
    """VAT included in a price, rounded half up (as the ledger books it)."""
    return (price_cents * rate_bp * 2 + 10_000 + rate_bp) // (2 * (10_000 + rate_bp))


def personal_data_in(body: str, buyer: dict = BUYER) -> list[str]:
    """The test buyer's personal data found in a payload: name and e-mail anywhere, the postcode as a
    word of its own (four digits inside a hex id or a hash are not a postcode)."""
    import re

    lowered = body.lower()
    found = [
        value for value in (buyer["name"], buyer["email"], buyer["email"].split("@")[0]) if value.lower() in lowered
    ]
    if re.search(rf"(?<![0-9a-z]){re.escape(buyer['postcode'])}(?![0-9a-z])", lowered):
        found.append(buyer["postcode"])
    return found


def race_checkouts(carts: list) -> list[tuple[int, dict]]:
    """Every (buyer client, cart id) submits its checkout at once (a barrier); (status, body) per cart."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(len(carts))

    def check_out(entry):
        buyer, cart_id = entry
        start.wait(timeout=60)
        response = buyer.post(f"/carts/{cart_id}/checkout", {"buyer": BUYER}, timeout=120)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(carts)) as pool:
        return list(pool.map(check_out, carts))
