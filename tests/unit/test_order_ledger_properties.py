"""Orders and the ledger, for random carts: totals to the cent, balanced entries, refunds that add up;
with random discount codes, donations and gift cards too.

A random cart spans 1-4 houses, each with one or two performances (seated with price categories, or
standing), random tariffs in integer cents, random holds (some lapsed) and a random tariff per place.
The expected price of every place, and its VAT and commission under a random cluster agreement, are
worked out here, apart from the code under test.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import money as money_module
from chalicelib.domain.agreements import FEE_BEARERS, Agreement, CommissionRule, validate_agreement
from chalicelib.domain.cart import MAX_HOLDS_PER_CART, Cart, build_cart, price_hold
from chalicelib.domain.catalog import STANDING_CATEGORY, Performance, PerformanceStatus, Tariff
from chalicelib.domain.donations import Donation, donation_entries
from chalicelib.domain.giftcards import GiftCard, redemption_entry
from chalicelib.domain.giftcards import sale_entry as gift_card_sale_entry
from chalicelib.domain.holds import Hold, HoldStatus
from chalicelib.domain.ledger import (
    CLEARING_ACCOUNT,
    HOUSE_ACCOUNT_KINDS,
    JournalEntry,
    Posting,
    SoldTicket,
    UnbalancedEntry,
    balances,
    fee_entry,
    house_account,
    house_balance,
    refund_entries,
    sale_entries,
    shares_of,
    transfer_entry,
)
from chalicelib.domain.money import Money
from chalicelib.domain.orders import (
    MIN_PAYMENT_WINDOW_SECONDS,
    OrderLine,
    house_subtotals,
    order_id_for,
    order_lines,
    order_total,
    payment_window_seconds,
    ticket_id_for,
)
from chalicelib.domain.seatmap import Category, Seat, SeatMap, Section
from chalicelib.domain.vouchers import Voucher, VoucherKind, apply_voucher, discounts_by_house

NOW = datetime(2026, 11, 23, 12, 0, 0, 250_000, tzinfo=UTC)
HOUSES = ("munt", "bozar", "kvs", "ab", "flagey")
CATEGORY_CODES = ("A", "B", "C", "D")
TARIFF_CODES = ("full", "reduced", "u26", "group")

# A random cart takes about 100 draws: 80 carts per property keep the whole file well under 10 s.
CARTS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPERTY = settings(max_examples=200, deadline=None)

# Zero is drawn often on purpose: houses whose places are all free must get no ledger entry.
cents = st.one_of(st.just(0), st.integers(min_value=0, max_value=100_000))
refund_ids = st.text(alphabet="abcdefgh0123456789", min_size=1, max_size=8)
sellers = st.one_of(st.none(), st.sampled_from(HOUSES))


@dataclass(frozen=True)
class HoldRequest:
    """A hold to price, with the buyer's tariff choices and the price of each of its places as expected here."""

    hold: Hold
    performance: Performance
    seatmap: SeatMap | None
    tariffs: dict[str, str]
    default_tariff: str | None
    expected_cents: tuple[int, ...]  # per place, in the hold's order

    @property
    def live(self) -> bool:
        return self.hold.is_live(NOW)


@dataclass(frozen=True)
class Scenario:
    cart_id: str
    requests: tuple[HoldRequest, ...]

    def expected_places(self) -> list[tuple[str, int]]:
        """(owning house, cents) of every place the cart charges, in cart order: lapsed holds are not charged."""
        return [
            (request.performance.house_id, price)
            for request in self.requests
            if request.live
            for price in request.expected_cents
        ]


def seatmap_of(categories: list[str]) -> SeatMap:
    section = Section("parterre", {"nl": "Parterre"})
    seats = tuple(
        Seat(f"P-1-{number}", section.id, "1", number, float(number), 1.0, category)
        for number, category in enumerate(categories, start=1)
    )
    return SeatMap("zaal", tuple(Category(code, {"nl": code}) for code in sorted(set(categories))), (section,), seats)


def performance_of(
    performance_id: str, house_id: str, tariffs: tuple[Tariff, ...], seatmap: SeatMap | None, capacity: int
) -> Performance:
    return Performance(
        id=performance_id,
        house_id=house_id,
        production_id="prod",
        venue_id="venue",
        starts_at=NOW + timedelta(days=3),
        sales_start=NOW - timedelta(days=1),
        sales_end=NOW + timedelta(days=3),
        status=PerformanceStatus.ON_SALE,
        tariffs=tariffs,
        seated=seatmap is not None,
        capacity=capacity,
        title={"nl": "t"},
        venue_name="zaal",
    )


