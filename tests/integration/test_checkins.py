"""Door check-in over HTTP: each ticket admitted once, also when scanners race or sync after an outage."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from chalicelib.web.auth import Role

from .conftest import Client
from .test_refunds import paid_order, wait_for_refund


def test_two_scanners_racing_on_one_ticket_admit_it_exactly_once(stack, signing_key):
    _, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=2, places=1)
    ticket = next(t for t in view["tickets"] if t["house_id"] == theatre.id)
    doors = [Client(stack.api_url, theatre.token_for(Role.SCANNER)) for _ in range(8)]
    answers = []
    barrier = threading.Barrier(len(doors))

    def scan(door: Client, gate: str):
        barrier.wait()
        answers.append(
            door.post(
                "/staff/checkins", {"performance_id": seated["id"], "payload": ticket["qr_payload"], "gate": gate}
            )
        )

    threads = [threading.Thread(target=scan, args=(door, f"deur-{n}")) for n, door in enumerate(doors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 7, [a.text for a in answers]
    admitted = next(a.json() for a in answers if a.status_code == 200)
    for refused in (a.json() for a in answers if a.status_code == 409):
        assert refused["code"] == "ticket_already_scanned"
        assert refused["scanned_at"] == admitted["scanned_at"] and refused["gate"].startswith("deur-")
    assert doors[0].get(f"/staff/performances/{seated['id']}/checkins").json()["in_hall"] == 1


def test_scans_queued_during_a_network_loss_sync_without_double_admission(stack, signing_key):
    _, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=3, places=1)
    tickets = [t for t in view["tickets"] if t["house_id"] == theatre.id]
    before = datetime.now(UTC) - timedelta(minutes=2)

    def queued(ticket, minutes):
        return {
            "performance_id": seated["id"],
            "payload": ticket["qr_payload"],
            "scan_id": uuid.uuid4().hex,
            "scanned_at": (before + timedelta(minutes=minutes)).isoformat(),
        }

    north = [queued(tickets[0], 0), queued(tickets[1], 0.5)]
    south = [queued(tickets[1], 1), queued(tickets[2], 1)]  # tickets[1] shown at both doors while offline
    north_door = Client(stack.api_url, theatre.token_for(Role.SCANNER))
    south_door = Client(stack.api_url, theatre.token_for(Role.BOX_OFFICE))
    first = north_door.post("/staff/checkins/batch", {"scans": north}).json()["results"]
    assert [r["result"] for r in first] == ["admitted", "admitted"]
    second = south_door.post("/staff/checkins/batch", {"scans": south}).json()["results"]
    assert [r["result"] for r in second] == ["refused", "admitted"]
    assert second[0]["code"] == "ticket_already_scanned" and second[0]["scanned_at"] == north[1]["scanned_at"]
    # the north door did not hear back and sends its queue again: the same scans, no second admission
    again = north_door.post("/staff/checkins/batch", {"scans": north}).json()["results"]
    assert [r["result"] for r in again] == ["admitted", "admitted"]
    assert north_door.get(f"/staff/performances/{seated['id']}/checkins").json()["in_hall"] == 3


def test_refunded_forged_foreign_and_other_house_tickets_are_refused(stack, signing_key):
    _, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=2, places=1)
    door = Client(stack.api_url, theatre.token_for(Role.SCANNER))
    theirs, mine = [t for t in view["tickets"] if t["house_id"] == theatre.id]
    refund = theatre.admin.post(f"/staff/orders/{order_id}/refunds", {"ticket_ids": [theirs["ticket_id"]]}).json()
    wait_for_refund(theatre.admin, order_id, refund["refund_id"])
    void = door.post("/staff/checkins", {"performance_id": seated["id"], "payload": theirs["qr_payload"]})
    assert void.status_code == 409 and void.json()["code"] == "ticket_void"
    forged = mine["qr_payload"][:-4] + ("AAAA" if not mine["qr_payload"].endswith("AAAA") else "BBBB")
    refused = door.post("/staff/checkins", {"performance_id": seated["id"], "payload": forged})
    assert refused.status_code == 422 and refused.json()["code"] in ("ticket_signature_invalid", "ticket_malformed")
    club_ticket = next(t for t in view["tickets"] if t["house_id"] == club.id)
    wrong = door.post("/staff/checkins", {"performance_id": seated["id"], "payload": club_ticket["qr_payload"]})
    assert wrong.status_code == 422 and wrong.json()["code"] == "ticket_wrong_performance"
    # the club's scanner cannot use the theatre's door (its performance is not the club's)
    club_door = Client(stack.api_url, club.token_for(Role.SCANNER))
    assert (
        club_door.post("/staff/checkins", {"performance_id": seated["id"], "payload": mine["qr_payload"]}).status_code
        == 404
    )
    assert (
        door.post("/staff/checkins", {"performance_id": seated["id"], "payload": mine["qr_payload"]}).status_code == 200
    )


def test_the_scanner_page_is_served_in_the_doors_language_and_cannot_be_framed(stack):
    page = Client(stack.api_url).get("/staff/scanner", headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Scanner les billets" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
