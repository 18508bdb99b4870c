"""One cart across houses: holds of two houses priced with their tariffs, subtotals per house."""

from __future__ import annotations

import time

from scripts.embedded import demo_seatmaps

from .conftest import Client, HouseFixture, buyer_session


def test_a_cart_holds_seats_of_one_house_and_standing_places_of_another_priced_per_house(stack, signing_key, buyer):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    hall = demo_seatmaps.test_hall(5, 10)
    seated = theatre.performance(
        hall,
        tariffs=[
            {"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 2800}},
            {"code": "reduced", "name": {"nl": "Reductie"}, "prices": {"A": 2200}},
        ],
    )
    standing = club.performance(
        demo_seatmaps.standing_venue(50),
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 1500}}],
    )
    seats = buyer.post(f"/performances/{seated['id']}/holds", {"best_available": {"count": 2}}).json()
    places = buyer.post(f"/performances/{standing['id']}/holds", {"standing": {"count": 3}}).json()
    cart = buyer.post("/carts").json()

    reduced_seat = seats["seats"][0]["id"]
    response = buyer.request(
        "PUT", f"/carts/{cart['id']}/holds/{seats['id']}", json={"tariffs": {reduced_seat: "reduced"}}
    )
    assert response.status_code == 200, response.text
    cart = buyer.request("PUT", f"/carts/{cart['id']}/holds/{places['id']}", json={}).json()

    assert len(cart["lines"]) == 5
    assert {
        (line["seat_id"], line["tariff"], line["price"]["amount"])
        for line in cart["lines"]
        if line["house_id"] == theatre.id
    } == {(reduced_seat, "reduced", 2200), (seats["seats"][1]["id"], "full", 2800)}
    assert cart["houses"] == sorted(
        [
            {"house_id": theatre.id, "subtotal": {"amount": 5000, "currency": "EUR"}},
            {"house_id": club.id, "subtotal": {"amount": 4500, "currency": "EUR"}},
        ],
        key=lambda house: house["house_id"],
    )
    assert cart["total"] == {"amount": 9500, "currency": "EUR"}
    assert 0 < cart["expires_in_seconds"] <= min(seats["expires_in_seconds"], places["expires_in_seconds"])

    removed = buyer.delete(f"/carts/{cart['id']}/holds/{places['id']}").json()
    assert removed["total"] == {"amount": 5000, "currency": "EUR"}
    assert buyer.get(f"/holds/{places['id']}").json()["status"] == "released"
    assert buyer.get(f"/performances/{standing['id']}").json()["availability"]["available"] == 50


def test_a_cart_refuses_unknown_tariffs_foreign_holds_and_other_sessions(stack, house, buyer, small_hall):
    performance = house.performance(small_hall)
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    cart = buyer.post("/carts").json()
    bad = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={"tariff": "vip"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "unknown_tariff"
    assert buyer.get(f"/carts/{cart['id']}").json()["lines"] == []

    stranger = Client(stack.api_url, session_token=buyer_session())
    assert stranger.get(f"/carts/{cart['id']}").status_code == 404
    strangers_cart = stranger.post("/carts").json()
    assert stranger.request("PUT", f"/carts/{strangers_cart['id']}/holds/{hold['id']}", json={}).status_code == 404


def test_a_lapsed_hold_is_shown_apart_and_not_charged(stack, house, quick_expiry, small_hall):
    performance = house.performance(small_hall)
    buyer = Client(quick_expiry, session_token=buyer_session())
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 2}}).json()
    cart = buyer.post("/carts").json()
    assert buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).json()["total"]["amount"] == 4000
    time.sleep(2.3)
    lapsed = buyer.get(f"/carts/{cart['id']}").json()
    assert lapsed["expired_holds"] == [hold["id"]] and lapsed["total"]["amount"] == 0 and lapsed["expires_at"] is None
    again = buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    assert again.status_code == 410
