"""A buyer in a real browser: seats at two houses, paying at the local provider, declines, lost seats,
the checkout embedded in a house's site, and the same in French. axe-core checks every page."""

from __future__ import annotations

import re
from datetime import UTC

from scripts.embedded import demo_seatmaps
from tests import personal_data
from tests.integration.conftest import Client, HouseFixture, buyer_session

from .conftest import BrandedHouse, HostSite, check_accessibility, screenshot

VISA, DECLINED = "4242424242424242", "4000000000000002"


def seated(house: HouseFixture, rows: int = 5, per_row: int = 10) -> dict:
    return house.performance(
        demo_seatmaps.test_hall(rows, per_row),
        tariffs=[
            {
                "code": "full",
                "name": {"nl": "Volle prijs", "fr": "Plein tarif", "en": "Full price"},
                "prices": {"A": 2800},
            },
            {"code": "reduced", "name": {"nl": "Reductie", "fr": "Réduction", "en": "Reduced"}, "prices": {"A": 2000}},
        ],
    )


def standing(house: HouseFixture, capacity: int = 50) -> dict:
    return house.performance(
        demo_seatmaps.standing_venue(capacity),
        tariffs=[{"code": "full", "name": {"nl": "Volle prijs", "fr": "Plein tarif"}, "prices": {"standing": 1500}}],
    )


def fill_buyer_details(page, name: str = "Browser Koper", email: str = "browser.koper@example.org") -> None:
    personal_data.register(name, email)
    page.fill("#buyer-name", name)
    page.fill("#buyer-email", email)
    assert not page.is_checked("#consent-marketing") and not page.is_checked("#consent-sharing")
    page.click("form.buyer button[type=submit]")


def pay_at_provider(page, card: str, frame=None) -> None:
    """Pay on Podium's pay page in the local provider's stand-in of Stripe's Payment Element (its test cards)."""
    target = frame or page
    target.locator(f'input[name="card"][value="{card}"]').check()
    target.locator("[data-stripe-pay] button[type=submit]").click()


