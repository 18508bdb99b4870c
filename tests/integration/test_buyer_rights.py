"""Buyers' rights from the link in their e-mails: consents that decide what other houses see, an export
of everything, and an erasure workflow that leaves the accounts whole and nothing personal behind."""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import requests

from chalicelib.domain.buyers import buyer_id, preferences_token
from scripts.embedded import demo_seatmaps, resources
from tests import personal_data

from .checkout_helpers import ledger_entries, net_by_account, pay, poll, submit, table_items, wait_for
from .conftest import Client, HouseFixture, buyer_session
from .test_settlement import coordinator


def buy(
    stack, performances, buyer: dict, language: str = "nl", marketing: bool = False, sharing: bool = False
) -> tuple[str, Client]:
    client = Client(stack.api_url, session_token=buyer_session())
    cart = client.post("/carts").json()
    for performance in performances:
        ask = {"standing": {"count": 2}} if not performance["seated"] else {"best_available": {"count": 2}}
        hold = client.post(f"/performances/{performance['id']}/holds", ask).json()
        assert client.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    order_id = submit(
        client, cart["id"], buyer=buyer, consents={"marketing": marketing, "sharing": sharing}, language=language
    )["order_id"]
    pay(stack, wait_for(client, order_id, {"awaiting_payment"}, stack=stack))
    wait_for(client, order_id, {"completed"}, stack=stack)
    return order_id, client


def mails_to(stack, address: str) -> list[dict]:
    listed = requests.get(f"{stack.outbox.url}/messages.json", timeout=10).json()
    return [mail for mail in listed if address in mail["to"]]


def link_in_mail(stack, address: str, order_id: str | None = None) -> str:
    """The preferences link of the newest e-mail to `address` (or of the order's e-mail), as the buyer clicks it."""

    def links() -> list[str]:
        found = []
        for mail in mails_to(stack, address):
            html = requests.get(f"{stack.outbox.url}/messages/{mail['id']}/html", timeout=10).text
            link = re.search(r'href="(http[^"]*/p/preferences\?[^"]+)"', html).group(1).replace("&amp;", "&")
            if order_id is None or f".{order_id}." in token_of(link):
                found.append(link)
        return found

    link = poll(links, bool, what="an e-mail to the buyer")[0]
    personal_data.register_private(token_of(link), "preferences token")
    return link


def token_of(link: str) -> str:
    return re.search(r"#t=([A-Za-z0-9_.-]+)", link).group(1)


