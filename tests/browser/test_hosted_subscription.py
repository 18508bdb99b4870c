"""A buyer in a real browser buys a subscription (two performances of three, over two houses) through the hosted
subscription link and pays at the local provider; axe-core checks every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from chalicelib.web.auth import Role, issue_token
from tests.integration.conftest import Client, HouseFixture, unique

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import VISA, fill_buyer_details, pay_at_provider, seated, standing


def choice_subscription(stack, signing_key) -> tuple[dict, tuple, tuple]:
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play, other_play, concert = seated(theatre), seated(theatre), standing(club, capacity=20)
    coordinator = Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))
    now = datetime.now(UTC)
    response = coordinator.post(
        "/staff/subscription-formulas",
        {
            "id": unique("abo"),
            "name": {
                "nl": "Keuzeabonnement Regio",
                "fr": "Abonnement au choix Région",
                "en": "Regional choice subscription",
            },
            "performances": [play["id"], other_play["id"], concert["id"]],
            "min_choices": 2,
            "max_choices": 2,
            "discount": {"kind": "percent", "value": 2000},
            "season": "2026-2027",
            "sales_start": (now - timedelta(hours=1)).isoformat(),
            "sales_end": (now + timedelta(days=6)).isoformat(),
            "status": "on_sale",
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), (theatre, club), (play, other_play, concert)


def test_a_buyer_buys_a_subscription_over_two_houses_through_the_hosted_subscription_link(
    stack, signing_key, browser_page
):
    page, api = browser_page, stack.api_url
    formula, (theatre, _club), (play, _other, concert) = choice_subscription(stack, signing_key)

    page.goto(f"{api}/p/subscriptions/{formula['id']}?via={theatre.id}")
    assert page.text_content("h1") == "Keuzeabonnement Regio"
    assert page.locator(".bundle-parts > li").count() == 3
    assert "20% korting" in page.text_content("main")
    check_accessibility(page)
    screenshot(page, "subscription-page")
    # one choice is too few: the page says how many, and nothing is held
    page.check(f'input[name="choose-{play["id"]}"]')
    page.click("form:has(.bundle-parts) button[type=submit]")
    assert page.locator('[role="alert"]').count() == 1
    assert "Kies tussen 2 en 2 voorstellingen" in page.text_content('[role="alert"]')
    check_accessibility(page)
    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert all(seat["state"] == "free" for seat in seats)

    page.check(f'input[name="choose-{play["id"]}"]')
    page.check(f'input[name="choose-{concert["id"]}"]')
    page.click("form:has(.bundle-parts) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))
    assert "via=" + theatre.id in page.url
    group = page.locator(".cart-group")
    assert group.count() == 1  # one subscription line, not one line per performance
    text = page.text_content("main").replace("\xa0", " ")
    assert "Keuzeabonnement Regio" in text and "€ 34,40" in text  # 20 % off 28 € + 15 €
    assert group.locator(".places li").count() == 2
    check_accessibility(page)
    screenshot(page, "subscription-cart")

    page.click('a[href*="/p/checkout"]')
    check_accessibility(page)
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_url(re.compile(r"/p/orders/o_"))
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 2
    # the confirmation gives the subscription's secret code, which opens the subscription
    code = page.text_content(".subscription-id").strip()
    public_id, _, secret = code.partition(".")
    mine = Client(api).get(f"/subscriptions/{public_id}", headers={"X-Podium-Subscription-Key": secret}).json()
    assert sorted(c["performance_id"] for c in mine["choices"]) == sorted([play["id"], concert["id"]])
    check_accessibility(page)

    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert sum(seat["state"] == "sold" for seat in seats) == 1
    assert Client(api).get(f"/performances/{concert['id']}").json()["availability"]["available"] == 19


def test_the_subscription_page_speaks_french(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    formula, _, _ = choice_subscription(stack, signing_key)
    page.goto(f"{api}/p/subscriptions/{formula['id']}?lang=fr")
    assert page.text_content("h1") == "Abonnement au choix Région"
    assert "20% de réduction" in page.text_content("main")
    check_accessibility(page)
