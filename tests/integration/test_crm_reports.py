"""A house's CRM and reports on its own data: segments, consent-bound exports, sharing, reports = ledger."""

from __future__ import annotations

import json
import uuid

from chalicelib.web.auth import Role
from scripts.embedded import demo_seatmaps, resources

from .checkout_helpers import pay, submit, wait_for
from .conftest import Client, HouseFixture, buyer_session
from .test_buyer_rights import confirmed_page, link_in_mail
from .test_settlement import coordinator


def buy(stack, performances, email: str, marketing: bool, sharing: bool, seats: int = 1) -> str:
    buyer = Client(stack.api_url, session_token=buyer_session())
    cart = buyer.post("/carts").json()
    for performance in performances:
        ask = {"standing": {"count": seats}} if not performance["seated"] else {"best_available": {"count": seats}}
        hold = buyer.post(f"/performances/{performance['id']}/holds", ask).json()
        buyer.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    order_id = submit(
        buyer,
        cart["id"],
        buyer={"name": f"Koper {email[:6]}", "email": email, "postcode": "9000"},
        consents={"marketing": marketing, "sharing": sharing},
    )["order_id"]
    pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    wait_for(buyer, order_id, {"completed"}, stack=stack)
    return order_id


def test_marketing_exports_hold_only_consenting_buyers_and_houses_see_only_their_own(stack, signing_key):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play = theatre.performance(demo_seatmaps.test_hall(4, 6))
    gig = club.performance(demo_seatmaps.standing_venue(40))
    yes, no, both = (f"{tag}-{uuid.uuid4().hex[:6]}@example.org" for tag in ("ja", "nee", "beide"))
    orders = {
        yes: buy(stack, [play], yes, marketing=True, sharing=False),
        no: buy(stack, [play], no, marketing=False, sharing=False),
        both: buy(stack, [play, gig], both, marketing=False, sharing=True),
    }
    # consents ticked at checkout count once the address's owner, on the page behind the order e-mail's link,
    # confirmed them
    assert yes not in theatre.admin.get("/staff/marketing-export").text
    for email, order_id in orders.items():
        assert confirmed_page(stack, link_in_mail(stack, email, order_id), order_id)[1].status_code == 200

    listed = theatre.admin.get("/staff/customers").json()["customers"]
    assert {c["email"] for c in listed} == {yes, no, both}
    export = theatre.admin.get("/staff/marketing-export").text
    assert yes in export and no not in export and both not in export
    segment = theatre.admin.get(
        "/staff/customers", params={"genre": "theater", "since_days": "30", "postcode": "9000"}
    ).json()["customers"]
    assert len(segment) == 3
    assert theatre.admin.get("/staff/customers", params={"genre": "jazz"}).json()["customers"] == []
    # the club knows only the buyer who bought there; its history at the theatre shows because she allowed sharing
    club_customers = club.admin.get("/staff/customers").json()["customers"]
    assert [c["email"] for c in club_customers] == [both]
    history = club.admin.get(f"/staff/customers/{club_customers[0]['customer_id']}").json()
    assert [h["house_id"] for h in history["other_houses"]] == [theatre.id]
    # a buyer without the sharing consent is never shown to another house
    theatre_record = next(c for c in listed if c["email"] == yes)
    assert club.admin.get(f"/staff/customers/{theatre_record['customer_id']}").status_code == 404
    assert Client(stack.api_url, theatre.token_for(Role.SCANNER)).get("/staff/customers").status_code == 403


def test_a_houses_sales_report_equals_its_ledger_and_counts_nothing_of_other_houses(stack, signing_key):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play = theatre.performance(demo_seatmaps.test_hall(4, 6))
    gig = club.performance(demo_seatmaps.standing_venue(40))
    buy(stack, [play, gig], f"r-{uuid.uuid4().hex[:6]}@example.org", False, False, seats=2)
    buy(stack, [play], f"r-{uuid.uuid4().hex[:6]}@example.org", False, False, seats=1)
    report = theatre.admin.get("/staff/reports/sales").json()
    dynamodb = resources.client("dynamodb", stack.moto.url)
    items = dynamodb.query(
        TableName=stack.refs["MainTable"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"HOUSE#{theatre.id}#LEDGER"}},
    )["Items"]
    entries = [json.loads(item["entry"]["S"]) for item in items]
    ledger_gross = sum(
        p["amount"]
        for e in entries
        if e["kind"] == "sale"
        for p in e["postings"]
        if p["account"] in ("payments:clearing",) or p["account"].endswith(":collected")
    )
    assert report["totals"]["gross"] == {"amount": ledger_gross, "currency": "EUR"} and ledger_gross == 3 * 2000
    assert report["totals"]["tickets_sold"] == 3 and list(report["per_performance"]) == [play["id"]]
    assert report["occupancy"][play["id"]] == {"sold": 3, "capacity": 24, "percent": 12.5}
    assert report["buyers"] == {"new": 2, "returning": 0}
    assert report["per_channel"]["web"]["tickets_sold"] == 3
    csv_text = theatre.admin.get("/staff/reports/sales", params={"format": "csv"}).text
    assert f"performance;{play['id']};3;0;6000;0;6000" in csv_text
    page = theatre.admin.get("/staff/reports/sales", params={"format": "html"}, headers={"Accept-Language": "en"})
    assert "<svg" in page.text and "Net revenue per day" in page.text
    # the coordinator sees counts per house, never a buyer
    overview = coordinator(stack, signing_key).get("/staff/reports/cluster").json()
    mine = {h["house_id"]: h for h in overview["houses"] if h["house_id"] in (theatre.id, club.id)}
    assert mine[theatre.id]["tickets_sold"] == 3 and mine[club.id]["tickets_sold"] == 2
    assert overview["cross_house_orders"] >= 1 and "@" not in json.dumps(overview)
    assert theatre.admin.get("/staff/reports/cluster").status_code == 403
