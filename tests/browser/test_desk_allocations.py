"""A house's desk in a real browser lists the allocation another house gave it and sells from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.web.auth import Role
from tests.integration.conftest import HouseFixture

from .conftest import check_accessibility
from .test_hosted_checkout import seated
from .test_staff_pages import assert_sale_shown, wait_for_cart

ALLOCATED = ["zaal-C-4", "zaal-C-5", "zaal-C-6"]


def test_the_desk_lists_its_allocations_and_best_available_comes_from_them(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre, centre = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play = seated(theatre)
    returns_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = theatre.admin.post(
        f"/staff/performances/{play['id']}/allocations",
        {"house_id": centre.id, "seats": ALLOCATED, "returns_at": returns_at},
    )
    assert created.status_code == 201, created.text

    page.goto(f"{api}/staff/desk")
    page.fill("#desk-token", centre.token_for(Role.BOX_OFFICE))
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector(f'[data-allocation="{created.json()["id"]}"]')
    assert "3 plaatsen" in page.text_content("[data-allocations]")
    check_accessibility(page)
    page.click(f'[data-allocation="{created.json()["id"]}"] a')
    page.wait_for_selector(f'[data-performance="{play["id"]}"]')
    assert page.locator("svg.seatmap .seat.free").count() == 50 - 3  # the allocated seats are drawn as not free
    page.fill("#best-count", "2")
    page.click("form[data-hold=best] button[type=submit]")
    wait_for_cart(page, 1)
    page.click("[data-sell-submit]")
    assert_sale_shown(page, 2)
    view = theatre.admin.get(f"/staff/performances/{play['id']}/allocations").json()["allocations"][0]
    assert (view["sold"], view["free"]) == (2, 1)
