"""Every route answers bad input with a problem (4xx), never a 500, and writes nothing."""

from __future__ import annotations

import json

import pytest

from app import app
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import resources

from .conftest import Client, buyer_session
from .refusal_helpers import table_digests

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
    """Items in every table but the idempotency records, counted by the local AWS itself (no scan over HTTP)."""
    # The fan-out consumers' idempotency records come from earlier tests' events, which may still be in flight.
    tables = [name for name in resources.table_names(stack.refs) if name != stack.refs.get("IdempotencyTable")]
    return sum(table["count"] for table in table_digests(stack, tables, rate_counters=True)["tables"].values())


def concrete(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_route_is_covered_by_this_sweep():
    # A new route must be thought about here: it shows up in this list.
    assert sorted(all_routes()) == sorted(
        [
            ("/agenda", "GET"),
            ("/performances/{performance_id}", "GET"),
            ("/performances/{performance_id}/seats", "GET"),
            ("/sessions", "POST"),
            ("/performances/{performance_id}/holds", "POST"),
            ("/holds/{hold_id}", "GET"),
            ("/performances/{performance_id}/queue", "POST"),
            ("/performances/{performance_id}/queue", "GET"),
            ("/holds/{hold_id}", "DELETE"),
            ("/staff/houses", "POST"),
            ("/staff/houses", "GET"),
            ("/staff/house", "GET"),
            ("/staff/venues", "POST"),
            ("/staff/venues", "GET"),
            ("/staff/venues/{venue_id}", "GET"),
            ("/staff/productions", "POST"),
            ("/staff/productions", "GET"),
            ("/staff/productions/{production_id}", "GET"),
            ("/staff/performances", "POST"),
            ("/staff/performances", "GET"),
            ("/staff/performances/{performance_id}", "GET"),
            ("/staff/performances/{performance_id}", "PATCH"),
            ("/carts", "POST"),
            ("/carts/{cart_id}", "GET"),
            ("/carts/{cart_id}/holds/{hold_id}", "PUT"),
            ("/carts/{cart_id}/holds/{hold_id}", "DELETE"),
            ("/webhooks/stripe", "POST"),
            ("/carts/{cart_id}/checkout", "POST"),
            ("/checkouts/{order_id}", "GET"),
            ("/checkouts/{order_id}/cancel", "POST"),
            ("/checkouts/{order_id}/tickets.pdf", "GET"),
            ("/staff/orders/{order_id}", "GET"),
            ("/staff/orders/{order_id}/refunds", "POST"),
            ("/staff/orders/{order_id}/refunds/{refund_id}", "GET"),
            ("/ticket-keys", "GET"),
            ("/openapi.json", "GET"),
            ("/staff/performances/{performance_id}/holds", "GET"),
            ("/staff/performances/{performance_id}/orders", "GET"),
            ("/staff/performances/{performance_id}/uitdatabank", "PUT"),
            ("/staff/agreement", "GET"),
            ("/staff/agreement", "PUT"),
            ("/staff/settlements", "POST"),
            ("/staff/settlements", "GET"),
            ("/staff/settlements/{period_id}", "GET"),
            ("/staff/statements", "GET"),
            ("/staff/statements/{period_id}", "GET"),
            ("/staff/checkins", "POST"),
            ("/staff/checkins/batch", "POST"),
            ("/staff/performances/{performance_id}/checkins", "GET"),
            ("/staff/box-office/sales", "POST"),
            ("/staff/box-office/sales/{order_id}/tickets.pdf", "GET"),
            ("/staff/box-office/reservations", "POST"),
            ("/staff/box-office/reservations", "GET"),
            ("/staff/box-office/reservations/{order_id}/payment", "POST"),
            ("/staff/box-office/reservations/{order_id}", "DELETE"),
            ("/staff/customers", "GET"),
            ("/staff/marketing-export", "GET"),
            ("/staff/customers/{customer_id}", "GET"),
            ("/staff/reports/sales", "GET"),
            ("/staff/reports/cluster", "GET"),
            ("/staff/scanner", "GET"),
            ("/staff/desk", "GET"),
            ("/staff/api-keys", "POST"),
            ("/staff/api-keys", "GET"),
            ("/staff/api-keys/{key_id}", "DELETE"),
            # hosted pages (chalicelib/pages): HTML for browsers, problem details for other clients
            ("/p", "GET"),
            ("/p/agenda", "GET"),
            ("/p/houses/{house_id}", "GET"),
            ("/p/last-minute", "GET"),
            ("/p/performances/{performance_id}", "GET"),
            ("/p/performances/{performance_id}/holds", "POST"),
            ("/p/performances/{performance_id}/queue", "GET"),
            ("/p/cart", "GET"),
            ("/p/cart/holds/{hold_id}", "POST"),
            ("/p/checkout", "GET"),
            ("/p/checkout", "POST"),
            ("/p/orders/{order_id}/pay", "GET"),
            ("/p/orders/{order_id}", "GET"),
            ("/p/orders/{order_id}/cancel", "POST"),
            ("/p/orders/{order_id}/tickets.pdf", "GET"),
            ("/p/static/{name}", "GET"),
            # buyers' rights (chalicelib/api/gdpr.py): the JSON API with the link's token, and the link's pages
            ("/buyer/preferences", "GET"),
            ("/buyer/consents", "PUT"),
            ("/buyer/export", "GET"),
            ("/buyer/erasure", "POST"),
            ("/staff/erasures", "GET"),
            ("/p/preferences", "GET"),
            ("/p/preferences", "POST"),
            ("/p/preferences/open", "POST"),
            ("/p/preferences/consents", "POST"),
            ("/p/preferences/export", "GET"),
            ("/p/preferences/erasure", "POST"),
            ("/p/preferences/orders", "POST"),
            # bundles (chalicelib/api/bundles.py) and their hosted page
            ("/staff/bundles", "POST"),
            ("/staff/bundles/{bundle_id}", "PATCH"),
            ("/bundles", "GET"),
            ("/bundles/{bundle_id}", "GET"),
            ("/bundles/{bundle_id}/holds", "POST"),
            ("/staff/orders/{order_id}/bundle-refunds", "POST"),
            ("/p/bundles/{bundle_id}", "GET"),
            ("/p/bundles/{bundle_id}/holds", "POST"),
            # subscriptions (chalicelib/api/subscriptions.py)
            ("/staff/subscription-formulas", "POST"),
            ("/staff/subscription-formulas/{formula_id}", "PATCH"),
            ("/subscription-formulas", "GET"),
            ("/subscription-formulas/{formula_id}", "GET"),
            ("/subscription-formulas/{formula_id}/holds", "POST"),
            ("/subscriptions/{subscription_id}", "GET"),
            ("/subscriptions/{subscription_id}/changes", "POST"),
            ("/subscriptions/{subscription_id}/renewal", "POST"),
            ("/p/subscriptions/{formula_id}", "GET"),
            ("/p/subscriptions/{formula_id}/holds", "POST"),
            # UiTPAS social tariff per place in the cart (chalicelib/api/uitpas.py)
            ("/carts/{cart_id}/holds/{hold_id}/places/{place}/uitpas", "PUT"),
            ("/carts/{cart_id}/holds/{hold_id}/places/{place}/uitpas", "DELETE"),
            # timed entry (chalicelib/api/timeslots.py)
            ("/staff/timeslots", "POST"),
            ("/staff/timeslots/{series_id}", "GET"),
            ("/timeslots/{series_id}", "GET"),
            ("/p/cart/holds/{hold_id}/places/{place}/uitpas", "POST"),
            # discount codes and donations (chalicelib/api/vouchers.py)
            ("/staff/vouchers", "POST"),
            ("/staff/vouchers", "GET"),
            ("/staff/vouchers/{code}", "GET"),
            ("/staff/vouchers/{code}", "DELETE"),
            ("/carts/{cart_id}/voucher", "PUT"),
            ("/carts/{cart_id}/voucher", "DELETE"),
            ("/carts/{cart_id}/donations/{house_id}", "PUT"),
            # gift cards (chalicelib/api/giftcards.py)
            ("/staff/gift-cards", "POST"),
            ("/staff/gift-cards", "GET"),
            ("/staff/gift-cards/lookup", "POST"),
            ("/gift-cards/balance", "POST"),
            ("/carts/{cart_id}/gift-card", "PUT"),
            ("/carts/{cart_id}/gift-card", "DELETE"),
            # the hosted cart page's code and donation forms (chalicelib/pages/offers.py)
            ("/p/cart/voucher", "POST"),
            ("/p/cart/donation", "POST"),
            # allocations (chalicelib/api/allocations.py)
            ("/staff/performances/{performance_id}/allocations", "POST"),
            ("/staff/performances/{performance_id}/allocations", "GET"),
            ("/staff/performances/{performance_id}/allocations/{allocation_id}", "PATCH"),
            ("/staff/performances/{performance_id}/allocations/{allocation_id}/release", "POST"),
            ("/staff/allocations", "GET"),
        ]
    )


@pytest.mark.parametrize("role", [Role.HOUSE_ADMIN, Role.COORDINATOR])
def test_malformed_bodies_and_wrong_types_never_cause_a_500_or_a_write(stack, house, small_hall, role):
    performance = house.performance(small_hall)
    buyer = Client(stack.api_url, session_token=buyer_session())
    hold = buyer.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": 1}}).json()
    cart = buyer.post("/carts").json()
    ids = {
        "performance_id": performance["id"],
        "hold_id": hold["id"],
        "venue_id": performance["venue_id"],
        "production_id": performance["production_id"],
        "cart_id": cart["id"],
        "order_id": "o_none",
        "refund_id": "r_none",
        "period_id": "2026-W01",
        "bundle_id": "b-none",
        "place": "A-1",
        "formula_id": "f-none",
        "subscription_id": "s_none.x",
        "series_id": "expo-none",
    }
    client = Client(stack.api_url, house.token_for(role), session_token=buyer.http.headers["X-Podium-Session"])
    before = table_items(stack)
    for path, method in all_routes():
        if method not in ("POST", "PATCH", "PUT") or path in ("/sessions", "/carts", "/checkouts/{order_id}/cancel"):
            # these take no body
            continue
        for body in BAD_BODIES:
            for content_type in ("application/json", "text/plain"):
                response = client.request(
                    method, concrete(path, ids), data=body, headers={"Content-Type": content_type}
                )
                context = f"{method} {path} {body[:40]!r} {content_type}"
                assert 400 <= response.status_code < 500, f"{context}: {response.status_code} {response.text}"
                assert response.headers["Content-Type"] == "application/problem+json", context
                problem = response.json()
                assert {"type", "title", "status", "detail", "code"} <= set(problem), context
    assert table_items(stack) == before


def test_unknown_ids_are_404_problems_on_every_route_with_an_id(stack, house, signing_key):
    buyer = Client(stack.api_url, house.token, session_token=buyer_session())
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    ids = {
        name: "does-not-exist"
        for name in (
            "performance_id",
            "hold_id",
            "venue_id",
            "production_id",
            "cart_id",
            "order_id",
            "refund_id",
            "period_id",
            "customer_id",
            "house_id",
            "name",
            "token",
            "key_id",
            "bundle_id",
            "formula_id",
            "subscription_id",
            "place",
            "series_id",
            "code",
            "card_code",
        )
    }
    bodies = {"PATCH": {"status": "paused"}, "PUT": {}, "POST": {"best_available": {"count": 1}}}
    for path, method in all_routes():
        if "{" not in path:
            continue
        if path.startswith("/p/") and method == "POST":
            # Page forms accept only URL-encoded forms: this JSON body is refused (415 problem) before any
            # lookup. tests/integration/test_pages.py proves their 404s with real forms.
            continue
        body = (
            {"buyer": {"name": "Iemand", "email": "iemand@example.org"}}
            if path.endswith("/checkout")
            else None
            if (method, path) in TAKE_NO_BODY
            else {}
            if path.endswith("/refunds")
            else {"payment_method": "cash"}
            if path.endswith("/payment")
            else {"uitpas_number": "0900000095902"}
            if path.endswith("/uitpas") and method == "PUT"
            else bodies.get(method)
        )
        caller = (
            coordinator
            if path.startswith(("/staff/settlements", "/staff/bundles")) or path.endswith("/bundle-refunds")
            else buyer
        )
        response = caller.request(
            method, concrete(path, ids), json=body if method in ("POST", "PATCH", "PUT") else None
        )
        assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
        assert response.json()["code"] == "not_found"


TAKE_NO_BODY = [
    ("POST", "/sessions"),
    ("POST", "/carts"),
    ("POST", "/checkouts/{order_id}/cancel"),
    ("POST", "/staff/performances/{performance_id}/allocations/{allocation_id}/release"),
]


def test_a_route_that_takes_no_body_refuses_any_field_and_writes_nothing(stack, house, small_hall):
    performance = house.performance(small_hall)
    client = Client(stack.api_url, house.token, session_token=buyer_session())
    ids = {"order_id": "o_none", "performance_id": performance["id"], "allocation_id": "a_none"}
    before = table_items(stack)
    for method, path in TAKE_NO_BODY:
        for body in (b'{"unexpected": true}', b"[]", b"null"):
            response = client.request(
                method, concrete(path, ids), data=body, headers={"Content-Type": "application/json"}
            )
            problem = assert_problem(response, 422, "validation_failed")
            if body.startswith(b"{"):
                assert [error["field"] for error in problem["errors"]] == ["unexpected"], problem
        assert_problem(
            client.request(method, concrete(path, ids), data=b"{no json", headers={"Content-Type": "application/json"}),
            400,
            "malformed_request",
        )
    assert table_items(stack) == before
    # nothing, or an empty object, is what they take
    assert client.post("/sessions").status_code == 201 and client.post("/sessions", {}).status_code == 201
    assert client.post("/carts").status_code == 201 and client.post("/carts", {}).status_code == 201


def test_problem_titles_follow_the_buyers_language(stack):
    client = Client(stack.api_url, session_token=buyer_session())
    for language, title in (
        ("nl-BE,nl;q=0.9", "Niet gevonden"),
        ("fr-BE", "Introuvable"),
        ("en", "Not found"),
        ("de", "Niet gevonden"),
    ):
        response = client.get("/performances/nope", headers={"Accept-Language": language})
        assert response.json()["title"] == title


def test_bad_query_parameters_are_field_errors(stack):
    client = Client(stack.api_url)
    for name in ("from", "to"):
        response = client.get("/agenda", params={name: "next tuesday"})
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": name, "code": "invalid_datetime", "message": "Use ISO 8601."}]
    assert client.get("/agenda", params={"from": "2026-12-01", "house": "nobody"}).json()["performances"] == []


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json", response.headers
    problem = response.json()
    assert problem["code"] == code and problem["type"] == f"urn:podium:problem:{code}" and problem["title"]
    return problem


def test_an_unknown_path_is_a_404_problem_and_a_403_problem_with_a_staff_token(stack, house):
    """API Gateway answers a path no route has itself; its answer is the template's gateway response."""
    problem = assert_problem(Client(stack.api_url).get("/nowhere/at-all"), 404, "not_found")
    assert problem["status"] == 404 and problem["instance"] == "/nowhere/at-all"
    assert "Missing Authentication Token" not in json.dumps(problem)
    assert_problem(Client(stack.api_url).post("/performances/x/nothing", {}), 404, "not_found")
    # with an Authorization header API Gateway reads the token as a malformed AWS signature: 403, still a problem,
    # and the token is not written back
    signed = house.admin.get("/staff/nothing-here")
    assert_problem(signed, 403, "malformed_request")
    assert house.token not in signed.text


def test_a_known_path_with_another_method_is_a_405_problem_naming_the_allowed_ones(stack):
    response = Client(stack.api_url).request("DELETE", "/agenda")
    problem = assert_problem(response, 405, "method_not_allowed")
    assert problem["status"] == 405 and response.headers["Allow"] == "GET"
    french = Client(stack.api_url).request("PATCH", "/sessions", headers={"Accept-Language": "fr"})
    assert assert_problem(french, 405, "method_not_allowed")["title"] == "Méthode non autorisée"


def test_an_unknown_value_of_an_enumerated_query_parameter_is_a_400_problem_naming_it(stack, house):
    problem = assert_problem(
        house.admin.get("/staff/reports/sales", params={"format": "xml"}), 400, "malformed_request"
    )
    assert [error["field"] for error in problem["errors"]] == ["format"]
    assert "csv" in problem["errors"][0]["message"]
    assert (
        house.admin.get("/staff/reports/sales", params={"format": "csv"}).headers["Content-Type"].startswith("text/csv")
    )
    assert house.admin.get("/staff/reports/sales").status_code == 200
