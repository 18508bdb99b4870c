"""Double-entry ledger: every order, refund, fee and transfer becomes balanced entries, never edited.

A posting is positive for a debit and negative for a credit; each entry sums to zero in one
currency. Accounts:

- `payments:clearing`: the cluster's money at the payment provider (buyers pay in, refunds, the
  provider's fees and the transfers to houses go out);
- `house:{h}:revenue`: what house h earned from its tickets, without VAT and commission;
- `house:{h}:vat`: the VAT in its ticket prices (the house declares and pays it);
- `house:{h}:commission`: what house h earned selling other houses' tickets;
- `house:{h}:fees`: payment fees house h bears (a debit);
- `house:{h}:transfers`: what was paid out to house h (a debit);
- `house:{h}:collected`: what house h's box office took in itself (cash, card terminal, invoice): a
  debit, because the house already holds that money;
- `house:{h}:donations`: donations buyers gave house h with their orders (no VAT, no commission);
- `house:{h}:gift_cards`: gift cards house h sold and that are not spent yet (a liability: a credit).

A house's balance (what the cluster owes it) is minus the sum of its accounts. A sale is one
entry per owning house with per-ticket VAT and commission (so a refund of some tickets reverses
exactly what they were credited), plus one fee entry per paid order. Corrections are new entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .agreements import BASIS_POINTS, Agreement, split_largest_remainder
from .money import Money

CLEARING_ACCOUNT = "payments:clearing"
HOUSE_ACCOUNT_KINDS = ("revenue", "vat", "commission", "fees", "transfers", "collected", "donations", "gift_cards")


def house_account(house_id: str, kind: str) -> str:
    return f"house:{house_id}:{kind}"


def account_house(account: str) -> str | None:
    """The house an account belongs to, or None for the cluster's own accounts."""
    parts = account.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "house" else None


class UnbalancedEntry(ValueError):
    """A journal entry whose postings do not sum to zero: a bug, never stored."""


@dataclass(frozen=True)
class Posting:
    account: str
    amount: Money  # debit > 0, credit < 0


@dataclass(frozen=True)
class SoldTicket:
    """What the ledger needs of a ticket: whose it is, what it is and what it cost."""

    ticket_id: str
    house_id: str  # the owning house
    performance_id: str
    tariff_code: str
    price: Money


@dataclass(frozen=True)
class TicketShare:
    """How one ticket's price is shared: VAT, the selling house's commission, the owner's revenue."""

    ticket: SoldTicket
    vat: int
    commission: int

    @property
    def revenue(self) -> int:
        return self.ticket.price.cents - self.vat - self.commission


@dataclass(frozen=True)
class JournalEntry:
    """One balanced entry; `details` carry statement lines (performance, tariff, counts, amounts)."""

    entry_id: str
    kind: str  # sale | refund | fee | transfer
    order_id: str
    house_id: str  # the house the entry is about (owner for sale/refund, bearer for fee, payee for transfer)
    seller_house_id: str | None
    postings: tuple[Posting, ...]
    details: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        currencies = {posting.amount.currency for posting in self.postings}
        if len(currencies) != 1 or sum(posting.amount.cents for posting in self.postings) != 0:
            raise UnbalancedEntry(f"entry {self.entry_id} does not balance")

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "kind": self.kind,
            "order_id": self.order_id,
            "house_id": self.house_id,
            "seller_house_id": self.seller_house_id,
            "postings": [
                {"account": p.account, "amount": p.amount.cents, "currency": p.amount.currency} for p in self.postings
            ],
            "details": [dict(detail) for detail in self.details],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JournalEntry:
        return cls(
            data["entry_id"],
            data["kind"],
            data["order_id"],
            data["house_id"],
            data.get("seller_house_id"),
            tuple(Posting(p["account"], Money(int(p["amount"]), p["currency"])) for p in data["postings"]),
            tuple(data.get("details") or ()),
        )


def share(ticket: SoldTicket, seller_house_id: str | None, agreement: Agreement) -> TicketShare:
    """VAT (included in the price) and commission of one ticket, rounded half up to the cent."""
    rate = agreement.vat_rate(ticket.tariff_code)
    price = ticket.price.cents
    vat = (price * rate * 2 + (BASIS_POINTS + rate)) // (2 * (BASIS_POINTS + rate))
    rule = agreement.commission_rule(seller_house_id, ticket.house_id)
    return TicketShare(ticket, vat, rule.on(price, vat) if rule else 0)


def _postings(lines: Iterable[tuple[str, int]], currency: str, sign: int) -> tuple[Posting, ...]:
    totals: dict[str, int] = defaultdict(int)
    for account, cents in lines:
        totals[account] += cents
    return tuple(Posting(account, Money(sign * cents, currency)) for account, cents in totals.items() if cents)


