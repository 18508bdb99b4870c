"""House staff in a real browser: the box office desk sells over two houses and prints, and reserves for buyers who
pay later (paid by card terminal, or cancelled); the door scanner admits once, verifies and queues offline, refuses
a forgery and syncs without admitting twice. axe-core on both."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.web.auth import Role
from scripts.embedded import demo_seatmaps
from tests import personal_data
from tests.integration.checkout_helpers import poll
from tests.integration.conftest import Client, HouseFixture, buyer_session

from .conftest import check_accessibility, screenshot
from .test_hosted_checkout import seated, standing


def choose_performance(page, house: HouseFixture, performance: dict) -> None:
    page.fill("#desk-search", house.id)
    page.click(f'[data-results] a[href$="performance={performance["id"]}"]')
    page.wait_for_selector(f'[data-performance="{performance["id"]}"]')


def wait_for_cart(page, holds: int) -> None:
    """The desk reloads itself after a hold: wait for the new page's cart (the old one may still answer meanwhile)."""
    page.wait_for_function(
        """n => document.querySelector('#desk-status').textContent === 'In het mandje.'
        && document.querySelectorAll('[data-remove]').length === n""",
        arg=holds,
    )


def assert_sale_shown(page, tickets: int) -> None:
    """The desk shows the sale's tickets and a print link whose blob is a PDF."""
    page.wait_for_selector("[data-sale]:not([hidden])")
    assert page.locator("[data-sale-tickets] li").count() == tickets
    assert f"Verkocht: {tickets} tickets" in page.text_content("[data-sale-heading]")
    page.wait_for_selector('[data-print][data-ready="1"]')
    href = page.get_attribute("[data-print]", "href")
    assert href.startswith("blob:")
    start = page.evaluate(
        """href => fetch(href).then(r => r.arrayBuffer())
        .then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 5)))""",
        href,
    )
    assert start == "%PDF-"


