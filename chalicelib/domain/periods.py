"""Settlement periods: a week (`2026-W47`), a month (`2026-11`) or a custom range, in Brussels time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import FieldError, ValidationFailed

BRUSSELS = ZoneInfo("Europe/Brussels")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), BRUSSELS).astimezone(UTC)


def period_bounds(period_id: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a week or month period id; ValidationFailed for anything else."""
    week, month = _WEEK.match(period_id), _MONTH.match(period_id)
    try:
        if week:
            monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
            return _midnight(monday), _midnight(monday + timedelta(days=7))
        if month:
            first = date(int(month[1]), int(month[2]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return _midnight(first), _midnight(following)
    except (ValueError, OverflowError):  # no such week or month, or a year whose bounds fall outside datetime's
        pass
    raise ValidationFailed(
        "Unknown period.", [FieldError("period", "invalid_period", "Use a week like 2026-W47 or a month like 2026-11.")]
    )


def custom_period(starts_at: datetime, ends_at: datetime) -> str:
    """The id of a custom period (e.g. up to the end of a performance)."""
    if starts_at >= ends_at:
        raise ValidationFailed(
            "The period must end after it starts.", [FieldError("ends_at", "before_start", "End after the start.")]
        )
    fmt = "%Y%m%dT%H%M%SZ"
    return f"{starts_at.astimezone(UTC).strftime(fmt)}-{ends_at.astimezone(UTC).strftime(fmt)}"


def check_closed(ends_at: datetime, now: datetime) -> None:
    """Only a period that has ended can be settled: later sales must not slip into a paid statement."""
    if ends_at > now:
        raise ValidationFailed(
            "This period has not ended yet.", [FieldError("period", "not_ended", "Settle a period once it has ended.")]
        )
