"""Proof harness helpers: whole-table snapshots, a house with one of everything, and bad requests generated
from the app's own route table and OpenAPI document (so a new route is probed without touching the tests).

Used by test_refusals_write_nothing.py (no refused request writes) and test_isolation.py (another house's ids).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app import app
from chalicelib.api.openapi import document
from chalicelib.web.auth import SCOPES, Role, access_of, issue_token
from chalicelib.web.http import MAX_QUERY_VALUE
from scripts.embedded import demo_seatmaps, resources
from scripts.localaws import digests

from .conftest import Client, HouseFixture, buyer_session, unique

BUYER = {
    "name": "Renée Weigering",
    "email": "renee.weigering.refusals@example.org",
    "phone": "+32 470 31 41 59",
    "postcode": "9000",
}
RATE_LIMIT_PREFIX = "RATE#"  # rate-limit counters: a refused request counts against the caller's limit by design


# -- whole-table snapshots --------------------------------------------------------------------------------
# Items as last fetched, by (moto URL, table, key): (digest, canonical JSON). A snapshot asks the local AWS for
# every item's digest (scripts/localaws/digests.py, computed in its process) and fetches only the items whose
# digest is not the one kept here, instead of scanning and parsing every table over HTTP each time.
_FETCHED: dict[tuple[str, str, str], tuple[str, str]] = {}


def table_digests(
    stack, tables: list[str], items: dict[str, list[str]] | None = None, rate_counters: bool = False
) -> dict[str, Any]:
    """The local AWS's digest route: per table, its item count and `{key: digest}` (rate-limit counters left
    out unless asked for), and the canonical JSON of the items named in `items`."""
    request = {
        "region": resources.REGION,
        "account": resources.ACCOUNT,
        "tables": tables,
        "skip_keys_containing": None if rate_counters else RATE_LIMIT_PREFIX,
        "items": items or {},
    }
    sent = urllib.request.Request(
        stack.moto.url + digests.PATH,
        data=json.dumps(request).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    # bandit B310 (urlopen of a file: URL): the stack's own local http URL.
    with urllib.request.urlopen(sent, timeout=120) as response:  # nosec B310
        answer = json.loads(response.read())
    missing = set(tables) - set(answer["tables"])
    assert not missing, f"the local AWS has no table {sorted(missing)}"
    return answer


def snapshot(stack) -> dict[str, dict[str, str]]:
    """Every item of every table of the stack (main, customers, idempotency …), by table and key: its
    canonical JSON (wire form, keys sorted, binary attributes — a compressed seat map — by their digest).

    Rate-limit counters (`RATE#…` keys) are left out: counting a refused request against the caller's
    limit is the point of a rate limit, and it is the only write a refusal may make."""
    url = stack.moto.url
    tables = resources.table_names(stack.refs)
    for _ in range(10):
        found = {table: answer["digests"] for table, answer in table_digests(stack, tables)["tables"].items()}
        stale = {
            table: [key for key, digest in by_key.items() if _FETCHED.get((url, table, key), ("",))[0] != digest]
            for table, by_key in found.items()
        }
        if not any(stale.values()):
            return {table: {key: _FETCHED[(url, table, key)][1] for key in by_key} for table, by_key in found.items()}
        fetched = table_digests(stack, [], {table: keys for table, keys in stale.items() if keys})["items"]
        for table, items in fetched.items():
            for key, item in items.items():
                # the item as fetched, by its own digest: one written between the two calls is fetched again
                _FETCHED[(url, table, key)] = ("sha256:" + hashlib.sha256(item.encode()).hexdigest(), item)
    raise AssertionError("the tables kept changing while they were read")


def differences(before: dict, after: dict) -> list[str]:
    """What changed between two snapshots, one line per item (table, key, what happened)."""
    found = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) == new.get(key):
                continue
            what = "added" if key not in old else "deleted" if key not in new else "changed"
            detail = new.get(key) if what != "deleted" else old.get(key)
            if what == "changed":
                changed = {
                    name for name, value in json.loads(new[key]).items() if json.loads(old[key]).get(name) != value
                } | (set(json.loads(old[key])) - set(json.loads(new[key])))
                detail = f"attributes {sorted(changed)}"
            found.append(f"{table.rsplit('-', 1)[-1]} {key} {what}: {detail}")  # whole: callers match ids in it
    return found


def wait_until_quiet(stack, timeout: float = 30) -> None:
    """The fan-out's consumers idle: what earlier writes set off is done before a snapshot is taken."""
    stack.consumers.wait_idle(timeout)