def hold_standing(page, api_url: str, performance_id: str, count: int, query: str = "") -> None:
    page.goto(f"{api_url}/p/performances/{performance_id}{query}")
    page.fill("#standing-count", str(count))
    page.click("form:has(#standing-count) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))


def test_a_buyer_picks_seats_at_two_houses_pays_and_gets_the_tickets(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre, club = HouseFixture(stack, signing_key), HouseFixture(stack, signing_key)
    play, concert = seated(theatre), standing(club)

    page.goto(f"{api}/p/agenda?house={theatre.id}")
    check_accessibility(page)
    page.click(f'a[href*="/p/performances/{play["id"]}"]')
    page.wait_for_selector("svg.seatmap")
    check_accessibility(page)
    # One seat by keyboard (arrow keys + Space), one by mouse.
    page.focus('svg.seatmap .seat[tabindex="0"]')
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    first = page.locator('svg.seatmap .seat[aria-checked="true"]')
    assert first.count() == 1
    page.locator("svg.seatmap .seat.free").nth(5).click()
    assert page.locator('svg.seatmap .seat[aria-checked="true"]').count() == 2
    assert "rij A" in page.text_content("[data-selection]")
    screenshot(page, "performance-seat-map")
    page.click("[data-seat-submit]")
    page.wait_for_url(re.compile(r"/p/cart"))

    hold_standing(page, api, concert["id"], 2)
    assert page.locator(".cart-group").count() == 2
    page.select_option('.cart-group:first-of-type select[name="tariff"]', "reduced")
    page.click(".cart-group:first-of-type form.inline:first-of-type button")
    page.wait_for_url(re.compile(r"/p/cart"))
    text = page.text_content("main").replace("\xa0", " ")
    assert "€ 40,00" in text and "€ 30,00" in text and "€ 70,00" in text  # 2 × 20 reduced + 2 × 15 standing
    check_accessibility(page)
    screenshot(page, "cart-two-houses")

    page.click('a[href*="/p/checkout"]')
    check_accessibility(page)
    screenshot(page, "buyer-details")
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_url(re.compile(r"/p/orders/o_"))
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 4
    assert page.locator(".ticket .qr svg").count() == 4
    check_accessibility(page)
    screenshot(page, "confirmation-tickets")
    pdf = page.context.request.get(
        page.get_attribute(".tickets a.button", "href") and api + page.get_attribute(".tickets a.button", "href")
    )
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"


def test_a_declined_card_says_so_and_another_card_pays(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    club = HouseFixture(stack, signing_key)
    concert = standing(club)
    hold_standing(page, api, concert["id"], 1)
    page.click('a[href*="/p/checkout"]')
    page.click("form.buyer button[type=submit]")  # nothing filled in: each field says what is wrong
    assert page.locator('[aria-invalid="true"]').count() == 2
    assert "Vul een geldig e-mailadres in" in page.text_content('[role="alert"]')
    check_accessibility(page)
    fill_buyer_details(page)
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    return_url = re.sub(r"/pay(?=\?|$)", "", page.url)  # the order's own page
    pay_at_provider(page, DECLINED)
    page.wait_for_selector("#payment-message:not([hidden])")
    # Back at Podium, the order says the card was declined and offers to try again.
    page.goto(return_url)
    alert = page.locator('main [role="alert"]')
    assert "geweigerd" in alert.text_content()
    check_accessibility(page)
    screenshot(page, "payment-declined")
    page.click('a[href*="/pay"]')
    page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
    pay_at_provider(page, VISA)
    page.wait_for_selector(".ticket")
    assert page.locator(".ticket").count() == 1


def test_a_seat_taken_meanwhile_shows_a_clear_message_and_a_way_on(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre = HouseFixture(stack, signing_key)
    play = seated(theatre)
    page.goto(f"{api}/p/performances/{play['id']}")
    seats = page.locator("svg.seatmap .seat.free")
    seats.nth(0).click()
    seats.nth(1).click()
    wanted = page.locator('svg.seatmap .seat[aria-checked="true"]').first.get_attribute("data-seat")
    # Someone else takes one of them while this buyer hesitates.
    rival = Client(api, session_token=buyer_session())
    assert rival.post(f"/performances/{play['id']}/holds", {"seats": [wanted]}).status_code == 201
    page.click("[data-seat-submit]")
    alert = page.locator("#hold-error")
    assert "Iemand anders was je net voor" in alert.text_content()
    assert page.locator(f'svg.seatmap .seat.taken.just-taken[data-seat="{wanted}"]').count() == 1
    check_accessibility(page)
    screenshot(page, "seat-taken-meanwhile")
    page.click('#hold-error a[href="#best-available"]')
    page.fill("#best-count", "2")
    page.click("form:has(#best-count) button[type=submit]")
    page.wait_for_url(re.compile(r"/p/cart"))
    assert page.locator(".places li").count() == 2


def test_the_checkout_embedded_in_a_house_site_resizes_and_sells(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    site, stranger = HostSite(), HostSite()
    try:
        house = BrandedHouse(stack, signing_key, website_domains=[f"127.0.0.1:{site.port}"], brand_color="#7a1f5c")
        concert = standing(house)
        snippet = (
            f'<!doctype html><html lang="nl"><head><title>Huis</title></head><body><main><h1>Ons programma</h1>'
            f'<div data-podium-embed="{api}/p/houses/{house.id}" data-title="Tickets"></div>'
            f'<script src="{api}/p/static/embed.js" async></script></main></body></html>'
        )
        site.html = stranger.html = snippet
        page.goto(site.url)
        frame_element = page.wait_for_selector("iframe")
        frame = frame_element.content_frame()
        frame.wait_for_selector(f'a[href*="/p/performances/{concert["id"]}"]')
        page.wait_for_function("() => document.querySelector('iframe').style.height !== ''")
        assert "--brand: #7a1f5c" in frame.content()
        check_accessibility(page, frame)
        screenshot(page, "embedded-house-page")
        frame.click(f'a[href*="/p/performances/{concert["id"]}"]')
        frame.fill("#standing-count", "2")
        frame.click("form:has(#standing-count) button[type=submit]")
        frame.wait_for_url(re.compile(r"/p/cart.*embed=1"))
        frame.click('a[href*="/p/checkout"]')
        fill_buyer_details(frame)
        frame.wait_for_url(re.compile(r"/p/orders/o_\w+/pay"))
        pay_at_provider(page, VISA, frame)
        frame.wait_for_selector(".ticket")
        assert frame.locator(".ticket").count() == 2
        check_accessibility(page, frame)
        height = page.evaluate("() => parseInt(document.querySelector('iframe').style.height, 10)")
        assert height > 400
        # The same snippet on a site the house did not register is refused by frame-ancestors.
        page.goto(stranger.url)
        page.wait_for_selector("iframe")
        page.wait_for_timeout(1500)
        framed = [f for f in page.frames if f.url.startswith(api)]
        assert not framed or framed[0].locator("h1").count() == 0
    finally:
        site.stop()
        stranger.stop()


def test_the_same_flow_in_french(stack, signing_key, chromium):
    context = chromium.new_context(locale="fr-BE", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    api = stack.api_url
    try:
        theatre = HouseFixture(stack, signing_key)
        play = seated(theatre)
        page.goto(f"{api}/p/agenda?lang=fr&house={theatre.id}")
        assert page.get_attribute("html", "lang") == "fr"
        check_accessibility(page)
        page.click(f'a[href*="/p/performances/{play["id"]}"]')
        page.fill("#best-count", "2")
        page.click("form:has(#best-count) button[type=submit]")
        page.wait_for_url(re.compile(r"/p/cart.*lang=fr"))
        assert "28,00 €" in page.text_content("main").replace("\xa0", " ")
        check_accessibility(page)
        page.click('a[href*="/p/checkout"]')
        assert page.text_content('label[for="consent-marketing"]').startswith("Oui,")
        check_accessibility(page)
        fill_buyer_details(page, "Acheteur Navigateur", "acheteur@example.org")
        page.wait_for_url(re.compile(r"/p/orders/o_\w+/pay.*lang=fr"))
        pay_at_provider(page, VISA)
        page.wait_for_selector(".ticket")
        assert page.get_attribute("html", "lang") == "fr"
        assert "Merci" in page.text_content("h1")
        check_accessibility(page)
        screenshot(page, "confirmation-fr")
    finally:
        context.close()


def test_last_minute_lists_what_still_has_places_and_keeps_it_live(stack, signing_key, browser_page):
    from datetime import datetime, timedelta

    page, api = browser_page, stack.api_url
    club = HouseFixture(stack, signing_key)
    soon = club.performance(
        demo_seatmaps.standing_venue(20), starts_at=(datetime.now(UTC) + timedelta(hours=5)).isoformat()
    )
    later = club.performance(
        demo_seatmaps.standing_venue(20), starts_at=(datetime.now(UTC) + timedelta(days=5)).isoformat()
    )
    page.goto(f"{api}/p/last-minute")
    assert page.locator(f'[data-performance="{soon["id"]}"]').count() == 1
    assert page.locator(f'[data-performance="{later["id"]}"]').count() == 0
    page.wait_for_function("() => document.querySelector('[data-updated]').textContent !== ''")
    check_accessibility(page)
    screenshot(page, "last-minute")
    page.goto(f"{api}/p/agenda")
    check_accessibility(page)
    screenshot(page, "agenda", full_page=False)
    page.goto(f"{api}/p/performances/does-not-exist")
    assert page.text_content("h1") == "Niet gevonden"
    check_accessibility(page)


def test_a_big_hall_zooms_and_shows_wheelchair_places_in_the_legend(stack, signing_key, browser_page):
    page, api = browser_page, stack.api_url
    theatre = HouseFixture(stack, signing_key)
    hall = theatre.performance(
        demo_seatmaps.grote_zaal(),
        tariffs=[{"code": "full", "name": {"nl": "Volle prijs"}, "prices": {"A": 3200, "B": 2600, "C": 1800}}],
    )
    page.goto(f"{api}/p/performances/{hall['id']}")
    assert page.locator("svg.seatmap .seat").count() == 508
    assert "Rolstoelplaats" in page.text_content(".legend")
    width = page.evaluate("() => document.querySelector('svg.seatmap').getBoundingClientRect().width")
    page.click('[data-zoom="in"]')
    page.click('[data-zoom="in"]')
    zoomed = page.evaluate("() => document.querySelector('svg.seatmap').getBoundingClientRect().width")
    assert zoomed > width * 2
    wheelchair = page.locator("svg.seatmap .seat:has(circle)").first
    assert "rolstoelplaats" in wheelchair.get_attribute("aria-label")
    check_accessibility(page)
    page.click('[data-zoom="fit"]')
    screenshot(page, "performance-big-hall")
