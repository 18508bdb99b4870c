"""When a performance counts as sold out for the outside world (UiTdatabank's booking availability)."""

from __future__ import annotations

SOLD_OUT, AVAILABLE = "sold_out", "available"
EVENT_TYPES = {SOLD_OUT: "PerformanceSoldOut", AVAILABLE: "PerformanceAvailable"}


def booking_state(capacity: int, taken_for_good: int) -> str:
    """Sold out once every place is sold (or blocked); places in a live hold may still come back."""
    return SOLD_OUT if taken_for_good >= capacity else AVAILABLE


def flips(previously_published: str | None, state: str) -> bool:
    """Whether `state` must be published: it differs from the last one (a new performance is available)."""
    return state != (previously_published or AVAILABLE)
