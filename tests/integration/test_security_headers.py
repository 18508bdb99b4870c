"""Security headers on every kind of response: API data, problems (ours and Chalice's own), pages,
staff page shells, static files; framing allowed only where a house's sites embed the checkout."""

from __future__ import annotations

from chalicelib.web.auth import Role, issue_token

from .conftest import Client, unique

HTML = {"Accept": "text/html"}


def assert_baseline(response) -> None:
    headers = response.headers
    assert (
        headers["Strict-Transport-Security"].startswith("max-age=")
        and int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "camera=()" in headers["Permissions-Policy"] or "camera=(self)" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]


def frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return next(part.split()[1:] for part in policy.split(";") if part.strip().startswith("frame-ancestors"))


def test_api_answers_and_problems_carry_the_headers_and_may_not_be_framed(stack, house, small_hall):
    performance = house.performance(small_hall)
    client = Client(stack.api_url)
    for response in (
        client.get("/agenda"),
        client.get(f"/performances/{performance['id']}"),
        client.get("/performances/nope"),  # our 404 problem
        client.post("/carts", data="x", headers={"Content-Type": "text/plain"}),  # Chalice's 415
        client.get("/staff/house"),  # 401
        house.admin.get("/staff/performances"),
    ):
        assert_baseline(response)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'"), response.request.url
        assert frame_ancestors(response) == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_frame_only_on_the_selling_house_s_own_sites(stack, signing_key, small_hall):
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    house_id = unique("house")
    made = coordinator.post(
        "/staff/houses", {"id": house_id, "name": "Zaal met site", "website_domains": ["www.zaal.example.org"]}
    )
    assert made.status_code == 201, made.text
    client = Client(stack.api_url)
    own = client.get("/p/agenda", headers=HTML)
    assert own.status_code == 200
    assert_baseline(own)
    assert frame_ancestors(own) == ["'self'"] and own.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src 'self'" in own.headers["Content-Security-Policy"]

    embedded = client.get("/p/agenda", params={"via": house_id, "embed": "1"}, headers=HTML)
    assert embedded.status_code == 200
    assert_baseline(embedded)
    assert "https://www.zaal.example.org" in frame_ancestors(embedded)
    # X-Frame-Options cannot name the house's site: it is left out, the CSP decides
    assert "X-Frame-Options" not in embedded.headers

    missing = client.get("/p/performances/nope", headers=HTML)
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]
    assert_baseline(missing)
    assert missing.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_staff_pages_and_static_files(stack):
    client = Client(stack.api_url)
    for path in ("/staff/desk", "/staff/scanner"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200
        assert_baseline(page)
        assert frame_ancestors(page) == ["'none'"] and page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    # only the scanner may use the camera, and only itself
    assert "camera=(self)" in client.get("/staff/scanner").headers["Permissions-Policy"]
    assert "camera=()" in client.get("/staff/desk").headers["Permissions-Policy"]
    style = client.get("/p/static/pages.css")
    assert style.status_code == 200
    assert_baseline(style)