# -- a house with one of everything ---------------------------------------------------------------------
def soon(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def desk_cart(stack, house: HouseFixture, performance_id: str, seats: list[str]) -> tuple[Client, dict]:
    desk = Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    cart = desk.post("/carts").json()
    hold = desk.post(f"/performances/{performance_id}/holds", {"seats": seats})
    assert hold.status_code == 201, hold.text
    assert desk.request("PUT", f"/carts/{cart['id']}/holds/{hold.json()['id']}", json={}).status_code == 200
    return desk, cart


@dataclass
class World:
    """One house's things, by the path parameter name that names each (`performance_id` …)."""

    house: HouseFixture
    ids: dict[str, str] = field(default_factory=dict)
    api_key: str = ""
    buyer: Client | None = None  # a buyer session with a hold in its cart
    desk_session: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(stack, signing_key: str) -> World:
    """A house with a venue, production, two performances, a timeslot series, a voucher, a gift card, an API key,
    an allocation, a subscription formula, a desk sale (one ticket refunded), a reservation, a customer, and a
    buyer whose cart holds a seat."""
    house = HouseFixture(stack, signing_key)
    world = World(house)
    seated = house.performance(demo_seatmaps.test_hall(3, 6))
    standing = house.performance(
        demo_seatmaps.standing_venue(20),
        tariffs=[{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 1500}}],
    )
    world.extra.update(seated=seated, standing=standing)
    desk, cart = desk_cart(stack, house, seated["id"], ["zaal-A-1", "zaal-A-2"])
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
    refund = house.admin.post(
        f"/staff/orders/{sale['order_id']}/refunds",
        {"ticket_ids": [sale["tickets"][0]["ticket_id"]], "note": "Dubbel geboekt aan de kassa"},
    )
    assert refund.status_code == 202, refund.text
    refund = refund.json()
    deadline = time.monotonic() + 60
    while (
        house.admin.get(f"/staff/orders/{sale['order_id']}/refunds/{refund['refund_id']}").json()["status"]
        != "completed"
    ):
        assert time.monotonic() < deadline, "the refund did not complete"
        time.sleep(0.3)
    desk2, cart2 = desk_cart(stack, house, seated["id"], ["zaal-B-1"])
    reservation = desk2.post(
        "/staff/box-office/reservations", {"cart_id": cart2["id"], "buyer": BUYER, "expires_at": soon(days=2)}
    )
    assert reservation.status_code == 201, reservation.text
    desk3, cart3 = desk_cart(stack, house, seated["id"], ["zaal-B-2"])  # a desk cart left open
    world.desk_session = desk3.http.headers["X-Podium-Session"]
    key = house.admin.post("/staff/api-keys", {"name": "Alles", "scopes": sorted(SCOPES)})
    assert key.status_code == 201, key.text
    world.api_key = key.json()["key"]
    voucher = house.admin.post(
        "/staff/vouchers",
        {
            "code": unique("code").upper(),
            "kind": "amount",
            "value": 100,
            "max_uses": 5,
            "valid_from": soon(days=-1),
            "valid_until": soon(days=3),
        },
    )
    assert voucher.status_code == 201, voucher.text
    card = Client(stack.api_url, house.token_for(Role.BOX_OFFICE)).post("/staff/gift-cards", {"amount": 2500})
    assert card.status_code == 201, card.text
    allocation = house.admin.post(
        f"/staff/performances/{seated['id']}/allocations",
        {"channel": "box_office", "seats": ["zaal-C-1"], "returns_at": soon(days=3)},
    )
    assert allocation.status_code == 201, allocation.text
    series = house.admin.post(
        "/staff/timeslots",
        {
            "id": f"expo-{uuid.uuid4().hex[:8]}",
            "production_id": seated["production_id"],
            "venue_id": house.venue(demo_seatmaps.standing_venue(10)),
            "first_start": soon(days=5),
            "slot_minutes": 30,
            "slots": 2,
            "capacity": 5,
            "sales_start": soon(days=-1),
            "status": "on_sale",
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 900}}],
        },
    )
    assert series.status_code == 201, series.text
    formula = house.admin.post(
        "/staff/subscription-formulas",
        {
            "id": unique("abo"),
            "name": {"nl": "Abonnement"},
            "performances": [seated["id"], standing["id"]],
            "min_choices": 2,
            "max_choices": 2,
            "discount": {"kind": "percent", "value": 1000},
            "sales_start": soon(days=-1),
            "sales_end": soon(days=4),
            "season": "2026-2027",
            "status": "on_sale",
        },
    )
    assert formula.status_code == 201, formula.text
    customers = house.admin.get("/staff/customers").json()["customers"]
    buyer = Client(stack.api_url, session_token=buyer_session())
    hold = buyer.post(f"/performances/{seated['id']}/holds", {"seats": ["zaal-C-6"]})
    assert hold.status_code == 201, hold.text
    buyer_cart = buyer.post("/carts").json()
    assert buyer.request("PUT", f"/carts/{buyer_cart['id']}/holds/{hold.json()['id']}", json={}).status_code == 200
    world.buyer = buyer
    world.ids = {
        "house_id": house.id,
        "venue_id": seated["venue_id"],
        "production_id": seated["production_id"],
        "performance_id": seated["id"],
        "series_id": series.json()["id"],
        "code": voucher.json()["code"],
        "card_code": card.json()["code"],
        "key_id": key.json()["id"],
        "allocation_id": allocation.json()["id"],
        "formula_id": formula.json()["id"],
        "order_id": sale["order_id"],
        "refund_id": refund["refund_id"],
        "customer_id": customers[0]["customer_id"],
        "hold_id": hold.json()["id"],
        "cart_id": buyer_cart["id"],
        "reservation_id": reservation.json()["order_id"],
        "desk_cart_id": cart3["id"],
        "ticket_id": sale["tickets"][1]["ticket_id"],
        "qr_payload": sale["tickets"][1]["qr_payload"],
        "standing_id": standing["id"],
        "standing_venue_id": standing["venue_id"],
        "period_id": "2026-W01",
        "place": "zaal-C-6",
        "name": "pages.css",
    }
    return world