def open_link(stack, link: str) -> tuple[requests.Session, requests.Response]:
    """Follow the link as a browser without JavaScript does: the page, then its form with the link's token.
    The browser's session (with the page's cookie) and the answer to the form."""
    web = requests.Session()
    page = web.get(link.split("#")[0], headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    action = re.search(r'action="([^"]*/p/preferences/open[^"]*)"', page.text).group(1).replace("&amp;", "&")
    opened = web.post(
        stack.api_url + action,
        data={"csrf": csrf, "token": token_of(link)},
        headers={"Accept": "text/html"},
        allow_redirects=False,
    )
    return web, opened


def preferences_page(stack, link: str) -> tuple[requests.Session, requests.Response]:
    web, opened = open_link(stack, link)
    assert opened.status_code == 303, opened.text
    return web, web.get(stack.api_url + opened.headers["Location"], headers={"Accept": "text/html"})


def new_buyer(tag: str) -> dict:
    suffix = uuid.uuid4().hex[:8]
    return {
        "name": f"Rechten {tag.title()} {suffix}",
        "email": f"rechten.{tag}.{suffix}@example.org",
        "postcode": "9000",
    }


def two_houses(stack, signing_key):
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    return (theatre, club), (
        theatre.performance(demo_seatmaps.test_hall(4, 6)),
        club.performance(demo_seatmaps.standing_venue(40)),
    )


def customer_id_at(house: HouseFixture, email: str) -> str:
    return next(
        c["customer_id"] for c in house.admin.get("/staff/customers").json()["customers"] if c["email"] == email
    )


def test_house_b_sees_a_buyers_history_elsewhere_only_while_the_buyer_allows_sharing(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("delen")
    buy(stack, [play, gig], buyer, language="fr")
    link = link_in_mail(stack, buyer["email"])
    assert link.startswith(stack.api_url + "/p/preferences?lang=fr#t=")
    assert buyer["email"] not in link and "example" not in link
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token_of(link)
    at_club = customer_id_at(club, buyer["email"])
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []

    changed = me.request(
        "PUT", "/buyer/consents", json={"marketing": {theatre.id: True}, "sharing": True, "language": "fr"}
    )
    assert changed.status_code == 200, changed.text
    recorded = {(c["house_id"], c["kind"]) for c in changed.json()["recorded"]}
    assert recorded == {(theatre.id, "marketing"), (theatre.id, "sharing"), (club.id, "sharing")}
    assert all(
        c["source"] == "preferences"
        and c["language"] == "fr"
        and c["wording"].startswith("Oui")
        and c["verified"] is True
        and datetime.fromisoformat(c["at"]).tzinfo is not None
        for c in changed.json()["recorded"]
    )
    assert [h["house_id"] for h in club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"]] == [theatre.id]
    assert buyer["email"] in theatre.admin.get("/staff/marketing-export").text
    assert buyer["email"] not in club.admin.get("/staff/marketing-export").text
    # the same choices again record nothing: the history holds what the buyer changed, once
    again = me.request("PUT", "/buyer/consents", json={"marketing": {theatre.id: True}, "sharing": True})
    assert again.json()["recorded"] == []

    # withdrawing on the page behind the link (a browser's form, in the page's session)
    web, page = preferences_page(stack, link)
    assert page.status_code == 200 and f"Huis {theatre.id}" in page.text and buyer["email"] in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Content-Language"] == "fr"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form_url = f"{stack.api_url}/p/preferences/consents"
    forged = requests.post(form_url, data={"marketing": theatre.id}, allow_redirects=False)
    assert forged.status_code == 403
    saved = web.post(form_url + "?lang=fr", data={"csrf": csrf, "marketing": theatre.id}, allow_redirects=False)
    assert saved.status_code == 303 and "saved=1" in saved.headers["Location"]
    unconfirmed = web.post(
        f"{stack.api_url}/p/preferences/erasure", data={"csrf": csrf}, headers={"Accept": "text/html"}
    )
    assert unconfirmed.status_code == 422 and 'href="#erase-confirm"' in unconfirmed.text  # the page asks for the tick
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []
    assert buyer["email"] in theatre.admin.get("/staff/marketing-export").text  # still ticked on the form
    # the order's own choices (both off) wait unconfirmed: the history holds only the buyer's word on the page
    history = web.get(f"{stack.api_url}/p/preferences/export").json()["houses"]
    theatre_log = next(h for h in history if h["house_id"] == theatre.id)["consent_history"]
    assert [(c["kind"], c["granted"], c["source"]) for c in theatre_log] == [
        ("marketing", True, "preferences"),
        ("sharing", True, "preferences"),
        ("sharing", False, "preferences"),
    ]
    # the link was spent by the page: its token no longer opens anything, not even the JSON API
    assert me.get("/buyer/preferences").status_code == 401


def record_at(house: HouseFixture, customer_id: str) -> dict:
    """The house's record of the buyer: details and consents (not the purchases or what other houses share)."""
    found = house.admin.get(f"/staff/customers/{customer_id}").json()
    return {key: value for key, value in found.items() if key not in ("purchases", "other_houses")}


def answer_order(
    stack, web: requests.Session, page: requests.Response, order_id: str, answer: str = "confirm"
) -> requests.Response:
    """The owner's word on an order's choices, as the page's form for that order sends it (with the page's csrf)."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return web.post(
        f"{stack.api_url}/p/preferences/orders",
        data={"csrf": csrf, "order_id": order_id, "answer": answer},
        headers={"Accept": "text/html"},
        allow_redirects=False,
    )


def confirmed_page(stack, link: str, order_id: str) -> tuple[requests.Session, requests.Response]:
    """Follow the order's link and confirm its choices on the page: the page after."""
    web, page = preferences_page(stack, link)
    assert f'name="order_id" value="{order_id}"' in page.text
    answered = answer_order(stack, web, page, order_id)
    assert answered.status_code == 303 and answered.headers["Location"].endswith("order=confirmed"), answered.text
    return web, web.get(stack.api_url + answered.headers["Location"], headers={"Accept": "text/html"})


def test_an_address_typed_at_checkout_binds_nothing_until_its_owner_confirms_the_choices(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    owner = new_buyer("eigenaar")
    own_order, _ = buy(stack, [play, gig], owner)
    at_theatre, at_club = customer_id_at(theatre, owner["email"]), customer_id_at(club, owner["email"])
    # following the link proves the address, not the choices: the page shows them and nothing is applied
    web, page = preferences_page(stack, link_in_mail(stack, owner["email"], own_order))
    assert page.status_code == 200 and f'name="order_id" value="{own_order}"' in page.text
    assert re.search(r'action="/p/preferences/orders[?"]', page.text)
    assert theatre.admin.get(f"/staff/customers/{at_theatre}").json()["consents"] == {}
    confirmed = answer_order(stack, web, page, own_order)
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("order=confirmed")
    before = record_at(theatre, at_theatre)
    assert before["name"] == owner["name"] and before["consents"]["sharing"]["granted"] is False
    assert before["consents"]["sharing"]["verified"] is True and before["consents"]["sharing"]["source"] == "order"
    # confirming again (a second click, a replayed form) records nothing more
    assert answer_order(stack, web, page, own_order).status_code == 303
    assert record_at(theatre, at_theatre) == before
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []

    # a stranger types the owner's address at house A, with another name and every consent ticked
    stranger = {**new_buyer("vreemde"), "email": owner["email"], "phone": "+32 470 12 34 87"}
    strangers_order, _ = buy(stack, [play], stranger, marketing=True, sharing=True)
    after = theatre.admin.get(f"/staff/customers/{at_theatre}").json()
    assert (after["name"], after["consents"]) == (before["name"], before["consents"])
    assert owner["email"] not in theatre.admin.get("/staff/marketing-export").text
    # house B sees the stranger's order at A (its sharing covers that order) and none of the owner's own
    seen = {h["order_id"] for h in club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"]}
    assert own_order not in seen and seen <= {strangers_order}
    # the stranger's ticket e-mail says what the stranger typed, not what house A knows of the address
    mail = poll(
        lambda: [m for m in mails_to(stack, owner["email"]) if strangers_order in m["subject"]],
        bool,
        what="the stranger's order e-mail",
    )[0]
    text = requests.get(f"{stack.outbox.url}/messages/{mail['id']}/html", timeout=10).text
    assert owner["name"] not in text

    # the owner merely opens the link of that e-mail: the page shows what the stranger typed, nothing changes
    web, page = preferences_page(stack, link_in_mail(stack, owner["email"], strangers_order))
    assert page.status_code == 200 and stranger["name"] in page.text
    assert "1234" not in page.text.replace(" ", "") and " 87<" in page.text  # the stranger's phone: its end only
    assert f'name="order_id" value="{own_order}"' not in page.text  # confirmed: no longer asked
    assert record_at(theatre, at_theatre) == before
    assert owner["email"] not in theatre.admin.get("/staff/marketing-export").text
    # the owner declines: still nothing changes, the choices are marked declined and share nothing any more
    forged = requests.post(
        f"{stack.api_url}/p/preferences/orders",
        data={"order_id": strangers_order, "answer": "decline"},
        allow_redirects=False,
    )
    assert forged.status_code == 403
    declined = answer_order(stack, web, page, strangers_order, "decline")
    assert declined.status_code == 303 and declined.headers["Location"].endswith("order=declined")
    assert answer_order(stack, web, page, strangers_order, "decline").status_code == 303  # again: the same
    assert record_at(theatre, at_theatre) == before
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []
    page = web.get(stack.api_url + declined.headers["Location"], headers={"Accept": "text/html"})
    assert stranger["name"] not in page.text and f'value="{strangers_order}"' not in page.text
    # confirming after declining is refused and writes nothing; so is declining what was confirmed
    refused = answer_order(stack, web, page, strangers_order)
    assert refused.status_code == 409 and 'role="alert"' in refused.text and stranger["name"] not in refused.text
    assert answer_order(stack, web, page, own_order, "decline").status_code == 409
    assert answer_order(stack, web, page, "ord_nosuchorder").status_code == 404
    assert answer_order(stack, web, page, strangers_order, "maybe").status_code == 422
    assert record_at(theatre, at_theatre) == before
    export = web.get(f"{stack.api_url}/p/preferences/export").json()
    (strangers,) = [o for o in export["orders"] if o["order_id"] == strangers_order]
    assert [(b["house_id"], b["proven_at"], bool(b["declined_at"])) for b in strangers["buyer"]] == [
        (theatre.id, None, True)
    ]

    # the owner orders again at A, ticking marketing under a new spelling of their name, and confirms that order
    renamed = {**owner, "name": owner["name"] + " Jr"}
    personal_data.register(renamed["name"], renamed["email"])
    second_order, _ = buy(stack, [play], renamed, marketing=True)
    assert theatre.admin.get(f"/staff/customers/{at_theatre}").json()["consents"] == before["consents"]
    confirmed_page(stack, link_in_mail(stack, owner["email"], second_order), second_order)
    proven = theatre.admin.get(f"/staff/customers/{at_theatre}").json()
    assert proven["name"] == renamed["name"] and proven["consents"]["marketing"]["granted"] is True
    assert proven["consents"]["sharing"]["granted"] is False
    export = requests.get(
        f"{stack.api_url}/buyer/export",
        headers={"X-Podium-Buyer-Token": token_of(link_in_mail(stack, owner["email"], own_order))},
    )
    assert export.status_code == 401  # that link was spent
    houses = requests.get(
        f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": _fresh_token(stack, owner["email"])}
    ).json()["houses"]
    log = next(h for h in houses if h["house_id"] == theatre.id)["consent_history"]
    assert [(c["kind"], c["granted"], c["source"], c["verified"], c["order_id"]) for c in log] == [
        ("marketing", False, "order", True, own_order),
        ("sharing", False, "order", True, own_order),
        ("marketing", True, "order", True, second_order),
    ]
    assert all(c["given_at"] < c["at"] for c in log)
    assert stranger["name"] not in json.dumps(proven)
    assert club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"] == []

    # a link followed once opens nothing the second time
    web, again = open_link(stack, link_in_mail(stack, owner["email"], second_order))
    assert again.status_code == 410 and web.cookies.get("podium_buyer") is None


def test_sharing_ticked_at_an_unproven_sale_shows_other_houses_that_order_only(stack, signing_key):
    from chalicelib.store.models import CustomerItem, customer_key, house_key

    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("perorder")
    shared, _ = buy(stack, [play, gig], buyer, sharing=True)
    private, _ = buy(stack, [play], buyer)
    at_theatre, at_club = customer_id_at(theatre, buyer["email"]), customer_id_at(club, buyer["email"])

    def seen() -> set[str]:
        return {h["order_id"] for h in club.admin.get(f"/staff/customers/{at_club}").json()["other_houses"]}

    assert seen() == {shared}
    # an older record whose sharing came straight from a sale (nobody proved it) shares nothing more
    CustomerItem(house_key(theatre.id), customer_key(at_theatre)).update(
        actions=[
            CustomerItem.consents.set(
                {
                    "sharing": {
                        "kind": "sharing",
                        "granted": True,
                        "wording": "Ja",
                        "language": "nl",
                        "at": "2026-01-01T00:00:00+00:00",
                        "source": "checkout",
                    }
                }
            )
        ]
    )
    assert seen() == {shared}
    # following that order's link proves the address only; once the owner confirmed the order's choices, its
    # sharing is theirs: every order at the theatre shows
    web, page = preferences_page(stack, link_in_mail(stack, buyer["email"], shared))
    assert page.status_code == 200 and seen() == {shared}
    assert answer_order(stack, web, page, shared).status_code == 303
    assert seen() == {shared, private}


def _fresh_token(stack, address: str) -> str:
    """A token as a new e-mail to the address would carry."""
    key = stack.secret_values["CustomerKeySecret"].encode()
    token = preferences_token(key, buyer_id(key, address), datetime.now(UTC))
    personal_data.register_private(token, "preferences token")
    return token


def test_a_link_is_refused_when_altered_expired_or_used_and_the_api_wants_its_token(stack):
    key = stack.secret_values["CustomerKeySecret"].encode()
    expired = preferences_token(key, buyer_id(key, "weg@example.org"), datetime.now(UTC) - timedelta(days=500))
    valid = preferences_token(key, buyer_id(key, "weg@example.org"), datetime.now(UTC))
    for token in (expired, valid):
        personal_data.register_private(token, "preferences token")
    _, gone = open_link(stack, f"{stack.api_url}/p/preferences#t={expired}")
    assert gone.status_code == 410 and 'href="/p/preferences"' in gone.text
    _, forged = open_link(stack, f"{stack.api_url}/p/preferences#t={valid[:-2]}xx")
    assert forged.status_code == 404
    assert requests.get(f"{stack.api_url}/buyer/export").status_code == 401
    assert (
        requests.get(f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": valid[:-2] + "xx"}).status_code
        == 401
    )
    nobody = requests.get(f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": valid}).json()
    assert nobody["houses"] == [] and nobody["orders"] == []
    # opened once: a session cookie (HttpOnly, Lax, only for these pages), and the token is spent
    web, opened = open_link(stack, f"{stack.api_url}/p/preferences#t={valid}")
    assert opened.status_code == 303 and opened.headers["Location"] == "/p/preferences"
    cookie = next(c for c in opened.raw.headers.getlist("Set-Cookie") if c.startswith("podium_buyer="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/p/preferences" in cookie
    assert valid not in cookie and valid not in opened.headers["Location"]
    assert web.get(f"{stack.api_url}/p/preferences", headers={"Accept": "text/html"}).status_code == 200
    assert web.get(f"{stack.api_url}/p/preferences/export").status_code == 200
    _, again = open_link(stack, f"{stack.api_url}/p/preferences#t={valid}")
    assert again.status_code == 410
    assert requests.get(f"{stack.api_url}/buyer/export", headers={"X-Podium-Buyer-Token": valid}).status_code == 401
    # without the session, the page's forms and download are refused
    assert requests.get(f"{stack.api_url}/p/preferences/export").status_code == 410


def test_the_export_holds_the_buyers_records_consents_orders_and_tickets_at_every_house(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("export")
    order_id, _ = buy(stack, [play, gig], buyer, marketing=True)
    web, page = confirmed_page(stack, link_in_mail(stack, buyer["email"], order_id), order_id)
    download = re.search(r'href="([^"]*/export[^"]*)"', page.text).group(1).replace("&amp;", "&")
    assert requests.get(stack.api_url + download).status_code == 410  # only in the page's session
    response = web.get(stack.api_url + download)
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
    assert {b["house_id"] for b in order["buyer"]} == {theatre.id, club.id}
    assert all(b["details"]["name"] == buyer["name"] and b["proven_at"] for b in order["buyer"])


def test_erasure_forgets_the_buyer_everywhere_keeps_the_accounts_and_runs_once(stack, signing_key):
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("wissen")
    order_id, _ = buy(stack, [play, gig], buyer, sharing=True, marketing=True)
    at_theatre, at_club = customer_id_at(theatre, buyer["email"]), customer_id_at(club, buyer["email"])
    token = token_of(link_in_mail(stack, buyer["email"]))
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token
    sales_before = theatre.admin.get("/staff/reports/sales").json()["totals"]
    assert mails_to(stack, buyer["email"])  # the tickets and the link: the outbox must lose them below

    answers: list = []
    requests_at_once = [threading.Thread(target=lambda: answers.append(me.post("/buyer/erasure"))) for _ in range(2)]
    for thread in requests_at_once:
        thread.start()
    for thread in requests_at_once:
        thread.join()
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    (erasure_id,) = {a.json()["erasure_id"] for a in answers}
    receipt = poll(
        lambda: me.get("/buyer/preferences").json()["erasures"][-1],
        lambda r: r["status"] == "erased",
        what="the erasure",
    )
    assert receipt["erasure_id"] == erasure_id and sorted(receipt["house_ids"]) == sorted([theatre.id, club.id])
    assert receipt["customer_records"] == 2 and receipt["orders"] == 1 and receipt["purchases"] == 2

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
    executions = [
        e
        for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]
        if e["name"] == erasure_id
    ]
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    history = json.dumps(sfn.get_execution_history(executionArn=executions[0]["executionArn"])["events"], default=str)
    assert buyer["email"] not in history and buyer["name"] not in history

    # asking again changes nothing and starts nothing
    again = me.post("/buyer/erasure")
    assert again.status_code == 202 and again.json()["erasure_id"] == erasure_id and again.json()["status"] == "erased"
    assert len(sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]) == len(
        {e["name"] for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]}
    )
    _, page = preferences_page(stack, f"{stack.api_url}/p/preferences#t={token}")
    assert page.status_code == 200 and buyer["email"] not in page.text and erasure_id in page.text
    # nor does the table of personal data keep the order's copy of its buyer at either house
    dynamodb = resources.client("dynamodb", stack.moto.url)
    for house in (theatre, club):
        assert "Item" not in dynamodb.get_item(
            TableName=stack.refs["CustomerTable"],
            ConsistentRead=True,
            Key={"PK": {"S": f"HOUSE#{house.id}"}, "SK": {"S": f"ORDER#{order_id}"}},
        )
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
    buyer_store.begin_erasure(buyer_of, erasure, [theatre.id, club.id], datetime.now(UTC) - timedelta(hours=1))
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token_of(link_in_mail(stack, buyer["email"]))

    asked = me.post("/buyer/erasure")
    assert asked.status_code == 202 and asked.json()["erasure_id"] == erasure
    poll(
        lambda: me.get("/buyer/preferences").json()["erasures"][-1]["status"],
        lambda status: status == "erased",
        what="the resumed erasure",
    )
    sfn = resources.client("stepfunctions", stack.moto.url)
    names = {e["name"] for e in sfn.list_executions(stateMachineArn=stack.refs["ErasureStateMachine"])["executions"]}
    assert f"{erasure}-4" in names and erasure not in names
    assert buyer["email"] not in json.dumps(theatre.admin.get("/staff/customers").json())


def test_a_buyer_whose_link_expired_gets_a_new_one_by_email_and_the_form_reveals_nobody(stack, signing_key):
    key = stack.secret_values["CustomerKeySecret"].encode()
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("nieuw")
    buy(stack, [play], buyer)
    expired = preferences_token(key, buyer_id(key, buyer["email"]), datetime.now(UTC) - timedelta(days=500))
    web = requests.Session()
    personal_data.register_private(expired, "preferences token")
    _, gone = open_link(stack, f"{stack.api_url}/p/preferences#t={expired}")
    assert gone.status_code == 410 and 'href="/p/preferences"' in gone.text
    form = web.get(f"{stack.api_url}/p/preferences", headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)

    def ask(address: str) -> requests.Response:
        return web.post(
            f"{stack.api_url}/p/preferences",
            data={"csrf": csrf, "email": address},
            headers={"Accept": "text/html"},
            allow_redirects=False,
        )

    assert ask("not an address").status_code == 422
    stranger = f"onbekend.{uuid.uuid4().hex[:8]}@example.org"
    personal_data.register(None, stranger)  # what anyone types in the form must not be logged either
    for address in (buyer["email"], buyer["email"], stranger):  # the same answer for a known and an unknown address
        answer = ask(address)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("sent=1")
    links = poll(
        lambda: [m for m in mails_to(stack, buyer["email"]) if m["subject"].startswith("Je link")],
        bool,
        what="the new link",
    )
    assert len(links) == 1 and mails_to(stack, stranger) == []  # once per quarter hour, nothing to strangers
    _, fresh = preferences_page(stack, link_in_mail(stack, buyer["email"]))
    assert fresh.status_code == 200 and f"Huis {theatre.id}" in fresh.text


def test_staff_notes_on_a_buyers_refunds_are_in_their_export_and_gone_after_erasure(stack, signing_key):
    # a desk's internal note may name the buyer: it is theirs to see, and it goes with them
    (theatre, _), (play, _) = two_houses(stack, signing_key)
    buyer = new_buyer("notities")
    order_id, _ = buy(stack, [play], buyer)
    token = token_of(link_in_mail(stack, buyer["email"]))
    ticket = theatre.admin.get(f"/staff/orders/{order_id}").json()["tickets"][0]
    note = f"{buyer['name']} belde, kan niet komen"
    personal_data.register_private(note, "refund note")
    asked = theatre.admin.post(
        f"/staff/orders/{order_id}/refunds",
        {"ticket_ids": [ticket["ticket_id"]], "reason_code": "customer_request", "note": note},
    )
    assert asked.status_code == 202, asked.text
    me = Client(stack.api_url)
    me.http.headers["X-Podium-Buyer-Token"] = token
    (exported,) = [o for o in me.get("/buyer/export").json()["orders"] if o["order_id"] == order_id]
    assert [refund["note"] for refund in exported["refunds"]] == [note]

    assert me.post("/buyer/erasure").status_code == 202
    receipt = poll(
        lambda: me.get("/buyer/preferences").json()["erasures"][-1],
        lambda r: r["status"] == "erased",
        what="the erasure",
    )
    assert receipt["refund_notes"] == 1
    (refund,) = table_items(stack, f"ORDER#{order_id}", "REFUND#")
    assert "note" not in refund and refund["reason"]["S"] == "customer_request"
