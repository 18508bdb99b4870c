"""Fan-out over real HTTP and real queues: events reach UiTdatabank, UiTPAS and the exchange platform
through SNS → SQS → the chalice consumers (Powertools batch + idempotency), with retries, a DLQ and replay."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime

from chalicelib import ports
from chalicelib.domain.exchange import buyer_pseudonym
from scripts.embedded import resources
from scripts.embedded.uit import sample_event

from .checkout_helpers import BUYER, personal_data_in, table_items
from .fanout_helpers import (
    drain,
    events_queue,
    eventually,
    exchange_posts_about,
    paid_single_house_order,
    queue_depth,
    sale_id,
    send_back,
    small_performance,
    take_messages,
)
from .test_refunds import paid_order, wait_for_refund

ROOT = resources.ROOT


def uitdatabank_event(stack, dates: int = 3) -> str:
    return stack.uit.uitdatabank.service.add_event(sample_event(dates))


def map_to_uitdatabank(house, performance_id: str, event_id: str, sub_event: int) -> None:
    response = house.admin.request(
        "PUT",
        f"/staff/performances/{performance_id}/uitdatabank",
        json={"event_id": event_id, "sub_event_id": sub_event},
    )
    assert response.status_code == 200, response.text


def test_an_order_reaches_the_exchange_platform_pseudonymised_and_a_duplicate_has_one_effect(stack, signing_key):
    from chalicelib.services.checkout import publish_order_placed

    _, order_id, view, (theatre, club), _, _ = paid_order(stack, signing_key, seats=2, places=1)
    tickets = [t["ticket_id"] for t in view["tickets"]]
    exchange = stack.uit.exchange.service
    eventually(lambda: all(sale_id(t) in exchange.nodes for t in tickets), what="the sales at the exchange platform")
    customer_ids = json.loads(table_items(stack, f"ORDER#{order_id}", "ORDER")[0]["customer_ids"]["S"])
    key = json.loads(stack.secret_values["ExchangeSecret"])["pseudonym_key"].encode()
    for ticket in view["tickets"]:
        node = exchange.nodes[sale_id(ticket["ticket_id"])]
        house = ticket.get("house_id") or (theatre.id if node["organisator"].endswith(theatre.id) else club.id)
        assert node["deelnemer"] == buyer_pseudonym(key, house, customer_ids[house])
        assert node["postcodegebied"] == BUYER["postcode"][:2]
        assert node["@type"] == "cp:Ticketverkoop" and node["aantal"] == 1
    # one pseudonym per house: the platform cannot link the buyer across houses
    assert len({exchange.nodes[sale_id(t)]["deelnemer"] for t in tickets}) == 2
    posts = exchange_posts_about(stack, tickets[0])
    assert len(posts) == 1

    # the same event again (SNS and SQS are at-least-once): no second post, no second sale
    publish_order_placed(order_id, datetime.now(UTC))
    stack.consumers.wait_idle(20)
    assert len(exchange_posts_about(stack, tickets[0])) == 1


def test_sold_out_and_available_again_reach_uitdatabank_once_each(stack, house):
    published = events_queue(stack)
    performance = small_performance(house, seats=2)
    event_id = uitdatabank_event(stack, dates=3)
    map_to_uitdatabank(house, performance["id"], event_id, 1)
    uitdatabank = stack.uit.uitdatabank.service
    order_id, view = paid_single_house_order(stack, house, performance, count=2)
    eventually(lambda: uitdatabank.sub_event_availability(event_id, 1) == "Unavailable", what="Unavailable")
    assert [uitdatabank.sub_event_availability(event_id, i) for i in (0, 2)] == ["Available", "Available"]

    # UiTdatabank fails twice (500, then 429 with Retry-After) and the cached token is revoked (401: the client
    # fetches a new one, once): the update still arrives
    stack.uit.auth.service.revoke_all()
    uitdatabank.inject(f"/events/{event_id}", 500, method="PATCH")
    uitdatabank.inject(f"/events/{event_id}", 429, retry_after=0.5, method="PATCH")
    ticket = view["tickets"][0]["ticket_id"]
    refund = house.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket]})
    assert refund.status_code == 202, refund.text
    wait_for_refund(house.admin, order_id, refund.json()["refund_id"])
    eventually(lambda: uitdatabank.sub_event_availability(event_id, 1) == "Available", what="Available again")
    patches = [r for r in uitdatabank.received(f"/events/{event_id}/sub-events", "PATCH")]
    assert [r.status for r in patches][-4:] == [500, 429, 401, 204]
    assert patches[-2].at - patches[-3].at >= 0.45  # Retry-After was honoured
    assert patches[-1].authorization != patches[-2].authorization  # a new token

    stack.consumers.wait_idle(20)
    kinds = [e["type"] for e in drain(stack, published) if e["detail"].get("performance_id") == performance["id"]]
    assert kinds == ["PerformanceSoldOut", "PerformanceAvailable"]


def test_a_cancelled_performance_is_unavailable_and_a_poison_message_is_replayed_from_the_dlq(stack, house):
    performance = small_performance(house, seats=2)
    missing_event = str(uuid.uuid4())  # a mapping mistake: UiTdatabank does not know this event
    map_to_uitdatabank(house, performance["id"], missing_event, 0)
    response = house.admin.patch(f"/staff/performances/{performance['id']}", {"status": "cancelled"})
    assert response.status_code == 200, response.text

    dlq = "UitdatabankDeadLetterQueue"
    eventually(lambda: queue_depth(stack, dlq) >= 1, timeout=60, what="the message in the DLQ")
    failures = stack.uit.uitdatabank.service.received(f"/events/{missing_event}")
    assert len(failures) == 5 and {r.status for r in failures} == {404}  # maxReceiveCount, not retried in-process

    # the fix: the event exists in UiTdatabank now; the replay brings the message back and it is applied
    stack.uit.uitdatabank.service.add_event(sample_event(2), event_id=missing_event)
    env = {**os.environ, "AWS_ENDPOINT_URL": stack.moto.url, "PODIUM_STAGE": "demo"}
    result = subprocess.run(
        [str(ROOT / "scripts" / "replay-dlq"), "uitdatabank"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Moved 1 message(s)" in result.stdout
    eventually(
        lambda: stack.uit.uitdatabank.service.sub_event_availability(missing_event, 0) == "Unavailable",
        what="the replayed update",
    )
    assert queue_depth(stack, dlq) == 0


def test_a_refund_delivered_before_its_sale_is_applied_at_the_exchange_platform(stack, signing_key):
    poller = stack.consumers["ExchangeQueue"]
    poller.pause()
    try:
        _, order_id, view, (theatre, club), _, _ = paid_order(stack, signing_key, seats=1, places=1)
        ticket = view["tickets"][0]["ticket_id"]
        owner = (
            theatre
            if any(t["ticket_id"] == ticket for t in theatre.admin.get(f"/staff/orders/{order_id}").json()["tickets"])
            else club
        )
        refund = owner.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [ticket]})
        assert refund.status_code == 202, refund.text
        wait_for_refund(owner.admin, order_id, refund.json()["refund_id"])
        ours = {}
        eventually(
            lambda: (
                ours.update(
                    {
                        json.loads(m["Body"])["type"]: m
                        for m in take_messages(
                            stack, "ExchangeQueue", lambda e: e["detail"].get("order_id") == order_id
                        )
                    }
                )
                or len(ours) == 2
            ),
            what="the sale and the refund in the exchange queue",
        )
    finally:
        poller.resume()
    # the network reorders: the refund arrives first
    send_back(stack, "ExchangeQueue", ours["TicketRefunded"])
    exchange = stack.uit.exchange.service
    eventually(lambda: exchange.sale_state(sale_id(ticket))["state"] == "refund_awaiting_sale", what="the refund")
    send_back(stack, "ExchangeQueue", ours["OrderPlaced"])
    state = eventually(
        lambda: (lambda s: s if s["state"] == "refunded" else None)(exchange.sale_state(sale_id(ticket))),
        what="the sale",
    )
    assert state["quantity"] == 0 and state["amount"] == "0.00"
    other = next(t["ticket_id"] for t in view["tickets"] if t["ticket_id"] != ticket)
    assert exchange.sale_state(sale_id(other))["state"] == "sold"


def test_uitpas_sales_of_refunded_tickets_are_cancelled(stack, house):
    from chalicelib.domain.catalog import utcnow
    from chalicelib.integrations import uitpas
    from chalicelib.integrations.uitpas import TicketSaleRequest
    from chalicelib.services.integrations import register_uitpas_sales

    client = uitpas.client()
    event_id = uitdatabank_event(stack)
    active, expired, none = "0900000095902", "0900000058918", "0900000067513"
    assert client.get_pass(active).social_tariff_status == "ACTIVE"
    offer = client.tariffs(event_id, active, 2800)
    assert [(t.type, t.price_cents) for t in offer.available] == [("SOCIALTARIFF", 700)]
    assert client.tariffs(event_id, expired, 2800).end_user_message.startswith("Je kansentarief is verlopen")
    assert client.tariffs(event_id, none, 2800).available == ()

    performance = small_performance(house, seats=2)
    order_id, view = paid_single_house_order(stack, house, performance, count=2)
    tickets = [t["ticket_id"] for t in view["tickets"]]
    sale_ids = register_uitpas_sales(
        order_id, [(t, TicketSaleRequest(2800, offer.available[0].id, event_id, active)) for t in tickets], utcnow()
    )
    sales = stack.uit.uitpas.service.ticket_sales
    assert [sales[s]["status"] for s in sale_ids] == ["REGISTERED", "REGISTERED"]

    refund = house.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [tickets[0]]})
    assert refund.status_code == 202, refund.text
    eventually(lambda: sales[sale_ids[0]]["status"] == "CANCELLED", what="the UiTPAS sale cancelled")
    stack.consumers.wait_idle(20)
    assert sales[sale_ids[1]]["status"] == "REGISTERED"
    deletes = stack.uit.uitpas.service.received("/ticket-sales/", "DELETE")
    assert [r.path for r in deletes if sale_ids[0] in r.path] == [f"/ticket-sales/{sale_ids[0]}"]


def test_a_check_in_and_transient_failures_at_the_exchange_platform(stack):
    exchange = stack.uit.exchange.service
    ticket = "t-" + uuid.uuid4().hex[:8]
    exchange.inject("/transactions", 429, retry_after=0.3, body_contains=ticket)
    exchange.inject("/transactions", 503, body_contains=ticket)
    ports.events().publish(
        "CheckedIn",
        f"CheckedIn:{ticket}",
        datetime.now(UTC),
        {
            "ticket_id": ticket,
            "order_id": "o_unknown",
            "performance_id": "p-x",
            "house_id": "h-x",
            "tariff_code": "full",
        },
    )
    node_id = f"urn:podium:demo:aanwezigheid:{ticket}"
    eventually(lambda: node_id in exchange.nodes, what="the check-in")
    assert [r.status for r in exchange_posts_about(stack, ticket)] == [429, 503, 202]
    assert exchange.nodes[node_id]["betreft"] == sale_id(ticket) and "deelnemer" not in exchange.nodes[node_id]


def test_nothing_personal_in_any_exchange_payload_so_far(stack):
    # Also checked for the whole run at the end of the session (conftest); here for what ran before.
    payloads = stack.uit.exchange.service.payloads()
    assert payloads
    for body in payloads:
        assert not personal_data_in(body), body[:300]


def test_a_door_check_in_reaches_the_exchange_platform_with_the_sales_pseudonym(stack, signing_key):
    from chalicelib.web.auth import Role

    from .conftest import Client

    _, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=1, places=1)
    ticket = next(t for t in view["tickets"] if t["house_id"] == theatre.id)
    door = Client(stack.api_url, theatre.token_for(Role.SCANNER))
    answer = door.post(
        "/staff/checkins", {"performance_id": seated["id"], "payload": ticket["qr_payload"], "gate": "hoofdingang"}
    )
    assert answer.status_code == 200, answer.text
    exchange = stack.uit.exchange.service
    node_id = f"urn:podium:demo:aanwezigheid:{ticket['ticket_id']}"
    eventually(
        lambda: node_id in exchange.nodes and sale_id(ticket["ticket_id"]) in exchange.nodes,
        what="the check-in and its sale",
    )
    check_in, sale = exchange.nodes[node_id], exchange.nodes[sale_id(ticket["ticket_id"])]
    assert check_in["deelnemer"] == sale["deelnemer"] and check_in["tariefcategorie"] == sale["tariefcategorie"]
    assert exchange.sale_state(sale_id(ticket["ticket_id"]))["check_ins"] == [check_in]
