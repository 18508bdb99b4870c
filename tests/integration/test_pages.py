"""The hosted pages over HTTP (no browser): cookies, forms, branding, framing, errors. The browser
suite (tests/browser) drives the same pages in Chromium."""

from __future__ import annotations

import re

import requests

from chalicelib.i18n import problem_title
from chalicelib.web.auth import Role, issue_token
from scripts.embedded import demo_seatmaps

from .conftest import Client, HouseFixture, unique

HTML = {"Accept": "text/html"}


def browser(stack) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Accept": "text/html", "Accept-Language": "nl-BE"})
    return session


def form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_every_page_without_an_id_renders_html_with_a_strict_policy(stack):
    web = browser(stack)
    for path in ("/p/agenda", "/p/last-minute", "/p/cart", "/p/agenda?lang=fr", "/p/agenda?lang=en&genre=theater"):
        response = web.get(stack.api_url + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["Content-Type"].startswith("text/html")
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in policy and "script-src 'self'" in policy
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and cookie.startswith("podium=")
    assert '<html lang="fr">' in web.get(stack.api_url + "/p/agenda?lang=fr").text


def test_unknown_ids_are_an_html_404_for_browsers_and_a_problem_for_clients(stack):
    for path in ("/p/performances/nope", "/p/houses/nope", "/p/orders/o_nope", "/p/agenda?via=nope"):
        page = requests.get(stack.api_url + path, headers=HTML, timeout=30)
        assert page.status_code == 404 and "<h1>" in page.text, path
        problem = requests.get(stack.api_url + path, timeout=30)
        assert problem.status_code == 404 and problem.json()["code"] == "not_found", path


def test_forms_need_the_session_token_and_answer_404_for_unknown_ids(stack, house, small_hall):
    performance = house.performance(small_hall)
    web = browser(stack)
    page = web.get(f"{stack.api_url}/p/performances/{performance['id']}")
    token = form_token(page.text)
    no_token = web.post(
        f"{stack.api_url}/p/performances/{performance['id']}/holds", data={"mode": "best", "count": "1"}
    )
    assert no_token.status_code == 403
    for path in ("/p/performances/nope/holds", "/p/cart/holds/h_nope", "/p/orders/o_nope/cancel"):
        response = web.post(
            stack.api_url + path, data={"csrf": token, "mode": "best", "count": "1"}, allow_redirects=False
        )
        assert response.status_code == 404, (path, response.status_code, response.text[:300])


def test_a_buyer_holds_seats_fills_the_cart_and_is_sent_to_the_pay_page(stack, house, small_hall):
    performance = house.performance(small_hall)
    web = browser(stack)
    url = f"{stack.api_url}/p/performances/{performance['id']}"
    token = form_token(web.get(url).text)
    held = web.post(
        url + "/holds", data={"csrf": token, "mode": "seats", "seat": ["A-1", "A-2"]}, allow_redirects=False
    )
    if held.status_code != 303:  # seat ids of the test hall
        seat_ids = re.findall(r'data-seat="([^"]+)"', web.get(url).text)[:2]
        held = web.post(url + "/holds", data={"csrf": token, "mode": "seats", "seat": seat_ids}, allow_redirects=False)
    assert held.status_code == 303, held.text[:500]
    cart = web.get(stack.api_url + held.headers["Location"])
    assert "€\xa040,00" in cart.text  # two seats at 20 euro
    checkout = web.get(stack.api_url + "/p/checkout")
    assert 'name="marketing" value="yes">' in checkout.text and 'name="sharing" value="yes">' in checkout.text
    assert "checked" not in re.search(r'<fieldset class="consents">.*?</fieldset>', checkout.text, re.S).group(0)
    bad = web.post(stack.api_url + "/p/checkout", data={"csrf": token, "name": "", "email": "nope"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    started = web.post(
        stack.api_url + "/p/checkout",
        data={"csrf": token, "name": "An Koper", "email": "an.pages@example.org"},
        allow_redirects=False,
    )
    assert started.status_code == 303 and "/pay" in started.headers["Location"]
    pay = web.get(stack.api_url + started.headers["Location"], allow_redirects=False)
    # Stripe's Payment Element, from the stage's Stripe.js (locally the provider's stand-in), as on AWS
    assert pay.status_code == 200 and f'<script src="{stack.payments.url}/v3/"></script>' in pay.text
    assert f"script-src 'self' {stack.payments.url};" in pay.headers["Content-Security-Policy"]
    assert 'data-client-secret="pi_' in pay.text and "data-return-url=" in pay.text


def test_a_seat_taken_meanwhile_is_a_clear_message_with_a_way_on(stack, house, small_hall):
    performance = house.performance(small_hall)
    url = f"{stack.api_url}/p/performances/{performance['id']}"
    first, second = browser(stack), browser(stack)
    seat_ids = re.findall(r'data-seat="([^"]+)"', first.get(url).text)[:2]
    assert (
        first.post(
            url + "/holds",
            data={"csrf": form_token(first.get(url).text), "mode": "seats", "seat": seat_ids},
            allow_redirects=False,
        ).status_code
        == 303
    )
    lost = second.post(
        url + "/holds", data={"csrf": form_token(second.get(url).text), "mode": "seats", "seat": seat_ids[:1]}
    )
    assert lost.status_code == 409
    assert 'role="alert"' in lost.text and "Iemand anders was je net voor" in lost.text
    assert 'href="#best-available"' in lost.text


def test_houses_take_a_logo_and_a_brand_colour_with_validation(stack, signing_key):
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    for bad in (
        {"brand_color": "red"},
        {"brand_color": "#12345"},
        {"logo_url": "http://insecure.example/x.png"},
        {"logo_url": 'https://x.example/a".png'},
    ):
        response = coordinator.post("/staff/houses", {"id": unique("house"), "name": "Huis", **bad})
        assert response.status_code == 422, (bad, response.text)
    house_id = unique("house")
    response = coordinator.post(
        "/staff/houses",
        {
            "id": house_id,
            "name": "Huis",
            "brand_color": "#A0522D",
            "logo_url": "https://cdn.example/logo.png",
            "website_domains": ["www.huis.example"],
        },
    )
    assert response.status_code == 201
    assert response.json()["brand_color"] == "#a0522d"
    page = requests.get(f"{stack.api_url}/p/houses/{house_id}", headers=HTML, timeout=30)
    assert "--brand: #a0522d" in page.text and 'src="https://cdn.example/logo.png"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.huis.example http://www.huis.example" in policy


def test_the_embed_script_and_styles_are_served_and_nothing_else(stack):
    for name in ("embed.js", "pages.js", "pages.css"):
        assert requests.get(f"{stack.api_url}/p/static/{name}", timeout=30).status_code == 200
    assert requests.get(f"{stack.api_url}/p/static/..%2Fapp.py", timeout=30).status_code == 404


def test_a_standing_house_page_sells_via_the_house(stack, signing_key):
    club = HouseFixture(stack, signing_key)
    performance = club.performance(demo_seatmaps.standing_venue(30))
    web = browser(stack)
    listing = web.get(f"{stack.api_url}/p/houses/{club.id}")
    assert f"/p/performances/{performance['id']}?via={club.id}" in listing.text
    url = f"{stack.api_url}/p/performances/{performance['id']}?via={club.id}"
    page = web.get(url)
    held = web.post(
        f"{stack.api_url}/p/performances/{performance['id']}/holds?via={club.id}",
        data={"csrf": form_token(page.text), "mode": "standing", "count": "3"},
        allow_redirects=False,
    )
    assert held.status_code == 303 and f"via={club.id}" in held.headers["Location"]
    assert "€\xa060,00" in web.get(stack.api_url + held.headers["Location"]).text


def test_a_hosted_link_of_a_house_that_may_not_sell_the_cart_says_so_at_checkout(stack, signing_key):
    theatre, outsider = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    performance = theatre.performance(demo_seatmaps.standing_venue(30))
    web = browser(stack)
    page = web.get(f"{stack.api_url}/p/performances/{performance['id']}?via={outsider.id}")
    held = web.post(
        f"{stack.api_url}/p/performances/{performance['id']}/holds?via={outsider.id}",
        data={"csrf": form_token(page.text), "mode": "standing", "count": "1"},
        allow_redirects=False,
    )
    assert held.status_code == 303, held.text
    form = web.get(f"{stack.api_url}/p/checkout?via={outsider.id}")
    refused = web.post(
        f"{stack.api_url}/p/checkout?via={outsider.id}",
        allow_redirects=False,
        data={"csrf": form_token(form.text), "name": "Iemand", "email": f"{unique('via')}@example.org"},
    )
    assert refused.status_code == 422 and refused.headers["Content-Type"].startswith("text/html")
    # not "try again in a moment": trying again through this house's link would never work
    assert "Deze tickets zijn niet te koop via dit huis." in refused.text, refused.text


def test_one_error_handler_answers_by_the_route_s_kind_in_the_caller_s_language(stack):
    """Chalice's own refusal of a page form (a JSON body: 415) is the error page for a browser and a problem for a
    client, like the pages' own refusals; an API route answers a problem even to a browser."""
    french = {"Accept-Language": "fr-BE"}
    page = requests.post(
        stack.api_url + "/p/checkout",
        data="{}",
        timeout=30,
        headers={**HTML, **french, "Content-Type": "application/json"},
    )
    assert page.status_code == 415 and page.headers["Content-Type"].startswith("text/html"), page.text[:300]
    assert '<html lang="fr">' in page.text and "frame-ancestors" in page.headers["Content-Security-Policy"]
    problem = requests.post(
        stack.api_url + "/p/checkout", data="{}", timeout=30, headers={**french, "Content-Type": "application/json"}
    )
    assert problem.status_code == 415 and problem.headers["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "unsupported_media_type" and problem.headers["Content-Language"] == "fr"
    api = requests.get(stack.api_url + "/performances/nope", headers={**HTML, **french}, timeout=30)
    assert api.status_code == 404 and api.headers["Content-Type"] == "application/problem+json"
    assert api.json()["title"] == problem_title("not_found", "fr")