# Strategies are built once: building them per draw costs more than the draws themselves.
house_sets = st.lists(st.sampled_from(HOUSES), min_size=1, max_size=4, unique=True)
one_or_two = st.integers(1, 2)
hall_categories = st.lists(st.sampled_from(CATEGORY_CODES), min_size=1, max_size=4, unique=True)
seat_categories = st.lists(st.integers(0, len(CATEGORY_CODES) - 1), min_size=1, max_size=10)  # index into the hall's
tariff_sets = st.lists(st.sampled_from(TARIFF_CODES), min_size=1, max_size=3, unique=True)
seat_picks = st.sets(st.integers(0, 9), min_size=1, max_size=6)  # index into the free seats
tariff_picks = st.integers(0, len(TARIFF_CODES))  # 0: no choice (the default applies), else a tariff
lapses = st.integers(0, 4).map(lambda n: n == 0)  # one hold in five has lapsed
live_for, lapsed_since = st.integers(1, 900), st.integers(0, 900)
standing_quantities = st.integers(1, 6)
cart_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=12).map("c_".__add__)


def pick(codes: list[str], choice: int) -> str | None:
    return codes[(choice - 1) % len(codes)] if choice else None


@st.composite
def scenarios(draw) -> Scenario:
    hold_numbers = itertools.count(1)
    requests: list[HoldRequest] = []
    for house_id in draw(house_sets):
        for performance_number in range(draw(one_or_two)):
            seated = draw(st.booleans())
            if seated:
                categories = draw(hall_categories)
                seatmap = seatmap_of([categories[i % len(categories)] for i in draw(seat_categories)])
                categories = sorted({seat.category for seat in seatmap.seats})
            else:
                seatmap, categories = None, [STANDING_CATEGORY]
            codes = draw(tariff_sets)
            tariffs = tuple(
                Tariff(code, {"nl": code}, {category: draw(cents) for category in categories}) for code in codes
            )
            prices = {tariff.code: tariff.prices for tariff in tariffs}
            performance = performance_of(
                f"perf-{house_id}-{performance_number}",
                house_id,
                tariffs,
                seatmap,
                len(seatmap.seats) if seatmap else 500,
            )
            free = [seat.id for seat in seatmap.seats] if seatmap else []
            for _ in range(draw(one_or_two)):
                if seated and not free:
                    break
                expires_in = -draw(lapsed_since) if draw(lapses) else draw(live_for)
                default_tariff = pick(codes, draw(tariff_picks))
                default = default_tariff or codes[0]
                if seated:
                    seat_ids = list(dict.fromkeys(free[i % len(free)] for i in sorted(draw(seat_picks))))
                    free = [seat_id for seat_id in free if seat_id not in seat_ids]
                    choices = {seat_id: pick(codes, draw(tariff_picks)) for seat_id in seat_ids}
                    chosen = {seat_id: code for seat_id, code in choices.items() if code is not None}
                    expected = tuple(
                        prices[chosen.get(seat_id, default)][seatmap.seat(seat_id).category] for seat_id in seat_ids
                    )
                    quantity = len(seat_ids)
                else:
                    seat_ids, quantity = [], draw(standing_quantities)
                    code = pick(codes, draw(tariff_picks))
                    chosen = {} if code is None else {STANDING_CATEGORY: code}
                    expected = (prices[code or default][STANDING_CATEGORY],) * quantity
                hold = Hold(
                    id=f"h{next(hold_numbers)}",
                    performance_id=performance.id,
                    house_id=house_id,
                    session_hash="s",
                    seat_ids=tuple(seat_ids),
                    quantity=quantity,
                    created_at=NOW - timedelta(seconds=600),
                    expires_at=NOW + timedelta(seconds=expires_in),
                    status=HoldStatus.ACTIVE,
                )
                requests.append(HoldRequest(hold, performance, seatmap, chosen, default_tariff, expected))
    assert len(requests) <= MAX_HOLDS_PER_CART
    return Scenario(draw(cart_ids), tuple(requests))


