"""House staff see their orders in any state and a performance's live holds and orders, page by page, only for
their own house."""

from __future__ import annotations

import base64
import json

from scripts.embedded import demo_seatmaps

from .checkout_helpers import BUYER, submit, two_house_cart, wait_for
from .conftest import Client, HouseFixture, buyer_session


def test_staff_see_their_houses_lines_of_an_order_awaiting_payment_and_nobody_elses(stack, signing_key, buyer):
    cart, (theatre, club), (seated, standing), holds = two_house_cart(stack, signing_key, buyer)
    order_id = submit(buyer, cart["id"])["order_id"]
    wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    mine = theatre.admin.get(f"/staff/orders/{order_id}")
    assert mine.status_code == 200, mine.text
    view = mine.json()
    assert view["status"] == "awaiting_payment" and view["tickets"] == [] and view["created_at"]
    assert {line["performance_id"] for line in view["lines"]} == {seated["id"]} and len(view["lines"]) == 2
    assert view["lines"][0]["price"] == {"amount": 2800, "currency": "EUR"}
    assert [line["performance_id"] for line in club.admin.get(f"/staff/orders/{order_id}").json()["lines"]] == [
        standing["id"]
    ] * 3
    assert BUYER["email"] not in mine.text and BUYER["name"] not in mine.text
    outsider = HouseFixture(stack, signing_key)
    assert outsider.admin.get(f"/staff/orders/{order_id}").status_code == 404
    assert theatre.admin.get("/staff/orders/o_nope").status_code == 404


def test_a_performances_live_holds_are_listed_page_by_page_for_its_own_house_only(stack, signing_key, house):
    performance = house.performance(demo_seatmaps.test_hall(4, 5))
    buyers = [Client(stack.api_url, session_token=buyer_session()) for _ in range(3)]
    made = [
        b.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": n + 1}}).json()
        for n, b in enumerate(buyers)
    ]
    released = buyers[0].delete(f"/holds/{made[0]['id']}")
    assert released.status_code == 200
    path = f"/staff/performances/{performance['id']}/holds"
    seen, cursor = [], None
    for _ in range(5):
        page = house.admin.get(path, params={"limit": 1, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        seen += page.json()["holds"]
        cursor = page.json()["next"]
        if cursor is None:
            break
    assert sorted(hold["id"] for hold in seen) == sorted(hold["id"] for hold in made[1:])
    assert {hold["places"] for hold in seen} == {2, 3}
    assert all(hold["expires_in_seconds"] > 0 and hold["age_seconds"] >= 0 and hold["seats"] for hold in seen)
    assert "session" not in json.dumps(seen)
    # a cursor the listing did not give, or one of another performance, is refused
    other = house.performance(demo_seatmaps.test_hall(2, 2))
    forged = base64.urlsafe_b64encode(json.dumps({"p": other["id"], "a": "0" * 15 + "#h_x"}).encode()).decode()
    for bad in ("nonsense", forged):
        refused = house.admin.get(path, params={"cursor": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "malformed_request"
    assert house.admin.get(path, params={"limit": 0}).status_code == 400
    outsider = HouseFixture(stack, signing_key)
    assert outsider.admin.get(path).status_code == 404


def test_a_performances_orders_in_any_state_are_listed_with_their_age_and_filtered_by_status(stack, signing_key, buyer):
    cart, (theatre, club), (seated, standing), holds = two_house_cart(stack, signing_key, buyer)
    first = submit(buyer, cart["id"])["order_id"]
    wait_for(buyer, first, {"awaiting_payment"}, stack=stack)
    other_buyer = Client(stack.api_url, session_token=buyer_session())
    second_cart = other_buyer.post("/carts").json()
    hold = other_buyer.post(f"/performances/{seated['id']}/holds", {"best_available": {"count": 1}}).json()
    assert other_buyer.request("PUT", f"/carts/{second_cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    second = submit(other_buyer, second_cart["id"])["order_id"]
    wait_for(other_buyer, second, {"awaiting_payment"}, stack=stack)

    path = f"/staff/performances/{seated['id']}/orders"
    page = theatre.admin.get(path, params={"limit": 1})
    assert page.status_code == 200, page.text
    assert [o["order_id"] for o in page.json()["orders"]] == [first] and page.json()["next"]
    rest = theatre.admin.get(path, params={"limit": 1, "cursor": page.json()["next"]}).json()
    assert [o["order_id"] for o in rest["orders"]] == [second]
    listed = rest["orders"][0]
    assert listed["status"] == "awaiting_payment" and listed["places"] == 1 and listed["age_seconds"] >= 0
    assert listed["amount"] == {"amount": 2800, "currency": "EUR"}
    waiting = theatre.admin.get(path, params={"status": "awaiting_payment"}).json()
    assert {o["order_id"] for o in waiting["orders"]} == {first, second} and waiting["next"] is None
    assert theatre.admin.get(path, params={"status": "completed"}).json()["orders"] == []
    assert theatre.admin.get(path, params={"status": "lost"}).status_code == 400
    assert club.admin.get(path).status_code == 404  # the club's order lines do not open the theatre's listing
    assert [o["order_id"] for o in club.admin.get(f"/staff/performances/{standing['id']}/orders").json()["orders"]] == [
        first
    ]


def test_staff_and_public_performance_answers_say_the_capacity_next_to_the_availability(house, public):
    performance = house.performance(demo_seatmaps.test_hall(3, 4))
    staff_view = house.admin.get(f"/staff/performances/{performance['id']}").json()
    assert staff_view["capacity"] == 12 and staff_view["availability"]["capacity"] == 12
    assert staff_view["availability"]["available"] == 12
    listed = house.admin.get("/staff/performances").json()["performances"]
    assert [p["availability"]["capacity"] for p in listed if p["id"] == performance["id"]] == [12]
    public_view = public.get(f"/performances/{performance['id']}").json()
    assert public_view["capacity"] == 12 and public_view["availability"]["capacity"] == 12
