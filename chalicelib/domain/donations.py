"""Donations: a buyer gives an amount to a house of the cluster with the order.

A donation is no ticket: it has no place, no VAT (0 %) and no commission for the selling house.
The whole amount is the receiving house's donation income (`house:{h}:donations`), so it reaches
the house through the settlement like its revenue, and a full refund of the order takes it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FieldError, ValidationFailed
from .ledger import CLEARING_ACCOUNT, JournalEntry, Posting, house_account
from .money import Money

MIN_DONATION_CENTS = 100
MAX_DONATION_CENTS = 100_000  # € 1,000: above that a house wants to know its donor
MAX_DONATIONS_PER_CART = 5
DONATION_ACCOUNT_KIND = "donations"


@dataclass(frozen=True)
class Donation:
    house_id: str
    amount: Money

    def to_dict(self) -> dict[str, Any]:
        return {"house_id": self.house_id, "amount": self.amount.cents, "currency": self.amount.currency}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Donation:
        return cls(data["house_id"], Money(int(data["amount"]), data.get("currency", "EUR")))


def set_donation(donations: Sequence[Donation], house_id: str, cents: int) -> tuple[Donation, ...]:
    """The cart's donations with `house_id`'s set to `cents` (0 takes it out), within the bounds."""
    if cents and not MIN_DONATION_CENTS <= cents <= MAX_DONATION_CENTS:
        raise ValidationFailed(
            "A donation is between € 1 and € 1,000.",
            [FieldError("amount", "out_of_range", f"Between {MIN_DONATION_CENTS} and {MAX_DONATION_CENTS} cents.")],
        )
    others = tuple(donation for donation in donations if donation.house_id != house_id)
    if not cents:
        return others
    if len(others) >= MAX_DONATIONS_PER_CART:
        raise ValidationFailed(
            "Too many donations in one cart.",
            [FieldError("house_id", "out_of_range", f"At most {MAX_DONATIONS_PER_CART} houses.")],
        )
    return others + (Donation(house_id, Money(cents)),)


def donation_entries(
    order_id: str,
    prefix: str,
    donations: Sequence[Donation],
    seller_house_id: str | None,
    sign: int = 1,
    collected_by: str | None = None,
) -> list[JournalEntry]:
    """One entry per receiving house: the money (clearing, or the desk that took it) against its donation income.

    `sign` -1 is the reversal (a refund of the whole order)."""
    money_account = house_account(collected_by, "collected") if collected_by else CLEARING_ACCOUNT
    entries = []
    for donation in sorted(donations, key=lambda donation: donation.house_id):
        cents, currency = sign * donation.amount.cents, donation.amount.currency
        entries.append(
            JournalEntry(
                f"{order_id}:{prefix}:{donation.house_id}",
                "donation" if sign > 0 else "donation_refund",
                order_id,
                donation.house_id,
                seller_house_id,
                (
                    Posting(money_account, Money(cents, currency)),
                    Posting(house_account(donation.house_id, DONATION_ACCOUNT_KIND), Money(-cents, currency)),
                ),
                ({"house_id": donation.house_id, "donation": cents, "vat": 0},),
            )
        )
    return entries