def add_bundle(stack, signing_key: str, first: World, second: World) -> str:
    """A bundle of both houses' seated performances (one house's seated and standing ones if both are the same),
    made by the coordinator; its id added to both worlds."""
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    body = {
        "id": unique("pass"),
        "name": {"nl": "Festivalpas"},
        "price": 3000,
        "performances": [
            {"performance_id": first.ids["performance_id"]},
            {"performance_id": second.ids["performance_id" if second is not first else "standing_id"]},
        ],
        "sales_start": soon(days=-1),
        "sales_end": soon(days=4),
        "status": "on_sale",
    }
    response = coordinator.post("/staff/bundles", body)
    assert response.status_code == 201, response.text
    first.ids["bundle_id"] = second.ids["bundle_id"] = response.json()["id"]
    return response.json()["id"]


def markers(world: World) -> set[str]:
    """Strings only this house's data holds."""
    return {value for name, value in world.ids.items() if name not in ("period_id", "place", "name", "bundle_id")}


# -- the routes and what to send them -------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    path: str
    method: str
    roles: tuple[Role, ...]
    scope: str | None
    operation: dict

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def parameters(self) -> list[str]:
        return [p["name"] for p in self.operation.get("parameters", []) if p["in"] == "path"]

    @property
    def query(self) -> list[str]:
        return [p["name"] for p in self.operation.get("parameters", []) if p["in"] == "query"]

    @property
    def needs_session(self) -> bool:
        return any(p["name"] == "X-Podium-Session" for p in self.operation.get("parameters", []))

    @property
    def body_schema(self) -> dict | None:
        content = self.operation.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")

    @property
    def form(self) -> bool:
        return "application/x-www-form-urlencoded" in self.operation.get("requestBody", {}).get("content", {})

    @property
    def refusal_media(self) -> set[str]:
        return set(self.operation["responses"]["4XX"]["content"])

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes() -> list[Route]:
    """Every route of the app, with its declared access and its OpenAPI operation."""
    published = document(app)
    found = []
    for path, entries in sorted(app.routes.items()):
        for method, entry in sorted(entries.items()):
            access = access_of(entry.view_function)
            found.append(
                Route(path, method, tuple(access.roles), access.scope, published["paths"][path][method.lower()])
            )
    return found


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict, components: dict, depth: int = 0) -> Any:
    """A value the schema accepts (the smallest sensible one), for routes without a body written below."""
    schema = resolve(schema, components)
    if depth > 6:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if resolve(option, components).get("type") != "null"]
        return example(options[0], components, depth + 1) if options else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example(properties[name], components, depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), components, depth + 1) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if schema.get("maximum", 10**9) >= 1 else schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return soon(days=1)
        if "pattern" in schema:
            from hypothesis import find, strategies

            return find(strategies.from_regex(schema["pattern"], fullmatch=True), lambda value: True)
        return "x" * max(schema.get("minLength", 1), 1)
    return None


