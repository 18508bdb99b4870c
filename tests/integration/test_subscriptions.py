"""Subscriptions over HTTP: formulas across houses, the chosen performances held all or none, one cart line at the
discounted total, the subscription's secret id after payment, its pre-sale, a race and a changed choice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.agreements import split_largest_remainder
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps

from .checkout_helpers import ledger_entries, net_by_account, pay, submit, vat_in, wait_for
from .conftest import Client, HouseFixture, buyer_session, unique
from .test_bundles import held_seats, standing_left

THEATRE_PRICE = 2800
CLUB_PRICE = 1500

KEY = "X-Podium-Subscription-Key"  # a subscription's secret travels in this header, never in its URL


def opened(client: Client, code: str):
    """What a subscription's code (`{public id}.{secret}`) opens: the public id in the path, the secret in a header."""
    public_id, _, secret = code.partition(".")
    return client.get(f"/subscriptions/{public_id}", headers={KEY: secret})


def change(client: Client, code: str, body: dict, **kwargs):
    public_id, _, secret = code.partition(".")
    return client.post(f"/subscriptions/{public_id}/changes", body, headers={KEY: secret}, **kwargs)


def renew(client: Client, code: str, body: dict | None = None):
    public_id, _, secret = code.partition(".")
    return client.post(f"/subscriptions/{public_id}/renewal", body, headers={KEY: secret})


class Season:
    """Two houses: a seated theatre with three performances (one of them dearer, one on general sale only later)
    and a standing club with one; a formula of all five, choose 2 to 3, 20 % off."""

    def __init__(self, stack, signing_key, rows: int = 3, per_row: int = 10, standing: int = 20, **formula):
        self.stack = stack
        self.theatre, self.club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
        now = datetime.now(UTC)

        def seated(price: int, **overrides):
            return self.theatre.performance(
                demo_seatmaps.test_hall(rows, per_row),
                tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": price}}],
                **overrides,
            )

        self.first, self.second = seated(THEATRE_PRICE), seated(THEATRE_PRICE)
        self.dearer = seated(THEATRE_PRICE + 700)
        self.later = seated(THEATRE_PRICE, sales_start=(now + timedelta(days=2)).isoformat())
        self.standing = self.club.performance(
            demo_seatmaps.standing_venue(standing),
            tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": CLUB_PRICE}}],
        )
        self.club_night = self.club.performance(
            demo_seatmaps.standing_venue(standing),
            tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": THEATRE_PRICE}}],
        )  # the theatre's price
        self.coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
        self.body = {
            "id": unique("abo"),
            "name": {"nl": "Keuzeabonnement", "fr": "Abonnement au choix", "en": "Choice subscription"},
            "performances": [
                p["id"] for p in (self.first, self.second, self.dearer, self.later, self.standing, self.club_night)
            ],
            "min_choices": 2,
            "max_choices": 3,
            "discount": {"kind": "percent", "value": 2000},
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (now + timedelta(days=6)).isoformat(),
            "presale_start": (now - timedelta(hours=1)).isoformat(),
            "presale_end": (now + timedelta(days=2)).isoformat(),
            "season": "2026-2027",
            "status": "on_sale",
            **formula,
        }
        response = self.coordinator.post("/staff/subscription-formulas", self.body)
        assert response.status_code == 201, response.text
        self.formula = response.json()
        self.id = self.formula["id"]


def buy(stack, season: Season, choices: dict) -> tuple[Client, dict, dict]:
    """Hold, put in a cart, check out and pay: (buyer, cart view, completed checkout view)."""
    buyer = Client(stack.api_url, session_token=buyer_session())
    response = buyer.post(f"/subscription-formulas/{season.id}/holds", {"performances": choices})
    assert response.status_code == 201, response.text
    cart = buyer.post("/carts").json()
    view = buyer.request("PUT", f"/carts/{cart['id']}/holds/{response.json()['id']}", json={}).json()
    order_id = submit(buyer, cart["id"])["order_id"]
    pay(stack, wait_for(buyer, order_id, {"awaiting_payment"}, stack=stack))
    done = wait_for(buyer, order_id, {"completed", "failed", "refunded"})
    assert done["status"] == "completed", done
    return buyer, view, done


