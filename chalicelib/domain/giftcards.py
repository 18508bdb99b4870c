"""Gift cards: a house sells an amount that a buyer later pays orders with, at any house of the cluster.

A card is a payment, not a discount: the order's places keep their prices (each owning house is
credited in full) and the card pays part of the total. In the ledger:

- selling the card at the desk: the desk's house holds the money (`collected`) and owes it as a
  card still to be spent (`house:{issuer}:gift_cards`, a liability);
- paying with it: the sale entries debit the clearing account with the whole price, and the
  redemption entry moves the card's part from the issuer's liability to the clearing account, so
  clearing holds what the provider holds and the issuer owes the cluster what it collected for the
  card. Redeemed at another house, that is how the money moves between houses at settlement;
- a refund that goes back on the card reverses that part of the redemption.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from .errors import DomainError
from .ledger import CLEARING_ACCOUNT, JournalEntry, Posting, house_account
from .money import Money

GIFT_CARD_ACCOUNT_KIND = "gift_cards"
MIN_GIFT_CARD_CENTS = 500
MAX_GIFT_CARD_CENTS = 50_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_GROUPS = 4  # 16 characters of 32 symbols: 80 random bits, never guessed


class GiftCardUnknown(DomainError):
    code = "gift_card_unknown"


class GiftCardEmpty(DomainError):
    code = "gift_card_empty"


def new_code() -> str:
    """A fresh, unguessable card code like `GC-7KQ2-…`."""
    return "GC-" + "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS))


def normalize_card_code(raw: str) -> str:
    return raw.strip().upper()


@dataclass(frozen=True)
class GiftCard:
    code: str
    house_id: str  # the issuing house: it holds the money until the card is spent
    amount: Money
    balance: Money
    issued_at: datetime
    issued_by: str = ""


class PaidByGiftCard:
    """What a cart or an order with `total` and `gift_card` (code, issuer, cents claimed) leaves to pay."""

    gift_card: tuple[str, str, int] | None

    @property
    def total(self) -> Money:
        """Everything the buyer pays for (places and donations); the cart and the order compute it."""
        raise NotImplementedError

    @property
    def gift_card_paid(self) -> int:
        """The cents the card pays: what it was claimed for, never more than the total."""
        return min(self.gift_card[2], self.total.cents) if self.gift_card else 0

    @property
    def amount_due(self) -> Money:
        """What the payment provider collects: the total less the card's part."""
        return self.total - Money(self.gift_card_paid, self.total.currency)


def card_payment(balance_cents: int, due_cents: int) -> int:
    """What a card pays of an order: all it has, never more than is due."""
    return max(0, min(balance_cents, due_cents))


def sale_entry(card: GiftCard) -> JournalEntry:
    """The desk sold the card: it holds the money and owes it as an unspent card."""
    return JournalEntry(
        f"giftcard:{card.code}:sale",
        "gift_card_sale",
        f"giftcard:{card.code}",
        card.house_id,
        None,
        (
            Posting(house_account(card.house_id, "collected"), card.amount),
            Posting(
                house_account(card.house_id, GIFT_CARD_ACCOUNT_KIND), Money(-card.amount.cents, card.amount.currency)
            ),
        ),
        ({"gift_card": card.code, "amount": card.amount.cents},),
    )


def redemption_entry(
    order_id: str, issuer: str, amount: Money, seller_house_id: str | None, refund_id: str | None = None
) -> JournalEntry:
    """The card paid `amount` of the order (or, with `refund_id`, that much went back on the card)."""
    sign = -1 if refund_id else 1
    entry_id = f"{order_id}:giftcard:restore:{refund_id}" if refund_id else f"{order_id}:giftcard"
    return JournalEntry(
        entry_id,
        "gift_card_restore" if refund_id else "gift_card_redemption",
        order_id,
        issuer,
        seller_house_id,
        (
            Posting(house_account(issuer, GIFT_CARD_ACCOUNT_KIND), Money(sign * amount.cents, amount.currency)),
            Posting(CLEARING_ACCOUNT, Money(-sign * amount.cents, amount.currency)),
        ),
        ({"house_id": issuer, "gift_card": sign * amount.cents},),
    )
