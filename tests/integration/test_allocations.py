"""Allocations over HTTP: house A sets seats of its performance aside for house B (or a channel); B sells them
at its desk and on its hosted link, nobody else can take them, and they return to A's sale at the deadline."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps

from .checkout_helpers import ledger_entries, net_by_account
from .conftest import Client, HouseFixture, buyer_session
from .test_pages import browser, form_token

ROW_A = [f"zaal-A-{n}" for n in range(1, 7)]
ROW_B = [f"zaal-B-{n}" for n in range(1, 7)]


def soon(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def allocations_url(performance: dict) -> str:
    return f"/staff/performances/{performance['id']}/allocations"


def desk_of(stack, house: HouseFixture) -> Client:
    return Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())


def web_buyer(stack) -> Client:
    return Client(stack.api_url, session_token=buyer_session())


def seat_states(client: Client, performance: dict) -> dict[str, str]:
    seatmap = client.get(f"/performances/{performance['id']}/seats").json()["seatmap"]
    return {seat["id"]: seat["state"] for seat in seatmap["seats"]}


@pytest.fixture
def houses(stack, signing_key):
    """Owner A with a 3×6 hall performance, seller B, outsider C."""
    a, b, c = (HouseFixture(stack, signing_key) for _ in range(3))
    return a, b, c, a.performance(demo_seatmaps.test_hall(3, 6))


def test_the_owner_sets_seats_aside_for_another_house_and_bad_requests_are_refused_in_the_buyers_language(
    stack, houses
):
    a, b, c, performance = houses
    url = allocations_url(performance)
    # someone holds A-6 already: it cannot be set aside
    assert web_buyer(stack).post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-A-6"]}).status_code == 201
    refusals = [
        ({"house_id": b.id, "seats": ["zaal-Z-9"], "returns_at": soon(days=1)}, 422, "unknown_seat"),
        ({"house_id": b.id, "channel": "web", "seats": ["zaal-A-1"], "returns_at": soon(days=1)}, 422, "one_holder"),
        ({"house_id": a.id, "seats": ["zaal-A-1"], "returns_at": soon(days=1)}, 422, "unknown_house"),
        ({"house_id": b.id, "seats": ["zaal-A-1"], "returns_at": soon(days=-1)}, 422, "out_of_range"),
        ({"house_id": b.id, "seats": ["zaal-A-1"], "returns_at": soon(days=30)}, 422, "out_of_range"),
        ({"house_id": b.id, "seats": ["zaal-A-1", "zaal-A-1"], "returns_at": soon(days=1)}, 422, "duplicate_seat"),
        ({"house_id": b.id, "seats": ["zaal-A-5", "zaal-A-6"], "returns_at": soon(days=1)}, 409, None),
    ]
    for body, status, field_code in refusals:
        response = a.admin.post(url, body, headers={"Accept-Language": "fr"})
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        assert problem["title"] in ("Données invalides", "Places plus disponibles"), problem
        if field_code:
            assert field_code in {error["code"] for error in problem["errors"]}, problem
        else:
            assert problem["code"] == "seats_unavailable" and problem["taken"] == ["zaal-A-6"], problem
    assert seat_states(web_buyer(stack), performance)["zaal-A-5"] == "free"  # the refused one changed nothing
    created = a.admin.post(url, {"house_id": b.id, "seats": ROW_A[:4], "returns_at": soon(days=1)})
    assert created.status_code == 201, created.text
    allocation = created.json()
    assert allocation["house_id"] == b.id and allocation["seats"] == ROW_A[:4]
    # a seat in one allocation cannot go into another
    again = a.admin.post(url, {"channel": "partner", "seats": ["zaal-A-4", "zaal-B-1"], "returns_at": soon(days=1)})
    assert again.status_code == 409 and again.json()["code"] == "seats_unavailable"
    # only the owner's admin sets seats aside
    assert b.admin.post(url, {"house_id": c.id, "seats": ["zaal-C-1"], "returns_at": soon(days=1)}).status_code == 404
    assert (
        desk_of(stack, a).post(url, {"house_id": b.id, "seats": ["zaal-C-1"], "returns_at": soon(days=1)}).status_code
        == 403
    )
    # the public seat map shows the seats as allocated, not free
    states = seat_states(web_buyer(stack), performance)
    assert {states[s] for s in ROW_A[:4]} == {"allocated"} and states["zaal-A-5"] == "free"


def test_b_sells_only_from_its_allocation_and_the_sale_is_b_s_with_a_s_revenue(stack, houses):
    a, b, c, performance = houses
    allocation = a.admin.post(
        allocations_url(performance), {"house_id": b.id, "seats": ROW_A[:4], "returns_at": soon(days=1)}
    ).json()
    holds = f"/performances/{performance['id']}/holds"
    # nobody else takes an allocated seat: a web buyer, A's own desk, C's desk, best-available
    for outsider in (web_buyer(stack), desk_of(stack, a), desk_of(stack, c)):
        refused = outsider.post(holds, {"seats": ["zaal-A-1"]})
        assert refused.status_code == 409 and refused.json()["taken"] == ["zaal-A-1"], refused.text
    best = web_buyer(stack).post(holds, {"best_available": {"count": 6}})
    assert best.status_code == 201 and not {s["id"] for s in best.json()["seats"]} & set(ROW_A[:4]), best.text
    # B cannot take a seat outside its allocation, not even one A would sell to anyone
    desk = desk_of(stack, b)
    outside = desk.post(holds, {"seats": ["zaal-A-4", "zaal-A-5"]})
    assert outside.status_code == 409 and outside.json()["taken"] == ["zaal-A-5"]
    # B's best available comes from its allocation; its desk sells it
    hold = desk.post(holds, {"best_available": {"count": 2}})
    assert hold.status_code == 201, hold.text
    held = {s["id"] for s in hold.json()["seats"]}
    assert held <= set(ROW_A[:4])
    cart = desk.post("/carts").json()
    assert desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={}).status_code == 200
    sale = desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"})
    assert sale.status_code == 201, sale.text
    net = net_by_account(ledger_entries(stack, sale.json()["order_id"]).values())
    assert net[f"house:{b.id}:collected"] == 2 * 2000  # B sold it and holds the money
    assert -(net[f"house:{a.id}:revenue"] + net[f"house:{a.id}:vat"]) == 2 * 2000  # A's revenue
    # B's hosted link sells from the allocation too; the plain hosted page does not
    left = sorted(set(ROW_A[:4]) - held)[0]
    for via, expected in (("", 409), (f"?via={b.id}", 303)):
        web = browser(stack)
        page = web.get(f"{stack.api_url}/p/performances/{performance['id']}{via}")
        held = web.post(
            f"{stack.api_url}/p/performances/{performance['id']}/holds{via}",
            data={"csrf": form_token(page.text), "mode": "seats", "seat": left},
            allow_redirects=False,
        )
        assert held.status_code == expected, held.text[:300]
    # each party sees the distribution as far as it may
    view = a.admin.get(allocations_url(performance)).json()
    (mine,) = view["allocations"]
    assert (mine["id"], mine["size"], mine["sold"], mine["held"], mine["free"], mine["returned"]) == (
        allocation["id"],
        4,
        2,
        1,
        1,
        0,
    )
    assert view["totals"]["allocated"] == 1
    assert b.admin.get(allocations_url(performance)).json()["allocations"][0]["sold"] == 2
    assert desk_of(stack, b).get("/staff/allocations").json()["allocations"][0]["id"] == allocation["id"]
    assert c.admin.get(allocations_url(performance)).status_code == 404
    assert desk_of(stack, c).get("/staff/allocations").json()["allocations"] == []
    coordinator = Client(stack.api_url, issue_token(a.key, "coordinator", Role.COORDINATOR, None))
    assert [x["id"] for x in coordinator.get(allocations_url(performance)).json()["allocations"]] == [allocation["id"]]
    # C cannot change or release A's allocation
    one = f"{allocations_url(performance)}/{allocation['id']}"
    assert c.admin.patch(one, {"add": ["zaal-C-1"]}).status_code == 404
    assert c.admin.post(f"{one}/release", {}).status_code == 404


def test_changing_and_releasing_early_gives_seats_back(stack, houses):
    a, b, _, performance = houses
    url = allocations_url(performance)
    allocation = a.admin.post(url, {"house_id": b.id, "seats": ROW_A[:3], "returns_at": soon(days=1)}).json()
    one = f"{url}/{allocation['id']}"
    desk = desk_of(stack, b)
    assert desk.post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-A-1"]}).status_code == 201
    # a held seat cannot be taken out; a free one can; new seats come in
    assert a.admin.patch(one, {"remove": ["zaal-A-1"]}).status_code == 409
    changed = a.admin.patch(one, {"remove": ["zaal-A-3"], "add": ["zaal-B-1"], "returns_at": soon(hours=20)})
    assert changed.status_code == 200, changed.text
    assert changed.json()["seats"] == ["zaal-A-1", "zaal-A-2", "zaal-B-1"]
    states = seat_states(web_buyer(stack), performance)
    assert states["zaal-A-3"] == "free" and states["zaal-B-1"] == "allocated"
    released = a.admin.post(f"{one}/release", {})
    assert released.status_code == 200 and released.json()["released"] is True
    assert a.admin.post(f"{one}/release", {}).status_code == 409
    # B's held seat stays B's; the rest are anybody's again
    assert (
        web_buyer(stack)
        .post(f"/performances/{performance['id']}/holds", {"seats": ["zaal-A-2", "zaal-B-1"]})
        .status_code
        == 201
    )
    view = a.admin.get(url).json()["allocations"][0]
    assert (view["held"], view["returned"], view["free"]) == (1, 2, 0)


def test_general_web_buyers_and_b_s_desk_racing_on_the_allocation_boundary_never_cross_it(stack, houses):
    a, b, _, performance = houses
    allocation = a.admin.post(
        allocations_url(performance), {"house_id": b.id, "seats": ROW_A, "returns_at": soon(days=1)}
    ).json()
    holds = f"/performances/{performance['id']}/holds"
    boundary = ROW_A + ROW_B
    rng = random.Random(7)
    asks = []
    for n in range(48):
        seller = "b" if n % 2 else "web"
        column = rng.randrange(6)
        shape = rng.choice(["single", "single", "straddle", "best"])
        ask = (
            {"seats": [rng.choice(boundary)]}
            if shape == "single"
            else {"seats": [ROW_A[column], ROW_B[column]]}
            if shape == "straddle"
            else {"best_available": {"count": 1}}
        )
        asks.append((seller, ask))

    def attempt(ask):
        """A web buyer holds; B's desk holds and sells at once."""
        seller, body = ask
        client = desk_of(stack, b) if seller == "b" else web_buyer(stack)
        response = client.post(holds, body)
        seats = [seat["id"] for seat in response.json()["seats"]] if response.status_code == 201 else []
        if seller == "b" and seats:
            cart = client.post("/carts").json()
            client.request("PUT", f"/carts/{cart['id']}/holds/{response.json()['id']}", json={})
            sale = client.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"})
            assert sale.status_code == 201, sale.text
        return seller, body, response.status_code, seats

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, asks))
    assert all(status in (201, 409) for _, _, status, _ in results), [r for r in results if r[2] not in (201, 409)]
    won: dict[str, str] = {}
    for seller, body, status, seats in results:
        for seat in seats:
            assert seat not in won, f"{seat} taken twice"
            won[seat] = seller
        assert set(seats) <= (set(ROW_A) if seller == "b" else set(ROW_B) | {f"zaal-C-{n}" for n in range(1, 7)}), (
            seller,
            seats,
        )
        assert not (status == 201 and len(body.get("seats", [])) == 2), "a straddling ask never succeeds"
    assert "b" in won.values() and "web" in won.values()
    states = seat_states(web_buyer(stack), performance)
    sold_by_b = {seat for seat, who in won.items() if who == "b"}
    assert {seat for seat, state in states.items() if state == "sold"} == sold_by_b  # never a seat outside
    view = a.admin.get(allocations_url(performance)).json()["allocations"][0]
    assert view["id"] == allocation["id"] and (view["sold"], view["held"]) == (len(sold_by_b), 0)