def test_the_desk_sells_seats_and_another_houses_standing_place_for_cash_and_prints(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play, concert = seated(theatre), standing(club)

    page.goto(f"{api}/staff/desk")
    check_accessibility(page)
    page.fill("#desk-token", theatre.token_for(Role.BOX_OFFICE))
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("[data-signed-in]:not([hidden])")
    assert theatre.id in page.text_content("[data-house-name]")

    choose_performance(page, theatre, play)
    page.locator("svg.seatmap .seat.free").nth(3).click()
    page.locator("svg.seatmap .seat.free").nth(4).click()
    assert page.locator('svg.seatmap .seat[aria-checked="true"]').count() == 2
    page.select_option("#desk-tariff", "reduced")
    page.click("[data-seat-submit]")
    wait_for_cart(page, 1)
    assert page.locator("svg.seatmap .seat.taken").count() == 2  # the map was drawn again with the desk's hold
    assert "Reductie" in page.text_content("[data-cart]")
    check_accessibility(page)
    screenshot(page, "desk")

    choose_performance(page, club, concert)
    page.fill("#standing-count", "1")
    page.click("form[data-hold=standing] button[type=submit]")
    wait_for_cart(page, 2)
    cart = page.text_content("[data-cart]").replace("\xa0", " ")
    assert "€ 40,00" in cart and "€ 15,00" in cart and "€ 55,00" in cart  # 2 × 20 reduced + 1 standing
    # the consent wording names the cart's houses once the page has read them (asynchronously)
    page.wait_for_function(
        "house => document.querySelector('label[for=consent-marketing]').textContent.includes(house)", arg=club.id
    )
    assert page.is_checked("#method-cash")
    assert not page.is_checked("#consent-marketing") and not page.is_checked("#consent-sharing")
    check_accessibility(page)

    page.click("[data-sell-submit]")
    assert_sale_shown(page, 3)
    assert page.text_content("[data-cart]").strip() == "Het mandje is leeg."
    check_accessibility(page)
    # the seats are sold, and the next sale starts from a new cart
    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert sum(1 for s in seats if s["state"] == "sold") == 2


BRUSSELS = ZoneInfo("Europe/Brussels")


def hold_and_reserve(page, name: str, email: str) -> None:
    personal_data.register(name, email)
    page.fill("#buyer-name", name)
    page.fill("#buyer-email", email)
    count = page.locator("[data-reservation]").count()
    page.click("[data-reserve-submit]")
    page.wait_for_function("n => document.querySelectorAll('[data-reservation]').length === n", arg=count + 1)
    assert page.text_content("[data-cart]").strip() == "Het mandje is leeg."
    assert page.text_content("#desk-status").startswith(f"Gereserveerd voor {name} tot ")


def test_the_desk_reserves_for_buyers_who_pay_later_by_card_terminal_or_cancel(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre = HouseFixture(stack, signing_key)
    play = seated(theatre)  # in a week: the reservation runs until tomorrow 18:00
    starts = (datetime.now(UTC) + timedelta(hours=5)).replace(second=0, microsecond=0)
    tonight = theatre.performance(demo_seatmaps.test_hall(5, 10), starts_at=starts.isoformat())  # until an hour before
    desk = Client(api, theatre.token_for(Role.BOX_OFFICE))

    page.goto(f"{api}/staff/desk")
    page.fill("#desk-token", theatre.token_for(Role.BOX_OFFICE))
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("[data-reservations-section]:not([hidden])")
    assert page.text_content("[data-reservations]").strip() == "Geen open reserveringen."

    choose_performance(page, theatre, play)
    page.locator("svg.seatmap .seat.free").nth(0).click()
    page.locator("svg.seatmap .seat.free").nth(1).click()
    page.click("[data-seat-submit]")
    wait_for_cart(page, 1)
    tomorrow = datetime.now(BRUSSELS).date() + timedelta(days=1)
    assert page.input_value("#reserve-until") == f"{tomorrow.isoformat()}T18:00"
    page.click("[data-reserve-submit]")  # no buyer named yet
    page.wait_for_selector("#desk-error:not([hidden])")
    assert page.text_content("#desk-error") == "Vul de naam en het e-mailadres van de koper in."
    assert page.evaluate("document.activeElement.id") == "buyer-name"
    hold_and_reserve(page, "Anna Peeters", "anna.peeters@example.org")
    anna = page.locator('[data-buyer="Anna Peeters"]')
    assert "2 × " in anna.text_content() and "anna.peeters@example.org" in anna.text_content()

    choose_performance(page, theatre, tonight)
    page.locator("svg.seatmap .seat.free").nth(0).click()
    page.click("[data-seat-submit]")
    wait_for_cart(page, 1)
    assert page.input_value("#reserve-until") == (starts - timedelta(hours=1)).astimezone(BRUSSELS).strftime(
        "%Y-%m-%dT%H:%M"
    )
    hold_and_reserve(page, "Bram Claes", "bram.claes@example.org")
    # soonest expiry first, on the page and in the API; the Brussels times reached the API with their offset
    assert page.locator("[data-reservation]").evaluate_all("items => items.map(i => i.dataset.buyer)") == [
        "Bram Claes",
        "Anna Peeters",
    ]
    listed = desk.get("/staff/box-office/reservations").json()["reservations"]
    assert [r["buyer"]["name"] for r in listed] == ["Bram Claes", "Anna Peeters"]
    assert datetime.fromisoformat(listed[0]["expires_at"].replace("Z", "+00:00")) == starts - timedelta(hours=1)
    assert datetime.fromisoformat(listed[1]["expires_at"].replace("Z", "+00:00")) == datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 18, tzinfo=BRUSSELS
    )
    seats = Client(api).get(f"/performances/{tonight['id']}/seats").json()["seatmap"]["seats"]
    assert sum(1 for s in seats if s["state"] != "free") == 1
    check_accessibility(page)
    screenshot(page, "desk-reservations")

    anna.locator("[data-method=card_terminal]").click()
    assert_sale_shown(page, 2)
    page.wait_for_function("() => document.querySelectorAll('[data-reservation]').length === 1")
    seats = Client(api).get(f"/performances/{play['id']}/seats").json()["seatmap"]["seats"]
    assert sum(1 for s in seats if s["state"] == "sold") == 2
    check_accessibility(page)

    page.locator('[data-buyer="Bram Claes"] [data-cancel-reservation]').click()
    page.wait_for_function(
        "() => document.getElementById('desk-status').textContent === 'Reservering van Bram Claes geannuleerd.'"
    )
    page.wait_for_function(
        "() => document.querySelector('[data-reservations]').textContent.trim() === 'Geen open reserveringen.'"
    )
    seats = Client(api).get(f"/performances/{tonight['id']}/seats").json()["seatmap"]["seats"]
    assert all(s["state"] == "free" for s in seats)
    assert desk.get("/staff/box-office/reservations").json()["reservations"] == []
    check_accessibility(page)


def sold_tickets(stack, house: HouseFixture, performance: dict, count: int) -> list[dict]:
    desk = Client(stack.api_url, house.token_for(Role.BOX_OFFICE), session_token=buyer_session())
    cart = desk.post("/carts").json()
    hold = desk.post(f"/performances/{performance['id']}/holds", {"best_available": {"count": count}}).json()
    desk.request("PUT", f"/carts/{cart['id']}/holds/{hold['id']}", json={})
    sale = desk.post("/staff/box-office/sales", {"cart_id": cart["id"], "payment_method": "cash"})
    assert sale.status_code == 201, sale.text
    return sale.json()["tickets"]


def scan(page, payload: str, expected: str, keep: bool = False) -> str:
    page.fill("#payload", payload)
    page.press("#payload", "Enter")
    page.wait_for_function("text => document.getElementById('result').textContent.includes(text)", arg=expected)
    result = page.text_content("#result")
    if not keep:  # so that the next answer is told apart from this one
        page.evaluate("document.getElementById('result').textContent = ''")
    return result


def test_the_scanner_admits_once_verifies_and_queues_offline_and_syncs_without_double_admission(
    stack, signing_key, browser_page
):
    page, api = browser_page, stack.api_url
    theatre = HouseFixture(stack, signing_key)
    play = seated(theatre)
    first, second, third = sold_tickets(stack, theatre, play, 3)
    door = Client(api, theatre.token_for(Role.SCANNER))

    page.goto(f"{api}/staff/scanner")
    check_accessibility(page)
    page.fill("#token", theatre.token_for(Role.SCANNER))
    page.fill("#performance", play["id"])
    page.fill("#gate", "noord")
    page.click("#setup button[type=submit]")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'payload'")

    assert "Welkom" in scan(page, first["qr_payload"], "Welkom")
    again = scan(page, first["qr_payload"], "Al gescand")
    assert re.search(r"Al gescand om \d\d:\d\d:\d\d aan noord", again), again

    page.context.set_offline(True)
    assert "Geldig" in scan(page, second["qr_payload"], "bewaard tot het net terug is")
    assert page.text_content("#queue") == "1 scans wachten op het net"
    assert "Al gescand" in scan(page, second["qr_payload"], "Al gescand")  # the same ticket twice during the outage
    payload = third["qr_payload"]
    body, signature = payload.rsplit(".", 1)
    forged = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert scan(page, forged, "Vals ticket") == "Vals ticket"
    assert scan(page, "PD1.bm9uc2Vuc2U.AAAA", "Geen ticket") == "Geen ticket"
    assert page.text_content("#queue") == "1 scans wachten op het net"
    assert door.get(f"/staff/performances/{play['id']}/checkins").json()["in_hall"] == 1  # nothing reached the API

    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('queue').textContent.startsWith('0 ')", timeout=15_000)
    hall = poll(
        lambda: door.get(f"/staff/performances/{play['id']}/checkins").json(),
        lambda h: h["in_hall"] == 2,
        timeout=15,
        what="two in the hall",
    )
    assert hall["in_hall"] == 2
    page.wait_for_function("() => document.getElementById('in-hall').textContent === '2 binnen'")
    # the synced ticket is not let in again, and the forged one never was
    assert scan(page, forged, "Vals ticket") == "Vals ticket"
    assert "Al gescand" in scan(page, second["qr_payload"], "Al gescand", keep=True)
    assert door.get(f"/staff/performances/{play['id']}/checkins").json()["in_hall"] == 2
    check_accessibility(page)
    screenshot(page, "scanner")
