"""Rate limits on public calls: fixed windows counted per client address and per buyer session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Window:
    """One counting window: its number (epoch seconds // length) and the seconds until it ends."""

    number: int
    ends_in: int
    expires_at: int  # epoch seconds after which its counter is of no use (TTL)


def window_at(now: datetime, seconds: int) -> Window:
    """The fixed window `now` falls in; a refused caller may retry when it ends."""
    epoch = int(now.timestamp())
    number = epoch // seconds
    ends_at = (number + 1) * seconds
    return Window(number=number, ends_in=max(1, ends_at - epoch), expires_at=ends_at + seconds)