def test_unsold_seats_return_to_the_owner_s_sale_at_the_deadline_without_anybody_acting(stack, houses):
    a, b, _, performance = houses
    url = allocations_url(performance)
    allocation = a.admin.post(url, {"house_id": b.id, "seats": ROW_A[:4], "returns_at": soon(seconds=4)}).json()
    desk = desk_of(stack, b)
    holds = f"/performances/{performance['id']}/holds"
    hold = desk.post(holds, {"seats": ["zaal-A-1"]})
    assert hold.status_code == 201
    web = web_buyer(stack)
    assert web.post(holds, {"seats": ["zaal-A-2"]}).status_code == 409
    deadline = datetime.fromisoformat(allocation["returns_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.3)
    # the lapsed allocation is the general pool now: the web buyer gets the unsold seats, B's held seat stays B's
    assert web.post(holds, {"seats": ["zaal-A-2", "zaal-A-3"]}).status_code == 201
    assert web.post(holds, {"seats": ["zaal-A-1"]}).status_code == 409
    cart = desk.post("/carts").json()
    desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={})
    assert desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"}).status_code == 201
    view = a.admin.get(url).json()["allocations"][0]
    assert (view["sold"], view["held"], view["free"], view["returned"]) == (1, 0, 0, 3)
    assert a.admin.patch(f"{url}/{allocation['id']}", {"add": ["zaal-A-5"]}).status_code == 409
    # the sweeper records what came back, once
    assert stack.sweep()["allocations_returned"] >= 1
    assert a.admin.get(url).json()["allocations"][0]["recorded_returned"] == 3
    stack.sweep()
    assert a.admin.get(url).json()["allocations"][0]["recorded_returned"] == 3


def test_standing_places_set_aside_have_their_own_counter_and_racing_buyers_never_cross_it(stack, houses):
    a, b, c, _ = houses
    performance = a.performance(demo_seatmaps.standing_venue(20))
    url = allocations_url(performance)
    assert a.admin.post(url, {"house_id": b.id, "seats": ["x"], "returns_at": soon(days=1)}).status_code == 422
    assert a.admin.post(url, {"house_id": b.id, "places": 21, "returns_at": soon(days=1)}).status_code == 409
    allocation = a.admin.post(url, {"house_id": b.id, "places": 8, "returns_at": soon(days=1)})
    assert allocation.status_code == 201, allocation.text
    holds = f"/performances/{performance['id']}/holds"
    assert web_buyer(stack).get(f"/performances/{performance['id']}").json()["availability"]["available"] == 12
    rng = random.Random(11)
    asks = [("b" if n % 2 else "web", rng.choice([1, 2])) for n in range(40)]

    def attempt(ask):
        seller, places = ask
        client = desk_of(stack, b) if seller == "b" else web_buyer(stack)
        response = client.post(holds, {"standing": {"count": places}})
        return seller, places, response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, asks))
    assert all(status in (201, 409) for _, _, status in results), results
    won = {
        seller: sum(places for s, places, status in results if s == seller and status == 201) for seller in ("b", "web")
    }
    assert won["b"] <= 8 and won["web"] <= 12, won
    assert won["b"] >= 7 and won["web"] >= 11, won  # 1-2 places each: at most one place left over per side
    assert desk_of(stack, c).post(holds, {"standing": {"count": 1}}).status_code in (409,) or won["web"] < 12
    (view,) = a.admin.get(url).json()["allocations"]
    assert (view["size"], view["held"], view["free"]) == (8, won["b"], 8 - won["b"])
    assert b.admin.get(url).json()["allocations"][0]["held"] == won["b"]