def valid_bodies(own: World) -> dict[tuple[str, str], dict]:
    """Bodies that pass validation and name `own`'s things, for the routes whose generated example would not."""
    ids = own.ids
    scan = {"performance_id": ids["performance_id"], "payload": ids["qr_payload"], "gate": "noord"}
    tariffs = [{"code": "full", "name": {"nl": "Vol"}, "prices": {"A": 100}}]
    return {
        ("/staff/venues", "POST"): {"id": unique("venue"), "seatmap": demo_seatmaps.test_hall(2, 2)},
        ("/staff/productions", "POST"): {"id": unique("prod"), "title": {"nl": "Nieuw"}, "genre": "theater"},
        ("/staff/performances", "POST"): {
            "id": unique("perf"),
            "production_id": ids["production_id"],
            "venue_id": ids["venue_id"],
            "starts_at": soon(days=9),
            "sales_start": soon(days=-1),
            "tariffs": tariffs,
        },
        ("/staff/performances/{performance_id}", "PATCH"): {"status": "paused"},
        ("/staff/performances/{performance_id}/uitdatabank", "PUT"): {"event_id": str(uuid.uuid4()), "sub_event_id": 0},
        ("/staff/timeslots", "POST"): {
            "id": f"expo-{uuid.uuid4().hex[:8]}",
            "production_id": ids["production_id"],
            "venue_id": ids["standing_venue_id"],
            "first_start": soon(days=9),
            "slot_minutes": 30,
            "slots": 1,
            "capacity": 1,
            "sales_start": soon(days=-1),
            "tariffs": [{"code": "full", "name": {"nl": "Vol"}, "prices": {"standing": 100}}],
        },
        ("/staff/houses", "POST"): {"id": unique("house"), "name": "Nieuw huis"},
        ("/staff/vouchers", "POST"): {
            "code": unique("code").upper(),
            "kind": "amount",
            "value": 100,
            "max_uses": 1,
            "valid_from": soon(days=-1),
            "valid_until": soon(days=1),
        },
        ("/staff/bundles", "POST"): {
            "id": unique("pass"),
            "name": {"nl": "Pas"},
            "price": 100,
            "performances": [{"performance_id": ids["performance_id"]}, {"performance_id": ids["standing_id"]}],
            "sales_start": soon(days=-1),
            "sales_end": soon(days=1),
        },
        ("/staff/subscription-formulas", "POST"): {
            "id": unique("abo"),
            "name": {"nl": "Abo"},
            "performances": [ids["performance_id"], ids["standing_id"]],
            "min_choices": 1,
            "max_choices": 2,
            "discount": {"kind": "percent", "value": 500},
            "sales_start": soon(days=-1),
            "sales_end": soon(days=1),
            "season": "2026-2027",
        },
        ("/staff/performances/{performance_id}/allocations", "POST"): {
            "channel": "web",
            "seats": ["zaal-C-2"],
            "returns_at": soon(days=2),
        },
        ("/staff/performances/{performance_id}/allocations/{allocation_id}", "PATCH"): {"add": ["zaal-C-3"]},
        ("/staff/orders/{order_id}/refunds", "POST"): {
            "ticket_ids": [ids["ticket_id"]],
            "note": "Klant kan niet komen wegens ziekte",
        },
        ("/staff/orders/{order_id}/bundle-refunds", "POST"): {"note": "Festival geannuleerd door storm"},
        ("/staff/checkins", "POST"): scan,
        ("/staff/checkins/batch", "POST"): {"scans": [scan]},
        ("/staff/box-office/sales", "POST"): {"cart_id": ids["desk_cart_id"], "payment_method": "cash"},
        ("/staff/box-office/reservations", "POST"): {
            "cart_id": ids["desk_cart_id"],
            "buyer": BUYER,
            "expires_at": soon(days=1),
        },
        ("/staff/box-office/reservations/{order_id}/payment", "POST"): {"payment_method": "cash"},
        ("/staff/api-keys", "POST"): {"name": "Nieuwe koppeling", "scopes": ["orders:read"]},
        ("/staff/gift-cards", "POST"): {"amount": 2500},
        ("/staff/settlements", "POST"): {"period": "2026-W01"},
        ("/performances/{performance_id}/holds", "POST"): {"seats": ["zaal-C-5"]},
        ("/bundles/{bundle_id}/holds", "POST"): {"quantity": 1},
        ("/subscription-formulas/{formula_id}/holds", "POST"): {
            "performances": {ids["performance_id"]: {"seats": ["zaal-C-4"]}, ids["standing_id"]: {}}
        },
        ("/subscriptions/{subscription_id}/changes", "POST"): {
            "from_performance_id": ids["performance_id"],
            "to_performance_id": ids["standing_id"],
        },
        ("/carts/{cart_id}/checkout", "POST"): {"buyer": BUYER},
        ("/carts/{cart_id}/holds/{hold_id}", "PUT"): {"tariff": "full"},
        ("/carts/{cart_id}/voucher", "PUT"): {"code": ids["code"]},
        ("/carts/{cart_id}/gift-card", "PUT"): {"code": ids["card_code"]},
        ("/carts/{cart_id}/donations/{house_id}", "PUT"): {"amount": 500},
        ("/carts/{cart_id}/holds/{hold_id}/places/{place}/uitpas", "PUT"): {"uitpas_number": "0930000237915"},
        ("/buyer/consents", "PUT"): {"marketing": {ids["house_id"]: True}, "sharing": False},
        ("/staff/agreement", "PUT"): {"version": 0},
        ("/staff/bundles/{bundle_id}", "PATCH"): {"status": "paused"},
        ("/staff/subscription-formulas/{formula_id}", "PATCH"): {"status": "paused"},
    }


