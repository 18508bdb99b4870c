"""Timeslot series repository: one item per series (`TIMESLOTS#{id}` / `SERIES`), created once.

A series and its slots' performances claim their ids in one transaction, each on condition that no
item has its key: a series whose id, or one of whose slot ids, is in use (by any house) writes
nothing. The series stays `creating`, NotFound to every reader, until every slot is complete.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.catalog import Performance
from ..domain.errors import AlreadyExists, NotFound
from ..domain.timeslots import Slot, TimeslotSeries
from . import catalog
from .models import TableItem, _Gsi1, any_condition_failed, is_condition_failure, transaction_connection


class TimeslotSeriesItem(TableItem):
    """A series of time slots: each slot's performance id, start, end and capacity."""

    series_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    production_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    slots = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    creating = NumberAttribute(null=True)  # 1 from the claim until every slot's performance is complete
    gsi1pk = UnicodeAttribute(null=True)  # CLAIMS_INDEX_KEY while `creating`
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()


# An unfinished series waits in this index until it is shown (a create that stopped half-way: the sweeper).
CLAIMS_INDEX_KEY = "SERIES_CLAIMS"


def series_key(series_id: str) -> str:
    return f"TIMESLOTS#{series_id}"


def claim_series(series: TimeslotSeries, performances: list[Performance]) -> None:
    """Claim the series' id and every slot performance's id in one transaction (at most 1 + 48 items).

    AlreadyExists, nothing written, when any of them is in use."""
    item = TimeslotSeriesItem(
        series_key(series.id),
        "SERIES",
        series_id=series.id,
        house_id=series.house_id,
        production_id=series.production_id,
        venue_id=series.venue_id,
        slots=[
            {
                "performance_id": s.performance_id,
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat(),
                "capacity": s.capacity,
            }
            for s in series.slots
        ],
        created_at=series.created_at,
        creating=1,
        gsi1pk=CLAIMS_INDEX_KEY,
        gsi1sk=f"{series.created_at.isoformat()}#{series.id}",
    )
    try:
        with TransactWrite(connection=transaction_connection) as transaction:
            transaction.save(item, condition=TimeslotSeriesItem.pk.does_not_exist())
            for performance in performances:
                catalog.claim_in(transaction, performance)
    except TransactWriteError as error:
        if any_condition_failed(error):
            raise AlreadyExists(f"Timeslot series {series.id} or one of its slots already exists.") from error
        raise


def show_series(series: TimeslotSeries) -> None:
    """End a claimed series' creation (conditional on the claim being its house's)."""
    TimeslotSeriesItem(series_key(series.id), "SERIES").update(
        actions=[
            TimeslotSeriesItem.creating.remove(),
            TimeslotSeriesItem.gsi1pk.remove(),
            TimeslotSeriesItem.gsi1sk.remove(),
        ],
        condition=TimeslotSeriesItem.creating.exists() & (TimeslotSeriesItem.house_id == series.house_id),
    )


def discard_series(series: TimeslotSeries) -> None:
    """Take back a series claim whose slots could not all be completed (only while still `creating`)."""
    try:
        TimeslotSeriesItem(series_key(series.id), "SERIES").delete(
            condition=TimeslotSeriesItem.creating.exists() & (TimeslotSeriesItem.house_id == series.house_id)
        )
    except DeleteError as error:
        if not is_condition_failure(error):
            raise


def abandoned_series(claimed_before: datetime) -> list[tuple[str, str]]:
    """Series still `creating` that were claimed before `claimed_before`: (id, house)."""
    return [
        (item.series_id, item.house_id)
        for item in TimeslotSeriesItem.by_gsi1.query(
            CLAIMS_INDEX_KEY, TimeslotSeriesItem.gsi1sk < claimed_before.isoformat()
        )
        if item.creating
    ]


def discard_abandoned_series(series_id: str, house_id: str) -> bool:
    """Take back a series claim whose create stopped half-way (its slots' claims are swept as performances)."""
    try:
        TimeslotSeriesItem(series_key(series_id), "SERIES").delete(
            condition=TimeslotSeriesItem.creating.exists() & (TimeslotSeriesItem.house_id == house_id)
        )
    except DeleteError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def get_series(series_id: str) -> TimeslotSeries:
    """The series, or NotFound."""
    try:
        item = TimeslotSeriesItem.get(series_key(series_id), "SERIES")
    except DoesNotExist:
        raise NotFound("No such timeslot series.", series_id=series_id) from None
    if item.creating:
        raise NotFound("No such timeslot series.", series_id=series_id)
    return TimeslotSeries(
        item.series_id,
        item.house_id,
        item.production_id,
        item.venue_id,
        tuple(
            Slot(
                s["performance_id"],
                datetime.fromisoformat(s["starts_at"]),
                datetime.fromisoformat(s["ends_at"]),
                int(s["capacity"]),
            )
            for s in item.slots
        ),
        item.created_at,
    )


def get_house_series(house_id: str, series_id: str) -> TimeslotSeries:
    """The house's own series; another house's is NotFound (it does not exist for them)."""
    series = get_series(series_id)
    if series.house_id != house_id:
        raise NotFound("No such timeslot series.", series_id=series_id)
    return series
