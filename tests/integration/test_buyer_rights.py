"""Buyers' rights from the link in their e-mails: consents that decide what other houses see, an export
of everything, and an erasure workflow that leaves the accounts whole and nothing personal behind."""
from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import requests

from chalicelib.domain.buyers import buyer_id, preferences_token
from scripts.embedded import demo_seatmaps, resources
from tests import personal_data

from .checkout_helpers import ledger_entries, net_by_account, pay, poll, submit, table_items, wait_for
from .conftest import Client, HouseFixture, buyer_session
from .test_settlement import coordinator


def buy(stack, performances, buyer: dict, language: str = "nl", marketing: bool = False,
        sharing: bool = False) -> tuple[str, Client]:
    client = Client(stack.api_url, session_token=buyer_session())
    cart = client.post("/carts").json()
    for performance in performances:
        ask = {"standing": {"count": 2}} if not performance["seated"] else {"best_available": {"count": 2}}
        hold = client.post(f"/performances/{performance['id']}/holds", ask).json()
        assert client.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    order_id = submit(client, cart["id"], buyer=buyer, consents={"marketing": marketing, "sharing": sharing},
                      language=language)["order_id"]
    pay(stack, wait_for(client, order_id, {"awaiting_payment"}, stack=stack))
    wait_for(client, order_id, {"completed"}, stack=stack)
    return order_id, client


def mails_to(stack, address: str) -> list[dict]:
    listed = requests.get(f"{stack.outbox.url}/messages.json", timeout=10).json()
    return [mail for mail in listed if address in mail["to"]]


def link_in_mail(stack, address: str) -> str:
    """The preferences link of the newest e-mail to `address`, as the buyer clicks it."""
    mail = poll(lambda: mails_to(stack, address), bool, what="an e-mail to the buyer")[0]
    html = requests.get(f"{stack.outbox.url}/messages/{mail['id']}/html", timeout=10).text
    return re.search(r'href="(http[^"]*/p/preferences/[^"]+)"', html).group(1).replace("&amp;", "&")


def token_of(link: str) -> str:
    return re.search(r"/p/preferences/([^?]+)", link).group(1)


def new_buyer(tag: str) -> dict:
    suffix = uuid.uuid4().hex[:8]
    return {"name": f"Rechten {tag.title()} {suffix}", "email": f"rechten.{tag}.{suffix}@example.org",
            "postcode": "9000"}


def two_houses(stack, signing_key):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    return (theatre, club), (theatre.performance(demo_seatmaps.test_hall(4, 6)),
                             club.performance(demo_seatmaps.standing_venue(40)))


def customer_id_at(house: HouseFixture, email: str) -> str:
    return next(c["customer_id"] for c in house.admin.get("/staff/customers").json()["customers"] if c["email"] == email)