def checkout(scenario: Scenario) -> tuple[Cart, str, tuple[OrderLine, ...]]:
    """Price every hold, build the cart and freeze it into the order's lines, as checkout does."""
    priced = [
        (
            request.hold,
            price_hold(request.hold, request.performance, request.seatmap, request.tariffs, request.default_tariff),
        )
        for request in scenario.requests
    ]
    cart = build_cart(scenario.cart_id, priced, NOW)
    return cart, order_id_for(scenario.cart_id), order_lines(cart.lines)


def expected_subtotals(places) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for house_id, price in places:
        totals[house_id] += price
    return dict(totals)


def cents_of(account_balances: dict[str, Money], account: str) -> int:
    """An account no entry touched has a balance of zero."""
    return account_balances[account].cents if account in account_balances else 0


def assert_balanced(entry: JournalEntry) -> None:
    assert sum(posting.amount.cents for posting in entry.postings) == 0
    assert {posting.amount.currency for posting in entry.postings} == {"EUR"}


def refund_plan(data, lines: tuple[OrderLine, ...], everything: bool) -> list[tuple[str, list[OrderLine]]]:
    """Disjoint random subsets of the lines (all of them when `everything`), each with its own refund id."""
    order = data.draw(st.permutations(list(lines)))
    refunded = len(order) if everything else data.draw(st.integers(0, len(order)))
    cuts = sorted(data.draw(st.lists(st.integers(0, refunded), max_size=4)))
    bounds = [0, *cuts, refunded]
    chunks = [order[start:end] for start, end in zip(bounds, bounds[1:])]
    ids = data.draw(st.lists(refund_ids, min_size=len(chunks), max_size=len(chunks), unique=True))
    return list(zip(ids, chunks))


# -- 1. pricing: the order charges each place its tariff's price, to the cent ------------------------------------
@CARTS
@given(scenarios())
def test_order_total_is_the_sum_of_each_places_tariff_to_the_cent(scenario):
    cart, _, lines = checkout(scenario)
    places = scenario.expected_places()

    assert [(line.house_id, line.price) for line in lines] == [(house, Money(price)) for house, price in places]
    assert order_total(lines) == cart.total == Money(sum(price for _, price in places))
    assert cart.expired_hold_ids == tuple(request.hold.id for request in scenario.requests if not request.live)
    assert cart.expires_at == min(
        (request.hold.expires_at for request in scenario.requests if request.live), default=None
    )


@CARTS
@given(scenarios())
def test_per_house_subtotals_of_order_and_cart_add_up_to_the_total(scenario):
    cart, _, lines = checkout(scenario)
    expected = {house: Money(price) for house, price in expected_subtotals(scenario.expected_places()).items()}

    assert house_subtotals(lines) == cart.subtotals() == expected
    assert sum(house_subtotals(lines).values(), Money(0)) == order_total(lines)
    assert sum(cart.subtotals().values(), Money(0)) == cart.total
    assert cart.houses == tuple(sorted(expected))


@CARTS
@given(scenarios())
def test_order_lines_are_numbered_from_zero_and_each_becomes_its_own_ticket(scenario):
    cart, order_id, lines = checkout(scenario)

    assert [line.index for line in lines] == list(range(len(cart.lines)))
    ticket_ids = [ticket_id_for(order_id, line.index) for line in lines]
    assert len(set(ticket_ids)) == len(ticket_ids)
    assert ticket_ids == [ticket_id_for(order_id, line.index) for line in lines]  # stable for retried tasks
    assert all(OrderLine.from_dict(json.loads(json.dumps(line.to_dict()))) == line for line in lines)


# -- 2. the sale in the ledger --------------------------------------------------------------------------------------
def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def expected_share(line: OrderLine, seller: str | None, agreement: Agreement) -> tuple[int, int]:
    """(VAT, commission) of one place, worked out here: the VAT is included in the price, both are rounded half up,
    and the selling house's commission never eats into the VAT."""
    rate = agreement.tariff_vat_bp.get(line.tariff_code, agreement.vat_rate_bp)
    vat = half_up(Fraction(line.price.cents * rate, 10_000 + rate))
    if seller is None or seller == line.house_id:
        return vat, 0
    rule = agreement.pair_commissions.get(f"{seller}>{line.house_id}", agreement.commission)
    raw = half_up(Fraction(line.price.cents * rule.value, 10_000)) if rule.kind == "percent" else rule.value
    return vat, min(raw, line.price.cents - vat)


