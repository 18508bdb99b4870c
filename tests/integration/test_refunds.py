"""Refunds over HTTP: house staff refund their own tickets only; a cancelled performance refunds everything."""

from __future__ import annotations

import json
import time

from chalicelib.web.auth import Role

from .checkout_helpers import (
    ledger_entries,
    net_by_account,
    pay,
    poll,
    provider_client,
    submit,
    two_house_cart,
    vat_in,
    wait_for,
)
from .conftest import Client, buyer_session
from .test_checkout_outcomes import order_placed_queue, published


def paid_order(stack, signing_key, seats=2, places=3):
    buyer = Client(stack.api_url, session_token=buyer_session())
    cart, houses, performances, holds = two_house_cart(stack, signing_key, buyer, seats=seats, places=places)
    order_id = submit(buyer, cart["id"])["order_id"]
    intent = pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    view = wait_for(buyer, order_id, {"completed"}, stack=stack)
    return buyer, order_id, view, houses, performances, intent


def wait_for_refund(staff: Client, order_id: str, refund_id: str, timeout: float = 30) -> dict:
    return poll(
        lambda: staff.get(f"/staff/orders/{order_id}/refunds/{refund_id}").json(),
        lambda refund: refund["status"] == "completed",
        timeout,
        what=f"refund {refund_id} completed",
    )


def test_a_house_refunds_one_of_its_tickets_and_only_its_own(stack, signing_key):
    queue = order_placed_queue(stack)
    buyer, order_id, view, (theatre, club), (seated, standing), intent = paid_order(stack, signing_key)
    theatre_desk = Client(stack.api_url, theatre.token_for(Role.BOX_OFFICE))
    club_admin = club.admin
    mine = theatre_desk.get(f"/staff/orders/{order_id}").json()
    assert {t["performance_id"] for t in mine["tickets"]} == {seated["id"]} and len(mine["tickets"]) == 2
    ticket = mine["tickets"][0]

    # the club cannot see or refund the theatre's ticket: its own part of the order only
    assert {t["performance_id"] for t in club_admin.get(f"/staff/orders/{order_id}").json()["tickets"]} == {
        standing["id"]
    }
    refused = club_admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket["ticket_id"]]})
    assert refused.status_code == 404
    scanner = Client(stack.api_url, theatre.token_for(Role.SCANNER))
    assert scanner.post(f"/staff/orders/{order_id}/refunds", {}).status_code == 403

    # a reason outside the fixed list is refused and changes nothing
    unknown = theatre_desk.post(
        f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket["ticket_id"]], "reason_code": "ziek"}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason_code", unknown.text
    assert unknown.headers["Content-Type"] == "application/problem+json"
    typed = theatre_desk.post(
        f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket["ticket_id"]], "reason": "free text"}
    )
    assert typed.status_code == 422 and typed.json()["errors"][0]["field"] == "reason", typed.text
    assert all(t["status"] == "valid" for t in theatre_desk.get(f"/staff/orders/{order_id}").json()["tickets"])
    assert theatre_desk.get(f"/staff/orders/{order_id}").json()["refunds"] == []

    note = "Jan Peeters belde: ziek, kan niet komen"
    response = theatre_desk.post(
        f"/staff/orders/{order_id}/refunds",
        {"ticket_ids": [ticket["ticket_id"]], "reason_code": "customer_request", "note": note},
    )
    assert response.status_code == 202, response.text
    refund = wait_for_refund(theatre_desk, order_id, response.json()["refund_id"])
    assert refund["amount"] == {"amount": 2800, "currency": "EUR"}
    # the note stays in the house's own records; only the code leaves (events, the exchange platform)
    assert refund["reason_code"] == "customer_request" and refund["note"] == note
    again = theatre_desk.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket["ticket_id"]]})
    assert again.status_code == 409 and again.json()["code"] == "not_refundable"

    # the money went back, the ticket is void, the seat is for sale again, the ledger is reversed
    refunds = provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data
    assert [r.amount for r in refunds] == [2800]
    tickets = {t["ticket_id"]: t["status"] for t in theatre_desk.get(f"/staff/orders/{order_id}").json()["tickets"]}
    assert tickets[ticket["ticket_id"]] == "void" and list(tickets.values()).count("valid") == 1
    seats = {s["id"]: s["state"] for s in buyer.get(f"/performances/{seated['id']}/seats").json()["seatmap"]["seats"]}
    assert seats[ticket["seat_id"]] == "free"
    entries = ledger_entries(stack, order_id)
    net = net_by_account(entries.values())
    refund_entry = next(e for e in entries.values() if e["kind"] == "refund")
    assert {p["account"]: p["amount"] for p in refund_entry["postings"]} == {
        "payments:clearing": -2800,
        f"house:{theatre.id}:vat": vat_in(2800),
        f"house:{theatre.id}:revenue": 2800 - vat_in(2800),
    }
    fee = -sum(p["amount"] for p in entries[f"{order_id}:fee"]["postings"] if p["account"] == "payments:clearing")
    assert net["payments:clearing"] == 10100 - 2800 - fee  # the provider keeps its fee
    assert -(net[f"house:{theatre.id}:revenue"] + net[f"house:{theatre.id}:vat"]) == 5600 - 2800
    events = [e for e in published(stack, queue, order_id) if e["type"] == "TicketRefunded"]
    assert len(events) == 1 and events[0]["detail"]["tickets"][0]["ticket_id"] == ticket["ticket_id"]
    assert events[0]["detail"]["reason"] == "customer_request" and "Peeters" not in json.dumps(events[0])
    refund_id = refund["refund_id"]
    sent = poll(
        lambda: [r.body for r in stack.uit.exchange.service.received("/transactions") if refund_id in r.body],
        bool,
        30,
        what="the refund on the exchange platform",
    )
    assert [node["reden"] for node in json.loads(sent[0])["@graph"]] == ["customer_request"]
    assert "Peeters" not in "".join(sent)


def test_a_partial_standing_refund_puts_places_back_once_even_when_repeated(stack, signing_key):
    from chalicelib.domain.catalog import utcnow
    from chalicelib.services import refunds

    buyer, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=1, places=3)
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 47
    place = next(t for t in view["tickets"] if t["performance_id"] == standing["id"])
    response = club.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [place["ticket_id"]]})
    refund_id = response.json()["refund_id"]
    wait_for_refund(club.admin, order_id, refund_id)
    refunds.void_and_release(order_id, refund_id, utcnow())  # a retried task changes nothing
    time.sleep(3.1)  # the agenda's availability may be cached for 3 s
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 48


def test_cancelling_a_performance_refunds_every_ticket_of_it(stack, signing_key):
    first = paid_order(stack, signing_key, seats=2, places=1)
    _, order_id, _, (theatre, club), (seated, standing), intent = first
    response = theatre.admin.patch(f"/staff/performances/{seated['id']}", {"status": "cancelled"})
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tickets = theatre.admin.get(f"/staff/orders/{order_id}").json()["tickets"]
        if all(t["status"] == "void" for t in tickets):
            break
        time.sleep(0.2)
    assert [t["status"] for t in tickets] == ["void", "void"]
    assert [t["status"] for t in club.admin.get(f"/staff/orders/{order_id}").json()["tickets"]] == ["valid"]
    refunds = provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data
    assert [r.amount for r in refunds] == [5600]
    # cancelling again refunds nothing twice
    theatre.admin.patch(f"/staff/performances/{seated['id']}", {"status": "cancelled"})
    time.sleep(1)
    assert len(provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data) == 1
