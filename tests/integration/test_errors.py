"""Every route answers bad input with a problem (4xx), never a 500, and writes nothing."""
from __future__ import annotations

import json

import pytest

from app import app
from chalicelib.api.auth import Role
from scripts.embedded import resources

from .conftest import Client, buyer_session

BAD_BODIES = [
    b"{not json",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b"",
    json.dumps({"unexpected": True}).encode(),
    json.dumps({"id": 7, "name": ["x"], "seats": "A-1", "count": -1}).encode(),
    json.dumps({"id": "x" * 500, "title": {"nl": ""}, "seatmap": []}).encode(),
    json.dumps({"best_available": {"count": 1e9}, "standing": None}).encode(),
    json.dumps({"starts_at": "yesterday", "tariffs": [{"prices": {"A": 12.5}}], "status": "open"}).encode(),
    b"\xff\xfe\x00garbage",
]


def all_routes() -> list[tuple[str, str]]:
    return [(path, method) for path, entries in app.routes.items() for method in entries]


def table_items(stack) -> int:
    dynamodb = resources.client("dynamodb", stack.moto.url)
    return sum(dynamodb.scan(TableName=name, Select="COUNT")["Count"] for name in resources.table_names(stack.refs))


def concrete(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_route_is_covered_by_this_sweep():
    # A new route must be thought about here: it shows up in this list.
    assert sorted(all_routes()) == sorted([
        ("/agenda", "GET"), ("/performances/{performance_id}", "GET"),
        ("/performances/{performance_id}/seats", "GET"), ("/sessions", "POST"),
        ("/performances/{performance_id}/holds", "POST"), ("/holds/{hold_id}", "GET"),
        ("/holds/{hold_id}", "DELETE"), ("/staff/houses", "POST"), ("/staff/houses", "GET"),
        ("/staff/house", "GET"), ("/staff/venues", "POST"), ("/staff/venues", "GET"),
        ("/staff/venues/{venue_id}", "GET"), ("/staff/productions", "POST"), ("/staff/productions", "GET"),
        ("/staff/productions/{production_id}", "GET"), ("/staff/performances", "POST"),
        ("/staff/performances", "GET"), ("/staff/performances/{performance_id}", "GET"),
        ("/staff/performances/{performance_id}", "PATCH"),
        ("/carts", "POST"), ("/carts/{cart_id}", "GET"), ("/carts/{cart_id}/holds/{hold_id}", "PUT"),
        ("/carts/{cart_id}/holds/{hold_id}", "DELETE"), ("/webhooks/stripe", "POST"),
    ])


@pytest.mark.parametrize("role", [Role.HOUSE_ADMIN, Role.COORDINATOR])
def test_malformed_bodies_and_wrong_types_never_cause_a_500_or_a_write(stack, house, small_hall, role):
    performance = house.performance(small_hall)
    buyer = Client(stack.api_url, session_token=buyer_session())
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    cart = buyer.post("/carts").json()
    ids = {"performance_id": performance["id"], "hold_id": hold["id"], "venue_id": performance["venue_id"],
           "production_id": performance["production_id"], "cart_id": cart["id"]}
    client = Client(stack.api_url, house.token_for(role), session_token=buyer.http.headers["X-Podium-Session"])
    before = table_items(stack)
    for path, method in all_routes():
        if method not in ("POST", "PATCH", "PUT") or path in ("/sessions", "/carts"):  # these take no body
            continue
        for body in BAD_BODIES:
            for content_type in ("application/json", "text/plain"):
                response = client.request(method, concrete(path, ids), data=body,
                                          headers={"Content-Type": content_type})
                context = f"{method} {path} {body[:40]!r} {content_type}"
                assert 400 <= response.status_code < 500, f"{context}: {response.status_code} {response.text}"
                assert response.headers["Content-Type"] == "application/problem+json", context
                problem = response.json()
                assert {"type", "title", "status", "detail", "code"} <= set(problem), context
    assert table_items(stack) == before


def test_unknown_ids_are_404_problems_on_every_route_with_an_id(stack, house):
    buyer = Client(stack.api_url, house.token, session_token=buyer_session())
    ids = {name: "does-not-exist" for name in ("performance_id", "hold_id", "venue_id", "production_id", "cart_id")}
    for path, method in all_routes():
        if "{" not in path:
            continue
        body = {"status": "paused"} if method == "PATCH" else {} if method == "PUT" else {"best_available": {"count": 1}}
        response = buyer.request(method, concrete(path, ids), json=body if method in ("POST", "PATCH", "PUT") else None)
        assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
        assert response.json()["code"] == "not_found"


def test_problem_titles_follow_the_buyers_language(stack):
    client = Client(stack.api_url, session_token=buyer_session())
    for language, title in (("nl-BE,nl;q=0.9", "Niet gevonden"), ("fr-BE", "Introuvable"), ("en", "Not found"),
                            ("de", "Niet gevonden")):
        response = client.get("/performances/nope", headers={"Accept-Language": language})
        assert response.json()["title"] == title


def test_bad_query_parameters_are_field_errors(stack):
    client = Client(stack.api_url)
    for name in ("from", "to"):
        response = client.get("/agenda", params={name: "next tuesday"})
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": name, "code": "invalid_datetime", "message": "Use ISO 8601."}]
    assert client.get("/agenda", params={"from": "2026-12-01", "house": "nobody"}).json()["performances"] == []
