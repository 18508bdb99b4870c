"""One house's staff never reach another house's data: every staff route, probed by each role of
house A (and A's integration key with every scope) with house B's ids, answers 403 or 404, never
B's data, and changes nothing of B's."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app import app
from chalicelib.web.auth import SCOPES, Role, access_of, issue_token

from .conftest import Client, HouseFixture, buyer_session, unique
from .refusal_helpers import desk_cart

BUYER = {"name": "Bea Buiten", "email": "bea.buiten.isolation@example.org", "postcode": "9000"}


@pytest.fixture(scope="module")
def house_b(stack, signing_key):
    """House B with a performance, a sale to a named buyer, one refunded ticket, an open reservation, an API key."""
    from scripts.embedded import demo_seatmaps

    b = HouseFixture(stack, signing_key)
    performance = b.performance(demo_seatmaps.test_hall(3, 6))
    desk, cart = desk_cart(stack, b, performance["id"], ["zaal-A-1", "zaal-A-2"])
    sale = desk.post(
        "/staff/box-office/sales",
        {
            "cart_id": cart["id"],
            "payment_method": "cash",
            "buyer": BUYER,
            "consents": {"marketing": True, "sharing": False},
        },
    )
    assert sale.status_code == 201, sale.text
    sale = sale.json()
    refund = b.admin.post(
        f"/staff/orders/{sale['order_id']}/refunds", {"ticket_ids": [sale["tickets"][0]["ticket_id"]]}
    )
    assert refund.status_code == 202, refund.text
    deadline = time.monotonic() + 60  # the refund workflow completes it; the snapshot below must be its end state
    while (
        b.admin.get(f"/staff/orders/{sale['order_id']}/refunds/{refund.json()['refund_id']}").json()["status"]
        != "completed"
    ):
        assert time.monotonic() < deadline, "the refund did not complete"
        time.sleep(0.3)
    desk2, cart2 = desk_cart(stack, b, performance["id"], ["zaal-B-1"])
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    reservation = desk2.post(
        "/staff/box-office/reservations", {"cart_id": cart2["id"], "buyer": BUYER, "expires_at": until}
    )
    assert reservation.status_code == 201, reservation.text
    key = b.admin.post("/staff/api-keys", {"name": "B's CRM", "scopes": sorted(SCOPES)}).json()
    now = datetime.now(UTC)
    voucher = b.admin.post(
        "/staff/vouchers",
        {
            "code": unique("b-code").upper(),
            "kind": "amount",
            "value": 100,
            "max_uses": 5,
            "valid_from": now.isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
        },
    ).json()
    gift_card = Client(stack.api_url, b.token_for(Role.BOX_OFFICE)).post("/staff/gift-cards", {"amount": 2500}).json()
    customers = b.admin.get("/staff/customers").json()["customers"]
    series = b.admin.post(
        "/staff/timeslots",
        {
            "id": f"expo-{uuid.uuid4().hex[:8]}",
            "production_id": performance["production_id"],
            "venue_id": b.venue(demo_seatmaps.standing_venue(10)),
            "first_start": (now_plus(days=5)).isoformat(),
            "slot_minutes": 30,
            "slots": 2,
            "capacity": 5,
            "sales_start": now_plus(days=-1).isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 900}}],
        },
    )
    assert series.status_code == 201, series.text
    return {
        "house": b,
        "performance": performance,
        "sale": sale,
        "refund": refund.json(),
        "reservation": reservation.json(),
        "cart": cart,
        "key": key,
        "voucher": voucher,
        "gift_card": gift_card,
        "customer_id": customers[0]["customer_id"] if customers else "c-none",
        "before": snapshot(b, sale["order_id"], performance["id"]),
        "series_id": series.json()["id"],
    }


def now_plus(**delta) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def snapshot(b: HouseFixture, order_id: str, performance_id: str) -> dict:
    desk = Client(b.admin.base_url, b.token_for(Role.BOX_OFFICE))
    return {
        "order": b.admin.get(f"/staff/orders/{order_id}").json(),
        "performance": b.admin.get(f"/staff/performances/{performance_id}").json(),
        "reservations": desk.get("/staff/box-office/reservations").json(),
        "keys": b.admin.get("/staff/api-keys").json(),
        "vouchers": b.admin.get("/staff/vouchers").json(),
        "gift_cards": b.admin.get("/staff/gift-cards").json(),
        "hall": b.admin.get(f"/staff/performances/{performance_id}/checkins").json(),
    }


def b_markers(b: dict) -> set[str]:
    """Strings that only B's data contains."""
    markers = {
        b["house"].id,
        b["performance"]["id"],
        b["performance"]["venue_id"],
        b["performance"]["production_id"],
        b["sale"]["order_id"],
        b["reservation"]["order_id"],
        b["refund"]["refund_id"],
        b["key"]["id"],
        BUYER["email"],
        BUYER["name"],
        b["customer_id"],
        b["cart"]["id"],
        b["voucher"]["code"],
        b["gift_card"]["code"],
    }
    markers |= {ticket["ticket_id"] for ticket in b["sale"]["tickets"]}
    markers |= {ticket["qr_payload"] for ticket in b["sale"]["tickets"]}
    markers.add(b["series_id"])
    return {marker for marker in markers if marker and marker != "c-none"}