def test_standing_places_left_in_an_allocation_return_at_the_deadline(stack, houses):
    a, b, _, _ = houses
    performance = a.performance(demo_seatmaps.standing_venue(10))
    url = allocations_url(performance)
    allocation = a.admin.post(url, {"house_id": b.id, "places": 4, "returns_at": soon(seconds=4)}).json()
    holds = f"/performances/{performance['id']}/holds"
    desk = desk_of(stack, b)
    hold = desk.post(holds, {"standing": {"count": 1}})
    assert hold.status_code == 201
    web = web_buyer(stack)
    assert web.post(holds, {"standing": {"count": 6}}).status_code == 201
    assert web.post(holds, {"standing": {"count": 1}}).status_code == 409  # the other 3 are B's
    deadline = datetime.fromisoformat(allocation["returns_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.3)
    # nobody acted: a general buyer finding the general sale empty takes the lapsed allocation's places back first
    assert web.post(holds, {"standing": {"count": 3}}).status_code == 201
    cart = desk.post("/carts").json()
    desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={})
    assert desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"}).status_code == 201
    (view,) = a.admin.get(url).json()["allocations"]
    assert (view["size"], view["sold"], view["held"], view["free"], view["returned"]) == (4, 1, 0, 0, 3), view


def test_a_channel_allocation_is_sold_only_through_that_channel(stack, houses):
    a, b, _, performance = houses
    url = allocations_url(performance)
    for channel, seats in (("web", ROW_B[:2]), ("box_office", ROW_B[2:4])):
        assert a.admin.post(url, {"channel": channel, "seats": seats, "returns_at": soon(days=1)}).status_code == 201
    holds = f"/performances/{performance['id']}/holds"
    states = seat_states(web_buyer(stack), performance)
    assert (states["zaal-B-1"], states["zaal-B-3"]) == ("free", "allocated")  # the public map is the web's
    assert desk_of(stack, a).post(holds, {"seats": ["zaal-B-1"]}).status_code == 409  # web seats: not at the desk
    assert web_buyer(stack).post(holds, {"seats": ["zaal-B-3"]}).status_code == 409  # desk seats: not on the web
    assert desk_of(stack, b).post(holds, {"seats": ["zaal-B-3"]}).status_code == 409  # nor at another house's desk
    assert web_buyer(stack).post(holds, {"seats": ["zaal-B-1"]}).status_code == 201
    assert desk_of(stack, a).post(holds, {"seats": ["zaal-B-3"]}).status_code == 201
    held = {x["channel"]: x["held"] for x in a.admin.get(url).json()["allocations"]}
    assert held == {"web": 1, "box_office": 1}


def test_counted_availability_agrees_with_the_seat_by_seat_map(stack, houses, quick_expiry):
    """Summaries (agenda, performance API) count seats in DynamoDB with a filter; the seat map reads every
    seat. With seats set aside, held, lapsed and sold, both tell the same numbers."""
    a, b, _, performance = houses
    url = allocations_url(performance)
    for holder, seats in (
        ({"house_id": b.id}, ROW_A[:2]),
        ({"channel": "web"}, ROW_B[:2]),
        ({"channel": "box_office"}, ROW_B[2:4]),
    ):
        assert a.admin.post(url, {**holder, "seats": seats, "returns_at": soon(days=1)}).status_code == 201
    holds = f"/performances/{performance['id']}/holds"
    lapsing = Client(quick_expiry, session_token=buyer_session())  # holds lapse after 2 s
    assert lapsing.post(holds, {"seats": ["zaal-C-1", "zaal-C-2"]}).status_code == 201
    assert web_buyer(stack).post(holds, {"seats": ["zaal-B-1", "zaal-C-3"]}).status_code == 201
    desk = desk_of(stack, a)
    hold = desk.post(holds, {"seats": ["zaal-B-3"]}).json()
    cart = desk.post("/carts").json()
    assert desk.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={}).status_code == 200
    assert desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"}).status_code == 201
    time.sleep(2.5)
    counted = web_buyer(stack).get(f"/performances/{performance['id']}").json()["availability"]
    seen = web_buyer(stack).get(f"/performances/{performance['id']}/seats").json()["availability"]
    assert counted == seen
    # 18 seats: A-1, A-2 (house B) and B-4 (the desk's) set aside; B-3 sold; B-1 and C-3 held; C-1, C-2 lapsed
    assert (counted["available"], counted["held"], counted["sold"]) == (12, 2, 1), counted