def created_kind(route: Route, all_routes: list[Route]) -> str | None:
    """For a create (`POST /staff/venues`), the path parameter that names what it creates (`venue_id`): the one
    of the route that reads or changes one of them (`/staff/venues/{venue_id}`)."""
    if route.method != "POST" or "{" in route.path:
        return None
    for other in all_routes:
        rest = other.path[len(route.path) :]
        if other.path.startswith(route.path + "/{") and rest.count("/") == 1 and rest.endswith("}"):
            return rest[2:-1]
    return {"/staff/houses": "house_id"}.get(route.path)


ID_FIELDS = ("id", "code")  # the field of a create's body that names the new thing
# Ids under HOUSE#h are each house's own namespace (architecture, Data): another house's equal id is another item.
HOUSE_NAMESPACES = {"venue_id", "production_id", "key_id"}


def unknown_like(value: str) -> str:
    """An id of the same shape that names nothing (`t_…` stays a ticket id, `GC-…` a card code)."""
    if value.startswith("t_") and len(value) == 22:
        return "t_" + "0" * 20
    if value.startswith("GC-"):
        return "GC-" + "-".join("ZZZZ" for _ in value.split("-")[1:])
    if value.startswith("pk."):
        return value[:-4] + "AAAA"
    keep = max(2, len(value) - 8)
    return value[:keep] + "0" * (len(value) - keep)


