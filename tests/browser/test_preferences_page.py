"""The buyer's preferences page behind the e-mail link, in Chromium: accessible, forms that work."""

from __future__ import annotations

from tests.integration.checkout_helpers import poll
from tests.integration.test_buyer_rights import buy, link_in_mail, new_buyer, token_of, two_houses

from .conftest import check_accessibility, screenshot


def test_a_buyer_changes_consents_downloads_and_erases_from_the_link_in_their_email(stack, signing_key, browser_page):
    page = browser_page
    (theatre, club), (play, gig) = two_houses(stack, signing_key)
    buyer = new_buyer("browser")
    first, _ = buy(stack, [play, gig], buyer, language="en")
    page.goto(f"{stack.api_url}/p/preferences?lang=en")  # without a link: the token's form and a new link's
    check_accessibility(page)
    link = link_in_mail(stack, buyer["email"])
    page.goto(link)  # the page's script hands the fragment's token over once and lands in the page's session
    page.wait_for_selector("#sharing")
    assert page.locator("h1").text_content() == "Your details and choices"
    assert token_of(link) not in page.url and "#" not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "podium_buyer")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/p/preferences"
    # opening the link applied nothing: the order's choices are shown, to confirm or decline, reached by keyboard
    order = page.locator("section.order-choices", has=page.locator(f"input[name=order_id][value='{first}']"))
    assert buyer["name"] in order.text_content()
    check_accessibility(page)
    screenshot(page, "preferences-order-choices")
    confirm = order.get_by_role("button", name="Confirm these choices")
    for _ in range(60):
        if confirm.evaluate("button => button === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert confirm.evaluate("button => button === document.activeElement"), "the confirm button is not reachable"
    page.keyboard.press("Enter")
    page.wait_for_url("**order=confirmed")
    assert page.text_content("[role=status]").strip() == "The choices made with that order are now yours."
    assert page.locator("section.order-choices").count() == 0
    check_accessibility(page)
    assert not page.is_checked("#sharing")
    page.check("#sharing")
    page.check("#marketing-1")
    page.click("form.buyer button[type=submit]")
    assert page.text_content("[role=status]").strip() == "Your choices are saved."
    assert page.is_checked("#sharing") and page.is_checked("#marketing-1") and not page.is_checked("#marketing-2")
    check_accessibility(page)
    screenshot(page, "preferences")
    with page.expect_download() as download:
        page.click("text=Download my data (JSON)")
    assert buyer["email"] in download.value.path().read_text()
    # a second order, with marketing ticked at both houses; its link followed in the same tab shows its choices,
    # which apply once confirmed
    second, _ = buy(stack, [play, gig], buyer, language="en", marketing=True)
    page.goto(link_in_mail(stack, buyer["email"], second))
    page.wait_for_selector(f"input[name=order_id][value='{second}']", state="attached")
    assert not page.is_checked("#marketing-2")
    page.locator("section.order-choices").get_by_role("button", name="Confirm these choices").click()
    page.wait_for_function(
        "() => document.querySelector('#marketing-2') && document.querySelector('#marketing-2').checked"
    )
    # the later order said no to sharing: a later word of the buyer counts
    assert page.is_checked("#marketing-1") and not page.is_checked("#sharing") and "#" not in page.url
    page.click("section[aria-labelledby=erase-heading] button")  # not confirmed: the browser asks for the tick
    assert "erasure=" not in page.url
    page.check("#erase-confirm")
    page.click("section[aria-labelledby=erase-heading] button")
    assert "erasing your personal data" in page.text_content("[role=status]")
    poll(
        lambda: (page.reload(), page.text_content("main"))[1],
        lambda text: "keep no personal data" in text,
        interval=0.5,
        what="the erased page",
    )
    assert buyer["email"] not in page.content()
    check_accessibility(page)
