"""Over-long input outside the body: an id in the path longer than any id is not found (never a
500 from a too-long DynamoDB key), an over-long query value is a field error; on every route."""

from __future__ import annotations

from app import app
from chalicelib.web.auth import Role, issue_token

from .conftest import Client


def test_over_long_ids_and_query_values_are_refused_on_every_route(stack, house, signing_key):
    long_id = "x" * 1500
    admin = Client(stack.api_url, house.token, session_token="s" * 32)
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    checked = 0
    for path, entries in app.routes.items():
        for method in entries:
            caller = coordinator if path.startswith(("/staff/settlements", "/staff/houses")) else admin
            body = {} if method in ("POST", "PUT", "PATCH") else None
            if "{" in path and not (path.startswith("/p/") and method == "POST"):
                url = path
                while "{" in url:
                    url = url[: url.index("{")] + long_id + url[url.index("}") + 1 :]
                response = caller.request(method, url, json=body)
                assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text[:200]}"
                checked += 1
            if method == "GET":
                concrete = path.replace("{", "").replace("}", "")
                response = caller.get(concrete, params={"from": "y" * 3000})
                assert response.status_code in (404, 422), f"GET {path}: {response.status_code}"
                if response.status_code == 422:
                    assert response.json()["errors"][0] == {
                        "field": "from",
                        "code": "too_long",
                        "message": "At most 2048 characters.",
                    }
                    checked += 1
    assert checked >= 40