def probes(b: dict) -> list[tuple[str, str, object]]:
    """Every staff route with B's ids in its path, and bodies naming B's things."""
    ids = {
        "performance_id": b["performance"]["id"],
        "order_id": b["sale"]["order_id"],
        "refund_id": b["refund"]["refund_id"],
        "venue_id": b["performance"]["venue_id"],
        "production_id": b["performance"]["production_id"],
        "customer_id": b["customer_id"],
        "key_id": b["key"]["id"],
        "period_id": "2026-W01",
        "series_id": b["series_id"],
        "code": b["voucher"]["code"],
        "card_code": b["gift_card"]["code"],
    }
    ticket = b["sale"]["tickets"][1]
    scan = {"performance_id": b["performance"]["id"], "payload": ticket["qr_payload"], "gate": "noord"}
    now = datetime.now(UTC)
    bodies = {
        ("/staff/orders/{order_id}/refunds", "POST"): {"ticket_ids": [ticket["ticket_id"]]},
        ("/staff/performances/{performance_id}", "PATCH"): {"status": "cancelled"},
        ("/staff/performances/{performance_id}/uitdatabank", "PUT"): {"event_id": str(uuid.uuid4()), "sub_event_id": 1},
        ("/staff/checkins", "POST"): scan,
        ("/staff/checkins/batch", "POST"): {"scans": [scan]},
        ("/staff/box-office/sales", "POST"): {"cart_id": b["cart"]["id"], "payment_method": "cash"},
        ("/staff/box-office/reservations", "POST"): {
            "cart_id": b["cart"]["id"],
            "buyer": BUYER,
            "expires_at": (now + timedelta(days=1)).isoformat(),
        },
        ("/staff/box-office/reservations/{order_id}/payment", "POST"): {"payment_method": "cash"},
        ("/staff/performances", "POST"): {
            "production_id": b["performance"]["production_id"],
            "venue_id": b["performance"]["venue_id"],
            "starts_at": (now + timedelta(days=9)).isoformat(),
            "sales_start": now.isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 100}}],
        },
        ("/staff/api-keys", "POST"): {"name": "probe", "scopes": ["orders:read"]},
        ("/staff/houses", "POST"): {"id": b["house"].id, "name": "Overname"},
        ("/staff/settlements", "POST"): {"period": "2026-W01"},
        ("/staff/timeslots", "POST"): {
            "id": "probe-expo",
            "production_id": b["performance"]["production_id"],
            "venue_id": b["performance"]["venue_id"],
            "first_start": (now + timedelta(days=9)).isoformat(),
            "slot_minutes": 30,
            "slots": 1,
            "capacity": 1,
            "sales_start": now.isoformat(),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 100}}],
        },
    }
    result = []
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            if not access_of(entry.view_function).roles:
                continue
            concrete = path
            for name, value in ids.items():
                if path.startswith("/staff/box-office/reservations/") and name == "order_id":
                    value = b["reservation"]["order_id"]
                concrete = concrete.replace("{" + name + "}", value)
            body = bodies.get((path, method), {} if method in ("POST", "PUT", "PATCH") else None)
            result.append((method, path, concrete, body))
    return result


