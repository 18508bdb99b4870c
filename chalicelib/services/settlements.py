"""Settlement: each house gets exactly its share of a period, once, by a Stripe Connect transfer.

`start_settlement` (coordinator) opens the period and starts a run of the settlement workflow
(`settlement.asl.json`): gather each house's statement → one transfer per house → period settled.
Runs may overlap or be repeated (after a failure: resume by starting another run): statements are
stored once, transfers carry an idempotency key per period and house, and the transfer's ledger
entry has a stable id — so nobody is paid twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import ports
from ..domain.agreements import Agreement
from ..domain.errors import FieldError, ValidationFailed
from ..domain.ledger import transfer_entry
from ..domain.money import Money
from ..domain.periods import check_closed, custom_period, period_bounds
from ..domain.statements import build_statement
from ..observability import count, logger
from ..store import catalog
from ..store import orders as ledger_store
from ..store import settlements as store


def start_settlement(
    period_id: str | None, starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> tuple[store.Period, str]:
    """Open (or meet) the period and start a settlement run; returns the period and the run's name."""
    if period_id:
        starts_at, ends_at = period_bounds(period_id)
    elif starts_at is None or ends_at is None:
        raise ValidationFailed(
            "Give a period, or when it starts and ends.",
            [FieldError("period", "required", "A week or month period, or starts_at and ends_at.")],
        )
    else:
        period_id = custom_period(starts_at, ends_at)
    check_closed(ends_at, now)
    period = store.open_period(period_id, starts_at, ends_at)
    run = f"{period_id}-{ports.ids().run_suffix()}"
    ports.workflows().start("settlement", run, {"period_id": period_id})
    count("SettlementRunsStarted")
    return period, run


def gather(period_id: str, now: datetime) -> dict[str, Any]:
    """Each house's statement of the period (stored once); the houses that are owed money."""
    period = store.get_period(period_id)
    to_pay = []
    for house in catalog.list_houses():
        dated = ledger_store.house_ledger(house.id, period.ends_at)
        statement = build_statement(house.id, period_id, period.starts_at, period.ends_at, dated)
        record = store.put_statement(period_id, house.id, statement, statement["to_transfer"], now)
        if record.status == "to_pay":
            to_pay.append({"period_id": period_id, "house_id": house.id})
    return {"houses": to_pay}


def pay_house(period_id: str, house_id: str, now: datetime) -> dict[str, Any]:
    """One transfer for the house's statement (the same one whichever run asks), booked in the ledger."""
    statement = store.get_statement(period_id, house_id)
    if statement.status == "paid":
        return {"transfer_id": statement.transfer_id}
    period = store.get_period(period_id)
    account = store.payout_account(house_id) or store.set_payout_account(
        house_id,
        ports.payments().create_connected_account(
            house_id, catalog.get_house(house_id).name, f"house:{house_id}:payout-account"
        ),
    )
    transfer_id = ports.payments().create_transfer(
        statement.amount_cents,
        statement.currency,
        account,
        f"settlement:{period_id}",
        f"settlement:{period_id}:{house_id}",
        {"period_id": period_id, "house_id": house_id},
    )
    # Booked inside the period it settles, so the next period opens with it.
    ledger_store.put_ledger_entries(
        [transfer_entry(period_id, house_id, Money(statement.amount_cents, statement.currency), transfer_id)],
        period.ends_at - timedelta(milliseconds=1),
    )
    store.mark_paid(period_id, house_id, transfer_id, now)
    count("SettlementTransfers")
    count("SettledCents", statement.amount_cents)
    logger.info("house paid", extra={"period_id": period_id, "house_id": house_id, "amount": statement.amount_cents})
    return {"transfer_id": transfer_id}


def close_period(period_id: str, now: datetime) -> dict[str, Any]:
    """The period is settled once every house with money owed was paid."""
    statements = store.statements_of_period(period_id)
    unpaid = [s.house_id for s in statements if s.status == "to_pay"]
    if not unpaid and store.get_period(period_id).status != "settled":
        store.mark_settled(period_id, now)
    return {"settled": not unpaid, "unpaid": unpaid}


# -- What the staff routes read and write as is ---------------------------------------------------------------------
def agreement() -> Agreement:
    return store.get_agreement()


def save_agreement(agreement: Agreement, version: int, saved_by: str, now: datetime) -> Agreement:
    """Save the cluster agreement over `version` (Conflict if another save came first)."""
    return store.save_agreement(agreement, version, saved_by, now)


def periods() -> list[store.Period]:
    return store.list_periods()


def period(period_id: str) -> store.Period:
    return store.get_period(period_id)


def statements_of_period(period_id: str) -> list[store.StatementRecord]:
    return store.statements_of_period(period_id)


def statements_of_house(house_id: str) -> list[store.StatementRecord]:
    return store.statements_of_house(house_id)


def house_statement(period_id: str, house_id: str) -> store.StatementRecord:
    """The house's own statement of the period (keyed by the house: never another's), or NotFound."""
    return store.get_statement(period_id, house_id)


def performance_titles(statement: dict[str, Any], language: str) -> dict[str, str]:
    """The title of each performance on the statement, in `language` (Dutch when it has none)."""
    titles = {}
    for line in statement["lines"]:
        performance = catalog.get_performance(line["performance_id"])
        titles[line["performance_id"]] = performance.title.get(language) or performance.title.get("nl", "")
    return titles