def test_the_coordinator_makes_a_formula_across_houses_and_a_house_admin_only_over_its_own(stack, signing_key, public):
    season = Season(stack, signing_key)
    assert season.formula["houses"] == sorted([season.theatre.id, season.club.id])
    assert season.formula["in_presale"] is True and season.formula["house_id"] is None
    assert season.id in [f["id"] for f in public.get("/subscription-formulas").json()["formulas"]]
    assert public.get(f"/subscription-formulas/{season.id}").json()["min_choices"] == 2
    assert season.coordinator.post("/staff/subscription-formulas", season.body).status_code == 409
    # a house admin may not bind another house's performance …
    theirs = season.theatre.admin.post("/staff/subscription-formulas", {**season.body, "id": unique("abo")})
    assert theirs.status_code == 422, theirs.text
    assert ("performances[4]", "other_house") in [(e["field"], e["code"]) for e in theirs.json()["errors"]]
    # … but makes one over its own, which the other house may not pause
    own = season.theatre.admin.post(
        "/staff/subscription-formulas",
        {
            **season.body,
            "id": unique("abo"),
            "performances": [season.first["id"], season.second["id"]],
            "max_choices": 2,
        },
    )
    assert own.status_code == 201 and own.json()["house_id"] == season.theatre.id, own.text
    assert (
        season.club.admin.patch(f"/staff/subscription-formulas/{own.json()['id']}", {"status": "paused"}).status_code
        == 404
    )
    paused = season.theatre.admin.patch(f"/staff/subscription-formulas/{own.json()['id']}", {"status": "paused"})
    assert paused.status_code == 200 and paused.json()["on_sale"] is False


def test_a_subscription_across_two_houses_is_one_discounted_line_split_to_the_cent_with_a_secret_id(stack, signing_key):
    season = Season(stack, signing_key)
    sold_before = season.coordinator.get("/staff/reports/cluster").json()["subscriptions_sold"]
    buyer, view, done = buy(stack, season, {season.first["id"]: {"category": "A"}, season.standing["id"]: {}})
    assert season.coordinator.get("/staff/reports/cluster").json()["subscriptions_sold"] == sold_before + 1
    total = THEATRE_PRICE + CLUB_PRICE - (THEATRE_PRICE + CLUB_PRICE) // 5
    assert view["total"]["amount"] == total and view["bundles"] == []
    assert [s["price"]["amount"] for s in view["subscriptions"]] == [total]
    rule = season.coordinator.get("/staff/agreement").json()["bundle_split"]
    assert rule == "list_price"
    expected = split_largest_remainder(total, [THEATRE_PRICE, CLUB_PRICE])
    shares = {line["house_id"]: line["price"]["amount"] for line in view["lines"]}
    assert shares == {season.theatre.id: expected[0], season.club.id: expected[1]}
    assert {t["tariff"] for t in done["tickets"]} == {"subscription"} and len(done["tickets"]) == 2

    net = net_by_account(ledger_entries(stack, done["order_id"]).values())
    for house in (season.theatre, season.club):
        assert net[f"house:{house.id}:vat"] == -vat_in(shares[house.id])
        assert -(net[f"house:{house.id}:revenue"] + net[f"house:{house.id}:vat"]) == shares[house.id]
    assert sum(net.values()) == 0

    [subscription] = done["subscriptions"]
    mine = buyer.get(subscription["url"], headers={KEY: subscription["key"]}).json()
    assert mine["formula"]["id"] == season.id
    assert sorted(c["performance_id"] for c in mine["choices"]) == sorted([season.first["id"], season.standing["id"]])
    assert {c["ticket_id"] for c in mine["choices"]} == {t["ticket_id"] for t in done["tickets"]}
    # the public part alone, or a wrong secret, opens nothing
    public_part = subscription["subscription_id"].split(".")[0]
    assert Client(stack.api_url).get(f"/subscriptions/{public_part}", headers={KEY: "wrong"}).status_code == 404
    assert Client(stack.api_url).get(f"/subscriptions/{public_part}").status_code == 404
    # nor does a code in the URL (a secret must never be there, where access logs keep it)
    assert (
        Client(stack.api_url)
        .get(f"/subscriptions/{public_part}.not-the-secret", headers={KEY: subscription["key"]})
        .status_code
        == 404
    )


