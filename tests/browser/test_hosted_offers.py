"""A buyer in a real browser applies a discount code (a wrong one first), donates to another house and pays:
the cart shows the discount and the donation lines, the payment is the new total. axe-core checks every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.checkout_helpers import ledger_entries, net_by_account
from tests.integration.conftest import HouseFixture, unique

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import VISA, fill_buyer_details, hold_standing, pay_at_provider, standing


def test_a_buyer_applies_a_code_donates_to_another_house_and_pays_the_new_total(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    club, museum = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    gig = standing(club)
    now = datetime.now(UTC)
    code = unique("winter").upper()
    response = club.admin.post(
        "/staff/vouchers",
        {
            "code": code,
            "kind": "amount",
            "value": 500,
            "max_uses": 5,
            "valid_from": (now - timedelta(hours=1)).isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text

    hold_standing(page, api, gig["id"], 2)  # 2 × € 15
    page.fill("#voucher-code", "NO-SUCH-CODE")
    page.click("form:has(#voucher-code) button[type=submit]")
    assert "bestaat niet" in page.text_content("main")  # the refusal in the buyer's language (Dutch by default)
    check_accessibility(page)
    page.go_back()
    page.wait_for_url(re.compile(r"/p/cart"))
    page.fill("#voucher-code", code.lower())
    page.click("form:has(#voucher-code) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))
    assert f"Code {code} is toegepast" in page.text_content("main")

    page.select_option("#donation-house", museum.id)
    page.check('input[name="amount"][value="1000"]')
    page.click("form:has(#donation-house) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))
    totals = page.text_content(".totals").replace("\xa0", " ")
    assert f"Korting ({code}), Huis {club.id}" in totals and "€ -5,00" in totals
    assert f"Gift aan Huis {museum.id}" in totals and "€ 10,00" in totals
    assert "€ 35,00" in totals  # 30 − 5 + 10
    check_accessibility(page)
    screenshot(page, "cart-code-and-donation")

    page.click('a[href*="/p/checkout"]')
    assert "Gift" in page.text_content(".summary") and "€ 35,00" in page.text_content("main").replace("\xa0", " ")
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_url(re.compile(r"/p/orders/o_"))
    page.wait_for_selector(".ticket")
    order_id = re.search(r"/p/orders/(o_[0-9a-f]+)", page.url).group(1)
    net = net_by_account(ledger_entries(stack, order_id).values())
    fees = sum(cents for account, cents in net.items() if account.endswith(":fees"))
    assert net["payments:clearing"] == 3500 - fees and net[f"house:{museum.id}:donations"] == -1000
    check_accessibility(page)