@dataclass
class Probe:
    """One request that must be refused, and why it must be."""

    route: Route
    caller: str
    url: str
    why: str
    json_body: Any = None
    raw: bytes | None = None
    form: dict | None = None
    headers: dict = field(default_factory=dict)
    may_answer_in_band: bool = False  # the route answers refusals per item inside a 200 (a scanner's batch)
    may_be_ignored: bool = False  # a read may ignore what it does not use (an unknown query parameter)

    def send(self, clients: dict[str, Client]):
        client = clients[self.caller]
        headers = {"Accept-Language": "en", **self.headers}
        if self.raw is not None:
            return client.request(
                self.route.method, self.url, data=self.raw, headers={"Content-Type": "application/json", **headers}
            )
        if self.form is not None:
            return client.request(self.route.method, self.url, data=self.form, headers=headers)
        if self.json_body is not None:
            return client.request(self.route.method, self.url, json=self.json_body, headers=headers)
        return client.request(self.route.method, self.url, headers=headers)

    def __str__(self) -> str:
        sent = (
            self.raw.decode()
            if self.raw is not None
            else json.dumps(self.json_body if self.form is None else self.form)
        )
        return f"{self.caller} {self.route.method} {self.url} ({self.why}) {sent[:160]}"


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def path_ids(route: Route, world: World) -> dict[str, str]:
    """The world's ids for the route's path parameters (a reservation's order for the reservation routes)."""
    ids = dict(world.ids)
    if route.path.startswith("/staff/box-office/reservations/"):
        ids["order_id"] = world.ids["reservation_id"]
    return {name: ids.get(name, f"no-{name.replace('_', '-')}") for name in route.parameters}


def callers_of(route: Route) -> list[str]:
    if route.public:
        return ["buyer"]
    callers = [role.value for role in route.roles]
    return callers + (["integration"] if route.scope else [])


def mutations(schema: dict, components: dict, body: dict) -> list[tuple[str, Any]]:
    """Invalid variants of a valid body, each with what is wrong: wrong types, out of range, too long, a broken
    pattern, a missing required field, an unknown field, not an object at all."""
    schema = resolve(schema, components)
    variants: list[tuple[str, Any]] = [("not an object", [body]), ("unknown field", {**body, "unexpected": 1})]
    for name in schema.get("required", []):
        variants.append((f"without {name}", {key: value for key, value in body.items() if key != name}))
    for name, property_schema in schema.get("properties", {}).items():
        options = [resolve(option, components) for option in property_schema.get("anyOf", [property_schema])]
        options = [option for option in options if option.get("type") != "null"] or [{}]
        option = options[0]
        kind = option.get("type") or ("object" if "properties" in option else None)
        wrong = {"string": 12345, "integer": "12", "boolean": "yes", "object": ["x"], "array": "x"}.get(kind, {"x": 1})
        variants.append((f"{name} of the wrong type", {**body, name: wrong}))
        if kind == "integer" and "maximum" in option:
            variants.append((f"{name} above its maximum", {**body, name: option["maximum"] + 1}))
        if kind == "integer" and "minimum" in option:
            variants.append((f"{name} below its minimum", {**body, name: option["minimum"] - 1}))
        if kind == "string" and "maxLength" in option:
            variants.append((f"{name} too long", {**body, name: "x" * (option["maxLength"] + 1)}))
        if kind == "string" and "pattern" in option:
            variants.append((f"{name} not matching its pattern", {**body, name: "<Niet Geldig!>"}))
        if kind == "string" and option.get("format") == "date-time":
            variants.append((f"{name} without a time zone", {**body, name: "2026-12-24T20:00:00"}))
        if kind == "array" and "maxItems" in option:
            item = (body.get(name) or [example(option.get("items", {}), components)])[0]
            variants.append((f"{name} with too many items", {**body, name: [item] * (option["maxItems"] + 1)}))
    return variants


def id_swaps(value: Any, own: dict[str, str], other: dict[str, str], path: str = "") -> list[tuple[str, Any]]:
    """Variants of a body with each of `own`'s ids in it replaced by an unknown one and by `other`'s."""
    by_value = {v: k for k, v in own.items() if len(v) >= 6}
    found: list[tuple[str, Any]] = []

    def walk(node: Any, replace) -> None:
        if isinstance(node, dict):
            for key, inner in node.items():
                if isinstance(key, str) and key in by_value:  # an id used as a key ({performance_id: places})
                    name = by_value[key]
                    for label, swapped in (("unknown", unknown_like(key)), ("other house's", other.get(name))):
                        if swapped and swapped != key:
                            found.append(
                                (
                                    f"{label} {name} as a key",
                                    replace({**{k: v for k, v in node.items() if k != key}, swapped: inner}),
                                )
                            )
                walk(inner, lambda new, key=key, node=node: replace({**node, key: new}))
        elif isinstance(node, list):
            for index, inner in enumerate(node):
                walk(inner, lambda new, index=index, node=node: replace(node[:index] + [new] + node[index + 1 :]))
        elif isinstance(node, str) and node in by_value:
            name = by_value[node]
            for label, swapped in (("unknown", unknown_like(node)), ("other house's", other.get(name))):
                if swapped and swapped != node:
                    found.append((f"{label} {name} in the body", replace(swapped)))

    walk(value, lambda new: new)
    return found


