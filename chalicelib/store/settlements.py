"""Agreements, settlement periods and statements; every write conditional, so runs can race and resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.agreements import Agreement
from ..domain.errors import Conflict, NotFound
from .models import (
    AgreementItem,
    HouseItem,
    PeriodItem,
    SettlementMarkerItem,
    StatementItem,
    house_key,
    is_condition_failure,
    transaction_connection,
)

CLUSTER_KEY = "CLUSTER"


def get_agreement() -> Agreement:
    """The cluster's agreement (the defaults until the coordinator sets one)."""
    try:
        item = AgreementItem.get(CLUSTER_KEY, "AGREEMENT", consistent_read=True)
    except DoesNotExist:
        return Agreement()
    return Agreement.from_dict({**item.agreement, "version": int(item.version)})


def save_agreement(agreement: Agreement, expected_version: int, by: str, now: datetime) -> Agreement:
    """Replace the agreement if nobody changed it since `expected_version` was read."""
    saved = Agreement.from_dict({**agreement.to_dict(), "version": expected_version + 1})
    item = AgreementItem(
        CLUSTER_KEY, "AGREEMENT", agreement=saved.to_dict(), version=saved.version, updated_at=now, updated_by=by
    )
    condition = (
        AgreementItem.pk.does_not_exist() if expected_version == 0 else AgreementItem.version == expected_version
    )
    try:
        item.save(condition=condition)
    except PutError as error:
        if is_condition_failure(error):
            raise Conflict("The agreement changed meanwhile; reload it and try again.") from error
        raise
    return saved


def payout_account(house_id: str) -> str | None:
    return HouseItem.get(house_key(house_id), "HOUSE", consistent_read=True).payout_account


def set_payout_account(house_id: str, account_id: str) -> str:
    """Keep the house's connected account (the first one wins if two runs created one)."""
    try:
        HouseItem(house_key(house_id), "HOUSE").update(
            actions=[HouseItem.payout_account.set(account_id)], condition=HouseItem.payout_account.does_not_exist()
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
    account = payout_account(house_id)
    assert account is not None  # set just now, or by the run that won
    return account


@dataclass(frozen=True)
class Period:
    period_id: str
    starts_at: datetime
    ends_at: datetime
    status: str
    settled_at: datetime | None = None


def _period(item: PeriodItem) -> Period:
    return Period(item.period_id, item.starts_at, item.ends_at, item.status, item.settled_at)


def open_period(period_id: str, starts_at: datetime, ends_at: datetime) -> Period:
    """Create the period, or return it as it is (a second run of the same period meets the first).

    A new period must start where the last one ended or later: each statement pays the house's whole
    balance up to its end, so an overlapping or back-dated period would pay some money twice.
    """
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.save(
                PeriodItem(
                    f"SETTLEMENT#{period_id}",
                    "PERIOD",
                    period_id=period_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    status="settling",
                    gsi1pk="SETTLEMENTS",
                    gsi1sk=starts_at.isoformat(),
                ),
                condition=PeriodItem.pk.does_not_exist(),
            )
            transaction.save(
                SettlementMarkerItem(CLUSTER_KEY, "SETTLEMENTS", last_ends_at=ends_at),
                condition=SettlementMarkerItem.pk.does_not_exist() | (SettlementMarkerItem.last_ends_at <= starts_at),
            )
    except TransactWriteError as error:
        try:
            return get_period(period_id)
        except NotFound:
            raise Conflict(
                "A settlement period must start where the last one ended, or later.", period_id=period_id
            ) from error
    return get_period(period_id)


def get_period(period_id: str) -> Period:
    try:
        return _period(PeriodItem.get(f"SETTLEMENT#{period_id}", "PERIOD", consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such settlement period.", period_id=period_id) from None


def list_periods() -> list[Period]:
    return [_period(item) for item in PeriodItem.by_gsi1.query("SETTLEMENTS")]


def mark_settled(period_id: str, now: datetime) -> None:
    try:
        PeriodItem(f"SETTLEMENT#{period_id}", "PERIOD").update(
            actions=[PeriodItem.status.set("settled"), PeriodItem.settled_at.set(now)],
            condition=PeriodItem.status == "settling",
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise  # else another run marked it first


@dataclass(frozen=True)
class StatementRecord:
    period_id: str
    house_id: str
    statement: dict
    amount_cents: int
    currency: str
    status: str
    transfer_id: str | None


def _statement(item: StatementItem) -> StatementRecord:
    return StatementRecord(
        item.period_id,
        item.house_id,
        dict(item.statement),
        int(item.amount_cents),
        item.currency,
        item.status,
        item.transfer_id,
    )


def put_statement(period_id: str, house_id: str, statement: dict, amount_cents: int, now: datetime) -> StatementRecord:
    """Store the house's statement of the period once; a second run keeps the first (and its figures)."""
    status = "to_pay" if amount_cents > 0 else "nothing_to_pay"
    try:
        StatementItem(
            f"SETTLEMENT#{period_id}",
            f"STATEMENT#{house_id}",
            period_id=period_id,
            house_id=house_id,
            statement=statement,
            amount_cents=amount_cents,
            status=status,
            created_at=now,
            gsi1pk=f"HOUSE#{house_id}#STATEMENTS",
            gsi1sk=period_id,
        ).save(condition=StatementItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise
    return get_statement(period_id, house_id)


def get_statement(period_id: str, house_id: str) -> StatementRecord:
    try:
        return _statement(StatementItem.get(f"SETTLEMENT#{period_id}", f"STATEMENT#{house_id}", consistent_read=True))
    except DoesNotExist:
        raise NotFound("No such statement.", period_id=period_id) from None


def statements_of_period(period_id: str) -> list[StatementRecord]:
    return [
        _statement(item)
        for item in StatementItem.query(
            f"SETTLEMENT#{period_id}", StatementItem.sk.startswith("STATEMENT#"), consistent_read=True
        )
    ]


def statements_of_house(house_id: str) -> list[StatementRecord]:
    """A house's own statements, read by its key."""
    return [_statement(item) for item in StatementItem.by_gsi1.query(f"HOUSE#{house_id}#STATEMENTS")]


def mark_paid(period_id: str, house_id: str, transfer_id: str, now: datetime) -> None:
    try:
        StatementItem(f"SETTLEMENT#{period_id}", f"STATEMENT#{house_id}").update(
            actions=[
                StatementItem.status.set("paid"),
                StatementItem.transfer_id.set(transfer_id),
                StatementItem.paid_at.set(now),
            ],
            condition=(StatementItem.status == "to_pay") | (StatementItem.transfer_id == transfer_id),
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
