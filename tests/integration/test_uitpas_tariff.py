"""UiTPAS social tariff over HTTP against the embedded stack and the local UiTPAS server: a pass per place
prices it at the kansentarief; the sale is registered before the payment and cancelled on refund."""

from __future__ import annotations

import json

from scripts.embedded.uit import sample_event
from tests import personal_data

from .checkout_helpers import ledger_entries, net_by_account, pay, submit, table_items, vat_in, wait_for
from .conftest import Client, buyer_session
from .fanout_helpers import eventually, small_performance

ACTIVE, EXPIRED, BLOCKED, NONE, LIMITED = (
    "0900000095902",
    "0900000058918",
    "0900000031618",
    "0900000067513",
    "0900000046312",
)


def uitpas_performance(stack, house, seats: int = 2) -> dict:
    """A performance mapped to a UiTdatabank event (so a UiTPAS event), full price 28.00."""
    performance = small_performance(house, seats=seats)
    event_id = stack.uit.uitdatabank.service.add_event(sample_event(1))
    response = house.admin.request(
        "PUT", f"/staff/performances/{performance['id']}/uitdatabank", json={"event_id": event_id, "sub_event_id": 0}
    )
    assert response.status_code == 200, response.text
    return {**performance, "event_id": event_id}


def cart_with_places(stack, performance: dict, count: int = 2) -> tuple[Client, str, str, dict]:
    buyer = Client(stack.api_url, session_token=buyer_session())
    cart_id = buyer.post("/carts").json()["id"]
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": count}})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    view = buyer.request("PUT", f"/carts/{cart_id}/holds/{hold_id}", json={})
    assert view.status_code == 200, view.text
    return buyer, cart_id, hold_id, view.json()


def give_pass(buyer: Client, cart_id: str, hold_id: str, place: str, number: str, language: str = "nl"):
    if len(number.replace(" ", "")) == 13:  # a pass number is personal data: the session fails if it is logged
        personal_data.register(None, number.replace(" ", ""))
    return buyer.request(
        "PUT",
        f"/carts/{cart_id}/holds/{hold_id}/places/{place}/uitpas",
        json={"uitpas_number": number},
        headers={"Accept-Language": language},
    )


def sales_of(stack, number: str) -> list[dict]:
    return [sale for sale in stack.uit.uitpas.service.ticket_sales.values() if sale["uitpasNumber"] == number]


def test_a_pass_prices_its_place_at_the_social_tariff_registered_before_payment_cancelled_on_refund(stack, house):
    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance)
    assert view["total"]["amount"] == 5600
    place = view["lines"][0]["place"]
    registered_before = len(sales_of(stack, ACTIVE))

    response = give_pass(buyer, cart_id, hold_id, place, "0900 0000 95902")
    assert response.status_code == 200, response.text
    cart = response.json()
    social = next(line for line in cart["lines"] if line["place"] == place)
    assert social["tariff"] == "uitpas" and social["price"]["amount"] == 700
    assert social["uitpas"] == {
        "tariff_id": "kansentarief",
        "tariff_name": "Kansentarief",
        "regular_price": {"amount": 2800, "currency": "EUR"},
        "uitpas_number_ending": "5902",
    }
    assert cart["total"]["amount"] == 2800 + 700
    assert ACTIVE not in response.text  # only the last digits come back

    order_id = submit(buyer, cart_id)["order_id"]
    checkout = wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack)
    assert checkout["total"]["amount"] == 3500
    # publiq's order: the sale is registered before the buyer pays
    new_sales = sales_of(stack, ACTIVE)[registered_before:]
    assert [(s["regularPrice"], s["tariff"]["id"], s["eventId"], s["status"]) for s in new_sales] == [
        (28.0, "kansentarief", performance["event_id"], "REGISTERED")
    ]
    pay(stack, checkout)
    done = wait_for(buyer, order_id, {"completed"}, stack=stack)
    tickets = sorted(
        done["tickets"], key=lambda t: t["price"]["amount"] if isinstance(t["price"], dict) else t["price"]
    )
    social_ticket = tickets[0]
    assert social_ticket["tariff"] == "uitpas"

    # the ledger books the social tariff as the revenue, to the cent
    net = net_by_account(ledger_entries(stack, order_id).values())
    assert net[f"house:{house.id}:vat"] == -(vat_in(700) + vat_in(2800))
    assert -(net[f"house:{house.id}:revenue"] + net[f"house:{house.id}:vat"]) == 3500
    # the sale record names the ticket, not the pass
    sale_item = table_items(stack, f"UITPAS#{social_ticket['ticket_id']}", "SALE")[0]
    assert ACTIVE not in json.dumps(sale_item)

    refund = house.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [social_ticket["ticket_id"]]})
    assert refund.status_code == 202, refund.text
    eventually(lambda: new_sales[0]["status"] == "CANCELLED", what="the UiTPAS sale cancelled")
    deletes = stack.uit.uitpas.service.received("/ticket-sales/", "DELETE")
    assert [r.path for r in deletes if new_sales[0]["id"] in r.path] == [f"/ticket-sales/{new_sales[0]['id']}"]

    # personal data: the pass is in the buyer's order (export) but in no event or exchange document
    stack.consumers.wait_idle(20)
    assert not [r for r in stack.uit.exchange.service.received("/transactions") if ACTIVE in r.body]
    order_item = table_items(stack, f"ORDER#{order_id}", "ORDER")[0]
    assert ACTIVE in json.dumps(order_item)