BUYERS_OWN = {"cart_id", "hold_id", "order_id", "subscription_id", "token"}  # a buyer's, not the catalog's
MALFORMED = b'{"unterminated": '
MALFORMED_SESSION = "short!"


def probes_for(
    route: Route, own: World, other: World, components: dict, bodies: dict, all_routes: list[Route]
) -> list[Probe]:
    """Every bad request of one route, sent by each role that may call it: unknown ids, another house's (or
    another buyer's) ids, malformed JSON, invalid fields, ids in the body that name nothing or another house's
    things, creates with an id that is already taken, a malformed session, bad query values, no credential."""
    result: list[Probe] = []
    callers = callers_of(route)
    main = callers[0]
    own_ids = path_ids(route, own)
    other_ids = path_ids(route, other)
    # a view serving several methods is documented with its body on each; only the writes parse one
    schema = route.body_schema if route.method in ("POST", "PUT", "PATCH") else None
    body = bodies.get((route.path, route.method))
    if schema is not None and body is None:
        body = example(schema, components)
    form = {} if route.form else None
    in_band = route.path == "/staff/checkins/batch"

    def probe(caller, values, why, **kwargs):
        kwargs.setdefault("json_body", body)
        kwargs.setdefault("form", form)
        if kwargs["form"] is not None:
            kwargs["json_body"] = None
        result.append(Probe(route, caller, fill(route.path, values), why, may_answer_in_band=in_band, **kwargs))

    if route.public:  # the catalog is public across the cluster; only what a buyer holds is theirs
        other_ids = {name: other_ids[name] if name in BUYERS_OWN else own_ids[name] for name in own_ids}
    house_bound = [caller for caller in callers if caller != Role.COORDINATOR.value]  # the coordinator sees all
    if route.parameters:
        unknown = {name: unknown_like(value) for name, value in own_ids.items()}
        for caller in callers:
            probe(caller, unknown, "unknown ids")
            if caller in house_bound and any(other_ids[name] != own_ids[name] for name in route.parameters):
                probe(caller, other_ids, "another house's ids" if not route.public else "another buyer's ids")
        if len(route.parameters) > 1:  # one's own thing, with another's or an unknown one under it
            for name in route.parameters:
                for label, value in (("unknown", unknown[name]), ("other's", other_ids[name])):
                    if value != own_ids[name] and (label == "unknown" or main in house_bound):
                        probe(main, {**own_ids, name: value}, f"{label} {name} under own ids")
    if schema is not None:
        probe(main, own_ids, "malformed JSON", raw=MALFORMED, json_body=None)
        for why, variant in mutations(schema, components, body):
            probe(main, own_ids, why, json_body=variant)
        # a buyer may use another house's things (its gift card, a donation to it): only unknown ones are bad
        others = {} if route.public else other.ids
        for why, variant in id_swaps(body, own.ids, others):
            if main in house_bound or why.startswith("unknown"):
                probe(main, own_ids, why, json_body=variant)
        kind = created_kind(route, all_routes)
        for field_name in ID_FIELDS:
            if kind and isinstance(body, dict) and field_name in body:
                for label, taken in (("own", own.ids.get(kind)), ("another house's", other.ids.get(kind))):
                    if taken and not (label != "own" and kind in HOUSE_NAMESPACES):
                        probe(
                            main, own_ids, f"create with {label} existing {kind}", json_body={**body, field_name: taken}
                        )
    if route.needs_session:
        probe(main, own_ids, "malformed session", headers={"X-Podium-Session": MALFORMED_SESSION})
    # every route checks its query's length before anything else (an unknown parameter too)
    for name in route.query or ["unexpected"]:
        result.append(
            Probe(
                route,
                main,
                fill(route.path, own_ids) + f"?{name}=" + "x" * (MAX_QUERY_VALUE + 1),
                f"query {name} too long",
                json_body=body if schema else None,
                form=form,
                may_be_ignored=route.method == "GET" and not route.query,
            )
        )
    if not route.public:
        probe("anonymous", own_ids, "no credential")
    return result
