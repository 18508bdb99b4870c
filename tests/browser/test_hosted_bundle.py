"""A buyer in a real browser buys a festival pass over two houses through the hosted bundle link, sold via a
house, and pays at the local provider; axe-core checks every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from chalicelib.web.auth import Role, issue_token
from tests.integration.conftest import Client, HouseFixture, unique

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import VISA, fill_buyer_details, pay_at_provider, seated, standing


def festival_pass(stack, signing_key, price: int = 3900) -> tuple[dict, tuple, tuple]:
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play, concert = seated(theatre), standing(club, capacity=20)
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    now = datetime.now(UTC)
    response = coordinator.post(
        "/staff/bundles",
        {
            "id": unique("festival"),
            "name": {"nl": "Festivalpas Zomer", "fr": "Pass festival été", "en": "Summer pass"},
            "performances": [{"performance_id": play["id"]}, {"performance_id": concert["id"]}],
            "price": price,
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (now + timedelta(days=6)).isoformat(),
            "status": "on_sale",
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), (theatre, club), (play, concert)


def test_a_buyer_buys_a_festival_pass_over_two_houses_through_the_hosted_bundle_link(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    bundle, (theatre, club), (play, concert) = festival_pass(stack, signing_key)

    # the theatre's hosted programme offers the pass it takes part in; the link keeps the theatre as seller
    page.goto(f"{api}/p/houses/{theatre.id}")
    check_accessibility(page)
    page.click(f'section.bundles a[href*="/p/bundles/{bundle["id"]}"]')
    page.wait_for_url(re.compile(rf"/p/bundles/{bundle['id']}\?via={theatre.id}"))
    assert page.text_content("h1") == "Festivalpas Zomer"
    assert page.locator(".bundle-parts > li").count() == 2
    check_accessibility(page)
    screenshot(page, "bundle-page")
    page.fill("#bundle-quantity", "2")
    page.click("form:has(#bundle-quantity) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))
    assert "via=" + theatre.id in page.url  # the selling house stays with the buyer
    group = page.locator(".cart-group")
    assert group.count() == 1  # one bundle line, not one line per performance
    text = page.text_content("main").replace("\xa0", " ")
    assert "Festivalpas Zomer" in text and "€ 78,00" in text  # two passes at 39 €, not the tariffs' 2 × 43 €
    assert group.locator(".places li").count() == 4
    assert page.locator('.cart-group select[name="tariff"]').count() == 0
    check_accessibility(page)
    screenshot(page, "bundle-cart")

    page.click('a[href*="/p/checkout"]')
    check_accessibility(page)
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_url(re.compile(r"/p/orders/o_"))
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 4
    check_accessibility(page)

    # the places are sold in both houses' performances
    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert sum(seat["state"] == "sold" for seat in seats) == 2
    assert Client(api).get(f"/performances/{concert['id']}").json()["availability"]["available"] == 18
    assert Client(api).get(f"/bundles/{bundle['id']}").json()["availability"]["available"] == 18


def test_the_bundle_page_speaks_french_and_says_when_a_performance_cannot_supply(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    bundle, _, (play, concert) = festival_pass(stack, signing_key)
    page.goto(f"{api}/p/bundles/{bundle['id']}?lang=fr")
    assert page.text_content("h1") == "Pass festival été"
    assert "Nombre de formules" in page.text_content("main")
    check_accessibility(page)
    # someone takes all but one standing place meanwhile: two passes cannot be had, and nothing is held
    other = Client(api, session_token="racing-buyer-" + unique("s"))
    assert other.post(f"/performances/{concert['id']}/holds", {"standing": {"count": 10}}).status_code == 201
    assert other.post(f"/performances/{concert['id']}/holds", {"standing": {"count": 9}}).status_code == 201
    page.fill("#bundle-quantity", "2")
    page.click("form:has(#bundle-quantity) button[type=submit]")
    alert = page.locator('[role="alert"]')
    assert alert.count() == 1
    check_accessibility(page)
    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert all(seat["state"] == "free" for seat in seats)
