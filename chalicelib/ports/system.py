"""What the system gives the services: the time, and fresh ids in the formats the stage uses."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""


class Ids(Protocol):
    """Fresh, unguessable ids. Ids that follow from others (orders from carts, tickets from orders) are
    made by the domain, not here; credentials (API keys, session tokens) neither."""

    def hold_id(self) -> str:
        """`h_` and 16 URL-safe characters."""

    def cart_id(self) -> str:
        """`c_` and 16 URL-safe characters."""

    def refund_id(self) -> str:
        """`r_` and 16 hex digits."""

    def allocation_id(self) -> str:
        """`al_` and 12 URL-safe characters."""

    def catalog_id(self, prefix: str) -> str:
        """`{prefix}-` and 10 hex digits (`perf-…`, `prod-…`, `venue-…`, `slots-…`)."""

    def change_id(self) -> str:
        """A subscription's pending change: `c_` and 16 hex digits."""

    def scan_id(self) -> str:
        """A check-in scan: 32 hex digits."""

    def run_suffix(self) -> str:
        """8 hex digits that make a workflow run's name unique (a settlement run of a period)."""
