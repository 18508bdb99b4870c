"""The on-sale waiting room over HTTP: join, wait for one's turn, hold with a single-use admission."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from .conftest import Client, buyer_session
from .test_errors import table_items


def seat_states(client: Client, performance_id: str) -> dict[str, str]:
    seats = client.get(f"/performances/{performance_id}/seats").json()["seatmap"]["seats"]
    return {seat["id"]: seat["state"] for seat in seats}


def admitted(stack, performance_id: str, rate_wait: float = 20) -> tuple[Client, str]:
    """A new buyer who joined the line and waited for the admission."""
    buyer = Client(stack.api_url, session_token=buyer_session())
    joined = buyer.post(f"/performances/{performance_id}/queue")
    assert joined.status_code == 201, joined.text
    ticket = joined.json()["queue_ticket"]
    deadline = time.monotonic() + rate_wait
    while time.monotonic() < deadline:
        place = buyer.get(f"/performances/{performance_id}/queue", headers={"X-Podium-Queue-Ticket": ticket})
        assert place.status_code == 200, place.text
        if place.json()["admission"]:
            return buyer, place.json()["admission"]
        time.sleep(min(1.0, place.json()["seconds_to_wait"] or 0.2))
    raise AssertionError("never admitted")


def test_with_the_waiting_room_on_a_hold_needs_an_admission_and_each_admission_holds_once(stack, house, small_hall):
    performance = house.performance(small_hall, waiting_room={"rate_per_minute": 6000})
    assert performance["waiting_room"]["rate_per_minute"] == 6000
    path = f"/performances/{performance['id']}/holds"
    seats = [seat["id"] for seat in small_hall["seats"]]

    before = table_items(stack)
    stranger = Client(stack.api_url, session_token=buyer_session())
    refused = stranger.post(path, {"seats": [seats[0]]}, headers={"Accept-Language": "fr"})
    assert refused.status_code == 403 and refused.json()["code"] == "admission_required"
    assert refused.json()["title"] == "File d'attente"
    assert refused.json()["queue"] == f"/performances/{performance['id']}/queue"
    assert table_items(stack) == before  # refused: nothing written

    buyer, admission = admitted(stack, performance["id"])
    # a hold refused for a taken seat does not spend the admission
    other, other_admission = admitted(stack, performance["id"])
    assert other.post(path, {"seats": [seats[1]]}, headers={"X-Podium-Admission": other_admission}).status_code == 201
    lost = buyer.post(path, {"seats": [seats[1], seats[2]]}, headers={"X-Podium-Admission": admission})
    assert lost.status_code == 409 and lost.json()["code"] == "seats_unavailable"
    won = buyer.post(path, {"seats": [seats[2]]}, headers={"X-Podium-Admission": admission})
    assert won.status_code == 201, won.text
    replay = buyer.post(path, {"seats": [seats[3]]}, headers={"X-Podium-Admission": admission})
    assert replay.status_code == 409 and replay.json()["code"] == "admission_used"
    # someone else's admission, and a forged one, are refused
    thief = Client(stack.api_url, session_token=buyer_session())
    stolen = thief.post(path, {"seats": [seats[4]]}, headers={"X-Podium-Admission": admission})
    assert stolen.status_code == 403 and stolen.json()["code"] == "admission_invalid"
    body, mac = admission.split(".")
    forged = buyer.post(path, {"seats": [seats[4]]}, headers={"X-Podium-Admission": f"{body}.{mac[::-1]}"})
    assert forged.status_code == 403 and forged.json()["code"] == "admission_invalid"
    states = seat_states(buyer, performance["id"])
    assert [seat for seat, state in states.items() if state != "free"] == sorted([seats[1], seats[2]], key=seats.index)


def test_twenty_racing_requests_with_one_admission_make_exactly_one_hold(stack, house, small_hall):
    performance = house.performance(small_hall, waiting_room={"rate_per_minute": 6000})
    buyer, admission = admitted(stack, performance["id"])
    path = f"/performances/{performance['id']}/holds"
    seats = [seat["id"] for seat in small_hall["seats"]]

    def attempt(index: int) -> int:
        client = Client(stack.api_url, session_token=buyer.http.headers["X-Podium-Session"])
        return client.post(path, {"seats": [seats[index]]}, headers={"X-Podium-Admission": admission}).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert sorted(statuses) == [201] + [409] * 19
    assert sum(state != "free" for state in seat_states(buyer, performance["id"]).values()) == 1


def test_the_line_admits_at_its_rate_and_says_where_each_buyer_stands(stack, house, small_hall):
    opens = datetime.now(UTC) + timedelta(seconds=2)
    performance = house.performance(
        small_hall, waiting_room={"rate_per_minute": 60, "opens_at": opens.isoformat(), "shards": 1}
    )
    path = f"/performances/{performance['id']}/queue"
    buyers = [Client(stack.api_url, session_token=buyer_session()) for _ in range(4)]
    tickets = [buyer.post(path).json() for buyer in buyers]
    assert [t["position"] for t in tickets] == [1, 2, 3, 4]  # one shard: exactly the order of arrival
    assert [t["people_ahead"] for t in tickets] == [0, 1, 2, 3]
    assert tickets[3]["seconds_to_wait"] >= 4 and all(t["admission"] is None for t in tickets)
    last = buyers[3].get(path, headers={"X-Podium-Queue-Ticket": tickets[3]["queue_ticket"]}).json()
    assert last["admission"] is None and last["position"] == 4
    # a ticket is bound to its buyer's session
    borrowed = buyers[0].get(path, headers={"X-Podium-Queue-Ticket": tickets[3]["queue_ticket"]})
    assert borrowed.status_code == 403 and borrowed.json()["code"] == "admission_invalid"
    time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()) + 0.2)
    first = buyers[0].get(path, headers={"X-Podium-Queue-Ticket": tickets[0]["queue_ticket"]}).json()
    assert first["admission"] and first["seconds_to_wait"] == 0
    assert (
        buyers[3].get(path, headers={"X-Podium-Queue-Ticket": tickets[3]["queue_ticket"]}).json()["admission"] is None
    )


def test_a_house_switches_its_waiting_room_on_and_off_and_its_box_office_is_not_queued(stack, house, small_hall):
    from chalicelib.web.auth import Role

    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    assert (
        Client(stack.api_url, session_token=buyer_session())
        .post(f"/performances/{performance['id']}/queue")
        .json()["code"]
        == "conflict"
    )
    changed = house.admin.patch(f"/staff/performances/{performance['id']}", {"waiting_room": {"rate_per_minute": 100}})
    assert changed.status_code == 200 and changed.json()["waiting_room"]["rate_per_minute"] == 100
    time.sleep(1.1)  # the hold path's view of the performance is at most a second old
    buyer = Client(stack.api_url, session_token=buyer_session())
    assert buyer.post(path, {"best_available": {"count": 1}}).json()["code"] == "admission_required"
    desk = Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    assert desk.post(path, {"best_available": {"count": 1}}).status_code == 201
    off = house.admin.patch(f"/staff/performances/{performance['id']}", {"waiting_room": None})
    assert off.status_code == 200 and off.json()["waiting_room"] is None
    time.sleep(1.1)
    assert buyer.post(path, {"best_available": {"count": 1}}).status_code == 201
    bad = house.admin.patch(f"/staff/performances/{performance['id']}", {"waiting_room": {"rate_per_minute": 0}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("waiting_room")


def test_the_queue_page_shows_the_place_in_line_then_lets_the_buyer_hold_once(stack, house, small_hall):
    import re

    import requests

    opens = datetime.now(UTC) + timedelta(seconds=3)
    performance = house.performance(
        small_hall, waiting_room={"rate_per_minute": 60, "opens_at": opens.isoformat(), "shards": 1}
    )
    web = requests.Session()
    web.headers.update({"Accept": "text/html", "Accept-Language": "nl-BE"})
    url = f"{stack.api_url}/p/performances/{performance['id']}"
    sent = web.get(url, allow_redirects=False)
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/p/performances/{performance['id']}/queue")
    waiting = web.get(url + "/queue")
    assert waiting.status_code == 200 and "Wachtrij" in waiting.text and "Je plaats in de rij" in waiting.text
    assert re.search(r'data-reload="[1-3]"', waiting.text) and "Kies je plaatsen" not in waiting.text
    time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()) + 0.5)
    turn = web.get(url + "/queue")
    assert "Je bent aan de beurt" in turn.text and "Kies je plaatsen" in turn.text
    seat_page = web.get(url)
    assert seat_page.status_code == 200  # admitted: the seat map, no redirect
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', seat_page.text).group(1)
    held = web.post(url + "/holds", data={"csrf": token, "mode": "best", "count": "2"}, allow_redirects=False)
    assert held.status_code == 303 and "/p/cart" in held.headers["Location"]
    again = web.post(url + "/holds", data={"csrf": token, "mode": "best", "count": "2"}, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"].endswith("/queue")  # spent: back in line
    assert sum(state != "free" for state in seat_states(Client(stack.api_url), performance["id"]).values()) == 2


def test_forty_buyers_joining_at_once_get_forty_different_places_spread_over_the_shards(stack, house, small_hall):
    performance = house.performance(small_hall, waiting_room={"rate_per_minute": 60, "shards": 4})
    path = f"/performances/{performance['id']}/queue"

    def join(_: int) -> int:
        response = Client(stack.api_url, session_token=buyer_session()).post(path)
        assert response.status_code == 201, response.text
        return response.json()["position"]

    with ThreadPoolExecutor(40) as pool:
        positions = list(pool.map(join, range(40)))
    assert len(set(positions)) == 40
    assert len({(position - 1) % 4 for position in positions}) > 1  # more than one shard's counter took joiners
