"""The settlement benchmark's pure part: a period's ledger, as the checkout and refunds book it, and
every house's statement of it computed in memory (no AWS).

`synthetic_period` makes the journal entries of a period with the domain's own functions
(`shares_of`, `sale_entries`, `fee_entry`, `refund_entries`, the agreement's `payment_fee`): orders
of 1–4 tickets, some of them over two houses, some sold by another house's box office (with its
commission), some partly refunded later in the period. It also keeps what the money must come to:
collected, refunded and the provider's fees, independent of the statements.

`statements_in_memory` reads those entries per house exactly as `store.orders.house_ledger` hands
them over (every entry touching the house, stored once per house, oldest first) and builds each
house's statement with `domain.statements.build_statement`.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.agreements import Agreement
from chalicelib.domain.ledger import (
    JournalEntry,
    SoldTicket,
    account_house,
    fee_entry,
    refund_entries,
    sale_entries,
    shares_of,
)
from chalicelib.domain.money import Money
from chalicelib.domain.statements import build_statement

PERFORMANCES_PER_HOUSE = 10
FULL_PRICES = (1800, 2400, 3200)  # cents; the reduced tariff is 70 % of it


@dataclass
class SyntheticPeriod:
    """A period's journal entries, as (booked_at, entries) batches in booking order, and its money."""

    batches: list[tuple[datetime, list[JournalEntry]]] = field(default_factory=list)
    orders: int = 0
    tickets: int = 0
    cross_house_orders: int = 0  # sold by another house's box office: the seller earns commission
    multi_house_orders: int = 0
    refunds: int = 0
    tickets_refunded: int = 0
    collected: int = 0  # cents the buyers paid
    refunded: int = 0  # cents paid back
    fees: int = 0  # the payment provider's fees (not returned on refunds)
    commission: int = 0

    @property
    def entries(self) -> int:
        return sum(len(entries) for _, entries in self.batches)


def house_ids(houses: int) -> list[str]:
    return [f"bench-h{number:02d}" for number in range(houses)]


def _ticket(rng: random.Random, order_id: str, number: int, house_id: str) -> SoldTicket:
    performance = rng.randrange(PERFORMANCES_PER_HOUSE)
    full = FULL_PRICES[performance % len(FULL_PRICES)]
    tariff = "reduced" if rng.random() < 0.3 else "full"
    price = full * 7 // 10 if tariff == "reduced" else full
    return SoldTicket(f"{order_id}-t{number}", house_id, f"{house_id}-p{performance}", tariff, Money(price))


def synthetic_period(
    tickets: int,
    houses: Sequence[str],
    starts_at: datetime,
    ends_at: datetime,
    agreement: Agreement,
    seed: int = 1,
    cross_house_share: float = 0.1,
    multi_house_share: float = 0.2,
    refund_share: float = 0.05,
) -> SyntheticPeriod:
    """`tickets` tickets' sale, fee and refund entries, booked between `starts_at` and `ends_at`."""
    rng = random.Random(seed)
    period = SyntheticPeriod()
    span = (ends_at - starts_at) * 0.999
    refunds: list[tuple[datetime, list[JournalEntry]]] = []
    while period.tickets < tickets:
        order_id = f"o_bench{period.orders:06d}"
        count = min(rng.randint(1, 4), tickets - period.tickets)
        owner = rng.choice(houses)
        other = (
            rng.choice([h for h in houses if h != owner])
            if len(houses) > 1 and rng.random() < multi_house_share
            else owner
        )
        sold = [_ticket(rng, order_id, n, owner if n == 0 or rng.random() < 0.5 else other) for n in range(count)]
        seller = None
        if len(houses) > 1 and rng.random() < cross_house_share:
            seller = rng.choice([h for h in houses if h != owner])
            period.cross_house_orders += 1
        period.multi_house_orders += len({t.house_id for t in sold}) > 1
        shares = shares_of(sold, seller, agreement)
        total = sum(t.price.cents for t in sold)
        fee = agreement.payment_fee(Money(total))
        booked_at = starts_at + span * rng.random()
        entries = sale_entries(order_id, shares, seller)
        entry = fee_entry(order_id, sold, seller, fee, agreement)
        if entry:
            entries.append(entry)
        period.batches.append((booked_at, entries))
        period.orders += 1
        period.tickets += count
        period.collected += total
        period.fees += fee.cents
        period.commission += sum(item.commission for item in shares)
        if rng.random() < refund_share:
            back = rng.sample(shares, rng.randint(1, count))
            refund_at = booked_at + (starts_at + span - booked_at) * rng.random()
            refunds.append((refund_at, refund_entries(order_id, "r1", back, seller)))
            period.refunds += 1
            period.tickets_refunded += len(back)
            period.refunded += sum(item.ticket.price.cents for item in back)
    period.batches.extend(refunds)
    period.batches.sort(key=lambda batch: batch[0])
    return period


def houses_of(entry: JournalEntry) -> list[str]:
    """The houses under which `store.orders.put_ledger_entries` stores the entry."""
    return sorted({account_house(p.account) for p in entry.postings} - {None}) or [entry.house_id]


def ledgers_by_house(period: SyntheticPeriod) -> dict[str, list[tuple[datetime, JournalEntry]]]:
    """Each house's ledger as `house_ledger` returns it: every entry touching it, oldest first."""
    ledgers: dict[str, list[tuple[datetime, JournalEntry]]] = defaultdict(list)
    for booked_at, entries in period.batches:
        for entry in entries:
            for house_id in houses_of(entry):
                ledgers[house_id].append((booked_at, entry))
    return ledgers


def statements_in_memory(
    period: SyntheticPeriod, houses: Sequence[str], period_id: str, starts_at: datetime, ends_at: datetime
) -> list[dict]:
    """Every house's statement of the period, built from the entries in memory."""
    ledgers = ledgers_by_house(period)
    return [build_statement(house_id, period_id, starts_at, ends_at, ledgers.get(house_id, [])) for house_id in houses]


def stored_ledgers(period: SyntheticPeriod) -> dict[str, list[tuple[datetime, str]]]:
    """Each house's ledger as its items hold it: the entry as JSON text (the items' `entry` attribute)."""
    return {
        house_id: [(at, json.dumps(entry.to_dict())) for at, entry in dated]
        for house_id, dated in ledgers_by_house(period).items()
    }


def statements_from_stored(
    stored: dict[str, list[tuple[datetime, str]]],
    houses: Sequence[str],
    period_id: str,
    starts_at: datetime,
    ends_at: datetime,
) -> list[dict]:
    """What the gather does after each house's read, in memory: decode the entries, build the statement."""
    statements = []
    for house_id in houses:
        dated = [(at, JournalEntry.from_dict(json.loads(text))) for at, text in stored.get(house_id, [])]
        statements.append(build_statement(house_id, period_id, starts_at, ends_at, dated))
    return statements


def money_check(collected: int, refunded: int, fees: int, transferred: int, carried_forward: int = 0) -> dict:
    """Transfers plus fees must be what was collected less what was refunded, to the cent.

    `carried_forward`: what houses whose refunds and fees exceed their sales owe (a negative closing
    balance is not transferred but carried into the next period).
    """
    difference = collected - refunded - fees - transferred + carried_forward
    return {
        "collected": collected,
        "refunded": refunded,
        "fees": fees,
        "transferred": transferred,
        "carried_forward": carried_forward,
        "difference": difference,
        "balanced": difference == 0,
    }


def carried_forward(statements: Sequence[dict]) -> int:
    return -sum(min(0, statement["closing_balance"]) for statement in statements)
