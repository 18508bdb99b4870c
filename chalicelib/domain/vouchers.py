"""Discount codes (vouchers): an amount or a percentage off a cart's places.

A code belongs to one house (it discounts only that house's places) or to the whole cluster (it
discounts every place, spread over the houses). The discount is spread over the discounted places by
the largest remainder, so each place carries its own reduced price: VAT, commission, revenue, refunds
and statements then follow from the place's price exactly as for any ticket, and the cents add up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Protocol

from .agreements import split_largest_remainder
from .cart import CartLine
from .errors import DomainError

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
MAX_PERCENT = 100


class VoucherKind(str, Enum):
    AMOUNT = "amount"  # cents off
    PERCENT = "percent"  # percent off


class VoucherStatus(str, Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"  # deactivated by staff: no new use


class VoucherUnknown(DomainError):
    code = "voucher_unknown"


class VoucherNotYetValid(DomainError):
    code = "voucher_not_yet_valid"


class VoucherExpired(DomainError):
    code = "voucher_expired"


class VoucherInactive(DomainError):
    code = "voucher_inactive"


class VoucherUsedUp(DomainError):
    code = "voucher_used_up"


class VoucherBelowMinimum(DomainError):
    code = "voucher_below_minimum"


class VoucherNotApplicable(DomainError):
    """A house's code on a cart without any place of that house."""

    code = "voucher_not_applicable"


def normalize_code(raw: str) -> str:
    """Codes are compared in upper case without surrounding spaces (buyers type them)."""
    return raw.strip().upper()


@dataclass(frozen=True)
class Voucher:
    code: str
    house_id: str | None  # None: cluster-wide (the coordinator's)
    kind: VoucherKind
    value: int  # cents off, or percent off
    max_uses: int
    valid_from: datetime
    valid_until: datetime
    min_cart_cents: int = 0
    status: VoucherStatus = VoucherStatus.ACTIVE
    remaining: int = 0  # uses left; claimed at checkout with a conditional decrement
    currency: str = "EUR"
    created_by: str = ""
    created_at: datetime | None = None

    @property
    def uses(self) -> int:
        return self.max_uses - self.remaining

    def applies_to(self, line: CartLine) -> bool:
        return self.house_id is None or line.house_id == self.house_id

    def check_claimable(self, now: datetime) -> None:
        """Refuse a code that may not be used now (inactive, outside its window, used up)."""
        if self.status is not VoucherStatus.ACTIVE:
            raise VoucherInactive("This code is no longer valid.", voucher=self.code)
        if now < self.valid_from:
            raise VoucherNotYetValid("This code is not valid yet.", voucher=self.code)
        if now >= self.valid_until:
            raise VoucherExpired("This code has expired.", voucher=self.code)
        if self.remaining <= 0:
            raise VoucherUsedUp("This code has been used as often as it may be.", voucher=self.code)

    def check_usable(self, lines: Sequence[CartLine], now: datetime) -> None:
        """Refuse the code for this cart now, with the reason a buyer can act on."""
        self.check_claimable(now)
        if not any(self.applies_to(line) for line in lines):
            raise VoucherNotApplicable("This code is for another house's performances.", voucher=self.code)
        if sum(line.price.cents for line in lines) < self.min_cart_cents:
            raise VoucherBelowMinimum(
                f"This code needs a cart of at least {self.min_cart_cents} cents.",
                voucher=self.code,
                minimum=self.min_cart_cents,
            )

    def discount_on(self, eligible_cents: int) -> int:
        """Cents off an eligible amount: never more than it; a percentage rounded half up."""
        if self.kind is VoucherKind.AMOUNT:
            return min(self.value, eligible_cents)
        return min(eligible_cents, (eligible_cents * self.value * 2 + 100) // 200)


def apply_voucher(voucher: Voucher, lines: Sequence[CartLine]) -> tuple[CartLine, ...]:
    """The lines with the discount spread over the places it applies to (largest remainder, by price)."""
    eligible = [index for index, line in enumerate(lines) if voucher.applies_to(line)]
    off = voucher.discount_on(sum(lines[index].price.cents for index in eligible))
    parts = split_largest_remainder(off, [lines[index].price.cents for index in eligible])
    result = list(lines)
    for index, part in zip(eligible, parts):
        line = lines[index]
        result[index] = replace(
            line,
            price=line.price - type(line.price)(part, line.price.currency),
            discount_cents=line.discount_cents + part,
        )
    return tuple(result)


class DiscountedLine(Protocol):
    """What the discount totals read of a line: a cart's and an order's lines both have it."""

    @property
    def house_id(self) -> str: ...

    @property
    def discount_cents(self) -> int: ...


def discounts_by_house(lines: Sequence[DiscountedLine]) -> dict[str, int]:
    """The discount each owning house gives (cents), for the cart's and order's discount lines."""
    totals: dict[str, int] = {}
    for line in lines:
        if line.discount_cents:
            totals[line.house_id] = totals.get(line.house_id, 0) + line.discount_cents
    return totals


# A refusal by its problem code (a cart remembers why its code gives no discount as the code).
REFUSALS: dict[str, type[DomainError]] = {
    refusal.code: refusal
    for refusal in (
        VoucherUnknown,
        VoucherNotYetValid,
        VoucherExpired,
        VoucherInactive,
        VoucherUsedUp,
        VoucherBelowMinimum,
        VoucherNotApplicable,
    )
}
