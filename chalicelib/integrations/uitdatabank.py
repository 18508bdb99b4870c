"""UiTdatabank Entry API 3.0: booking availability of one date (sub-event) of an event.

`PATCH /events/{id}/sub-events` with `[{"id": <index>, "bookingAvailability": {"type": …}}]`
sets one date (CONTRACTS.md); a Podium performance is one sub-event of its production's event.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import integration_settings
from .publiq import PubliqApi, api

AVAILABLE, UNAVAILABLE = "Available", "Unavailable"


@dataclass
class UitdatabankClient:
    api: PubliqApi

    def set_sub_event_availability(self, event_id: str, sub_event: int, available: bool) -> None:
        """Mark one date of the event as bookable or not (204 on success)."""
        body = [{"id": sub_event, "bookingAvailability": {"type": AVAILABLE if available else UNAVAILABLE}}]
        self.api.call("PATCH", f"/events/{event_id}/sub-events", json_body=body, ok=(200, 204))


def client() -> UitdatabankClient:
    return UitdatabankClient(api(integration_settings().uitdatabank_url))