def test_refused_passes_are_typed_problems_in_the_buyers_language_and_change_nothing(stack, house):
    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance)
    place = view["lines"][0]["place"]
    cases = [
        (BLOCKED, "uitpas_blocked", 422),
        (EXPIRED, "uitpas_expired", 422),
        (NONE, "uitpas_no_tariff", 422),
        ("0900000000000", "uitpas_unknown", 422),
        ("12345", "validation_failed", 422),
    ]
    for number, code, status in cases:
        response = give_pass(buyer, cart_id, hold_id, place, number, language="fr")
        assert response.status_code == status, (number, response.text)
        problem = response.json()
        assert problem["code"] == code and problem["type"] == f"urn:podium:problem:{code}"
        assert response.headers["Content-Language"] == "fr"
        assert number not in response.text or code == "validation_failed"
    expired = give_pass(buyer, cart_id, hold_id, place, EXPIRED).json()
    assert expired["title"] == "Kansentarief verlopen" and expired["uitpas_message"].startswith("Je kansentarief")
    assert give_pass(buyer, cart_id, hold_id, "Z-99", ACTIVE).json()["errors"][0]["code"] == "not_in_hold"
    assert buyer.get(f"/carts/{cart_id}").json()["total"]["amount"] == view["total"]["amount"]


def test_a_pass_stays_within_its_limit_and_a_place_goes_back_to_its_price(stack, house):
    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance)
    first, second = (line["place"] for line in view["lines"])
    assert give_pass(buyer, cart_id, hold_id, first, LIMITED).status_code == 200
    again = give_pass(buyer, cart_id, hold_id, second, LIMITED)  # one social-tariff ticket per event for this pass
    assert again.status_code == 422 and again.json()["code"] == "uitpas_limit_reached"
    assert give_pass(buyer, cart_id, hold_id, first, LIMITED).status_code == 200  # the same place again: fine
    removed = buyer.delete(f"/carts/{cart_id}/holds/{hold_id}/places/{first}/uitpas")
    assert removed.status_code == 200 and removed.json()["total"]["amount"] == 5600
    assert buyer.delete(f"/carts/{cart_id}/holds/{hold_id}/places/{first}/uitpas").status_code == 404


def test_uitpas_down_is_a_clear_problem_and_changes_nothing(stack, house):
    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance)
    stack.uit.uitpas.service.inject("/tariffs", 503, count=10)
    try:
        response = give_pass(buyer, cart_id, hold_id, view["lines"][0]["place"], ACTIVE, language="en")
    finally:
        stack.uit.uitpas.service.clear_faults()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "uitpas_unavailable" and "Nothing was changed" in response.json()["message"]
    assert buyer.get(f"/carts/{cart_id}").json()["lines"] == view["lines"]


def test_a_performance_outside_uitdatabank_offers_no_social_tariff(stack, house):
    performance = small_performance(house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance, count=1)
    response = give_pass(buyer, cart_id, hold_id, view["lines"][0]["place"], ACTIVE)
    assert response.status_code == 409 and response.json()["code"] == "uitpas_not_offered"


def test_uitpas_refusing_the_registration_ends_the_checkout_without_charge(stack, house):
    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance, count=1)
    assert give_pass(buyer, cart_id, hold_id, view["lines"][0]["place"], ACTIVE).status_code == 200
    stack.uit.uitpas.service.inject("/ticket-sales", 400, method="POST")
    order_id = submit(buyer, cart_id)["order_id"]
    failed = wait_for(buyer, order_id, {"failed"})
    assert failed["reason"] == "uitpas_refused", failed
    assert not (failed.get("payment") or {}).get("payment_intent_id")
    again = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}})
    assert again.status_code == 201, again.text  # the place is free again


def test_the_pass_is_in_the_buyers_export_and_gone_after_erasure(stack, house):
    from .test_buyer_rights import link_in_mail, new_buyer, token_of

    performance = uitpas_performance(stack, house)
    buyer, cart_id, hold_id, view = cart_with_places(stack, performance, count=1)
    assert give_pass(buyer, cart_id, hold_id, view["lines"][0]["place"], ACTIVE).status_code == 200
    person = new_buyer("uitpas")
    order_id = submit(buyer, cart_id, buyer=person)["order_id"]
    pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    wait_for(buyer, order_id, {"completed"}, stack=stack)
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token_of(link_in_mail(stack, person["email"]))
    (order,) = me.get("/buyer/export").json()["orders"]
    assert [line["uitpas"]["uitpas_number"] for line in order["lines"]] == [ACTIVE]

    assert me.post("/buyer/erasure").status_code == 202
    eventually(lambda: me.get("/buyer/preferences").json()["erasures"][-1]["status"] == "erased", what="erasure")
    (order_item,) = table_items(stack, f"ORDER#{order_id}", "ORDER")
    assert ACTIVE not in json.dumps(order_item)
    (line,) = json.loads(order_item["lines"]["S"]) if "S" in order_item["lines"] else order_item["lines"]
    assert line["uitpas"]["tariff_id"] == "kansentarief" and line["price"] == 700  # the sale itself stays


def test_a_box_office_sale_registers_the_social_tariff_too(stack, house):
    from chalicelib.web.auth import Role

    performance = uitpas_performance(stack, house)
    desk = Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    cart_id = desk.post("/carts").json()["id"]
    hold = desk.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    view = desk.request("PUT", f"/carts/{cart_id}/holds/{hold['id']}", json={}).json()
    assert give_pass(desk, cart_id, hold["id"], view["lines"][0]["place"], ACTIVE).status_code == 200
    before = len(sales_of(stack, ACTIVE))
    sale = desk.post("/staff/box-office/sales", {"cart_id": cart_id, "payment_method": "cash"})
    assert sale.status_code == 201, sale.text
    assert [t["price"] for t in sale.json()["tickets"]] in ([700], [{"amount": 700, "currency": "EUR"}])
    assert [s["status"] for s in sales_of(stack, ACTIVE)[before:]] == ["REGISTERED"]