def test_house_b_sees_a_buyers_history_elsewhere_only_while_the_buyer_allows_sharing(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("delen")
    buy(stack, [play, gig], buyer, language="fr")
    link = link_in_mail(stack, buyer["email"])
    assert link.startswith(stack.api_url + "/p/preferences/") and link.endswith("?lang=fr")
    assert buyer["email"] not in link and "example" not in link
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token_of(link)
    at_club = customer_id_at(club, buyer["email"])
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []

    changed = me.request("PUT", "/buyer/consents", json={"marketing": {theatre.id: True}, "sharing": True,
                                                         "language": "fr"})
    assert changed.status_code == 200, changed.text
    recorded = {(c["house_id"], c["kind"]) for c in changed.json()["recorded"]}
    assert recorded == {(theatre.id, "marketing"), (theatre.id, "sharing"), (club.id, "sharing")}
    assert all(c["source"] == "preferences" and c["language"] == "fr" and c["wording"].startswith("Oui")
               and datetime.fromisoformat(c["at"]).tzinfo is not None for c in changed.json()["recorded"])
    assert [h["house_id"] for h in club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"]] == [theatre.id]
    assert buyer["email"] in theatre.admin.get("/staff/marketing-export").text
    assert buyer["email"] not in club.admin.get("/staff/marketing-export").text
    # the same choices again record nothing: the history holds what the buyer changed, once
    again = me.request("PUT", "/buyer/consents", json={"marketing": {theatre.id: True}, "sharing": True})
    assert again.json()["recorded"] == []

    # withdrawing on the page behind the link (a browser's form, with the page's token)
    web = requests.Session()
    page = web.get(link, headers={"Accept": "text/html"})
    assert page.status_code == 200 and f"Huis {theatre.id}" in page.text and buyer["email"] in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Content-Language"] == "fr"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form_url = link.split("?")[0]
    forged = requests.post(form_url, data={"marketing": theatre.id}, allow_redirects=False)
    assert forged.status_code == 403
    saved = web.post(form_url + "?lang=fr", data={"csrf": csrf, "marketing": theatre.id}, allow_redirects=False)
    assert saved.status_code == 303 and "saved=1" in saved.headers["Location"]
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []
    assert buyer["email"] in theatre.admin.get("/staff/marketing-export").text  # still ticked on the form
    history = me.get("/buyer/export").json()["houses"]
    theatre_log = next(h for h in history if h["house_id"] == theatre.id)["consent_history"]
    assert [(c["kind"], c["granted"], c["source"]) for c in theatre_log] == [
        ("marketing", False, "checkout"), ("sharing", False, "checkout"), ("marketing", True, "preferences"),
        ("sharing", True, "preferences"), ("sharing", False, "preferences")]


def test_the_link_is_refused_when_altered_or_expired_and_the_api_wants_its_token(stack):
    key = stack.secret_values["CustomerKeySecret"].encode()
    expired = preferences_token(key, buyer_id(key, "weg@example.org"), datetime.now(timezone.utc) - timedelta(days=500))
    assert requests.get(f"{stack.api_url}/p/preferences/{expired}").json()["code"] == "link_expired"
    assert requests.get(f"{stack.api_url}/p/preferences/{expired}", headers={"Accept": "text/html"}).status_code == 410
    valid = preferences_token(key, buyer_id(key, "weg@example.org"), datetime.now(timezone.utc))
    assert requests.get(f"{stack.api_url}/p/preferences/{valid[:-2]}xx").status_code == 404
    assert requests.get(f"{stack.api_url}/buyer/export").status_code == 401
    assert requests.get(f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": valid[:-2] + "xx"}
                        ).status_code == 401
    nobody = requests.get(f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": valid}).json()
    assert nobody["houses"] == [] and nobody["orders"] == []


def test_the_export_holds_the_buyers_records_consents_orders_and_tickets_at_every_house(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("export")
    order_id, _ = buy(stack, [play, gig], buyer, marketing=True)
    page = requests.get(link_in_mail(stack, buyer["email"]), headers={"Accept": "text/html"})
    download = re.search(r'href="([^"]*/export[^"]*)"', page.text).group(1).replace("&amp;", "&")
    response = requests.get(stack.api_url + download)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    export = response.json()
    assert export["format"] == "podium.buyer-export/1"
    assert {h["house_id"] for h in export["houses"]} == {theatre.id, club.id}
    for house in export["houses"]:
        assert house["details"] == {"name": buyer["name"], "email": buyer["email"], "phone": None, "postcode": "9000"}
        assert house["consents"]["marketing"]["granted"] is True and house["consents"]["sharing"]["granted"] is False
        assert [p["order_id"] for p in house["purchases"]] == [order_id]
    (order,) = export["orders"]
    assert order["order_id"] == order_id and order["status"] == "completed" and order["total_cents"] == 4 * 2000
    assert len(order["tickets"]) == 4 and {t["house_id"] for t in order["tickets"]} == {theatre.id, club.id}


def test_erasure_forgets_the_buyer_everywhere_keeps_the_accounts_and_runs_once(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("wissen")
    order_id, _ = buy(stack, [play, gig], buyer, sharing=True, marketing=True)
    at_theatre, at_club = customer_id_at(theatre, buyer["email"]), customer_id_at(club, buyer["email"])
    token = token_of(link_in_mail(stack, buyer["email"]))
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token
    sales_before = theatre.admin.get("/staff/reports/sales").json()["totals"]

    answers: list = []
    requests_at_once = [threading.Thread(target=lambda: answers.append(me.post("/buyer/erasure"))) for _ in range(2)]
    for thread in requests_at_once:
        thread.start()
    for thread in requests_at_once:
        thread.join()
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    (erasure_id,) = {a.json()["erasure_id"] for a in answers}
    receipt = poll(lambda: me.get("/buyer/preferences").json()["erasures"][-1], lambda r: r["status"] == "erased",
                   what="the erasure")
    assert receipt["erasure_id"] == erasure_id and sorted(receipt["house_ids"]) == sorted([theatre.id, club.id])
    assert receipt["customer_records"] == 2 and receipt["orders"] == 1 and receipt["purchases"] == 2
    assert receipt["mail_copies"] >= 1

    # no house finds the buyer any more, by list, by id or in a marketing export
    for house, customer_id in ((theatre, at_theatre), (club, at_club)):
        assert buyer["email"] not in json.dumps(house.admin.get("/staff/customers").json())
        assert house.admin.get(f"/staff/customers/{customer_id}").status_code == 404
        assert buyer["email"] not in house.admin.get("/staff/marketing-export").text
    # the order, its tickets and the ledger stay, balanced, with a pseudonym instead of the customer ids
    (order_item,) = table_items(stack, f"ORDER#{order_id}", "ORDER")
    customer_ids = json.loads(order_item["customer_ids"]["S"])
    assert set(customer_ids) == {theatre.id, club.id}
    assert all(value.startswith("ps_") for value in customer_ids.values())
    assert not {at_theatre, at_club} & set(customer_ids.values())
    tickets = table_items(stack, f"ORDER#{order_id}", "HOUSE#")
    assert len(tickets) == 4 and all(t["status"]["S"] == "valid" for t in tickets)
    entries = ledger_entries(stack, order_id)
    assert entries and sum(net_by_account(entries.values()).values()) == 0
    assert theatre.admin.get("/staff/reports/sales").json()["totals"] == sales_before
    # nothing personal is left to export, in the outbox, or in the workflow's history
    export = me.get("/buyer/export").json()
    assert export["houses"] == [] and export["orders"] == [] and export["erasures"][0]["erasure_id"] == erasure_id
    assert buyer["email"] not in json.dumps(export) and buyer["name"] not in json.dumps(export)
    assert mails_to(stack, buyer["email"]) == []
    sfn = resources.client("stepfunctions", stack.moto.url)
    executions = [e for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]
                  if e["name"] == erasure_id]
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    history = json.dumps(sfn.get_execution_history(executionArn=executions[0]["executionArn"])["events"], default=str)
    assert buyer["email"] not in history and buyer["name"] not in history

    # asking again changes nothing and starts nothing
    again = me.post("/buyer/erasure")
    assert again.status_code == 202 and again.json()["erasure_id"] == erasure_id and again.json()["status"] == "erased"
    assert len(sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]) == \
        len({e["name"] for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]})
    page = requests.get(f"{stack.api_url}/p/preferences/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and buyer["email"] not in page.text and erasure_id in page.text
    # the cluster's register of erasures, for its DPO: ids, houses, counts and times, nothing personal
    register = coordinator(stack, signing_key).get("/staff/erasures").json()["erasures"]
    (listed,) = [e for e in register if e["erasure_id"] == erasure_id]
    assert listed["status"] == "erased" and listed["buyer_id"].startswith("bu_")
    assert buyer["email"] not in json.dumps(register)
    assert theatre.admin.get("/staff/erasures").status_code == 403


def test_an_erasure_whose_run_was_lost_runs_again_when_the_buyer_asks_again(stack, signing_key):
    from chalicelib.domain.buyers import erasure_id as erasure_id_of
    from chalicelib.store import buyers as buyer_store

    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("hervat")
    order_id, _ = buy(stack, [play, gig], buyer)
    key = stack.secret_values["CustomerKeySecret"].encode()
    buyer_of = buyer_id(key, buyer["email"])
    records = [f"HOUSE#{h.id}#{customer_id_at(h, buyer['email'])}" for h in (theatre, club)] + [f"ORDER#{order_id}"]
    erasure = erasure_id_of(buyer_of, records)
    # asked for an hour ago, and its execution failed or never started
    buyer_store.begin_erasure(buyer_of, erasure, [theatre.id, club.id], datetime.now(timezone.utc) - timedelta(hours=1))
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token_of(link_in_mail(stack, buyer["email"]))

    asked = me.post("/buyer/erasure")
    assert asked.status_code == 202 and asked.json()["erasure_id"] == erasure
    poll(lambda: me.get("/buyer/preferences").json()["erasures"][-1]["status"], lambda status: status == "erased",
         what="the resumed erasure")
    sfn = resources.client("stepfunctions", stack.moto.url)
    names = {e["name"] for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]}
    assert f"{erasure}-4" in names and erasure not in names
    assert buyer["email"] not in json.dumps(theatre.admin.get("/staff/customers").json())


def test_a_buyer_whose_link_expired_gets_a_new_one_by_email_and_the_form_reveals_nobody(stack, signing_key):
    key = stack.secret_values["CustomerKeySecret"].encode()
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("nieuw")
    buy(stack, [play], buyer)
    expired = preferences_token(key, buyer_id(key, buyer["email"]), datetime.now(timezone.utc) - timedelta(days=500))
    web = requests.Session()
    gone = web.get(f"{stack.api_url}/p/preferences/{expired}", headers={"Accept": "text/html"})
    assert gone.status_code == 410 and 'href="/p/preferences"' in gone.text
    form = web.get(f"{stack.api_url}/p/preferences", headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)

    def ask(address: str) -> requests.Response:
        return web.post(f"{stack.api_url}/p/preferences", data={"csrf": csrf, "email": address},
                        headers={"Accept": "text/html"}, allow_redirects=False)

    assert ask("not an address").status_code == 422
    stranger = f"onbekend.{uuid.uuid4().hex[:8]}@example.org"
    personal_data.register(None, stranger)  # what anyone types in the form must not be logged either
    for address in (buyer["email"], buyer["email"], stranger):  # the same answer for a known and an unknown address
        answer = ask(address)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("sent=1")
    links = poll(lambda: [m for m in mails_to(stack, buyer["email"]) if m["subject"].startswith("Je link")], bool,
                 what="the new link")
    assert len(links) == 1 and mails_to(stack, stranger) == []  # once per quarter hour, nothing to strangers
    fresh = web.get(link_in_mail(stack, buyer["email"]), headers={"Accept": "text/html"})
    assert fresh.status_code == 200 and f"Huis {theatre.id}" in fresh.text