def _details(shares: Sequence[TicketShare], sign: int) -> tuple[dict[str, Any], ...]:
    grouped: dict[tuple[str, str], list[int]] = {}
    for item in shares:
        key = (item.ticket.performance_id, item.ticket.tariff_code)
        counts = grouped.setdefault(key, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += item.ticket.price.cents
        counts[2] += item.vat
        counts[3] += item.commission
    return tuple(
        {
            "performance_id": performance,
            "tariff_code": tariff,
            "tickets": sign * n,
            "gross": sign * gross,
            "vat": sign * vat,
            "commission": sign * commission,
        }
        for (performance, tariff), (n, gross, vat, commission) in sorted(grouped.items())
    )


def shares_of(tickets: Sequence[SoldTicket], seller_house_id: str | None, agreement: Agreement) -> list[TicketShare]:
    return [share(ticket, seller_house_id, agreement) for ticket in tickets]


def _owner_entries(
    prefix: str,
    kind: str,
    order_id: str,
    shares_: Sequence[TicketShare],
    seller_house_id: str | None,
    sign: int,
    collected_by: str | None = None,
) -> list[JournalEntry]:
    money_account = house_account(collected_by, "collected") if collected_by else CLEARING_ACCOUNT
    by_house: dict[str, list[TicketShare]] = defaultdict(list)
    for item in shares_:
        by_house[item.ticket.house_id].append(item)
    entries = []
    for house_id, shares in sorted(by_house.items()):
        gross = sum(item.ticket.price.cents for item in shares)
        if not gross:
            continue
        currency = shares[0].ticket.price.currency
        credits = [
            (house_account(house_id, "revenue"), sum(item.revenue for item in shares)),
            (house_account(house_id, "vat"), sum(item.vat for item in shares)),
        ]
        if seller_house_id:
            credits.append((house_account(seller_house_id, "commission"), sum(item.commission for item in shares)))
        postings = (Posting(money_account, Money(sign * gross, currency)),) + _postings(credits, currency, -sign)
        entries.append(
            JournalEntry(
                f"{prefix}:{house_id}", kind, order_id, house_id, seller_house_id, postings, _details(shares, sign)
            )
        )
    return entries


def sale_entries(
    order_id: str, shares_: Sequence[TicketShare], seller_house_id: str | None, collected_by: str | None = None
) -> list[JournalEntry]:
    """One entry per owning house of a paid order: the buyer's money split into revenue, VAT and commission.

    The money is in the payment provider's clearing account, or with `collected_by` (a box office).
    """
    return _owner_entries(f"{order_id}:sale", "sale", order_id, shares_, seller_house_id, 1, collected_by)


def refund_entries(
    order_id: str,
    refund_id: str,
    shares_: Sequence[TicketShare],
    seller_house_id: str | None,
    collected_by: str | None = None,
) -> list[JournalEntry]:
    """The reversal of refunded tickets: exactly the shares their sale credited (kept on the tickets), taken back."""
    return _owner_entries(
        f"{order_id}:refund:{refund_id}", "refund", order_id, shares_, seller_house_id, -1, collected_by
    )


def exchange_entries(
    order_id: str,
    change_id: str,
    leaving: Sequence[TicketShare],
    joining: Sequence[TicketShare],
    seller_house_id: str | None,
    collected_by: str | None = None,
) -> list[JournalEntry]:
    """A ticket exchanged for another at the same price (a subscription's changed choice): the old ticket's
    booked shares are reversed and the new one's booked, so the money stays and only moves between houses."""
    return _owner_entries(
        f"{order_id}:change:{change_id}:out", "refund", order_id, leaving, seller_house_id, -1, collected_by
    ) + _owner_entries(f"{order_id}:change:{change_id}:in", "sale", order_id, joining, seller_house_id, 1, collected_by)


def fee_entry(
    order_id: str, tickets: Sequence[SoldTicket], seller_house_id: str | None, fee: Money, agreement: Agreement
) -> JournalEntry | None:
    """The provider's fee for the order's payment, borne per the agreement (refunds do not return it)."""
    if fee.cents <= 0:
        return None
    if agreement.fee_bearer == "seller" and seller_house_id:
        bearers = [(seller_house_id, fee.cents)]
    else:  # the owning houses, in proportion to their part of the order
        gross: dict[str, int] = defaultdict(int)
        for ticket in tickets:
            gross[ticket.house_id] += ticket.price.cents
        houses = sorted(gross)
        bearers = list(zip(houses, split_largest_remainder(fee.cents, [gross[h] for h in houses])))
    postings = (Posting(CLEARING_ACCOUNT, Money(-fee.cents, fee.currency)),) + _postings(
        [(house_account(house, "fees"), cents) for house, cents in bearers], fee.currency, 1
    )
    return JournalEntry(
        f"{order_id}:fee",
        "fee",
        order_id,
        bearers[0][0],
        seller_house_id,
        postings,
        tuple({"house_id": house, "fee": cents} for house, cents in bearers),
    )


def transfer_entry(period_id: str, house_id: str, amount: Money, reference: str) -> JournalEntry:
    """Money paid out to a house at settlement."""
    return JournalEntry(
        f"settlement:{period_id}:{house_id}",
        "transfer",
        f"settlement:{period_id}",
        house_id,
        None,
        (
            Posting(house_account(house_id, "transfers"), amount),
            Posting(CLEARING_ACCOUNT, Money(-amount.cents, amount.currency)),
        ),
        ({"reference": reference},),
    )


def balances(entries: Iterable[JournalEntry]) -> dict[str, Money]:
    """Balance per account over the entries (debit positive)."""
    totals: dict[str, int] = defaultdict(int)
    currency = "EUR"
    for entry in entries:
        for posting in entry.postings:
            totals[posting.account] += posting.amount.cents
            currency = posting.amount.currency
    return {account: Money(cents, currency) for account, cents in totals.items()}


def house_balance(entries: Iterable[JournalEntry], house_id: str) -> int:
    """What the cluster owes the house (cents): minus the sum of its accounts."""
    return -sum(
        posting.amount.cents
        for entry in entries
        for posting in entry.postings
        if account_house(posting.account) == house_id
    )
