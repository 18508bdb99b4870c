"""Gift cards over HTTP: the desk sells one, the holder sees the balance, a buyer pays part of a cart with it;
racing redemptions never take a card below zero; a cancelled checkout and refunds put the money back on it."""

from __future__ import annotations

import pytest

from chalicelib.web.auth import Role
from scripts.embedded import demo_seatmaps

from .checkout_helpers import (
    BUYER,
    ledger_entries,
    net_by_account,
    pay,
    poll,
    provider_client,
    race_checkouts,
    table_items,
    two_house_cart,
    wait_for,
)
from .conftest import Client, HouseFixture, buyer_session


def sell_card(house: HouseFixture, cents: int) -> dict:
    desk = Client(house.admin.base_url, house.token_for(Role.BOX_OFFICE))
    response = desk.post("/staff/gift-cards", {"amount": cents})
    assert response.status_code == 201, response.text
    return response.json()


def balance_of(client: Client, code: str) -> dict:
    """The card's balance as its holder looks it up (the code in the body: it never sits in a URL)."""
    return client.post("/gift-cards/balance", json={"code": code}).json()["balance"]


def pay_with(buyer: Client, cart_id: str, code: str):
    return buyer.request("PUT", f"/carts/{cart_id}/gift-card", json={"code": code})


def test_a_card_sold_at_one_house_pays_part_of_an_order_at_two_others_and_refunds_go_back_on_it_first(
    stack, signing_key, buyer, public
):
    issuer = HouseFixture(stack, signing_key)
    card = sell_card(issuer, 3000)
    assert card["code"].startswith("GC-") and len(card["code"]) == 22 and card["balance"]["amount"] == 3000
    assert balance_of(public, card["code"].lower()) == {"amount": 3000, "currency": "EUR"}
    unknown = public.post("/gift-cards/balance", json={"code": "GC-NOPE-NOPE-NOPE-NOPE"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    refused = pay_with(buyer, buyer.post("/carts").json()["id"], "GC-NOPE-NOPE-NOPE-NOPE")
    assert refused.status_code == 422 and refused.json()["code"] == "gift_card_unknown" and refused.json()["message"]
    other = HouseFixture(stack, signing_key)
    assert other.admin.post("/staff/gift-cards/lookup", json={"code": card["code"]}).status_code == 404  # not theirs
    assert issuer.admin.post("/staff/gift-cards/lookup", json={"code": card["code"]}).json()["code"] == card["code"]
    assert [c["code"] for c in issuer.admin.get("/staff/gift-cards").json()["gift_cards"]] == [card["code"]]

    cart, (theatre, club), _, _ = two_house_cart(stack, signing_key, buyer, seats=1, places=1)
    view = pay_with(buyer, cart["id"], card["code"]).json()
    assert view["gift_card"]["pays"]["amount"] == 3000
    assert view["total"]["amount"] == 4300 and view["amount_due"]["amount"] == 1300
    response = buyer.post(f"/carts/{cart['id']}/checkout", {"buyer": BUYER})
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    awaiting = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    assert awaiting["amount_due"]["amount"] == 1300
    assert pay(stack, awaiting).amount == 1300
    done = wait_for(buyer, order_id, {"completed"}, stack=stack)
    assert sorted(t["price"]["amount"] for t in done["tickets"]) == [1500, 2800]  # the houses get their prices
    assert balance_of(public, card["code"])["amount"] == 0

    net = net_by_account(ledger_entries(stack, order_id).values())
    fees = sum(cents for account, cents in net.items() if account.endswith(":fees"))
    assert net["payments:clearing"] == 1300 - fees  # what the provider holds
    assert net[f"house:{issuer.id}:gift_cards"] == 3000  # the issuer's liability is spent: it owes what it collected

    # the theatre refunds its ticket: all of it back on the card; the club's: the card's last 200, 1300 to the buyer
    for house in (theatre, club):
        refund = house.admin.post(f"/staff/orders/{order_id}/refunds", {})
        assert refund.status_code == 202, refund.text
        poll(
            # bound now: the loop goes on to the next house
            lambda house=house, refund=refund: house.admin.get(
                f"/staff/orders/{order_id}/refunds/{refund.json()['refund_id']}"
            ).json(),
            lambda refund_view: refund_view["status"] == "completed",
            what="the refund",
        )
    assert balance_of(public, card["code"])["amount"] == 3000
    intent = provider_client(stack).v1.payment_intents.retrieve(awaiting["payment"]["payment_intent_id"])
    refunds = provider_client(stack).v1.refunds.list({"payment_intent": intent.id}).data
    assert sum(refund.amount for refund in refunds) == 1300
    net = net_by_account(ledger_entries(stack, order_id).values())
    assert net["payments:clearing"] == -fees and f"house:{issuer.id}:gift_cards" not in net


def _cart_of(stack, performance_id: str, places: int, code: str) -> tuple[Client, str]:
    buyer = Client(stack.api_url, session_token=buyer_session())
    cart = buyer.post("/carts").json()
    hold = buyer.post(f"/performances/{performance_id}/holds", {"standing": {"count": places}}).json()
    assert buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    assert pay_with(buyer, cart["id"], code).status_code == 200
    return buyer, cart["id"]


@pytest.mark.race
def test_eight_buyers_racing_to_spend_one_card_never_take_it_below_zero(stack, house, public):
    performance = house.performance(
        demo_seatmaps.standing_venue(40),
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 3000}}],
    )
    card = sell_card(house, 5000)
    carts = [_cart_of(stack, performance["id"], 2, card["code"]) for _ in range(8)]  # 6000 each
    results = race_checkouts(carts)
    assert all(status in (202, 409) for status, _ in results), results
    # each checkout claims min(balance it read, 6000) on condition that the balance is still at least that: a
    # stale read loses (409), a checkout that read an empty card pays in full at the provider
    parts = [
        int(item["amount_cents"]["N"])
        for status, body in results
        if status == 202
        for item in table_items(stack, f"ORDER#{body['order_id']}", "GIFTCARD")
    ]
    balance = balance_of(public, card["code"])["amount"]
    assert parts == [5000] and balance == 0  # exactly one checkout got the card; it never went below zero

    # a winner gives up paying: the card gets its part back
    index = next(
        i
        for i, (status, body) in enumerate(results)
        if status == 202 and table_items(stack, f"ORDER#{body['order_id']}", "GIFTCARD")
    )
    buyer, _ = carts[index]
    first_part = int(table_items(stack, f"ORDER#{results[index][1]['order_id']}", "GIFTCARD")[0]["amount_cents"]["N"])
    wait_for(buyer, results[index][1]["order_id"], {"awaiting_payment"}, stack=stack)
    buyer.post(f"/checkouts/{results[index][1]['order_id']}/cancel")
    wait_for(buyer, results[index][1]["order_id"], {"failed"})
    assert balance_of(public, card["code"])["amount"] == balance + first_part
