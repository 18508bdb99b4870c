"""A buyer in a real browser gives a UiTPAS number for one place in the hosted cart, is told why a blocked
card is refused, gets the social tariff with a valid card and pays; axe-core checks the cart."""

from __future__ import annotations

import re

from scripts.embedded.uit import sample_event
from tests.integration.conftest import HouseFixture

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import VISA, fill_buyer_details, hold_standing, pay_at_provider, standing


def test_a_buyer_applies_a_uitpas_card_to_one_place_and_pays_the_social_tariff(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    house = HouseFixture(stack, signing_key)
    concert = standing(house, capacity=20)
    event_id = stack.uit.uitdatabank.service.add_event(sample_event(1))
    mapped = house.admin.request(
        "PUT", f"/staff/performances/{concert['id']}/uitdatabank", json={"event_id": event_id, "sub_event_id": 0}
    )
    assert mapped.status_code == 200, mapped.text

    hold_standing(page, api, concert["id"], 2)
    assert page.locator("form.uitpas input[name=uitpas_number]").count() == 2
    check_accessibility(page)
    first = page.locator("form.uitpas").first
    first.locator("input[name=uitpas_number]").fill("0900000031618")  # a blocked card
    first.locator("button[type=submit]").click()
    page.wait_for_selector("[role=alert]")
    assert "geblokkeerd" in page.text_content("[role=alert]")
    assert page.locator("input[aria-invalid=true]").count() == 1
    check_accessibility(page)

    first = page.locator("form.uitpas").first
    first.locator("input[name=uitpas_number]").fill("0900 0000 95902")
    first.locator("button[type=submit]").click()
    page.wait_for_selector("text=kaart eindigend op 5902")
    text = page.text_content("main").replace("\xa0", " ")
    assert "€ 3,75" in text and "€ 18,75" in text  # 15 € at 25 %, plus one place at the full 15 €
    check_accessibility(page)
    screenshot(page, "uitpas-cart")

    page.click('a[href*="/p/checkout"]')
    fill_buyer_details(page, "Uitpas Koper", "uitpas.koper@example.org")
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_url(re.compile(r"/p/orders/o_"))
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 2
    sales = [s for s in stack.uit.uitpas.service.ticket_sales.values() if s["eventId"] == event_id]
    assert [(s["regularPrice"], s["status"]) for s in sales] == [(15.0, "REGISTERED")]