def sold_tickets(order_id: str, lines: tuple[OrderLine, ...]) -> list[SoldTicket]:
    return [
        SoldTicket(
            ticket_id_for(order_id, line.index), line.house_id, line.performance_id, line.tariff_code, line.price
        )
        for line in lines
    ]


def expected_accounts(items, seller: str | None) -> Counter[str]:
    """What `items` ((line, (VAT, commission)) pairs) credit each house account: a credit is negative."""
    expected: Counter[str] = Counter()
    for line, (vat, commission) in items:
        expected[house_account(line.house_id, "revenue")] -= line.price.cents - vat - commission
        expected[house_account(line.house_id, "vat")] -= vat
        if commission:
            expected[house_account(seller, "commission")] -= commission
    return expected


commission_rules = st.one_of(
    st.builds(CommissionRule, st.just("percent"), st.integers(0, 10_000)),
    st.builds(CommissionRule, st.just("fixed"), st.integers(0, 5_000)),
)
vat_rates = st.one_of(st.sampled_from([0, 600, 2100]), st.integers(0, 5_000))
house_pairs = st.tuples(st.sampled_from(HOUSES), st.sampled_from(HOUSES)).filter(lambda pair: pair[0] != pair[1])
agreements = st.builds(
    Agreement,
    commission=commission_rules,
    pair_commissions=st.dictionaries(house_pairs.map(">".join), commission_rules, max_size=3),
    fee_bearer=st.sampled_from(FEE_BEARERS),
    fee_percent_bp=st.integers(0, 5_000),
    fee_fixed_cents=st.integers(0, 1_000),
    vat_rate_bp=vat_rates,
    tariff_vat_bp=st.dictionaries(st.sampled_from(TARIFF_CODES), vat_rates, max_size=2),
).map(validate_agreement)


@CARTS
@given(scenarios(), sellers, agreements)
def test_a_sale_books_one_balanced_entry_per_paid_house_and_the_total_in_clearing(scenario, seller, agreement):
    _, order_id, lines = checkout(scenario)
    subtotals = expected_subtotals(scenario.expected_places())
    expected_shares = [expected_share(line, seller, agreement) for line in lines]
    shares = shares_of(sold_tickets(order_id, lines), seller, agreement)
    assert [(item.vat, item.commission) for item in shares] == expected_shares
    assert all(0 <= item.vat <= item.ticket.price.cents and item.revenue >= 0 for item in shares)

    entries = sale_entries(order_id, shares, seller)

    for entry in entries:
        assert_balanced(entry)
        assert (entry.kind, entry.order_id, entry.seller_house_id) == ("sale", order_id, seller)
        assert all(posting.amount.cents for posting in entry.postings)  # no empty postings
        clearing = [posting.amount.cents for posting in entry.postings if posting.account == CLEARING_ACCOUNT]
        places = [line for line in lines if line.house_id == entry.house_id]
        # its statement lines: every place of the house, per performance and tariff, adding up to what it took in
        assert clearing == [sum(detail["gross"] for detail in entry.details)] == [subtotals[entry.house_id]]
        assert sum(detail["tickets"] for detail in entry.details) == len(places)
        assert sum(detail["vat"] for detail in entry.details) == sum(
            vat for line, (vat, _) in zip(lines, expected_shares) if line.house_id == entry.house_id
        )
    assert sorted(entry.house_id for entry in entries) == sorted(house for house, cents in subtotals.items() if cents)
    assert len({entry.entry_id for entry in entries}) == len(entries)
    booked = balances(entries)
    assert cents_of(booked, CLEARING_ACCOUNT) == order_total(lines).cents
    expected = expected_accounts(zip(lines, expected_shares), seller)
    for account in set(expected) | set(booked) - {CLEARING_ACCOUNT}:
        assert cents_of(booked, account) == expected[account], account
    assert set(booked) <= {
        CLEARING_ACCOUNT,
        *(house_account(house, kind) for house in subtotals for kind in ("revenue", "vat")),
        *((house_account(seller, "commission"),) if seller else ()),
    }
    assert sum(money.cents for money in booked.values()) == 0
    # the cluster owes the houses, together, exactly what the buyer paid
    assert sum(house_balance(entries, house) for house in HOUSES) == order_total(lines).cents


