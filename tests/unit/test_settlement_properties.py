"""Settlement over random histories: every cent the buyers paid ends up with a house, a fee or a refund, once.

A history is a timeline of paid orders (tickets of 1-4 owner houses at random tariffs and prices in
cents, zero included, sold by one of the houses or by the cluster's own shop), bundles (one price
split over the bundle's performances), refunds of random subsets of still-valid tickets, and changes
of the cluster agreement (commission, pair overrides, who bears the payment fee, the fee, VAT per
tariff) in between. The timeline is cut into successive periods; each is settled as the settlement
service does it: every house's statement, then the transfer of what it is owed, booked inside the
period. What every house should have earned is worked out here, apart from the code under test.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.agreements import (
    BUNDLE_SPLITS,
    FEE_BEARERS,
    Agreement,
    CommissionRule,
    split_bundle,
    validate_agreement,
)
from chalicelib.domain.donations import Donation, donation_entries
from chalicelib.domain.ledger import (
    CLEARING_ACCOUNT,
    JournalEntry,
    SoldTicket,
    TicketShare,
    account_house,
    fee_entry,
    house_account,
    house_balance,
    refund_entries,
    sale_entries,
    shares_of,
    transfer_entry,
)
from chalicelib.domain.money import Money
from chalicelib.domain.periods import custom_period
from chalicelib.domain.statements import build_statement

HOUSES = ("munt", "bozar", "kvs", "ab", "flagey")
PERFORMANCES = {house: (f"{house}-1", f"{house}-2") for house in HOUSES}
TARIFF_CODES = ("full", "reduced", "u26", "bundle")
T0 = datetime(2026, 11, 2, tzinfo=UTC)

# A history takes a few hundred draws: 100 of them keep this file well under 15 s.
HISTORIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPLITS = settings(max_examples=300, deadline=None)

cents = st.one_of(st.just(0), st.integers(0, 20_000), st.integers(0, 200_000))
commission_rules = st.one_of(
    st.builds(CommissionRule, st.just("percent"), st.integers(0, 10_000)),
    st.builds(CommissionRule, st.just("fixed"), st.integers(0, 5_000)),
)
vat_rates = st.one_of(st.sampled_from([0, 600, 2100]), st.integers(0, 5_000))
house_pairs = st.tuples(st.sampled_from(HOUSES), st.sampled_from(HOUSES)).filter(lambda pair: pair[0] != pair[1])
agreements = st.builds(
    Agreement,
    version=st.integers(0, 99),
    commission=commission_rules,
    pair_commissions=st.dictionaries(house_pairs.map(">".join), commission_rules, max_size=4),
    fee_bearer=st.sampled_from(FEE_BEARERS),
    fee_percent_bp=st.one_of(st.sampled_from([0, 150, 290]), st.integers(0, 5_000)),
    fee_fixed_cents=st.integers(0, 1_000),
    vat_rate_bp=vat_rates,
    tariff_vat_bp=st.dictionaries(st.sampled_from(TARIFF_CODES), vat_rates, max_size=3),
    bundle_split=st.sampled_from(BUNDLE_SPLITS),
).map(validate_agreement)
sellers = st.one_of(st.none(), st.sampled_from(HOUSES))
owner_sets = st.lists(st.sampled_from(HOUSES), min_size=1, max_size=4, unique=True)
ticket_counts = st.integers(1, 6)
performance_picks = st.integers(0, 1)
tariffs = st.sampled_from(TARIFF_CODES)
components = st.lists(
    st.tuples(st.sampled_from([p for ps in PERFORMANCES.values() for p in ps]), cents, cents), min_size=1, max_size=4
)
kinds = st.sampled_from(["order"] * 5 + ["bundle"] * 2 + ["refund"] * 3 + ["agreement"])
gaps = st.integers(2, 3 * 86_400)  # seconds between two events
cuts = st.sampled_from([None, None, None, 0, 1])  # a new period starts at the event (0) or just before it (1)
history_lengths = st.integers(1, 24)


# -- the expected figures, worked out here ----------------------------------------------------------------------------
def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def expected_vat(price: int, rate: int) -> int:
    """The VAT included in a price at `rate` basis points, rounded half up."""
    return half_up(Fraction(price * rate, 10_000 + rate))


def expected_commission(agreement: Agreement, seller: str | None, owner: str, price: int, vat: int) -> int:
    if seller is None or seller == owner:
        return 0
    rule = agreement.pair_commissions.get(f"{seller}>{owner}", agreement.commission)
    raw = half_up(Fraction(price * rule.value, 10_000)) if rule.kind == "percent" else rule.value
    return min(raw, price - vat)


def expected_fee(agreement: Agreement, total: int) -> int:
    if total <= 0:
        return 0
    return min(total, half_up(Fraction(total * agreement.fee_percent_bp, 10_000)) + agreement.fee_fixed_cents)


def reference_split(total: int, weights: list[int]) -> list[int]:
    """Largest remainder, written out with fractions: floors, then a cent each to the largest remainders."""
    if sum(weights) == 0:
        weights = [1] * len(weights)
    exact = [Fraction(total * weight, sum(weights)) for weight in weights]
    parts = [math.floor(value) for value in exact]
    for index in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[: total - sum(parts)]:
        parts[index] += 1
    return parts


@dataclass(frozen=True)
class Move:
    """One ticket sold (+1) or refunded (-1), as this test expects it to be booked."""

    at: datetime
    group: str  # the ledger entry it should be in (order or refund), with its owner
    sign: int
    ticket: SoldTicket
    vat: int
    commission: int
    seller: str | None


@dataclass
class Order:
    order_id: str
    seller: str | None
    shares: list[TicketShare]
    valid: set[int]  # indices of the tickets not refunded yet


@dataclass
class History:
    dated: list[tuple[datetime, JournalEntry]] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    fees: list[tuple[datetime, str, int]] = field(default_factory=list)  # (when, bearer, cents)
    boundaries: list[datetime] = field(default_factory=list)
    collected: int = 0
    refunded: int = 0

    def book(self, at: datetime, entries: list[JournalEntry]) -> None:
        for entry in entries:
            assert sum(posting.amount.cents for posting in entry.postings) == 0
            assert {posting.amount.currency for posting in entry.postings} == {"EUR"}
            self.dated.append((at, entry))


def sell(
    history: History, at: datetime, order_id: str, tickets: list[SoldTicket], seller: str | None, agreement: Agreement
) -> Order:
    shares = shares_of(tickets, seller, agreement)
    for item in shares:  # the shares booked, checked against the ones worked out here
        vat = expected_vat(
            item.ticket.price.cents, agreement.tariff_vat_bp.get(item.ticket.tariff_code, agreement.vat_rate_bp)
        )
        assert (item.vat, item.commission) == (
            vat,
            expected_commission(agreement, seller, item.ticket.house_id, item.ticket.price.cents, vat),
        )
        history.moves.append(
            Move(at, f"{order_id}:{item.ticket.house_id}", 1, item.ticket, item.vat, item.commission, seller)
        )
    total = sum(ticket.price.cents for ticket in tickets)
    fee = agreement.payment_fee(Money(total))
    assert fee.cents == expected_fee(agreement, total)
    entries = sale_entries(order_id, shares, seller)
    entry = fee_entry(order_id, tickets, seller, fee, agreement)
    assert (entry is None) == (fee.cents == 0)
    if entry:
        entries.append(entry)
        if agreement.fee_bearer == "seller" and seller:
            history.fees.append((at, seller, fee.cents))
        else:
            gross: Counter[str] = Counter()
            for ticket in tickets:
                gross[ticket.house_id] += ticket.price.cents
            owners = sorted(gross)
            history.fees += [
                (at, house, part)
                for house, part in zip(owners, reference_split(fee.cents, [gross[house] for house in owners]))
            ]
    history.book(at, entries)
    history.collected += total
    return Order(order_id, seller, shares, set(range(len(tickets))))


def refund(history: History, at: datetime, order: Order, refund_id: str, indices: list[int]) -> None:
    """Refund some still-valid tickets with the shares their sale booked, whatever the agreement is now."""
    shares = [order.shares[index] for index in indices]
    entries = refund_entries(order.order_id, refund_id, shares, order.seller)
    assert [sorted((p.account, -p.amount.cents) for p in entry.postings) for entry in entries] == [
        sorted((p.account, p.amount.cents) for p in entry.postings)
        for entry in sale_entries(order.order_id, shares, order.seller)
    ]
    for item in shares:
        history.moves.append(
            Move(
                at,
                f"{order.order_id}:{refund_id}:{item.ticket.house_id}",
                -1,
                item.ticket,
                item.vat,
                item.commission,
                order.seller,
            )
        )
    history.book(at, entries)
    history.refunded += sum(item.ticket.price.cents for item in shares)
    order.valid -= set(indices)


@st.composite
def histories(draw) -> History:
    history = History(boundaries=[T0])
    agreement = draw(agreements)
    orders: list[Order] = []
    at = T0
    for number in range(draw(history_lengths)):
        at += timedelta(seconds=draw(gaps))
        cut = draw(cuts)
        if cut is not None:
            history.boundaries.append(at - timedelta(seconds=cut))
        kind = draw(kinds)
        refundable = [order for order in orders if order.valid]
        if kind == "refund" and refundable:
            order = draw(st.sampled_from(refundable))
            indices = draw(st.lists(st.sampled_from(sorted(order.valid)), min_size=1, unique=True))
            refund(history, at, order, f"r{number}", indices)
        elif kind == "agreement":
            agreement = draw(agreements)
        elif kind == "bundle":
            parts = draw(components)
            price = draw(cents)
            rule = draw(st.sampled_from(BUNDLE_SPLITS))
            split = split_bundle(Money(price), [(list_price, fixed) for _, list_price, fixed in parts], rule)
            weights = [list_price if rule == "list_price" else fixed for _, list_price, fixed in parts]
            assert [money.cents for money in split] == reference_split(price, weights)
            if sum(weights) == price:  # amounts that add up are kept as they are
                assert [money.cents for money in split] == weights
            tickets = [
                SoldTicket(f"o{number}-t{index}", performance.rsplit("-", 1)[0], performance, "bundle", money)
                for index, ((performance, _, _), money) in enumerate(zip(parts, split))
            ]
            orders.append(sell(history, at, f"o{number}", tickets, draw(sellers), agreement))
        else:
            owners = draw(owner_sets)
            tickets = []
            for index in range(draw(ticket_counts)):
                house = owners[index % len(owners)] if index < len(owners) else draw(st.sampled_from(owners))
                tickets.append(
                    SoldTicket(
                        f"o{number}-t{index}",
                        house,
                        PERFORMANCES[house][draw(performance_picks)],
                        draw(tariffs),
                        Money(draw(cents)),
                    )
                )
            orders.append(sell(history, at, f"o{number}", tickets, draw(sellers), agreement))
    history.boundaries.append(at + timedelta(seconds=1))
    if draw(st.booleans()):  # a period with nothing in it: what was carried stays carried
        history.boundaries.append(at + timedelta(days=7))
    return history


def expected_balance(history: History, house: str, start: datetime | None = None, end: datetime | None = None) -> int:
    """What the house earned in [start, end): revenue and VAT of its tickets, commission on others' it sold,
    minus the payment fees it bears."""

    def inside(at: datetime) -> bool:
        return (start is None or start <= at) and (end is None or at < end)

    earned = 0
    for move in history.moves:
        if not inside(move.at):
            continue
        if move.ticket.house_id == house:
            earned += move.sign * (move.ticket.price.cents - move.commission)
        if move.seller == house and move.ticket.house_id != house:
            earned += move.sign * move.commission
    return earned - sum(cents for at, bearer, cents in history.fees if bearer == house and inside(at))


def expected_lines(history: History, house: str, start: datetime, end: datetime) -> list[dict]:
    """The statement's lines: the house's tickets per performance and tariff (a sale or refund of nothing but
    free tickets of the house books no entry, so it has no line either)."""
    groups: dict[str, list[Move]] = defaultdict(list)
    for move in history.moves:
        if move.ticket.house_id == house and start <= move.at < end:
            groups[move.group].append(move)
    lines: dict[tuple[str, str], Counter] = {}
    for moves in groups.values():
        if not sum(move.ticket.price.cents for move in moves):
            continue
        for move in moves:
            line = lines.setdefault((move.ticket.performance_id, move.ticket.tariff_code), Counter())
            line["tickets_sold" if move.sign > 0 else "tickets_refunded"] += 1
            line["gross" if move.sign > 0 else "refunds"] += move.ticket.price.cents
            line["vat"] += move.sign * move.vat
            line["commission"] += move.sign * move.commission
    return [
        {
            "performance_id": performance,
            "tariff_code": tariff,
            **{
                name: line[name]
                for name in ("tickets_sold", "tickets_refunded", "gross", "refunds", "vat", "commission")
            },
            "revenue": line["gross"] - line["refunds"] - line["vat"] - line["commission"],
        }
        for (performance, tariff), line in sorted(lines.items())
    ]


# -- the ledger: every cent accounted for -------------------------------------------------------------------------
@HISTORIES
@given(histories())
def test_every_cent_collected_is_with_a_house_a_fee_or_given_back(history):
    entries = [entry for _, entry in history.dated]
    fees = sum(cents for _, _, cents in history.fees)

    assert len({entry.entry_id for entry in entries}) == len(entries)  # the store keeps one entry per id
    assert all(sum(p.amount.cents for p in entry.postings) == 0 for entry in entries)
    assert sum(p.amount.cents for entry in entries for p in entry.postings if p.account == CLEARING_ACCOUNT) == (
        history.collected - history.refunded - fees
    )
    assert sum(house_balance(entries, house) for house in HOUSES) + fees == history.collected - history.refunded
    assert (
        sum(p.amount.cents for entry in entries for p in entry.postings if p.account.endswith(":fees")) == fees
    )  # the fee entries book exactly the provider's fees
    assert {account_house(p.account) for entry in entries for p in entry.postings} <= {None, *HOUSES}

    def account(house: str, kind: str) -> int:
        return -sum(
            p.amount.cents for entry in entries for p in entry.postings if p.account == house_account(house, kind)
        )

    for house in HOUSES:
        fees_borne = -account(house, "fees")  # a debit
        assert house_balance(entries, house) == expected_balance(history, house)
        assert house_balance(entries, house) == (
            account(house, "revenue") + account(house, "vat") + account(house, "commission") - fees_borne
        )
        assert account(house, "vat") == sum(
            move.sign * move.vat for move in history.moves if move.ticket.house_id == house
        )
        assert account(house, "revenue") == sum(
            move.sign * (move.ticket.price.cents - move.vat - move.commission)
            for move in history.moves
            if move.ticket.house_id == house
        )
        assert account(house, "commission") == sum(
            move.sign * move.commission
            for move in history.moves
            if move.seller == house and move.ticket.house_id != house
        )
        assert fees_borne == sum(cents for _, bearer, cents in history.fees if bearer == house)
        assert account(house, "transfers") == 0


# -- settlement: statements and transfers, period after period ------------------------------------------------------
@HISTORIES
@given(histories(), st.data())
def test_settling_period_after_period_pays_each_house_what_it_is_owed_once(history, data):
    dated = list(history.dated)
    before_any_transfer = [entry for _, entry in dated]
    transferred: Counter[str] = Counter()
    carried = {house: 0 for house in HOUSES}  # what the next period opens with
    peak_owed = {house: 0 for house in HOUSES}
    for start, end in zip(history.boundaries, history.boundaries[1:]):
        period_id = custom_period(start, end)
        to_book = []
        for house in HOUSES:
            statement = build_statement(house, period_id, start, end, dated)
            totals = statement["totals"]

            assert (statement["house_id"], statement["period_id"]) == (house, period_id)
            assert statement["opening_balance"] == carried[house]
            assert statement["closing_balance"] == statement["opening_balance"] + statement["activity"]
            assert statement["activity"] == expected_balance(history, house, start, end)
            assert statement["activity"] == (
                totals["revenue"] + totals["vat"] + totals["commission_earned"] - totals["fees"]
            )
            assert statement["lines"] == expected_lines(history, house, start, end)
            for name in ("gross", "refunds", "vat", "revenue"):
                assert totals[name] == sum(line[name] for line in statement["lines"]), name
            assert totals["commission_paid"] == sum(line["commission"] for line in statement["lines"])
            assert totals["revenue"] == totals["gross"] - totals["refunds"] - totals["vat"] - totals["commission_paid"]
            assert totals["fees"] == sum(
                cents for at, bearer, cents in history.fees if bearer == house and start <= at < end
            )
            assert statement["to_transfer"] == max(0, statement["closing_balance"])
            # what the house was owed over all earlier periods, before any transfer
            peak_owed[house] = max(peak_owed[house], expected_balance(history, house, end=end))

            if statement["to_transfer"]:
                millis = int((end - start) / timedelta(milliseconds=1))
                booked_at = start + timedelta(milliseconds=data.draw(st.integers(0, millis - 1)))
                entry = transfer_entry(period_id, house, Money(statement["to_transfer"]), f"tr_{house}")
                assert entry.entry_id == transfer_entry(period_id, house, Money(1), "again").entry_id  # stable id
                to_book.append((booked_at, entry, statement))
            transferred[house] += statement["to_transfer"]
            carried[house] = statement["closing_balance"] - statement["to_transfer"]
        for booked_at, entry, statement in to_book:
            dated.append((booked_at, entry))
            # the period's own transfer is not part of its activity: asking again gives the same statement
            assert build_statement(entry.house_id, period_id, start, end, dated) == statement

    entries = [entry for _, entry in dated]
    for house in HOUSES:
        owed = house_balance(before_any_transfer, house)
        assert house_balance(entries, house) == carried[house] <= 0  # nothing left owed after the last period
        assert transferred[house] + carried[house] == owed
        # never paid twice: the transfers add up to the most the house was ever owed, not to every statement's sum
        assert transferred[house] == peak_owed[house]
        assert (
            sum(
                p.amount.cents
                for entry in entries
                if entry.kind == "transfer"
                for p in entry.postings
                if p.account == house_account(house, "transfers")
            )
            == transferred[house]
        )
    assert sum(transferred.values()) + sum(carried.values()) == sum(
        house_balance(before_any_transfer, house) for house in HOUSES
    )
    assert len({entry.entry_id for entry in entries}) == len(entries)


# -- bundles ------------------------------------------------------------------------------------------------------
@SPLITS
@given(cents, components, st.sampled_from(BUNDLE_SPLITS))
def test_a_bundle_price_is_split_over_its_performances_exactly_and_in_proportion(price, parts, rule):
    split = split_bundle(Money(price), [(list_price, fixed) for _, list_price, fixed in parts], rule)
    weights = [list_price if rule == "list_price" else fixed for _, list_price, fixed in parts]

    assert len(split) == len(parts)
    assert all(money.currency == "EUR" and money.cents >= 0 for money in split)
    assert sum(money.cents for money in split) == price
    if sum(weights):
        assert all(
            abs(money.cents - Fraction(price * weight, sum(weights))) < 1 for money, weight in zip(split, weights)
        )
        assert all(money.cents == 0 for money, weight in zip(split, weights) if weight == 0)
    else:  # nothing to go by: shared equally, to a cent
        assert max(split).cents - min(split).cents <= 1
    if sum(weights) == price:
        assert [money.cents for money in split] == weights


# -- donations: the receiving house's, passed through to its statement ---------------------------------------------
donation_histories = st.lists(
    st.tuples(st.sampled_from(HOUSES), st.integers(100, 100_000), st.integers(0, 30 * 86_400), st.booleans()),
    max_size=12,
)


@SPLITS
@given(donation_histories, st.lists(st.integers(1, 30 * 86_400), max_size=3, unique=True))
def test_donations_reach_each_receiving_house_s_statements_to_the_cent_period_after_period(donations, cuts):
    dated = []
    for number, (house, cents, second, refunded) in enumerate(donations):
        given_ = donation_entries(f"o{number}", "donation", [Donation(house, Money(cents))], None)
        dated += [(T0 + timedelta(seconds=second), entry) for entry in given_]
        if refunded:  # the order refunded whole a second later: its donation goes back
            dated += [
                (T0 + timedelta(seconds=second + 1), entry)
                for entry in donation_entries(
                    f"o{number}", "refund:donations", [Donation(house, Money(cents))], None, -1
                )
            ]
    bounds = [T0, *sorted(T0 + timedelta(seconds=cut) for cut in cuts), T0 + timedelta(days=31)]
    for house in HOUSES:
        kept = sum(cents for h, cents, _, refunded in donations if h == house and not refunded)
        mine = [(at, entry) for at, entry in dated if any(account_house(p.account) == house for p in entry.postings)]
        statements = [
            build_statement(house, f"p{index}", start, end, mine)
            for index, (start, end) in enumerate(zip(bounds, bounds[1:]))
        ]
        assert sum(statement["totals"]["donations"] for statement in statements) == kept
        assert statements[-1]["closing_balance"] == kept  # no VAT, no commission: all of it the house's
        for earlier, later in zip(statements, statements[1:]):
            assert later["opening_balance"] == earlier["closing_balance"]
        assert all(statement["lines"] == [] for statement in statements)  # donations are no ticket lines
