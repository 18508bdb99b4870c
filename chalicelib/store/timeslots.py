"""Timeslot series repository: one item per series (`TIMESLOTS#{id}` / `SERIES`), created once."""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from ..domain.errors import Conflict, NotFound
from ..domain.timeslots import Slot, TimeslotSeries
from .models import TableItem, is_condition_failure


class TimeslotSeriesItem(TableItem):
    """A series of time slots: each slot's performance id, start, end and capacity."""

    series_id = UnicodeAttribute()
    house_id = UnicodeAttribute()
    production_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    slots = JSONAttribute()
    created_at = UTCDateTimeAttribute()


def series_key(series_id: str) -> str:
    return f"TIMESLOTS#{series_id}"


def create_series(series: TimeslotSeries) -> None:
    """Store a new series; its id must be new (Conflict otherwise)."""
    item = TimeslotSeriesItem(series_key(series.id), "SERIES", series_id=series.id, house_id=series.house_id,
                              production_id=series.production_id, venue_id=series.venue_id,
                              slots=[{"performance_id": s.performance_id, "starts_at": s.starts_at.isoformat(),
                                      "ends_at": s.ends_at.isoformat(), "capacity": s.capacity}
                                     for s in series.slots],
                              created_at=series.created_at)
    try:
        item.save(condition=TimeslotSeriesItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            raise Conflict(f"Timeslot series {series.id} already exists.") from error
        raise


def get_series(series_id: str) -> TimeslotSeries:
    """The series, or NotFound."""
    try:
        item = TimeslotSeriesItem.get(series_key(series_id), "SERIES")
    except DoesNotExist:
        raise NotFound("No such timeslot series.", series_id=series_id) from None
    return TimeslotSeries(item.series_id, item.house_id, item.production_id, item.venue_id,
                          tuple(Slot(s["performance_id"], datetime.fromisoformat(s["starts_at"]),
                                     datetime.fromisoformat(s["ends_at"]), int(s["capacity"])) for s in item.slots),
                          item.created_at)


def get_house_series(house_id: str, series_id: str) -> TimeslotSeries:
    """The house's own series; another house's is NotFound (it does not exist for them)."""
    series = get_series(series_id)
    if series.house_id != house_id:
        raise NotFound("No such timeslot series.", series_id=series_id)
    return series