# -- 3. refunds -----------------------------------------------------------------------------------------------------
@CARTS
@given(scenarios(), sellers, agreements, st.data())
def test_partial_refunds_leave_each_account_with_what_was_not_given_back(scenario, seller, agreement, data):
    _, order_id, lines = checkout(scenario)
    shares = shares_of(sold_tickets(order_id, lines), seller, agreement)
    booked_at_sale = dict(zip(lines, shares))
    entries = sale_entries(order_id, shares, seller)
    kept = dict(zip(lines, ((item.vat, item.commission) for item in shares)))  # what has not been given back

    for refund_id, chunk in refund_plan(data, lines, everything=False):
        chunk_shares = [booked_at_sale[line] for line in chunk]
        refund = refund_entries(order_id, refund_id, chunk_shares, seller)
        for entry in refund:
            assert_balanced(entry)
            assert (entry.kind, entry.order_id, entry.seller_house_id) == ("refund", order_id, seller)
        assert sorted(entry.house_id for entry in refund) == sorted(
            house
            for house, cents in expected_subtotals((line.house_id, line.price.cents) for line in chunk).items()
            if cents
        )
        # exactly the reversal of what the sale of these places booked
        assert [sorted((p.account, -p.amount.cents) for p in entry.postings) for entry in refund] == [
            sorted((p.account, p.amount.cents) for p in entry.postings)
            for entry in sale_entries(order_id, chunk_shares, seller)
        ]
        entries += refund
        for line in chunk:
            del kept[line]

        booked = balances(entries)
        assert cents_of(booked, CLEARING_ACCOUNT) == sum(line.price.cents for line in kept)
        expected = expected_accounts(kept.items(), seller)
        for account in set(expected) | set(booked) - {CLEARING_ACCOUNT}:
            assert cents_of(booked, account) == expected[account], account
        assert sum(house_balance(entries, house) for house in HOUSES) == sum(line.price.cents for line in kept)

    assert len({entry.entry_id for entry in entries}) == len(entries)


@CARTS
@given(scenarios(), sellers, agreements, st.data())
def test_refunding_every_line_in_any_number_of_refunds_brings_every_balance_to_zero(scenario, seller, agreement, data):
    _, order_id, lines = checkout(scenario)
    shares = shares_of(sold_tickets(order_id, lines), seller, agreement)
    booked_at_sale = dict(zip(lines, shares))
    entries = sale_entries(order_id, shares, seller)

    for refund_id, chunk in refund_plan(data, lines, everything=True):
        entries += refund_entries(order_id, refund_id, [booked_at_sale[line] for line in chunk], seller)

    assert len({entry.entry_id for entry in entries}) == len(entries)
    assert all(money == Money(0) for money in balances(entries).values())
    assert all(house_balance(entries, house) == 0 for house in HOUSES)


# -- 4. journal entries themselves ----------------------------------------------------------------------------------
accounts = st.one_of(
    st.just(CLEARING_ACCOUNT), st.builds(house_account, st.sampled_from(HOUSES), st.sampled_from(HOUSE_ACCOUNT_KINDS))
)


@st.composite
def balanced_postings(draw) -> tuple[Posting, ...]:
    """Random debits and credits plus one posting that makes them sum to zero."""
    amounts = draw(st.lists(st.integers(-100_000, 100_000), min_size=1, max_size=5))
    amounts.append(-sum(amounts))
    return tuple(Posting(draw(accounts), Money(amount)) for amount in amounts)


@PROPERTY
@given(balanced_postings(), st.integers(-100_000, 100_000).filter(bool), st.data())
def test_a_journal_entry_that_does_not_sum_to_zero_is_refused(postings, error, data):
    JournalEntry("e", "sale", "o", "munt", None, postings)  # balanced: accepted
    broken = list(postings)
    at = data.draw(st.integers(0, len(broken) - 1))
    broken[at] = Posting(broken[at].account, broken[at].amount + Money(error))
    with pytest.raises(UnbalancedEntry):
        JournalEntry("e", "sale", "o", "munt", None, tuple(broken))
    with pytest.raises(UnbalancedEntry):
        JournalEntry("e", "sale", "o", "munt", None, postings + (Posting(CLEARING_ACCOUNT, Money(error)),))


