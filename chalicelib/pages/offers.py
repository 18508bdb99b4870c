"""The cart page's discount code and donation forms (`/p/cart/voucher`, `/p/cart/donation`).

They post URL-encoded forms with the page's token, like every page form, and redirect to the cart.
A refused code is the usual error page with the buyer's sentence; the cart page says why a code it
carries gives no discount now.
"""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain import errors as domain
from ..domain.vouchers import discounts_by_house
from ..i18n import buyer_message
from ..services import catalog
from ..services import vouchers as service
from ..web.limits import enforce_code_attempt_limits
from .shared import Page, one, page_route, read_form

offer_pages = Blueprint("chalicelib.pages.offers")
DONATION_CHOICES = (500, 1000, 2500)  # cents offered on the page; the API takes any amount within bounds


def offers_model(page: Page, cart) -> dict:
    """What the cart page shows of the code and the donations."""
    houses = {house.id: house for house in catalog.houses()}
    return {
        "voucher": cart.voucher_code if cart else None,
        "voucher_problem": buyer_message(cart.voucher_issue, page.language) if cart and cart.voucher_issue else None,
        "discounts": [
            {"house": houses.get(house_id), "amount": -cents}
            for house_id, cents in sorted(discounts_by_house(cart.lines).items())
        ]
        if cart
        else [],
        "donations": [{"house": houses.get(d.house_id), "amount": d.amount.cents} for d in cart.donations]
        if cart
        else [],
        "houses": sorted(houses.values(), key=lambda house: house.name),
        "choices": DONATION_CHOICES,
    }


def _open_cart_id(page: Page) -> str:
    if page.cart_id is None:
        raise domain.NotFound("There is no cart.")
    return page.cart_id


@page_route("/p/cart/voucher", methods=("POST",), blueprint=offer_pages)
def cart_voucher(page: Page):
    """Apply the typed code (`code`), or take it out (`action=remove`)."""
    fields = read_form(page)
    cart_id, now = _open_cart_id(page), ports.clock().now()
    if one(fields, "action") == "remove":
        service.remove_code(cart_id, page.ensure_session(), now)
    else:
        enforce_code_attempt_limits(page.request)  # as the API's: codes are not to be guessed
        code = one(fields, "code")
        if not code or len(code) > 40:
            raise domain.ValidationFailed(
                "Type a discount code.", [domain.FieldError("code", "required", "Type the code.")]
            )
        service.apply_code(cart_id, page.ensure_session(), code, now)
    return page.redirect(page.url("/p/cart"))


@page_route("/p/cart/donation", methods=("POST",), blueprint=offer_pages)
def cart_donation(page: Page):
    """Give the chosen house (`house`) the chosen amount in cents (`amount`; 0 takes the donation out)."""
    fields = read_form(page)
    cart_id = _open_cart_id(page)
    amount = one(fields, "amount")
    if not amount.isdigit() or len(amount) > 7:
        raise domain.ValidationFailed(
            "Choose an amount.", [domain.FieldError("amount", "invalid", "Choose an amount.")]
        )
    service.donate(cart_id, page.ensure_session(), one(fields, "house"), int(amount), ports.clock().now())
    return page.redirect(page.url("/p/cart"))
