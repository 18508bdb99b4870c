"""Checkout over HTTP with the real workflow, the real stripe library and signed webhooks."""

from __future__ import annotations

import json
import time

import requests
import stripe

from chalicelib.domain.tickets import TicketVerifier, keys_from_seeds
from scripts.embedded import resources

from .checkout_helpers import (
    BUYER,
    execution,
    failures,
    ledger_entries,
    net_by_account,
    pay,
    submit,
    two_house_cart,
    vat_in,
    wait_for,
    wait_for_execution,
)


def test_a_cart_over_two_houses_is_paid_once_and_ticketed(stack, signing_key, buyer):
    cart, (theatre, club), (seated, standing), holds = two_house_cart(stack, signing_key, buyer)
    assert cart["total"]["amount"] == 2 * 2800 + 3 * 1500
    view = submit(buyer, cart["id"])
    order_id = view["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    assert view["total"] == {"amount": 10100, "currency": "EUR"}
    assert {house["house_id"]: house["subtotal"] for house in view["houses"]} == {
        theatre.id: {"amount": 5600, "currency": "EUR"},
        club.id: {"amount": 4500, "currency": "EUR"},
    }
    assert view["payment"]["client_secret"].startswith(view["payment"]["payment_intent_id"] + "_secret_")
    assert "pay_url" not in view["payment"]  # the client pays with Stripe's elements, locally and on AWS alike
    # the cart is frozen while it is being paid
    frozen = buyer.delete(f"/carts/{cart['id']}/holds/{holds[0]['id']}")
    assert frozen.status_code == 409 and frozen.json()["code"] == "checkout_started"

    intent = pay(stack, view)
    assert intent.status == "succeeded" and intent.amount == 10100 and intent.transfer_group == order_id
    view = wait_for(buyer, order_id, {"completed", "failed", "refunded"})
    assert view["status"] == "completed", view
    assert len(view["tickets"]) == 5 and {t["house_id"] for t in view["tickets"]} == {theatre.id, club.id}
    assert wait_for_execution(stack, order_id)["status"] == "SUCCEEDED"

    # the seats are sold and the standing places stay taken
    seat_map = buyer.get(f"/performances/{seated['id']}/seats").json()
    sold = {seat["id"] for seat in holds[0]["seats"]}
    assert [seat["state"] for seat in seat_map["seatmap"]["seats"] if seat["id"] in sold] == ["sold", "sold"]
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 47

    # the buyer is recorded once per house with no consent given; the order keeps its buyer and the consents
    # as ticked (both off unless ticked), pending until the address's owner follows the e-mail's link
    dynamodb = resources.client("dynamodb", stack.moto.url)
    for house in (theatre, club):
        items = dynamodb.query(
            TableName=stack.refs["CustomerTable"],
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"HOUSE#{house.id}"}},
        )["Items"]
        records = [item for item in items if item["SK"]["S"].startswith("CUSTOMER#")]
        assert len(records) == 1 and records[0]["email"]["S"] == "koper.checkout@example.org"
        assert json.loads(records[0]["consents"]["S"]) == {}
        (kept,) = [item for item in items if item["SK"]["S"] == f"ORDER#{order_id}"]
        pending = json.loads(kept["pending"]["S"])
        assert {choice["kind"]: choice["granted"] for choice in pending} == {"marketing": False, "sharing": False}
        assert all(choice["wording"] and choice["verified"] is False for choice in pending)

    # tickets verify offline with the cluster's public key
    published_keys = buyer.get("/ticket-keys").json()["keys"]
    _, keys, _ = keys_from_seeds(json.loads(stack.secret_values["TicketKeySecret"]))
    assert set(published_keys) == set(keys)
    verifier = TicketVerifier(published_keys)
    claims = verifier.verify(view["tickets"][0]["qr_payload"], int(time.time()))
    assert claims.order_id == order_id

    # balanced ledger entries: a sale per owning house (revenue and VAT), the provider's fee borne pro rata
    entries = ledger_entries(stack, order_id)
    assert sorted(e["kind"] for e in entries.values()) == ["fee", "sale", "sale"]
    net = net_by_account(entries.values())
    fee = -sum(p["amount"] for p in entries[f"{order_id}:fee"]["postings"] if p["account"] == "payments:clearing")
    assert fee > 0 and net["payments:clearing"] == 10100 - fee
    assert net[f"house:{theatre.id}:vat"] == -2 * vat_in(2800) and net[f"house:{club.id}:vat"] == -3 * vat_in(1500)
    for house, gross in ((theatre, 5600), (club, 4500)):
        assert -(net[f"house:{house.id}:revenue"] + net[f"house:{house.id}:vat"]) == gross
    assert net[f"house:{theatre.id}:fees"] + net[f"house:{club.id}:fees"] == fee

    # the tickets were e-mailed with their PDFs
    mails = requests.get(f"{stack.outbox.url}/messages.json", timeout=10).json()
    mail = next((m for m in mails if order_id in m["subject"]), None)
    assert mail, (
        mails,
        [f.get("taskFailedEventDetails", {}).get("cause", "")[-1500:] for f in failures(stack, order_id)],
    )
    assert "koper.checkout@example.org" in mail["to"] and len(mail["attachments"]) == 2
    pdf = buyer.get(f"/checkouts/{order_id}/tickets.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_webhook_with_a_bad_signature_changes_no_order(stack, signing_key, buyer):
    cart, *_ = two_house_cart(stack, signing_key, buyer, seats=1, places=1)
    order_id = submit(buyer, cart["id"])["order_id"]
    view = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    body = json.dumps(
        {
            "id": "evt_forged_checkout",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": 1,
            "data": {
                "object": {
                    "id": view["payment"]["payment_intent_id"],
                    "object": "payment_intent",
                    "amount": 4300,
                    "metadata": {"order_id": order_id},
                }
            },
        }
    )
    header = f"t={int(time.time())},v1=" + stripe.WebhookSignature._compute_signature(
        f"{int(time.time())}.{body}", "whsec_wrong"
    )
    response = requests.post(
        f"{stack.api_url}/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    time.sleep(1)
    assert buyer.get(f"/checkouts/{order_id}").json()["status"] == "awaiting_payment"
    assert execution(stack, order_id)["status"] == "RUNNING"
    buyer.post(f"/checkouts/{order_id}/cancel")
    assert wait_for(buyer, order_id, {"failed"})["reason"] == "payment_canceled"


def test_a_checkout_names_only_a_house_allowed_to_sell_its_places_as_seller(stack, signing_key, buyer):
    from .conftest import HouseFixture

    cart, (theatre, club), (seated, standing), holds = two_house_cart(stack, signing_key, buyer)
    outsider = HouseFixture(stack, signing_key)
    for seller in (outsider.id, theatre.id, "no-such-house"):  # the theatre may not sell the club's places
        refused = buyer.post(
            f"/carts/{cart['id']}/checkout",
            {"buyer": BUYER, "seller_house_id": seller},
            headers={"Accept-Language": "en"},
        )
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["code"] == "validation_failed" and [e["field"] for e in problem["errors"]] == ["seller_house_id"]
        assert problem["title"] and problem["detail"]
    # nothing was written: the cart is still open and changeable, and no order exists for it
    assert buyer.get(f"/carts/{cart['id']}").status_code == 200
    assert buyer.request("PUT", f"/carts/{cart['id']}/holds/{holds[0]['id']}", json={}).status_code == 200
    # the club holding an allocation of the theatre's performance may sell both
    allocation = theatre.admin.post(
        f"/staff/performances/{seated['id']}/allocations",
        {"house_id": club.id, "seats": ["zaal-E-10"], "returns_at": seated["starts_at"]},
    )
    assert allocation.status_code == 201, allocation.text
    view = submit(buyer, cart["id"], seller_house_id=club.id)
    assert view["status"] in ("pending", "awaiting_payment")
    order = buyer.get(f"/checkouts/{view['order_id']}").json()
    assert order["order_id"] == view["order_id"]


def test_the_performances_own_house_is_always_an_allowed_seller(stack, signing_key, buyer):
    from scripts.embedded import demo_seatmaps

    from .conftest import HouseFixture

    theatre = HouseFixture(stack, signing_key)
    performance = theatre.performance(demo_seatmaps.test_hall(3, 3))
    cart = buyer.post("/carts").json()
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    assert buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    assert submit(buyer, cart["id"], seller_house_id=theatre.id)["order_id"]


def test_standing_availability_counts_places_held_awaiting_payment_and_sold(stack, signing_key, buyer, house):
    from scripts.embedded import demo_seatmaps

    from .conftest import Client, buyer_session

    performance = house.performance(demo_seatmaps.standing_venue(20), standing_shards=2)
    path = f"/performances/{performance['id']}"

    def figures():
        availability = Client(stack.api_url).get(path).json()["availability"]
        return {name: availability[name] for name in ("capacity", "available", "held", "sold")}

    def checkout(client, places):
        cart = client.post("/carts").json()
        hold = client.post(f"{path}/holds", {"standing": {"count": places}}).json()
        assert client.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
        return wait_for(client, submit(client, cart["id"])["order_id"], {"awaiting_payment"}, stack=stack)

    awaiting = checkout(buyer, 4)
    payer = Client(stack.api_url, session_token=buyer_session())
    paid = checkout(payer, 2)
    assert (
        Client(stack.api_url, session_token=buyer_session())
        .post(f"{path}/holds", {"standing": {"count": 3}})
        .status_code
        == 201
    )
    assert figures() == {"capacity": 20, "available": 11, "held": 9, "sold": 0}
    pay(stack, paid)
    assert wait_for(payer, paid["order_id"], {"completed"}, stack=stack)["status"] == "completed"
    assert figures() == {"capacity": 20, "available": 11, "held": 7, "sold": 2}
    assert awaiting["status"] == "awaiting_payment"