@PROPERTY
@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_a_journal_entry_mixing_currencies_is_refused_even_when_the_cents_cancel_out(amount, other):
    munt, kvs = house_account("munt", "revenue"), house_account("kvs", "revenue")
    with mock.patch.object(money_module, "SUPPORTED_CURRENCIES", frozenset({"EUR", "USD"})):
        cancelling = (Posting(CLEARING_ACCOUNT, Money(amount, "EUR")), Posting(munt, Money(-amount, "USD")))
        split = (
            Posting(CLEARING_ACCOUNT, Money(amount + other, "EUR")),
            Posting(munt, Money(-amount, "EUR")),
            Posting(kvs, Money(-other, "USD")),
        )
        for postings in (cancelling, split):
            with pytest.raises(UnbalancedEntry):
                JournalEntry("e", "sale", "o", "munt", None, postings)
    with pytest.raises(UnbalancedEntry):
        JournalEntry("e", "sale", "o", "munt", None, ())


sold = st.builds(
    SoldTicket,
    st.text(alphabet="abc123", min_size=1, max_size=6),
    st.sampled_from(HOUSES),
    st.sampled_from(("p1", "p2")),
    st.sampled_from(TARIFF_CODES),
    cents.map(Money),
)


@PROPERTY
@given(st.lists(sold, max_size=12), sellers, agreements, balanced_postings(), refund_ids, cents)
def test_a_journal_entry_reads_back_equal_from_its_stored_form(tickets, seller, agreement, postings, refund_id, amount):
    shares = shares_of(tickets, seller, agreement)
    fee = fee_entry("o_1", tickets, seller, agreement.payment_fee(sum((t.price for t in tickets), Money(0))), agreement)
    entries = [
        *sale_entries("o_1", shares, seller),
        *refund_entries("o_1", refund_id, shares, seller),
        *([fee] if fee else []),
        transfer_entry("2026-W47", "munt", Money(amount), "tr_1"),
        JournalEntry("e", "sale", "o_1", "munt", seller, postings),
    ]
    for entry in entries:
        assert JournalEntry.from_dict(entry.to_dict()) == entry
        assert JournalEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


# -- 5. how long checkout waits for the payment ---------------------------------------------------------------------
@PROPERTY
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    st.integers(0, 3600),
)
def test_checkout_waits_for_the_payment_until_the_holds_lapse_plus_the_grace(now, remaining, grace):
    window = payment_window_seconds(now, now + remaining, grace)

    assert isinstance(window, int)
    assert window >= MIN_PAYMENT_WINDOW_SECONDS
    assert timedelta(seconds=window) >= remaining + timedelta(seconds=grace)
    # and not (much) longer: at most the rounding up to a whole second
    assert timedelta(seconds=window) <= max(
        timedelta(seconds=MIN_PAYMENT_WINDOW_SECONDS), remaining + timedelta(seconds=grace + 1)
    )


# -- 5. discount codes and donations ------------------------------------------------------------------------------
vouchers = st.builds(
    lambda kind, amount, percent, house: Voucher(
        "CODE", house, kind, amount if kind is VoucherKind.AMOUNT else percent, 1, NOW, NOW + timedelta(days=1)
    ),
    st.sampled_from(VoucherKind),
    st.integers(1, 200_000),
    st.integers(1, 100),
    st.one_of(st.none(), st.sampled_from(HOUSES)),
)
donation_lists = st.lists(
    st.builds(lambda house, amount: Donation(house, Money(amount)), st.sampled_from(HOUSES), st.integers(100, 100_000)),
    max_size=3,
    unique_by=lambda donation: donation.house_id,
)


@CARTS
@given(scenarios(), vouchers)
def test_a_code_takes_exactly_its_discount_off_the_places_it_applies_to_spread_by_largest_remainder(scenario, voucher):
    cart, _, _ = checkout(scenario)
    discounted = apply_voucher(voucher, cart.lines)
    eligible = [line for line in cart.lines if voucher.applies_to(line)]
    base = sum(line.price.cents for line in eligible)
    expected_off = (
        min(base, voucher.value)
        if voucher.kind is VoucherKind.AMOUNT
        else min(base, half_up(Fraction(base * voucher.value, 100)))
    )

    assert sum(line.discount_cents for line in discounted) == expected_off
    assert sum(discounts_by_house(discounted).values()) == expected_off
    for before, after in zip(cart.lines, discounted):
        assert after.price.cents + after.discount_cents == before.price.cents and after.price.cents >= 0
        if not voucher.applies_to(before):
            assert after == before
        elif base:  # each place's part is its exact proportional share, rounded down or up
            exact = Fraction(expected_off * before.price.cents, base)
            assert math.floor(exact) <= after.discount_cents <= math.ceil(exact)
    assert sum(line.price.cents for line in discounted) == cart.total.cents - expected_off