def test_each_role_of_another_house_gets_only_403_or_404_and_never_b_s_data(stack, signing_key, house_b):
    a = HouseFixture(stack, signing_key)
    key = a.admin.post("/staff/api-keys", {"name": "A's everything", "scopes": sorted(SCOPES)}).json()["key"]
    callers = {
        role.value: Client(stack.api_url, a.token_for(role), session_token=buyer_session())
        for role in (Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER)
    }
    callers["integration"] = Client(stack.api_url, session_token=buyer_session())
    callers["integration"].http.headers["X-Podium-Api-Key"] = key
    markers = b_markers(house_b)
    probed = 0
    for who, client in callers.items():
        for method, path, url, body in probes(house_b):
            response = client.request(method, url, json=body)
            context = f"{who} {method} {url}: {response.status_code} {response.text[:300]}"
            assert response.status_code < 500, context
            sent = url + json.dumps(body or {})
            leaked = {marker for marker in markers if marker in response.text and marker not in sent}
            assert not leaked, f"{context} — shows B's {leaked}"
            names_b = "{" in path or any(marker in json.dumps(body or {}) for marker in markers)
            if names_b:
                if path == "/staff/checkins/batch" and response.status_code == 200:
                    # a scanner's queue answers per scan: each of B's tickets refused, nothing admitted
                    assert all(r["status"] == "refused" for r in response.json()["results"]), context
                else:
                    assert response.status_code in (403, 404), context
            probed += 1
    assert probed >= 4 * 40
    assert snapshot(house_b["house"], house_b["sale"]["order_id"], house_b["performance"]["id"]) == house_b["before"]


