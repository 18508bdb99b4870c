"""The settlement benchmark's pure part: the period it books and the statements built from it in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.agreements import Agreement, CommissionRule
from scripts.embedded.settlement_figures import (
    carried_forward,
    house_ids,
    houses_of,
    ledgers_by_house,
    money_check,
    statements_from_stored,
    statements_in_memory,
    stored_ledgers,
    synthetic_period,
)

ENDS = datetime(2026, 11, 30, tzinfo=UTC)
STARTS = ENDS - timedelta(days=7)
AGREEMENT = Agreement(commission=CommissionRule("percent", 500))


def test_the_period_holds_the_tickets_asked_for_within_the_period_in_booking_order():
    period = synthetic_period(2_000, house_ids(5), STARTS, ENDS, AGREEMENT, seed=4)
    assert period.tickets == 2_000 and period.orders >= 500
    assert period.cross_house_orders > 0 and period.multi_house_orders > 0 and period.refunds > 0
    assert period.commission > 0 and period.fees > 0
    times = [at for at, _ in period.batches]
    assert times == sorted(times) and times[0] >= STARTS and times[-1] < ENDS
    # every entry is stored under each house it touches, as the store does
    ledgers = ledgers_by_house(period)
    assert sum(len(rows) for rows in ledgers.values()) == sum(
        len(houses_of(entry)) for _, entries in period.batches for entry in entries
    )


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 600), st.integers(1, 6), st.integers(0, 10_000))
def test_transfers_plus_fees_are_what_was_collected_less_refunds_to_the_cent(tickets, houses, seed):
    names = house_ids(houses)
    period = synthetic_period(tickets, names, STARTS, ENDS, AGREEMENT, seed=seed)
    statements = statements_in_memory(period, names, "p", STARTS, ENDS)
    assert [s["house_id"] for s in statements] == names
    check = money_check(
        period.collected,
        period.refunded,
        sum(s["totals"]["fees"] for s in statements),
        sum(s["to_transfer"] for s in statements),
        carried_forward(statements),
    )
    assert check["balanced"] and check["difference"] == 0
    assert sum(s["totals"]["fees"] for s in statements) == period.fees
    assert sum(s["totals"]["commission_earned"] for s in statements) == sum(
        s["totals"]["commission_paid"] for s in statements
    )
    # decoding the entries from their stored JSON changes nothing
    assert statements_from_stored(stored_ledgers(period), names, "p", STARTS, ENDS) == statements


def test_the_money_check_shows_the_difference():
    assert money_check(1_000, 100, 25, 875) == {
        "collected": 1_000,
        "refunded": 100,
        "fees": 25,
        "transferred": 875,
        "carried_forward": 0,
        "difference": 0,
        "balanced": True,
    }
    assert money_check(1_000, 100, 25, 874)["difference"] == 1
    # a house whose only order was refunded owes its fee: carried forward, not transferred
    assert money_check(1_000, 1_000, 40, 0, carried_forward([{"closing_balance": -40}]))["balanced"]


def test_one_refunded_ticket_leaves_its_house_owing_the_fee():
    period = synthetic_period(1, house_ids(1), STARTS, ENDS, AGREEMENT, seed=0, refund_share=1.0)
    (statement,) = statements_in_memory(period, house_ids(1), "p", STARTS, ENDS)
    assert statement["to_transfer"] == 0 and carried_forward([statement]) == period.fees > 0