def test_the_number_of_choices_is_enforced_and_a_refusal_holds_nothing(stack, signing_key):
    season = Season(stack, signing_key)
    buyer = Client(stack.api_url, session_token=buyer_session())
    for choices in (
        {season.first["id"]: {}},
        {p: {} for p in (season.first["id"], season.second["id"], season.dearer["id"], season.standing["id"])},
        {season.first["id"]: {}, "not-in-it": {}},
    ):
        response = buyer.post(f"/subscription-formulas/{season.id}/holds", {"performances": choices})
        assert response.status_code == 422, response.text
    assert held_seats(stack, season.first["id"]) == {} and standing_left(buyer, season.standing["id"]) == 20


def test_in_the_presale_subscribers_hold_before_the_general_sale_and_the_public_is_refused(stack, signing_key):
    season = Season(stack, signing_key)
    public = Client(stack.api_url, session_token=buyer_session())
    refused = public.post(f"/performances/{season.later['id']}/holds", {"best_available": {"count": 1}})
    assert refused.status_code == 409 and refused.json()["code"] == "not_on_sale", refused.text
    subscriber = Client(stack.api_url, session_token=buyer_session())
    held = subscriber.post(
        f"/subscription-formulas/{season.id}/holds",
        {"performances": {season.later["id"]: {}, season.standing["id"]: {}}},
    )
    assert held.status_code == 201, held.text
    assert len(held_seats(stack, season.later["id"])) == 1
    # a formula without a pre-sale gives no such right
    plain = Season(stack, signing_key, presale_start=None, presale_end=None)
    response = subscriber.post(
        f"/subscription-formulas/{plain.id}/holds", {"performances": {plain.later["id"]: {}, plain.standing["id"]: {}}}
    )
    assert response.status_code == 409 and response.json()["code"] == "not_on_sale"
    assert response.json()["performance_id"] == plain.later["id"]
    assert held_seats(stack, plain.later["id"]) == {} and standing_left(subscriber, plain.standing["id"]) == 20