def test_a_house_s_staff_lists_show_only_their_own_house(stack, signing_key, house_b):
    a = HouseFixture(stack, signing_key)
    markers = b_markers(house_b)
    admin, desk = a.admin, Client(stack.api_url, a.token_for(Role.BOX_OFFICE))
    for client, path in (
        (admin, "/staff/customers"),
        (admin, "/staff/marketing-export"),
        (admin, "/staff/performances"),
        (admin, "/staff/venues"),
        (admin, "/staff/productions"),
        (admin, "/staff/api-keys"),
        (admin, "/staff/statements"),
        (admin, "/staff/reports/sales"),
        (desk, "/staff/box-office/reservations"),
        (admin, "/staff/reports/sales?format=csv"),
        (admin, "/staff/house"),
        (admin, "/staff/vouchers"),
        (admin, "/staff/gift-cards"),
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert not {marker for marker in markers if marker in response.text}, path
    # while B's own staff do see B's (the probe above is not vacuous)
    b = house_b["house"]
    assert house_b["sale"]["order_id"] in b.admin.get(f"/staff/orders/{house_b['sale']['order_id']}").text
    assert BUYER["email"] in b.admin.get("/staff/customers").text


# ---------------------------------------------- the matrix from the route table, creates with taken ids
@pytest.fixture(scope="module")
def a_and_b(stack, signing_key):
    """House A with one of everything (the one whose things are named) and house B (the one naming them)."""
    from .refusal_helpers import add_bundle, build_world

    a, b = build_world(stack, signing_key), build_world(stack, signing_key)
    add_bundle(stack, signing_key, a, a)
    return a, b


def items_of(stack, world) -> dict[str, str]:
    """Every item of a house, from every table: those keyed by one of its ids or holding its house id
    (another house's own namespace, `HOUSE#b`, may hold an equal venue or production id: not A's)."""
    from .refusal_helpers import markers, snapshot

    own, house = markers(world), world.house.id
    found = {}
    for table, items in snapshot(stack).items():
        for key, item in items.items():
            if (any(marker in key for marker in own) or f'"{house}"' in item) and "HOUSE#" not in key.replace(
                f"HOUSE#{house}", ""
            ):
                found[f"{table} {key}"] = item
    return found


def availability_of(stack, world) -> dict:
    public = Client(stack.api_url)
    return {
        "seats": public.get(f"/performances/{world.ids['performance_id']}/seats").json(),
        "standing": public.get(f"/performances/{world.ids['standing_id']}").json().get("availability"),
        "series": public.get(f"/timeslots/{world.ids['series_id']}").json(),
    }


def test_house_b_on_every_staff_route_with_house_a_s_ids_creates_included_changes_nothing_of_a(
    stack, signing_key, a_and_b
):
    from chalicelib.api.openapi import document

    from .refusal_helpers import (
        HOUSE_NAMESPACES,
        ID_FIELDS,
        callers_of,
        created_kind,
        example,
        fill,
        id_swaps,
        path_ids,
        routes,
        valid_bodies,
        wait_until_quiet,
    )

    a, b = a_and_b
    all_routes = routes()
    components = document(app)["components"]["schemas"]
    bodies = valid_bodies(b)
    callers = {
        role.value: Client(stack.api_url, b.house.token_for(role), session_token=b.desk_session)
        for role in (Role.HOUSE_ADMIN, Role.BOX_OFFICE, Role.SCANNER)
    }
    callers["integration"] = Client(stack.api_url, session_token=buyer_session())
    callers["integration"].http.headers["X-Podium-Api-Key"] = b.api_key
    callers["coordinator"] = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    wait_until_quiet(stack)
    before, seats_before = items_of(stack, a), availability_of(stack, a)
    wrong, sent = [], 0
    planned: list[tuple] = []
    for route in all_routes:
        if route.public:
            continue
        body = bodies.get((route.path, route.method))
        if body is None and route.body_schema is not None and route.method in ("POST", "PUT", "PATCH"):
            body = example(route.body_schema, components)
        requests_: list[tuple[str, str, object, tuple[int, ...]]] = []
        if route.parameters:  # A's things in the path
            for caller in callers_of(route):
                if caller != "coordinator":
                    requests_.append((caller, "A's ids in the path", body, (403, 404)))
        main = next((caller for caller in callers_of(route) if caller != "coordinator"), None)
        if main and isinstance(body, dict):  # A's things named in B's body (a 422 names the field)
            for why, variant in id_swaps(body, b.ids, a.ids):
                if why.startswith("other"):
                    requests_.append((main, why, variant, (403, 404, 409, 422)))
        kind = created_kind(route, all_routes)
        for field_name in ID_FIELDS:  # a create with the id A already uses (the coordinator's creates too)
            if (
                kind
                and kind not in HOUSE_NAMESPACES
                and isinstance(body, dict)
                and field_name in body
                and a.ids.get(kind)
            ):
                requests_.append(
                    (
                        callers_of(route)[0],
                        f"create with A's {kind}",
                        {**body, field_name: a.ids[kind]},
                        (403, 404, 409),
                    )
                )
            elif kind in HOUSE_NAMESPACES and isinstance(body, dict) and field_name in body and a.ids.get(kind):
                # B's own namespace: B gets its own item of that id (A's untouched, checked below)
                requests_.append(
                    (main, f"create with A's {kind} in B's namespace", {**body, field_name: a.ids[kind]}, (201, 409))
                )
        planned += [(route, *request) for request in requests_]
    # creates last: B's own venue named like A's must not make the reads above look like a leak
    planned.sort(key=lambda request: request[2].startswith("create"))
    for route, caller, why, payload, allowed in planned:
        url = fill(route.path, path_ids(route, a)) if "path" in why else fill(route.path, path_ids(route, b))
        response = callers[caller].request(route.method, url, json=payload)
        sent += 1
        if (
            route.path == "/staff/checkins/batch"
            and response.status_code == 200
            and all(result["result"] == "refused" for result in response.json()["results"])
        ):
            continue  # a scanner's queue answers per scan
        if response.status_code not in allowed:
            wrong.append(
                f"{caller} {route} ({why}) {json.dumps(payload)[:160]}: {response.status_code} {response.text[:200]}"
            )
    wait_until_quiet(stack)
    after, seats_after = items_of(stack, a), availability_of(stack, a)
    changed = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    assert not wrong and not changed and seats_before == seats_after, "\n".join(
        [f"{len(wrong)} of {sent} answers not a refusal:"]
        + wrong[:60]
        + [f"{len(changed)} of A's items changed:"]
        + changed[:30]
        + ([] if seats_before == seats_after else ["A's availability changed"])
    )
    creates = {why.split("'s ")[1].split()[0] for _, _, why, _, _ in planned if why.startswith("create")}
    assert creates >= {
        "house_id",
        "venue_id",
        "production_id",
        "performance_id",
        "series_id",
        "bundle_id",
        "formula_id",
        "code",
    }, creates
    assert sent > 50