@CARTS
@given(scenarios(), vouchers, donation_lists, sellers, agreements, st.data())
def test_discounted_sales_and_donations_balance_to_the_cent_and_a_full_refund_brings_every_balance_to_zero(
    scenario, voucher, donations, seller, agreement, data
):
    cart, order_id, _ = checkout(scenario)
    lines = order_lines(apply_voucher(voucher, cart.lines))
    paid = order_total(lines).cents + sum(donation.amount.cents for donation in donations)
    shares = shares_of(sold_tickets(order_id, lines), seller, agreement)
    entries = sale_entries(order_id, shares, seller) + donation_entries(order_id, "donation", donations, seller)

    for entry in entries:
        assert_balanced(entry)
    booked = balances(entries)
    assert cents_of(booked, CLEARING_ACCOUNT) == paid
    assert sum(house_balance(entries, house) for house in HOUSES) == paid
    for donation in donations:  # all of it the house's, no VAT, no commission
        assert cents_of(booked, house_account(donation.house_id, "donations")) == -donation.amount.cents

    booked_at_sale = dict(zip(lines, shares))
    for refund_id, chunk in refund_plan(data, lines, everything=True):
        entries += refund_entries(order_id, refund_id, [booked_at_sale[line] for line in chunk], seller)
    entries += donation_entries(order_id, "refund:donations", donations, seller, -1)
    assert len({entry.entry_id for entry in entries}) == len(entries)
    assert all(money == Money(0) for money in balances(entries).values())


@CARTS
@given(scenarios(), sellers, agreements, st.integers(500, 50_000), st.sampled_from(HOUSES), st.data())
def test_an_order_paid_partly_by_a_gift_card_balances_and_refunds_put_the_card_s_part_back_first(
    scenario, seller, agreement, card_cents, issuer, data
):
    _, order_id, lines = checkout(scenario)
    total = order_total(lines).cents
    card = GiftCard("GC-TEST", issuer, Money(card_cents), Money(card_cents), NOW)
    paid_by_card = min(card_cents, total)
    shares = shares_of(sold_tickets(order_id, lines), seller, agreement)
    entries = [gift_card_sale_entry(card)] + sale_entries(order_id, shares, seller)
    assert house_balance(entries[:1], issuer) == 0  # the desk holds the money and owes it as an unspent card
    if paid_by_card:
        entries.append(redemption_entry(order_id, issuer, Money(paid_by_card), seller))
    for entry in entries:
        assert_balanced(entry)
    booked = balances(entries)
    assert cents_of(booked, CLEARING_ACCOUNT) == total - paid_by_card  # what the payment provider holds
    assert cents_of(booked, house_account(issuer, "gift_cards")) == paid_by_card - card_cents

    booked_at_sale = dict(zip(lines, shares))
    back_on_card = back_to_buyer = 0
    for refund_id, chunk in refund_plan(data, lines, everything=True):
        amount = sum(line.price.cents for line in chunk)
        part = min(amount, paid_by_card - back_on_card)
        entries += refund_entries(order_id, refund_id, [booked_at_sale[line] for line in chunk], seller)
        if part:
            entries.append(redemption_entry(order_id, issuer, Money(part), seller, refund_id=refund_id))
        back_on_card, back_to_buyer = back_on_card + part, back_to_buyer + amount - part
    assert back_on_card == paid_by_card and back_to_buyer == total - paid_by_card
    assert len({entry.entry_id for entry in entries}) == len(entries)
    final = balances(entries)
    assert cents_of(final, house_account(issuer, "gift_cards")) == -card_cents  # the whole card is owed again
    assert cents_of(final, house_account(issuer, "collected")) == card_cents
    assert all(
        money == Money(0)
        for account, money in final.items()
        if account not in (house_account(issuer, "gift_cards"), house_account(issuer, "collected"))
    )