@pytest.mark.race
def test_buyers_racing_for_the_last_seats_of_a_subscription_performance_never_oversell_or_hold_half(stack, signing_key):
    season = Season(stack, signing_key, rows=1, per_row=5, standing=40)  # five seats per theatre performance
    buyers = 16
    start = threading.Barrier(buyers)

    def attempt(_):
        client = Client(stack.api_url, session_token=buyer_session())
        start.wait(timeout=60)
        response = client.post(
            f"/subscription-formulas/{season.id}/holds",
            {"performances": {season.first["id"]: {}, season.standing["id"]: {}}},
            timeout=120,
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=buyers) as pool:
        results = list(pool.map(attempt, range(buyers)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {201, 409}, results
    winners = [body for status, body in results if status == 201]
    assert len(winners) == 5, statuses
    assert held_seats(stack, season.first["id"]) == {
        body["holds"][0]["seats"][0]["id"]: body["holds"][0]["id"] for body in winners
    }
    assert standing_left(Client(stack.api_url), season.standing["id"]) == 40 - 5  # losers took no standing place


def test_a_choice_changes_to_another_performance_at_the_same_list_price_and_the_share_moves_house(stack, signing_key):
    season = Season(stack, signing_key)
    buyer, view, done = buy(stack, season, {season.first["id"]: {}, season.standing["id"]: {}})
    subscription_id = done["subscriptions"][0]["subscription_id"]
    old_ticket = next(t for t in done["tickets"] if t["performance_id"] == season.first["id"])
    old_seat = old_ticket["seat_id"]
    before = net_by_account(ledger_entries(stack, done["order_id"]).values())
    anyone = Client(stack.api_url)
    # a dearer place would change the price: refused, and nothing is held for it
    dearer = change(
        anyone, subscription_id, {"from_performance_id": season.first["id"], "to_performance_id": season.dearer["id"]}
    )
    assert dearer.status_code == 422 and dearer.json()["errors"][0]["code"] == "price_differs", dearer.text
    assert held_seats(stack, season.dearer["id"]) == {}
    # a performance already chosen, or not in the formula, is refused
    again = change(
        anyone, subscription_id, {"from_performance_id": season.first["id"], "to_performance_id": season.standing["id"]}
    )
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "already_chosen"

    changed = change(
        anyone, subscription_id, {"from_performance_id": season.first["id"], "to_performance_id": season.second["id"]}
    )
    assert changed.status_code == 201, changed.text
    choices = {c["performance_id"]: c for c in changed.json()["choices"]}
    assert set(choices) == {season.second["id"], season.standing["id"]} and changed.json()["changes"] == 1
    assert choices[season.second["id"]]["price"]["amount"] == old_ticket["price"]["amount"]
    # the old seat is free again, the new one sold; the old ticket is void, the new one valid
    seats = {
        s["id"]: s["state"] for s in anyone.get(f"/performances/{season.first['id']}/seats").json()["seatmap"]["seats"]
    }
    assert seats[old_seat] == "free"
    new_seat = choices[season.second["id"]]["seat_id"]
    seats = {
        s["id"]: s["state"] for s in anyone.get(f"/performances/{season.second['id']}/seats").json()["seatmap"]["seats"]
    }
    assert seats[new_seat] == "sold"
    tickets = {t["ticket_id"]: t for t in buyer.get(f"/checkouts/{done['order_id']}").json()["tickets"]}
    assert tickets[old_ticket["ticket_id"]]["status"] == "void"
    assert tickets[choices[season.second["id"]]["ticket_id"]]["status"] == "valid"
    # no money moved for the buyer; the theatre's share stayed with the theatre (same house, same price)
    after = net_by_account(ledger_entries(stack, done["order_id"]).values())
    assert after == before and sum(after.values()) == 0


def test_last_seasons_subscriber_renews_first_and_is_offered_the_same_seat_in_the_corresponding_performance(
    stack, signing_key
):
    last = Season(stack, signing_key)
    seat = "zaal-B-3"
    subscriber, _, done = buy(stack, last, {last.first["id"]: {"seats": [seat]}, last.standing["id"]: {}})
    old_id = done["subscriptions"][0]["subscription_id"]
    # next season: the same halls; the new performances' general sale opens in three days
    now = datetime.now(UTC)
    opens = (now + timedelta(days=3)).isoformat()
    new_play = last.theatre.performance(
        demo_seatmaps.test_hall(3, 10),
        sales_start=opens,
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": THEATRE_PRICE}}],
    )
    new_concert = last.club.performance(
        demo_seatmaps.standing_venue(20),
        sales_start=opens,
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": CLUB_PRICE}}],
    )
    body = {
        **last.body,
        "id": unique("abo"),
        "season": "2027-2028",
        "renews": last.id,
        "performances": [new_play["id"], new_concert["id"]],
        "min_choices": 1,
        "max_choices": 2,
        "renewal_start": (now - timedelta(hours=1)).isoformat(),
        "renewal_end": (now + timedelta(days=1)).isoformat(),
        "presale_start": None,
        "presale_end": None,
        "sales_start": (now + timedelta(days=1)).isoformat(),
        "corresponding": {last.first["id"]: new_play["id"], last.standing["id"]: new_concert["id"]},
    }
    late = last.coordinator.post(
        "/staff/subscription-formulas",
        {
            **body,
            "id": unique("abo"),
            "renewal_end": (now + timedelta(days=4)).isoformat(),
            "sales_start": (now + timedelta(days=4)).isoformat(),
        },
    )
    assert late.status_code == 422 and "renewal_after_general_sale" in {e["code"] for e in late.json()["errors"]}
    created = last.coordinator.post("/staff/subscription-formulas", body)
    assert created.status_code == 201, created.text
    assert created.json()["in_renewal"] is True and created.json()["on_sale"] is False
    new_id = created.json()["id"]

    # in the renewal window nobody else may buy the new subscription, nor the performances
    other = Client(stack.api_url, session_token=buyer_session())
    refused = other.post(
        f"/subscription-formulas/{new_id}/holds", {"performances": {new_play["id"]: {"seats": [seat]}}}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_on_sale", refused.text
    refused = other.post(f"/performances/{new_play['id']}/holds", {"seats": [seat]})
    assert refused.status_code == 409 and refused.json()["code"] == "not_on_sale"
    # a wrong secret renews nothing
    assert renew(other, old_id.split(".")[0] + ".nope").status_code == 404
    # the renewal takes no body: a field is refused before anything is held
    mistaken = renew(subscriber, old_id, {"seats": [seat]})
    assert mistaken.status_code == 422 and mistaken.json()["errors"][0]["field"] == "seats", mistaken.text
    assert held_seats(stack, new_play["id"]) == {}

    # last season's subscriber is offered the same seat, and the standing place, in a renewal cart
    renewal = renew(subscriber, old_id)
    assert renewal.status_code == 201, renewal.text
    cart = renewal.json()["cart"]
    assert renewal.json()["formula_id"] == new_id
    assert {(line["performance_id"], line["seat_id"]) for line in cart["lines"]} == {
        (new_play["id"], seat),
        (new_concert["id"], None),
    }
    total = THEATRE_PRICE + CLUB_PRICE - (THEATRE_PRICE + CLUB_PRICE) // 5
    assert cart["total"]["amount"] == total and len(cart["subscriptions"]) == 1
    assert held_seats(stack, new_play["id"]) == {seat: renewal.json()["hold_id"]}


def test_a_choice_changed_to_another_houses_performance_moves_the_share_to_that_house_to_the_cent(stack, signing_key):
    season = Season(stack, signing_key)
    buyer, _, done = buy(stack, season, {season.first["id"]: {}, season.standing["id"]: {}})
    subscription_id = done["subscriptions"][0]["subscription_id"]
    share = next(t for t in done["tickets"] if t["performance_id"] == season.first["id"])["price"]["amount"]
    before = net_by_account(ledger_entries(stack, done["order_id"]).values())
    changed = change(
        Client(stack.api_url),
        subscription_id,
        {"from_performance_id": season.first["id"], "to_performance_id": season.club_night["id"]},
    )
    assert changed.status_code == 201, changed.text
    after = net_by_account(ledger_entries(stack, done["order_id"]).values())
    theatre, club = season.theatre.id, season.club.id
    # the theatre gives back the share it was credited, the club is credited the same amount; the buyer's
    # money in the clearing account does not move
    assert after["payments:clearing"] == before["payments:clearing"] and sum(after.values()) == 0
    assert (
        after.get(f"house:{theatre}:revenue", 0) + after.get(f"house:{theatre}:vat", 0)
        == before[f"house:{theatre}:revenue"] + before[f"house:{theatre}:vat"] + share
    )
    assert (
        after[f"house:{club}:revenue"] + after[f"house:{club}:vat"]
        == before[f"house:{club}:revenue"] + before[f"house:{club}:vat"] - share
    )
    assert standing_left(Client(stack.api_url), season.club_night["id"]) == 19
    seats = Client(stack.api_url).get(f"/performances/{season.first['id']}/seats").json()["seatmap"]["seats"]
    assert all(seat["state"] == "free" for seat in seats)
    # the theatre's statement lines and the club's say so: one ticket out, one in
    view = opened(Client(stack.api_url), subscription_id).json()
    assert sorted(c["house_id"] for c in view["choices"]) == [club, club]


@pytest.mark.race
def test_two_changes_of_one_subscription_at_once_make_one_change_and_lose_no_place(stack, signing_key):
    season = Season(stack, signing_key)
    _, _, done = buy(stack, season, {season.first["id"]: {}, season.standing["id"]: {}})
    subscription_id = done["subscriptions"][0]["subscription_id"]
    start = threading.Barrier(2)

    def attempt(target):
        client = Client(stack.api_url, session_token=buyer_session())
        start.wait(timeout=60)
        return change(
            client,
            subscription_id,
            {"from_performance_id": season.first["id"], "to_performance_id": target},
            timeout=120,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(attempt, [season.second["id"], season.club_night["id"]]))
    statuses = sorted(response.status_code for response in results)
    assert statuses[0] == 201 and statuses[1] in (409, 422), [r.text for r in results]
    view = opened(Client(stack.api_url), subscription_id).json()
    chosen = {c["performance_id"] for c in view["choices"]}
    assert len(chosen) == 2 and season.standing["id"] in chosen and season.first["id"] not in chosen
    # exactly one new place is sold; the loser's place is not held or sold
    second = [
        s["state"]
        for s in Client(stack.api_url).get(f"/performances/{season.second['id']}/seats").json()["seatmap"]["seats"]
    ]
    night_left = standing_left(Client(stack.api_url), season.club_night["id"])
    if season.second["id"] in chosen:
        assert second.count("sold") == 1 and night_left == 20
    else:
        assert "sold" not in second and night_left == 19
    assert held_seats(stack, season.second["id"]) == {}
