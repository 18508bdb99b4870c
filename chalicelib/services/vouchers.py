"""Discount codes and donations: staff manage codes; a buyer applies a code and donates in the cart.

The cart keeps the code and the donations beside its holds; every pricing of the cart applies them
(`cart_pricing.with_offers`). Before checkout a code is checked against the cart and the clock; once checkout
froze the cart, the use was claimed in that same transaction and the code's terms apply as they
were, whatever the clock or the remaining uses say by then.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.cart import Cart
from ..domain.donations import set_donation
from ..domain.errors import FieldError, NotFound, ValidationFailed
from ..domain.vouchers import (
    CODE_PATTERN,
    MAX_PERCENT,
    REFUSALS,
    Voucher,
    VoucherKind,
    VoucherUnknown,
    normalize_code,
)
from ..observability import count
from ..store import catalog
from ..store import vouchers as store
from . import carts
from .cart_pricing import donations_of, priced_cart


# -- staff ---------------------------------------------------------------------------------------
def create_voucher(voucher: Voucher) -> Voucher:
    """Store a new code after checking its terms (every invalid field listed)."""
    errors = []
    if not CODE_PATTERN.match(voucher.code):
        errors.append(FieldError("code", "invalid_code", "3-32 letters, digits or dashes."))
    if voucher.kind is VoucherKind.PERCENT and not 1 <= voucher.value <= MAX_PERCENT:
        errors.append(FieldError("value", "out_of_range", "A percentage between 1 and 100."))
    if voucher.kind is VoucherKind.AMOUNT and voucher.value < 1:
        errors.append(FieldError("value", "out_of_range", "At least 1 cent off."))
    if voucher.valid_until <= voucher.valid_from:
        errors.append(FieldError("valid_until", "out_of_range", "The code must end after it starts."))
    if errors:
        raise ValidationFailed("The code's terms are not valid.", errors)
    if voucher.house_id:
        catalog.get_house(voucher.house_id)
    store.create_voucher(voucher)
    count("VouchersCreated")
    return store.get_voucher(voucher.code)


def own_voucher(code: str, house_id: str | None) -> Voucher:
    """A code of this house (None: cluster-wide); another's code does not exist for the caller."""
    voucher = store.get_voucher(normalize_code(code))
    if voucher.house_id != house_id:
        raise NotFound("No such code.", voucher=code)
    return voucher


def list_vouchers(house_id: str | None) -> list[Voucher]:
    """A house's codes (None: the cluster-wide ones)."""
    return store.list_vouchers(house_id)


def deactivate(code: str, house_id: str | None) -> Voucher:
    """Stop new uses of a code of `house_id` (None: a cluster-wide code); another's code does not exist here."""
    return store.deactivate(normalize_code(code), house_id)


# -- the buyer's cart ----------------------------------------------------------------------------
def apply_code(cart_id: str, session_token: str, raw_code: str, now: datetime) -> Cart:
    """Put a discount code on the cart, if it gives a discount on this cart now (else the reason, nothing saved)."""
    record = carts.open_cart(cart_id, session_token)
    code = normalize_code(raw_code)
    try:
        voucher = store.get_voucher(code)
    except NotFound:
        raise VoucherUnknown("There is no such code.", voucher=code) from None
    cart = priced_cart(replace(record, voucher_code=None), now)
    voucher.check_usable(cart.lines, now)
    store.set_cart_offers(record, code, list(record.donations))
    count("VouchersApplied")
    return carts.view_cart(cart_id, session_token, now)


def remove_code(cart_id: str, session_token: str, now: datetime) -> Cart:
    record = carts.open_cart(cart_id, session_token)
    store.set_cart_offers(record, None, list(record.donations))
    return carts.view_cart(cart_id, session_token, now)


def donate(cart_id: str, session_token: str, house_id: str, cents: int, now: datetime) -> Cart:
    """Set the cart's donation to a house of the cluster (0 takes it out)."""
    record = carts.open_cart(cart_id, session_token)
    catalog.get_house(house_id)
    donations = set_donation(donations_of(record), house_id, cents)
    store.set_cart_offers(record, record.voucher_code, [donation.to_dict() for donation in donations])
    return carts.view_cart(cart_id, session_token, now)


def check_offers(cart: Cart) -> None:
    """Refuse to check out a cart whose code gives no discount now: the buyer would pay more than shown."""
    if cart.voucher_code and cart.voucher_issue:
        raise REFUSALS.get(cart.voucher_issue, VoucherUnknown)(
            "The discount code no longer applies; take it out or change the cart.", voucher=cart.voucher_code
        )


def give_back(order_id: str) -> None:
    """Compensation: a checkout that ended without a sale gives its code's use back (once)."""
    if store.release_claim(order_id):
        count("VoucherUsesReturned")
