"""The box office sells from its own cart, paid at the desk, also another house's performance if agreed."""

from __future__ import annotations

from datetime import UTC

from chalicelib.web.auth import Role
from scripts.embedded import demo_seatmaps

from .checkout_helpers import ledger_entries, net_by_account, vat_in
from .conftest import Client, HouseFixture, buyer_session
from .test_settlement import coordinator


def desk_cart(stack, theatre: HouseFixture, club: HouseFixture):
    desk = Client(stack.api_url, theatre.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    seated = theatre.performance(demo_seatmaps.test_hall(3, 6))
    standing = club.performance(demo_seatmaps.standing_venue(20))
    cart = desk.post("/carts").json()
    for performance, ask in ((seated, {"seats": ["zaal-A-3", "zaal-A-4"]}), (standing, {"standing": {"count": 1}})):
        hold = desk.post(f"/performances/{performance['id']}/holds", ask)
        assert hold.status_code == 201, hold.text
        desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={})
    return desk, cart, seated, standing


def test_a_desk_sells_its_own_and_another_houses_seats_for_cash_and_prints_them(stack, signing_key):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    desk, cart, seated, standing = desk_cart(stack, theatre, club)
    response = desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"})
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "completed" and sale["channel"] == "box_office" and len(sale["tickets"]) == 3
    seats = {s["id"]: s["state"] for s in desk.get(f"/performances/{seated['id']}/seats").json()["seatmap"]["seats"]}
    assert seats["zaal-A-3"] == seats["zaal-A-4"] == "sold"
    # the desk's house holds the money; each owner is credited its own tickets
    net = net_by_account(ledger_entries(stack, sale["order_id"]).values())
    assert net[f"house:{theatre.id}:collected"] == 2 * 2000 + 2000
    assert "payments:clearing" not in net  # nothing went through the payment provider, no fee
    assert -(net[f"house:{club.id}:revenue"] + net[f"house:{club.id}:vat"]) == 2000
    assert net[f"house:{club.id}:vat"] == -vat_in(2000)
    pdf = desk.get(f"/staff/box-office/sales/{sale['order_id']}/tickets.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other_desk = Client(stack.api_url, club.token_for(Role.BOX_OFFICE))
    assert other_desk.get(f"/staff/box-office/sales/{sale['order_id']}/tickets.pdf").status_code == 404
    # selling the same cart again gives the same sale
    assert (
        desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"}).json()["order_id"]
        == sale["order_id"]
    )
    # and the theatre's staff see their house's part of it like any order
    assert len(theatre.admin.get(f"/staff/orders/{sale['order_id']}").json()["tickets"]) == 2


def test_a_desk_may_not_sell_other_houses_performances_unless_the_agreement_allows_it(stack, signing_key):
    boss = coordinator(stack, signing_key)
    agreement = boss.get("/staff/agreement").json()
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    desk, cart, seated, standing = desk_cart(stack, theatre, club)
    changed = boss.request("PUT", "/staff/agreement", json={**agreement, "desk_resale": False})
    assert changed.status_code == 200, changed.text
    try:
        refused = desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "card_terminal"})
        assert refused.status_code == 403
        assert desk.get(f"/carts/{cart['id']}").json()["lines"]  # nothing sold, the cart is still open
    finally:
        current = boss.get("/staff/agreement").json()
        boss.request("PUT", "/staff/agreement", json={**current, "desk_resale": True})
    scanner = Client(
        stack.api_url, theatre.token_for(Role.SCANNER), session_token=desk.http.headers["X-Podium-Session"]
    )
    assert scanner.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"}).status_code == 403


def test_a_reservation_keeps_the_places_until_it_is_paid_later_at_the_desk(stack, signing_key):
    from datetime import datetime, timedelta

    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    desk, cart, seated, standing = desk_cart(stack, theatre, club)
    buyer = {"name": "Later Betaler", "email": "later.betaler@example.org"}
    too_late = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    refused = desk.post(
        "/staff/box-office/reservations", {"cart_id": cart["id"], "buyer": buyer, "expires_at": too_late}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "expires_at"
    until = datetime.now(UTC) + timedelta(days=2)
    response = desk.post(
        "/staff/box-office/reservations", {"cart_id": cart["id"], "buyer": buyer, "expires_at": until.isoformat()}
    )
    assert response.status_code == 201, response.text
    reservation = response.json()
    assert reservation["status"] == "reserved" and reservation["tickets"] == []
    hold_id = desk.get(f"/carts/{cart['id']}").json()["lines"][0]["hold_id"]
    hold = desk.get(f"/holds/{hold_id}").json()
    assert hold["expires_in_seconds"] > 24 * 3600  # the places are kept, not lost after the usual minutes
    listed = desk.get("/staff/box-office/reservations").json()["reservations"]
    assert [r["order_id"] for r in listed] == [reservation["order_id"]]
    assert (
        Client(stack.api_url, club.token_for(Role.BOX_OFFICE))
        .post(f"/staff/box-office/reservations/{reservation['order_id']}/payment", {"payment_method": "cash"})
        .status_code
        == 404
    )
    paid = desk.post(
        f"/staff/box-office/reservations/{reservation['order_id']}/payment", {"payment_method": "card_terminal"}
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "completed" and len(paid.json()["tickets"]) == 3
    assert paid.json()["payment_method"] == "card_terminal"
    assert desk.get("/staff/box-office/reservations").json()["reservations"] == []


def test_a_cancelled_reservation_puts_its_places_back_on_sale(stack, signing_key):
    from datetime import datetime, timedelta

    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    desk, cart, seated, standing = desk_cart(stack, theatre, club)
    reservation = desk.post(
        "/staff/box-office/reservations",
        {
            "cart_id": cart["id"],
            "buyer": {"name": "Annuleer Mij", "email": "annuleer@example.org"},
            "expires_at": (datetime.now(UTC) + timedelta(hours=5)).isoformat(),
        },
    ).json()
    cancelled = desk.delete(f"/staff/box-office/reservations/{reservation['order_id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "failed"
    seats = {s["id"]: s["state"] for s in desk.get(f"/performances/{seated['id']}/seats").json()["seatmap"]["seats"]}
    assert seats["zaal-A-3"] == seats["zaal-A-4"] == "free"
    assert (
        desk.post(
            f"/staff/box-office/reservations/{reservation['order_id']}/payment", {"payment_method": "cash"}
        ).status_code
        == 409
    )
