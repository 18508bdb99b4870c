"""Bundles over HTTP: the coordinator creates them, buyers hold every performance's places at once or none,
the cart prices a bundle as one line, checkout books each house its share to the cent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.agreements import split_bundle
from chalicelib.domain.money import Money
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps, resources

from .checkout_helpers import ledger_entries, net_by_account, pay, poll, submit, table_items, vat_in, wait_for
from .conftest import Client, HouseFixture, buyer_session, unique

THEATRE_PRICE = 2800
CLUB_PRICE = 1500


class Festival:
    """Two houses (a seated theatre and a standing club), one performance each, and a bundle of both."""

    def __init__(
        self,
        stack,
        signing_key,
        standing: int = 30,
        price: int = 4000,
        places: int = 1,
        rows: int = 5,
        per_row: int = 10,
        **bundle,
    ):
        self.stack = stack
        self.theatre, self.club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
        self.seated = self.theatre.performance(
            demo_seatmaps.test_hall(rows, per_row),
            tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": THEATRE_PRICE}}],
        )
        self.standing = self.club.performance(
            demo_seatmaps.standing_venue(standing),
            tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": CLUB_PRICE}}],
        )
        self.coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
        now = datetime.now(UTC)
        self.body = {
            "id": unique("pass"),
            "name": {"nl": "Festivalpas", "fr": "Pass festival", "en": "Festival pass"},
            "performances": [
                {"performance_id": self.seated["id"], "places": places},
                {"performance_id": self.standing["id"], "places": places},
            ],
            "price": price,
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (now + timedelta(days=6)).isoformat(),
            "status": "on_sale",
            **bundle,
        }
        response = self.coordinator.post("/staff/bundles", self.body)
        assert response.status_code == 201, response.text
        self.bundle = response.json()
        self.id = self.bundle["id"]


def held_seats(stack, performance_id: str) -> dict[str, str]:
    """seat id → hold id of every held seat of a performance, read from the table."""
    return {
        item["SK"]["S"][5:]: item["hold_id"]["S"]
        for item in table_items(stack, f"PERF#{performance_id}", "SEAT#")
        if item["state"]["S"] == "held"
    }


def standing_left(public: Client, performance_id: str) -> int:
    return public.get(f"/performances/{performance_id}").json()["availability"]["available"]


def test_the_coordinator_creates_a_bundle_over_two_houses_and_buyers_see_it_with_its_availability(
    stack, signing_key, public
):
    festival = Festival(stack, signing_key, standing=30)
    assert festival.bundle["price"] == {"amount": 4000, "currency": "EUR"}
    assert festival.bundle["houses"] == sorted([festival.theatre.id, festival.club.id])
    listed = public.get("/bundles").json()["bundles"]
    assert festival.id in [bundle["id"] for bundle in listed]
    one = public.get(f"/bundles/{festival.id}").json()
    # availability is the minimum over the performances: 50 seats, 30 standing places
    assert one["availability"]["available"] == 30 and one["availability"]["level"] == "available"
    assert [p["performance_id"] for p in one["performances"]] == [festival.seated["id"], festival.standing["id"]]
    # a house admin may not create one (bundles bind several houses to one price: the coordinator's)
    response = festival.theatre.admin.post("/staff/bundles", {**festival.body, "id": unique("pass")})
    assert response.status_code == 403
    # the same id twice is a conflict
    assert festival.coordinator.post("/staff/bundles", festival.body).status_code == 409
    # pausing takes it off sale
    paused = festival.coordinator.patch(f"/staff/bundles/{festival.id}", {"status": "paused"}).json()
    assert paused["on_sale"] is False and paused["availability"]["level"] == "not_on_sale"
    buyer = Client(stack.api_url, session_token=buyer_session())
    refused = buyer.post(f"/bundles/{festival.id}/holds", {})
    assert refused.status_code == 409 and refused.json()["code"] == "not_on_sale"


def test_invalid_bundles_are_refused_with_field_errors_and_nothing_is_stored(stack, signing_key, public):
    festival = Festival(stack, signing_key)
    coordinator, body = festival.coordinator, festival.body
    cases = [
        (
            {"performances": [{"performance_id": festival.seated["id"]}, {"performance_id": festival.seated["id"]}]},
            "performances[1].performance_id",
            "duplicate",
        ),
        (
            {"performances": [{"performance_id": festival.seated["id"]}, {"performance_id": "nope"}]},
            "performances[1].performance_id",
            "unknown_performance",
        ),
        (
            {
                "performances": [
                    {"performance_id": festival.seated["id"], "fixed_cents": 1000},
                    {"performance_id": festival.standing["id"], "fixed_cents": 1000},
                ]
            },
            "performances",
            "fixed_amounts_do_not_add_up",
        ),
        (
            {
                "performances": [
                    {"performance_id": festival.seated["id"], "fixed_cents": 1000},
                    {"performance_id": festival.standing["id"]},
                ]
            },
            "performances",
            "fixed_amounts_incomplete",
        ),
        ({"sales_end": body["sales_start"]}, "sales_end", "sales_window_empty"),
        ({"sales_end": (datetime.now(UTC) + timedelta(days=30)).isoformat()}, "sales_end", "sales_after_start"),
        ({"price": -1}, "price", "greater_than_equal"),
        ({"performances": [{"performance_id": festival.seated["id"]}]}, "performances", "too_short"),
        ({"name": {"fr": "Pass"}}, "name", "value_error"),
    ]
    for change, field, code in cases:
        bundle_id = unique("bad")
        response = coordinator.post("/staff/bundles", {**body, "id": bundle_id, **change})
        assert response.status_code == 422, (change, response.text)
        problem = response.json()
        assert problem["code"] == "validation_failed"
        assert (field, code) in [(e["field"], e["code"]) for e in problem["errors"]], (change, problem["errors"])
        assert public.get(f"/bundles/{bundle_id}").status_code == 404


def test_a_bundle_hold_takes_places_in_both_houses_and_the_cart_charges_the_bundle_price_once(stack, signing_key):
    festival = Festival(stack, signing_key, standing=30, price=4000)
    buyer = Client(stack.api_url, session_token=buyer_session())
    response = buyer.post(f"/bundles/{festival.id}/holds", {"quantity": 2})
    assert response.status_code == 201, response.text
    hold = response.json()
    assert [h["performance_id"] for h in hold["holds"]] == [festival.seated["id"], festival.standing["id"]]
    assert [h["quantity"] for h in hold["holds"]] == [2, 2]
    seated_hold, standing_hold = hold["holds"]
    assert set(held_seats(stack, festival.seated["id"])) == {seat["id"] for seat in seated_hold["seats"]}
    assert standing_left(buyer, festival.standing["id"]) == 28

    cart = buyer.post("/carts").json()
    # adding any hold of the bundle adds the whole bundle; a tariff makes no sense for it
    refused = buyer.request("PUT", f"/carts/{cart['id']}/holds/{standing_hold['id']}", json={"tariff": "full"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "bundle_has_one_price"
    view = buyer.request("PUT", f"/carts/{cart['id']}/holds/{standing_hold['id']}", json={}).json()
    assert view["total"] == {"amount": 8000, "currency": "EUR"}  # two bundles at 40 €, not the tariffs' 86 €
    assert view["bundles"] == [
        {
            "bundle_id": festival.id,
            "hold_ids": [seated_hold["id"], standing_hold["id"]],
            "places": 4,
            "price": {"amount": 8000, "currency": "EUR"},
        }
    ]
    assert {line["tariff"] for line in view["lines"]} == {"bundle"}
    subtotals = {h["house_id"]: h["subtotal"]["amount"] for h in view["houses"]}
    rule = festival.coordinator.get("/staff/agreement").json()["bundle_split"]
    expected = split_bundle(Money(8000), [(2 * THEATRE_PRICE, 0), (2 * CLUB_PRICE, 0)], rule)
    assert subtotals == {festival.theatre.id: expected[0].cents, festival.club.id: expected[1].cents}

    # taking it out takes the whole bundle out and gives every place back
    emptied = buyer.delete(f"/carts/{cart['id']}/holds/{seated_hold['id']}").json()
    assert emptied["lines"] == [] and emptied["bundles"] == []
    assert held_seats(stack, festival.seated["id"]) == {}
    assert standing_left(buyer, festival.standing["id"]) == 30


def test_releasing_one_hold_of_a_bundle_releases_the_whole_bundle(stack, signing_key):
    festival = Festival(stack, signing_key, standing=10)
    buyer = Client(stack.api_url, session_token=buyer_session())
    hold = buyer.post(f"/bundles/{festival.id}/holds", {}).json()
    assert len(held_seats(stack, festival.seated["id"])) == 1 and standing_left(buyer, festival.standing["id"]) == 9
    assert buyer.delete(f"/holds/{hold['holds'][1]['id']}").status_code == 200
    assert held_seats(stack, festival.seated["id"]) == {} and standing_left(buyer, festival.standing["id"]) == 10
    assert buyer.get(f"/holds/{hold['holds'][0]['id']}").json()["status"] == "released"


def test_when_one_performance_cannot_supply_nothing_is_held_anywhere(stack, signing_key):
    festival = Festival(stack, signing_key, standing=2)
    other = Client(stack.api_url, session_token=buyer_session())
    assert other.post(f"/performances/{festival.standing['id']}/holds", {"standing": {"count": 1}}).status_code == 201
    buyer = Client(stack.api_url, session_token=buyer_session())
    # two bundles need two standing places; one is left
    response = buyer.post(f"/bundles/{festival.id}/holds", {"quantity": 2})
    assert response.status_code == 409 and response.json()["code"] == "sold_out", response.text
    assert response.json()["performance_id"] == festival.standing["id"]
    assert held_seats(stack, festival.seated["id"]) == {} and standing_left(buyer, festival.standing["id"]) == 1

    # a specific seat someone else holds: refused naming it, and the standing place is not taken either
    seat = other.post(f"/performances/{festival.seated['id']}/holds", {"best_available": {"count": 1}}).json()
    taken = seat["seats"][0]["id"]
    response = buyer.post(
        f"/bundles/{festival.id}/holds", {"performances": {festival.seated["id"]: {"seats": [taken]}}}
    )
    assert response.status_code == 409 and response.json()["code"] == "seats_unavailable"
    assert response.json()["taken"] == [taken]
    assert held_seats(stack, festival.seated["id"]) == {taken: seat["id"]}
    assert standing_left(buyer, festival.standing["id"]) == 1
    # the buyer's session holds nothing at all: no hold record was written for it
    dynamodb = resources.client("dynamodb", stack.moto.url)
    holds = dynamodb.query(
        TableName=stack.refs["MainTable"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"PERF#{festival.seated['id']}#HOLDS"}},
    )["Items"]
    assert [item["hold_id"]["S"] for item in holds] == [seat["id"]]


def test_bad_bundle_holds_are_problems_and_hold_nothing(stack, signing_key):
    festival = Festival(stack, signing_key, standing=10)
    buyer = Client(stack.api_url, session_token=buyer_session())
    seat_ids = [seat["id"] for seat in demo_seatmaps.test_hall(5, 10)["seats"]]
    cases = [
        ({"quantity": 0}, 422, "validation_failed"),
        ({"quantity": 11}, 422, "validation_failed"),
        ({"performances": {"not-in-it": {}}}, 422, "validation_failed"),
        ({"performances": {festival.seated["id"]: {"seats": seat_ids[:2]}}}, 422, "validation_failed"),
        ({"performances": {festival.seated["id"]: {"seats": ["Z-99"]}}}, 422, "validation_failed"),
        ({"performances": {festival.standing["id"]: {"seats": [seat_ids[0]]}}}, 422, "validation_failed"),
        ({"performances": {festival.seated["id"]: {"category": "Q"}}}, 422, "validation_failed"),
        (
            {"performances": {festival.seated["id"]: {"seats": [seat_ids[0]], "category": "A"}}},
            422,
            "validation_failed",
        ),
        ({"surprise": 1}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        response = buyer.post(f"/bundles/{festival.id}/holds", body)
        assert response.status_code == status and response.json()["code"] == code, (body, response.text)
    # two places per bundle in the theatre: six bundles would be 12 seats in one hold, over the cluster's 10
    doubled = Festival(stack, signing_key, standing=20, places=2)
    response = buyer.post(f"/bundles/{doubled.id}/holds", {"quantity": 6})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "quantity", response.text
    assert held_seats(stack, doubled.seated["id"]) == {}
    assert buyer.post("/bundles/nope/holds", {}).status_code == 404
    assert Client(stack.api_url).post(f"/bundles/{festival.id}/holds", {}).status_code == 400  # no session
    assert held_seats(stack, festival.seated["id"]) == {} and standing_left(buyer, festival.standing["id"]) == 10


def test_a_bundle_is_not_held_past_a_performance_s_waiting_room_and_is_again_once_the_room_is_off(stack, signing_key):
    """A bundle hold spends no admission: while one of its performances sells through its waiting room the
    line is the only way in, so the bundle is refused (nothing written) until the house switches the room off."""
    festival = Festival(stack, signing_key, standing=10)
    room = {"rate_per_minute": 60, "opens_at": datetime.now(UTC).isoformat()}
    switched = festival.theatre.admin.patch(f"/staff/performances/{festival.seated['id']}", {"waiting_room": room})
    assert switched.status_code == 200, switched.text
    buyer = Client(stack.api_url, session_token=buyer_session())
    before = table_items(stack, f"PERF#{festival.seated['id']}", "SEAT#")
    refused = buyer.post(f"/bundles/{festival.id}/holds", {"quantity": 1}, headers={"Accept-Language": "fr"})
    assert refused.status_code == 409 and refused.json()["code"] == "waiting_room_on", refused.text
    assert refused.json()["title"] == "File d'attente active"
    assert refused.json()["performances"] == [festival.seated["id"]]
    assert refused.json()["queue"] == f"/performances/{festival.seated['id']}/queue"
    assert table_items(stack, f"PERF#{festival.seated['id']}", "SEAT#") == before
    assert standing_left(buyer, festival.standing["id"]) == 10
    # a single ticket still goes through the line, as before
    assert (
        buyer.post(f"/performances/{festival.seated['id']}/holds", {"best_available": {"count": 1}}).json()["code"]
        == "admission_required"
    )

    off = festival.theatre.admin.patch(f"/staff/performances/{festival.seated['id']}", {"waiting_room": None})
    assert off.status_code == 200 and off.json()["waiting_room"] is None, off.text
    held = buyer.post(f"/bundles/{festival.id}/holds", {"quantity": 1})
    assert held.status_code == 201, held.text
    assert len(held_seats(stack, festival.seated["id"])) == 1 and standing_left(buyer, festival.standing["id"]) == 9


@pytest.mark.race
@pytest.mark.parametrize("scarce", ["standing", "seated"])
def test_buyers_racing_for_a_bundle_whose_one_performance_has_few_places_never_oversell_and_never_hold_half(
    stack, signing_key, scarce
):
    # five places in one of the two performances: the club's standing places, or the theatre's seats
    festival = Festival(
        stack,
        signing_key,
        standing=5 if scarce == "standing" else 40,
        rows=1 if scarce == "seated" else 5,
        per_row=5 if scarce == "seated" else 10,
    )
    buyers = 24
    start = threading.Barrier(buyers)

    def attempt(_):
        client = Client(stack.api_url, session_token=buyer_session())
        start.wait(timeout=60)
        response = client.post(f"/bundles/{festival.id}/holds", {}, timeout=120)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=buyers) as pool:
        results = list(pool.map(attempt, range(buyers)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    winners = [body for status, body in results if status == 201]
    assert len(winners) == 5, statuses  # exactly the club's five places, never more
    assert all(
        body["code"] in ("sold_out", "seats_unavailable", "not_enough_seats")
        for status, body in results
        if status == 409
    )
    # every winner holds both parts; the theatre's held seats are exactly the winners' seats
    winner_seats = {}
    for body in winners:
        seated, standing = body["holds"]
        assert len(seated["seats"]) == 1 and standing["quantity"] == 1
        winner_seats[seated["seats"][0]["id"]] = seated["id"]
    assert held_seats(stack, festival.seated["id"]) == winner_seats
    dynamodb = resources.client("dynamodb", stack.moto.url)
    pages = dynamodb.get_paginator("scan").paginate(  # each shard is a partition of its own
        TableName=stack.refs["MainTable"],
        FilterExpression="begins_with(PK, :pk)",
        ExpressionAttributeValues={":pk": {"S": f"PERF#{festival.standing['id']}#STANDING#"}},
    )
    shards = [item for page in pages for item in page["Items"]]
    assert shards and sum(int(item["remaining"]["N"]) for item in shards) == (0 if scarce == "standing" else 35)
    # no hold record exists for the losers in either performance
    dynamodb = resources.client("dynamodb", stack.moto.url)
    for performance in (festival.seated, festival.standing):
        records = dynamodb.query(
            TableName=stack.refs["MainTable"],
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PERF#{performance['id']}#HOLDS"}},
        )["Items"]
        assert len(records) == 5


def test_a_paid_bundle_books_each_house_its_split_share_to_the_cent_and_is_counted(stack, signing_key):
    festival = Festival(stack, signing_key, standing=20, price=3999)
    buyer = Client(stack.api_url, session_token=buyer_session())
    before = festival.coordinator.get("/staff/reports/cluster").json()["bundles_sold"]
    hold = buyer.post(f"/bundles/{festival.id}/holds", {}).json()
    cart = buyer.post("/carts").json()
    view = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).json()
    assert view["total"]["amount"] == 3999
    order_id = submit(buyer, cart["id"])["order_id"]
    checkout = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    assert checkout["total"] == {"amount": 3999, "currency": "EUR"}
    pay(stack, checkout)
    done = wait_for(buyer, order_id, {"completed", "failed", "refunded"})
    assert done["status"] == "completed", done
    tickets = done["tickets"]
    assert len(tickets) == 2 and {t["tariff"] for t in tickets} == {"bundle"}
    shares = {line["house_id"]: line["price"]["amount"] for line in view["lines"]}
    assert sum(shares.values()) == 3999

    entries = ledger_entries(stack, order_id)
    net = net_by_account(entries.values())
    fee = -sum(p["amount"] for p in entries[f"{order_id}:fee"]["postings"] if p["account"] == "payments:clearing")
    assert net["payments:clearing"] == 3999 - fee
    fees = {h: net[f"house:{h}:fees"] for h in (festival.theatre.id, festival.club.id) if f"house:{h}:fees" in net}
    for house in (festival.theatre, festival.club):
        share = shares[house.id]
        assert net[f"house:{house.id}:vat"] == -vat_in(share)
        assert -(net[f"house:{house.id}:revenue"] + net[f"house:{house.id}:vat"]) == share
    # the statement lines say bundle
    sale = entries[f"{order_id}:sale:{festival.club.id}"]
    assert sale["details"] == [
        {
            "performance_id": festival.standing["id"],
            "tariff_code": "bundle",
            "tickets": 1,
            "gross": shares[festival.club.id],
            "vat": vat_in(shares[festival.club.id]),
            "commission": 0,
        }
    ]
    after = festival.coordinator.get("/staff/reports/cluster").json()["bundles_sold"]
    assert after == before + 1

    # the coordinator refunds the bundle whole: both houses' tickets, each for the share it booked
    assert festival.club.admin.post(f"/staff/orders/{order_id}/bundle-refunds", {}).status_code == 403
    assert (
        festival.coordinator.post(f"/staff/orders/{order_id}/bundle-refunds", {"bundle_id": "another"}).status_code
        == 404
    )
    response = festival.coordinator.post(
        f"/staff/orders/{order_id}/bundle-refunds", {"reason_code": "performance_cancelled", "note": "festival off"}
    )
    assert response.status_code == 202, response.text
    refund = response.json()
    assert refund["amount"] == {"amount": 3999, "currency": "EUR"} and len(refund["ticket_ids"]) == 2
    poll(
        lambda: festival.club.admin.get(f"/staff/orders/{order_id}/refunds/{refund['refund_id']}").json(),
        lambda view: view["status"] == "completed",
        what="the bundle refund",
    )
    net = net_by_account(ledger_entries(stack, order_id).values())
    assert net == {"payments:clearing": -fee, **{f"house:{h}:fees": cents for h, cents in fees.items()}}
    assert standing_left(buyer, festival.standing["id"]) == 20 and held_seats(stack, festival.seated["id"]) == {}
    seats = buyer.get(f"/performances/{festival.seated['id']}/seats").json()["seatmap"]["seats"]
    assert all(seat["state"] == "free" for seat in seats)
    again = festival.coordinator.post(f"/staff/orders/{order_id}/bundle-refunds", {})
    assert again.status_code == 409 and again.json()["code"] == "not_refundable"


def test_the_bundle_transaction_names_what_was_lost_and_writes_nothing(stack, signing_key):
    """The store's one transaction, driven directly: a short standing shard and a taken seat are reported,
    and neither the free seat nor the hold records of the failed claim are written."""
    from chalicelib.domain.holds import Hold, HoldStatus
    from chalicelib.store import reservations

    festival = Festival(stack, signing_key, standing=1)
    other = Client(stack.api_url, session_token=buyer_session())
    taken = other.post(f"/performances/{festival.seated['id']}/holds", {"best_available": {"count": 1}}).json()
    taken_seat = taken["seats"][0]["id"]
    free_seat = next(seat["id"] for seat in demo_seatmaps.test_hall(5, 10)["seats"] if seat["id"] != taken_seat)
    now = datetime.now(UTC)
    first, second = unique("h_test"), unique("h_test")

    def hold(hold_id, performance, seats=(), quantity=0):
        return Hold(
            hold_id,
            performance["id"],
            "?",
            "s" * 64,
            tuple(seats),
            quantity or len(seats),
            now,
            now + timedelta(minutes=5),
            HoldStatus.ACTIVE,
            ((0, quantity),) if quantity else (),
            festival.id,
            (first, second),
            1,
        )

    lost = reservations.claim_bundle(
        [
            (hold(first, festival.seated, seats=[free_seat, taken_seat]), []),
            (hold(second, festival.standing, quantity=2), [(0, 2)]),
        ],
        now,
    )
    assert lost is not None and lost.taken == {festival.seated["id"]: [taken_seat]}
    assert lost.short == {festival.standing["id"]}
    assert held_seats(stack, festival.seated["id"]) == {taken_seat: taken["id"]}
    assert standing_left(other, festival.standing["id"]) == 1
    assert table_items(stack, f"HOLD#{first}", "HOLD") == [] and table_items(stack, f"HOLD#{second}", "HOLD") == []
    # the same claim without the taken seat and within the shard's places goes through whole
    assert (
        reservations.claim_bundle(
            [
                (hold(first, festival.seated, seats=[free_seat]), []),
                (hold(second, festival.standing, quantity=1), [(0, 1)]),
            ],
            now,
        )
        is None
    )
    assert held_seats(stack, festival.seated["id"])[free_seat] == first
    assert standing_left(other, festival.standing["id"]) == 0


def test_the_hosted_bundle_page_is_framed_only_by_the_selling_houses_site_and_refuses_forged_forms(stack, signing_key):
    import re

    import requests

    festival = Festival(stack, signing_key, standing=10)
    web = requests.Session()
    web.headers.update({"Accept": "text/html"})
    # the selling house's registered site may frame it; without ?via= only the tickets site itself
    seller = unique("house")
    assert (
        festival.coordinator.post(
            "/staff/houses", {"id": seller, "name": "Verkoper", "website_domains": ["www.verkoper.example"]}
        ).status_code
        == 201
    )
    page = web.get(f"{stack.api_url}/p/bundles/{festival.id}?via={seller}&embed=1&lang=en", timeout=30)
    assert page.status_code == 200 and '<html lang="en">' in page.text and "Festival pass" in page.text
    assert "frame-ancestors 'self' https://www.verkoper.example" in page.headers["Content-Security-Policy"]
    assert f"via={seller}" in page.text and "embed=1" in page.text  # its links and form keep both
    plain = web.get(f"{stack.api_url}/p/bundles/{festival.id}", timeout=30)
    assert plain.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    assert "Festivalpas" in plain.text
    # unknown bundle: an HTML 404 for browsers, a problem for clients
    assert web.get(f"{stack.api_url}/p/bundles/nope", timeout=30).status_code == 404
    assert requests.get(f"{stack.api_url}/p/bundles/nope", timeout=30).json()["code"] == "not_found"
    # a form without the session's token holds nothing; a bad number is a 422 page
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', plain.text).group(1)
    forged = requests.post(
        f"{stack.api_url}/p/bundles/{festival.id}/holds",
        data={"csrf": "0" * 32, "quantity": "1"},
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert forged.status_code == 403
    bad = web.post(
        f"{stack.api_url}/p/bundles/{festival.id}/holds",
        data={"csrf": token, "quantity": "lots"},
        timeout=30,
        allow_redirects=False,
    )
    assert bad.status_code == 422
    held = web.post(
        f"{stack.api_url}/p/bundles/{festival.id}/holds",
        data={"csrf": token, "quantity": "3"},
        timeout=30,
        allow_redirects=False,
    )
    assert held.status_code == 303 and "/p/cart" in held.headers["Location"]
    cart = web.get(stack.api_url + held.headers["Location"], timeout=30).text
    assert "€\xa0120,00" in cart  # three passes at 40 euro
    assert (
        len(held_seats(stack, festival.seated["id"])) == 3
        and standing_left(Client(stack.api_url), festival.standing["id"]) == 7
    )


def test_specific_seats_are_held_as_asked_and_a_lapsed_bundle_is_charged_nothing(stack, signing_key, quick_checkout):
    import time

    festival = Festival(stack, signing_key, standing=10)
    buyer = Client(quick_checkout, session_token=buyer_session())  # holds last 6 seconds there
    seats = [seat["id"] for seat in demo_seatmaps.test_hall(5, 10)["seats"]][10:12]
    response = buyer.post(
        f"/bundles/{festival.id}/holds",
        {"quantity": 2, "performances": {festival.seated["id"]: {"seats": seats}, festival.standing["id"]: {}}},
    )
    assert response.status_code == 201, response.text
    hold = response.json()
    assert [seat["id"] for seat in hold["holds"][0]["seats"]] == seats
    assert held_seats(stack, festival.seated["id"]) == {seat: hold["holds"][0]["id"] for seat in seats}
    one = buyer.get(f"/holds/{hold['holds'][1]['id']}").json()
    assert one["bundle"] == {"bundle_id": festival.id, "hold_ids": [h["id"] for h in hold["holds"]], "quantity": 2}
    cart = buyer.post("/carts").json()
    put = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    assert put.status_code == 200 and put.json()["total"]["amount"] == 8000, put.text
    time.sleep(max(0.0, hold["expires_in_seconds"]) + 1.3)
    lapsed = buyer.get(f"/carts/{cart['id']}").json()
    assert lapsed["total"]["amount"] == 0 and lapsed["lines"] == [] and lapsed["bundles"] == []
    assert sorted(lapsed["expired_holds"]) == sorted(h["id"] for h in hold["holds"])
    assert (
        buyer.post(
            f"/carts/{cart['id']}/checkout", {"buyer": {"name": "Iemand", "email": "iemand@example.org"}}
        ).json()["code"]
        == "cart_empty"
    )
